"""PyTorch's long tail of Tensor helpers and top-level functions.

Predicates scripts test (``is_nonzero``, ``is_conj``...), in-place view ops
that change a tensor's shape (``squeeze_``, ``as_strided_``...), raw memory
geometry (``as_strided``, ``resize_``), scattered writes (``put``,
``index_reduce``, ``fill_diagonal_``), a few factories (``range``,
``empty_strided``, ``frombuffer``), memory placement (``pin_memory``...)
and the top-level aliases PyTorch keeps for in-place methods
(``torch.exp_(x)``). ``gradient``, ``histogram`` and the windows are in
``ops/numerical.py``; the top-level aliases of ``torch.nn.functional`` ops
(``torch.dropout(input, p, train)``) in ``ember/_functional_aliases.py``.
"""

import builtins
import math
import warnings

import numpy as np

from ember.autograd.function import Function
from ember.autograd.grad_mode import _State
from ember.backend import dtype as _dt
from ember.backend.device import array_module, as_device, xp_of
from ember.ops._util import check_tensor, fmt_shape, shape_arg
from ember.ops.creation import _finish, _number, tensor as _tensor
from ember.ops.indexing import _check_source, _dim_index, index_put, ufunc_at
from ember.ops.inplace import check_inplace, inplace
from ember.ops.scatter import scatter_reduce
from ember.ops import views as _views
from ember.tensor import Tensor, storage_root

_range = builtins.range  # this module defines ember.range

__all__ = ["is_nonzero", "is_same_size", "is_signed", "positive", "conj", "conj_physical",
           "resolve_conj", "resolve_neg", "is_conj", "is_neg", "real", "imag", "isreal",
           "as_strided", "as_strided_", "resize_as_", "put", "index_reduce", "range",
           "empty_strided", "frombuffer", "conj_physical_", "narrow_copy", "split_with_sizes", "unsafe_split",
           "unsafe_split_with_sizes", "unsafe_chunk"]


# ---- predicates and real-dtype identities ----------------------------------------------

def is_nonzero(input):
    """True if the single element of ``input`` is nonzero (``torch.is_nonzero``).

    Raises:
        RuntimeError: ``input`` has no element or more than one.
    """
    check_tensor(input, "is_nonzero")
    n = input._array.size
    if n == 0:
        raise RuntimeError("is_nonzero: Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("is_nonzero: Boolean value of Tensor with more than one value is "
                           "ambiguous")
    return bool(input._array.reshape(()))


def is_same_size(input, other):
    """True if ``input`` and ``other`` have the same shape (``torch.is_same_size``)."""
    check_tensor(input, "is_same_size")
    check_tensor(other, "is_same_size", "other")
    return input._array.shape == other._array.shape


def is_signed(input):
    """True if ``input``'s dtype holds negative numbers (``torch.is_signed``)."""
    check_tensor(input, "is_signed")
    return input.dtype.is_signed


def positive(input):
    """``input`` itself (``torch.positive``); bool tensors raise, as in PyTorch."""
    check_tensor(input, "positive")
    if input._array.dtype == np.bool_:
        raise RuntimeError("positive: the `+` operator on a bool tensor is not supported")
    return input


def _itself(name, what):
    def fn(input):
        check_tensor(input, name)
        return input
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``torch.{name}(input)``: {what}. Ember's dtypes are all real, so this is "
                  "``input`` itself, as PyTorch returns for real tensors.")
    return fn


conj = _itself("conj", "the complex conjugate (lazily marked in PyTorch)")
conj_physical = _itself("conj_physical", "the complex conjugate, materialised")
resolve_conj = _itself("resolve_conj", "materialise a lazy conjugation")
resolve_neg = _itself("resolve_neg", "materialise a lazy negation")
real = _itself("real", "the real part")


def _never(name, what):
    def fn(input):
        check_tensor(input, name)
        return False
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torch.{name}(input)``: {what}. Always False: Ember's dtypes are all real."
    return fn


is_conj = _never("is_conj", "whether a conjugation is pending")
is_neg = _never("is_neg", "whether a negation is pending")


