"""``ember.utils.dlpack``, as ``torch.utils.dlpack``: tensors exchanged with other
array libraries through DLPack, sharing memory (no copy).

``to_dlpack(tensor)`` gives a DLPack capsule; ``from_dlpack(obj)`` takes an
object with ``__dlpack__`` (a NumPy array, a PyTorch or JAX tensor, another
Ember tensor) or, as PyTorch's, a capsule.
"""

import numpy as np

from ember.ops.tensor_extras import from_dlpack as _from_protocol
from ember.tensor import Tensor

__all__ = ["to_dlpack", "from_dlpack"]


class _Capsule:
    """A DLPack capsule presented through the protocol NumPy reads."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __dlpack__(self, *args, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (1, 0)  # capsules from to_dlpack here are host memory


def to_dlpack(tensor):
    """A DLPack capsule of ``tensor``'s memory (which it keeps alive)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dlpack: expected a Tensor, got {type(tensor).__name__}")
    return tensor.__dlpack__()


def from_dlpack(ext_tensor):
    """A Tensor sharing the memory of ``ext_tensor`` (an object with ``__dlpack__``
    or a host DLPack capsule; a capsule can be consumed once)."""
    if type(ext_tensor).__name__ == "PyCapsule":
        return Tensor._wrap(np.from_dlpack(_Capsule(ext_tensor)), False, None, 0)
    return _from_protocol(ext_tensor)
