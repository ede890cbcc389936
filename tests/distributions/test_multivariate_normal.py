import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
from dist_helpers import D, assert_moments, both
from reference import check, close

R = np.random.default_rng(0)
A = R.normal(size=(2, 3, 3))
COV = A @ np.swapaxes(A, -1, -2) + 3 * np.eye(3)
B = R.normal(size=(3, 3))
COV2 = B @ B.T + 2 * np.eye(3)
LOC = R.normal(size=(2, 3))
LOC2 = R.normal(size=(3,))
X = R.normal(size=(4, 2, 3))
TRIL = np.linalg.cholesky(COV)
PREC = np.linalg.inv(COV)


def _mvn(kind):
    def make(m, mat):
        return D(m).MultivariateNormal(m, **{kind: mat})
    return make


@pytest.mark.parametrize("kind, mat", [("covariance_matrix", COV), ("precision_matrix", PREC),
                                       ("scale_tril", TRIL)])
def test_mvn_log_prob_entropy(kind, mat):
    make = _mvn(kind)
    check(lambda m, s, x: make(m, s).log_prob(x), LOC, mat, X, second=False)
    check(lambda m, s: make(m, s).entropy(), LOC, mat, second=False)
    e, t = both(lambda d, m, s: d.MultivariateNormal(m, **{kind: s}), LOC, mat)
    assert e.batch_shape == (2,) and e.event_shape == (3,)
    for name in ("mean", "mode", "variance", "stddev", "scale_tril", "covariance_matrix",
                 "precision_matrix"):
        close(getattr(e, name), getattr(t, name), rtol=1e-6, what=name)
    close(e.expand((5, 2)).log_prob(ember.tensor(X[0])), t.expand((5, 2)).log_prob(
        torch.tensor(X[0])))


def test_mvn_broadcast_batch():
    e, t = both(lambda d, m, s: d.MultivariateNormal(m, covariance_matrix=s), LOC2, COV)
    assert e.batch_shape == (2,)
    close(e.log_prob(ember.tensor(X)), t.log_prob(torch.tensor(X)))
    close(e.entropy(), t.entropy())


def test_kl_mvn():
    check(lambda a, s, b, r: D(a).kl_divergence(
        D(a).MultivariateNormal(a, covariance_matrix=s),
        D(a).MultivariateNormal(b, scale_tril=r)), LOC, COV, LOC2, np.linalg.cholesky(COV2),
        second=False)


def test_mvn_sampling_and_rsample():
    ember.manual_seed(0)
    loc = ember.tensor(LOC, requires_grad=True)
    tril = ember.tensor(TRIL, requires_grad=True)
    d = ED.MultivariateNormal(loc, scale_tril=tril)
    for shape in [(), (4,), (2, 3)]:
        s = d.sample(shape)
        assert s.shape == tuple(shape) + (2, 3) and s.dtype == ember.float64
    x = d.rsample((20000,))
    assert_moments(x, LOC, np.diagonal(COV, axis1=-2, axis2=-1))
    xs = x.detach().numpy()
    cov01 = ((xs[..., 0] - LOC[..., 0]) * (xs[..., 1] - LOC[..., 1])).mean(0)
    tol = 0.1 * np.sqrt(COV[:, 0, 0] * COV[:, 1, 1])
    assert np.all(np.abs(cov01 - COV[:, 0, 1]) <= tol), (cov01, COV[:, 0, 1])
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), np.full(LOC.shape, 20000.0))
    # x = loc + L eps: d sum(x) / dL[i, j] = sum over samples of eps_j
    eps = np.linalg.solve(TRIL[None], (xs - LOC)[..., None])[..., 0]
    expected = np.broadcast_to(eps.sum(0)[:, None, :], TRIL.shape)  # L @ eps reads all of L
    np.testing.assert_allclose(tril.grad.numpy(), expected, rtol=1e-7, atol=1e-6)


def test_mvn_errors():
    loc = ember.tensor(LOC2)
    with pytest.raises(ValueError, match="exactly one of covariance_matrix or precision_matrix "
                                         "or scale_tril"):
        ED.MultivariateNormal(loc)
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        ED.MultivariateNormal(ember.tensor(1.0), covariance_matrix=ember.tensor(COV2))
    with pytest.raises(ValueError, match="covariance_matrix must be at least two-dimensional"):
        ED.MultivariateNormal(loc, covariance_matrix=ember.tensor(LOC2))
    with pytest.raises(ValueError, match=r"Expected parameter covariance_matrix .*"
                                         r"PositiveDefinite\(\)"):
        ED.MultivariateNormal(loc, covariance_matrix=ember.tensor(-COV2))
    with pytest.raises(ValueError, match=r"Expected parameter scale_tril .*LowerCholesky\(\)"):
        ED.MultivariateNormal(loc, scale_tril=ember.tensor(COV2))
    with pytest.raises(ValueError, match="different event shapes"):
        ED.kl_divergence(ED.MultivariateNormal(loc, covariance_matrix=ember.tensor(COV2)),
                         ED.MultivariateNormal(ember.zeros(2, dtype=ember.float64),
                                               covariance_matrix=ember.eye(2, dtype=ember.float64)))


def test_log_prob_of_many_samples_solves_once_and_matches_torch():
    # The samples' dims become columns of one triangular solve per factor.
    import numpy as np
    import torch
    import ember
    from reference import close
    rng = np.random.default_rng(5)
    for batch in ((), (3,)):
        a = rng.standard_normal(batch + (16, 16))
        cov = a @ np.swapaxes(a, -1, -2) + 16 * np.eye(16)
        x = rng.standard_normal((300, 2) + batch + (16,))
        loc = rng.standard_normal(batch + (16,))
        ours = ember.distributions.MultivariateNormal(ember.tensor(loc), ember.tensor(cov))
        ref = torch.distributions.MultivariateNormal(torch.tensor(loc), torch.tensor(cov))
        close(ours.log_prob(ember.tensor(x)), ref.log_prob(torch.tensor(x)), rtol=1e-10)
