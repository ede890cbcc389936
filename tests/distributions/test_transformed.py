import math

import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
import torch.distributions as TD
from dist_helpers import D, assert_moments, both
from reference import check, close

R = np.random.default_rng(7)
LOC = R.uniform(-1, 1, (3, 2))
SCALE = R.uniform(0.4, 1.5, (3, 2))
C1 = R.uniform(1.2, 3.0, (3, 2))
C2 = R.uniform(1.2, 3.0, (3, 2))
POS = R.uniform(0.2, 3.0, (3, 2))
U01 = R.uniform(0.05, 0.95, (3, 2))


def _props(e, t, names=("mean", "mode", "variance", "stddev")):
    for name in names:
        close(getattr(e, name), getattr(t, name), what=name)


def _shapes_and_support(e, t):
    assert e.batch_shape == tuple(t.batch_shape) and e.event_shape == tuple(t.event_shape)
    if ED.constraints.is_dependent(type(e).__dict__.get("support")):
        assert type(e.support).__name__ == type(t.support).__name__
    else:
        assert repr(e.support) == repr(t.support)
    assert e.has_rsample == t.has_rsample
    assert set(e.arg_constraints) == set(t.arg_constraints)
    for k in e.arg_constraints:
        assert repr(e.arg_constraints[k]) == repr(t.arg_constraints[k]), k


# ---- TransformedDistribution --------------------------------------------------------

def test_transformed_log_prob_cdf_icdf_with_decreasing_chain():
    def make(d, m, s):
        return d.TransformedDistribution(d.Normal(m, s), [d.AffineTransform(1.0, -2.0),
                                                          d.ExpTransform()])

    check(lambda m, s, x: make(D(m), m, s).log_prob(x), LOC, SCALE, POS)
    check(lambda m, s, x: make(D(m), m, s).cdf(x), LOC, SCALE, POS)
    check(lambda m, s, p: make(D(m), m, s).icdf(p), LOC, SCALE, U01)
    e, t = both(make, LOC, SCALE)
    _shapes_and_support(e, t)
    ee, te = e.expand((4, 3, 2)), t.expand((4, 3, 2))
    assert ee.batch_shape == (4, 3, 2)
    close(ee.log_prob(ember.tensor(POS)), te.log_prob(torch.tensor(POS)))


def test_transformed_vector_event_and_broadcasting_transform():
    # a transform with batched parameters broadcasts the base batch
    loc = R.uniform(-1, 1, (4,))

    def make(d, m, s, shift):
        return d.TransformedDistribution(d.Normal(m, s), d.AffineTransform(shift, 2.0))

    e, t = both(make, LOC[0], SCALE[0], np.stack([loc[:2], loc[2:]]))
    assert e.batch_shape == tuple(t.batch_shape) == (2, 2)
    check(lambda m, s, sh, x: make(D(m), m, s, sh).log_prob(x), LOC[0], SCALE[0],
          np.stack([loc[:2], loc[2:]]), LOC[:2])
    # event dims: stick breaking over a Normal batch makes an event of 3
    e, t = both(lambda d, m, s: d.TransformedDistribution(d.Normal(m, s),
                                                          d.StickBreakingTransform()),
                LOC, SCALE)
    _shapes_and_support(e, t)
    assert e.event_shape == (3,) and e.batch_shape == (3,)
    y = t.sample((5,)).numpy()
    close(e.log_prob(ember.tensor(y)), t.log_prob(torch.tensor(y)))


def test_transformed_rsample_gradient_and_errors():
    ember.manual_seed(0)
    m = ember.tensor(LOC, requires_grad=True)
    d = ED.TransformedDistribution(ED.Normal(m, ember.tensor(SCALE)), [ED.ExpTransform()])
    x = d.rsample((5,))
    assert x.shape == (5, 3, 2) and bool((x > 0).all())
    x.sum().backward()
    np.testing.assert_allclose(m.grad.numpy(), x.detach().numpy().sum(0), rtol=1e-10)
    assert not d.sample().requires_grad
    with pytest.raises(ValueError, match="transforms must be a Transform or a list"):
        ED.TransformedDistribution(ED.Normal(0.0, 1.0), "exp")
    with pytest.raises(ValueError, match="base_distribution needs to have shape with size at "
                                         "least 1"):
        ED.TransformedDistribution(ED.Normal(0.0, 1.0), ED.StickBreakingTransform())
    with pytest.raises(ValueError, match="Expected value argument"):
        d.log_prob(ember.tensor(-POS))