def imag(input):
    """``torch.imag``: raises for real tensors, as PyTorch does (all Ember tensors are real)."""
    check_tensor(input, "imag")
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def isreal(input):
    """Elementwise whether each value is real: all True for Ember's real dtypes (bool result)."""
    check_tensor(input, "isreal")
    xp = xp_of(input._array)
    return Tensor._wrap(xp.ones(input._array.shape, bool), False, None, 0)


# ---- in-place view ops: the tensor takes a new shape over the same memory -------------

def _view_inplace(input, make_view, op):
    """Turn ``input`` into ``make_view(input)``: new geometry, same memory, and (when
    recording) the view's place in the graph. Bumps the version, as PyTorch does."""
    check_tensor(input, op)
    check_inplace(input, op)
    v = make_view(input)
    input._array = v._array
    if v.requires_grad and _State.enabled:
        input.grad_fn, input._output_nr, input.requires_grad = v.grad_fn, v._output_nr, True
    input._bump_version()
    if input._base is not None:  # still a view of the same base, now rebuilt differently
        input._view_fn = v._view_fn if v._base is input._base else None
        input._version = input._base._version
    return input


def squeeze_(input, dim=None):
    """``squeeze`` in place: ``input`` loses its size-1 dimensions (all, or ``dim``)."""
    return _view_inplace(input, lambda t: _views.squeeze(t, dim), "squeeze_")


def unsqueeze_(input, dim):
    """``unsqueeze`` in place: ``input`` gains a size-1 dimension at ``dim``."""
    return _view_inplace(input, lambda t: _views.unsqueeze(t, dim), "unsqueeze_")


def t_(input):
    """``t`` in place: a matrix becomes its transpose (0-D and 1-D are unchanged)."""
    return _view_inplace(input, _views.t, "t_")


def transpose_(input, dim0, dim1):
    """``transpose`` in place: dimensions ``dim0`` and ``dim1`` swap."""
    return _view_inplace(input, lambda t: _views.transpose(t, dim0, dim1), "transpose_")


def swapaxes_(input, axis0, axis1):
    """``swapaxes`` in place (``transpose_`` under NumPy's name)."""
    return _view_inplace(input, lambda t: _views.transpose(t, axis0, axis1), "swapaxes_")


def swapdims_(input, dim0, dim1):
    """``swapdims`` in place (an alias of ``transpose_``)."""
    return _view_inplace(input, lambda t: _views.transpose(t, dim0, dim1), "swapdims_")


# ---- raw geometry: as_strided, resize_ ----------------------------------------------

def _storage(a):
    """``(flat, offset)``: the memory owning ``a``'s data as a 1-D array of ``a``'s dtype
    (PyTorch's storage), and the index in it of ``a``'s first element."""
    root = storage_root(a)
    if root.flags.c_contiguous:
        flat = root.reshape(-1)
    elif root.flags.f_contiguous:
        flat = root.T.reshape(-1)
    elif _dense(root):
        # Dense memory in another order (NumPy gives an elementwise result of a
        # permuted tensor its input's order): one run of elements from the start.
        flat = xp_of(root).lib.stride_tricks.as_strided(root, (root.size,), (root.itemsize,))
    else:  # a foreign buffer with gaps
        raise RuntimeError("as_strided: the tensor's underlying memory is not contiguous")
    if flat.dtype != a.dtype:  # a dtype view (x.view(int32)): reinterpret the bytes
        raw = flat.view(np.uint8)
        flat = raw[:raw.size - raw.size % a.itemsize].view(a.dtype)
    offset = (_address(a) - _address(root)) // a.itemsize
    return flat, offset


def _dense(a):
    """Whether ``a``'s elements fill one gapless block that starts at its first one."""
    if any(st < 0 for st in a.strides):
        return False
    extent = a.itemsize + sum((n - 1) * st for n, st in zip(a.shape, a.strides))
    return a.size == 0 or extent == a.size * a.itemsize


def _address(a):
    return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr


def _positions(xp, shape, strides, offset):
    """Index into the flat storage of every element of the geometry (shape, strides, offset)."""
    idx = xp.full(shape, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        idx = idx + (xp.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - d - 1))
    return idx


