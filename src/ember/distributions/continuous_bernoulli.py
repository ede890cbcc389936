"""``ContinuousBernoulli`` (Loaiza-Ganem & Cunningham, 2019) and ``VonMises``."""

import math
import numbers

import numpy as np

import ember
import ember.nn.functional as F
from ember.backend.random import rng
from ember.distributions import constraints
from ember.distributions.continuous import _scalar_batch
from ember.distributions.discrete import BinaryParameters
from ember.distributions.distribution import Distribution
from ember.distributions.kl import register_kl
from ember.distributions.utils import broadcast_all, clamp_probs, host, logits_to_probs
from ember.distributions.utils import lazy_property

__all__ = ["ContinuousBernoulli", "VonMises"]


class ContinuousBernoulli(BinaryParameters, Distribution):
    """The continuous Bernoulli on [0, 1]: density proportional to
    ``probs ** x (1 - probs) ** (1 - x)``.

    Near ``probs = 1/2`` the closed forms divide 0 by 0, so inside ``lims`` the
    normaliser, mean and variance use their Taylor expansions around 1/2.

    Args:
        probs: the shape parameter in [0, 1] (exclusive with ``logits``).
        logits: its log-odds (exclusive with ``probs``).
        lims: the interval around 1/2 where Taylor expansions are used.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("ContinuousBernoulli: either `probs` or `logits` must be "
                             "specified, but not both.")
        param = probs if probs is not None else logits
        if probs is not None:
            (probs_t,) = broadcast_all(probs)
            # check before clamping: a clamped value would always pass
            if validate_args is not False and (validate_args or Distribution._validate_args):
                if not bool(constraints.unit_interval.check(probs_t).all().item()):
                    raise ValueError("ContinuousBernoulli: the parameter probs has invalid "
                                     f"values (expected them in [0, 1]):\n{probs_t}")
            self.probs = clamp_probs(probs_t)
            self._param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            self._param = self.logits
        self._lims = lims
        batch = () if isinstance(param, numbers.Number) else tuple(self._param.shape)
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new ContinuousBernoulli with parameters expanded to ``batch_shape``."""
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        batch_shape = tuple(batch_shape)
        new._lims = self._lims
        for name in ("probs", "logits"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(batch_shape))
                new._param = getattr(new, name)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def probs(self):
        """The shape parameter, clamped into [eps, 1 - eps]."""
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def _outside_unstable_region(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        # probs moved off 1/2 where the Taylor branch is used, so that the unused
        # closed-form branch of each `where` stays finite (and its gradient too)
        return ember.where(self._outside_unstable_region(), self.probs, self._lims[0])

    def _log_normalizer(self):
        """``log C(probs)``, ``C = 2 atanh(1 - 2 p) / (1 - 2 p)``."""
        cut = self._cut_probs()
        below = ember.where(cut <= 0.5, cut, 0.0)
        above = ember.where(cut >= 0.5, cut, 1.0)
        log_norm = ((-cut).log1p() - cut.log()).abs().log() - ember.where(
            cut <= 0.5, (-2.0 * below).log1p(), (2.0 * above - 1.0).log())
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return ember.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        """``p / (2p - 1) + 1 / (2 atanh(1 - 2p))``."""
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / ((-cut).log1p() - cut.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return ember.where(self._outside_unstable_region(), mus, taylor)

    @property
    def variance(self):
        """Closed form away from 1/2, Taylor expansion near it."""
        cut = self._cut_probs()
        vs = (cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2)
              + 1.0 / ((-cut).log1p() - cut.log()).pow(2))
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return ember.where(self._outside_unstable_region(), vs, taylor)

    @property
    def stddev(self):
        """``sqrt(variance)``."""
        return self.variance.sqrt()

    def rsample(self, sample_shape=()):
        """``icdf(U)`` with ``U`` uniform: differentiable in the parameter."""
        shape = self._extended_shape(sample_shape)
        u = ember.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        """``-bce_with_logits(logits, value) + log C``."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return (-F.binary_cross_entropy_with_logits(logits, value, reduction="none")
                + self._log_normalizer())

    def cdf(self, value):
        """``(p^x (1-p)^(1-x) + p - 1) / (2p - 1)`` on [0, 1] (``x`` near p = 1/2)."""
        if self._validate_args:
            self._validate_sample(value)
        cut = self._cut_probs()
        cdfs = (cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        unbounded = ember.where(self._outside_unstable_region(), cdfs, value)
        return ember.where(value <= 0.0, 0.0, ember.where(value >= 1.0, 1.0, unbounded))

    def icdf(self, value):
        """The inverse of ``cdf``."""
        cut = self._cut_probs()
        inv = (((-cut) + value * (2.0 * cut - 1.0)).log1p() - (-cut).log1p()) / (
            cut.log() - (-cut).log1p())
        return ember.where(self._outside_unstable_region(), inv, value)

    def entropy(self):
        """``mean * (log(1 - p) - log p) - log C - log(1 - p)``."""
        log_p0 = (-self.probs).log1p()
        log_p1 = self.probs.log()
        return self.mean * (log_p0 - log_p1) - self._log_normalizer() - log_p0


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    t1 = p.mean * (p.logits - q.logits)
    t2 = p._log_normalizer() + (-p.probs).log1p()
    t3 = -q._log_normalizer() - (-q.probs).log1p()
    return t1 + t2 + t3


class VonMises(Distribution):
    """The von Mises distribution on the circle, ``exp(k cos(x - loc)) / (2 pi I0(k))``.

    Samples lie in [-pi, pi). ``log_prob`` accepts any real value (the density is
    periodic).

    Args:
        loc: the circular mean, in radians.
        concentration: the positive concentration ``k``.
        validate_args: check the arguments against their constraints.
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(_scalar_batch((loc, concentration), self.loc),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """A new VonMises with parameters expanded to ``batch_shape``."""
        return self._expanded(VonMises, batch_shape, _instance, "loc", "concentration")

    def _log_i0(self):
        # log I0(k) = log(I0(k) e^-k) + k: finite for large k
        k = self.concentration
        return ember.special.i0e(k).log() + k

    def log_prob(self, value):
        """``k cos(value - loc) - log(2 pi) - log I0(k)``."""
        if self._validate_args:
            self._validate_sample(value)
        return (self.concentration * (value - self.loc).cos() - math.log(2 * math.pi)
                - self._log_i0())

    @property
    def mean(self):
        """``loc`` (the circular mean)."""
        return self.loc

    @property
    def mode(self):
        """``loc``."""
        return self.loc

    @lazy_property
    def variance(self):
        """The circular variance ``1 - I1(k) / I0(k)``."""
        k = self.concentration
        return 1 - ember.special.i1e(k) / ember.special.i0e(k)

    def sample(self, sample_shape=()):
        """Draw angles in [-pi, pi) from Ember's seeded generator (no gradient)."""
        shape = self._extended_shape(sample_shape)
        mu = np.broadcast_to(host(self.loc), shape)
        kappa = np.broadcast_to(host(self.concentration), shape)
        x = rng().vonmises(mu, kappa)
        x = np.remainder(x + np.pi, 2 * np.pi) - np.pi  # wrap into [-pi, pi)
        return ember.tensor(x, dtype=self.loc.dtype, device=self.loc.device)
