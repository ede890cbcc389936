"""nn.utils: parameters_to_vector / vector_to_parameters and rnn.pad_sequence /
unpad_sequence against PyTorch."""

import numpy as np
import pytest
import torch

import ember
from reference import close, rand


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    seqs = [rand((3, 2), 0), rand((5, 2), 1), rand((1, 2), 2)]
    ours = ember.nn.utils.rnn.pad_sequence([ember.tensor(s, requires_grad=True) for s in seqs],
                                           batch_first, -1.0, side)
    ref = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first, -1.0,
                                          side)
    close(ours, ref)
    if side == "right":
        back = ember.nn.utils.rnn.unpad_sequence(ours, [3, 5, 1], batch_first)
        for a, s in zip(back, seqs):
            close(a, s)
    with pytest.raises(RuntimeError, match="trailing dimensions differ"):
        ember.nn.utils.rnn.pad_sequence([ember.zeros(2, 3), ember.zeros(2, 4)])


def test_parameters_and_vector_round_trip_as_torch():
    torch.manual_seed(0)
    ref = torch.nn.Linear(3, 2).double()
    ours = ember.nn.Linear(3, 2).double()
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    vec = ember.nn.utils.parameters_to_vector(ours.parameters())
    close(vec, torch.nn.utils.parameters_to_vector(ref.parameters()))
    new = ember.arange(8.0, dtype=ember.float64)
    ember.nn.utils.vector_to_parameters(new, ours.parameters())
    np.testing.assert_array_equal(ours.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(ours.bias.detach().numpy(), [6.0, 7.0])
    with pytest.raises(ValueError, match="8 elements"):
        ember.nn.utils.vector_to_parameters(ember.zeros(7), ours.parameters())
