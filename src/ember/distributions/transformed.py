"""``TransformedDistribution`` and the families defined as one: LogNormal,
HalfNormal, LogisticNormal."""

import math

import ember
from ember.distributions import constraints
from ember.distributions.continuous import Normal
from ember.distributions.distribution import Distribution
from ember.distributions.independent import Independent
from ember.distributions.kl import kl_divergence, register_kl
from ember.distributions.transforms import (AbsTransform, ComposeTransform, ExpTransform,
                                            StickBreakingTransform, Transform)
from ember.distributions.utils import sum_rightmost

__all__ = ["TransformedDistribution", "LogNormal", "HalfNormal", "LogisticNormal"]


class TransformedDistribution(Distribution):
    """The distribution of ``y = t_n(... t_1(x))`` for ``x`` drawn from ``base_distribution``.

    ``log_prob(y)`` is the base density at ``x`` minus the transforms'
    log-det-Jacobians; ``rsample`` pushes a base ``rsample`` through the
    transforms; ``cdf``/``icdf`` work when every transform is monotone (has a
    ``sign``) and the base has them.

    Args:
        base_distribution: the distribution of ``x``.
        transforms: a ``Transform`` or a list of them, applied in order.
        validate_args: check values passed to ``log_prob`` against the support.
    """

    arg_constraints = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            self.transforms = [transforms]
        elif isinstance(transforms, list) and all(isinstance(t, Transform) for t in transforms):
            self.transforms = transforms
        else:
            raise ValueError("transforms must be a Transform or a list of Transforms, but was "
                             f"{transforms}")
        if not isinstance(base_distribution, Distribution):
            raise TypeError("TransformedDistribution: expected base_distribution to be a "
                            f"Distribution, got {type(base_distribution).__name__}")
        base_shape = base_distribution.batch_shape + base_distribution.event_shape
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(self.transforms)
        if len(base_shape) < transform.domain.event_dim:
            raise ValueError("base_distribution needs to have shape with size at least "
                             f"{transform.domain.event_dim}, but got {base_shape}.")
        forward_shape = transform.forward_shape(base_shape)
        expanded_base_shape = transform.inverse_shape(forward_shape)
        if base_shape != expanded_base_shape:
            # a transform with batched parameters broadcasts the base's batch
            cut = len(expanded_base_shape) - base_event_dim
            base_distribution = base_distribution.expand(expanded_base_shape[:cut])
        reinterpreted = transform.domain.event_dim - base_event_dim
        if reinterpreted > 0:
            base_distribution = Independent(base_distribution, reinterpreted)
        self.base_dist = base_distribution
        event_dim = transform.codomain.event_dim + max(base_event_dim
                                                       - transform.domain.event_dim, 0)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new TransformedDistribution over the base expanded to match ``batch_shape``."""
        new = self._get_checked_instance(TransformedDistribution, _instance)
        batch_shape = tuple(batch_shape)
        shape = batch_shape + self.event_shape
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        base_batch_shape = shape[:len(shape) - len(self.base_dist.event_shape)]
        new.base_dist = self.base_dist.expand(base_batch_shape)
        new.transforms = self.transforms
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        """The last transform's codomain (widened to the event shape)."""
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self.event_shape) > support.event_dim:
            support = constraints.independent(support, len(self.event_shape) - support.event_dim)
        return support

    @property
    def has_rsample(self):
        """Whether the base distribution has ``rsample``."""
        return self.base_dist.has_rsample

    def sample(self, sample_shape=()):
        """A base sample pushed through the transforms (no gradient)."""
        with ember.no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape=()):
        """A base ``rsample`` pushed through the transforms (differentiable)."""
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value):
        """Base ``log_prob`` at the pulled-back value minus the log-det-Jacobians."""
        if self._validate_args:
            self._validate_sample(value)
        event_dim = len(self.event_shape)
        log_prob = 0.0
        y = value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            log_prob = log_prob - sum_rightmost(t.log_abs_det_jacobian(x, y),
                                                event_dim - t.domain.event_dim)
            y = x
        return log_prob + sum_rightmost(self.base_dist.log_prob(y),
                                        event_dim - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value):
        """Turn the base CDF into this one's: ``1 - cdf`` when the transforms decrease."""
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value):
        """The base CDF at the pulled-back value (monotone transforms only)."""
        for t in reversed(self.transforms):
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value):
        """The base quantile pushed through the transforms (monotone transforms only)."""
        value = self.base_dist.icdf(self._monotonize_cdf(value))
        for t in self.transforms:
            value = t(value)
        return value


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms:
        raise NotImplementedError("KL between TransformedDistributions with different "
                                  "transforms is not implemented")
    if p.event_shape != q.event_shape:
        raise NotImplementedError("KL between TransformedDistributions with different event "
                                  "shapes is not implemented")
    return kl_divergence(p.base_dist, q.base_dist)


