"""Shared pieces for the ember.train tests: a two-blob dataset and a small MLP."""

import numpy as np

import ember
from ember import nn
from ember.data import DataLoader, TensorDataset


def blobs(n=200, seed=0, dtype=np.float32):
    """Two Gaussian blobs in 2-D, classes 0 and 1, separable with a small margin."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(-1.5, 1, (n // 2, 2)), rng.normal(1.5, 1, (n // 2, 2))])
    y = np.repeat([0, 1], n // 2)
    return TensorDataset(ember.tensor(x.astype(dtype)), ember.tensor(y))


def mlp(seed=0, hidden=8, dropout=0.0, dtype=ember.float32):
    ember.manual_seed(seed)
    layers = [nn.Linear(2, hidden), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(hidden, 2)).to(dtype)


def loader(dataset, batch_size=16, shuffle=False, seed=None):
    generator = None if seed is None else ember.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)
