"""Host arrays in shared memory, for tensors that several processes update
(``Tensor.share_memory_``, ``Module.share_memory``; Hogwild training).

An array moved here lives in a POSIX shared-memory segment (``/dev/shm``):
forked children inherit the mapping, and ``ember.multiprocessing`` sends such
a tensor to a spawned process as the segment's name, which the child maps
again, so writes on either side are seen by the other. The creating process
unlinks the segment when its array is garbage-collected; processes that
attached only close their mapping.
"""

import weakref
from multiprocessing import resource_tracker, shared_memory

import numpy as np

__all__ = ["share", "is_shared", "handle", "attach"]

# id(array) -> (weak reference to the array, SharedMemory): what each shared
# array's memory is. The weak reference guards against a reused id.
_SEGMENTS = {}


def is_shared(array):
    """Whether ``array`` (or the array it views) lives in a shared-memory segment
    made or mapped here."""
    while isinstance(array.base, np.ndarray):  # a view: its memory is its base's
        array = array.base
    entry = _SEGMENTS.get(id(array))
    return entry is not None and entry[0]() is array


def share(array):
    """A copy of host ``array`` in a new shared-memory segment (C order)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"share_memory_: only CPU tensors can be moved to shared memory, got an "
                        f"array of {type(array).__module__}")
    segment = shared_memory.SharedMemory(create=True, size=max(array.nbytes, 1))
    out = np.ndarray(array.shape, array.dtype, buffer=segment.buf)
    out[...] = array
    _register(out, segment, owner=True)
    return out


def handle(array):
    """What another process needs to map ``array`` again: (name, shape, dtype).
    The dtype itself, not its ``str``: bfloat16's would read back as raw bytes."""
    segment = _SEGMENTS[id(array)][1]
    return segment.name, array.shape, array.dtype


def attach(name, shape, dtype):
    """The shared array of a ``handle``, mapped into this process."""
    # A process started by multiprocessing shares its parent's resource tracker,
    # which already tracks the segment (a set: attaching registers nothing new);
    # unregistering here would drop the creator's entry. Only a tracker of this
    # process's own must forget the segment, so that it never unlinks it at exit
    # (the creator does, once).
    own_tracker = getattr(resource_tracker._resource_tracker, "_fd", None) is None
    segment = shared_memory.SharedMemory(name=name)
    if own_tracker:
        try:
            resource_tracker.unregister(segment._name, "shared_memory")
        except Exception:  # noqa: BLE001 - trackers differ across Python versions
            pass
    out = np.ndarray(shape, np.dtype(dtype), buffer=segment.buf)
    _register(out, segment, owner=False)
    return out


def _register(array, segment, owner):
    key = id(array)
    _SEGMENTS[key] = (weakref.ref(array), segment)
    weakref.finalize(array, _release, key, segment, owner)


def _release(key, segment, owner):
    _SEGMENTS.pop(key, None)
    try:
        segment.close()
    except BufferError:  # another view of the buffer is still alive; the OS frees it at exit
        pass
    if owner:
        try:
            segment.unlink()
        except FileNotFoundError:
            pass