def test_kl_transformed_transformed():
    def kl(a, b, c, e):
        d = D(a)
        p = d.TransformedDistribution(d.Normal(a, b), [d.ExpTransform()])
        q = d.TransformedDistribution(d.Normal(c, e), [d.ExpTransform()])
        return d.kl_divergence(p, q)

    check(kl, LOC, SCALE, POS, C1)
    p = ED.TransformedDistribution(ED.Normal(0.0, 1.0), [ED.ExpTransform()])
    q = ED.TransformedDistribution(ED.Normal(0.0, 1.0), [ED.SigmoidTransform()])
    with pytest.raises(NotImplementedError, match="different transforms"):
        ED.kl_divergence(p, q)


# ---- LogNormal, HalfNormal, LogisticNormal --------------------------------------------

def test_lognormal():
    check(lambda m, s, x: D(m).LogNormal(m, s).log_prob(x), LOC, SCALE, POS)
    check(lambda m, s, x: D(m).LogNormal(m, s).cdf(x), LOC, SCALE, POS)
    check(lambda m, s, p: D(m).LogNormal(m, s).icdf(p), LOC, SCALE, U01)
    check(lambda m, s: D(m).LogNormal(m, s).entropy(), LOC, SCALE)
    check(lambda a, b, c, e: D(a).kl_divergence(D(a).LogNormal(a, b), D(a).LogNormal(c, e)),
          LOC, SCALE, POS, C1)
    e, t = both(lambda d, m, s: d.LogNormal(m, s), LOC, SCALE)
    _props(e, t)
    _shapes_and_support(e, t)
    _props(e.expand((2, 3, 2)), t.expand((2, 3, 2)), ("mean",))
    assert type(e.expand((2, 3, 2))) is ED.LogNormal
    ember.manual_seed(1)
    loc = ember.tensor(LOC * 0.3, requires_grad=True)
    scale = ember.tensor(SCALE * 0.3, requires_grad=True)
    x = ED.LogNormal(loc, scale).rsample((20000,))
    dt = TD.LogNormal(torch.tensor(LOC * 0.3), torch.tensor(SCALE * 0.3))
    assert_moments(x, dt.mean.numpy(), dt.variance.numpy(), k=6)
    x.sum().backward()
    xs = x.detach().numpy()
    eps = (np.log(xs) - LOC * 0.3) / (SCALE * 0.3)
    np.testing.assert_allclose(loc.grad.numpy(), xs.sum(0), rtol=1e-9)
    np.testing.assert_allclose(scale.grad.numpy(), (xs * eps).sum(0), rtol=1e-8)
    with pytest.raises(ValueError, match="Expected parameter scale .* to satisfy the "
                                         "constraint GreaterThan"):
        ED.LogNormal(ember.tensor([0.0]), ember.tensor([-1.0]))


def test_halfnormal():
    check(lambda s, x: D(s).HalfNormal(s).log_prob(x), SCALE, POS)
    check(lambda s, x: D(s).HalfNormal(s).cdf(x), SCALE, POS)
    check(lambda s, p: D(s).HalfNormal(s).icdf(p), SCALE, U01)
    check(lambda s: D(s).HalfNormal(s).entropy(), SCALE)
    check(lambda a, b: D(a).kl_divergence(D(a).HalfNormal(a), D(a).HalfNormal(b)), SCALE, POS)
    e, t = both(lambda d, s: d.HalfNormal(s), SCALE)
    _props(e, t)
    _shapes_and_support(e, t)
    e0 = ED.HalfNormal(ember.tensor(SCALE), validate_args=False)
    t0 = TD.HalfNormal(torch.tensor(SCALE), validate_args=False)
    close(e0.log_prob(ember.tensor(-POS)), t0.log_prob(torch.tensor(-POS)))
    ember.manual_seed(2)
    s = ember.tensor(SCALE, requires_grad=True)
    x = ED.HalfNormal(s).rsample((20000,))
    assert bool((x >= 0).all())
    assert_moments(x, t.mean.numpy(), t.variance.numpy(), k=6)
    x.sum().backward()  # x = scale |eps|
    np.testing.assert_allclose(s.grad.numpy(), (x.detach().numpy() / SCALE).sum(0), rtol=1e-9)


