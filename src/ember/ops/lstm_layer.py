"""One LSTM layer (no projection) over a whole sequence, as a single node.

This is the NumPy fast path of ``nn.LSTM``; other devices, the projection
(``proj_size``) and the other cells go through ``rnn.Recurrence``.

Why it is its own node, input projection included: the per-step product
``W_hh h`` is a (4H, H) x (H, B) GEMM with a small batch B. OpenBLAS runs it
about twice as fast with the batch as the GEMM's short side (gates x batch)
than the other way round (batch x gates), so this layer keeps each step's
gates, cell state and output "feature-major": (features, batch), contiguous.
Each step's gates are then one GEMM, [W_ih | W_hh | b] times the step's
operand [x_t; h_prev; 1], a column block of one (H_in + H + 1, T + 1, B)
buffer (the previous step writes its h there), and the weight gradients are
GEMMs over all T * B columns: the buffer's rows are already laid out so, and
the per-step gradients are gathered feature-major (one blockwise copy).

Shapes (forward): ``x`` (T, B, H_in), any strides; ``w_ih`` (4H, H_in);
``bias`` (4H,) = b_ih + b_hh, or None; ``h0``, ``c0`` (B, H); ``w_hh`` (4H, H);
``reverse``: run from the last step to the first. Returns ``output`` (T, B, H),
a view of the operand buffer's h rows, and ``c_n`` (B, H). The weights
keep PyTorch's gate order (i, f, g, o); inside, their rows are permuted to
(o, i, f, g) (``_inner_order``) and gradients are permuted back.

Under ``create_graph=True`` the backward is recomputed with Ember ops
(``rnn._backward_ember``), so it is differentiable again.
"""

from types import SimpleNamespace

import numpy as np

from ember.autograd.function import Function
from ember.autograd.grad_mode import is_grad_enabled
from ember.ops.reduce import constant
from ember.ops.rnn import CELLS, _backward_ember

__all__ = ["LSTMLayer"]


_CHUNK = 8  # steps whose per-step terms are computed together in the backward


def _inner_order(n):
    """Row permutation from PyTorch's gate order (i, f, g, o) to the order used
    inside, (o, i, f, g): the three sigmoid gates form one contiguous block, and
    so do the three whose gradients are dc times something (i, f, g)."""
    return np.concatenate([np.arange(3 * n, 4 * n), np.arange(3 * n)])


def _outer_order(n):
    """The inverse of ``_inner_order``."""
    return np.argsort(_inner_order(n))


def _permuted_transpose(w, n):
    """``w[_inner_order(n)].T`` made contiguous: block transposes of 32 rows of
    ``w`` at a time. (NumPy copies a whole transposed matrix element by element
    through the cache about three times slower.)"""
    out = np.empty((w.shape[1], w.shape[0]), w.dtype)
    src = _inner_order(n)
    for lo in range(0, w.shape[0], _TRANSPOSE_ROWS):
        hi = min(lo + _TRANSPOSE_ROWS, w.shape[0])
        rows = src[lo:hi]
        if hi - lo > 1 and rows[-1] - rows[0] == hi - lo - 1:
            out[:, lo:hi] = w[rows[0]:rows[-1] + 1].T
        else:  # a block that straddles the reordering
            out[:, lo:hi] = w[rows].T
    return out


_TRANSPOSE_ROWS = 32


def _forward(x, w_ih, bias, h0, c0, w_hh, reverse):
    steps, batch, k = x.shape
    n = w_hh.shape[1]
    dtype = x.dtype
    half = dtype.type(0.5)
    order = _inner_order(n)
    ones = 0 if bias is None else 1
    width = k + n + ones
    # One GEMM a step gives all four gates: [W_ih | W_hh | b] (4n, k + n + 1) times
    # the step's operand [x_t; h_prev; 1], operands[:, slot] (rows (T + 1) * B apart,
    # so that the weight gradients' GEMM reads all steps' operands as they lie).
    # (Against a batched input projection beforehand plus a recurrent GEMM, this
    # saves a pass adding the two, and K = k + n + 1 runs as fast as both.)
    # sigmoid(z) = (1 + tanh(z / 2)) / 2: with the 1/2 folded into the rows of
    # i, f and o, one tanh covers all four gates. (Halving is exact.)
    w = np.empty((4 * n, width), dtype)
    w[:, :k] = w_ih[order]
    w[:, k:k + n] = w_hh[order]
    if ones:
        w[:, k + n] = bias[order]
    w[:3 * n] *= half
    # Slots: step t reads slot t + 1 - own and writes its h into slot t + own,
    # the next step's (own = 1; with reverse, 0 and the order reversed). The
    # outputs are then slots own .. own + T - 1, rows k .. k + n.
    own = 0 if reverse else 1
    operands = np.empty((width, steps + 1, batch), dtype)
    operands[:k, 1 - own:1 - own + steps] = x.transpose(2, 0, 1)
    operands[k + n:] = 1
    operands[k:k + n, steps if reverse else 0] = h0.T
    acts = np.empty((steps, 4 * n, batch), dtype)  # the gates
    # Cell states with c0 beside them, in time order: step t's state is
    # cells[t + 1] and its c_prev cells[t] (reverse: cells[t] and cells[t + 1]),
    # so the backward reads every step's c_prev as a slice.
    cells = np.empty((steps + 1, n, batch), dtype)
    c = cells[steps if reverse else 0]
    c[...] = c0.T
    tanh_cells = np.empty((steps, n, batch), dtype)
    ig = np.empty((n, batch), dtype)
    for t in (reversed(range(steps)) if reverse else range(steps)):
        a = acts[t]
        np.matmul(w, operands[:, t + 1 - own], out=a)
        np.tanh(a, out=a)
        sig = a[:3 * n]
        sig *= half
        sig += half
        c_t = cells[t + own]
        np.multiply(a[2 * n:3 * n], c, out=c_t)  # f * c
        np.multiply(a[n:2 * n], a[3 * n:], out=ig)  # i * g
        c_t += ig
        np.tanh(c_t, out=tanh_cells[t])
        np.multiply(a[:n], tanh_cells[t], out=operands[k:k + n, t + own])  # h = o * tanh(c)
        c = c_t
    return (operands[k:k + n, own:own + steps].transpose(1, 0, 2), np.ascontiguousarray(c.T),
            (acts, cells, tanh_cells, operands))


