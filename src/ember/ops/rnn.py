"""Recurrent cells and the fused recurrence that runs one layer over a sequence.

Each cell (Elman RNN with tanh or ReLU, LSTM, GRU) is written once, as a
``step`` and its ``step_backward``, against a small namespace of array ops
(``_NumpyOps`` or ``_EmberOps``). The same formulas then serve three uses:

* the functional cells ``rnn_tanh_cell``, ``rnn_relu_cell``, ``lstm_cell`` and
  ``gru_cell`` (as ``torch.*_cell``): ``step`` on Ember tensors, so autograd
  differentiates them to any order;
* ``Recurrence``, a Function that runs a whole layer over time. Its forward
  loops in NumPy (one GEMM per step); its backward is backpropagation through
  time in NumPy, with one pair of GEMMs per step and the weight gradients
  summed over all steps in one GEMM each at the end;
* the same backward with Ember ops when ``create_graph=True``: the forward is
  recomputed from the saved graph tensors and ``step_backward`` runs on Ember
  tensors, so the gradient is itself differentiable.

Gate order and bias placement are PyTorch's: LSTM i, f, g, o; GRU r, z, n with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.
"""

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.autograd.grad_mode import is_grad_enabled
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.activation import relu
from ember.ops.elementwise import sigmoid, tanh
from ember.ops.linalg import linear
from ember.ops.shape import cat, stack
from ember.tensor import Tensor

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]


class _NumpyOps:
    """Raw arrays: the fast path of ``Recurrence``."""

    @staticmethod
    def sigmoid(a):
        return np.tanh(a * 0.5) * 0.5 + 0.5  # = 1 / (1 + exp(-a)), without overflow warnings

    tanh = staticmethod(np.tanh)

    @staticmethod
    def relu(a):
        return np.maximum(a, 0)

    @staticmethod
    def cat(arrays):
        return np.concatenate(arrays, axis=-1)

    @staticmethod
    def lstm_gates(a):
        """i, f, g, o as views of one array holding all four (kept for
        ``lstm_gate_grads``), computed in place in ``a`` (a fresh temporary)."""
        n = a.shape[-1] // 4
        scale, shift = _lstm_affine(n, a.dtype)
        # sigmoid(a) = tanh(a / 2) / 2 + 1 / 2 for i, f, o and tanh(a) for g:
        # one scale, tanh, scale and shift over all four gates.
        a *= scale
        np.tanh(a, out=a)
        a *= scale
        a += shift
        return a[..., :n], a[..., n:2 * n], a[..., 2 * n:3 * n], a[..., 3 * n:], a

    @staticmethod
    def lstm_gate_grads(dc, dm, i, f, g, o, c_prev, tc, act):
        """The gradient of the gates' pre-activations, written into one array."""
        n = act.shape[-1] // 4
        da = np.empty_like(act)
        np.multiply(dc, g, out=da[..., :n])
        np.multiply(dc, c_prev, out=da[..., n:2 * n])
        np.multiply(dc, i, out=da[..., 2 * n:3 * n])
        np.multiply(dm, tc, out=da[..., 3 * n:])
        # The activations' slopes: s (1 - s) for a sigmoid, 1 - g^2 for tanh,
        # both act * (keep - act) + lift with per-gate keep and lift.
        keep, lift = _lstm_slope(n, act.dtype)
        slope = np.subtract(keep, act)
        slope *= act
        slope += lift
        da *= slope
        return da


_LSTM_CONSTANTS = {}


def _lstm_constants(n, dtype):
    key = (n, dtype)
    found = _LSTM_CONSTANTS.get(key)
    if found is None:
        gate = lambda i, f, g, o: np.repeat(np.array([i, f, g, o], dtype), n)
        found = _LSTM_CONSTANTS[key] = (gate(0.5, 0.5, 1, 0.5), gate(0.5, 0.5, 0, 0.5),
                                        gate(1, 1, 0, 1), gate(0, 0, 1, 0))
    return found


def _lstm_affine(n, dtype):
    """Per-gate scale and shift that turn tanh into sigmoid on i, f, o."""
    return _lstm_constants(n, dtype)[:2]


def _lstm_slope(n, dtype):
    """Per-gate keep and lift of the slope act * (keep - act) + lift."""
    return _lstm_constants(n, dtype)[2:]


class _EmberOps:
    """Ember tensors: differentiable, for the cells and for double backward."""

    sigmoid = staticmethod(sigmoid)
    tanh = staticmethod(tanh)
    relu = staticmethod(relu)

    @staticmethod
    def cat(tensors):
        return cat(tensors, -1)

    @staticmethod
    def lstm_gates(a):
        n = a.shape[-1] // 4
        return (sigmoid(a[..., :n]), sigmoid(a[..., n:2 * n]), tanh(a[..., 2 * n:3 * n]),
                sigmoid(a[..., 3 * n:]), None)

    @staticmethod
    def lstm_gate_grads(dc, dm, i, f, g, o, c_prev, tc, act):
        return cat([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                    dm * tc * o * (1 - o)], -1)


