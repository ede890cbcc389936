"""Sparse COO tensors, as PyTorch's ``torch.sparse_coo`` layout, for sparse gradients.

A ``SparseCooTensor`` of shape (S0, ..., Sk-1, D...) holds ``indices`` (k, nnz)
int64 and ``values`` (nnz, D...): the dense tensor is zero except that each
column of ``indices`` adds its row of ``values`` (repeated indices add up
until ``coalesce()`` sums them). ``nn.Embedding(sparse=True)`` gives its
weight such a gradient (one row per looked-up index), which ``optim.SGD``,
``optim.Adagrad`` and ``optim.SparseAdam`` apply to the looked-up rows only.

Supported: the shape and layout queries, ``coalesce``, ``to_dense``,
``_indices``/``_values`` (``indices``/``values`` once coalesced), products
with a number, sums with another sparse tensor (concatenation) and, from the
dense side, ``dense + sparse`` and ``dense.add_(sparse)``. Sparse tensors take
no part in autograd (``requires_grad`` is False), as PyTorch's gradients.
"""

from collections import namedtuple

import numpy as np

from ember.backend import dtype as _dt
from ember.tensor import Size, Tensor, layout

__all__ = ["SparseCooTensor", "sparse_coo_tensor", "sparse_coo"]


sparse_coo = layout("sparse_coo")

# What the autograd engine reads of a gradient's array: its shape and dtype.
_Meta = namedtuple("_Meta", "shape dtype")


