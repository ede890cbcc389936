"""Recurrent layers against torch: ember.ops.rnn (cells, Recurrence) and the nn modules."""

import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.ops import rnn as ops
from ember.ops.lstm_layer import LSTMLayer
from reference import check, close, rand

B, H_IN, H = 3, 4, 5


def cell_args(gates, seed=0, bias=True):
    arrays = [rand((B, H_IN), seed), rand((B, H), seed + 1),
              rand((gates * H, H_IN), seed + 2, -1, 1),
              rand((gates * H, H), seed + 3, -1, 1)]
    if bias:
        arrays += [rand((gates * H,), seed + 4, -1, 1), rand((gates * H,), seed + 5, -1, 1)]
    return arrays


def lib(t):
    return ops if isinstance(t, ember.Tensor) else torch


@pytest.mark.parametrize("name", ["rnn_tanh_cell", "rnn_relu_cell", "gru_cell"])
@pytest.mark.parametrize("bias", [True, False])
def test_single_state_cells_match_torch(name, bias):
    gates = 3 if name == "gru_cell" else 1
    check(lambda x, h, *w: getattr(lib(x), name)(x, h, *w), *cell_args(gates, bias=bias))


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_cell_matches_torch(bias):
    arrays = cell_args(4, bias=bias)
    arrays.insert(2, rand((B, H), 9))  # c
    check(lambda x, h, c, *w: lib(x).lstm_cell(x, (h, c), *w), *arrays)


def test_cells_take_unbatched_input():
    x, h, w_ih, w_hh, b_ih, b_hh = (ember.tensor(a) for a in cell_args(3))
    batched = ops.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)
    close(ops.gru_cell(x[1], h[1], w_ih, w_hh, b_ih, b_hh), batched[1])


def test_cell_errors_name_expected_and_actual():
    x, h, w_ih, w_hh, b_ih, b_hh = (ember.tensor(a) for a in cell_args(1))
    with pytest.raises(RuntimeError, match="rnn_tanh_cell: input has inconsistent input_size: "
                                           "got 3, expected 4"):
        ops.rnn_tanh_cell(x[:, :3], h, w_ih, w_hh)
    with pytest.raises(RuntimeError, match=r"rnn_tanh_cell: expected hidden state of shape "
                                           r"\[3, 5\], got \[2, 5\]"):
        ops.rnn_tanh_cell(x, h[:2], w_ih, w_hh)
    with pytest.raises(RuntimeError, match="gru_cell: expected weight_ih and weight_hh with 3"):
        ops.gru_cell(x, h, w_ih, w_hh)
    with pytest.raises(TypeError, match=r"lstm_cell: expected hx to be a pair \(h, c\)"):
        ops.lstm_cell(x, h, w_ih, w_hh)
    with pytest.raises(ValueError, match="rnn_relu_cell: expected input to be 1-D or 2-D, got 3-D"):
        ops.rnn_relu_cell(x.unsqueeze(0), h, w_ih, w_hh)


