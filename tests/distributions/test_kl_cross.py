"""KL divergences between different families, against torch.distributions."""

import math

import numpy as np
import pytest
import torch

import ember
from reference import check, close

rng = np.random.default_rng(11)


def params(name):
    """Parameters of the family ``name`` (3 batch members), as NumPy arrays."""
    u = lambda lo, hi: rng.uniform(lo, hi, 3)
    return {
        "Normal": (u(-1, 1), u(0.5, 2)), "Laplace": (u(-1, 1), u(0.5, 2)),
        "Exponential": (u(0.5, 2),), "Gamma": (u(0.5, 3), u(0.5, 2)),
        "Beta": (u(0.5, 3), u(0.5, 3)), "Uniform": (u(0.05, 0.3), u(0.6, 0.95)),
        "Poisson": (u(0.5, 2),), "Bernoulli": (u(0.1, 0.9),),
    }[name]


def build(lib, name, arrays):
    D = lib.distributions
    return getattr(D, name)(*arrays)


FINITE = [("Uniform", "Normal"), ("Uniform", "Exponential"), ("Uniform", "Gamma"),
          ("Uniform", "Beta"), ("Exponential", "Normal"), ("Exponential", "Gamma"),
          ("Gamma", "Exponential"), ("Gamma", "Normal"), ("Beta", "Normal"),
          ("Beta", "Exponential"), ("Beta", "Gamma"), ("Laplace", "Normal"),
          ("Normal", "Laplace"), ("Bernoulli", "Poisson")]
INFINITE = [("Normal", "Uniform"), ("Normal", "Exponential"), ("Normal", "Gamma"),
            ("Normal", "Beta"), ("Laplace", "Uniform"), ("Laplace", "Exponential"),
            ("Laplace", "Gamma"), ("Laplace", "Beta"), ("Exponential", "Uniform"),
            ("Exponential", "Beta"), ("Gamma", "Uniform"), ("Gamma", "Beta"),
            ("Poisson", "Bernoulli")]


@pytest.mark.parametrize("pair", FINITE, ids=lambda p: f"{p[0]}-{p[1]}")
def test_finite_cross_family_kl_matches_torch(pair):
    p_arrays, q_arrays = params(pair[0]), params(pair[1])
    n = len(p_arrays)

    def kl(*tensors):
        lib = ember if isinstance(tensors[0], ember.Tensor) else torch
        return lib.distributions.kl_divergence(build(lib, pair[0], tensors[:n]),
                                               build(lib, pair[1], tensors[n:]))

    # rtol 1e-7: PyTorch's trigamma (in second derivatives through the
    # entropies' digamma) is off by up to ~5e-10 relative, amplified here.
    check(kl, *p_arrays, *q_arrays, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("pair", INFINITE, ids=lambda p: f"{p[0]}-{p[1]}")
def test_infinite_cross_family_kl_matches_torch(pair):
    p_arrays, q_arrays = params(pair[0]), params(pair[1])
    ours = ember.distributions.kl_divergence(
        build(ember, pair[0], [ember.tensor(a) for a in p_arrays]),
        build(ember, pair[1], [ember.tensor(a) for a in q_arrays]))
    ref = torch.distributions.kl_divergence(
        build(torch, pair[0], [torch.tensor(a) for a in p_arrays]),
        build(torch, pair[1], [torch.tensor(a) for a in q_arrays]))
    close(ours, ref)
    assert np.isinf(ours.numpy()).all()


def test_uniform_outside_the_other_support_is_infinite_like_torch():
    low, high = np.array([-0.5, 0.2]), np.array([0.5, 1.5])
    for q in (("Exponential", (np.array([1.0, 1.0]),)),
              ("Gamma", (np.array([2.0, 2.0]), np.array([1.0, 1.0]))),
              ("Beta", (np.array([2.0, 2.0]), np.array([3.0, 3.0])))):
        ours = ember.distributions.kl_divergence(
            ember.distributions.Uniform(ember.tensor(low), ember.tensor(high)),
            build(ember, q[0], [ember.tensor(a) for a in q[1]]))
        ref = torch.distributions.kl_divergence(
            torch.distributions.Uniform(torch.tensor(low), torch.tensor(high)),
            build(torch, q[0], [torch.tensor(a) for a in q[1]]))
        close(ours, ref, what=q[0])
    beta = (np.array([2.0, 2.0]), np.array([3.0, 3.0]))
    ours = ember.distributions.kl_divergence(
        build(ember, "Beta", [ember.tensor(a) for a in beta]),
        ember.distributions.Uniform(ember.tensor([0.1, -1.0]), ember.tensor([1.0, 2.0])))
    assert math.isinf(ours.numpy()[0]) and math.isfinite(ours.numpy()[1])
