"""PyTorch's long tail of Tensor helpers and top-level functions.

Predicates scripts test (``is_nonzero``, ``is_conj``...), in-place view ops
that change a tensor's shape (``squeeze_``, ``as_strided_``...), raw memory
geometry (``as_strided``, ``resize_``), scattered writes (``put``,
``index_reduce``, ``fill_diagonal_``), a few factories (``range``,
``empty_strided``, ``frombuffer``, windows), ``gradient`` and ``histogram``,
and the top-level aliases PyTorch keeps for in-place methods
(``torch.exp_(x)``) and for ``torch.nn.functional`` ops with their own
argument order (``torch.dropout(input, p, train)``).
"""

import builtins
import collections
import math
import warnings

import numpy as np

from ember.autograd.function import Function
from ember.autograd.grad_mode import _State
from ember.backend import dtype as _dt
from ember.backend.device import array_module, as_device, xp_of
from ember.ops._util import check_tensor, fmt_shape, shape_arg, wrap_dim
from ember.ops.creation import (_finish, _float_dtype, _number, _symmetric_grid,
                                tensor as _tensor)
from ember.ops.indexing import _check_source, _dim_index, index_put, ufunc_at
from ember.ops.inplace import check_inplace, inplace
from ember.ops.scatter import scatter_reduce
from ember.ops import views as _views
from ember.tensor import Tensor, _host, storage_root

_range = builtins.range  # this module defines ember.range