def _geometry(input, size, stride, storage_offset, op):
    size, stride = tuple(size), tuple(stride)
    if not all(isinstance(v, (int, np.integer)) for v in size + stride):
        raise TypeError(f"{op}: expected size and stride to be sequences of ints, got "
                        f"{size!r} and {stride!r}")
    if len(size) != len(stride):
        raise RuntimeError(f"{op}: mismatch in length of strides and shape: size has "
                           f"{len(size)} dims, stride {len(stride)}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"{op}: negative sizes are not allowed, got {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"{op}: negative strides are not supported, got {list(stride)}")
    flat, own = _storage(input._array)
    offset = own if storage_offset is None else storage_offset
    if offset < 0:
        raise RuntimeError(f"{op}: storage offset must be non-negative, got {offset}")
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if needed > flat.size:
        raise RuntimeError(f"{op}: sizes {list(size)}, strides {list(stride)} and storage "
                           f"offset {offset} need a storage of {needed} elements, but the "
                           f"tensor's storage has {flat.size}")
    return tuple(int(n) for n in size), tuple(int(s) for s in stride), int(offset)


class AsStrided(Function):
    """A view of the input's memory with any sizes, strides and offset."""

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        xp = ctx.xp
        flat, own = _storage(x)
        item = x.itemsize
        out = xp.lib.stride_tricks.as_strided(flat[offset:], size, [s * item for s in stride])
        in_stride = [s // item for s in x.strides]
        ctx.n, ctx.in_shape = flat.size, x.shape
        ctx.src = _positions(xp, size, stride, offset)
        ctx.dst = _positions(xp, x.shape, in_stride, own)
        if type(out) is np.ndarray and _overlaps(ctx.src):
            out.flags.writeable = False  # a write would land on several elements at once
        return out

    @staticmethod
    def backward(ctx, g):
        # Each output element's gradient goes to the memory location it reads;
        # each input element takes what landed on its own location. An input
        # whose elements share locations (an expanded one) splits it evenly.
        gx = Regather.apply(g, ctx.src, ctx.dst, ctx.n)
        if _overlaps(ctx.dst):
            xp = xp_of(ctx.dst)
            count = xp.zeros(ctx.n, g._array.dtype)
            ufunc_at(xp, "add", count, (ctx.dst.reshape(-1),), 1)
            gx = gx / Tensor._wrap(count[ctx.dst], False, None, 0)
        return gx, None, None, None


def _overlaps(positions):
    flat = positions.reshape(-1)
    return flat.size != xp_of(flat).unique(flat).size


class Regather(Function):
    """Sum ``g`` onto a flat buffer of ``n`` at positions ``src``, read it back at ``dst``.

    Linear in ``g``; its adjoint is the same move with ``src`` and ``dst`` swapped.
    """

    @staticmethod
    def forward(ctx, g, src, dst, n):
        xp = ctx.xp
        buf = xp.zeros(n, g.dtype)
        ufunc_at(xp, "add", buf, (src.reshape(-1),), g.reshape(-1))
        ctx.src, ctx.dst, ctx.n = src, dst, n
        return buf[dst]

    @staticmethod
    def backward(ctx, gg):
        return Regather.apply(gg, ctx.dst, ctx.src, ctx.n), None, None, None


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s memory with the given sizes, strides and offset (in elements).

    ``torch.as_strided(input, size, stride, storage_offset=None)``; the offset
    counts from the start of the memory ``input`` views (its base tensor's), and
    defaults to ``input.storage_offset()``. Gradients go back to the elements
    of ``input`` whose memory the result reads (summed where the result reads
    one location several times; split evenly among elements of an expanded
    ``input`` that share a location, as PyTorch does). A view whose elements
    overlap is read-only.

    Raises:
        RuntimeError: negative sizes or strides, or a geometry reaching past the memory.
    """
    check_tensor(input, "as_strided")
    size, stride, offset = _geometry(input, size, stride, storage_offset, "as_strided")
    out = AsStrided.apply(input, size, stride, offset)
    return _views.mark_view(out, input, lambda t: as_strided(t, size, stride, offset))


def as_strided_(input, size, stride, storage_offset=None):
    """``as_strided`` in place: ``input`` takes the new geometry over the same memory."""
    return _view_inplace(input, lambda t: as_strided(t, size, stride, storage_offset),
                         "as_strided_")


def resize_(input, *sizes, memory_format=None):
    """Give ``input`` the shape ``sizes``, row-major over its memory (``Tensor.resize_``).

    As in PyTorch: the same shape leaves the tensor unchanged; otherwise the
    memory from ``input.storage_offset()`` on is read as row-major, keeping the
    existing values in that order; elements past the end of the memory are
    uninitialised. Tensors that require grad cannot be resized.

    Differs from PyTorch: NumPy memory cannot grow in place, so growing past
    the end of the memory moves the tensor to a new, larger buffer (with the old
    contents copied); other views of the old memory no longer share it.
    """
    check_tensor(input, "resize_")
    shape = shape_arg(sizes, "resize_")
    if any(s < 0 for s in shape):
        raise RuntimeError(f"resize_: negative dimension in the requested size {list(shape)}")
    if input.requires_grad:
        raise RuntimeError("resize_: cannot resize tensors that require grad")
    a = input._array
    if shape == a.shape:
        return input
    n = math.prod(shape)
    flat, offset = _storage(a)
    if offset + n <= flat.size:
        input._array = flat[offset:offset + n].reshape(shape)
    else:
        grown = xp_of(a).empty(offset + n, a.dtype)
        grown[:flat.size] = flat
        input._array = grown[offset:].reshape(shape)
        input._base = None  # new memory: no longer a view of anything
    input._view_fn = None  # the new geometry is not a view op of the base
    input._bump_version()
    return input


def resize_as_(input, the_template, memory_format=None):
    """``input.resize_(the_template.shape)`` (``torch.resize_as_``)."""
    check_tensor(the_template, "resize_as_", "the_template")
    return resize_(input, the_template._array.shape)


def new(input, *args, device=None):
    """PyTorch's legacy constructor ``Tensor.new``, in ``input``'s dtype.

    ``x.new()`` is empty; ``x.new(2, 3)`` is uninitialised of that shape;
    ``x.new(data)`` copies a list or array into ``x``'s dtype; ``x.new(other)``
    returns a tensor sharing ``other``'s memory (same dtype required).

    Differs from PyTorch: Ember's shapes are plain tuples (PyTorch's are
    ``torch.Size``), so a tuple of ints is read as a shape, as
    ``x.new(y.shape)`` means in PyTorch; pass a list for data.
    """
    check_tensor(input, "new")
    dev = input.device if device is None else as_device(device)
    xp = array_module(dev)
    dtype = input._array.dtype
    if not args:
        return Tensor._wrap(xp.empty((0,), dtype), False, None, 0)
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other._array.dtype != dtype:
            raise TypeError(f"new: expected a tensor of dtype {input.dtype}, got {other.dtype}")
        return other.detach()
    if all(isinstance(a, (int, np.integer)) for a in args) or \
            (len(args) == 1 and isinstance(args[0], tuple)):
        shape = shape_arg(args, "new")
        return Tensor._wrap(xp.empty(shape, dtype), False, None, 0)
    if len(args) == 1:
        return _tensor(args[0], dtype=input.dtype, device=dev)
    raise TypeError(f"new: expected no argument, sizes, a tensor or data, got {args!r}")


def new_empty_strided(input, size, stride, *, dtype=None, device=None, requires_grad=False):
    """``ember.empty_strided(size, stride)`` in ``input``'s dtype and on its device by default."""
    check_tensor(input, "new_empty_strided")
    return empty_strided(size, stride, dtype=dtype or input.dtype,
                         device=device or input.device, requires_grad=requires_grad)


def conj_physical_(input):
    """In-place complex conjugation: nothing to do for Ember's real dtypes; returns ``input``."""
    check_tensor(input, "conj_physical_")
    return input


def to_dense(input, dtype=None, *, masked_grad=None):
    """``input`` itself (or cast to ``dtype``): Ember's tensors are always dense."""
    check_tensor(input, "to_dense")
    return input if dtype is None else input.to(dtype)


def narrow_copy(input, dim, start, length):
    """``narrow(input, dim, start, length)`` as a new tensor rather than a view."""
    return _views.narrow(input, dim, start, length).clone()


def split_with_sizes(input, split_sizes, dim=0):
    """Views of ``input`` split along ``dim`` into pieces of the listed sizes.

    Raises:
        RuntimeError: the sizes do not sum to ``input.size(dim)``.
    """
    check_tensor(input, "split_with_sizes")
    return _views.split(input, list(split_sizes), dim)


def unsafe_split(input, split_size, dim=0):
    """``split``: PyTorch's "unsafe" variant only skips autograd's view checks."""
    return _views.split(input, split_size, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    """``split_with_sizes``: PyTorch's "unsafe" variant only skips autograd's view checks."""
    return split_with_sizes(input, split_sizes, dim)


def unsafe_chunk(input, chunks, dim=0):
    """``chunk``: PyTorch's "unsafe" variant only skips autograd's view checks."""
    return _views.chunk(input, chunks, dim)


# ---- scattered writes -------------------------------------------------------------

def fill_diagonal_(input, fill_value, wrap=False):
    """Write ``fill_value`` on the main diagonal of ``input`` in place (``Tensor.fill_diagonal_``).

    ``input`` has at least 2 dimensions, all equal beyond 2. For a tall matrix
    the diagonal stops at the last column unless ``wrap=True``, in which case it
    starts again every ``ncols + 1`` rows (as ``numpy.fill_diagonal``).
    Differentiable: the diagonal's gradient is zero.
    """
    check_tensor(input, "fill_diagonal_")
    shape = input._array.shape
    if len(shape) < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must be larger than 1, got a "
                           f"{len(shape)}-D tensor")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, "
                           f"got shape {fmt_shape(shape)}")
    mask = np.zeros(shape, bool)
    np.fill_diagonal(mask, True, wrap=bool(wrap))
    mask = Tensor._wrap(xp_of(input._array).asarray(mask), False, None, 0)
    return inplace(input, lambda t: t.masked_fill(mask, fill_value), "fill_diagonal_")


def put(input, index, source, accumulate=False):
    """A copy of ``input`` with ``source`` written at flat positions ``index`` (``torch.put``).

    ``input`` is indexed as if 1-D (row-major); negative indices count from the
    end. With ``accumulate`` values are added and repeated indices all count;
    otherwise which of several writes to one position wins is unspecified.

    Raises:
        RuntimeError: ``index`` is not int64, or ``source``'s dtype differs from ``input``'s.
        IndexError: ``index`` and ``source`` differ in size, or an index is out of range.
    """
    check_tensor(input, "put")
    check_tensor(index, "put", "index")
    check_tensor(source, "put", "source")
    if index._array.dtype != np.int64:
        raise RuntimeError(f"put: expected a long (int64) tensor for index, got {index.dtype}")
    if source._array.dtype != input._array.dtype:
        raise RuntimeError(f"put: self and source expected to have the same dtype, but got "
                           f"self.dtype = {input.dtype} and source.dtype = {source.dtype}")
    if index._array.size != source._array.size:
        raise IndexError(f"put: expected source and index to have the same number of elements, "
                         f"but got source.numel() = {source._array.size}, index.numel() = "
                         f"{index._array.size}")
    n = input._array.size
    if index._array.size:
        idx = index._array.reshape(-1)
        bad = idx[(idx >= n) | (idx < -n)]
        if bad.size:
            raise IndexError(f"put: out of range: tried to access index {int(bad[0])} on a "
                             f"tensor of {n} elements")
    flat = index_put(_views.reshape(input, (-1,)), (_views.reshape(index, (-1,)),),
                     _views.reshape(source, (-1,)), accumulate)
    return _views.reshape(flat, input._array.shape)


_INDEX_REDUCE = ("prod", "mean", "amax", "amin")


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce the slices of ``source`` into ``input`` at positions ``index`` along ``dim``.

    ``torch.index_reduce(input, dim, index, source, reduce, *, include_self=True)``:
    ``reduce`` is ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``; slice ``i`` of
    ``source`` joins slice ``index[i]`` of the result. With ``include_self=False``
    the indexed slices of ``input`` do not take part (slices no index names keep
    ``input``'s values). Gradients as PyTorch's: amax/amin split among ties.
    Integer ``mean`` rounds down.
    """
    if reduce not in _INDEX_REDUCE:
        raise RuntimeError(f"index_reduce: expected reduce to be one of prod, mean, amax or "
                           f"amin, got {reduce!r}")
    axis, idx = _dim_index(input, dim, index, "index_reduce")
    _check_source(input, axis, idx.size, source, "index_reduce")
    if input._array.ndim == 0:
        input1, source = _views.reshape(input, (1,)), _views.reshape(source, (-1,))
        return _views.reshape(index_reduce(input1, 0, index, source, reduce,
                                           include_self=include_self), ())
    shape = [1] * source._array.ndim
    shape[axis] = idx.size
    spread = Tensor._wrap(xp_of(idx).broadcast_to(idx.reshape(shape).astype(np.int64),
                                                  source._array.shape), False, None, 0)
    return scatter_reduce(input, axis, spread, source, reduce, include_self=include_self)


# ---- factories ----------------------------------------------------------------------

def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` *inclusive* every ``step`` (``torch.range``, deprecated).

    ``end`` is required (``range(5)`` raises, as in PyTorch).
    ``floor((end - start) / step) + 1`` values, in the default float dtype unless
    ``dtype`` is given. Warns, as PyTorch does: use ``arange`` (end exclusive).
    """
    warnings.warn("ember.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "ember.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:  # PyTorch has no one-argument form (unlike arange)
        raise TypeError("range: missing required argument 'end'")
    start, end, step = (_number(v, "range", n) for v, n in ((start, "start"), (end, "end"),
                                                             (step, "step")))
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"range: unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError(f"range: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    dtype = _dt.as_dtype(dtype or _dt.get_default_dtype())
    n = int(math.floor((end - start) / step)) + 1
    arr = start + np.arange(n, dtype=np.float64) * step
    return _finish(arr, dtype, device, requires_grad, "range")


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor with the given sizes and strides (in elements).

    The memory holds exactly the elements the geometry reaches (PyTorch's rule),
    so strides of 0 or with gaps give an overlapping or sparse view of it.
    """
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"empty_strided: mismatch in length of strides and shape: size has "
                           f"{len(size)} dims, stride {len(stride)}")
    if any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise RuntimeError(f"empty_strided: sizes and strides must be non-negative, got "
                           f"{list(size)} and {list(stride)}")
    dtype = _dt.as_dtype(dtype or _dt.get_default_dtype())
    n = 0 if 0 in size else 1 + sum((a - 1) * s for a, s in zip(size, stride))
    dev = as_device(device)
    xp = array_module(dev)
    item = dtype.np.itemsize
    arr = xp.lib.stride_tricks.as_strided(xp.empty(n, dtype.np), size,
                                          [s * item for s in stride])
    return _finish(arr, None, dev, requires_grad, "empty_strided")


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor over the memory of a Python buffer object, shared, not copied.

    ``torch.frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False)``:
    ``count`` elements (-1: all) after skipping ``offset`` bytes. Writes through
    the tensor change the buffer; a read-only buffer (``bytes``) gives a tensor
    that refuses in-place writes.
    """
    dtype = _dt.as_dtype(dtype)
    try:
        view = memoryview(buffer)
    except TypeError:
        raise TypeError(f"frombuffer: expected an object implementing the buffer protocol, "
                        f"got {type(buffer).__name__}") from None
    nbytes = view.nbytes
    if nbytes == 0:
        raise ValueError("frombuffer: both buffer length (0) and count (-1) must not be 0")
    if not 0 <= offset < nbytes:
        raise ValueError(f"frombuffer: offset ({offset} bytes) must be non-negative and no "
                         f"greater than buffer length ({nbytes} bytes) minus 1")
    if count == 0 or count < -1:
        raise ValueError(f"frombuffer: count must be -1 or positive, got {count}")
    item = dtype.itemsize
    if count == -1 and (nbytes - offset) % item:
        raise ValueError(f"frombuffer: buffer length ({nbytes - offset} bytes) after offset "
                         f"({offset} bytes) must be a multiple of element size ({item})")
    if count > 0 and count * item > nbytes - offset:
        raise ValueError(f"frombuffer: requested buffer length ({count} * {item} bytes) after "
                         f"offset ({offset} bytes) must not be greater than actual buffer "
                         f"length ({nbytes} bytes)")
    arr = np.frombuffer(view.cast("B") if view.ndim != 1 or view.format != "B" else view,
                        dtype=dtype.np, count=count, offset=offset)
    return _finish(arr, None, "cpu", requires_grad, "frombuffer")


# ---- memory placement ----------------------------------------------------------------

def is_pinned(input, device=None):
    """True if ``input`` lives in page-locked host memory (only ``pin_memory`` makes such)."""
    check_tensor(input, "is_pinned")
    a = input._array
    if type(a) is not np.ndarray or not _cuda():
        return False
    import cupy
    try:
        attrs = cupy.cuda.runtime.pointerGetAttributes(_address(storage_root(a)))
    except cupy.cuda.runtime.CUDARuntimeError:
        return False
    return attrs.type == cupy.cuda.runtime.memoryTypeHost


def pin_memory(input, device=None):
    """A copy of ``input`` in page-locked host memory, for faster copies to the GPU.

    As PyTorch: returns ``input`` if it is already pinned, and raises without a
    CUDA device (there is nothing to pin for). The copy is made with CuPy's
    pinned allocator; gradients flow through it.
    """
    check_tensor(input, "pin_memory")
    if not input.is_cpu:
        raise RuntimeError(f"pin_memory: cannot pin a tensor on {input.device}, only dense "
                           "CPU tensors can be pinned")
    if not _cuda():
        raise RuntimeError("pin_memory: cannot access accelerator device when none is available")
    if is_pinned(input):
        return input
    return PinnedCopy.apply(input)


class PinnedCopy(Function):
    """A copy into page-locked host memory; the gradient passes through unchanged."""

    @staticmethod
    def forward(ctx, x):
        import cupyx
        out = cupyx.empty_pinned(x.shape, x.dtype)
        out[...] = x
        return out

    @staticmethod
    def backward(ctx, g):
        return g


def _cuda():
    from ember.backend.device import cuda_available
    return cuda_available()


# ---- top-level aliases PyTorch keeps --------------------------------------------------

# PyTorch's top-level in-place functions whose Tensor method Ember has:
# ``torch.exp_(x)`` is ``x.exp_()``.
_INPLACE_ALIASES = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_",
    "arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_",
    "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "detach_", "erf_",
    "erfc_", "exp2_", "exp_", "expm1_", "fix_", "floor_", "frac_", "gcd_", "i0_", "lcm_",
    "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_",
    "negative_", "rad2deg_", "reciprocal_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_",
    "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_")


def _method_alias(name):
    def fn(input, *args, **kwargs):
        check_tensor(input, name)
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``torch.{name}(input, ...)``: ``input.{name}(...)``, in place; returns "
                  "``input``.")
    return fn


globals().update({name: _method_alias(name) for name in _INPLACE_ALIASES})


__all__ += list(_INPLACE_ALIASES)

__methods__ = ("is_nonzero", "is_same_size", "positive", "conj", "conj_physical",
               "resolve_conj", "resolve_neg", "is_conj", "is_neg", "isreal", "squeeze_",
               "unsqueeze_", "t_", "transpose_", "swapaxes_", "swapdims_", "as_strided",
               "as_strided_", "resize_", "resize_as_", "new", "fill_diagonal_", "put",
               "index_reduce", "is_pinned", "pin_memory", "new_empty_strided", "conj_physical_", "to_dense", "narrow_copy",
               "split_with_sizes", "unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk")
__inplace__ = ("put", "index_reduce")