def _backward(ctx, x, w_ih, w_hh, g_out, g_c):
    """First-order gradients from arrays: (x, w_ih, bias, h0, c0, w_hh, None)."""
    need = ctx.needs_input_grad
    flat, dh, dc = _gate_gradients(ctx, w_hh, g_out, g_c, need[3])
    steps, batch, k = x.shape
    n = w_hh.shape[1]
    back = _outer_order(n)
    gx = gw_ih = gb = gw_hh = None
    # The input's gradient, and its weight's, the way the input is laid out (a
    # previous layer's output is feature-major; an embedding's, row-major).
    row_major = x.strides[2] == x.itemsize
    if need[0]:
        w_in = w_ih[_inner_order(n)]
        if row_major:
            gx = (flat.T @ w_in).reshape(steps, batch, k)
        else:
            gx = (w_in.T @ flat).reshape(k, steps, batch).transpose(1, 2, 0)
    if need[1] and row_major:
        gw_ih = (flat @ x.reshape(steps * batch, k))[back]
    if need[1] and not row_major or need[2] or need[5]:
        # The other weight and bias gradients in one GEMM against the steps'
        # operands [x_t; h_prev; 1], feature-major ((k +) n + 1, T * B) as they
        # lie: x_t's rows only where x is not already a GEMM operand as it lies.
        own = 0 if ctx.reverse else 1
        first = k if row_major else 0
        used = ctx.buffers[3][first:, 1 - own:1 - own + steps]
        prod = flat @ used.reshape(used.shape[0], steps * batch).T
        prod = prod[back]
        if not row_major and need[1]:
            gw_ih = prod[:, :k]
        if need[5]:
            gw_hh = prod[:, k - first:k - first + n]
        if need[2]:
            gb = prod[:, k - first + n]
    wrap = lambda a: None if a is None else constant(a)
    return (wrap(gx), wrap(gw_ih), wrap(gb), constant(dh.T) if need[3] else None,
            constant(dc.T) if need[4] else None, wrap(gw_hh), None)


