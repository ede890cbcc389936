import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
import torch.distributions as TD
from dist_helpers import D, assert_moments, both
from reference import check, close

R = np.random.default_rng(21)
P = R.uniform(0.1, 0.9, (3, 2))
LOGITS = R.uniform(-2, 2, (3, 2))
COUNTS = R.integers(0, 6, (3, 2)).astype(np.float64)
TOTAL = R.uniform(0.5, 5.0, (3, 2))
PROBS4 = R.dirichlet(np.ones(4), 2)
TEMP = np.array(0.7)


def _props(e, t, names=("mean", "mode", "variance", "stddev")):
    for name in names:
        close(getattr(e, name), getattr(t, name), what=name)


def _same_spec(e, t):
    assert e.batch_shape == tuple(t.batch_shape) and e.event_shape == tuple(t.event_shape)
    assert type(e.support).__name__ == type(t.support).__name__
    assert e.has_rsample == t.has_rsample
    assert {k: repr(v) for k, v in e.arg_constraints.items()} == \
        {k: repr(v) for k, v in t.arg_constraints.items()}


# ---- Geometric, NegativeBinomial ---------------------------------------------------------

def test_geometric():
    check(lambda p, k: D(p).Geometric(p).log_prob(k), P, COUNTS, grad_inputs=[0])
    check(lambda lg, k: D(lg).Geometric(logits=lg).log_prob(k), LOGITS, COUNTS,
          grad_inputs=[0])
    check(lambda p: D(p).Geometric(p).entropy(), P)
    check(lambda a, b: D(a).kl_divergence(D(a).Geometric(a), D(a).Geometric(b)), P, P[::-1].copy())
    e, t = both(lambda d, p: d.Geometric(p), P)
    _props(e, t)
    _same_spec(e, t)
    close(e.logits, t.logits)
    _props(e.expand((4, 3, 2)), t.expand((4, 3, 2)), ("mean",))
    sure = np.array([1.0, 1.0])
    close(ED.Geometric(ember.tensor(sure)).log_prob(ember.tensor([0.0, 2.0])),
          TD.Geometric(torch.tensor(sure)).log_prob(torch.tensor([0.0, 2.0])))
    ember.manual_seed(0)
    x = e.sample((20000,))
    assert x.shape == (20000, 3, 2) and bool((x == x.floor()).all()) and bool((x >= 0).all())
    assert_moments(x, 1 / P - 1, (1 / P - 1) / P, k=6)


def test_geometric_errors():
    with pytest.raises(ValueError, match="Expected parameter probs .* of distribution "
                                         "Geometric.* to be positive"):
        ED.Geometric(ember.tensor([0.0, 0.5]))
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        ED.Geometric(ember.tensor([0.5]), ember.tensor([0.0]))
    with pytest.raises(ValueError, match="Expected value argument"):
        ED.Geometric(ember.tensor([0.5])).log_prob(ember.tensor([1.5]))


def test_negative_binomial():
    check(lambda n, p, k: D(p).NegativeBinomial(n, p).log_prob(k), TOTAL, P, COUNTS,
          grad_inputs=[0, 1])
    check(lambda n, lg, k: D(lg).NegativeBinomial(n, logits=lg).log_prob(k), TOTAL, LOGITS,
          COUNTS, grad_inputs=[0, 1])
    e, t = both(lambda d, n, p: d.NegativeBinomial(n, p), TOTAL, P)
    _props(e, t)
    _same_spec(e, t)
    _props(e.expand((4, 3, 2)), t.expand((4, 3, 2)), ("mean", "variance"))
    zero = ED.NegativeBinomial(0.0, ember.tensor(0.3, dtype=ember.float64))
    close(zero.log_prob(ember.tensor(0.0, dtype=ember.float64)),
          TD.NegativeBinomial(0.0, torch.tensor(0.3, dtype=torch.float64))
          .log_prob(torch.tensor(0.0, dtype=torch.float64)))
    ember.manual_seed(1)
    x = e.sample((20000,))
    assert x.shape == (20000, 3, 2) and bool((x == x.floor()).all())
    assert_moments(x, t.mean.numpy(), t.variance.numpy(), k=7)
    with pytest.raises(ValueError, match="Expected parameter probs .* NegativeBinomial.*"
                                         "HalfOpenInterval"):
        ED.NegativeBinomial(ember.tensor([2.0]), ember.tensor([1.0]))


# ---- Multinomial ------------------------------------------------------------------------

