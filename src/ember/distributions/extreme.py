"""Families defined by transforming a Uniform or Exponential draw: Gumbel, Weibull,
Pareto, Kumaraswamy."""

import math

import ember
from ember.distributions import constraints
from ember.distributions.continuous import Exponential, Uniform
from ember.distributions.kl import register_kl
from ember.distributions.transformed import TransformedDistribution
from ember.distributions.transforms import AffineTransform, ExpTransform, PowerTransform
from ember.distributions.utils import broadcast_all, eps_of, tiny_of

__all__ = ["Gumbel", "Weibull", "Pareto", "Kumaraswamy"]

_EULER = 0.5772156649015329


class Gumbel(TransformedDistribution):
    """Gumbel (type-I extreme value) distribution: ``loc - scale * log(-log(U))``.

    Args:
        loc: location (the mode).
        scale: positive scale.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        tiny, eps = tiny_of(self.loc.dtype), eps_of(self.loc.dtype)
        # U in [tiny, 1 - eps] keeps both logarithms finite
        base = Uniform(ember.full_like(self.loc, tiny), ember.full_like(self.loc, 1 - eps),
                       validate_args=validate_args)
        transforms = [ExpTransform().inv, AffineTransform(0, -ember.ones_like(self.scale)),
                      ExpTransform().inv, AffineTransform(self.loc, -self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Gumbel with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Gumbel, _instance)
        new.loc = self.loc.expand(tuple(batch_shape))
        new.scale = self.scale.expand(tuple(batch_shape))
        return super().expand(batch_shape, _instance=new)

    def log_prob(self, value):
        """``-(z + exp(-z)) - log(scale)`` with ``z = (value - loc) / scale``."""
        if self._validate_args:
            self._validate_sample(value)
        z = (self.loc - value) / self.scale
        return (z - z.exp()) - self.scale.log()

    @property
    def mean(self):
        """``loc + scale * euler_gamma``."""
        return self.loc + self.scale * _EULER

    @property
    def mode(self):
        """``loc``."""
        return self.loc

    @property
    def stddev(self):
        """``pi / sqrt(6) * scale``."""
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        """``pi ** 2 / 6 * scale ** 2``."""
        return self.stddev.pow(2)

    def entropy(self):
        """``log(scale) + 1 + euler_gamma``."""
        return self.scale.log() + (1 + _EULER)


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    ratio = p.scale / q.scale
    shift = (q.loc - p.loc) / q.scale
    # E_p[exp(-(X - q.loc) / q.scale)] = exp(shift) * Gamma(1 + ratio)
    return (-ratio.log() - shift + ratio * _EULER + (shift + ember.lgamma(1 + ratio)).exp()
            - (1 + _EULER))


class Weibull(TransformedDistribution):
    """Weibull distribution: ``scale * E ** (1 / concentration)`` for a standard
    exponential ``E``.

    ``mode`` is 0 for ``concentration <= 1`` (PyTorch's formula gives other
    values there).

    Args:
        scale: positive scale.
        concentration: positive shape.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(ember.ones_like(self.scale), validate_args=validate_args)
        transforms = [PowerTransform(self.concentration_reciprocal),
                      AffineTransform(0, self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Weibull with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Weibull, _instance)
        batch_shape = tuple(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base = self.base_dist.expand(batch_shape)
        transforms = [PowerTransform(new.concentration_reciprocal), AffineTransform(0, new.scale)]
        TransformedDistribution.__init__(new, base, transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """``scale * Gamma(1 + 1 / concentration)``."""
        return self.scale * ember.lgamma(1 + self.concentration_reciprocal).exp()

    @property
    def mode(self):
        """``scale * ((k - 1) / k) ** (1 / k)`` for ``k > 1``, else 0."""
        k = self.concentration
        return self.scale * ((k - 1) / k).clamp(min=0).pow(self.concentration_reciprocal)

    @property
    def variance(self):
        """``scale ** 2 (Gamma(1 + 2 / k) - Gamma(1 + 1 / k) ** 2)``."""
        r = self.concentration_reciprocal
        return self.scale.pow(2) * (ember.lgamma(1 + 2 * r).exp()
                                    - ember.lgamma(1 + r).mul(2).exp())

    def entropy(self):
        """``euler_gamma (1 - 1 / k) + log(scale / k) + 1``."""
        return (_EULER * (1 - self.concentration_reciprocal)
                + (self.scale * self.concentration_reciprocal).log() + 1)


class Pareto(TransformedDistribution):
    """Pareto type-I distribution: ``scale * exp(E)`` for ``E ~ Exponential(alpha)``.

    Args:
        scale: positive minimum value.
        alpha: positive tail index.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(0, self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Pareto with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Pareto, _instance)
        new.scale = self.scale.expand(tuple(batch_shape))
        new.alpha = self.alpha.expand(tuple(batch_shape))
        return super().expand(batch_shape, _instance=new)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        """``[scale, inf)``."""
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self):
        """``alpha scale / (alpha - 1)``, infinite for ``alpha <= 1``."""
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        """``scale``."""
        return self.scale

    @property
    def variance(self):
        """``scale ** 2 alpha / ((alpha - 1) ** 2 (alpha - 2))``, infinite for ``alpha <= 2``."""
        a = self.alpha.clamp(min=2)
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    def entropy(self):
        """``log(scale / alpha) + 1 + 1 / alpha``."""
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    # q has no mass below q.scale
    return ember.where(p.scale < q.scale, math.inf, result)


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy distribution on [0, 1]: ``(1 - U ** (1 / b)) ** (1 / a)`` with
    ``a = concentration1``, ``b = concentration0``, ``U`` uniform.

    ``mode`` is ``((a - 1) / (a b - 1)) ** (1 / a)`` where ``a, b >= 1`` and NaN
    elsewhere (PyTorch's formula exchanges the roles of ``a`` and ``b``).

    Args:
        concentration1: positive ``a``.
        concentration0: positive ``b``.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1,
                                                                 concentration0)
        c0 = self.concentration0
        base = Uniform(ember.zeros_like(c0), ember.ones_like(c0), validate_args=validate_args)
        transforms = [PowerTransform(c0.reciprocal()), AffineTransform(1.0, -1.0),
                      PowerTransform(self.concentration1.reciprocal())]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Kumaraswamy with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(tuple(batch_shape))
        new.concentration0 = self.concentration0.expand(tuple(batch_shape))
        return super().expand(batch_shape, _instance=new)

    def _moment(self, n):
        """``E[X ** n] = b B(1 + n / a, b)``."""
        a, b = self.concentration1, self.concentration0
        return b * (ember.lgamma(1 + n / a) + ember.lgamma(b) - ember.lgamma(1 + n / a + b)).exp()

    @property
    def mean(self):
        """``b B(1 + 1 / a, b)``."""
        return self._moment(1)

    @property
    def mode(self):
        """``((a - 1) / (a b - 1)) ** (1 / a)`` for ``a, b >= 1``, NaN elsewhere."""
        a, b = self.concentration1, self.concentration0
        defined = (a >= 1) & (b >= 1) & ((a > 1) | (b > 1))
        ab1 = ember.where(defined, a * b - 1, 1.0)
        mode = ((a - 1) / ab1).pow(a.reciprocal())
        return ember.where(defined, mode, math.nan)

    @property
    def variance(self):
        """``E[X ** 2] - E[X] ** 2``."""
        return self._moment(2) - self.mean.pow(2)

    def entropy(self):
        """``(1 - 1 / b) + (1 - 1 / a) H_b - log(a b)``, ``H_b`` the harmonic number."""
        a, b = self.concentration1, self.concentration0
        harmonic = ember.digamma(b + 1) + _EULER
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic - a.log() - b.log()