# --- the cells ---------------------------------------------------------------
# step(ops, xg, h, c, w_hh, b_hh, w_hr) -> (h_new, c_new, cache), where
# xg = W_ih x + b_ih is the input's share of the gates.
# step_backward(ops, cache, dh, dc) -> (dxg, dhg, dh_direct, dc_prev, dm):
# gradients of xg, of hg = W_hh h + b_hh, of h through paths other than hg,
# of c_prev, and of the LSTM's pre-projection output m (None without one).


class _Elman:
    """h' = act(xg + W_hh h + b_hh)."""

    gates = 1
    bias_folds = True  # b_hh only adds to xg: it can join xg before the loop

    def __init__(self, act):
        self.act = act

    def step(self, ops, xg, h, c, w_hh, b_hh, w_hr):
        a = xg + h @ w_hh.T
        if b_hh is not None:
            a = a + b_hh
        y = getattr(ops, self.act)(a)
        return y, None, (y,)

    def step_backward(self, ops, cache, dh, dc):
        (y,) = cache
        if self.act == "tanh":
            da = dh * (1 - y * y)
        else:  # relu: slope 1 where the output is positive
            da = dh * (y > 0)
        return da, da, None, None, None


class _LSTM:
    """c' = f c + i g, h' = W_hr (o tanh(c')) (W_hr only with proj_size > 0)."""

    gates = 4
    bias_folds = True

    def step(self, ops, xg, h, c, w_hh, b_hh, w_hr):
        a = xg + h @ w_hh.T
        if b_hh is not None:
            a = a + b_hh
        i, f, g, o, act = ops.lstm_gates(a)
        c_new = f * c + i * g
        tc = ops.tanh(c_new)
        m = o * tc
        h_new = m @ w_hr.T if w_hr is not None else m
        return h_new, c_new, (i, f, g, o, c, tc, m, w_hr, act)

    def step_backward(self, ops, cache, dh, dc):
        i, f, g, o, c_prev, tc, m, w_hr, act = cache
        dm = dh @ w_hr if w_hr is not None else dh
        dc = dm * o * (1 - tc * tc) if dc is None else dc + dm * o * (1 - tc * tc)
        da = ops.lstm_gate_grads(dc, dm, i, f, g, o, c_prev, tc, act)
        return da, da, None, dc * f, dh if w_hr is not None else None


class _GRU:
    """r, z = sigmoid(xg + hg); n = tanh(xg_n + r hg_n); h' = (1 - z) n + z h."""

    gates = 3
    bias_folds = False  # b_hn sits inside r * (W_hn h + b_hn)

    def step(self, ops, xg, h, c, w_hh, b_hh, w_hr):
        hg = h @ w_hh.T
        if b_hh is not None:
            hg = hg + b_hh
        k = xg.shape[-1] // 3
        r = ops.sigmoid(xg[..., :k] + hg[..., :k])
        z = ops.sigmoid(xg[..., k:2 * k] + hg[..., k:2 * k])
        hn = hg[..., 2 * k:]
        n = ops.tanh(xg[..., 2 * k:] + r * hn)
        h_new = n + z * (h - n)
        return h_new, None, (r, z, n, hn, h)

    def step_backward(self, ops, cache, dh, dc):
        r, z, n, hn, h = cache
        dn_pre = dh * (1 - z) * (1 - n * n)
        dr_pre = dn_pre * hn * r * (1 - r)
        dz_pre = dh * (h - n) * z * (1 - z)
        dxg = ops.cat([dr_pre, dz_pre, dn_pre])
        dhg = ops.cat([dr_pre, dz_pre, dn_pre * r])
        return dxg, dhg, dh * z, None, None


CELLS = {"RNN_TANH": _Elman("tanh"), "RNN_RELU": _Elman("relu"), "LSTM": _LSTM(), "GRU": _GRU()}


# --- one layer over time -------------------------------------------------------


def _forward_loop(ops, cell, xgs, h, c, w_hh, b_hh, w_hr, reverse):
    """Run ``cell`` over the steps ``xgs``; outputs and caches stay in time order."""
    steps = len(xgs)
    outs, caches, h_prev = [None] * steps, [None] * steps, [None] * steps
    for t in (reversed(range(steps)) if reverse else range(steps)):
        h_prev[t] = h
        h, c, caches[t] = cell.step(ops, xgs[t], h, c, w_hh, b_hh, w_hr)
        outs[t] = h
    return outs, c, caches, h_prev


