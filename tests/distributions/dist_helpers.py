"""Shared helpers for the distribution tests: the twin ``distributions`` module of a
tensor, and sample-moment checks."""

import numpy as np
import torch

import ember
import ember.distributions


def D(t):
    """``torch.distributions`` for torch tensors, ``ember.distributions`` for Ember ones."""
    return torch.distributions if isinstance(t, torch.Tensor) else ember.distributions


def both(make, *arrays):
    """``make(D, *tensors)`` with Ember and with torch float64 tensors: (ours, torch's)."""
    e = make(ember.distributions, *[ember.tensor(a) for a in arrays])
    t = make(torch.distributions, *[torch.tensor(a) for a in arrays])
    return e, t


def assert_moments(samples, mean, var, k=5.0):
    """Sample mean (and variance) within ``k`` standard errors of the true values,
    along the leftmost (sample) dimension."""
    x = samples.detach().numpy() if hasattr(samples, "detach") else samples
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    mean, var = np.broadcast_to(mean, x.shape[1:]), np.broadcast_to(var, x.shape[1:])
    se = np.sqrt(var / n)
    assert np.all(np.abs(x.mean(0) - mean) <= k * se + 1e-12), (x.mean(0), mean, se)
    # variance of the sample variance is about 2 var^2 / n (normal); allow generous slack
    assert np.all(np.abs(x.var(0) - var) <= k * np.sqrt(10.0 / n) * var + 1e-12), \
        (x.var(0), var)