def test_logistic_normal():
    loc, scale = R.uniform(-1, 1, (2, 3)), R.uniform(0.5, 1.5, (2, 3))
    y = R.dirichlet(np.ones(4), 2)
    check(lambda m, s, x: D(m).LogisticNormal(m, s).log_prob(x), loc, scale, y)
    e, t = both(lambda d, m, s: d.LogisticNormal(m, s), loc, scale)
    _shapes_and_support(e, t)
    assert e.event_shape == (4,)
    close(e.loc, t.loc)
    ee, te = e.expand((5, 2)), t.expand((5, 2))
    assert ee.batch_shape == (5, 2)
    close(ee.log_prob(ember.tensor(y)), te.log_prob(torch.tensor(y)))
    x = ED.LogisticNormal(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 1.0])).sample((7,))
    assert x.shape == (7, 3) and bool(ED.constraints.simplex.check(x).all())


# ---- Gumbel, Weibull, Pareto, Kumaraswamy ---------------------------------------------

def test_gumbel():
    check(lambda m, s, x: D(m).Gumbel(m, s).log_prob(x), LOC, SCALE, POS)
    check(lambda m, s, x: D(m).Gumbel(m, s).cdf(x), LOC, SCALE, POS)
    check(lambda m, s, p: D(m).Gumbel(m, s).icdf(p), LOC, SCALE, U01)
    check(lambda m, s: D(m).Gumbel(m, s).entropy(), LOC, SCALE)
    check(lambda a, b, c, e: D(a).kl_divergence(D(a).Gumbel(a, b), D(a).Gumbel(c, e)),
          LOC, SCALE, POS, C1)
    e, t = both(lambda d, m, s: d.Gumbel(m, s), LOC, SCALE)
    _props(e, t)
    _shapes_and_support(e, t)
    _props(e.expand((2, 3, 2)), t.expand((2, 3, 2)), ("mean",))
    assert ED.Gumbel(0.0, 1.0).batch_shape == ()
    ember.manual_seed(3)
    x = ED.Gumbel(ember.tensor(LOC), ember.tensor(SCALE)).sample((20000,))
    assert_moments(x, t.mean.numpy(), t.variance.numpy(), k=6)


def test_weibull():
    check(lambda s, c, x: D(s).Weibull(s, c).log_prob(x), SCALE, C1, POS)
    check(lambda s, c, x: D(s).Weibull(s, c).cdf(x), SCALE, C1, POS)
    check(lambda s, c: D(s).Weibull(s, c).entropy(), SCALE, C1)
    e, t = both(lambda d, s, c: d.Weibull(s, c), SCALE, C1)
    _props(e, t)
    _shapes_and_support(e, t)
    _props(e.expand((2, 3, 2)), t.expand((2, 3, 2)), ("mean", "variance"))
    # concentration <= 1: the density decreases from 0, so the mode is 0
    close(ED.Weibull(ember.tensor([2.0]), ember.tensor([0.5])).mode, np.array([0.0]))
    ember.manual_seed(4)
    s = ember.tensor(SCALE, requires_grad=True)
    x = ED.Weibull(s, ember.tensor(C1)).rsample((20000,))
    assert_moments(x, t.mean.numpy(), t.variance.numpy(), k=6)
    x.sum().backward()  # x = scale * E ** (1 / c)
    np.testing.assert_allclose(s.grad.numpy(), (x.detach().numpy() / SCALE).sum(0), rtol=1e-9)


