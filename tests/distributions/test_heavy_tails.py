import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
import torch.distributions as TD
from dist_helpers import D, assert_moments, both
from reference import check, close

R = np.random.default_rng(11)
LOC = R.uniform(-1, 1, (3, 2))
SCALE = R.uniform(0.4, 1.5, (3, 2))
X = R.uniform(-3, 3, (3, 2))
POS = R.uniform(0.2, 3.0, (3, 2))
DF = R.uniform(0.5, 6.0, (3, 2))
U01 = R.uniform(0.05, 0.95, (3, 2))


def _props(e, t, names=("mean", "mode", "variance", "stddev")):
    for name in names:
        close(getattr(e, name), getattr(t, name), what=name)


def _same_spec(e, t):
    assert e.batch_shape == tuple(t.batch_shape) and e.event_shape == tuple(t.event_shape)
    assert repr(e.support) == repr(t.support) and e.has_rsample == t.has_rsample
    assert {k: repr(v) for k, v in e.arg_constraints.items()} == \
        {k: repr(v) for k, v in t.arg_constraints.items()}


def test_cauchy():
    check(lambda m, s, x: D(m).Cauchy(m, s).log_prob(x), LOC, SCALE, X)
    check(lambda m, s, x: D(m).Cauchy(m, s).cdf(x), LOC, SCALE, X)
    check(lambda m, s, p: D(m).Cauchy(m, s).icdf(p), LOC, SCALE, U01)
    check(lambda m, s: D(m).Cauchy(m, s).entropy(), LOC, SCALE)
    check(lambda a, b, c, e: D(a).kl_divergence(D(a).Cauchy(a, b), D(a).Cauchy(c, e)),
          LOC, SCALE, X, POS)
    e, t = both(lambda d, m, s: d.Cauchy(m, s), LOC, SCALE)
    _props(e, t, ("mean", "mode", "variance"))
    _same_spec(e, t)
    _props(e.expand((4, 3, 2)), t.expand((4, 3, 2)), ("mode",))


def test_cauchy_sampling_quartiles_and_rsample_gradient():
    ember.manual_seed(0)
    loc = ember.tensor(LOC, requires_grad=True)
    scale = ember.tensor(SCALE, requires_grad=True)
    x = ED.Cauchy(loc, scale).rsample((20000,))
    assert x.shape == (20000, 3, 2)
    xs = x.detach().numpy()
    # quartiles at loc -/+ scale; the fraction's standard error is ~0.003
    np.testing.assert_allclose((xs < LOC).mean(0), 0.5, atol=0.02)
    np.testing.assert_allclose((xs < LOC + SCALE).mean(0), 0.75, atol=0.02)
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), 20000.0)
    np.testing.assert_allclose(scale.grad.numpy(), ((xs - LOC) / SCALE).sum(0), rtol=1e-8)


def test_half_cauchy():
    check(lambda s, x: D(s).HalfCauchy(s).log_prob(x), SCALE, POS)
    check(lambda s, x: D(s).HalfCauchy(s).cdf(x), SCALE, POS)
    check(lambda s, p: D(s).HalfCauchy(s).icdf(p), SCALE, U01)
    check(lambda s: D(s).HalfCauchy(s).entropy(), SCALE)
    e, t = both(lambda d, s: d.HalfCauchy(s), SCALE)
    _props(e, t, ("mean", "mode", "variance"))
    _same_spec(e, t)
    e0 = ED.HalfCauchy(ember.tensor(SCALE), validate_args=False)
    t0 = TD.HalfCauchy(torch.tensor(SCALE), validate_args=False)
    close(e0.log_prob(ember.tensor(-POS)), t0.log_prob(torch.tensor(-POS)))
    ember.manual_seed(1)
    x = ED.HalfCauchy(ember.tensor(SCALE)).sample((20000,)).numpy()
    assert (x >= 0).all()
    np.testing.assert_allclose((x < SCALE).mean(0), 0.5, atol=0.02)  # median at scale


def test_student_t():
    check(lambda d, m, s, x: D(d).StudentT(d, m, s).log_prob(x), DF, LOC, SCALE, X)
    check(lambda d, m, s: D(d).StudentT(d, m, s).entropy(), DF, LOC, SCALE)
    df = np.array([[0.5, 1.0], [1.5, 2.0], [2.5, 7.0]])
    e, t = both(lambda d, f, m, s: d.StudentT(f, m, s), df, LOC, SCALE)
    _props(e, t)
    _same_spec(e, t)
    _props(e.expand((4, 3, 2)), t.expand((4, 3, 2)), ("variance",))
    assert ED.StudentT(3.0).batch_shape == () and ED.StudentT(3.0).loc.item() == 0.0