class SparseCooTensor:
    """A sparse COO tensor (see the module docstring)."""

    is_sparse = True
    requires_grad = False
    grad_fn = None
    grad = None
    layout = sparse_coo

    def __init__(self, indices, values, size, *, is_coalesced=False):
        self._idx = np.asarray(indices, dtype=np.int64)
        self._val = np.asarray(values)
        self._shape = tuple(int(s) for s in size)
        self._coalesced = bool(is_coalesced)

    # ---- what the engine and the optimizers read ----------------------------------------
    @property
    def _array(self):
        return _Meta(self._shape, self._val.dtype)

    # ---- queries --------------------------------------------------------------------------
    @property
    def shape(self):
        """The dense shape, an ``ember.Size``."""
        return Size(self._shape)

    def size(self, dim=None):
        """The dense shape, or its length along ``dim``."""
        return self.shape if dim is None else self._shape[dim]

    def dim(self):
        """Number of dimensions (sparse plus dense)."""
        return len(self._shape)

    ndim = property(dim)

    @property
    def dtype(self):
        """The values' dtype."""
        return _dt.from_numpy_dtype(self._val.dtype)

    @property
    def device(self):
        """The device of the values (the CPU)."""
        from ember.backend.device import device_of
        return device_of(self._val)

    @property
    def is_cuda(self):
        """Always False: sparse tensors live on the CPU."""
        return False

    def sparse_dim(self):
        """How many leading dimensions are indexed."""
        return self._idx.shape[0]

    def dense_dim(self):
        """How many trailing dimensions each value row has."""
        return len(self._shape) - self._idx.shape[0]

    def _nnz(self):
        """Number of stored entries (duplicates included until coalesced)."""
        return self._idx.shape[1]

    def is_coalesced(self):
        """Whether indices are sorted and unique."""
        return self._coalesced

    def _indices(self):
        """The (sparse_dim, nnz) int64 indices as stored."""
        return Tensor._wrap(self._idx, False, None, 0)

    def _values(self):
        """The (nnz, dense...) values as stored."""
        return Tensor._wrap(self._val, False, None, 0)

    def indices(self):
        """The indices of a coalesced tensor."""
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._indices()

    def values(self):
        """The values of a coalesced tensor."""
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._values()

    # ---- conversions ------------------------------------------------------------------------
    def _flat_index(self):
        sizes = self._shape[:self.sparse_dim()]
        return np.ravel_multi_index(tuple(self._idx), sizes) if self._idx.shape[1] else \
            np.zeros(0, np.int64)

    def coalesce(self):
        """Indices sorted and unique, the values of repeated indices summed."""
        if self._coalesced:
            return self
        flat = self._flat_index()
        unique, inverse = np.unique(flat, return_inverse=True)
        values = np.zeros((len(unique),) + self._val.shape[1:], self._val.dtype)
        np.add.at(values, inverse, self._val)
        sizes = self._shape[:self.sparse_dim()]
        indices = np.stack(np.unravel_index(unique, sizes)) if len(unique) else \
            np.zeros((self.sparse_dim(), 0), np.int64)
        return SparseCooTensor(indices, values, self._shape, is_coalesced=True)

    def to_dense(self):
        """The dense tensor."""
        out = np.zeros(self._shape, self._val.dtype)
        if self._nnz():
            np.add.at(out, tuple(self._idx), self._val)
        return Tensor._wrap(out, False, None, 0)

    def clone(self):
        """A copy with its own arrays."""
        return SparseCooTensor(self._idx.copy(), self._val.copy(), self._shape,
                               is_coalesced=self._coalesced)

    def detach(self):
        """Itself: sparse tensors are outside autograd."""
        return self

    def requires_grad_(self, requires_grad=True):
        """Only False is possible."""
        if requires_grad:
            raise RuntimeError("sparse tensors cannot require grad in Ember")
        return self

    # ---- arithmetic ---------------------------------------------------------------------------
    def _scalar(self, other, op):
        if isinstance(other, Tensor):
            if other.numel() != 1:
                raise RuntimeError(f"{op}: a sparse tensor multiplies only by a number or a "
                                   f"one-element tensor, got shape {tuple(other.shape)}")
            other = other.item()
        if not isinstance(other, (int, float, np.generic)):
            raise TypeError(f"{op}: expected a number, got {type(other).__name__}")
        return other

    def mul(self, other):
        """This tensor times a number (a new sparse tensor)."""
        c = self._scalar(other, "mul")
        return SparseCooTensor(self._idx, (self._val * c).astype(self._val.dtype), self._shape,
                               is_coalesced=self._coalesced)

    __mul__ = __rmul__ = mul

    def mul_(self, other):
        """Multiply the values by a number, in place."""
        self._val = (self._val * self._scalar(other, "mul_")).astype(self._val.dtype)
        return self

    def div(self, other):
        """This tensor divided by a number."""
        return self.mul(1.0 / self._scalar(other, "div"))

    __truediv__ = div

    def div_(self, other):
        """Divide the values by a number, in place."""
        return self.mul_(1.0 / self._scalar(other, "div_"))

    def neg(self):
        """The negated tensor."""
        return SparseCooTensor(self._idx, -self._val, self._shape, is_coalesced=self._coalesced)

    __neg__ = neg

    def zero_(self):
        """No stored entries (all zeros), in place."""
        self._idx = np.zeros((self.sparse_dim(), 0), np.int64)
        self._val = np.zeros((0,) + self._val.shape[1:], self._val.dtype)
        self._coalesced = True
        return self

    def add(self, other, *, alpha=1):
        """``self + alpha * other`` for a sparse ``other`` (the entries concatenated);
        a dense ``other`` must come first, as in PyTorch (``dense + sparse``)."""
        if not isinstance(other, SparseCooTensor):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        if other._shape != self._shape:
            raise RuntimeError(f"add: expected sparse tensors of the same size, got "
                               f"{list(self._shape)} and {list(other._shape)}")
        values = other._val if alpha == 1 else other._val * alpha
        return SparseCooTensor(np.concatenate([self._idx, other._idx], axis=1),
                               np.concatenate([self._val, values.astype(self._val.dtype)]),
                               self._shape)

    __add__ = add

    def add_(self, other, *, alpha=1):
        """``self += alpha * other`` for a sparse ``other``."""
        total = self.add(other, alpha=alpha)
        self._idx, self._val, self._coalesced = total._idx, total._val, False
        return self

    def added_to(self, dense, alpha=1):
        """``dense + alpha * self`` as a new dense array (PyTorch's ``dense + sparse``)."""
        if tuple(dense.shape) != self._shape:
            raise RuntimeError(f"add: expected a dense tensor of size {list(self._shape)} for "
                               f"this sparse tensor, got {list(dense.shape)}")
        out = np.array(dense._array, copy=True)
        if self._nnz():
            values = self._val if alpha == 1 else self._val * alpha
            np.add.at(out, tuple(self._idx), values.astype(out.dtype))
        return out

    def __repr__(self):
        def body(a, indent):  # continuation rows under the first, as PyTorch prints them
            return repr(Tensor._wrap(a, False, None, 0)).replace("\n", "\n" + " " * indent)
        dtype = "" if self._val.dtype == np.float32 else f", dtype={self.dtype}"
        return (f"tensor(indices={body(self._idx, 15)},\n       values={body(self._val, 14)},\n"
                f"       size={self._shape}, nnz={self._nnz()}{dtype}, layout=ember.sparse_coo)")


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """A sparse COO tensor from ``indices`` (sparse_dim, nnz) and ``values``
    (nnz, dense...); ``size`` defaults to the smallest that holds the indices."""
    if requires_grad:
        raise NotImplementedError("sparse_coo_tensor: requires_grad=True is not supported "
                                  "(Ember's sparse tensors take no part in autograd)")
    idx = np.asarray(indices._array if isinstance(indices, Tensor) else indices)
    val = np.asarray(values._array if isinstance(values, Tensor) else values)
    if dtype is not None:
        val = val.astype(_dt.as_dtype(dtype).np)
    elif val.dtype == np.float64 and not isinstance(values, Tensor):
        val = val.astype(_dt.get_default_dtype().np)
    if idx.ndim != 2 or idx.dtype.kind not in "iu":
        raise RuntimeError(f"sparse_coo_tensor: indices must be an (sparse_dim, nnz) integer "
                           f"tensor, got shape {list(idx.shape)} of {idx.dtype}")
    if val.shape[0] != idx.shape[1]:
        raise RuntimeError(f"sparse_coo_tensor: got {idx.shape[1]} indices but {val.shape[0]} "
                           "values")
    if size is None:
        size = tuple(int(m) + 1 for m in idx.max(axis=1)) + val.shape[1:] if idx.size else \
            (0,) * idx.shape[0] + val.shape[1:]
    size = tuple(size)
    if idx.size and ((idx < 0).any() or (idx.max(axis=1) >= np.array(size[:idx.shape[0]])).any()):
        raise RuntimeError(f"sparse_coo_tensor: indices out of bounds for size {list(size)}")
    return SparseCooTensor(idx.astype(np.int64), val, size,
                           is_coalesced=bool(is_coalesced))
