"""``LowRankMultivariateNormal``: a Gaussian whose covariance is ``W W^T + diag(D)``.

Densities go through the ``m x m`` capacitance matrix ``I + W^T D^-1 W``
(Woodbury identity and matrix determinant lemma), so nothing ``n x n`` is
factorised.
"""

import math

import ember
import ember.linalg as LA
from ember.distributions import constraints
from ember.distributions.distribution import Distribution
from ember.distributions.kl import register_kl
from ember.distributions.multivariate_normal import MultivariateNormal, _kl_mvn_mvn
from ember.distributions.utils import lazy_property

__all__ = ["LowRankMultivariateNormal"]


def _capacitance_tril(W, D):
    """Cholesky factor of ``I + W^T D^-1 W``."""
    m = W.shape[-1]
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    K = Wt_Dinv @ W
    return LA.cholesky(K + ember.eye(m, dtype=W.dtype, device=W.device))


def _lowrank_logdet(W, D, capacitance_tril):
    """``log det(W W^T + D) = 2 sum log diag(L_cap) + sum log D``."""
    return (2 * capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
            + D.log().sum(-1))


def _lowrank_mahalanobis(W, D, x, capacitance_tril):
    """``x^T (W W^T + D)^-1 x = x^T D^-1 x - |L_cap^-1 W^T D^-1 x|^2``."""
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    Wt_Dinv_x = (Wt_Dinv @ x.unsqueeze(-1))
    batch = ember.broadcast_shapes(tuple(capacitance_tril.shape[:-2]),
                                   tuple(Wt_Dinv_x.shape[:-2]))
    m = capacitance_tril.shape[-1]
    L = capacitance_tril.expand(tuple(batch) + (m, m))
    rhs = Wt_Dinv_x.expand(tuple(batch) + (m, 1))
    correction = LA.solve_triangular(L, rhs, upper=False).squeeze(-1).pow(2).sum(-1)
    return (x.pow(2) / D).sum(-1) - correction


