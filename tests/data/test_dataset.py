"""Dataset classes, random_split and the samplers."""

import warnings

import numpy as np
import pytest

import ember
from ember.data import (BatchSampler, ChainDataset, ConcatDataset, IterableDataset,
                        RandomSampler, SequentialSampler, Subset, SubsetRandomSampler,
                        TensorDataset, WeightedRandomSampler, random_split)


class Stream(IterableDataset):
    def __init__(self, values):
        self.values = values

    def __iter__(self):
        return iter(self.values)

    def __len__(self):
        return len(self.values)


def test_tensor_dataset_rows_and_length():
    x, y = ember.arange(12).reshape(4, 3), ember.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    row, label = ds[2]
    assert row.tolist() == [6, 7, 8] and label.item() == 0


def test_tensor_dataset_size_mismatch():
    with pytest.raises(ValueError, match=r"TensorDataset: size mismatch.*\[3, 2\]"):
        TensorDataset(ember.zeros(3), ember.zeros(2))


def test_subset_and_concat():
    ds = ConcatDataset([list(range(3)), list(range(10, 15))])
    assert len(ds) == 8 and ds.cumulative_sizes == [3, 8]
    assert [ds[i] for i in range(8)] == [0, 1, 2, 10, 11, 12, 13, 14]
    assert ds[-1] == 14
    sub = Subset(ds, [7, 0, 3])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [14, 0, 10]
    assert sub.__getitems__([0, 2]) == [14, 10]
    with pytest.raises(IndexError, match="index 8 out of range for length 8"):
        ds[8]
    with pytest.raises(ValueError, match="should not exceed dataset length 8"):
        ds[-9]


def test_concat_rejects_iterable_and_empty():
    with pytest.raises(TypeError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Stream([1])])
    with pytest.raises(ValueError, match="empty iterable"):
        ConcatDataset([])


def test_chain_and_add():
    assert list(Stream([1, 2]) + Stream([3])) == [1, 2, 3]
    assert len(ChainDataset([Stream([1, 2]), Stream([3])])) == 3
    ds = TensorDataset(ember.zeros(2)) + TensorDataset(ember.ones(3))
    assert isinstance(ds, ConcatDataset) and len(ds) == 5


def test_random_split_int_lengths_partition_and_determinism():
    a = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(42))
    b = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(42))
    assert [len(s) for s in a] == [3, 7]
    assert sorted(a[0].indices + a[1].indices) == list(range(10))
    assert a[0].indices == b[0].indices
    c = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(43))
    assert c[0].indices + c[1].indices != a[0].indices + a[1].indices


def test_random_split_default_generator_follows_manual_seed():
    ember.manual_seed(5)
    a = random_split(range(20), [10, 10])
    ember.manual_seed(5)
    assert random_split(range(20), [10, 10])[0].indices == a[0].indices


@pytest.mark.parametrize("fractions, sizes", [([0.3, 0.3, 0.4], [3, 3, 4]),
                                              ([0.5, 0.5], [6, 5]),
                                              ([0.25, 0.25, 0.25, 0.25], [3, 3, 3, 2])])
def test_random_split_fractions_match_torch_rule(fractions, sizes):
    n = sum(sizes)
    parts = random_split(range(n), fractions, generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == sizes


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="fraction at index 0 is not between 0 and 1, got 1.5"):
        random_split(range(10), [1.5, -0.5])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        random_split(range(1), [0.5, 0.5])
    assert any("Length of split at index 1 is 0" in str(w.message) for w in caught)


def test_sequential_and_random_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = ember.Generator().manual_seed(0)
    s = RandomSampler(range(6), generator=g)
    first, second = list(s), list(s)
    assert sorted(first) == list(range(6)) and sorted(second) == list(range(6))
    assert first != second  # the generator advances between epochs
    assert list(RandomSampler(range(6), generator=ember.Generator().manual_seed(0))) == first


def test_random_sampler_num_samples_and_replacement():
    s = RandomSampler(range(4), num_samples=10, generator=ember.Generator().manual_seed(1))
    out = list(s)
    assert len(s) == 10 and len(out) == 10
    assert sorted(out[:4]) == [0, 1, 2, 3] and sorted(out[4:8]) == [0, 1, 2, 3]
    r = list(RandomSampler(range(3), replacement=True, num_samples=50,
                           generator=ember.Generator().manual_seed(1)))
    assert len(r) == 50 and set(r) <= {0, 1, 2}


def test_random_sampler_errors_use_torch_messages():
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got "
                                        "replacement=1"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, "
                                         "but got num_samples=0"):
        RandomSampler(range(3), num_samples=0)


def test_subset_random_sampler_permutes_indices():
    out = list(SubsetRandomSampler([10, 20, 30], generator=ember.Generator().manual_seed(0)))
    assert sorted(out) == [10, 20, 30]


def test_weighted_random_sampler_frequencies_and_zero_weight():
    s = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=4000,
                              generator=ember.Generator().manual_seed(0))
    counts = np.bincount(list(s), minlength=3)
    assert counts[0] == 0 and abs(counts[2] / counts[1] - 3) < 0.4
    no_repeat = list(WeightedRandomSampler([1, 1, 1], 3, replacement=False,
                                           generator=ember.Generator().manual_seed(0)))
    assert sorted(no_repeat) == [0, 1, 2]


def test_weighted_random_sampler_errors():
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0]], 1)
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 1)
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement from 2"):
        WeightedRandomSampler([1.0, 1.0, 0.0], 3, replacement=False)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but "
                                         "got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 1, None)
