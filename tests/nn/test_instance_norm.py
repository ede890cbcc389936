"""InstanceNorm1d/2d/3d and instance_norm against PyTorch: outputs, gradients,
running statistics, eval mode, state_dict names, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF
from reference import check, close, rand


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("track", [False, True])
@pytest.mark.parametrize("batched", [True, False])
def test_instance_norm_layers_match_torch(dims, affine, track, batched):
    name = f"InstanceNorm{dims}d"
    ref = getattr(torch.nn, name)(3, affine=affine, track_running_stats=track).double()
    ours = getattr(ember.nn, name)(3, affine=affine, track_running_stats=track).double()
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert repr(ours) == repr(ref)
    if affine:
        with torch.no_grad():
            ref.weight.uniform_(0.5, 1.5)
            ref.bias.uniform_(-0.5, 0.5)
        ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    shape = ((2,) if batched else ()) + (3,) + (4,) * dims
    for step in range(2):
        check(lambda x: (ours if isinstance(x, ember.Tensor) else ref)(x), rand(shape, step))
    for (k, a), b in zip(ours.state_dict().items(), ref.state_dict().values()):
        close(a, b, what=k)
    ours.eval(), ref.eval()
    check(lambda x: (ours if isinstance(x, ember.Tensor) else ref)(x), rand(shape, 5))


def test_instance_norm_function_with_running_stats_in_eval():
    x = rand((2, 3, 5), 0)
    rm, rv = rand((3,), 1), rand((3,), 2, 0.5, 1.5)
    check(lambda t, m, v: (EF if isinstance(t, ember.Tensor) else TF).instance_norm(
        t, m.detach(), v.detach(), use_input_stats=False), x, rm, rv, grad_inputs=[0])


def test_errors():
    with pytest.raises(ValueError, match="expected 3D or 4D input"):
        ember.nn.InstanceNorm2d(3)(ember.zeros(3, 4))
    with pytest.raises(ValueError, match="to match num_features"):
        ember.nn.InstanceNorm1d(4, affine=True)(ember.zeros(2, 3, 5))
    with pytest.warns(UserWarning, match="does not match num_features"):
        ember.nn.InstanceNorm1d(4)(ember.tensor(np.random.rand(2, 3, 5)))


def test_one_position_per_channel_is_refused_in_training():
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        ember.nn.InstanceNorm1d(3)(ember.randn(2, 3, 1))