def test_student_t_sampling_and_rsample_gradient():
    ember.manual_seed(2)
    df = DF + 6.0
    loc = ember.tensor(LOC, requires_grad=True)
    scale = ember.tensor(SCALE, requires_grad=True)
    d = ED.StudentT(ember.tensor(df, requires_grad=True), loc, scale)
    x = d.rsample((20000,))
    assert x.shape == (20000, 3, 2)
    assert_moments(x, LOC, SCALE ** 2 * df / (df - 2), k=8)
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), 20000.0)
    np.testing.assert_allclose(scale.grad.numpy(),
                               ((x.detach().numpy() - LOC) / SCALE).sum(0), rtol=1e-8)
    assert d.df.grad is not None and np.all(np.isfinite(d.df.grad.numpy()))


def test_chi2():
    check(lambda d, x: D(d).Chi2(d).log_prob(x), DF, POS)
    check(lambda d: D(d).Chi2(d).entropy(), DF)
    # no derivative in df: as PyTorch, the incomplete gamma has none in its first argument
    check(lambda d, x: D(d).Chi2(d).cdf(x), DF, POS, grad_inputs=[1])
    e, t = both(lambda d, f: d.Chi2(f), DF)
    _props(e, t)
    _same_spec(e, t)
    close(e.df, t.df)
    ee = e.expand((4, 3, 2))
    assert type(ee) is ED.Chi2 and ee.batch_shape == (4, 3, 2)
    close(ee.df, t.expand((4, 3, 2)).df)
    close(ED.kl_divergence(e, ED.Chi2(ember.tensor(DF + 1))),
          TD.kl_divergence(t, TD.Chi2(torch.tensor(DF + 1))))
    ember.manual_seed(3)
    assert_moments(e.sample((20000,)), DF, 2 * DF, k=6)
    with pytest.raises(ValueError, match="Expected parameter df .* of distribution Chi2"):
        ED.Chi2(ember.tensor([-1.0]))


def test_fisher_snedecor():
    d1, d2 = DF + 1, DF + 5
    check(lambda a, b, x: D(a).FisherSnedecor(a, b).log_prob(x), d1, d2, POS)
    df1 = np.array([[1.0, 2.5], [3.0, 4.0], [5.0, 6.0]])
    df2 = np.array([[1.5, 3.0], [4.5, 6.0], [10.0, 2.0]])
    e, t = both(lambda d, a, b: d.FisherSnedecor(a, b), df1, df2)
    _props(e, t)
    _same_spec(e, t)
    _props(e.expand((4, 3, 2)), t.expand((4, 3, 2)), ("mean",))
    ember.manual_seed(4)
    a, b = DF + 2, R.uniform(12.0, 16.0, (3, 2))
    x = ED.FisherSnedecor(ember.tensor(a), ember.tensor(b)).sample((40000,))
    tt = TD.FisherSnedecor(torch.tensor(a), torch.tensor(b))
    assert bool((x > 0).all())
    assert_moments(x, tt.mean.numpy(), tt.variance.numpy(), k=8)
    with pytest.raises(ValueError, match="Expected parameter df2 .* of distribution "
                                         "FisherSnedecor"):
        ED.FisherSnedecor(ember.tensor([1.0]), ember.tensor([0.0]))


def test_fisher_snedecor_rsample_gradient_of_the_mean():
    # The draws are differentiable through the Gamma draws; check d mean / d df1
    # from the pathwise estimator against the analytic d/d df1 E[X] = 0 (the
    # mean df2 / (df2 - 2) does not depend on df1).
    ember.manual_seed(5)
    df1 = ember.tensor([3.0, 6.0], dtype=ember.float64, requires_grad=True)
    x = ED.FisherSnedecor(df1, ember.tensor([20.0, 20.0], dtype=ember.float64)).rsample(
        (40000,))
    x.mean(0).sum().backward()
    np.testing.assert_allclose(df1.grad.numpy(), 0.0, atol=0.02)


@pytest.mark.parametrize("name,args", [("Cauchy", (LOC, -SCALE)), ("HalfCauchy", (-SCALE,)),
                                       ("StudentT", (-DF, LOC, SCALE))])
def test_argument_errors(name, args):
    with pytest.raises(ValueError, match="Expected parameter .* to satisfy the constraint "
                                         "GreaterThan"):
        getattr(ED, name)(*[ember.tensor(a) for a in args])
    with pytest.raises(ValueError):
        getattr(TD, name)(*[torch.tensor(a) for a in args])