class LowRankMultivariateNormal(Distribution):
    """Multivariate normal with covariance ``cov_factor @ cov_factor.mT + diag(cov_diag)``.

    Args:
        loc: mean, shape ``batch + (n,)``.
        cov_factor: the low-rank factor ``W``, shape ``batch + (n, m)``.
        cov_diag: the positive diagonal ``D``, shape ``batch + (n,)``.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        for name, t in (("loc", loc), ("cov_factor", cov_factor), ("cov_diag", cov_diag)):
            if not isinstance(t, ember.Tensor):
                raise TypeError(f"LowRankMultivariateNormal: expected {name} to be a Tensor, "
                                f"got {type(t).__name__}")
        if loc.ndim < 1:
            raise ValueError("LowRankMultivariateNormal: loc must be at least one-dimensional.")
        n = loc.shape[-1]
        if cov_factor.ndim < 2:
            raise ValueError("LowRankMultivariateNormal: cov_factor must be at least "
                             "two-dimensional, with optional leading batch dimensions")
        if cov_factor.shape[-2] != n:
            raise ValueError("LowRankMultivariateNormal: cov_factor must be a batch of "
                             f"matrices with shape {n} x m, got {tuple(cov_factor.shape)}")
        if cov_diag.ndim < 1 or cov_diag.shape[-1] != n:
            raise ValueError("LowRankMultivariateNormal: cov_diag must be a batch of vectors "
                             f"with shape ({n},), got {tuple(cov_diag.shape)}")
        try:
            loc_, cov_factor, cov_diag_ = ember.broadcast_tensors(
                loc.unsqueeze(-1), cov_factor, cov_diag.unsqueeze(-1))
        except (RuntimeError, ValueError) as e:
            raise ValueError(f"Incompatible batch shapes: loc {tuple(loc.shape)}, cov_factor "
                             f"{tuple(cov_factor.shape)}, cov_diag {tuple(cov_diag.shape)}") \
                from e
        self.loc = loc_[..., 0]
        self.cov_factor = cov_factor
        self.cov_diag = cov_diag_[..., 0]
        super().__init__(tuple(self.loc.shape[:-1]), (n,), validate_args=validate_args)
        self._capacitance_tril = _capacitance_tril(self.cov_factor, self.cov_diag)

    def expand(self, batch_shape, _instance=None):
        """A new LowRankMultivariateNormal with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(LowRankMultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        n, m = self.cov_factor.shape[-2:]
        new.loc = self.loc.expand(batch_shape + (n,))
        new.cov_diag = self.cov_diag.expand(batch_shape + (n,))
        new.cov_factor = self.cov_factor.expand(batch_shape + (n, m))
        new._capacitance_tril = self._capacitance_tril
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """``loc``."""
        return self.loc

    @property
    def mode(self):
        """``loc``."""
        return self.loc

    @lazy_property
    def variance(self):
        """``sum(W ** 2, -1) + D``."""
        return self.cov_factor.pow(2).sum(-1) + self.cov_diag

    @lazy_property
    def scale_tril(self):
        """Lower Cholesky factor of the covariance: ``sqrt(D) chol(I + D^-1/2 W W^T D^-1/2)``."""
        n = self.event_shape[0]
        sqrt_d = self.cov_diag.sqrt().unsqueeze(-1)
        scaled = self.cov_factor / sqrt_d
        K = scaled @ scaled.mT + ember.eye(n, dtype=self.loc.dtype, device=self.loc.device)
        return sqrt_d * LA.cholesky(K)

    @lazy_property
    def covariance_matrix(self):
        """``W W^T + diag(D)``."""
        return self.cov_factor @ self.cov_factor.mT + self.cov_diag.diag_embed()

    @lazy_property
    def precision_matrix(self):
        """``D^-1 - D^-1 W (I + W^T D^-1 W)^-1 W^T D^-1`` (Woodbury)."""
        Wt_Dinv = self.cov_factor.mT / self.cov_diag.unsqueeze(-2)
        A = LA.solve_triangular(self._capacitance_tril, Wt_Dinv, upper=False)
        return self.cov_diag.reciprocal().diag_embed() - A.mT @ A

    def rsample(self, sample_shape=()):
        """``loc + W eps_m + sqrt(D) eps_n`` with standard normal ``eps``."""
        shape = self._extended_shape(sample_shape)
        m = self.cov_factor.shape[-1]
        eps_w = ember.randn(shape[:-1] + (m,), dtype=self.loc.dtype, device=self.loc.device)
        eps_d = ember.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return (self.loc + (self.cov_factor @ eps_w.unsqueeze(-1)).squeeze(-1)
                + self.cov_diag.sqrt() * eps_d)

    def log_prob(self, value):
        """Log density at ``value``."""
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _lowrank_mahalanobis(self.cov_factor, self.cov_diag, diff, self._capacitance_tril)
        log_det = _lowrank_logdet(self.cov_factor, self.cov_diag, self._capacitance_tril)
        return -0.5 * (self.event_shape[0] * math.log(2 * math.pi) + log_det + M)

    def entropy(self):
        """``n/2 (1 + log 2 pi) + log det(cov) / 2``."""
        log_det = _lowrank_logdet(self.cov_factor, self.cov_diag, self._capacitance_tril)
        H = 0.5 * (self.event_shape[0] * (1.0 + math.log(2 * math.pi)) + log_det)
        return H.expand(self.batch_shape)


def _as_mvn(d):
    """A MultivariateNormal with the same law (the KL formulas need a full factor)."""
    if isinstance(d, MultivariateNormal):
        return d
    return MultivariateNormal(d.loc, scale_tril=d.scale_tril, validate_args=False)


def _kl_via_full(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two (Low Rank) Multivariate Normals with "
                         "different event shapes cannot be computed")
    return _kl_mvn_mvn(_as_mvn(p), _as_mvn(q))


register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)(_kl_via_full)
register_kl(LowRankMultivariateNormal, MultivariateNormal)(_kl_via_full)
register_kl(MultivariateNormal, LowRankMultivariateNormal)(_kl_via_full)
