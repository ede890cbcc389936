"""``MixtureSameFamily``: a mixture whose components are the rightmost batch dim
of one distribution (the output layer of mixture density networks)."""

import ember
from ember.distributions import constraints
from ember.distributions.discrete import Categorical
from ember.distributions.distribution import Distribution

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """Mixture of the ``K`` components batched in the rightmost batch dim of
    ``component_distribution``, weighted by the Categorical ``mixture_distribution``.

    Args:
        mixture_distribution: a ``Categorical`` over the K components, batch shape
            broadcastable with the component batch shape less its last dim.
        component_distribution: a distribution of batch shape ``batch + (K,)``.
        validate_args: check values passed to ``log_prob``.
    """

    arg_constraints = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("The Mixture distribution needs to be an instance of "
                             "ember.distributions.Categorical, got "
                             f"{type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of "
                             "ember.distributions.Distribution, got "
                             f"{type(component_distribution).__name__}")
        if len(component_distribution.batch_shape) < 1:
            raise ValueError("MixtureSameFamily: component_distribution needs a batch dim for "
                             "the components, got batch_shape ()")
        mdbs = mixture_distribution.batch_shape
        cdbs = component_distribution.batch_shape[:-1]
        for size1, size2 in zip(reversed(mdbs), reversed(cdbs)):
            if size1 != 1 and size2 != 1 and size1 != size2:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mdbs}) is not "
                                 "compatible with `component_distribution.batch_shape`"
                                 f"({cdbs})")
        km = mixture_distribution.logits.shape[-1]
        kc = component_distribution.batch_shape[-1]
        if km != kc:
            raise ValueError(f"`mixture_distribution component` ({km}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({kc})")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = km
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(cdbs, component_distribution.event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new MixtureSameFamily with both distributions expanded to ``batch_shape``."""
        new = self._get_checked_instance(MixtureSameFamily, _instance)
        batch_shape = tuple(batch_shape)
        new._component_distribution = self._component_distribution.expand(
            batch_shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        new._num_component = self._num_component
        new._event_ndims = self._event_ndims
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property
    def support(self):
        """Values in the support of every component."""
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self):
        """The Categorical over components."""
        return self._mixture_distribution

    @property
    def component_distribution(self):
        """The batched components."""
        return self._component_distribution

    def _weights(self):
        """Mixture probabilities shaped ``mixture batch + (K,) + (1,) * event dims``,
        aligned on the right with the components' batch."""
        probs = self._mixture_distribution.probs
        return probs.reshape(tuple(probs.shape) + (1,) * self._event_ndims)

    def _pad(self, x):
        """Insert the component dim into ``x``, left of its event dims."""
        return x.unsqueeze(-1 - self._event_ndims)

    @property
    def mean(self):
        """The weighted mean of the component means."""
        dim = -1 - self._event_ndims
        return (self._weights() * self._component_distribution.mean).sum(dim)

    @property
    def variance(self):
        """Law of total variance: mean of the variances plus variance of the means."""
        dim = -1 - self._event_ndims
        w = self._weights()
        mean_cond_var = (w * self._component_distribution.variance).sum(dim)
        deviation = self._component_distribution.mean - self._pad(self.mean)
        var_cond_mean = (w * deviation.pow(2)).sum(dim)
        return mean_cond_var + var_cond_mean

    def cdf(self, x):
        """The weighted sum of the component CDFs (univariate components)."""
        x = self._pad(x)
        return (self._component_distribution.cdf(x) * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, x):
        """``logsumexp`` over components of component log-density plus log weight."""
        if self._validate_args:
            self._validate_sample(x)
        x = self._pad(x)
        log_prob_x = self._component_distribution.log_prob(x)  # (S, B, K)
        log_mix = ember.log_softmax(self._mixture_distribution.logits, dim=-1)
        return (log_prob_x + log_mix).logsumexp(dim=-1)

    def sample(self, sample_shape=()):
        """Pick a component per draw, then take that component's sample."""
        with ember.no_grad():
            sample_shape = tuple(sample_shape)
            gather_dim = len(sample_shape) + len(self.batch_shape)
            mixture = self._mixture_distribution
            if mixture.batch_shape != self.batch_shape:
                mixture = mixture.expand(self.batch_shape)  # one choice per batch element
            mix_sample = mixture.sample(sample_shape)  # (S, B)
            comp_samples = self._component_distribution.sample(sample_shape)  # (S, B, K, E)
            mix_shape = tuple(mix_sample.shape)
            # index shaped (S, B, 1, E): broadcast the choice across the event dims
            index = mix_sample.reshape(mix_shape + (1,) * (self._event_ndims + 1))
            full = tuple(comp_samples.shape[:gather_dim]) + (1,) + self.event_shape
            index = index.expand(full)
            return comp_samples.gather(gather_dim, index).squeeze(gather_dim)

    def __repr__(self):
        return (f"MixtureSameFamily(\n  {self._mixture_distribution!r},\n  "
                f"{self._component_distribution!r})")
