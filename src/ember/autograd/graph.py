"""``ember.autograd.graph``: the graph's node class and hooks on saved tensors.

``saved_tensors_hooks(pack_hook, unpack_hook)`` hands every tensor an op
saves for backward while the block runs to ``pack_hook(tensor)`` and keeps
what it returns; backward calls ``unpack_hook(packed)``, which must give back
a tensor of the same content (offloading to the host, compression, logging).
The unpacked tensor takes the original's place in the graph, so higher-order
gradients still work. ``save_on_cpu()`` is the offloading pair.

What an op "saves" is what it passes to ``ctx.save_for_backward``: Ember's
fused nodes keep some intermediate arrays of their own as well (the LSTM's
gate buffers, a convolution's columns), which the hooks do not see; the count
and sizes of the tensors packed therefore differ from PyTorch's, the
gradients do not.
"""

import contextlib

from ember.autograd.function import Node, _SAVED_HOOKS, _SAVED_HOOKS_DISABLED
from ember.tensor import Tensor

__all__ = ["Node", "saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks",
           "increment_version"]


class saved_tensors_hooks:
    """Context manager: pack and unpack hooks for the tensors saved for backward
    inside the block (the innermost pair applies).

    Args:
        pack_hook: ``pack_hook(tensor) -> object``, called when an op saves a
            tensor; it must not modify the tensor in place.
        unpack_hook: ``unpack_hook(object) -> Tensor``, called when backward
            reads the saved tensor; the result must have the original content.
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if _SAVED_HOOKS_DISABLED[0] is not None:
            raise RuntimeError(_SAVED_HOOKS_DISABLED[0])
        _SAVED_HOOKS.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        _SAVED_HOOKS.pop()


class save_on_cpu(saved_tensors_hooks):
    """Context manager: tensors saved for backward inside the block are kept on
    the CPU and moved back to their device when backward needs them (GPU
    memory traded for transfers; CPU tensors stay as they are).

    Args:
        pin_memory: accepted for compatibility (Ember does not pin host memory).
        device_type: accepted for compatibility.
    """

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack(t):
            return t.device, t.cpu()

        def unpack(packed):
            device, t = packed
            return t.to(device)

        super().__init__(pack, unpack)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Inside the block, entering ``saved_tensors_hooks`` raises RuntimeError with
    ``error_message`` (for code whose saved tensors must not be intercepted)."""
    if _SAVED_HOOKS:  # as PyTorch: hooks in force cannot be disabled
        raise RuntimeError(error_message)
    previous = _SAVED_HOOKS_DISABLED[0]
    _SAVED_HOOKS_DISABLED[0] = error_message
    try:
        yield
    finally:
        _SAVED_HOOKS_DISABLED[0] = previous


def increment_version(tensor):
    """Bump the version counter of ``tensor`` (or of each tensor in an iterable),
    as an in-place change would: a backward that saved it then raises."""
    tensors = (tensor,) if isinstance(tensor, Tensor) else tuple(tensor)
    for t in tensors:
        t._bump_version()
