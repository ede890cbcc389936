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
    ember.nn.utils.vector_to_parameters(ember.arange(10.0, dtype=ember.float64),
                                        ours.parameters())  # extra entries ignored, as torch
    with pytest.raises(ValueError, match="at least 8 elements"):
        ember.nn.utils.vector_to_parameters(ember.zeros(7), ours.parameters())


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("build,shape", [
    (lambda lib: lib.nn.Linear(3, 2), (4, 3)),
    (lambda lib: lib.nn.Conv2d(2, 4, 3), (1, 2, 5, 5)),
])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(build, shape, dim):
    torch.manual_seed(0)
    ref, ours = build(torch).double(), build(ember).double()
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    torch.nn.utils.weight_norm(ref, dim=dim)
    ember.nn.utils.weight_norm(ours, dim=dim)
    assert list(ours.state_dict()) == list(ref.state_dict())
    x = rand(shape, 0)
    for step in range(2):  # the weight is rebuilt from g and v before every forward
        a, b = ours(ember.tensor(x)), ref(torch.tensor(x))
        close(a, b)
        (a ** 2).sum().backward()
        (b ** 2).sum().backward()
        for name in ("weight_g", "weight_v"):
            close(getattr(ours, name).grad, getattr(ref, name).grad, what=name)
        with torch.no_grad():
            ref.weight_g.mul_(1.5)
        ours.weight_g.data = ours.weight_g.data * 1.5
    ember.nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    close(ours.weight, ref.weight)


def test_weight_norm_errors():
    m = ember.nn.Linear(3, 2)
    with pytest.warns(FutureWarning):
        ember.nn.utils.weight_norm(m)
    with pytest.raises(RuntimeError, match="two weight_norm hooks"):
        ember.nn.utils.weight_norm(m)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found"):
        ember.nn.utils.remove_weight_norm(m, "bias")


@pytest.mark.parametrize("build,shape", [
    (lambda lib: lib.nn.Linear(3, 2), (4, 3)),
    (lambda lib: lib.nn.Conv2d(2, 4, 3), (1, 2, 5, 5)),
    (lambda lib: lib.nn.ConvTranspose2d(2, 4, 3), (1, 2, 4, 4)),
])
def test_spectral_norm_matches_torch(build, shape):
    torch.manual_seed(0)
    ref, ours = build(torch).double(), build(ember).double()
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    torch.nn.utils.spectral_norm(ref, n_power_iterations=2)
    ember.nn.utils.spectral_norm(ours, n_power_iterations=2)
    assert list(ours.state_dict()) == list(ref.state_dict())
    # u and v start random: take torch's, then both iterate alike.
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = rand(shape, 0)
    for _ in range(3):
        a, b = ours(ember.tensor(x)), ref(torch.tensor(x))
        close(a, b)
        (a ** 2).sum().backward()
        (b ** 2).sum().backward()
        close(ours.weight_orig.grad, ref.weight_orig.grad)
        close(ours.weight_u, ref.weight_u)
    ours.eval(), ref.eval()
    close(ours(ember.tensor(x)), ref(torch.tensor(x)))
    ember.nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    close(ours.weight, ref.weight)


def test_spectral_norm_errors():
    m = ember.nn.utils.spectral_norm(ember.nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="two spectral_norm hooks"):
        ember.nn.utils.spectral_norm(m)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        ember.nn.utils.spectral_norm(ember.nn.Linear(3, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found"):
        ember.nn.utils.remove_spectral_norm(m, "bias")