__all__ = ["is_nonzero", "is_same_size", "is_signed", "positive", "conj", "conj_physical",
           "resolve_conj", "resolve_neg", "is_conj", "is_neg", "real", "imag", "isreal",
           "as_strided", "as_strided_", "resize_as_", "put", "index_reduce", "range",
           "empty_strided", "frombuffer", "gradient", "histogram", "hann_window",
           "hamming_window", "blackman_window", "bartlett_window", "kaiser_window",
           "conj_physical_", "narrow_copy", "split_with_sizes", "unsafe_split",
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
    else:  # cannot happen for memory an array owns; guards foreign buffers
        raise RuntimeError("as_strided: the tensor's underlying memory is not contiguous")
    if flat.dtype != a.dtype:  # a dtype view (x.view(int32)): reinterpret the bytes
        raw = flat.view(np.uint8)
        flat = raw[:raw.size - raw.size % a.itemsize].view(a.dtype)
    offset = (_address(a) - _address(root)) // a.itemsize
    return flat, offset


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


# ---- gradient and histogram ---------------------------------------------------------

def _slice(t, axis, start, stop):
    index = (slice(None),) * axis + (slice(start, stop),)
    return t[index]


def _edges(t, axis, coords, edge_order):
    """One-sided differences at both ends of ``axis``; ``coords`` None means unit spacing."""
    n = t.shape[axis]
    if edge_order == 1:
        first = _slice(t, axis, 1, 2) - _slice(t, axis, 0, 1)
        last = _slice(t, axis, n - 1, n) - _slice(t, axis, n - 2, n - 1)
        if coords is None:
            return first, last
        return first / (coords[1] - coords[0]), last / (coords[n - 1] - coords[n - 2])
    # Second order: the derivative of the parabola through the first (last) three points.
    if coords is None:
        h1 = h2 = g1 = g2 = 1.0
    else:
        h1, h2 = coords[1] - coords[0], coords[2] - coords[1]
        g1, g2 = coords[n - 2] - coords[n - 3], coords[n - 1] - coords[n - 2]
    y0, y1, y2 = (_slice(t, axis, i, i + 1) for i in (0, 1, 2))
    first = (-(2 * h1 + h2) / (h1 * (h1 + h2)) * y0 + (h1 + h2) / (h1 * h2) * y1
             - h1 / (h2 * (h1 + h2)) * y2)
    z0, z1, z2 = (_slice(t, axis, i, i + 1) for i in (n - 3, n - 2, n - 1))
    last = (g2 / (g1 * (g1 + g2)) * z0 - (g1 + g2) / (g1 * g2) * z1
            + (2 * g2 + g1) / (g2 * (g1 + g2)) * z2)
    return first, last


def _interior(t, axis, coords):
    """Central differences; second-order accurate on uneven coordinates too."""
    n = t.shape[axis]
    ahead, mid, behind = _slice(t, axis, 2, n), _slice(t, axis, 1, n - 1), _slice(t, axis, 0, n - 2)
    if coords is None:
        return (ahead - behind) / 2
    shape = [1] * t.ndim
    shape[axis] = n - 2
    hl = _views.reshape(coords[1:n - 1] - coords[0:n - 2], shape)   # left gaps
    hr = _views.reshape(coords[2:n] - coords[1:n - 1], shape)       # right gaps
    return (hl * hl * ahead - hr * hr * behind + (hr * hr - hl * hl) * mid) / (hl * hr * (hl + hr))


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimate the derivative of ``input`` along each dimension by finite differences.

    ``torch.gradient(input, *, spacing=1, dim=None, edge_order=1)``: central
    differences inside, one-sided ones of order ``edge_order`` (1 or 2) at the
    ends. ``spacing`` is a number (uniform step, all dims), a list of numbers
    (one step per dim) or a list of 1-D tensors (the coordinates along each dim).
    ``dim`` is an int, a list of ints or None (all). Returns a tuple with one
    tensor per dimension. Differentiable with respect to ``input``.
    """
    check_tensor(input, "gradient")
    ndim = input.ndim
    dims = list(_range(ndim)) if dim is None else \
        [dim] if isinstance(dim, (int, np.integer)) else list(dim)
    dims = [wrap_dim(d, ndim, "gradient") for d in dims]
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"gradient: dim {dims} appears multiple times in the list of dims")
    if edge_order not in (1, 2):
        raise RuntimeError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    if isinstance(spacing, (tuple, list)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"gradient: expected spacing to be unspecified, a scalar or a "
                               f"list of length {len(dims)} (one per dim), got a list of "
                               f"length {len(spacing)}")
        spacing = list(spacing)
    else:
        spacing = [spacing] * len(dims)
    if not input.dtype.is_floating_point:
        input = input.to(_dt.get_default_dtype())
    outs = []
    for axis, h in zip(dims, spacing):
        n = input.shape[axis]
        if n < edge_order + 1:
            raise RuntimeError(f"gradient: each dimension differentiated must have at least "
                               f"edge_order + 1 = {edge_order + 1} elements, but dim {axis} "
                               f"has {n}")
        coords = None
        if isinstance(h, Tensor):
            if h.ndim != 1 or h.shape[0] != n:
                raise RuntimeError(f"gradient: coordinates along dim {axis} must be a 1-D "
                                   f"tensor of size {n}, got shape {fmt_shape(h.shape)}")
            coords = h.to(input.dtype)
        first, last = _edges(input, axis, coords, edge_order)
        if n == 2:
            pieces = [first, last]
        else:
            pieces = [first, _interior(input, axis, coords), last]
        out = _cat(pieces, axis)
        if coords is None and h != 1:
            out = out / h
        outs.append(out)
    return tuple(outs)


def _cat(pieces, axis):
    from ember.ops.shape import cat
    return cat(pieces, axis)


HistogramResult = collections.namedtuple("histogram", ("hist", "bin_edges"))


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """Histogram of the values of ``input``: returns ``(hist, bin_edges)``.

    ``torch.histogram(input, bins, *, range=None, weight=None, density=False)``:
    ``bins`` is a number of equal bins over ``range`` (default: the min and max of
    ``input``) or a 1-D tensor of increasing edges. Bins are closed on the left,
    the last also on the right; values outside are ignored. ``weight`` gives
    each value's weight; ``density`` divides by the total and the bin widths.
    Floating inputs only; not differentiable (as in PyTorch).
    """
    check_tensor(input, "histogram")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"histogram: expected a floating input, got {input.dtype}")
    a = _host(input._array)
    values = a.reshape(-1).astype(np.float64)
    w = None
    if weight is not None:
        check_tensor(weight, "histogram", "weight")
        if weight.shape != input.shape:
            raise RuntimeError(f"histogram: expected weight of the input's shape "
                               f"{fmt_shape(input.shape)}, got {fmt_shape(weight.shape)}")
        if weight.dtype != input.dtype:
            raise RuntimeError(f"histogram: expected weight of dtype {input.dtype}, got "
                               f"{weight.dtype}")
        w = _host(weight._array).reshape(-1).astype(np.float64)
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.shape[0] < 1:
            raise RuntimeError(f"histogram: bins must be a 1-D tensor with at least 1 element, "
                               f"got shape {fmt_shape(bins.shape)}")
        if bins.dtype != input.dtype:
            raise RuntimeError(f"histogram: expected bins of dtype {input.dtype}, got "
                               f"{bins.dtype}")
        if range is not None:
            raise TypeError("histogram: range cannot be given together with a tensor of bins")
        edges = _host(bins._array).astype(a.dtype)
        if np.any(np.diff(edges.astype(np.float64)) < 0):
            raise RuntimeError("histogram: bin edges must be non-decreasing")
    else:
        if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins <= 0:
            raise RuntimeError(f"histogram: bins must be a positive int or a 1-D tensor, got "
                               f"{bins!r}")
        if range is not None:
            lo, hi = (float(v) for v in range)
        elif values.size:
            lo, hi = float(values.min()), float(values.max())
        else:
            lo, hi = 0.0, 0.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"histogram: range of [{lo}, {hi}] is not finite")
        if lo > hi:
            raise ValueError(f"histogram: max must be larger than min, got range ({lo}, {hi})")
        if lo == hi:  # widen an empty range, as PyTorch does
            lo, hi = lo - 0.5, hi + 0.5
        edges = _symmetric_grid(np.asarray(lo).astype(a.dtype), np.asarray(hi).astype(a.dtype),
                                int(bins) + 1, np.dtype(a.dtype))
    e = edges.astype(np.float64)
    # Bin i holds e[i] <= v < e[i+1]; the last bin also holds v == e[-1].
    inside = (values >= e[0]) & (values <= e[-1])
    pos = np.searchsorted(e, values[inside], side="right") - 1
    pos = np.minimum(pos, e.size - 2)
    hist = np.bincount(pos, weights=None if w is None else w[inside], minlength=e.size - 1)
    hist = hist[:e.size - 1].astype(np.float64)
    if density:
        total = hist.sum()
        hist = hist / (total * np.diff(e))
    dev = input.device
    return HistogramResult(_finish(hist, input.dtype, dev, False, "histogram"),
                           _finish(edges, input.dtype, dev, False, "histogram"))


# ---- windows --------------------------------------------------------------------------

def _window(op, window_length, periodic, dtype, device, requires_grad, make):
    """Evaluate ``make(n, N)`` for n = 0..window_length-1, with N the denominator:
    window_length (periodic) or window_length - 1 (symmetric)."""
    if not isinstance(window_length, (int, np.integer)) or isinstance(window_length, bool):
        raise TypeError(f"{op}: expected window_length to be an int, got "
                        f"{type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{op}: requires non-negative window_length, got "
                           f"window_length={window_length}")
    dtype = _float_dtype(dtype, op)
    if window_length == 0:
        arr = np.zeros(0)
    elif window_length == 1:
        arr = np.ones(1)
    else:
        n = np.arange(window_length, dtype=np.float64)
        arr = make(n, window_length if periodic else window_length - 1)
    return _finish(arr, dtype, device, requires_grad, op)


def hann_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """Hann window: ``0.5 - 0.5 cos(2 pi n / N)``; N = window_length if ``periodic`` else
    window_length - 1 (``torch.hann_window``)."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: 0.5 - 0.5 * np.cos(2 * np.pi * n / N))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   device=None, requires_grad=False):
    """Hamming window: ``alpha - beta cos(2 pi n / N)`` (``torch.hamming_window``)."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: alpha - beta * np.cos(2 * np.pi * n / N))


def blackman_window(window_length, periodic=True, *, dtype=None, device=None,
                    requires_grad=False):
    """Blackman window: ``0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)``."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: (0.42 - 0.5 * np.cos(2 * np.pi * n / N)
                                 + 0.08 * np.cos(4 * np.pi * n / N)))


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None,
                    requires_grad=False):
    """Bartlett (triangular) window: ``1 - |2 n / N - 1|`` (``torch.bartlett_window``)."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: 1 - np.abs(2 * n / N - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, device=None,
                  requires_grad=False):
    """Kaiser window: ``I0(beta sqrt(1 - (2 n / N - 1)^2)) / I0(beta)``, I0 the modified
    Bessel function of order 0 (``torch.kaiser_window``)."""
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: np.i0(beta * np.sqrt(np.clip(1 - (2 * n / N - 1) ** 2, 0, None)))
                   / np.i0(beta))


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


def share_memory_(input):
    """Returns ``input``; PyTorch moves the memory into shared memory for worker processes.

    Differs from PyTorch: Ember's tensors stay in ordinary NumPy memory, and
    sending one to another process (``multiprocessing``, data-loader workers)
    pickles a copy of its values, so ``is_shared()`` stays False.
    """
    check_tensor(input, "share_memory_")
    return input


def is_shared(input):
    """Always False: Ember never places tensors in shared memory (see ``share_memory_``)."""
    check_tensor(input, "is_shared")
    return False


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


def _F():
    # ember.nn is imported after the ops (it builds on them): look it up at call time.
    from ember.nn import functional
    return functional


# PyTorch's top-level losses take the index of the reduction, and (whatever their
# schemas say) default to 0: no reduction, unlike torch.nn.functional's "mean".
_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction, op):
    if isinstance(reduction, bool) or reduction not in (0, 1, 2):
        raise ValueError(f"{op}: expected reduction to be 0 (none), 1 (mean) or 2 (sum), got "
                         f"{reduction!r}")
    return _REDUCTIONS[reduction]


def _stride(stride):
    return None if stride is None or (isinstance(stride, (tuple, list)) and not stride) \
        else stride


def dropout(input, p, train):
    """``torch.dropout(input, p, train)``: ``F.dropout(input, p, training=train)``."""
    return _F().dropout(input, p, train)


def dropout_(input, p, train):
    """``torch.dropout_(input, p, train)``: dropout in place; returns ``input``."""
    return _F().dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    """``torch.alpha_dropout(input, p, train)``: ``F.alpha_dropout(input, p, train)``."""
    return _F().alpha_dropout(input, p, train)


def alpha_dropout_(input, p, train):
    """``torch.alpha_dropout_(input, p, train)``: alpha dropout in place; returns ``input``."""
    return _F().alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p, train):
    """``torch.feature_alpha_dropout(input, p, train)``: alpha dropout of whole channels."""
    return _F().feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p, train):
    """``torch.feature_alpha_dropout_(input, p, train)``: in place; returns ``input``."""
    return _F().feature_alpha_dropout(input, p, train, inplace=True)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv1d``: ``F.conv1d`` (same arguments)."""
    return _F().conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv2d``: ``F.conv2d`` (same arguments)."""
    return _F().conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv3d``: ``F.conv3d`` (same arguments)."""
    return _F().conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """``torch.conv_transpose1d``: ``F.conv_transpose1d`` (same arguments)."""
    return _F().conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """``torch.conv_transpose2d``: ``F.conv_transpose2d`` (same arguments)."""
    return _F().conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """``torch.conv_transpose3d``: ``F.conv_transpose3d`` (same arguments)."""
    return _F().conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """``torch.layer_norm``: ``F.layer_norm``; ``cudnn_enable`` is accepted and unused."""
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """``torch.group_norm``: ``F.group_norm``; ``cudnn_enabled`` is accepted and unused."""
    return _F().group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``torch.rms_norm``: ``F.rms_norm`` (same arguments)."""
    return _F().rms_norm(input, normalized_shape, weight, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    """``torch.batch_norm``: every argument required, ``weight`` and ``bias`` before the
    running statistics (``F.batch_norm`` takes them after); ``cudnn_enabled`` is unused."""
    return _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                           eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    """``torch.instance_norm``: every argument required, ``weight`` and ``bias`` first
    (``F.instance_norm`` takes them after the running statistics); ``cudnn_enabled`` is unused."""
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                              momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``torch.embedding(weight, indices, ...)``: the rows of ``weight`` at ``indices``.

    Note the order (``F.embedding`` takes ``input`` first) and ``padding_idx``:
    a negative value means none here, as in PyTorch's top-level function.
    """
    return _F().embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool1d``: ``F.max_pool1d``; an empty ``stride`` means ``kernel_size``."""
    return _F().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """``torch.max_pool1d_with_indices``: ``(values, indices)`` of ``F.max_pool1d``."""
    return _F().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                           return_indices=True)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool2d``: ``F.max_pool2d``; an empty ``stride`` means ``kernel_size``."""
    return _F().max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool3d``: ``F.max_pool3d``; an empty ``stride`` means ``kernel_size``."""
    return _F().max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False,
               count_include_pad=True):
    """``torch.avg_pool1d``: ``F.avg_pool1d``; an empty ``stride`` means ``kernel_size``."""
    return _F().avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode,
                           count_include_pad)


def adaptive_avg_pool1d(input, output_size):
    """``torch.adaptive_avg_pool1d``: ``F.adaptive_avg_pool1d``."""
    return _F().adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """``torch.adaptive_max_pool1d``: always ``(values, indices)``, unlike ``F``'s default."""
    return _F().adaptive_max_pool1d(input, output_size, return_indices=True)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``torch.cosine_similarity``: ``F.cosine_similarity`` (same arguments)."""
    return _F().cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``torch.pairwise_distance``: ``F.pairwise_distance`` (same arguments)."""
    return _F().pairwise_distance(x1, x2, p, eps, keepdim)


