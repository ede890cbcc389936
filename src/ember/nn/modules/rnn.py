"""Recurrent layers, as ``torch.nn``: RNN, LSTM, GRU and their single-step cells.

A layer runs each (layer, direction) pair as one input GEMM over all time
steps (``W_ih x + b_ih``) followed by ``ember.ops.rnn.Recurrence``, which loops
over time with one GEMM per step and backpropagates through time in one
graph node. On NumPy, an LSTM layer without projection is instead one
``ember.ops.lstm_layer.LSTMLayer`` node, input projection included, which keeps
its per-step arrays in the layout the small GEMMs run fastest in. Parameter
names, shapes, registration order, gate order and initialisation are
PyTorch's, so state_dicts load in either direction.
"""

import math
import numbers
import warnings

from ember.autograd.grad_mode import no_grad
from ember.nn import functional as F
from ember.nn.module import Module
from ember.nn.modules.rnn_packed import run_packed
from ember.nn.parameter import Parameter
from ember.nn.utils.rnn import PackedSequence
from ember.ops import _autocast as _amp
from ember.ops import rnn as _rnn
from ember.ops.lstm_layer import LSTMLayer
from ember.ops.creation import empty, zeros
from ember.ops.linalg import linear
from ember.ops.shape import cat, stack
from ember.tensor import Tensor

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by RNN, LSTM and GRU.

    Args:
        mode: 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'.
        input_size: features of each input step.
        hidden_size: features of the hidden state.
        num_layers: stacked recurrent layers. Default: 1.
        bias: learn ``bias_ih`` and ``bias_hh``. Default: True.
        batch_first: input and output are (N, L, H) instead of (L, N, H); the
            hidden states stay (layers * directions, N, H). Default: False.
        dropout: dropout probability on the outputs of every layer but the
            last, in training mode. Default: 0.
        bidirectional: also run each layer from the last step to the first
            and concatenate both outputs. Default: False.
        proj_size: LSTM only: project h to this size with ``weight_hr``. Default: 0.

    Attributes:
        weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, weight_hr_l{k}
        (``_reverse`` appended for the backward direction): all drawn from
        U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if mode not in _GATES:
            raise ValueError(f"{name}: unrecognized RNN mode {mode!r}; expected one of "
                             f"{sorted(_GATES)}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size),
                           ("num_layers", num_layers), ("proj_size", proj_size)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name}: {arg} should be of type int, got "
                                f"{type(value).__name__}")
        if hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
        if num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable "
                             f"projections, got {proj_size}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or "
                             f"GRU")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={proj_size} and hidden_size={hidden_size}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        out_size = proj_size or hidden_size
        directions = 2 if bidirectional else 1
        names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gate_size, layer_input), "weight_hh": (gate_size, out_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix,
                            Parameter(empty(*shape, dtype=dtype, device=device)))
                    names.append(kind + suffix)
        self._flat_weights_names = names
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    def flatten_parameters(self):
        """Does nothing: PyTorch packs weights for cuDNN here; Ember needs no packing."""

    @property
    def all_weights(self):
        """The parameters, one list per (layer, direction), in registration order."""
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per]] for i in range(0, len(names), per)]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    # ---- forward -------------------------------------------------------------

    def _prepare(self, input, states):
        """Validate; return the input as (L, N, H_in), the states as 3-D, and whether batched."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D tensor "
                             f"instead")
        batched = input.ndim == 3
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if states is not None:
            want = 3 if batched else 2
            if any(s.ndim != want for s in states):
                dims = ", ".join(f"{s.ndim}-D" for s in states)
                raise RuntimeError(f"{name}: for {'batched 3-D' if batched else 'unbatched 2-D'} "
                                   f"input, the initial states should also be {want}-D, got "
                                   f"({dims})")
            if not batched:
                states = [s.unsqueeze(1) for s in states]
        return input, states, batched

    def _check_state(self, state, expected, what):
        if tuple(state.shape) != expected:
            raise RuntimeError(f"{type(self).__name__}: Expected {what} size {expected}, got "
                               f"{tuple(state.shape)}")

    def _layer_direction(self, x, h0, c0, k, reverse):
        """Layer-direction ``k`` over x (L, N, H_in) from states h0, c0 (N, ...):
        (output (L, N, H_out), c_n or None)."""
        steps, batch = x.shape[0], x.shape[1]
        directions = 2 if self.bidirectional else 1
        per = len(self._flat_weights_names) // (self.num_layers * directions)
        w = dict(zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
                     if self.bias else ("weight_ih", "weight_hh", "weight_hr"),
                     (getattr(self, n) for n in self._flat_weights_names[k * per:(k + 1) * per])))
        # All steps' input projections in one GEMM over (L * N) rows; where
        # b_hh only adds to them (not GRU's), it joins b_ih there.
        b_ih, b_hh = w.get("bias_ih"), w.get("bias_hh")
        if b_hh is not None and _rnn.CELLS[self.mode].bias_folds:
            b_ih, b_hh = b_ih + b_hh, None
        if self.mode == "LSTM" and not self.proj_size and x.device.type == "cpu":
            return LSTMLayer.apply(x, w["weight_ih"], b_ih, h0, c0, w["weight_hh"], reverse)
        xg = linear(x.reshape(steps * batch, x.shape[-1]), w["weight_ih"],
                    b_ih).reshape(steps, batch, -1)
        res = _rnn.Recurrence.apply(xg, h0, c0, w["weight_hh"], b_hh, w.get("weight_hr"),
                                    self.mode, reverse)
        return res if c0 is not None else (res, None)

    def _run(self, x, h0, c0):
        """The stacked layers on x (L, N, H_in): (output, h_n, c_n or None)."""
        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                out, c = self._layer_direction(x, h0[k], c0[k] if c0 is not None else None, k,
                                               direction == 1)
                h_n.append(out[0] if direction else out[-1])
                c_n.append(c)
                outs.append(out)
            x = outs[0] if directions == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        # The LSTM layer leaves its output feature-major (a transposed view), but
        # PyTorch returns it contiguous, (L, N, D * H), and scripts rely on that
        # (``output.view(-1, H)``): the last layer's output is copied so laid out.
        return x.contiguous(), stack(h_n), (stack(c_n) if c0 is not None else None)

    def _zero_state(self, x, size):
        directions = 2 if self.bidirectional else 1
        return zeros(self.num_layers * directions, x.shape[1], size, dtype=x.dtype,
                     device=x.device)

    def _check_packed(self, packed):
        data = packed.data
        if data.ndim != 2 or data.shape[-1] != self.input_size:
            raise RuntimeError(f"{type(self).__name__}: input.size(-1) must be equal to "
                               f"input_size. Expected {self.input_size}, got "
                               f"{data.shape[-1] if data.ndim else 'a 0-d tensor'}")

    def _packed_zero_state(self, packed, size):
        return zeros(self.num_layers * (2 if self.bidirectional else 1),
                     int(packed.batch_sizes[0]), size, dtype=packed.data.dtype,
                     device=packed.data.device)

    def _packed_expected(self, packed, size):
        return (self.num_layers * (2 if self.bidirectional else 1), int(packed.batch_sizes[0]),
                size)

    def _expected(self, x, size):
        return (self.num_layers * (2 if self.bidirectional else 1), x.shape[1], size)

    def _finish(self, output, batched):
        if not batched:
            return output.squeeze(1)
        return output.transpose(0, 1) if self.batch_first else output

    def _autocast_dtype(self, x):
        """Under autocast, the dtype PyTorch gives this layer's results: its CPU lists
        hold the LSTM and the Elman RNN (not the GRU), its CUDA lists all three.
        The recurrence itself runs in the parameters' dtype here; the results are
        rounded once at the end. None outside autocast."""
        if not _amp.active or not x.dtype.is_floating_point:
            return None
        device = "cuda" if x.is_cuda else "cpu"
        if not _amp.is_autocast_enabled(device) or (device == "cpu" and self.mode == "GRU"):
            return None
        return _amp.get_autocast_dtype(device)

    def _cast_results(self, x, results):
        dtype = self._autocast_dtype(x)
        if dtype is None:
            return results
        return tuple(t.to(dtype) if t.dtype != dtype else t for t in results)


class _SingleStateRNN(RNNBase):
    """RNN and GRU: one hidden state h."""

    def forward(self, input, hx=None):
        """Run the layers over ``input``.

        Shape:
            input: (L, N, H_in), (N, L, H_in) with batch_first, or (L, H_in) unbatched.
            hx: (D * num_layers, N, H), or (D * num_layers, H) unbatched; zeros if None.
        Returns:
            (output, h_n): output (L, N, D * H) (batch first if so built), h_n like hx.
        """
        if isinstance(input, PackedSequence):
            self._check_packed(input)
            h0 = hx if hx is not None else self._packed_zero_state(input, self.hidden_size)
            self._check_state(h0, self._packed_expected(input, self.hidden_size), "hidden")
            out, h_n, _ = run_packed(self, input, h0, None)
            return out, h_n
        x, states, batched = self._prepare(input, None if hx is None else [hx])
        h0 = states[0] if states is not None else self._zero_state(x, self.hidden_size)
        self._check_state(h0, self._expected(x, self.hidden_size), "hidden")
        output, h_n, _ = self._run(x, h0, None)
        output, h_n = self._cast_results(x, (output, h_n))
        return self._finish(output, batched), (h_n if batched else h_n.squeeze(1))


class RNN(_SingleStateRNN):
    """Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), stacked and optionally
    bidirectional.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout,
        bidirectional: as ``RNNBase``.
        nonlinearity: 'tanh' or 'relu'. Default: 'tanh'.

    Shape: see ``forward``. Parameters: weight_ih_l{k} (H, H_in or D*H),
    weight_hh_l{k} (H, H), bias_ih_l{k}, bias_hh_l{k} (H,).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             f"'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class GRU(_SingleStateRNN):
    """Gated recurrent unit (Cho et al., 2014), stacked and optionally bidirectional.

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.

    Args: as ``RNNBase``. Parameters: weight_ih_l{k} (3H, H_in or D*H) holding
    (W_ir | W_iz | W_in), weight_hh_l{k} (3H, H), bias_ih_l{k}, bias_hh_l{k} (3H,).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), stacked and optionally
    bidirectional, with an optional projection of h (Sak et al., 2014).

    i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (W_ih x + b_ih + W_hh h + b_hh),
    c' = f * c + i * g, h' = o * tanh(c') (then W_hr h' with proj_size > 0).

    Args: as ``RNNBase``, with ``proj_size``. Parameters: weight_ih_l{k}
    (4H, H_in or D*H_out) holding (W_ii | W_if | W_ig | W_io), weight_hh_l{k}
    (4H, H_out), bias_ih_l{k}, bias_hh_l{k} (4H,), weight_hr_l{k} (P, H) where
    H_out = proj_size or hidden_size.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        """Run the layers over ``input``.

        Shape:
            input: (L, N, H_in), (N, L, H_in) with batch_first, or (L, H_in) unbatched.
            hx: the pair (h_0, c_0): (D * num_layers, N, H_out) and
                (D * num_layers, N, H) (without N unbatched); zeros if None.
        Returns:
            (output, (h_n, c_n)): output (L, N, D * H_out) (batch first if so
            built); h_n and c_n shaped as h_0 and c_0.
        """
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTM: expected hx to be a pair (h_0, c_0), got "
                            f"{type(hx).__name__}")
        out_size = self.proj_size or self.hidden_size
        if isinstance(input, PackedSequence):
            self._check_packed(input)
            h0, c0 = hx if hx is not None else (
                self._packed_zero_state(input, out_size),
                self._packed_zero_state(input, self.hidden_size))
            self._check_state(h0, self._packed_expected(input, out_size), "hidden[0]")
            self._check_state(c0, self._packed_expected(input, self.hidden_size), "hidden[1]")
            out, h_n, c_n = run_packed(self, input, h0, c0)
            return out, (h_n, c_n)
        x, states, batched = self._prepare(input, None if hx is None else list(hx))
        if states is None:
            states = [self._zero_state(x, out_size), self._zero_state(x, self.hidden_size)]
        self._check_state(states[0], self._expected(x, out_size), "hidden[0]")
        self._check_state(states[1], self._expected(x, self.hidden_size), "hidden[1]")
        output, h_n, c_n = self._run(x, states[0], states[1])
        output, h_n, c_n = self._cast_results(x, (output, h_n, c_n))
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(output, batched), (h_n, c_n)


# --- single steps -------------------------------------------------------------------


class RNNCellBase(Module):
    """Parameters shared by the cells: weight_ih (G*H, H_in), weight_hh (G*H, H),
    bias_ih and bias_hh (G*H,), all from U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(rows, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(rows, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(rows, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(rows, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        with no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"  # unquoted, as PyTorch prints it
        return s

    def _prepare(self, input, states):
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for s in states:
            if s is not None and s.ndim != input.ndim:
                raise RuntimeError(f"{name}: expected hidden state of {input.ndim}-D like the "
                                   f"input, got {s.ndim}-D")
        return [zeros(*input.shape[:-1], self.hidden_size, dtype=input.dtype, device=input.device)
                if s is None else s for s in states]


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = act(W_ih x + b_ih + W_hh h + b_hh).

    Args:
        input_size, hidden_size: feature sizes of x and h.
        bias: learn bias_ih and bias_hh. Default: True.
        nonlinearity: 'tanh' or 'relu'. Default: 'tanh'.

    Shape: input (N, H_in) or (H_in,); hx like the output (N, H) or (H,), zeros if None.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        (hx,) = self._prepare(input, [hx])
        cell = _rnn.rnn_tanh_cell if self.nonlinearity == "tanh" else _rnn.rnn_relu_cell
        return cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c'). Gates i, f, g, o along the weights' rows.

    Shape: input (N, H_in) or (H_in,); hx the pair (h, c), each (N, H) or
    (H,), zeros if None.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTMCell: expected hx to be a pair (h, c), got "
                            f"{type(hx).__name__}")
        h, c = self._prepare(input, [None, None] if hx is None else list(hx))
        return _rnn.lstm_cell(input, (h, c), self.weight_ih, self.weight_hh, self.bias_ih,
                              self.bias_hh)


class GRUCell(RNNCellBase):
    """One GRU step; gates r, z, n along the weights' rows (see ``GRU``).

    Shape: input (N, H_in) or (H_in,); hx (N, H) or (H,), zeros if None.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        (hx,) = self._prepare(input, [hx])
        return _rnn.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                             self.bias_hh)
