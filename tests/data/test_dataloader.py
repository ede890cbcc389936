"""DataLoader in the calling process: batching, shuffling, argument checks."""

import numpy as np
import pytest

import ember
from ember.data import (BatchSampler, DataLoader, IterableDataset, SequentialSampler,
                        TensorDataset, default_collate)


def make_dataset(n=10):
    return TensorDataset(ember.arange(n * 2, dtype=ember.float32).reshape(n, 2), ember.arange(n))


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_batches_shapes_and_len():
    dl = DataLoader(make_dataset(10), batch_size=4)
    batches = list(dl)
    assert len(dl) == 3 and len(batches) == 3
    assert [tuple(x.shape) for x, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    assert batches[0][1].tolist() == [0, 1, 2, 3] and batches[0][1].dtype == ember.int64


def test_drop_last():
    dl = DataLoader(make_dataset(10), batch_size=4, drop_last=True)
    assert len(dl) == 2 and [y.tolist() for _, y in dl] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_reproducible_with_seeded_generator():
    def epoch(loader):
        return [i for _, y in loader for i in y.tolist()]

    a = DataLoader(make_dataset(), batch_size=3, shuffle=True,
                   generator=ember.Generator().manual_seed(7))
    b = DataLoader(make_dataset(), batch_size=3, shuffle=True,
                   generator=ember.Generator().manual_seed(7))
    a1, a2 = epoch(a), epoch(a)
    assert sorted(a1) == list(range(10)) and a1 != list(range(10))
    assert a1 != a2  # each epoch reshuffles
    assert (a1, a2) == (epoch(b), epoch(b))


def test_shuffle_generator_is_independent_of_default_stream():
    g = ember.Generator().manual_seed(3)
    dl = DataLoader(make_dataset(), batch_size=10, shuffle=True, generator=g)
    ember.manual_seed(0)
    before = ember.rand(3).tolist()
    ember.manual_seed(0)
    order = next(iter(dl))[1].tolist()
    assert ember.rand(3).tolist() == before  # shuffling with g drew nothing from the default
    g.manual_seed(3)
    ember.rand(5)  # drawing from the default does not change g's order
    assert next(iter(dl))[1].tolist() == order


def test_shuffle_without_generator_follows_manual_seed():
    dl = DataLoader(make_dataset(), batch_size=10, shuffle=True)
    ember.manual_seed(11)
    first = next(iter(dl))[1].tolist()
    ember.manual_seed(11)
    assert next(iter(dl))[1].tolist() == first


def test_custom_collate_fn_and_batch_sampler():
    dl = DataLoader(list(range(7)), batch_sampler=BatchSampler(SequentialSampler(range(7)), 3,
                                                               False),
                    collate_fn=lambda batch: sum(batch))
    assert list(dl) == [3, 12, 6] and len(dl) == 3


def test_batch_size_none_converts_without_batching():
    dl = DataLoader([np.ones(2, np.float32), np.zeros(2, np.float32)], batch_size=None)
    out = list(dl)
    assert len(out) == 2 and isinstance(out[0], ember.Tensor) and out[0].shape == (2,)


def test_dict_samples():
    data = [{"x": np.full(3, i, np.float32), "y": i} for i in range(5)]
    batch = next(iter(DataLoader(data, batch_size=5)))
    assert batch["x"].shape == (5, 3) and batch["y"].tolist() == [0, 1, 2, 3, 4]


def test_iterable_dataset_batches_and_len():
    dl = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5], [6]] and len(dl) == 3
    dl = DataLoader(Stream(7), batch_size=3, drop_last=True)
    assert [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5]] and len(dl) == 2


def test_default_collate_is_the_default():
    assert DataLoader([1]).collate_fn is default_collate


@pytest.mark.parametrize("kwargs, message", [
    (dict(sampler=SequentialSampler(range(3)), shuffle=True),
     "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=BatchSampler(range(3), 2, False), batch_size=2),
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    (dict(batch_sampler=BatchSampler(range(3), 2, False), shuffle=True),
     "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_sampler=BatchSampler(range(3), 2, False), drop_last=True),
     "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_size=None, drop_last=True),
     "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(multiprocessing_context="fork"), "multiprocessing_context can only be used with "
                                           "multi-process loading"),
    (dict(num_workers=1, multiprocessing_context="nope"), "should specify a valid start method"),
])
def test_argument_errors_use_torch_messages(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(list(range(3)), **kwargs)


@pytest.mark.parametrize("kwargs, name", [(dict(shuffle=True), "shuffle"),
                                          (dict(sampler=[0]), "sampler"),
                                          (dict(batch_sampler=[[0]]), "batch_sampler")])
def test_iterable_dataset_refuses_sampling_options(kwargs, name):
    with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: expected unspecified "
                                         f"{name} option"):
        DataLoader(Stream(3), **kwargs)


def test_attributes_frozen_after_init():
    dl = DataLoader(list(range(3)))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        dl.batch_size = 2
    dl.num_workers = 0  # not frozen, as in PyTorch
