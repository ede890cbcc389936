"""Counts of failures: Geometric (before the first success) and NegativeBinomial
(before ``total_count`` successes)."""

import numbers

import numpy as np

import ember
import ember.nn.functional as F
from ember.backend.random import rng
from ember.distributions import constraints
from ember.distributions.discrete import BinaryParameters
from ember.distributions.distribution import Distribution
from ember.distributions.gamma import Gamma
from ember.distributions.kl import register_kl
from ember.distributions.utils import broadcast_all, host, tiny_of

__all__ = ["Geometric", "NegativeBinomial"]


class Geometric(BinaryParameters, Distribution):
    """Number of failures before the first success in Bernoulli trials of ``probs``.

    Args:
        probs: success probability in (0, 1] (exclusive with ``logits``).
        logits: success log-odds (exclusive with ``probs``).
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Geometric: either `probs` or `logits` must be specified, but not "
                             "both.")
        param = probs if probs is not None else logits
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch = () if isinstance(param, numbers.Number) else tuple(self._param.shape)
        super().__init__(batch, validate_args=validate_args)
        if self._validate_args and probs is not None:
            # unit_interval admits 0, which has no distribution
            if not bool((self.probs > 0).all().item()):
                raise ValueError(
                    f"Expected parameter probs ({type(self.probs).__name__} of shape "
                    f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but "
                    f"found invalid values:\n{self.probs}")

    def expand(self, batch_shape, _instance=None):
        """A new Geometric with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Geometric, _instance)
        batch_shape = tuple(batch_shape)
        for name in ("probs", "logits"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(batch_shape))
                new._param = getattr(new, name)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """``1 / probs - 1``."""
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        """0."""
        return ember.zeros_like(self.probs)

    @property
    def variance(self):
        """``(1 / probs - 1) / probs``."""
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        """``floor(log(U) / log(1 - probs))``, in the parameters' dtype."""
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            probs = self.probs
            u = ember.rand(shape, dtype=probs.dtype, device=probs.device)
            u = u.clamp(min=tiny_of(probs.dtype))
            return (u.log() / (-probs).log1p()).floor()

    def log_prob(self, value):
        """``value * log(1 - probs) + log(probs)`` (0 at ``probs == 1, value == 0``)."""
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # 0 * log(0) is 0 here: a sure success has no failures
        probs = ember.where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        """``binary_cross_entropy_with_logits(logits, probs) / probs``."""
        return F.binary_cross_entropy_with_logits(self.logits, self.probs,
                                                  reduction="none") / self.probs


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


class NegativeBinomial(BinaryParameters, Distribution):
    """Number of successes (each of probability ``probs``) before ``total_count``
    failures; ``total_count`` may be any positive real (a Gamma-Poisson mixture).

    Args:
        total_count: non-negative number of failures (number or tensor).
        probs: success probability in [0, 1) (exclusive with ``logits``).
        logits: success log-odds (exclusive with ``probs``).
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("NegativeBinomial: either `probs` or `logits` must be specified, "
                             "but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
            self._param = self.probs
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
            self._param = self.logits
        super().__init__(tuple(self._param.shape), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new NegativeBinomial with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(NegativeBinomial, _instance)
        batch_shape = tuple(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        for name in ("probs", "logits"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(batch_shape))
                new._param = getattr(new, name)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """``total_count * probs / (1 - probs)``."""
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        """``floor((total_count - 1) * probs / (1 - probs))``, at least 0."""
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        """``mean / (1 - probs)``."""
        return self.mean / ember.sigmoid(-self.logits)

    def _gamma(self):
        # the Poisson rate of the Gamma-Poisson mixture
        return Gamma(self.total_count, (-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape=()):
        """A Poisson draw at a Gamma-distributed rate, in the parameters' dtype."""
        with ember.no_grad():
            rate = host(self._gamma().sample(sample_shape))
            return ember.tensor(rng().poisson(rate).astype(np.float64), dtype=self._param.dtype,
                                device=self._param.device)

    def log_prob(self, value):
        """Log-probability of ``value`` successes."""
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized = (self.total_count * F.logsigmoid(-self.logits)
                            + value * F.logsigmoid(self.logits))
        # total_count == value == 0 is the empty product, probability 1; a stand-in
        # count of 1 there keeps lgamma(0) - lgamma(0) out of the unused branch
        empty = self.total_count + value == 0.0
        count = ember.where(empty, 1.0, self.total_count)
        log_normalization = (-ember.lgamma(count + value) + ember.lgamma(1.0 + value)
                             + ember.lgamma(count))
        log_normalization = ember.where(empty, 0.0, log_normalization)
        return log_unnormalized - log_normalization
