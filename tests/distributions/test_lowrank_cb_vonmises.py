import math

import numpy as np
import pytest
import scipy.special
import torch

import ember
import ember.distributions as ED
import torch.distributions as TD
from dist_helpers import D, assert_moments, both
from reference import check, close

R = np.random.default_rng(31)
LOC = R.uniform(-1, 1, (2, 4))
W = R.uniform(-1, 1, (2, 4, 2))
DIAG = R.uniform(0.5, 1.5, (2, 4))
X = R.uniform(-2, 2, (3, 2, 4))


# ---- LowRankMultivariateNormal -------------------------------------------------------------

def _lr(d, m, w, g):
    return d.LowRankMultivariateNormal(m, w, g)


def test_lowrank_log_prob_entropy_and_matrices():
    check(lambda m, w, g, x: _lr(D(m), m, w, g).log_prob(x), LOC, W, DIAG, X)
    check(lambda m, w, g: _lr(D(m), m, w, g).entropy(), LOC, W, DIAG)
    e, t = both(_lr, LOC, W, DIAG)
    for name in ("mean", "mode", "variance", "stddev", "covariance_matrix", "precision_matrix",
                 "scale_tril"):
        close(getattr(e, name), getattr(t, name), what=name)
    assert e.batch_shape == (2,) and e.event_shape == (4,)
    assert repr(e.support) == repr(t.support) and e.has_rsample
    ee, te = e.expand((3, 2)), t.expand((3, 2))
    close(ee.log_prob(ember.tensor(X)), te.log_prob(torch.tensor(X)))
    # shared factor broadcast over a batch of means
    check(lambda m, w, g, x: _lr(D(m), m, w, g).log_prob(x), LOC, W[0], DIAG[0], X)


def test_lowrank_kl_pairs():
    loc2, w2, d2 = LOC[::-1].copy(), W[::-1].copy(), DIAG[::-1].copy()
    check(lambda a, b, c, e, f, g: D(a).kl_divergence(_lr(D(a), a, b, c), _lr(D(a), e, f, g)),
          LOC, W, DIAG, loc2, w2, d2)
    cov = np.einsum("bij,bkj->bik", W, W) + 2 * np.eye(4)

    def mvn_lr(a, b, e, f, g):
        d = D(a)
        return d.kl_divergence(d.MultivariateNormal(a, covariance_matrix=b), _lr(d, e, f, g))

    def lr_mvn(a, b, e, f, g):
        d = D(a)
        return d.kl_divergence(_lr(d, e, f, g), d.MultivariateNormal(a, covariance_matrix=b))

    for fn in (mvn_lr, lr_mvn):
        check(fn, LOC, cov, loc2, w2, d2)


def test_lowrank_sampling_and_rsample_gradient():
    ember.manual_seed(0)
    loc = ember.tensor(LOC, requires_grad=True)
    d = ED.LowRankMultivariateNormal(loc, ember.tensor(W), ember.tensor(DIAG))
    x = d.rsample((20000,))
    assert x.shape == (20000, 2, 4)
    xs = x.detach().numpy()
    cov = np.einsum("bij,bkj->bik", W, W) + DIAG[..., None] * np.eye(4)
    assert_moments(xs, LOC, np.diagonal(cov, axis1=-2, axis2=-1), k=6)
    emp = np.einsum("nbi,nbj->bij", xs - LOC, xs - LOC) / xs.shape[0]
    np.testing.assert_allclose(emp, cov, atol=0.08)
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), 20000.0)


def test_lowrank_errors():
    m, w, g = ember.tensor(LOC), ember.tensor(W), ember.tensor(DIAG)
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        ED.LowRankMultivariateNormal(ember.tensor(1.0), w, g)
    with pytest.raises(ValueError, match="cov_factor must be at least two-dimensional"):
        ED.LowRankMultivariateNormal(m, ember.tensor(DIAG[0]), g)
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices with shape 4 "
                                         "x m"):
        ED.LowRankMultivariateNormal(m, ember.tensor(W[:, :3]), g)
    with pytest.raises(ValueError, match="cov_diag must be a batch of vectors with shape"):
        ED.LowRankMultivariateNormal(m, w, ember.tensor(DIAG[:, :3]))
    with pytest.raises(ValueError, match="Incompatible batch shapes"):
        ED.LowRankMultivariateNormal(ember.tensor(R.uniform(size=(3, 4))), w, g)
    with pytest.raises(ValueError, match="Expected parameter cov_diag"):
        ED.LowRankMultivariateNormal(m, w, -g)


# ---- ContinuousBernoulli -----------------------------------------------------------------------

# probabilities on both sides of 1/2 and inside the Taylor band (0.499, 0.501]
P = np.array([[0.05, 0.3], [0.4995, 0.5], [0.7, 0.97]])
Y = R.uniform(0.02, 0.98, (3, 2))