def _gate_gradients(ctx, w_hh, g_out, g_c, want_dh0):
    """Backpropagation through time.

    Returns (flat, dh0, dc0): the gradient of every step's gate
    pre-activations, feature-major (4n, T * B) in the inner order, so that the
    weight and bias gradients are single GEMMs over T * B columns; and the
    gradients of h0 (garbage unless ``want_dh0``) and c0, feature-major (n, B).
    """
    acts, cells, tanh_cells, _ = ctx.buffers  # gates in the inner order (o, i, f, g)
    steps, width, batch = acts.shape
    n = width // 4
    reverse = ctx.reverse
    # (T, n, B): read where it lies when each step's (n, B) block has unit
    # stride along B (a previous layer's input gradient: rows T * B apart);
    # otherwise (the head's gradient, batch-first) copied so laid out.
    g_h = g_out.transpose(0, 2, 1)
    if g_h.strides[2] != g_h.itemsize:
        g_h = np.ascontiguousarray(g_h)
    flat = np.empty((width, steps, batch), acts.dtype)
    w_back = _permuted_transpose(w_hh, n)
    dc = np.ascontiguousarray(g_c.T) if g_c is not None else np.zeros((n, batch), acts.dtype)
    dh = np.empty((n, batch), acts.dtype)
    grad_c = np.empty_like(dh)
    chunk = min(steps, _CHUNK)
    coef = np.empty((chunk, width, batch), acts.dtype)
    h_to_c = np.empty((chunk, n, batch), acts.dtype)
    # The chunk's gate gradients, each step's a contiguous block, overwrite its
    # coefficients as they are used: one buffer fewer for the cache.
    done = coef
    own = 0 if reverse else 1  # as in _forward: step t's c_prev is cells[t + 1 - own]
    first = True
    # The first step's product W_hh^T dz only gives dh0: skipped when unwanted.
    last = None if want_dh0 else (steps - 1 if reverse else 0)
    # Chunks of steps, latest first (earliest first with reverse). What does not
    # depend on the recurrence is computed a chunk at a time; the loop over the
    # chunk's steps is left with the recurrence itself: 6 array ops and a GEMM.
    starts = range(0, steps, chunk) if reverse else reversed(range(0, steps, chunk))
    for lo in starts:
        hi = min(lo + chunk, steps)
        a, tc = acts[lo:hi], tanh_cells[lo:hi]
        k, hc = coef[:hi - lo], h_to_c[:hi - lo]
        # The activations' slopes: s (1 - s) = s - s^2 for o, i, f; 1 - g^2 for g ...
        np.multiply(a, a, out=k)
        np.subtract(a[:, :3 * n], k[:, :3 * n], out=k[:, :3 * n])
        np.subtract(1, k[:, 3 * n:], out=k[:, 3 * n:])
        # ... times what multiplies each gate: tanh(c), g, c_prev, i. Then
        # dz_o = dh * k_o and dz_i,f,g = dc * k_i,f,g.
        k[:, :n] *= tc
        k[:, n:2 * n] *= a[:, 3 * n:]
        k[:, 2 * n:3 * n] *= cells[lo + 1 - own:hi + 1 - own]
        k[:, 3 * n:] *= a[:, n:2 * n]
        np.multiply(tc, tc, out=hc)  # o (1 - tanh(c)^2): from h to c
        np.subtract(1, hc, out=hc)
        hc *= a[:, :n]
        for t in (range(lo, hi) if reverse else reversed(range(lo, hi))):
            if first:
                dh[...] = g_h[t]
                first = False
            else:
                dh += g_h[t]
            j = t - lo
            np.multiply(dh, hc[j], out=grad_c)  # dc + dh o (1 - tanh(c)^2)
            grad_c += dc
            da = done[j]
            np.multiply(dh, k[j, :n], out=da[:n])
            np.multiply(grad_c, k[j, n:].reshape(3, n, batch), out=da[n:].reshape(3, n, batch))
            np.multiply(grad_c, acts[t, 2 * n:3 * n], out=dc)  # dc_prev = dc f
            if t != last:
                np.matmul(w_back, da, out=dh)
        # Into flat one step's block at a time, while the chunk is in cache (a
        # single transposing copy jumps a whole block for every B elements).
        for j in range(hi - lo):
            flat[:, lo + j] = done[j]
    return flat.reshape(width, steps * batch), dh, dc


def _backward_graph(ctx, x, w_ih, bias, h0, c0, w_hh, g_out, g_c):
    """The same gradients from Ember ops, differentiable (create_graph=True)."""
    need = ctx.needs_input_grad
    xg = x @ w_ih.T
    if bias is not None:
        xg = xg + bias
    inner = SimpleNamespace(reverse=ctx.reverse,
                            needs_input_grad=(True, need[3], need[4], need[5], False, False))
    gxg, dh0, dc0, gw_hh, _, _, _, _ = _backward_ember(inner, CELLS["LSTM"], xg, h0, c0, w_hh,
                                                       None, None, g_out, g_c)
    flat = gxg.reshape(-1, gxg.shape[-1])
    gx = gxg @ w_ih if need[0] else None
    gw_ih = flat.T @ x.reshape(-1, x.shape[-1]) if need[1] else None
    gb = flat.sum(0) if need[2] else None
    return (gx, gw_ih, gb, dh0 if need[3] else None, dc0 if need[4] else None,
            gw_hh if need[5] else None, None)


class LSTMLayer(Function):
    """One unidirectional LSTM layer, input projection included (see the module
    docstring for shapes). NumPy arrays only: CuPy goes through ``Recurrence``."""

    @staticmethod
    def forward(ctx, x, w_ih, bias, h0, c0, w_hh, reverse):
        out, c_n, ctx.buffers = _forward(x, w_ih, bias, h0, c0, w_hh, reverse)
        ctx.reverse = reverse
        output = out.transpose(0, 2, 1)
        # The output is also every step's h_prev: saved, so that an in-place
        # change of it before backward is caught by the version check.
        ctx.save_for_backward(x, w_ih, bias, h0, c0, w_hh, output)
        return output, c_n

    @staticmethod
    def backward(ctx, g_out, g_c=None):
        x, w_ih, bias, h0, c0, w_hh, output = ctx.saved_tensors
        if g_out is None:  # only c_n was used
            g_out = output.new_zeros(tuple(output.shape))
        if is_grad_enabled():  # create_graph=True
            return _backward_graph(ctx, x, w_ih, bias, h0, c0, w_hh, g_out, g_c)
        return _backward(ctx, x._array, w_ih._array, w_hh._array, g_out._array,
                         None if g_c is None else g_c._array)
