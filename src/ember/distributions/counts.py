"""Count distributions: Poisson and Binomial.

Sampling draws on the host from Ember's seeded NumPy generator (no gradient).
"""

import numbers

import numpy as np

import ember
from ember.backend.random import rng
from ember.distributions import constraints
from ember.distributions.discrete import BinaryParameters
from ember.distributions.distribution import Distribution
from ember.distributions.kl import register_kl
from ember.distributions.utils import broadcast_all, host

__all__ = ["Poisson", "Binomial"]


class Poisson(Distribution):
    """Poisson distribution with mean ``rate``.

    Args:
        rate: non-negative rate.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch = () if isinstance(rate, numbers.Number) else tuple(self.rate.shape)
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Poisson with ``rate`` expanded to ``batch_shape``."""
        return self._expanded(Poisson, batch_shape, _instance, "rate")

    @property
    def mean(self):
        """``rate``."""
        return self.rate

    @property
    def mode(self):
        """``floor(rate)``."""
        return self.rate.floor()

    @property
    def variance(self):
        """``rate``."""
        return self.rate

    def sample(self, sample_shape=()):
        """Draw counts in the rate's dtype (no gradient)."""
        shape = self._extended_shape(sample_shape)
        lam = np.broadcast_to(host(self.rate), shape)
        return ember.tensor(rng().poisson(lam).astype(np.float64), dtype=self.rate.dtype,
                            device=self.rate.device)

    def log_prob(self, value):
        """``value log(rate) - rate - log(value!)``."""
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return ember.xlogy(value, rate) - rate - ember.lgamma(value + 1)


def _clamp_by_zero(x):
    # like clamp(x, min=0) but with gradient 1/2 at exactly 0
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(BinaryParameters, Distribution):
    """Binomial distribution: successes in ``total_count`` trials of probability ``probs``.

    Args:
        total_count: non-negative integer number of trials (number or tensor).
        probs: success probability (exclusive with ``logits``).
        logits: success log-odds (exclusive with ``probs``).
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Binomial: either `probs` or `logits` must be specified, but not "
                             "both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(tuple(self._param.shape), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Binomial with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Binomial, _instance)
        batch_shape = tuple(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        """Integers in ``[0, total_count]``."""
        return constraints.integer_interval(0, self.total_count)


    @property
    def mean(self):
        """``total_count * probs``."""
        return self.total_count * self.probs

    @property
    def mode(self):
        """``floor((total_count + 1) * probs)``, at most ``total_count``."""
        return ember.minimum(((self.total_count + 1) * self.probs).floor(), self.total_count)

    @property
    def variance(self):
        """``total_count * probs * (1 - probs)``."""
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        """Draw counts in the parameters' dtype (no gradient)."""
        shape = self._extended_shape(sample_shape)
        n = np.broadcast_to(host(self.total_count).astype(np.int64), shape)
        p = np.broadcast_to(host(self.probs), shape)
        return ember.tensor(rng().binomial(n, p).astype(np.float64), dtype=self._param.dtype,
                            device=self._param.device)

    def log_prob(self, value):
        """Log-probability of ``value`` successes."""
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = ember.lgamma(self.total_count + 1)
        log_factorial_k = ember.lgamma(value + 1)
        log_factorial_nmk = ember.lgamma(self.total_count - value + 1)
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * ember.log1p(ember.exp(-self.logits.abs()))
                          - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        """Entropy by summing over the support (needs one ``total_count`` for the batch)."""
        total_count = int(self.total_count.max().item())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(ember.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        """``0 .. total_count`` along a new leftmost dimension (homogeneous count only)."""
        total_count = int(self.total_count.max().item())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by "
                                      "`enumerate_support`.")
        values = ember.arange(1 + total_count, dtype=self._param.dtype,
                              device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + self._batch_shape)
        return values


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (ember.log(p.rate) - ember.log(q.rate)) - (p.rate - q.rate)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is "
                                  "not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p()
                          - (-q.probs).log1p())
    inf_idxs = p.total_count > q.total_count
    return ember.where(inf_idxs, ember.full_like(kl, float("inf")), kl)