def test_continuous_bernoulli():
    check(lambda p, y: D(p).ContinuousBernoulli(p).log_prob(y), P, Y)
    check(lambda p, y: D(p).ContinuousBernoulli(p).cdf(y), P, Y)
    check(lambda p, u: D(p).ContinuousBernoulli(p).icdf(u), P, Y)
    check(lambda p: D(p).ContinuousBernoulli(p).entropy(), P)
    check(lambda lg, y: D(lg).ContinuousBernoulli(logits=lg).log_prob(y), np.log(P / (1 - P)), Y)
    check(lambda a, b: D(a).kl_divergence(D(a).ContinuousBernoulli(a),
                                          D(a).ContinuousBernoulli(b)), P, P[::-1].copy())
    e, t = both(lambda d, p: d.ContinuousBernoulli(p), P)
    for name in ("mean", "variance", "stddev"):
        close(getattr(e, name), getattr(t, name), what=name)
    assert e.batch_shape == (3, 2) and repr(e.support) == repr(t.support) and e.has_rsample
    close(e.expand((4, 3, 2)).mean, t.expand((4, 3, 2)).mean)


def test_continuous_bernoulli_sampling_and_rsample_gradient():
    ember.manual_seed(1)
    p = ember.tensor(P, requires_grad=True)
    d = ED.ContinuousBernoulli(p)
    x = d.rsample((20000,))
    assert x.shape == (20000, 3, 2) and bool(((x >= 0) & (x <= 1)).all())
    t = TD.ContinuousBernoulli(torch.tensor(P))
    assert_moments(x, t.mean.numpy(), t.variance.numpy(), k=6)
    # pathwise gradient of the mean estimator matches d mean / d p (outside the
    # Taylor band, where draws are icdf(u) of p; inside it, as PyTorch, they are u)
    x.mean(0).sum().backward()
    tp = torch.tensor(P, requires_grad=True)
    TD.ContinuousBernoulli(tp).mean.sum().backward()
    np.testing.assert_allclose(p.grad.numpy()[[0, 2]], tp.grad.numpy()[[0, 2]], atol=0.05)
    np.testing.assert_array_equal(p.grad.numpy()[1], 0.0)


def test_continuous_bernoulli_errors():
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        ED.ContinuousBernoulli()
    with pytest.raises(ValueError, match="probs has invalid values"):
        ED.ContinuousBernoulli(ember.tensor([1.5]), validate_args=True)
    with pytest.raises(ValueError, match="Expected value argument"):
        ED.ContinuousBernoulli(ember.tensor([0.3])).log_prob(ember.tensor([1.5]))


# ---- VonMises ------------------------------------------------------------------------------------

MU = R.uniform(-3, 3, (3, 2))
K = np.array([[0.1, 0.8], [2.0, 5.0], [30.0, 700.0]])


def test_von_mises():
    check(lambda m, k, x: D(m).VonMises(m, k).log_prob(x), MU, K, R.uniform(-3, 3, (3, 2)),
          grad_inputs=[0, 2])
    e, t = both(lambda d, m, k: d.VonMises(m, k), MU, K)
    for name in ("mean", "mode"):
        close(getattr(e, name), getattr(t, name), what=name)
    # PyTorch's variance uses a polynomial Bessel approximation (~1e-4 relative at
    # large k); ours the exact ratio
    close(e.variance, 1 - scipy.special.i1e(K) / scipy.special.i0e(K), rtol=1e-12)
    close(e.variance, t.variance, rtol=1e-3)
    assert repr(e.support) == repr(t.support) and not e.has_rsample
    assert {k: repr(v) for k, v in e.arg_constraints.items()} == \
        {k: repr(v) for k, v in t.arg_constraints.items()}
    close(e.expand((4, 3, 2)).log_prob(ember.tensor(MU)),
          t.expand((4, 3, 2)).log_prob(torch.tensor(MU)))
    # the concentration gradient goes through the Bessel function (I0' = I1)
    k = ember.tensor(K[:2], requires_grad=True)
    ED.VonMises(ember.tensor(MU[:2]), k).log_prob(ember.tensor(MU[:2])).sum().backward()
    i0e, i1e = ember.special.i0e(ember.tensor(K[:2])), ember.special.i1e(ember.tensor(K[:2]))
    np.testing.assert_allclose(k.grad.numpy(), 1 - (i1e / i0e).numpy(), rtol=1e-6)


def test_von_mises_sampling():
    ember.manual_seed(2)
    d = ED.VonMises(ember.tensor(MU), ember.tensor(K))
    x = d.sample((20000,)).numpy()
    assert x.shape == (20000, 3, 2) and (x >= -math.pi).all() and (x < math.pi).all()
    # E[cos(X - loc)] = I1(k) / I0(k) and E[sin(X - loc)] = 0
    r = (ember.special.i1e(ember.tensor(K)) / ember.special.i0e(ember.tensor(K))).numpy()
    np.testing.assert_allclose(np.cos(x - MU).mean(0), r, atol=0.02)
    np.testing.assert_allclose(np.sin(x - MU).mean(0), 0.0, atol=0.02)
    with pytest.raises(ValueError, match="Expected parameter concentration .* VonMises"):
        ED.VonMises(ember.tensor([0.0]), ember.tensor([-1.0]))
