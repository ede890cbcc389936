"""ember.nn.init: bounds and moments of each initialiser, gains and fans equal torch's."""

import math

import numpy as np
import pytest
import torch

import ember
from ember.nn import init
from ember.nn.parameter import Parameter


def _param(*shape):
    return Parameter(ember.empty(*shape))


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("name,param", [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
    ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
    ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
    ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (4, 3, 2, 2)])
def test_fans_match_torch(shape):
    got = init._calculate_fan_in_and_fan_out(ember.empty(*shape))
    assert got == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError, match="fewer than 2"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))


def test_uniform_normal_constant_on_parameters():
    p = _param(200, 100)
    assert init.uniform_(p, -2, 3) is p and p.requires_grad and p.grad_fn is None
    a = _np(p)
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.05
    init.normal_(p, 1.0, 2.0)
    assert abs(_np(p).mean() - 1) < 0.05 and abs(_np(p).std() - 2) < 0.05
    init.constant_(p, 0.3)
    assert np.all(_np(p) == np.float32(0.3))
    init.ones_(p)
    assert np.all(_np(p) == 1)
    init.zeros_(p)
    assert np.all(_np(p) == 0)


def test_generator_makes_fills_reproducible():
    a, b = _param(10, 10), _param(10, 10)
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
               init.trunc_normal_, init.orthogonal_):
        fn(a, generator=ember.Generator().manual_seed(3))
        fn(b, generator=ember.Generator().manual_seed(3))
        np.testing.assert_array_equal(_np(a), _np(b), err_msg=fn.__name__)


def test_xavier_bounds_and_std():
    p = _param(300, 200)
    bound = math.sqrt(6 / 500) * 2.0
    init.xavier_uniform_(p, gain=2.0)
    assert np.abs(_np(p)).max() <= bound and np.abs(_np(p)).max() > 0.95 * bound
    init.xavier_normal_(p, gain=2.0)
    assert abs(_np(p).std() - 2.0 * math.sqrt(2 / 500)) < 0.01 * 2.0 * math.sqrt(2 / 500) * 5


@pytest.mark.parametrize("mode,fan", [("fan_in", 200 * 9), ("fan_out", 30 * 9)])
def test_kaiming_bounds_and_std(mode, fan):
    p = _param(30, 200, 3, 3)
    init.kaiming_uniform_(p, a=0.1, mode=mode, nonlinearity="leaky_relu")
    gain = math.sqrt(2 / (1 + 0.01))
    bound = gain * math.sqrt(3 / fan)
    assert np.abs(_np(p)).max() <= bound and np.abs(_np(p)).max() > 0.95 * bound
    init.kaiming_normal_(p, mode=mode, nonlinearity="relu")
    assert abs(_np(p).std() / (math.sqrt(2) / math.sqrt(fan)) - 1) < 0.03
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(p, mode="fan_avg")


def test_kaiming_uniform_sqrt5_is_linear_default():
    # Linear's reset: kaiming_uniform_(a=sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    p = _param(500, 64)
    init.kaiming_uniform_(p, a=math.sqrt(5))
    assert np.abs(_np(p)).max() <= 1 / 8 and np.abs(_np(p)).max() > 0.99 / 8


@pytest.mark.parametrize("mean,std,a,b", [(0, 1, -2, 2), (0.5, 2, 0, 1), (0, 1, 1.5, 2.5)])
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    p = _param(20000)
    init.trunc_normal_(p, mean, std, a, b)
    x = _np(p).astype(np.float64)
    assert x.min() >= a and x.max() <= b
    # Moments of the truncated normal, from torch's own sampler as reference.
    ref = torch.nn.init.trunc_normal_(torch.empty(20000, dtype=torch.float64), mean, std, a, b)
    assert abs(x.mean() - ref.mean().item()) < 0.03 * (b - a)
    assert abs(x.std() - ref.std().item()) < 0.03 * (b - a)


def test_eye_and_dirac_match_torch():
    np.testing.assert_array_equal(_np(init.eye_(_param(3, 5))), torch.nn.init.eye_(
        torch.empty(3, 5)).numpy())
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 1, 3, 3), 1)]:
        np.testing.assert_array_equal(
            _np(init.dirac_(_param(*shape), groups)),
            torch.nn.init.dirac_(torch.empty(*shape), groups).numpy())
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(_param(3))
    with pytest.raises(ValueError, match="3, 4, or 5"):
        init.dirac_(_param(3, 3))


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)])
def test_orthogonal(shape):
    p = init.orthogonal_(_param(*shape), gain=2.0)
    w = _np(p).reshape(shape[0], -1).astype(np.float64) / 2.0
    small = min(w.shape)
    gram = w @ w.T if w.shape[0] == small else w.T @ w
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)


def test_sparse():
    p = init.sparse_(_param(10, 6), sparsity=0.3, std=0.5)
    zeros_per_column = (_np(p) == 0).sum(0)
    assert np.all(zeros_per_column >= 3)