def test_pareto():
    x = SCALE + POS
    check(lambda s, a, v: D(s).Pareto(s, a).log_prob(v), SCALE, C1, x)
    check(lambda s, a, v: D(s).Pareto(s, a).cdf(v), SCALE, C1, x)
    check(lambda s, a, p: D(s).Pareto(s, a).icdf(p), SCALE, C1, U01)
    check(lambda s, a: D(s).Pareto(s, a).entropy(), SCALE, C1)
    check(lambda a, b, c, e: D(a).kl_divergence(D(a).Pareto(a, b), D(a).Pareto(c, e)),
          SCALE + 1, C1, SCALE, C2)
    e, t = both(lambda d, s, a: d.Pareto(s, a), SCALE, C1 + 1.5)
    _props(e, t)
    _shapes_and_support(e, t)
    e, t = both(lambda d, s, a: d.Pareto(s, a), SCALE, np.array([[0.5, 1.5], [2.5, 3.0],
                                                                  [1.0, 2.0]]))
    _props(e, t, ("mean", "variance"))
    e, t = both(lambda d, a, b, c, e: d.kl_divergence(d.Pareto(a, b), d.Pareto(c, e)),
                SCALE, C1, SCALE + 1, C2)
    close(e, t)
    ember.manual_seed(5)
    a = C1 + 3.0
    x = ED.Pareto(ember.tensor(SCALE), ember.tensor(a)).sample((40000,))
    assert bool((x >= ember.tensor(SCALE)).all())
    assert_moments(x, a * SCALE / (a - 1), SCALE ** 2 * a / ((a - 1) ** 2 * (a - 2)), k=8)
    with pytest.raises(ValueError,
                       match=r"(?s)Expected value argument .*support \(GreaterThanEq"):
        ED.Pareto(ember.tensor(SCALE), ember.tensor(C1)).log_prob(ember.tensor(SCALE - 0.1))


def test_kumaraswamy():
    check(lambda a, b, x: D(a).Kumaraswamy(a, b).log_prob(x), C1, C2, U01)
    check(lambda a, b: D(a).Kumaraswamy(a, b).entropy(), C1, C2)
    e, t = both(lambda d, a, b: d.Kumaraswamy(a, b), C1, C2)
    _props(e, t, ("mean", "variance"))
    _shapes_and_support(e, t)
    # mode: where the density's derivative vanishes
    a, b = ember.tensor(C1), ember.tensor(C2)
    mode = ember.tensor(e.mode.numpy(), requires_grad=True)
    ED.Kumaraswamy(a, b).log_prob(mode).sum().backward()
    np.testing.assert_allclose(mode.grad.numpy(), 0.0, atol=1e-9)
    assert np.isnan(ED.Kumaraswamy(ember.tensor([0.5]), ember.tensor([2.0])).mode.item())
    ember.manual_seed(6)
    c1 = ember.tensor(C1, requires_grad=True)
    x = ED.Kumaraswamy(c1, ember.tensor(C2)).rsample((20000,))
    assert_moments(x, t.mean.numpy(), t.variance.numpy(), k=6)
    x.sum().backward()  # x = (1 - u ** (1/b)) ** (1/a): dx/da = -x log(x) / a
    xs = x.detach().numpy()
    np.testing.assert_allclose(c1.grad.numpy(), (-xs * np.log(xs) / C1).sum(0), rtol=1e-8)


@pytest.mark.parametrize("name,args", [("Gumbel", (LOC, -SCALE)), ("Weibull", (-SCALE, C1)),
                                       ("Pareto", (SCALE, -C1)), ("Kumaraswamy", (-C1, C2)),
                                       ("HalfNormal", (-SCALE,))])
def test_argument_validation(name, args):
    # as in PyTorch, a family built on a base distribution may report the base's name
    with pytest.raises(ValueError, match="Expected parameter .* to satisfy the constraint "
                                         "GreaterThan"):
        getattr(ED, name)(*[ember.tensor(a) for a in args])
    with pytest.raises(ValueError):
        getattr(TD, name)(*[torch.tensor(a) for a in args])
    getattr(ED, name)(*[ember.tensor(a) for a in args], validate_args=False)


def test_gumbel_cdf_is_exp_exp():
    d = ED.Gumbel(ember.tensor(0.5, dtype=ember.float64), ember.tensor(2.0, dtype=ember.float64))
    x = 1.3
    np.testing.assert_allclose(d.cdf(ember.tensor(x, dtype=ember.float64)).item(),
                               math.exp(-math.exp(-(x - 0.5) / 2.0)), rtol=1e-12)