class LogNormal(TransformedDistribution):
    """``exp(X)`` for ``X ~ Normal(loc, scale)``.

    Args:
        loc: mean of the log.
        scale: standard deviation of the log, positive.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new LogNormal with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(LogNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self):
        """Mean of the log."""
        return self.base_dist.loc

    @property
    def scale(self):
        """Standard deviation of the log."""
        return self.base_dist.scale

    @property
    def mean(self):
        """``exp(loc + scale ** 2 / 2)``."""
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self):
        """``exp(loc - scale ** 2)``."""
        return (self.loc - self.scale.pow(2)).exp()

    @property
    def variance(self):
        """``(exp(scale ** 2) - 1) exp(2 loc + scale ** 2)``."""
        s2 = self.scale.pow(2)
        return s2.expm1() * (2 * self.loc + s2).exp()

    def entropy(self):
        """The Normal's entropy plus ``loc``."""
        return self.base_dist.entropy() + self.loc


class _Folded(TransformedDistribution):
    """``|X|`` for ``X`` from a family symmetric about 0 with a ``scale``
    (``_base``: Normal for HalfNormal, Cauchy for HalfCauchy): the density is
    twice the base's on ``[0, inf)``."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _base = None

    def __init__(self, scale, validate_args=None):
        base = self._base(0, scale, validate_args=False)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new distribution of this family with ``scale`` expanded to ``batch_shape``."""
        new = self._get_checked_instance(type(self), _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def scale(self):
        """The base's scale."""
        return self.base_dist.scale

    @property
    def mode(self):
        """0."""
        return ember.zeros_like(self.scale)

    def log_prob(self, value):
        """Twice the base's density on ``[0, inf)``, ``-inf`` below."""
        value = ember.as_tensor(value, dtype=self.scale.dtype, device=self.scale.device)
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return ember.where(value >= 0, log_prob, -math.inf)

    def cdf(self, value):
        """``2 F(value) - 1`` with F the base's cdf."""
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        """The base's quantile at ``(1 + prob) / 2``."""
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        """The base's entropy minus ``log 2``."""
        return self.base_dist.entropy() - math.log(2)


class HalfNormal(_Folded):
    """``|X|`` for ``X ~ Normal(0, scale)``.

    Args:
        scale: positive scale.
        validate_args: check the arguments against their constraints.
    """

    _base = Normal

    @property
    def mean(self):
        """``scale * sqrt(2 / pi)``."""
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        """``scale ** 2 (1 - 2 / pi)``."""
        return self.scale.pow(2) * (1 - 2 / math.pi)


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    return kl_divergence(p.base_dist, q.base_dist)


class LogisticNormal(TransformedDistribution):
    """A point of the K-simplex: stick breaking of ``X ~ Normal(loc, scale)`` in R^(K-1).

    Args:
        loc: mean of the unconstrained vector, shape ``batch + (K - 1,)``.
        scale: its standard deviation, positive.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand((1,))
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new LogisticNormal with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self):
        """Mean of the unconstrained vector."""
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        """Standard deviation of the unconstrained vector."""
        return self.base_dist.base_dist.scale