def pdist(input, p=2.0):
    """``torch.pdist``: ``F.pdist`` (same arguments)."""
    return _F().pdist(input, p)


def pixel_shuffle(input, upscale_factor):
    """``torch.pixel_shuffle``: ``F.pixel_shuffle``."""
    return _F().pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    """``torch.pixel_unshuffle``: ``F.pixel_unshuffle``."""
    return _F().pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    """``torch.channel_shuffle``: ``F.channel_shuffle``."""
    return _F().channel_shuffle(input, groups)


def bilinear(input1, input2, weight, bias=None):
    """``torch.bilinear``: ``F.bilinear``."""
    return _F().bilinear(input1, input2, weight, bias)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    """``torch.binary_cross_entropy_with_logits``: ``reduction`` is an int here, 0 (none,
    the default), 1 (mean) or 2 (sum), and ``pos_weight`` comes before it, as in PyTorch's
    top-level function."""
    return _F().binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction(reduction, "binary_cross_entropy_with_logits"),
        pos_weight=pos_weight)


def kl_div(input, target, reduction=0, *, log_target=False):
    """``torch.kl_div``: ``F.kl_div`` with an int ``reduction`` (0 none, the default; 1 mean; 2 sum)."""
    return _F().kl_div(input, target, reduction=_reduction(reduction, "kl_div"),
                       log_target=log_target)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    """``torch.cosine_embedding_loss``: ``reduction`` an int (0 none, the default; 1 mean; 2 sum)."""
    return _F().cosine_embedding_loss(input1, input2, target, margin,
                                      reduction=_reduction(reduction, "cosine_embedding_loss"))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    """``torch.hinge_embedding_loss``: ``reduction`` an int (0 none, the default; 1 mean; 2 sum)."""
    return _F().hinge_embedding_loss(input, target, margin,
                                     reduction=_reduction(reduction, "hinge_embedding_loss"))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    """``torch.margin_ranking_loss``: ``reduction`` an int (0 none, the default; 1 mean; 2 sum)."""
    return _F().margin_ranking_loss(input1, input2, target, margin,
                                    reduction=_reduction(reduction, "margin_ranking_loss"))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        reduction=0):
    """``torch.triplet_margin_loss``: ``reduction`` an int (0 none, the default; 1 mean; 2 sum)."""
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_reduction(reduction, "triplet_margin_loss"))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """``torch.poisson_nll_loss``: every argument required, ``reduction`` an int
    (0 none, the default; 1 mean; 2 sum)."""
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps,
                                 reduction=_reduction(reduction, "poisson_nll_loss"))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    """``torch.ctc_loss``: ``F.ctc_loss`` with an int ``reduction`` (0 none, the default; 1 mean; 2 sum)."""
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                         _reduction(reduction, "ctc_loss"), zero_infinity)


