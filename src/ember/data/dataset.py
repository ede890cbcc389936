"""Datasets: the map-style and iterable-style protocols, and ways to combine them.

A map-style ``Dataset`` answers ``dataset[i]`` and ``len(dataset)``; an
``IterableDataset`` yields samples from ``__iter__``. Both follow
``torch.utils.data`` exactly, so existing dataset classes port unchanged.
"""

import bisect
import itertools
import math
import warnings

from ember.backend.random import default_generator, rng

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "StackDataset", "random_split"]


class Dataset:
    """A map from keys (usually indices ``0..len-1``) to samples.

    Subclasses implement ``__getitem__`` and, for the default samplers,
    ``__len__``. ``dataset_a + dataset_b`` concatenates.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses implement ``__iter__``.

    With ``num_workers > 0`` each worker process iterates its own copy; use
    ``ember.data.get_worker_info()`` inside ``__iter__`` to give each worker a
    different share of the stream, or every sample comes out once per worker.
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows ``(t[i] for t in tensors)`` of tensors sharing their first size.

    Args:
        *tensors: tensors (or NumPy arrays) with the same ``size(0)``.
    """

    def __init__(self, *tensors):
        sizes = [len(t) for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"TensorDataset: size mismatch between tensors: first sizes {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0]) if self.tensors else 0


class Subset(Dataset):
    """The samples of ``dataset`` at the positions ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Map-style datasets one after another: index ``len(a)`` is ``b[0]``.

    Attributes:
        cumulative_sizes: running totals of the datasets' lengths.
    """

    @staticmethod
    def cumsum(sequence):
        """Running totals of ``len(e)`` over ``sequence``."""
        return list(itertools.accumulate(len(e) for e in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset; "
                                "use ChainDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"ConcatDataset: absolute value of index {idx} should not "
                                 f"exceed dataset length {len(self)}")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        if dataset_idx >= len(self.datasets):
            raise IndexError(f"ConcatDataset: index {idx} out of range for length {len(self)}")
        start = self.cumulative_sizes[dataset_idx - 1] if dataset_idx > 0 else 0
        return self.datasets[dataset_idx][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another, chained lazily."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got "
                                f"{type(d).__name__}")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Several datasets of one length side by side: sample ``i`` is the tuple of
    their ``i``-th samples (positional) or a dict of them (keyword), as PyTorch's."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = args or tuple(kwargs.values())
        self._length = len(parts[0])
        if any(self._length != len(d) for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets = kwargs if kwargs else args

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices):
        """The samples at ``indices`` (a DataLoader's batch), each dataset asked for
        all of them at once where it has ``__getitems__`` itself."""
        named = isinstance(self.datasets, dict)
        parts = self.datasets.items() if named else enumerate(self.datasets)
        batch = [{} if named else [] for _ in indices]
        for key, dataset in parts:
            if callable(getattr(dataset, "__getitems__", None)):
                items = dataset.__getitems__(indices)
                if len(items) != len(indices):
                    raise ValueError(f"Nested dataset's output size mismatch. Expected "
                                     f"{len(indices)}, got {len(items)}")
            else:
                items = [dataset[i] for i in indices]
            for sample, item in zip(batch, items):
                if named:
                    sample[key] = item
                else:
                    sample.append(item)
        return batch if named else [tuple(sample) for sample in batch]

    def __len__(self):
        return self._length


def _lengths_from_fractions(fractions, n):
    # PyTorch's rule: floor each share, then hand out the remainder one by one
    # in round-robin order from the first split.
    lengths = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1, "
                             f"got {frac}")
        lengths.append(math.floor(n * frac))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                          "empty dataset.", stacklevel=3)
    return lengths


def random_split(dataset, lengths, generator=default_generator):
    """Split ``dataset`` at random into non-overlapping ``Subset``s of the given lengths.

    Args:
        dataset: a map-style dataset.
        lengths: integer lengths summing to ``len(dataset)``, or fractions
            summing to 1 (each split gets ``floor(frac * len)``; the remainder
            goes one per split, from the first).
        generator: the ``ember.Generator`` for the permutation (default: the
            global one, so ``ember.manual_seed`` makes it reproducible).

    Differs from PyTorch: the permutation for a given seed is Ember's own.
    """
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, n)
    if any(isinstance(length, float) and not float(length).is_integer() for length in lengths):
        raise ValueError(f"random_split: lengths must be integers or fractions summing to 1, "
                         f"got {lengths}")
    lengths = [int(length) for length in lengths]
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input "
                         f"dataset! (random_split: lengths {lengths} sum to {sum(lengths)}, "
                         f"dataset has {n})")
    indices = rng(generator, "random_split").permutation(n).tolist()
    return [Subset(dataset, indices[offset - length:offset])
            for offset, length in zip(itertools.accumulate(lengths), lengths)]