def test_multinomial():
    counts = np.array([[3.0, 0.0, 1.0, 2.0], [0.0, 0.0, 6.0, 0.0]])
    check(lambda p, x: D(p).Multinomial(6, p).log_prob(x), PROBS4, counts, grad_inputs=[0])
    check(lambda lg, x: D(lg).Multinomial(6, logits=lg).log_prob(x), np.log(PROBS4), counts,
          grad_inputs=[0])
    check(lambda p: D(p).Multinomial(6, p).entropy(), PROBS4)
    e, t = both(lambda d, p: d.Multinomial(6, p), PROBS4)
    _props(e, t, ("mean", "variance"))
    _same_spec(e, t)
    assert repr(e.support) == "Multinomial(upper_bound=6)"  # torch's repr omits the bound
    assert e.event_shape == (4,) and e.batch_shape == (2,)
    _props(e.expand((3, 2)), t.expand((3, 2)), ("mean",))
    # a category of probability 0, never drawn
    p0 = np.array([0.0, 0.25, 0.75])
    close(ED.Multinomial(4, ember.tensor(p0)).log_prob(ember.tensor([0.0, 1.0, 3.0])),
          TD.Multinomial(4, torch.tensor(p0)).log_prob(torch.tensor([0.0, 1.0, 3.0])))
    ember.manual_seed(2)
    x = e.sample((20000,))
    assert x.shape == (20000, 2, 4)
    np.testing.assert_array_equal(x.numpy().sum(-1), 6.0)
    assert_moments(x, 6 * PROBS4, 6 * PROBS4 * (1 - PROBS4), k=6)


def test_multinomial_errors():
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
        ED.Multinomial(ember.tensor([3, 4]), ember.tensor(PROBS4))
    with pytest.raises(ValueError, match="Expected value argument"):
        ED.Multinomial(3, ember.tensor(PROBS4)).log_prob(ember.tensor([[1.0, -1.0, 2.0, 1.0]]))


# ---- Relaxed ------------------------------------------------------------------------------

def _logit_relaxed(t):
    if isinstance(t, torch.Tensor):
        return torch.distributions.relaxed_bernoulli.LogitRelaxedBernoulli
    return ED.LogitRelaxedBernoulli


def _exp_relaxed(t):
    if isinstance(t, torch.Tensor):
        return torch.distributions.relaxed_categorical.ExpRelaxedCategorical
    return ED.ExpRelaxedCategorical


def test_relaxed_bernoulli():
    y = R.uniform(0.05, 0.95, (3, 2))
    check(lambda tp, p, v: D(p).RelaxedBernoulli(tp, p).log_prob(v), TEMP, P, y)
    check(lambda tp, lg, v: D(lg).RelaxedBernoulli(tp, logits=lg).log_prob(v), TEMP, LOGITS, y)
    check(lambda tp, lg, v: _logit_relaxed(lg)(tp, logits=lg).log_prob(v), TEMP,
          LOGITS, LOGITS[::-1].copy())
    e, t = both(lambda d, tp, p: d.RelaxedBernoulli(tp, p), TEMP, P)
    _same_spec(e, t)
    close(e.temperature, t.temperature)
    close(e.logits, t.logits)
    ee, te = e.expand((4, 3, 2)), t.expand((4, 3, 2))
    close(ee.log_prob(ember.tensor(y)), te.log_prob(torch.tensor(y)))


def test_relaxed_bernoulli_sampling():
    ember.manual_seed(3)
    logits = ember.tensor(LOGITS, requires_grad=True)
    d = ED.RelaxedBernoulli(ember.tensor(0.5, dtype=ember.float64), logits=logits)
    x = d.rsample((20000,))
    assert x.shape == (20000, 3, 2) and bool(((x > 0) & (x < 1)).all())
    # P(X > 1/2) = P(logistic noise > -logits) = sigmoid(logits)
    frac = (x.detach().numpy() > 0.5).mean(0)
    np.testing.assert_allclose(frac, 1 / (1 + np.exp(-LOGITS)), atol=0.02)
    x.sum().backward()  # x = sigmoid((L + logits) / T): dx/dlogits = x (1 - x) / T
    xs = x.detach().numpy()
    np.testing.assert_allclose(logits.grad.numpy(), (xs * (1 - xs) / 0.5).sum(0), rtol=1e-8)


