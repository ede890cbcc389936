"""Continuous relaxations of Bernoulli and categorical draws (the Concrete /
Gumbel-softmax distributions): LogitRelaxedBernoulli, RelaxedBernoulli,
ExpRelaxedCategorical, RelaxedOneHotCategorical."""

import math
import numbers

import ember
from ember.distributions import constraints
from ember.distributions.discrete import BinaryParameters, Categorical
from ember.distributions.distribution import Distribution
from ember.distributions.transformed import TransformedDistribution
from ember.distributions.transforms import ExpTransform, SigmoidTransform
from ember.distributions.utils import broadcast_all, clamp_probs

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli", "ExpRelaxedCategorical",
           "RelaxedOneHotCategorical"]


class LogitRelaxedBernoulli(BinaryParameters, Distribution):
    """The logit of a RelaxedBernoulli draw: ``(logit(U) + logits) / temperature``.

    Args:
        temperature: positive relaxation temperature (a tensor).
        probs: probability of 1 (exclusive with ``logits``).
        logits: log-odds of 1 (exclusive with ``probs``).
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError(f"{type(self).__name__}: either `probs` or `logits` must be "
                             "specified, but not both.")
        self.temperature = temperature
        param = probs if probs is not None else logits
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            self._param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            self._param = self.logits
        batch = () if isinstance(param, numbers.Number) else tuple(self._param.shape)
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new LogitRelaxedBernoulli with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(LogitRelaxedBernoulli, _instance)
        batch_shape = tuple(batch_shape)
        new.temperature = self.temperature
        for name in ("probs", "logits"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(batch_shape))
                new._param = getattr(new, name)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        """``(logit(U) + logit(probs)) / temperature``, ``U`` uniform (clamped)."""
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(ember.rand(shape, dtype=probs.dtype, device=probs.device))
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        """Log density of the logit at ``value``."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    """A relaxed Bernoulli on (0, 1): ``sigmoid`` of a LogitRelaxedBernoulli draw;
    draws approach 0/1 as ``temperature`` goes to 0.

    Args:
        temperature: positive relaxation temperature (a tensor).
        probs: probability of 1 (exclusive with ``logits``).
        logits: log-odds of 1 (exclusive with ``probs``).
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new RelaxedBernoulli with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def temperature(self):
        """The relaxation temperature."""
        return self.base_dist.temperature

    @property
    def logits(self):
        """Log-odds of 1."""
        return self.base_dist.logits

    @property
    def probs(self):
        """Probability of 1."""
        return self.base_dist.probs


class ExpRelaxedCategorical(Distribution):
    """The log of a RelaxedOneHotCategorical draw: ``log_softmax((logits + G) /
    temperature)`` with Gumbel noise ``G``.

    Args:
        temperature: positive relaxation temperature (a tensor).
        probs: event probabilities (exclusive with ``logits``).
        logits: event log-probabilities (exclusive with ``probs``).
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        batch = self._categorical.batch_shape
        event = tuple(self._categorical.param_shape[-1:])
        super().__init__(batch, event, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new ExpRelaxedCategorical with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(ExpRelaxedCategorical, _instance)
        batch_shape = tuple(batch_shape)
        new.temperature = self.temperature
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def param_shape(self):
        """Shape of the parameter tensor."""
        return self._categorical.param_shape

    @property
    def logits(self):
        """Normalised log-probabilities."""
        return self._categorical.logits

    @property
    def probs(self):
        """Normalised probabilities."""
        return self._categorical.probs

    def rsample(self, sample_shape=()):
        """``log_softmax((logits - log(-log U)) / temperature)``."""
        shape = self._extended_shape(sample_shape)
        u = clamp_probs(ember.rand(shape, dtype=self.logits.dtype, device=self.logits.device))
        gumbels = -((-(u.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value):
        """Log density of the log-simplex point ``value``."""
        if self._validate_args:
            self._validate_sample(value)
        k = self._categorical._num_events
        logits, value = broadcast_all(self.logits, value)
        log_scale = math.lgamma(k) + (k - 1) * ember.as_tensor(
            self.temperature, dtype=logits.dtype, device=logits.device).log()
        score = logits - value * self.temperature
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    """A relaxed one-hot categorical on the simplex (the Gumbel-softmax / Concrete
    distribution): ``softmax((logits + G) / temperature)`` with Gumbel noise ``G``.

    Args:
        temperature: positive relaxation temperature (a tensor).
        probs: event probabilities (exclusive with ``logits``).
        logits: event log-probabilities (exclusive with ``probs``).
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new RelaxedOneHotCategorical with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def temperature(self):
        """The relaxation temperature."""
        return self.base_dist.temperature

    @property
    def logits(self):
        """Normalised log-probabilities."""
        return self.base_dist.logits

    @property
    def probs(self):
        """Normalised probabilities."""
        return self.base_dist.probs
