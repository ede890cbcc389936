"""Probability distributions with PyTorch's ``torch.distributions`` API.

``import ember.distributions as D``; ``D.Normal(loc, scale).log_prob(x)``,
``D.kl_divergence(p, q)``. Gradients flow through ``log_prob``, ``entropy``,
``kl_divergence`` and ``rsample`` because they are built from Ember ops.
"""

from ember.distributions import constraints
from ember.distributions import transforms
from ember.distributions.constraint_registry import biject_to, transform_to
from ember.distributions.counts import Binomial, Poisson
from ember.distributions.continuous import Exponential, Laplace, Normal, Uniform
from ember.distributions.continuous_bernoulli import ContinuousBernoulli, VonMises
from ember.distributions.discrete import Bernoulli, Categorical, OneHotCategorical
from ember.distributions.distribution import Distribution
from ember.distributions.extreme import Gumbel, Kumaraswamy, Pareto, Weibull
from ember.distributions.gamma import Beta, Dirichlet, Gamma
from ember.distributions.geometric import Geometric, NegativeBinomial
from ember.distributions.heavy_tails import Cauchy, Chi2, FisherSnedecor, HalfCauchy, StudentT
from ember.distributions.independent import Independent
from ember.distributions.kl import kl_divergence, register_kl
from ember.distributions import kl_cross as _kl_cross  # registers the cross-family pairs
from ember.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from ember.distributions.mixture import MixtureSameFamily
from ember.distributions.multinomial import Multinomial
from ember.distributions.multivariate_normal import MultivariateNormal
from ember.distributions.relaxed import (ExpRelaxedCategorical, LogitRelaxedBernoulli,
                                         RelaxedBernoulli, RelaxedOneHotCategorical)
from ember.distributions.transformed import (HalfNormal, LogisticNormal, LogNormal,
                                             TransformedDistribution)
from ember.distributions.transforms import (AbsTransform, AffineTransform, ComposeTransform,
                                            CumulativeDistributionTransform, ExpTransform,
                                            IndependentTransform, LowerCholeskyTransform,
                                            PositiveDefiniteTransform, PowerTransform,
                                            ReshapeTransform, SigmoidTransform,
                                            SoftmaxTransform, SoftplusTransform,
                                            StickBreakingTransform, TanhTransform, Transform,
                                            identity_transform)

del _kl_cross

__all__ = ["constraints", "transforms", "biject_to", "transform_to", "Distribution",
           "kl_divergence", "register_kl", "Normal", "Uniform", "Exponential", "Laplace",
           "Bernoulli", "Categorical", "OneHotCategorical", "Independent",
           "MultivariateNormal", "Gamma", "Beta", "Dirichlet", "Poisson", "Binomial",
           "TransformedDistribution", "LogNormal", "HalfNormal", "LogisticNormal", "Cauchy",
           "HalfCauchy", "StudentT", "Chi2", "FisherSnedecor", "Gumbel", "Weibull", "Pareto",
           "Kumaraswamy", "Geometric", "NegativeBinomial", "Multinomial",
           "LogitRelaxedBernoulli", "RelaxedBernoulli", "ExpRelaxedCategorical",
           "RelaxedOneHotCategorical", "MixtureSameFamily", "LowRankMultivariateNormal",
           "ContinuousBernoulli", "VonMises", "Transform", "ComposeTransform",
           "IndependentTransform", "ReshapeTransform", "ExpTransform", "PowerTransform",
           "SigmoidTransform", "SoftplusTransform", "TanhTransform", "AbsTransform",
           "AffineTransform", "SoftmaxTransform", "StickBreakingTransform",
           "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "CumulativeDistributionTransform", "identity_transform"]
