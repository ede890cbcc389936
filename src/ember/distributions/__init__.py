"""Probability distributions with PyTorch's ``torch.distributions`` API.

``import ember.distributions as D``; ``D.Normal(loc, scale).log_prob(x)``,
``D.kl_divergence(p, q)``. Gradients flow through ``log_prob``, ``entropy``,
``kl_divergence`` and ``rsample`` because they are built from Ember ops.
"""

from ember.distributions import constraints
from ember.distributions.counts import Binomial, Poisson
from ember.distributions.continuous import Exponential, Laplace, Normal, Uniform
from ember.distributions.discrete import Bernoulli, Categorical, OneHotCategorical
from ember.distributions.distribution import Distribution
from ember.distributions.gamma import Beta, Dirichlet, Gamma
from ember.distributions.independent import Independent
from ember.distributions.kl import kl_divergence, register_kl
from ember.distributions import kl_cross  # noqa: F401 - registers the cross-family pairs
from ember.distributions.multivariate_normal import MultivariateNormal

__all__ = ["constraints", "Distribution", "kl_divergence", "register_kl", "Normal", "Uniform",
           "Exponential", "Laplace", "Bernoulli", "Categorical", "OneHotCategorical",
           "Independent", "MultivariateNormal", "Gamma", "Beta", "Dirichlet", "Poisson",
           "Binomial"]
