"""Storages, as PyTorch's: the memory a tensor and its views share.

``tensor.untyped_storage()`` is an ``UntypedStorage``, the bytes of the array
that owns the tensor's memory (for a view, its base's), with ``data_ptr``,
``nbytes``, ``size`` (bytes), ``element_size`` (1), item access and
``tolist`` as bytes. ``tensor.storage()`` is a ``TypedStorage`` over the same
memory in the tensor's dtype (PyTorch deprecates it, and so does Ember, with
the same warning). Two tensors share memory when their storages'
``data_ptr`` are equal. Storages read the memory; resizing is not supported.
"""

import warnings

import numpy as np

from ember.tensor import _address, _host, storage_root

__all__ = ["UntypedStorage", "TypedStorage"]


class UntypedStorage:
    """The bytes of the array that owns a tensor's memory."""

    def __init__(self, array):
        self._array = storage_root(array)

    @property
    def device(self):
        """Where the memory is."""
        from ember.backend.device import device_of
        return device_of(self._array)

    def data_ptr(self):
        """The address of the first byte."""
        return _address(self._array)

    def nbytes(self):
        """Its size in bytes."""
        return int(self._array.nbytes)

    size = nbytes

    def element_size(self):
        """1: the elements are bytes."""
        return 1

    def __len__(self):
        return self.nbytes()

    def _bytes(self):
        return _host(np.ascontiguousarray(self._array)).reshape(-1).view(np.uint8)

    def __getitem__(self, index):
        return self._bytes()[index].tolist()

    def tolist(self):
        """The bytes as a list of ints."""
        return self._bytes().tolist()

    def is_shared(self):
        """Whether the memory is in shared memory (``Tensor.share_memory_``)."""
        from ember.backend import shared_memory
        return type(self._array) is np.ndarray and shared_memory.is_shared(self._array)

    def __repr__(self):
        return f"UntypedStorage of {self.nbytes()} bytes on {self.device}"


class TypedStorage(UntypedStorage):
    """The memory of a tensor as elements of its dtype (deprecated, as PyTorch's)."""

    def __init__(self, array, dtype):
        super().__init__(array)
        self.dtype = dtype

    def size(self):
        """Its size in elements."""
        return self.nbytes() // self.dtype.itemsize

    def element_size(self):
        """The bytes per element."""
        return self.dtype.itemsize

    def __len__(self):
        return self.size()

    def _elements(self):
        return self._bytes().view(self.dtype.np)

    def __getitem__(self, index):
        return self._elements()[index].tolist()

    def tolist(self):
        """The elements as Python numbers."""
        return self._elements().tolist()

    def untyped(self):
        """The same memory as bytes."""
        return UntypedStorage(self._array)

    def __repr__(self):
        return f"TypedStorage of {self.size()} {self.dtype} elements on {self.device}"


def typed_storage(array, dtype):
    """``tensor.storage()``: warns as PyTorch does, then the TypedStorage."""
    warnings.warn("TypedStorage is deprecated. It will be removed in the future and "
                  "UntypedStorage will be the only storage class. This should only matter to "
                  "you if you are using storages directly. To access UntypedStorage directly, "
                  "use tensor.untyped_storage() instead of tensor.storage()", UserWarning,
                  stacklevel=3)
    return TypedStorage(array, dtype)
