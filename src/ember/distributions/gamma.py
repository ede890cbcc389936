"""Gamma-family distributions: Gamma, Beta, Dirichlet.

Sampling draws on the host from Ember's seeded NumPy generator. ``rsample`` is
differentiable by implicit reparameterisation, as PyTorch's: a standard Gamma
draw x(alpha) keeps its CDF value P(alpha, x) fixed, so
dx/dalpha = -(dP/dalpha) / p(x; alpha), with dP/dalpha by a central difference
of the regularized incomplete gamma function in float64 (relative error
~1e-9). Dirichlet and Beta draws are normalised Gamma draws, differentiable
through the normalisation. First-order only.
"""

import numbers

import numpy as np

import ember
from ember.autograd.function import Function
from ember.backend.device import xp_of
from ember.backend.random import rng
from ember.ops._special_kernels import _gammainc, _lgamma
from ember.ops.reduce import constant
from ember.tensor import _host
from ember.distributions import constraints
from ember.distributions.distribution import Distribution
from ember.distributions.kl import register_kl
from ember.distributions.utils import broadcast_all, eps_of, tiny_of

__all__ = ["Gamma", "Beta", "Dirichlet"]


def _standard_gamma(concentration_np):
    return rng().standard_gamma(concentration_np)


class StandardGamma(Function):
    """Draws of Gamma(alpha, 1), one per element of ``alpha``, differentiable in
    alpha by implicit reparameterisation (see the module docstring)."""

    @staticmethod
    def forward(ctx, alpha):
        a = np.asarray(_host(alpha), dtype=np.float64)
        x = np.clip(_standard_gamma(a), float(np.finfo(alpha.dtype).tiny), None)
        ctx.draw = (a, x)
        return ctx.xp.asarray(x.astype(alpha.dtype))

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.draw
        h = 1e-5 * np.maximum(a, 1e-3)
        with np.errstate(all="ignore"):
            dp_da = (_gammainc(np, a + h, x, False) - _gammainc(np, a - h, x, False)) / (2 * h)
            log_density = (a - 1) * np.log(x) - x - _lgamma(np, a)
            dx_da = -dp_da / np.exp(log_density)
        dx_da = np.nan_to_num(dx_da, nan=0.0, posinf=0.0, neginf=0.0)
        return g * constant(xp_of(g._array).asarray(dx_da.astype(g._array.dtype))),


class Gamma(Distribution):
    """Gamma distribution with shape ``concentration`` and inverse scale ``rate``.

    Args:
        concentration: positive shape parameter.
        rate: positive rate (1 / scale).
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number):
            batch = ()
        else:
            batch = tuple(self.concentration.shape)
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Gamma with parameters expanded to ``batch_shape``."""
        return self._expanded(Gamma, batch_shape, _instance, "concentration", "rate")

    @property
    def mean(self):
        """``concentration / rate``."""
        return self.concentration / self.rate

    @property
    def mode(self):
        """``(concentration - 1) / rate``, clamped at 0."""
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        """``concentration / rate ** 2``."""
        return self.concentration / self.rate.pow(2)

    has_rsample = True

    def rsample(self, sample_shape=()):
        """Draw samples differentiable in ``concentration`` and ``rate``, clamped
        below at the dtype's smallest normal."""
        shape = self._extended_shape(sample_shape)
        draw = StandardGamma.apply(self.concentration.expand(shape)) / self.rate.expand(shape)
        return draw.clamp(min=tiny_of(self.concentration.dtype))

    def log_prob(self, value):
        """Log density at ``value`` (a number becomes a tensor of the rate's dtype)."""
        value = self._as_value(value)
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration, self.rate)
                + ember.xlogy(self.concentration - 1, value)
                - self.rate * value - ember.lgamma(self.concentration))

    def cdf(self, value):
        """P(X <= value): the regularized lower incomplete gamma function of
        (concentration, rate * value); differentiable in ``value`` and ``rate``."""
        value = self._as_value(value)
        if self._validate_args:
            self._validate_sample(value)
        return ember.igamma(self.concentration, self.rate * value)

    def _as_value(self, value):
        """``value`` as a tensor of the rate's dtype and device, as PyTorch converts it."""
        return ember.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)

    def entropy(self):
        """Differential entropy."""
        c = self.concentration
        return c - ember.log(self.rate) + ember.lgamma(c) + (1.0 - c) * ember.digamma(c)


