"""Samplers: the order in which a DataLoader visits a map-style dataset.

A sampler yields dataset keys; a ``BatchSampler`` groups them into lists.
Randomness comes from an ``ember.Generator`` (``generator=``) or, when none is
given, from a fresh stream seeded by one draw from the default generator (as
PyTorch does), so ``ember.manual_seed`` makes every epoch's order reproducible.

Differs from PyTorch: the orders drawn for a given seed are Ember's own.
"""

import math

import numpy as np

from ember.backend.random import default_generator, rng as _rng
from ember.tensor import Tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DistributedSampler"]


class Sampler:
    """Base class: subclasses implement ``__iter__`` (keys) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


def _numpy_rng(generator, op):
    """The NumPy stream for one pass: ``generator``'s, or a fresh one seeded from the default."""
    if generator is not None:
        return _rng(generator, op)
    seed = int(default_generator.rng.integers(0, 2**63))
    return np.random.default_rng(seed)


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value!r}")


def _check_bool(name, value, error=ValueError):
    if not isinstance(value, bool):
        raise error(f"{name} should be a boolean value, but got {name}={value!r}")


class SequentialSampler(Sampler):
    """Keys ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Keys in random order: a permutation, or draws with replacement.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw ``num_samples`` keys independently if True.
        num_samples: how many keys per pass (default ``len(data_source)``);
            without replacement, more than the length chains permutations.
        generator: the ``ember.Generator`` to draw from.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_bool("replacement", replacement, TypeError)
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self):
        # The dataset may change size between passes: read its length late.
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        rng = _numpy_rng(self.generator, "RandomSampler")
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:self.num_samples % n].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order, without replacement."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        rng = _numpy_rng(self.generator, "SubsetRandomSampler")
        for i in rng.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Keys ``0..len(weights)-1`` drawn with probability proportional to ``weights``.

    Args:
        weights: non-negative weights, one per key (need not sum to 1).
        num_samples: how many keys to draw per pass.
        replacement: if False, a key comes at most once (then
            ``num_samples <= len(weights)``).
        generator: the ``ember.Generator`` to draw from.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int("num_samples", num_samples)
        _check_bool("replacement", replacement)
        w = np.asarray(weights.detach().numpy() if isinstance(weights, Tensor) else weights,
                       dtype=np.float64)
        if w.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative "
                             f"and not all zero, got {w.tolist()}")
        if not replacement and num_samples > int((w > 0).sum()):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                             f"replacement from {int((w > 0).sum())} keys of non-zero weight")
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        rng = _numpy_rng(self.generator, "WeightedRandomSampler")
        p = self.weights / self.weights.sum()
        yield from rng.choice(len(p), size=self.num_samples, replace=self.replacement,
                              p=p).tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's keys into lists of ``batch_size``.

    Args:
        sampler: any iterable of keys.
        batch_size: keys per batch.
        drop_last: drop the last batch if it is short.
    """

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int("batch_size", batch_size)
        _check_bool("drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


class DistributedSampler(Sampler):
    """The share of the dataset's keys one of ``num_replicas`` processes visits.

    As PyTorch's: the keys (shuffled per epoch from ``seed + epoch`` when
    ``shuffle``) are padded by repeating from the start to a multiple of
    ``num_replicas`` (or cut to one, with ``drop_last``), and replica ``rank``
    takes every ``num_replicas``-th key from position ``rank``. Call
    ``set_epoch(epoch)`` before each epoch for a new order.

    Args:
        dataset: the dataset (only its length is used).
        num_replicas, rank: the number of processes and this one's index; both
            required (Ember has no default process group to read them from).
        shuffle, seed, drop_last: as above.

    Differs from PyTorch: the shuffled orders are Ember's own for a given seed.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            raise ValueError("DistributedSampler: pass num_replicas and rank (Ember has no "
                             "default process group to take them from)")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:  # the tail is dropped so every replica gets as many
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            from ember.backend.random import Generator
            gen = Generator().manual_seed(self.seed + self.epoch)
            indices = gen.rng.permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use ``epoch`` (with ``seed``) for the next shuffled order."""
        self.epoch = epoch
