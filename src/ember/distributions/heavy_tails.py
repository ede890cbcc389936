"""Heavy-tailed and chi-square-based families: Cauchy, HalfCauchy, StudentT, Chi2,
FisherSnedecor."""

import math

import ember
from ember.distributions import constraints
from ember.distributions.continuous import _scalar_batch
from ember.distributions.distribution import Distribution
from ember.distributions.gamma import Gamma
from ember.distributions.kl import register_kl
from ember.distributions.transformed import _Folded
from ember.distributions.utils import broadcast_all, tiny_of

__all__ = ["Cauchy", "HalfCauchy", "StudentT", "Chi2", "FisherSnedecor"]


def _nan_where(condition, value):
    return ember.where(condition, math.nan, value)


class Cauchy(Distribution):
    """Cauchy (Lorentz) distribution with median ``loc`` and half-width ``scale``.

    Args:
        loc: location (median and mode).
        scale: positive half-width at half-maximum.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(_scalar_batch((loc, scale), self.loc), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Cauchy with parameters expanded to ``batch_shape``."""
        return self._expanded(Cauchy, batch_shape, _instance, "loc", "scale")

    @property
    def mean(self):
        """Undefined: NaN."""
        return ember.full(self._extended_shape(), math.nan, dtype=self.loc.dtype,
                          device=self.loc.device)

    @property
    def mode(self):
        """``loc``."""
        return self.loc

    @property
    def variance(self):
        """Infinite."""
        return ember.full(self._extended_shape(), math.inf, dtype=self.loc.dtype,
                          device=self.loc.device)

    def rsample(self, sample_shape=()):
        """``loc + scale * tan(pi (u - 1/2))`` with ``u`` uniform on [0, 1)."""
        shape = self._extended_shape(sample_shape)
        u = ember.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + self.scale * ember.tan(math.pi * (u - 0.5))

    def log_prob(self, value):
        """``-log(pi scale) - log(1 + ((value - loc) / scale) ** 2)``."""
        if self._validate_args:
            self._validate_sample(value)
        return (-math.log(math.pi) - self.scale.log()
                - (((value - self.loc) / self.scale) ** 2).log1p())

    def cdf(self, value):
        """``atan((value - loc) / scale) / pi + 1/2``."""
        if self._validate_args:
            self._validate_sample(value)
        return ember.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        """``loc + scale * tan(pi (value - 1/2))``."""
        return ember.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        """``log(4 pi scale)``."""
        return math.log(4 * math.pi) + self.scale.log()


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    num = (p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)
    return (num / (4 * p.scale * q.scale)).log()


class HalfCauchy(_Folded):
    """``|X|`` for ``X ~ Cauchy(0, scale)``.

    Args:
        scale: positive scale.
        validate_args: check the arguments against their constraints.
    """

    _base = Cauchy

    @property
    def mean(self):
        """Infinite."""
        return ember.full(self._extended_shape(), math.inf, dtype=self.scale.dtype,
                          device=self.scale.device)

    @property
    def variance(self):
        """Infinite."""
        return self.base_dist.variance


class Chi2(Gamma):
    """Chi-square distribution with ``df`` degrees of freedom: ``Gamma(df / 2, 1 / 2)``.

    Args:
        df: positive degrees of freedom.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Chi2 with ``df`` expanded to ``batch_shape``."""
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        """Degrees of freedom."""
        return self.concentration * 2


