"""``Multinomial``: counts of ``total_count`` draws from a Categorical."""

import numpy as np

import ember
from ember.backend.random import rng
from ember.distributions import constraints
from ember.distributions.counts import Binomial
from ember.distributions.discrete import Categorical
from ember.distributions.distribution import Distribution
from ember.distributions.utils import broadcast_all, host

__all__ = ["Multinomial"]


class Multinomial(Distribution):
    """Counts per category of ``total_count`` independent categorical draws.

    Args:
        total_count: the (int) number of draws, shared by the whole batch.
        probs: event probabilities (exclusive with ``logits``; normalised).
        logits: event log-probabilities (exclusive with ``probs``).
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if isinstance(total_count, bool) or not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch = self._categorical.batch_shape
        event = tuple(self._categorical.param_shape[-1:])
        super().__init__(batch, event, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new Multinomial with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = tuple(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new.probs)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        """Non-negative integer vectors summing to ``total_count``."""
        return constraints.multinomial(self.total_count)

    @property
    def probs(self):
        """Normalised probabilities."""
        return self._categorical.probs

    @property
    def logits(self):
        """Normalised log-probabilities."""
        return self._categorical.logits

    @property
    def _param(self):
        return self._categorical._param

    @property
    def param_shape(self):
        """Shape of the parameter tensor."""
        return self._categorical.param_shape

    @property
    def mean(self):
        """``total_count * probs``."""
        return self.probs * self.total_count

    @property
    def variance(self):
        """``total_count * probs * (1 - probs)``."""
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        """Draw count vectors in the parameters' dtype (no gradient)."""
        shape = self._extended_shape(sample_shape)
        p = host(self.probs)
        p = np.broadcast_to(p / p.sum(-1, keepdims=True), shape)
        counts = rng().multinomial(self.total_count, p)
        return ember.tensor(counts.astype(np.float64), dtype=self.probs.dtype,
                            device=self.probs.device)

    def log_prob(self, value):
        """``log(n!) - sum log(x_i!) + sum x_i log p_i``."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = ember.lgamma(value.sum(-1) + 1)
        log_factorial_xs = ember.lgamma(value + 1).sum(-1)
        # a category of probability 0 drawn 0 times contributes 0, not 0 * -inf
        logits = ember.where((value == 0) & (logits == -float("inf")), 0.0, logits)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self):
        """Entropy from the categorical entropy and the binomial marginals."""
        n = self.total_count
        term1 = n * self._categorical.entropy() - ember.lgamma(
            ember.tensor(float(n + 1), dtype=self.probs.dtype, device=self.probs.device))
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = self._binomial.log_prob(support).exp()
        weights = ember.lgamma(support + 1)
        term2 = (binomial_probs * weights).sum(0).sum(-1)
        return term1 + term2