def _backward_loop(ops, cell, caches, g_out, g_c, w_hh, reverse):
    """Backpropagation through time: per-step gradients of xg and hg, and dh0, dc0."""
    steps = len(caches)
    dxg, dhg, dms = [None] * steps, [None] * steps, [None] * steps
    dh, dc = None, g_c
    for t in (range(steps) if reverse else reversed(range(steps))):
        dh = g_out[t] if dh is None else dh + g_out[t]
        dxg[t], dhg[t], direct, dc, dms[t] = cell.step_backward(ops, caches[t], dh, dc)
        dh = dhg[t] @ w_hh if direct is None else direct + dhg[t] @ w_hh
    return dxg, dhg, dms, dh, dc


class Recurrence(Function):
    """One recurrent layer in one direction: all time steps in a single node.

    Args (forward): ``xg`` (T, B, G*H), the input projection W_ih x + b_ih of
    every step; ``h0`` (B, H_out); ``c0`` (B, H) for the LSTM, else None;
    ``w_hh`` (G*H, H_out); ``b_hh`` (G*H) or None; ``w_hr`` (H_out, H) or None
    (LSTM projection); ``mode`` ('RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU');
    ``reverse``: run from the last step to the first.
    Returns ``output`` (T, B, H_out), and for the LSTM ``(output, c_n)``;
    h_n is the output's last step (its first with ``reverse``).
    """

    @staticmethod
    def forward(ctx, xg, h0, c0, w_hh, b_hh, w_hr, mode, reverse):
        cell = CELLS[mode]
        steps_in, step_bias = xg, b_hh
        if b_hh is not None and cell.bias_folds:  # one add for all steps, not one per step
            steps_in, step_bias = xg + b_hh, None
        ctx.mode, ctx.reverse = mode, reverse
        outs, c, caches, h_prev = _forward_loop(_NumpyOps, cell, steps_in, h0, c0, w_hh,
                                                step_bias, w_hr, reverse)
        ctx.caches, ctx.h_prev = caches, h_prev  # raw arrays: the first-order fast path only
        ctx.save_for_backward(xg, h0, c0, w_hh, b_hh, w_hr)
        out = np.stack(outs)
        return (out, c) if c is not None else out

    @staticmethod
    def backward(ctx, g_out, g_c=None):
        xg, h0, c0, w_hh, b_hh, w_hr = ctx.saved_tensors
        cell = CELLS[ctx.mode]
        if g_out is None:  # only c_n was used
            g_out = xg.new_zeros(tuple(xg.shape[:2]) + tuple(h0.shape[1:]))
        if is_grad_enabled():  # create_graph=True: differentiable recomputation with Ember ops
            return _backward_ember(ctx, cell, xg, h0, c0, w_hh, b_hh, w_hr, g_out, g_c)
        return _backward_numpy(ctx, cell, w_hh, b_hh, w_hr, g_out, g_c, c0)


def _grads_from_steps(ops, stack_fn, dxg, dhg, dms, h_prev, m, w_hr, need):
    """Weight gradients summed over every step: one GEMM each over (T*B) rows."""
    dhg_all = stack_fn(dhg)
    rows = dhg_all.shape[0] * dhg_all.shape[1]
    flat = dhg_all.reshape(rows, dhg_all.shape[-1])
    gw_hh = flat.T @ stack_fn(h_prev).reshape(rows, -1) if need[3] else None
    gb_hh = flat.sum(0) if need[4] else None
    gw_hr = None
    if w_hr is not None and need[5]:
        gw_hr = stack_fn(dms).reshape(rows, -1).T @ stack_fn(m).reshape(rows, -1)
    if not need[0]:
        return None, gw_hh, gb_hh, gw_hr
    # RNN and LSTM steps return one array as both gradients: stack it once.
    gxg = dhg_all if dxg and dxg[0] is dhg[0] else stack_fn(dxg)
    return gxg, gw_hh, gb_hh, gw_hr


def _backward_numpy(ctx, cell, w_hh, b_hh, w_hr, g_out, g_c, c0):
    wrap = lambda a: None if a is None else Tensor._wrap(np.ascontiguousarray(a), False, None, 0)
    g_c_arr = g_c._array if g_c is not None else None
    if g_c_arr is None and c0 is not None:
        g_c_arr = np.zeros_like(c0._array)
    dxg, dhg, dms, dh0, dc0 = _backward_loop(_NumpyOps, cell, ctx.caches, g_out._array, g_c_arr,
                                              w_hh._array, ctx.reverse)
    m = [cache[6] for cache in ctx.caches] if w_hr is not None else None
    gxg, gw_hh, gb_hh, gw_hr = _grads_from_steps(_NumpyOps, np.stack, dxg, dhg, dms, ctx.h_prev,
                                                 m, w_hr, ctx.needs_input_grad)
    return (wrap(gxg), wrap(dh0), wrap(dc0) if c0 is not None else None, wrap(gw_hh),
            wrap(gb_hh), wrap(gw_hr), None, None)


