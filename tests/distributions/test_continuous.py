import math

import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
from dist_helpers import D, assert_moments, both
from reference import check, close, rand

LOC = rand((3, 2), seed=1)
SCALE = rand((3, 2), seed=2, positive=True)
X = rand((3, 2), seed=3)
POS = rand((3, 2), seed=4, positive=True)
U01 = np.random.default_rng(5).uniform(0.05, 0.95, (3, 2))


# ---- Normal ------------------------------------------------------------------------

def test_normal_log_prob_cdf_icdf_entropy():
    check(lambda m, s, x: D(m).Normal(m, s).log_prob(x), LOC, SCALE, X)
    check(lambda m, s, x: D(m).Normal(m, s).cdf(x), LOC, SCALE, X)
    check(lambda m, s, p: D(m).Normal(m, s).icdf(p), LOC, SCALE, U01)
    check(lambda m, s: D(m).Normal(m, s).entropy(), LOC, SCALE)


def test_normal_moments_shapes_expand():
    e, t = both(lambda d, m, s: d.Normal(m, s), LOC, SCALE)
    for name in ("mean", "mode", "variance", "stddev"):
        close(getattr(e, name), getattr(t, name), what=name)
    assert e.batch_shape == tuple(t.batch_shape) == (3, 2) and e.event_shape == ()
    ee, te = e.expand((4, 3, 2)), t.expand((4, 3, 2))
    assert ee.batch_shape == (4, 3, 2)
    close(ee.log_prob(ember.tensor(X)), te.log_prob(torch.tensor(X)))
    assert ED.Normal(0.0, 1.0).batch_shape == ()
    assert ED.Normal(0.0, 1.0).loc.dtype == ember.get_default_dtype()


@pytest.mark.parametrize("shape", [(), (5,), (2, 4)])
def test_normal_sample_shapes(shape):
    d = ED.Normal(ember.tensor(LOC), ember.tensor(SCALE))
    s = d.sample(shape)
    assert s.shape == tuple(shape) + (3, 2) and s.dtype == ember.float64
    assert not s.requires_grad


def test_normal_sample_moments():
    ember.manual_seed(0)
    d = ED.Normal(ember.tensor(LOC), ember.tensor(SCALE))
    assert_moments(d.sample((20000,)), LOC, SCALE ** 2)


def test_normal_rsample_reparametrisation():
    ember.manual_seed(1)
    loc = ember.tensor(LOC, requires_grad=True)
    scale = ember.tensor(SCALE, requires_grad=True)
    x = ED.Normal(loc, scale).rsample((7,))
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), np.full(LOC.shape, 7.0))
    eps = (x.detach().numpy() - LOC) / SCALE
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0), rtol=1e-10)


def test_kl_normal_normal():
    check(lambda a, b, c, d: D(a).kl_divergence(D(a).Normal(a, b), D(a).Normal(c, d)),
          LOC, SCALE, X, POS)


# ---- Uniform -----------------------------------------------------------------------

LOW, HIGH = LOC, LOC + SCALE


def test_uniform_everything():
    inside = LOW + U01 * (HIGH - LOW)
    check(lambda lo, hi, x: D(lo).Uniform(lo, hi).log_prob(x), LOW, HIGH, inside)
    check(lambda lo, hi, x: D(lo).Uniform(lo, hi).cdf(x), LOW, HIGH, inside)
    check(lambda lo, hi, p: D(lo).Uniform(lo, hi).icdf(p), LOW, HIGH, U01)
    check(lambda lo, hi: D(lo).Uniform(lo, hi).entropy(), LOW, HIGH)
    e, t = both(lambda d, lo, hi: d.Uniform(lo, hi), LOW, HIGH)
    for name in ("mean", "mode", "variance", "stddev"):
        close(getattr(e, name), getattr(t, name), what=name)
    assert repr(ED.Uniform(0.0, 1.0).support) == repr(torch.distributions.Uniform(0., 1.).support)


def test_uniform_log_prob_outside_without_validation():
    e, t = both(lambda d, lo, hi: d.Uniform(lo, hi, validate_args=False), LOW, HIGH)
    x = HIGH + 1.0
    close(e.log_prob(ember.tensor(x)), t.log_prob(torch.tensor(x)))


def test_uniform_sample_and_rsample():
    ember.manual_seed(2)
    lo = ember.tensor(LOW, requires_grad=True)
    hi = ember.tensor(HIGH, requires_grad=True)
    d = ED.Uniform(lo, hi)
    x = d.rsample((20000,))
    assert x.shape == (20000, 3, 2)
    assert_moments(x, (LOW + HIGH) / 2, (HIGH - LOW) ** 2 / 12)
    x.sum().backward()
    u = (x.detach().numpy() - LOW) / (HIGH - LOW)
    np.testing.assert_allclose(hi.grad.numpy(), u.sum(0), rtol=1e-9)
    np.testing.assert_allclose(lo.grad.numpy(), (1 - u).sum(0), rtol=1e-9)
    s = d.sample()
    assert s.shape == (3, 2) and not s.requires_grad


