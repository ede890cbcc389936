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
