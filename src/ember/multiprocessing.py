"""``ember.multiprocessing``, as ``torch.multiprocessing``: Python's
``multiprocessing`` (the same ``Process``, ``Queue``, ``Pool``,
``set_start_method``...), with tensors in shared memory sent by reference.

A tensor moved into shared memory (``tensor.share_memory_()``,
``module.share_memory()``) and passed to a process started through this
module (or put on its queues) arrives as the same memory, not a copy, with
either start method: forked children inherit the mapping, spawned ones map
the segment again by name. Other tensors are copied, as by ``pickle``.
Importing ``ember`` installs these reductions.
"""

import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403 - the whole API, as torch.multiprocessing
from multiprocessing.reduction import ForkingPickler

from ember.backend import shared_memory as _shm
from ember.tensor import Tensor

__all__ = list(_mp.__all__)


def _rebuild_shared(cls, handle, requires_grad, state):
    """A tensor of ``cls`` on the shared segment of ``handle``, in this process."""
    from ember.tensor import _rebuild
    return _rebuild(cls, _shm.attach(*handle), "cpu", requires_grad, state)


def _reduce_tensor(t):
    """A shared CPU tensor by reference to its segment; any other as ``pickle`` does."""
    if t._base is None and t.is_shared():
        state = t.__dict__ if hasattr(t, "__dict__") else None
        return _rebuild_shared, (type(t), _shm.handle(t._array), t.requires_grad, state)
    return t.__reduce__()


def _register(cls):
    ForkingPickler.register(cls, _reduce_tensor)
    for sub in cls.__subclasses__():
        _register(sub)


def init_reductions():
    """Send shared tensors by reference (``Tensor`` and every subclass defined so
    far); called when ``ember`` is imported."""
    _register(Tensor)


# ---- spawn: run a function in N processes (torch.multiprocessing.spawn) --------------------
class ProcessException(Exception):
    """A spawned process failed; ``error_index`` is its index, ``pid`` its id."""

    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid


class ProcessRaisedException(ProcessException):
    """A spawned process raised; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a non-zero code (or a signal)."""

    def __init__(self, msg, error_index, pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, pid)
        self.exit_code, self.signal_name = exit_code, signal_name


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001 - sent to the parent, which raises it there
        import traceback
        error_queue.put(traceback.format_exc())
        raise SystemExit(1)


class ProcessContext:
    """The processes ``spawn(..., join=False)`` started; ``join()`` waits for them."""

    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues

    def pids(self):
        """The processes' ids."""
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        """Wait for every process; True when all ended well. A failure raises
        ``ProcessRaisedException`` (with the child's traceback) or
        ``ProcessExitedException``, after the other processes are terminated."""
        for i, p in enumerate(self.processes):
            p.join(timeout)
            if p.exitcode is None:
                return False
            if p.exitcode != 0:
                for other in self.processes:
                    if other.is_alive():
                        other.terminate()
                if not self.error_queues[i].empty():
                    raise ProcessRaisedException(
                        f"\n\n-- Process {i} terminated with the following error:\n"
                        f"{self.error_queues[i].get()}", i, p.pid)
                raise ProcessExitedException(
                    f"process {i} terminated with exit code {p.exitcode}", i, p.pid,
                    p.exitcode)
        return True


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` for i in 0..nprocs-1, each in its own process (started
    with ``start_method``); with ``join``, wait and raise if one fails, else
    return a ``ProcessContext``."""
    ctx = _mp.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        queue = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, args, queue), daemon=daemon)
        p.start()
        processes.append(p)
        queues.append(queue)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``start_processes`` with the spawn start method (``torch.multiprocessing.spawn``)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)


__all__ += ["spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
            "ProcessExitedException"]
