"""What runs inside a DataLoader worker process, and what it tells the main process.

Each worker gets ``(task_id, keys)`` messages on its own index queue, fetches
and collates that batch, and puts ``(task_id, batch)`` on the shared result
queue. A failure travels back as an ``ExceptionWrapper`` holding the worker's
formatted traceback; the main process re-raises it. The protocol follows
``torch/utils/data/_utils/worker.py``.
"""

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

# How often an idle worker checks that its parent is alive and still wants it. The
# shutdown's None may never arrive: when the iterator dies in a garbage cycle, the
# index queue's feeder thread is finalized before the iterator's __del__ puts it.
POLL_INTERVAL = 0.2

_worker_info = None  # set in a worker process only


class WorkerInfo:
    """Facts about the current worker process (read-only).

    Attributes:
        id: this worker's index, in ``[0, num_workers)``.
        num_workers: how many workers the DataLoader runs.
        seed: this worker's seed, ``base_seed + id``; ``random``, NumPy's
            global RNG and Ember's default generator are already seeded
            from it when ``worker_init_fn`` runs.
        dataset: this worker's copy of the dataset.
    """

    _frozen = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self._keys = tuple(kwargs)
        self._frozen = True

    def __setattr__(self, key, val):
        if self._frozen:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._keys)
        return f"{type(self).__name__}({items})"


def get_worker_info():
    """The ``WorkerInfo`` of this worker process, or None in the main process.

    An ``IterableDataset`` uses it in ``__iter__`` to give each worker its own
    share of the stream (``info.id`` of ``info.num_workers``).
    """
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback text."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise an exception of the original type whose message holds the worker's traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        try:
            exception = self.exc_type(msg)
        except Exception:  # an exception type whose constructor wants other arguments
            raise RuntimeError(msg) from None
        raise exception


@dataclass(frozen=True)
class IterableDatasetStopIteration:
    """A worker's iterable dataset is exhausted."""
    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """Start a new epoch (persistent workers): re-create the dataset iterator."""


class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.collate_fn(self.dataset.__getitems__(index))
        return self.collate_fn([self.dataset[i] for i in index])


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in index:  # the keys are placeholders: only the batch size counts
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last):
    """The object that turns sampler keys into collated batches."""
    cls = _IterableFetcher if is_iterable else _MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def seed_worker(seed):
    """Seed ``random``, NumPy's global RNG and Ember's default generator from ``seed``."""
    from ember.backend.random import manual_seed
    random.seed(seed)
    np.random.seed(seed % 2**32)  # NumPy's legacy seeding takes 32 bits
    manual_seed(seed)


def worker_loop(is_iterable, dataset, index_queue, data_queue, done_event, auto_collation,
                collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    """Body of one worker process: serve batches until told to stop (None) or orphaned."""
    global _worker_info
    parent_pid = os.getppid()
    seed = base_seed + worker_id
    seed_worker(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    where = f"in DataLoader worker process {worker_id}"
    init_exception = None
    fetcher = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_exception = ExceptionWrapper(where=where)
    iteration_end = False
    while True:
        try:
            message = index_queue.get(timeout=POLL_INTERVAL)
        except queue.Empty:
            if done_event.is_set() or os.getppid() != parent_pid:  # shut down, or orphaned
                break
            continue
        if isinstance(message, ResumeIteration):
            data_queue.put((message, None))
            iteration_end = False
            try:
                fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn,
                                         drop_last)
            except Exception:
                init_exception = ExceptionWrapper(where=where)
            continue
        if message is None:
            break
        if done_event.is_set() or iteration_end:
            continue  # drain what was queued before the shutdown or the end
        task_id, index = message
        if init_exception is not None:
            data, init_exception = init_exception, None
        else:
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                if not is_iterable:
                    data = ExceptionWrapper(where=where)
                else:
                    data = IterableDatasetStopIteration(worker_id)
                    iteration_end = True
            except Exception:
                data = ExceptionWrapper(where=where)
        data_queue.put((task_id, data))
        del data, message  # drop references before blocking on the queue again
    if done_event.is_set():
        # The main process may no longer read: don't block exit on flushing.
        data_queue.cancel_join_thread()
        data_queue.close()
