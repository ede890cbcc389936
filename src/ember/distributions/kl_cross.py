"""KL divergences between different families, the pairs PyTorch registers.

Each finite one is KL(p || q) = -H(p) - E_p[log q(X)], with E_p[log q] in
closed form from p's moments (E[X], E[X^2], E[log X], E[log(1 - X)],
E|X - m|). Where q's support does not cover p's, the divergence is +inf
(always, or where p's support reaches outside: Uniform's bounds).
"""

import math

import ember
from ember.distributions.continuous import Exponential, Laplace, Normal, Uniform
from ember.distributions.counts import Binomial, Poisson
from ember.distributions.discrete import Bernoulli
from ember.distributions.gamma import Beta, Gamma
from ember.distributions.kl import register_kl

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_EULER = 0.5772156649015329


def _inf_like(t):
    return ember.full(tuple(t.shape), math.inf, dtype=t.dtype, device=t.device)


def _log_normal_expectation(q, mean, second_moment_about_loc):
    """E_p[log q(X)] for a Normal q, from E_p[(X - loc)^2]."""
    return -ember.log(q.scale) - _HALF_LOG_2PI - second_moment_about_loc / (2 * q.scale ** 2)


def _log_gamma_expectation(q, mean, mean_log):
    """E_p[log q(X)] for a Gamma q, from E_p[X] and E_p[log X]."""
    a, r = q.concentration, q.rate
    return a * ember.log(r) - ember.lgamma(a) + (a - 1) * mean_log - r * mean


def _uniform_moments(p):
    """E[X], E[log X] (X > 0) and E[log(1 - X)] (X < 1) of Uniform(low, high)."""
    a, b = p.low, p.high
    width = b - a
    mean_log = (ember.xlogy(b, b) - ember.xlogy(a, a)) / width - 1
    mean_log1m = (ember.xlogy(1 - a, 1 - a) - ember.xlogy(1 - b, 1 - b)) / width - 1
    return (a + b) / 2, mean_log, mean_log1m


def _beta_moments(p):
    """E[X], Var[X] and E[log X] of Beta(alpha, beta)."""
    a, b = p.concentration1, p.concentration0
    total = a + b
    return a / total, a * b / (total ** 2 * (total + 1)), ember.digamma(a) - ember.digamma(total)


# ---- p Uniform ------------------------------------------------------------------------

@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    a, b, m = p.low, p.high, q.loc
    second = ((b - m) ** 3 - (a - m) ** 3) / (3 * (b - a))
    return -ember.log(b - a) - _log_normal_expectation(q, None, second)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    value = -ember.log(p.high - p.low) - ember.log(q.rate) + q.rate * (p.low + p.high) / 2
    return ember.where(p.low < 0, math.inf, value)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    mean, mean_log, _ = _uniform_moments(p)
    value = -ember.log(p.high - p.low) - _log_gamma_expectation(q, mean, mean_log)
    return ember.where(p.low < 0, math.inf, value)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    _, mean_log, mean_log1m = _uniform_moments(p)
    a, b = q.concentration1, q.concentration0
    log_beta = ember.lgamma(a) + ember.lgamma(b) - ember.lgamma(a + b)
    expected = (a - 1) * mean_log + (b - 1) * mean_log1m - log_beta
    value = -ember.log(p.high - p.low) - expected
    return ember.where((p.low < 0) | (p.high > 1), math.inf, value)


# ---- p Exponential, Gamma, Beta, Laplace, Normal ----------------------------------------

@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    lam, m = p.rate, q.loc
    second = 2 / lam ** 2 - 2 * m / lam + m ** 2
    return -p.entropy() - _log_normal_expectation(q, None, second)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    mean_log = -_EULER - ember.log(p.rate)
    return -p.entropy() - _log_gamma_expectation(q, 1 / p.rate, mean_log)


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    return -p.entropy() - ember.log(q.rate) + q.rate * p.concentration / p.rate


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    mean = p.concentration / p.rate
    second = p.concentration / p.rate ** 2 + (mean - q.loc) ** 2
    return -p.entropy() - _log_normal_expectation(q, None, second)


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    mean, var, _ = _beta_moments(p)
    return -p.entropy() - _log_normal_expectation(q, None, var + (mean - q.loc) ** 2)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    mean, _, _ = _beta_moments(p)
    return -p.entropy() - ember.log(q.rate) + q.rate * mean


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    mean, _, mean_log = _beta_moments(p)
    return -p.entropy() - _log_gamma_expectation(q, mean, mean_log)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    value = -p.entropy() + ember.log(q.high - q.low)
    return ember.where((q.low > 0) | (q.high < 1), math.inf, value)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    second = 2 * p.scale ** 2 + (p.loc - q.loc) ** 2
    return -p.entropy() - _log_normal_expectation(q, None, second)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    # E|X - m| for X ~ N(mu, s^2): the folded normal's mean.
    d, s = p.loc - q.loc, p.scale
    folded = s * math.sqrt(2 / math.pi) * ember.exp(-d ** 2 / (2 * s ** 2)) + \
        d * ember.erf(d / (s * math.sqrt(2)))
    return -p.entropy() + ember.log(2 * q.scale) + folded / q.scale


# ---- infinite: q's support misses part of p's -------------------------------------------

def _always_infinite(parameter):
    def kl(p, q):
        return _inf_like(getattr(p, parameter))
    return kl


for _p, _q, _param in [(Normal, Uniform, "loc"), (Normal, Exponential, "loc"),
                       (Normal, Gamma, "loc"), (Normal, Beta, "loc"),
                       (Laplace, Uniform, "loc"), (Laplace, Exponential, "loc"),
                       (Laplace, Gamma, "loc"), (Laplace, Beta, "loc"),
                       (Exponential, Uniform, "rate"), (Exponential, Beta, "rate"),
                       (Gamma, Uniform, "concentration"), (Gamma, Beta, "concentration"),
                       (Poisson, Bernoulli, "rate"), (Poisson, Binomial, "rate")]:
    register_kl(_p, _q)(_always_infinite(_param))


# ---- discrete ---------------------------------------------------------------------------

@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    prob, lam = p.probs, q.rate
    return (ember.xlogy(prob, prob) + ember.xlogy(1 - prob, 1 - prob) + lam
            - ember.xlogy(prob, lam))