def test_relaxed_one_hot_categorical():
    y = R.dirichlet(np.ones(4), 2)
    check(lambda tp, p, v: D(p).RelaxedOneHotCategorical(tp, p).log_prob(v), TEMP, PROBS4, y)
    check(lambda tp, lg, v: D(lg).RelaxedOneHotCategorical(tp, logits=lg).log_prob(v), TEMP,
          np.log(PROBS4), y)
    check(lambda tp, lg, v: _exp_relaxed(lg)(tp, logits=lg).log_prob(v), TEMP,
          np.log(PROBS4), np.log(y))
    e, t = both(lambda d, tp, p: d.RelaxedOneHotCategorical(tp, p), TEMP, PROBS4)
    _same_spec(e, t)
    assert repr(e.support) == "Simplex()"
    close(e.probs, t.probs)
    ee, te = e.expand((3, 2)), t.expand((3, 2))
    close(ee.log_prob(ember.tensor(y)), te.log_prob(torch.tensor(y)))
    ember.manual_seed(4)
    logits = ember.tensor(np.log(PROBS4), requires_grad=True)
    x = ED.RelaxedOneHotCategorical(ember.tensor(0.3, dtype=ember.float64),
                                    logits=logits).rsample((20000,))
    assert x.shape == (20000, 2, 4)
    np.testing.assert_allclose(x.detach().numpy().sum(-1), 1.0, rtol=1e-12)
    # the argmax of a Gumbel-softmax draw is categorical with probs
    counts = np.stack([(x.detach().numpy().argmax(-1) == k).mean(0) for k in range(4)], -1)
    np.testing.assert_allclose(counts, PROBS4, atol=0.02)
    x[..., 0].sum().backward()
    assert logits.grad is not None and np.all(np.isfinite(logits.grad.numpy()))
    np.testing.assert_allclose(logits.grad.numpy().sum(-1), 0.0, atol=1e-8)


# ---- MixtureSameFamily ---------------------------------------------------------------------

MIX = R.dirichlet(np.ones(3), 2)
MU = R.uniform(-2, 2, (2, 3))
SIG = R.uniform(0.5, 1.5, (2, 3))


def _gmm(d, w, m, s):
    return d.MixtureSameFamily(d.Categorical(w), d.Normal(m, s))


def test_mixture_same_family_univariate():
    x = R.uniform(-3, 3, (5, 2))
    check(lambda w, m, s, v: _gmm(D(w), w, m, s).log_prob(v), MIX, MU, SIG, x)
    check(lambda w, m, s, v: _gmm(D(w), w, m, s).cdf(v), MIX, MU, SIG, x)
    e, t = both(_gmm, MIX, MU, SIG)
    _props(e, t, ("mean", "variance", "stddev"))
    assert e.batch_shape == (2,) and e.event_shape == ()
    assert repr(e.support) == repr(t.support)
    ee, te = e.expand((4, 2)), t.expand((4, 2))
    close(ee.log_prob(ember.tensor(x[:4])), te.log_prob(torch.tensor(x[:4])))
    ember.manual_seed(5)
    s = e.sample((20000,))
    assert s.shape == (20000, 2)
    assert_moments(s, t.mean.numpy(), t.variance.numpy(), k=6)


def test_mixture_same_family_multivariate_and_shared_weights():
    loc = R.uniform(-2, 2, (2, 3, 4))
    scale = R.uniform(0.5, 1.5, (2, 3, 4))
    x = R.uniform(-2, 2, (5, 2, 4))

    def make(d, w, m, s):
        return d.MixtureSameFamily(d.Categorical(w), d.Independent(d.Normal(m, s), 1))

    check(lambda w, m, s, v: make(D(w), w, m, s).log_prob(v), MIX[0], loc, scale, x)
    e, t = both(make, MIX[0], loc, scale)
    _props(e, t, ("mean", "variance"))
    assert e.event_shape == (4,) and e.batch_shape == (2,)
    ember.manual_seed(6)
    s = e.sample((20000,))
    assert s.shape == (20000, 2, 4)
    assert_moments(s, t.mean.numpy(), t.variance.numpy(), k=6)


def test_mixture_same_family_errors():
    comp = ED.Normal(ember.tensor(MU), ember.tensor(SIG))
    with pytest.raises(ValueError, match="needs to be an instance of ember.distributions."
                                         "Categorical"):
        ED.MixtureSameFamily(ED.Normal(0.0, 1.0), comp)
    with pytest.raises(ValueError, match="Component distribution needs to be an instance"):
        ED.MixtureSameFamily(ED.Categorical(ember.tensor(MIX)), "normal")
    with pytest.raises(ValueError, match=r"`mixture_distribution component` \(4\) does not "
                                         r"equal `component_distribution.batch_shape\[-1\]` "
                                         r"\(3\)"):
        ED.MixtureSameFamily(ED.Categorical(ember.tensor(PROBS4)), comp)
    with pytest.raises(ValueError, match="is not compatible with"):
        ED.MixtureSameFamily(ED.Categorical(ember.tensor(R.dirichlet(np.ones(3), 5))), comp)