__all__ += list(_INPLACE_ALIASES) + [
    "dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_alpha_dropout",
    "feature_alpha_dropout_", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
    "conv_transpose2d", "conv_transpose3d", "layer_norm", "group_norm", "rms_norm",
    "batch_norm", "instance_norm", "embedding", "max_pool1d", "max_pool1d_with_indices",
    "max_pool2d", "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
    "cosine_similarity", "pairwise_distance", "pdist", "pixel_shuffle", "pixel_unshuffle",
    "channel_shuffle", "bilinear", "binary_cross_entropy_with_logits", "kl_div",
    "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss",
    "triplet_margin_loss", "poisson_nll_loss", "ctc_loss"]

__methods__ = ("is_nonzero", "is_same_size", "positive", "conj", "conj_physical",
               "resolve_conj", "resolve_neg", "is_conj", "is_neg", "isreal", "squeeze_",
               "unsqueeze_", "t_", "transpose_", "swapaxes_", "swapdims_", "as_strided",
               "as_strided_", "resize_", "resize_as_", "new", "fill_diagonal_", "put",
               "index_reduce", "histogram", "is_pinned", "pin_memory", "share_memory_",
               "is_shared", "new_empty_strided", "conj_physical_", "to_dense", "narrow_copy",
               "split_with_sizes", "unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk")
__inplace__ = ("put", "index_reduce")