def test_kl_uniform_uniform():
    check(lambda a, b, c, d: D(a).kl_divergence(D(a).Uniform(a, b), D(a).Uniform(c, d)),
          LOW, HIGH, LOW - 0.5, HIGH + 0.5)
    e, t = both(lambda d, a, b, c, e: d.kl_divergence(d.Uniform(a, b), d.Uniform(c, e)),
                LOW, HIGH, LOW + 0.1, HIGH)
    close(e, t)


def test_uniform_errors():
    with pytest.raises(ValueError, match="Expected parameter low .* of distribution Uniform.*"
                                         "LessThan"):
        ED.Uniform(ember.tensor([1.0]), ember.tensor([0.0]))


# ---- Exponential, Laplace ----------------------------------------------------------

def test_exponential_everything():
    check(lambda r, x: D(r).Exponential(r).log_prob(x), SCALE, POS)
    check(lambda r, x: D(r).Exponential(r).cdf(x), SCALE, POS)
    check(lambda r, p: D(r).Exponential(r).icdf(p), SCALE, U01)
    check(lambda r: D(r).Exponential(r).entropy(), SCALE)
    check(lambda a, b: D(a).kl_divergence(D(a).Exponential(a), D(a).Exponential(b)), SCALE, POS)
    e, t = both(lambda d, r: d.Exponential(r), SCALE)
    for name in ("mean", "mode", "variance", "stddev"):
        close(getattr(e, name), getattr(t, name), what=name)
    close(e.expand((2, 3, 2)).mean, t.expand((2, 3, 2)).mean)


def test_exponential_sampling():
    ember.manual_seed(3)
    rate = ember.tensor(SCALE, requires_grad=True)
    x = ED.Exponential(rate).rsample((20000,))
    assert x.shape == (20000, 3, 2) and x.dtype == ember.float64
    assert_moments(x, 1 / SCALE, SCALE ** -2)
    x.sum().backward()  # x = e / rate: dx/drate = -x / rate
    np.testing.assert_allclose(rate.grad.numpy(), (-x.detach().numpy() / SCALE).sum(0),
                               rtol=1e-9)


def test_laplace_everything():
    check(lambda m, s, x: D(m).Laplace(m, s).log_prob(x), LOC, SCALE, X)
    check(lambda m, s, x: D(m).Laplace(m, s).cdf(x), LOC, SCALE, X)
    check(lambda m, s, p: D(m).Laplace(m, s).icdf(p), LOC, SCALE, U01)
    check(lambda m, s: D(m).Laplace(m, s).entropy(), LOC, SCALE)
    check(lambda a, b, c, d: D(a).kl_divergence(D(a).Laplace(a, b), D(a).Laplace(c, d)),
          LOC, SCALE, X, POS)
    e, t = both(lambda d, m, s: d.Laplace(m, s), LOC, SCALE)
    for name in ("mean", "mode", "variance", "stddev"):
        close(getattr(e, name), getattr(t, name), what=name)


def test_laplace_sampling():
    ember.manual_seed(4)
    loc = ember.tensor(LOC, requires_grad=True)
    scale = ember.tensor(SCALE, requires_grad=True)
    x = ED.Laplace(loc, scale).rsample((20000,))
    assert x.shape == (20000, 3, 2)
    assert_moments(x, LOC, 2 * SCALE ** 2, k=6)
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), np.full(LOC.shape, 20000.0))
    np.testing.assert_allclose(scale.grad.numpy(), ((x.detach().numpy() - LOC) / SCALE).sum(0),
                               rtol=1e-8)


# ---- validation messages -----------------------------------------------------------

def test_normal_bad_scale_message():
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(2,\)\) "
                                         r"of distribution Normal.*GreaterThan\(lower_bound=0.0\)"):
        ED.Normal(ember.tensor([0.0, 1.0]), ember.tensor([1.0, -1.0]))


def test_normal_nan_loc_message():
    with pytest.raises(ValueError, match=r"Expected parameter loc .*constraint Real\(\)"):
        ED.Normal(ember.tensor([math.nan]), ember.tensor([1.0]))


def test_validate_args_false_skips_checks():
    d = ED.Normal(ember.tensor([0.0]), ember.tensor([-1.0]), validate_args=False)
    assert d.scale.item() == -1.0


def test_value_outside_support_message():
    with pytest.raises(ValueError, match=r"Expected value argument \(Tensor of shape \(1,\)\) to "
                                         r"be within the support \(GreaterThanEq\(lower_bound"
                                         r"=0.0\)\) of the distribution Exponential"):
        ED.Exponential(ember.tensor([1.0])).log_prob(ember.tensor([-1.0]))


def test_value_not_tensor_message():
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        ED.Normal(0.0, 1.0).log_prob(0.5)


def test_value_not_broadcastable_message():
    with pytest.raises(ValueError, match=r"Value is not broadcastable with "
                                         r"batch_shape\+event_shape: \(4,\) vs \(3, 2\)"):
        ED.Normal(ember.tensor(LOC), ember.tensor(SCALE)).log_prob(ember.zeros(4))


def test_broadcast_all_bad_type_message():
    with pytest.raises(ValueError, match="must all be instances of numbers.Number or "
                                         "ember.Tensor, got str"):
        ED.Normal("a", 1.0)