def _backward_ember(ctx, cell, xg, h0, c0, w_hh, b_hh, w_hr, g_out, g_c):
    if c0 is not None and g_c is None:
        g_c = c0.new_zeros(c0.shape)
    _, _, caches, h_prev = _forward_loop(_EmberOps, cell, xg.unbind(0), h0, c0, w_hh, b_hh, w_hr,
                                         ctx.reverse)
    dxg, dhg, dms, dh0, dc0 = _backward_loop(_EmberOps, cell, caches, g_out.unbind(0), g_c, w_hh,
                                             ctx.reverse)
    m = [cache[6] for cache in caches] if w_hr is not None else None
    gxg, gw_hh, gb_hh, gw_hr = _grads_from_steps(_EmberOps, stack, dxg, dhg, dms, h_prev, m, w_hr,
                                                 ctx.needs_input_grad)
    return gxg, dh0, dc0, gw_hh, gb_hh, gw_hr, None, None


# --- functional cells ------------------------------------------------------------


def _check_cell(op, input, hx, w_ih, w_hh, b_ih, b_hh, gates):
    check_tensor(input, op)
    if input.ndim not in (1, 2):
        raise ValueError(f"{op}: expected input to be 1-D or 2-D, got {input.ndim}-D")
    hidden = w_hh.shape[1]
    if w_ih.shape[0] != gates * hidden or w_hh.shape[0] != gates * hidden:
        raise RuntimeError(f"{op}: expected weight_ih and weight_hh with {gates} * hidden_size = "
                           f"{gates * hidden} rows, got {fmt_shape(w_ih.shape)} and "
                           f"{fmt_shape(w_hh.shape)}")
    if input.shape[-1] != w_ih.shape[1]:
        raise RuntimeError(f"{op}: input has inconsistent input_size: got {input.shape[-1]}, "
                           f"expected {w_ih.shape[1]}")
    for h in hx:
        if h.shape != input.shape[:-1] + (hidden,):
            raise RuntimeError(f"{op}: expected hidden state of shape "
                               f"{fmt_shape(input.shape[:-1] + (hidden,))}, got "
                               f"{fmt_shape(h.shape)}")


def _elman_cell(op, mode, input, hx, w_ih, w_hh, b_ih, b_hh):
    _check_cell(op, input, (hx,), w_ih, w_hh, b_ih, b_hh, 1)
    h, _, _ = CELLS[mode].step(_EmberOps, linear(input, w_ih, b_ih), hx, None, w_hh, b_hh, None)
    return h


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step: tanh(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh).

    Shape: input (B, H_in) or (H_in,); hx (B, H) or (H,); w_ih (H, H_in);
    w_hh (H, H); biases (H,). Returns the new hidden state, shaped like hx.
    """
    if _amp.active:
        return _amp.run("rnn_tanh_cell", rnn_tanh_cell, input, hx, w_ih, w_hh, b_ih, b_hh)
    return _elman_cell("rnn_tanh_cell", "RNN_TANH", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman RNN step with ReLU instead of tanh (shapes as ``rnn_tanh_cell``)."""
    if _amp.active:
        return _amp.run("rnn_relu_cell", rnn_relu_cell, input, hx, w_ih, w_hh, b_ih, b_hh)
    return _elman_cell("rnn_relu_cell", "RNN_RELU", input, hx, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; gates i, f, g, o in that order along w_ih's rows.

    Args:
        input: (B, H_in) or (H_in,).
        hx: the pair (h, c), each (B, H) or (H,).
        w_ih: (4H, H_in); w_hh: (4H, H); b_ih, b_hh: (4H,) or None.
    Returns:
        (h', c') with c' = f * c + i * g and h' = o * tanh(c').
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"lstm_cell: expected hx to be a pair (h, c), got {type(hx).__name__}")
    h, c = hx
    _check_cell("lstm_cell", input, (h, c), w_ih, w_hh, b_ih, b_hh, 4)
    h, c, _ = CELLS["LSTM"].step(_EmberOps, linear(input, w_ih, b_ih), h, c, w_hh, b_hh, None)
    return h, c


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step; gates r, z, n in that order along w_ih's rows.

    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
    Shapes as ``rnn_tanh_cell`` with 3H rows in the weights and biases.
    """
    _check_cell("gru_cell", input, (hx,), w_ih, w_hh, b_ih, b_hh, 3)
    h, _, _ = CELLS["GRU"].step(_EmberOps, linear(input, w_ih, b_ih), hx, None, w_hh, b_hh, None)
    return h
