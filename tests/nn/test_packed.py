"""Packed sequences (nn.utils.rnn) and recurrent layers on them, against PyTorch:
packing, unpacking, outputs, final states and gradients."""

import numpy as np
import pytest
import torch

import ember
from reference import close, rand

R, E = torch.nn.utils.rnn, ember.nn.utils.rnn


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_match_torch(enforce_sorted, batch_first):
    lengths = [5, 3, 2] if enforce_sorted else [3, 5, 2]
    x = rand((3, 5, 2) if batch_first else (5, 3, 2), 0)
    tp = R.pack_padded_sequence(torch.tensor(x), lengths, batch_first, enforce_sorted)
    ep = E.pack_padded_sequence(ember.tensor(x), lengths, batch_first, enforce_sorted)
    close(ep.data, tp.data)
    np.testing.assert_array_equal(ep.batch_sizes.numpy(), tp.batch_sizes.numpy())
    for a, b in ((ep.sorted_indices, tp.sorted_indices),
                 (ep.unsorted_indices, tp.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    (tpad, tl), (epad, el) = (R.pad_packed_sequence(tp, batch_first, -1.0, 6),
                              E.pad_packed_sequence(ep, batch_first, -1.0, 6))
    close(epad, tpad)
    np.testing.assert_array_equal(el.numpy(), tl.numpy())
    seqs = [rand((n, 2), i) for i, n in enumerate(lengths)]
    close(E.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted).data,
          R.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted).data)
    for a, s in zip(E.unpack_sequence(ep), (x.transpose(1, 0, 2) if not batch_first else x)):
        close(a, s[:a.shape[0]])


def test_pack_errors():
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        E.pack_padded_sequence(ember.zeros(4, 2, 1), [2, 4])
    with pytest.raises(RuntimeError, match="lengths must be in"):
        E.pack_padded_sequence(ember.zeros(4, 2, 1), [5, 1])


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_layers_on_packed_input_match_torch(kind, bidirectional, with_state):
    torch.manual_seed(0)
    ref = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    ours = getattr(ember.nn, kind)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x, lengths = rand((5, 3, 3), 0), [3, 5, 2]
    d = 2 if bidirectional else 1
    states = [rand((2 * d, 3, 4), 1), rand((2 * d, 3, 4), 2)]
    results = []
    for lib, mod, utils in ((ember, ours, E), (torch, ref, R)):
        inp = lib.tensor(x, requires_grad=True)
        hx = None
        if with_state:
            hs = [lib.tensor(s, requires_grad=True) for s in states]
            hx = tuple(hs) if kind == "LSTM" else hs[0]
        out, h = mod(utils.pack_padded_sequence(inp, lengths, enforce_sorted=False), hx)
        finals = list(h) if kind == "LSTM" else [h]
        loss = (out.data ** 2).sum() + sum((f * f).sum() for f in finals)
        loss.backward()
        grads = [inp.grad] + [p.grad for p in mod.parameters()]
        results.append(([out.data] + finals, grads))
    for a, b in zip(results[0][0], results[1][0]):
        close(a, b, what="output/state")
    for a, b in zip(results[0][1], results[1][1]):
        close(a, b, what="gradient")


def test_lstm_with_projection_on_packed_input():
    torch.manual_seed(0)
    ref = torch.nn.LSTM(3, 4, proj_size=2).double()
    ours = ember.nn.LSTM(3, 4, proj_size=2).double()
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x, lengths = rand((4, 2, 3), 0), [4, 2]
    to, (th, tc) = ref(R.pack_padded_sequence(torch.tensor(x), lengths))
    eo, (eh, ec) = ours(E.pack_padded_sequence(ember.tensor(x), lengths))
    close(eo.data, to.data)
    close(eh, th)
    close(ec, tc)


def test_packed_sequence_constructor_and_conversions_as_torch():
    packed = E.pack_padded_sequence(ember.tensor(rand((4, 3, 2), 0)), [2, 4, 3],
                                    enforce_sorted=False)
    rebuilt = E.PackedSequence(packed.data, packed.batch_sizes, packed.sorted_indices)
    np.testing.assert_array_equal(rebuilt.unsorted_indices.numpy(),
                                  packed.unsorted_indices.numpy())
    bare = E.PackedSequence(packed.data, packed.batch_sizes)
    assert bare.sorted_indices is None and bare.unsorted_indices is None
    assert packed.float().data.dtype == ember.float32 and not packed.is_cuda
    assert packed.double().data.dtype == ember.float64 and packed.cpu().data is not None
    assert packed.half().data.dtype == ember.float16
    assert packed.long().data.dtype == ember.int64 and packed.int().data.dtype == ember.int32
    np.testing.assert_array_equal(packed.lengths(), [2, 4, 3])


def test_fractional_windows_are_placed_in_the_input_dtype():
    # float32 arithmetic places some windows one step off float64's, as PyTorch's does.
    x = np.arange(350, dtype=np.float32).reshape(1, 1, 2, 175)
    samples = np.array([[[0.3779082, 0.5]]], np.float32)
    _, ours = ember.nn.functional.fractional_max_pool2d(
        ember.tensor(x), (1, 3), output_size=(2, 158), return_indices=True,
        _random_samples=ember.tensor(samples))
    _, ref = torch.nn.functional.fractional_max_pool2d(
        torch.tensor(x), (1, 3), output_size=(2, 158), return_indices=True,
        _random_samples=torch.tensor(samples))
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_packed_input_of_the_wrong_width_names_input_size():
    packed = E.pack_sequence([ember.zeros(3, 5), ember.zeros(2, 5)])
    with pytest.raises(RuntimeError, match="input_size. Expected 4, got 5"):
        ember.nn.LSTM(4, 3)(packed)