class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, location ``loc`` and
    scale ``scale``.

    Args:
        df: positive degrees of freedom.
        loc: location (default 0).
        scale: positive scale (default 1).
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df, validate_args=False)  # df is checked below
        super().__init__(_scalar_batch((df, loc, scale), self.df), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new StudentT with parameters expanded to ``batch_shape``."""
        new = self._expanded(StudentT, batch_shape, _instance, "df", "loc", "scale")
        new._chi2 = self._chi2.expand(tuple(batch_shape))
        return new

    @property
    def mean(self):
        """``loc`` where ``df > 1``, NaN elsewhere."""
        return _nan_where(self.df <= 1, self.loc)

    @property
    def mode(self):
        """``loc``."""
        return self.loc

    @property
    def variance(self):
        """``scale ** 2 df / (df - 2)`` for ``df > 2``; inf for ``1 < df <= 2``; NaN below."""
        df = self.df
        finite = self.scale.pow(2) * df / ember.where(df > 2, df - 2, 1.0)
        var = ember.where(df > 2, finite, math.inf)
        return _nan_where(df <= 1, var)

    def rsample(self, sample_shape=()):
        """``loc + scale * Z / sqrt(V / df)`` with ``Z`` standard normal and ``V ~
        Chi2(df)``, differentiable in all three parameters."""
        shape = self._extended_shape(sample_shape)
        z = ember.randn(shape, dtype=self.df.dtype, device=self.df.device)
        v = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * z * ember.rsqrt(v / self.df)

    def log_prob(self, value):
        """Log density at ``value``."""
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        log_norm = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
                    + ember.lgamma(0.5 * self.df) - ember.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * (y.pow(2) / self.df).log1p() - log_norm

    def entropy(self):
        """Differential entropy."""
        df = self.df
        log_beta = ember.lgamma(0.5 * df) + math.lgamma(0.5) - ember.lgamma(0.5 * (df + 1))
        return (self.scale.log() + 0.5 * (df + 1)
                * (ember.digamma(0.5 * (df + 1)) - ember.digamma(0.5 * df))
                + 0.5 * df.log() + log_beta)


class FisherSnedecor(Distribution):
    """Fisher-Snedecor F distribution: ``(U1 / df1) / (U2 / df2)`` for independent
    chi-square ``U1``, ``U2``.

    Args:
        df1: positive numerator degrees of freedom.
        df2: positive denominator degrees of freedom.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        # Gamma(d / 2, rate d) is Chi2(d) / (2 d): their ratio is the F variable
        # (the degrees of freedom themselves are checked below)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1, validate_args=False)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2, validate_args=False)
        super().__init__(_scalar_batch((df1, df2), self.df1), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new FisherSnedecor with parameters expanded to ``batch_shape``."""
        new = self._expanded(FisherSnedecor, batch_shape, _instance, "df1", "df2")
        new._gamma1 = self._gamma1.expand(tuple(batch_shape))
        new._gamma2 = self._gamma2.expand(tuple(batch_shape))
        return new

    @property
    def mean(self):
        """``df2 / (df2 - 2)`` for ``df2 > 2``, NaN elsewhere."""
        df2 = _nan_where(self.df2 <= 2, self.df2)
        return df2 / (df2 - 2)

    @property
    def mode(self):
        """``(df1 - 2) / df1 * df2 / (df2 + 2)`` for ``df1 > 2``, NaN elsewhere."""
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return _nan_where(self.df1 <= 2, mode)

    @property
    def variance(self):
        """``2 df2^2 (df1 + df2 - 2) / (df1 (df2 - 2)^2 (df2 - 4))`` for ``df2 > 4``,
        NaN elsewhere."""
        df2 = _nan_where(self.df2 <= 4, self.df2)
        return (2 * df2.pow(2) * (self.df1 + df2 - 2)
                / (self.df1 * (df2 - 2).pow(2) * (df2 - 4)))

    def rsample(self, sample_shape=()):
        """The ratio of two Gamma draws, clamped below at the dtype's smallest normal."""
        tiny = tiny_of(self.df1.dtype)
        x1 = self._gamma1.rsample(sample_shape)
        x2 = self._gamma2.rsample(sample_shape).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value):
        """Log density at ``value``."""
        if self._validate_args:
            self._validate_sample(value)
        h1, h2 = self.df1 * 0.5, self.df2 * 0.5
        ratio = self.df1 / self.df2
        t1 = ember.lgamma(h1 + h2) - ember.lgamma(h1) - ember.lgamma(h2)
        t2 = h1 * ratio.log() + (h1 - 1) * value.log()
        t3 = (h1 + h2) * (ratio * value).log1p()
        return t1 + t2 - t3
