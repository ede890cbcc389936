"""DataLoader with worker processes (2 workers, tiny datasets: these stay fast)."""

import math
import random

import numpy as np
import pytest

import ember
from ember.data import DataLoader, Dataset, IterableDataset, get_worker_info


class WhoAmI(Dataset):
    """Each sample reports the worker that made it and what its RNGs draw."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {"index": i, "worker": info.id, "seed": info.seed, "num_workers": info.num_workers,
                "py": random.random(), "np": float(np.random.rand()),
                "ember": ember.rand(1).item()}


class Shards(IterableDataset):
    """Numbers 0..n-1, split between workers by contiguous ranges (PyTorch's recipe)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        per_worker = math.ceil(self.n / info.num_workers)
        start = info.id * per_worker
        return iter(range(start, min(start + per_worker, self.n)))


class Faulty(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise ValueError("sample 3 is corrupt")
        return i


def test_map_dataset_order_matches_single_process():
    data = [np.full(2, i, np.float32) for i in range(9)]
    single = [b.tolist() for b in DataLoader(data, batch_size=2)]
    multi = [b.tolist() for b in DataLoader(data, batch_size=2, num_workers=2)]
    assert multi == single


def test_worker_info_and_seeding():
    def run(seed):
        dl = DataLoader(WhoAmI(), batch_size=2, num_workers=2,
                        generator=ember.Generator().manual_seed(seed))
        return list(dl)

    batches = run(0)
    # Batches go to the workers round-robin: batch k comes from worker k % 2.
    assert [b["worker"].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]
    assert all(b["num_workers"].tolist() == [2, 2] for b in batches)
    seeds = {w: s for b in batches for w, s in zip(b["worker"].tolist(), b["seed"].tolist())}
    assert seeds[1] == seeds[0] + 1  # seed = base_seed + worker_id
    assert batches[0]["py"].tolist() != batches[1]["py"].tolist()  # workers draw differently
    assert batches[0]["np"].tolist() != batches[1]["np"].tolist()
    assert batches[0]["ember"].tolist() != batches[1]["ember"].tolist()
    again = run(0)
    for key in ("seed", "py", "np", "ember"):
        assert [b[key].tolist() for b in again] == [b[key].tolist() for b in batches]
    assert run(1)[0]["seed"].tolist() != batches[0]["seed"].tolist()


def test_worker_info_is_none_in_main_process():
    assert get_worker_info() is None


def test_iterable_dataset_split_between_workers():
    dl = DataLoader(Shards(10), batch_size=2, num_workers=2)
    batches = [b.tolist() for b in dl]
    # Worker 0 yields 0..4, worker 1 yields 5..9; batches alternate between them.
    assert batches == [[0, 1], [5, 6], [2, 3], [7, 8], [4], [9]]


def test_iterable_dataset_without_sharding_duplicates():
    out = sorted(x for b in DataLoader(Shards.__new__(_Unsharded), batch_size=None,
                                       num_workers=2) for x in [int(b)])
    assert out == [0, 0, 1, 1, 2, 2]


class _Unsharded(IterableDataset):
    def __iter__(self):
        return iter(range(3))


def test_worker_exception_reraised_with_traceback():
    dl = DataLoader(Faulty(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as err:
        list(dl)
    text = str(err.value)
    assert "Caught ValueError in DataLoader worker process 1" in text
    assert "sample 3 is corrupt" in text and "__getitem__" in text and "Traceback" in text


def test_worker_init_fn_runs_in_each_worker():
    class Init(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return self.tag

    def init_fn(worker_id):
        get_worker_info().dataset.tag = 100 + worker_id

    out = [b.tolist() for b in DataLoader(Init(), batch_size=2, num_workers=2,
                                          worker_init_fn=init_fn)]
    assert out == [[100, 100], [101, 101]]


def test_persistent_workers_two_epochs():
    dl = DataLoader(list(range(6)), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b.tolist() for b in dl]
    it = iter(dl)
    next(it)  # abandon the epoch midway: the next one must still be complete
    second = [b.tolist() for b in dl]
    assert first == second == [[0, 1], [2, 3], [4, 5]]
    workers = dl._iterator._workers
    assert all(w.is_alive() for w in workers)
    dl._iterator._shutdown_workers()
    assert not any(w.is_alive() for w in workers)


def test_workers_stop_after_epoch():
    it = iter(DataLoader(list(range(4)), batch_size=2, num_workers=2))
    assert [b.tolist() for b in it] == [[0, 1], [2, 3]]
    assert not any(w.is_alive() for w in it._workers)


class Crashes(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        import os
        os._exit(1)  # a worker killed without a Python exception (e.g. out of memory)


def test_dead_worker_reported_by_pid():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) [\d, ]+\) exited "
                                           "unexpectedly"):
        list(DataLoader(Crashes(), batch_size=2, num_workers=2))


def test_abandoned_iterator_in_garbage_cycle_stops_its_workers():
    import gc
    it = iter(DataLoader(list(range(8)), batch_size=2, num_workers=2))
    next(it)
    workers = it._workers
    it.self_reference = it  # only the garbage collector can free it now
    del it
    gc.collect()
    for w in workers:
        w.join(timeout=3)
    assert not any(w.is_alive() for w in workers)
