"""The DataLoader iterator that runs worker processes.

The main process deals batch keys round-robin to the workers' index queues,
keeping ``prefetch_factor * num_workers`` tasks in flight, and reorders the
results by task id so batches come out in sampler order (unless
``in_order=False``). Worker errors come back as ``ExceptionWrapper`` and are
re-raised here; a worker that dies is reported by pid. The design is
PyTorch's ``_MultiProcessingDataLoaderIter`` without pinning threads.
"""

import itertools
import multiprocessing
import queue

from ember.data.dataloader import _BaseIter
from ember.data.worker import (ExceptionWrapper, IterableDatasetStopIteration, ResumeIteration,
                               worker_loop)

__all__ = ["MultiProcessIter", "default_context"]

_JOIN_TIMEOUT = 5.0
_STATUS_CHECK_INTERVAL = 1.0  # how often a waiting main process checks that workers live


def default_context():
    """"fork" where the platform has it (fast, no pickling), else "spawn"."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    # Spawned workers re-import the program and unpickle the dataset, collate_fn and
    # worker_init_fn: those must be defined at module level.
    return multiprocessing.get_context("spawn")


class MultiProcessIter(_BaseIter):
    """Iterate a DataLoader's batches made by ``num_workers`` worker processes."""

    def __init__(self, loader):
        super().__init__(loader)
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        self._shutdown = True  # until the workers exist, there is nothing to shut down
        ctx = loader.multiprocessing_context or default_context()
        self._result_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues, self._workers = [], []
        try:
            for worker_id in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()  # never block exit on undelivered keys
                w = ctx.Process(target=worker_loop, daemon=True, args=(
                    self._is_iterable, self._dataset, index_queue, self._result_queue,
                    self._done_event, self._auto_collation, self._collate_fn, self._drop_last,
                    self._base_seed, loader.worker_init_fn, worker_id, self._num_workers))
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        finally:
            self._shutdown = False
            if len(self._workers) < self._num_workers:
                self._shutdown_workers()
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        """Start an epoch: a fresh sampler pass; on later epochs, resume the live workers."""
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info = {}  # task id -> (worker_id,) while pending, (worker_id, data) when early
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for q in self._index_queues:
                q.put(ResumeIteration())
            # Results of the last epoch's unfinished tasks arrive before each
            # worker's acknowledgement: drop them.
            pending = self._num_workers
            while pending:
                task_id, _ = self._get_data()
                if isinstance(task_id, ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self):
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # every worker's iterable is exhausted
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _try_get_data(self, timeout):
        try:
            return True, self._result_queue.get(timeout=timeout)
        except queue.Empty:
            failed = [w.pid for worker_id, w in enumerate(self._workers)
                      if self._workers_status[worker_id] and not w.is_alive()]
            if failed:
                self._shutdown_workers()
                pids = ", ".join(str(pid) for pid in failed)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") \
                    from None
            return False, None

    def _get_data(self):
        if self._timeout > 0:
            ok, data = self._try_get_data(self._timeout)
            if not ok:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            return data
        while True:
            ok, data = self._try_get_data(_STATUS_CHECK_INTERVAL)
            if ok:
                return data

    def _next_data(self):
        while True:
            # Skip tasks that can never arrive (their worker's iterable ended) or
            # that were already handed out of order.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process_data(data)
            task_id, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, IterableDatasetStopIteration):
                self._mark_worker_done(data.worker_id)
                self._try_put_index()
                continue
            if task_id == self._rcvd_idx:
                del self._task_info[task_id]
                self._rcvd_idx += 1
                return self._process_data(data)
            if not self._in_order:
                del self._task_info[task_id]
                return self._process_data(data)
            self._task_info[task_id] += (data,)

    def _process_data(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_done(self, worker_id):
        self._workers_status[worker_id] = False
        if not self._persistent:
            self._index_queues[worker_id].put(None)  # let the process exit now

    def _shutdown_workers(self):
        """Stop the workers and close the queues; safe to call twice."""
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            w.join(timeout=_JOIN_TIMEOUT)
            if w.is_alive():
                w.terminate()
                w.join()
        for q in self._index_queues:
            q.close()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:  # interpreter teardown: the modules may already be gone
            pass