class Dirichlet(Distribution):
    """Dirichlet distribution over the simplex, with ``concentration`` in the last dimension.

    Args:
        concentration: positive, shape ``batch + (K,)``.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex

    def __init__(self, concentration, validate_args=None):
        if not isinstance(concentration, ember.Tensor) or concentration.ndim < 1:
            raise ValueError("Dirichlet: `concentration` parameter must be at least "
                             "one-dimensional.")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Dirichlet with ``concentration`` expanded to ``batch_shape``."""
        return self._expanded(Dirichlet, batch_shape, _instance, "concentration")

    @property
    def mean(self):
        """``concentration / concentration.sum(-1)``."""
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        """``(c - 1)+ / sum (c - 1)+``; one-hot where every ``c < 1``."""
        cm1 = (self.concentration - 1).clamp(min=0.0)
        mask = (self.concentration < 1).all(-1, keepdim=True)
        total = cm1.sum(-1, keepdim=True)
        mode = cm1 / ember.where(mask, ember.ones_like(total), total)  # no 0/0 warning
        k = self.concentration.shape[-1]
        onehot = ember.nn.functional.one_hot(cm1.argmax(-1), k).to(mode.dtype)
        return ember.where(mask.expand(tuple(mode.shape)), onehot, mode)

    @property
    def variance(self):
        """``c (c0 - c) / (c0 ** 2 (c0 + 1))`` with ``c0 = c.sum(-1)``."""
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0.pow(2) * (c0 + 1))

    has_rsample = True

    def rsample(self, sample_shape=()):
        """Draw points of the simplex by normalising Gamma draws, differentiable
        in ``concentration``."""
        shape = self._extended_shape(sample_shape)
        g = StandardGamma.apply(self.concentration.expand(shape))
        tiny = tiny_of(self.concentration.dtype)
        # As PyTorch: in [tiny, 1 - eps] of the dtype (a coordinate of exactly 1
        # would give Beta's log_prob +inf).
        return (g / g.sum(-1, keepdim=True)).clamp(min=tiny,
                                                   max=1.0 - eps_of(self.concentration.dtype))

    def log_prob(self, value):
        """Log density at ``value`` (a point of the simplex)."""
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (ember.xlogy(c - 1.0, value).sum(-1) + ember.lgamma(c.sum(-1))
                - ember.lgamma(c).sum(-1))

    def entropy(self):
        """Differential entropy."""
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return (ember.lgamma(c).sum(-1) - ember.lgamma(a0) - (k - a0) * ember.digamma(a0)
                - ((c - 1.0) * ember.digamma(c)).sum(-1))


class Beta(Distribution):
    """Beta distribution on [0, 1] with ``concentration1`` (alpha) and
    ``concentration0`` (beta).

    Args:
        concentration1: positive alpha.
        concentration0: positive beta.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval

    def __init__(self, concentration1, concentration0, validate_args=None):
        c1, c0 = broadcast_all(concentration1, concentration0)
        self._dirichlet = Dirichlet(ember.stack([c1, c0], -1), validate_args=validate_args)
        if isinstance(concentration1, numbers.Number) and \
                isinstance(concentration0, numbers.Number):
            batch = ()
        else:
            batch = self._dirichlet.batch_shape
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Beta with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = tuple(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration1(self):
        """Alpha."""
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        """Beta."""
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        """``alpha / (alpha + beta)``."""
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        """The Dirichlet mode's first coordinate."""
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        """``alpha beta / ((alpha + beta) ** 2 (alpha + beta + 1))``."""
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    has_rsample = True

    def rsample(self, sample_shape=()):
        """Draw samples in (0, 1), differentiable in both concentrations."""
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value):
        """Log density at ``value``."""
        if self._validate_args:
            self._validate_sample(value)
        heads_tails = ember.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self):
        """Differential entropy."""
        return self._dirichlet.entropy()

    def __repr__(self):
        return (f"Beta(concentration1: {tuple(self.concentration1.shape)}, "
                f"concentration0: {tuple(self.concentration0.shape)})")


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * ember.log(p.rate / q.rate)
    t2 = ember.lgamma(q.concentration) - ember.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * ember.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    sum_p = p.concentration1 + p.concentration0
    sum_q = q.concentration1 + q.concentration0
    t1 = (ember.lgamma(q.concentration1) + ember.lgamma(q.concentration0)
          + ember.lgamma(sum_p))
    t2 = (ember.lgamma(p.concentration1) + ember.lgamma(p.concentration0)
          + ember.lgamma(sum_q))
    t3 = (p.concentration1 - q.concentration1) * ember.digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * ember.digamma(p.concentration0)
    t5 = (sum_q - sum_p) * ember.digamma(sum_p)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sum_p = p.concentration.sum(-1)
    sum_q = q.concentration.sum(-1)
    t1 = ember.lgamma(sum_p) - ember.lgamma(sum_q)
    t2 = (ember.lgamma(p.concentration) - ember.lgamma(q.concentration)).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = ember.digamma(p.concentration) - ember.digamma(sum_p).unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)