def reference_layer(mode, xg, h0, c0, w_hh, b_hh, w_hr, reverse):
    """The same layer step by step with the functional cells (ours or torch's)."""
    steps = range(xg.shape[0] - 1, -1, -1) if reverse else range(xg.shape[0])
    h, c, outs = h0, c0, {}
    for t in steps:
        if mode == "LSTM":
            a = xg[t] + h @ w_hh.T + (b_hh if b_hh is not None else 0)
            i, f, g, o = a.chunk(4, -1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
            if w_hr is not None:
                h = h @ w_hr.T
        elif mode == "GRU":
            hg = h @ w_hh.T + (b_hh if b_hh is not None else 0)
            xr, xz, xn = xg[t].chunk(3, -1)
            hr, hz, hn = hg.chunk(3, -1)
            r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
            n = (xn + r * hn).tanh()
            h = (1 - z) * n + z * h
        else:
            a = xg[t] + h @ w_hh.T + (b_hh if b_hh is not None else 0)
            h = a.tanh() if mode == "RNN_TANH" else a.relu()
        outs[t] = h
    out = (ember if isinstance(xg, ember.Tensor) else torch).stack([outs[t] for t in
                                                                    range(xg.shape[0])])
    return (out, c) if mode == "LSTM" else out


@pytest.mark.parametrize("mode,proj", [("RNN_TANH", 0), ("RNN_RELU", 0), ("GRU", 0), ("LSTM", 0),
                                       ("LSTM", 2)])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_matches_stepwise_torch_to_second_order(mode, proj, reverse):
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    h_out = proj or H
    arrays = [rand((4, B, gates * H), 0), rand((B, h_out), 1), rand((B, H), 2),
              rand((gates * H, h_out), 3, -1, 1), rand((gates * H,), 4, -1, 1),
              rand((h_out, H), 5, -1, 1)]
    if mode != "LSTM":
        arrays[2] = arrays[5] = None
    elif not proj:
        arrays[5] = None
    present = [i for i, a in enumerate(arrays) if a is not None]

    def fn(*tensors):
        args = [None] * 6
        for i, t in zip(present, tensors):
            args[i] = t
        if isinstance(tensors[0], ember.Tensor):
            return ops.Recurrence.apply(*args, mode, reverse)
        return reference_layer(mode, *args, reverse)

    check(fn, *[arrays[i] for i in present])


def test_recurrence_gradient_of_c_n_alone():
    arrays = [rand((3, B, 4 * H), 0), rand((B, H), 1), rand((B, H), 2), rand((4 * H, H), 3, -1, 1)]
    check(lambda xg, h0, c0, w: (ops.Recurrence.apply(xg, h0, c0, w, None, None, "LSTM", False)
                                 if isinstance(xg, ember.Tensor)
                                 else reference_layer("LSTM", xg, h0, c0, w, None, None, False))[1],
          *arrays)


def reference_lstm_layer(x, w_ih, bias, h0, c0, w_hh, reverse):
    """LSTMLayer's result from the step-by-step reference on x's projection."""
    xg = x @ w_ih.T + (bias if bias is not None else 0)
    return reference_layer("LSTM", xg, h0, c0, w_hh, None, None, reverse)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("steps", [1, 4, 19])  # 19: chunks of 8 and a partial one
def test_lstm_layer_matches_stepwise_torch_to_second_order(reverse, bias, steps):
    arrays = [rand((steps, B, H_IN), 0), rand((4 * H, H_IN), 1, -1, 1),
              rand((4 * H,), 2, -1, 1), rand((B, H), 3), rand((B, H), 4),
              rand((4 * H, H), 5, -1, 1)]
    if not bias:
        del arrays[2]

    def fn(x, w_ih, *rest):
        b, rest = (rest[0], rest[1:]) if bias else (None, rest)
        if isinstance(x, ember.Tensor):
            return LSTMLayer.apply(x, w_ih, b, *rest, reverse)
        return reference_lstm_layer(x, w_ih, b, *rest, reverse)

    check(fn, *arrays)


def test_lstm_layer_takes_any_input_strides():
    # Batch-first input seen through a transpose, and a previous layer's output
    # (itself a transposed view): same values and gradients as a contiguous copy.
    x = ember.tensor(rand((B, 6, H_IN), 0))
    w_ih, b = ember.tensor(rand((4 * H, H_IN), 1, -1, 1)), ember.tensor(rand((4 * H,), 2))
    w_hh = ember.tensor(rand((4 * H, H), 3, -1, 1))
    h0 = c0 = ember.zeros(B, H, dtype=ember.float64)
    results = []
    for make in (lambda t: t.transpose(0, 1), lambda t: t.transpose(0, 1).contiguous()):
        leaf = x.detach().requires_grad_()
        first, _ = LSTMLayer.apply(make(leaf), w_ih, b, h0, c0, w_hh, False)
        w2 = ember.tensor(rand((4 * H, H), 6, -1, 1))
        second, c_n = LSTMLayer.apply(first, w2, None, h0, c0, w_hh, True)
        ((second ** 2).sum() + c_n.sum()).backward()
        results.append((second.detach().numpy(), leaf.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_lstm_layer_float32_matches_torch():
    # float32: the gates share one tanh (sigmoid(z) = (1 + tanh(z / 2)) / 2).
    ours, ref = nn.LSTM(16, 32, num_layers=2, batch_first=True), \
        torch.nn.LSTM(16, 32, num_layers=2, batch_first=True)
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = rand((5, 20, 16), 0).astype(np.float32)
    e_x, t_x = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (e_out, (e_h, e_c)), (t_out, (t_h, t_c)) = ours(e_x), ref(t_x)
    for a, b in ((e_out, t_out), (e_h, t_h), (e_c, t_c)):
        close(a, b, rtol=1e-5, atol=1e-6)
    up = rand((5, 20, 32), 1).astype(np.float32)
    (e_out * ember.tensor(up)).sum().backward()
    (t_out * torch.tensor(up)).sum().backward()
    close(e_x.grad, t_x.grad, rtol=1e-4, atol=1e-5, what="input grad")
    for name, p in ref.named_parameters():
        close(dict(ours.named_parameters())[name].grad, p.grad, rtol=1e-4, atol=1e-5, what=name)


def test_lstm_layer_output_changed_in_place_before_backward_is_refused():
    x = ember.tensor(rand((3, B, H_IN), 0), requires_grad=True)
    out, _ = LSTMLayer.apply(x, ember.tensor(rand((4 * H, H_IN), 1)), None,
                             ember.zeros(B, H, dtype=ember.float64),
                             ember.zeros(B, H, dtype=ember.float64),
                             ember.tensor(rand((4 * H, H), 3)), False)
    out.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()


def test_lstm_layer_gradient_of_c_n_alone():
    arrays = [rand((3, B, H_IN), 0), rand((4 * H, H_IN), 1, -1, 1), rand((B, H), 2),
              rand((B, H), 3), rand((4 * H, H), 4, -1, 1)]
    check(lambda x, w_ih, h0, c0, w: (LSTMLayer.apply(x, w_ih, None, h0, c0, w, False)
                                      if isinstance(x, ember.Tensor) else
                                      reference_lstm_layer(x, w_ih, None, h0, c0, w, False))[1],
          *arrays)


# --- the modules ---------------------------------------------------------------------------


T_LEN, N, IN, HID = 3, 2, 4, 3


def twin(kind, *args, **kwargs):
    """Our module and torch's, float64, with torch's weights copied into ours."""
    ref = getattr(torch.nn, kind)(*args, **kwargs).double()
    ours = getattr(nn, kind)(*args, **kwargs).double()
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    return ours, ref


def leaves(*arrays):
    return ([ember.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def flat(result):
    """(output, h_n) or (output, (h_n, c_n)) as a flat list."""
    out, state = result
    return [out] + (list(state) if isinstance(state, tuple) else [state])


def compare_grads(ours, ref, e_outs, t_outs, e_in, t_in):
    ups = [rand(tuple(t.shape), 10 + k) for k, t in enumerate(t_outs)]
    e_loss = sum(((o * ember.tensor(u)).sum() for o, u in zip(e_outs[1:], ups[1:])),
                 (e_outs[0] * ember.tensor(ups[0])).sum())
    t_loss = sum((o * torch.tensor(u)).sum() for o, u in zip(t_outs, ups))
    e_loss.backward()
    t_loss.backward()
    for a, b in zip(e_in, t_in):
        close(a.grad, b.grad, what="input/state grad")
    e_params = dict(ours.named_parameters())
    for name, p in ref.named_parameters():
        close(e_params[name].grad, p.grad, what=f"grad of {name}")


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("batched", [True, False])
def test_layer_matches_torch(kind, num_layers, bidirectional, batch_first, with_state, batched):
    ours, ref = twin(kind, IN, HID, num_layers, batch_first=batch_first,
                     bidirectional=bidirectional)
    d = 2 if bidirectional else 1
    x_shape = (N, T_LEN, IN) if batch_first else (T_LEN, N, IN)
    arrays = [rand(x_shape if batched else (T_LEN, IN), 0)]
    if with_state:
        h_shape = (num_layers * d, N, HID) if batched else (num_layers * d, HID)
        arrays += [rand(h_shape, 1)] + ([rand(h_shape, 2)] if kind == "LSTM" else [])
    e_in, t_in = leaves(*arrays)

    def call(module, tensors):
        if not with_state:
            return module(tensors[0])
        return module(tensors[0], tuple(tensors[1:]) if kind == "LSTM" else tensors[1])

    e_outs, t_outs = flat(call(ours, e_in)), flat(call(ref, t_in))
    for a, b in zip(e_outs, t_outs):
        close(a, b, what="output/state")
    compare_grads(ours, ref, e_outs, t_outs, e_in, t_in)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_output_is_laid_out_as_torch(kind, batch_first, bidirectional):
    # Scripts rely on the layout: output.view(-1, H) needs (L, N, H) contiguous.
    ours, ref = twin(kind, IN, HID, 2, batch_first=batch_first, bidirectional=bidirectional)
    x = rand((N, T_LEN, IN) if batch_first else (T_LEN, N, IN), 0)
    e_out, t_out = ours(ember.tensor(x))[0], ref(torch.tensor(x))[0]
    assert e_out.stride() == t_out.stride()
    assert e_out.is_contiguous() == t_out.is_contiguous()
    if not batch_first:
        close(e_out.view(-1, e_out.shape[-1]), t_out.view(-1, t_out.shape[-1]), what="view")


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_with_projection_matches_torch(bias, bidirectional):
    ours, ref = twin("LSTM", IN, 4, 2, bias=bias, bidirectional=bidirectional, proj_size=2)
    e_in, t_in = leaves(rand((T_LEN, N, IN), 0), rand((4 if bidirectional else 2, N, 2), 1),
                        rand((4 if bidirectional else 2, N, 4), 2))
    e_outs = flat(ours(e_in[0], (e_in[1], e_in[2])))
    t_outs = flat(ref(t_in[0], (t_in[1], t_in[2])))
    for a, b in zip(e_outs, t_outs):
        close(a, b, what="output/state")
    compare_grads(ours, ref, e_outs, t_outs, e_in, t_in)


@pytest.mark.parametrize("kind,kwargs", [("RNN", {"nonlinearity": "relu"}),
                                         ("GRU", {"bias": False}), ("RNN", {"bias": False})])
def test_layer_variants_match_torch(kind, kwargs):
    ours, ref = twin(kind, IN, HID, 2, **kwargs)
    e_in, t_in = leaves(rand((T_LEN, N, IN), 0))
    e_outs, t_outs = flat(ours(e_in[0])), flat(ref(t_in[0]))
    for a, b in zip(e_outs, t_outs):
        close(a, b, what="output/state")
    compare_grads(ours, ref, e_outs, t_outs, e_in, t_in)


@pytest.mark.parametrize("kind,kwargs", [
    ("RNN", {}), ("GRU", {"bias": False}), ("LSTM", {"bidirectional": True, "num_layers": 3}),
    ("LSTM", {"proj_size": 2, "bidirectional": True, "num_layers": 2}),
    ("RNN", {"num_layers": 2, "nonlinearity": "relu", "bidirectional": True})])
def test_state_dict_keys_order_and_shapes_equal_torchs(kind, kwargs):
    ours, ref = getattr(nn, kind)(IN, 4, **kwargs), getattr(torch.nn, kind)(IN, 4, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    assert repr(ours) == repr(ref)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_default_init_is_uniform_within_one_over_sqrt_hidden(kind):
    hidden = 64
    module = getattr(nn, kind)(32, hidden)
    values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
    bound = 1 / np.sqrt(hidden)
    assert values.min() >= -bound and values.max() <= bound
    assert abs(values.mean()) < 0.01 and abs(values.std() - bound / np.sqrt(3)) < 0.01


def test_dropout_between_layers_is_identity_in_eval_and_active_in_training():
    ours, ref = twin("LSTM", IN, HID, 2, dropout=0.5)
    x = rand((T_LEN, N, IN), 0)
    ours.eval()
    close(ours(ember.tensor(x))[0], ref.eval()(torch.tensor(x))[0])
    ours.train()
    ember.manual_seed(0)
    out = ours(ember.tensor(x))[0]
    assert not np.allclose(out.detach().numpy(), ref(torch.tensor(x))[0].detach().numpy())


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(IN, HID, dropout=0.2)


def test_layer_errors_name_expected_and_actual():
    lstm = nn.LSTM(IN, HID, 2)
    with pytest.raises(RuntimeError, match="LSTM: input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 4, got 5"):
        lstm(ember.zeros(T_LEN, N, 5))
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[0\] size \(2, 2, 3\), got "
                                           r"\(1, 2, 3\)"):
        lstm(ember.zeros(T_LEN, N, IN), (ember.zeros(1, N, HID), ember.zeros(2, N, HID)))
    with pytest.raises(RuntimeError, match=r"GRU: Expected hidden size \(1, 2, 3\), got "
                                           r"\(1, 3, 3\)"):
        nn.GRU(IN, HID)(ember.zeros(T_LEN, N, IN), ember.zeros(1, 3, HID))
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor"):
        nn.RNN(IN, HID)(ember.zeros(1, T_LEN, N, IN))
    with pytest.raises(RuntimeError, match="for unbatched 2-D input, the initial states should "
                                           "also be 2-D, got \\(3-D\\)"):
        nn.RNN(IN, HID)(ember.zeros(T_LEN, IN), ember.zeros(1, 1, HID))
    with pytest.raises(TypeError, match=r"LSTM: expected hx to be a pair \(h_0, c_0\)"):
        lstm(ember.zeros(T_LEN, N, IN), ember.zeros(2, N, HID))


def test_constructor_errors_as_torch():
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.RNNBase("GRU", IN, HID, proj_size=1)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(IN, HID, proj_size=HID)
    with pytest.raises(ValueError, match="dropout should be a number in range \\[0, 1\\]"):
        nn.LSTM(IN, HID, 2, dropout=1.5)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(IN, HID, nonlinearity="gelu")
    with pytest.raises(ValueError, match="hidden_size must be greater than zero, got 0"):
        nn.LSTM(IN, 0)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_cell_modules_match_torch(kind, batched, with_state):
    ours, ref = twin(kind, IN, HID)
    assert list(ours.state_dict()) == list(ref.state_dict())
    shape = (N,) if batched else ()
    arrays = [rand(shape + (IN,), 0)]
    if with_state:
        arrays += [rand(shape + (HID,), 1)] + ([rand(shape + (HID,), 2)] if kind == "LSTMCell"
                                                else [])
    e_in, t_in = leaves(*arrays)

    def call(module, tensors):
        if not with_state:
            return module(tensors[0])
        return module(tensors[0], tuple(tensors[1:]) if kind == "LSTMCell" else tensors[1])

    e_outs, t_outs = call(ours, e_in), call(ref, t_in)
    e_outs = list(e_outs) if isinstance(e_outs, tuple) else [e_outs]
    t_outs = list(t_outs) if isinstance(t_outs, tuple) else [t_outs]
    for a, b in zip(e_outs, t_outs):
        close(a, b, what="cell output")
    compare_grads(ours, ref, e_outs, t_outs, e_in, t_in)


@pytest.mark.parametrize("kind,kwargs", [("RNNCell", {"nonlinearity": "relu"}),
                                         ("LSTMCell", {"bias": False}), ("GRUCell", {})])
def test_cell_state_dict_and_repr_equal_torchs(kind, kwargs):
    ours, ref = getattr(nn, kind)(IN, HID, **kwargs), getattr(torch.nn, kind)(IN, HID, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    assert repr(ours) == repr(ref)


def test_cell_module_errors():
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 3D"):
        nn.GRUCell(IN, HID)(ember.zeros(1, N, IN))
    with pytest.raises(RuntimeError, match="rnn_tanh_cell: input has inconsistent input_size: "
                                           "got 5, expected 4"):
        nn.RNNCell(IN, HID)(ember.zeros(N, 5))


@pytest.mark.parametrize("frozen", ["weights", "states"])
def test_lstm_partial_gradients_match_torch(frozen):
    # Frozen weights: the bias gradient comes from its own product (not the
    # extra column of the W_hh gradient); states without gradients: the last
    # step's product W_hh^T dz (only dh0 needs it) is skipped.
    ours, ref = twin("LSTM", IN, HID, num_layers=2)
    x = rand((T_LEN, N, IN), 0)
    states = [rand((2, N, HID), 1), rand((2, N, HID), 2)]
    (e_x, *e_s), (t_x, *t_s) = leaves(x, *states)
    if frozen == "weights":
        for module in (ours, ref):
            for name, p in module.named_parameters():
                p.requires_grad_(name.startswith("bias"))
    else:
        e_s, t_s = [s.detach() for s in e_s], [s.detach() for s in t_s]
    e_out, (e_h, e_c) = ours(e_x, tuple(e_s))
    t_out, (t_h, t_c) = ref(t_x, tuple(t_s))
    compare_grads(ours, ref, [e_out, e_h, e_c], [t_out, t_h, t_c], [e_x], [t_x])
    for name, p in ref.named_parameters():
        mine = dict(ours.named_parameters())[name].grad
        if p.grad is None:
            assert mine is None, name
        else:
            close(mine, p.grad, what=name)
