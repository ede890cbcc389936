"""``x[index]``, ``x[index] = value`` and the ``index_*`` ops along one dimension.

Indices follow PyTorch (and NumPy): ints, slices, None, Ellipsis, integer
tensors or lists (advanced; gathered copies), bool or uint8 tensors (masks).
Basic indexing returns a view; advanced indexing a copy whose backward
scatters (and adds, for repeated indices) into zeros. ``index_select``,
``index_add``, ``index_copy`` and ``index_fill`` are advanced indexing along
one dimension and share those Functions; ``MaskedFill`` serves
``index_fill`` and ``masked_fill``.
"""

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.autograd.grad_mode import _State
from ember.backend.device import xp_of
from ember.ops._util import as_operand, check_tensor, fmt_shape, wrap_dim
from ember.ops.inplace import check_inplace, commit_inplace, inplace, snapshot
from ember.ops.views import _slice_view, reshape
from ember.tensor import Tensor

__all__ = ["getitem", "setitem_", "index_put", "index_put_", "index_select", "index_add",
           "index_copy", "index_fill"]


def ufunc_at(xp, name, out, index, values):
    """``out[index] (name)= values`` unbuffered, so repeated indices all count.

    ``name`` is "add", "multiply", "maximum" or "minimum".
    """
    if xp is np:
        getattr(np, name).at(out, index, values)
        return
    import cupyx
    scatter = {"add": cupyx.scatter_add, "maximum": cupyx.scatter_max,
               "minimum": cupyx.scatter_min}.get(name)
    if scatter is not None:
        scatter(out, index, values)
        return
    # CuPy has no multiply.at: do it on the host.
    host = xp.asnumpy(out)
    host_index = tuple(xp.asnumpy(i) if hasattr(i, "device") else i for i in index)
    getattr(np, name).at(host, host_index, xp.asnumpy(values))
    out[...] = xp.asarray(host)


def convert_index(index, xp=np, op="getitem"):
    """A NumPy-ready index tuple and whether it is purely basic (a view)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for i in index:
        if isinstance(i, Tensor):
            d = i._array
            if d.dtype.kind == "b" or d.dtype == np.uint8:  # uint8 masks: PyTorch's legacy
                basic = False
                out.append(d.astype(bool, copy=False))
            elif d.dtype.kind in "iu":
                if d.ndim == 0:
                    out.append(int(d))
                else:
                    basic = False
                    out.append(d)
            else:
                raise IndexError(f"{op}: tensors used as indices must be long, int, byte or bool "
                                 f"tensors, got {d.dtype}")
        elif isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            out.append(int(i))
        elif i is None or i is Ellipsis:
            out.append(i)
        elif isinstance(i, slice):
            out.append(slice(*(int(v) if isinstance(v, Tensor) else v
                               for v in (i.start, i.stop, i.step))))
            if i.step is not None and int(i.step) <= 0:
                raise ValueError(f"{op}: slice step must be positive, got {int(i.step)} "
                                 "(PyTorch has no negative steps; use flip())")
        elif isinstance(i, bool):
            basic = False
            out.append(i)
        elif isinstance(i, (list, np.ndarray)):
            arr = np.asarray([int(v) if isinstance(v, Tensor) else v for v in i]
                             if isinstance(i, list) else i)
            if arr.dtype.kind not in "biu" and arr.size:
                raise IndexError(f"{op}: index lists must hold integers or bools, got {arr.dtype}")
            basic = False
            out.append(arr.astype(np.int64) if arr.dtype.kind != "b" else arr)
        else:
            raise IndexError(f"{op}: invalid index of type {type(i).__name__}: only integers, "
                             "slices, None, Ellipsis, lists and integer or bool tensors are "
                             "valid indices")
    if xp is not np:
        out = [xp.asarray(i) if isinstance(i, np.ndarray) else i for i in out]
    return tuple(out), basic


class SplitIndex:
    """An advanced index with ints, read as PyTorch does: the ints select first.

    NumPy counts an int next to an index array as advanced too, which moves
    dimensions: for x of shape (4, 5, 6), NumPy's x[1, :, [0, 2]] has shape
    (2, 5), PyTorch's (5, 2). Applying the ints (a basic view, ``pre``)
    before the rest (``post``) gives PyTorch's result.
    """

    __slots__ = ("pre", "post")

    def __init__(self, index):
        pre, post = [], []
        for i in index:
            if i is None or i is Ellipsis or isinstance(i, slice):
                pre.append(i)
                post.append(i if i is Ellipsis else slice(None))  # applied by pre
            elif isinstance(i, bool) or (hasattr(i, "ndim") and i.ndim == 0):
                post.append(i)  # a scalar bool adds a dimension of size 1 or 0
            elif isinstance(i, int):
                pre.append(i)
            else:
                consumed = i.ndim if i.dtype.kind == "b" else 1
                pre.extend([slice(None)] * consumed)
                post.append(i)
        self.pre, self.post = tuple(pre), tuple(post)


def torch_order(index):
    """``index`` as it must be applied to follow PyTorch (see SplitIndex)."""
    has_int = has_array = False
    for i in index:
        if isinstance(i, int) and not isinstance(i, bool):
            has_int = True
        elif hasattr(i, "ndim") and i.ndim > 0:
            has_array = True
    return SplitIndex(index) if has_int and has_array else index


def region(a, index):
    """``(array, index)`` such that ``array[index]`` is ``a[index]`` read as PyTorch does.

    The array is a view of ``a``, so assigning through it writes into ``a``.
    """
    if type(index) is SplitIndex:
        return a[index.pre], index.post
    return a, index


class Index(Function):
    """Advanced indexing: a gathered copy."""

    # NumPy may lay the result out with the indexed axes outermost; PyTorch's is
    # row-major, and scripts rely on that (``.view``).
    row_major = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        base, index = region(x, index)
        return base[index]

    @staticmethod
    def backward(ctx, g):
        return IndexBackward.apply(g, ctx.shape, ctx.index), None


class IndexBackward(Function):
    """Zeros of the input's shape with ``g`` added at ``index`` (repeats add up)."""

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = ctx.xp.zeros(shape, g.dtype)
        ufunc_at(ctx.xp, "add", *region(out, index), g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return Index.apply(gg, ctx.index), None, None


class IndexPut(Function):
    """A copy of ``x`` with ``value`` written (or added) at ``index`` (broadcast)."""

    @staticmethod
    def forward(ctx, x, index, value, accumulate):
        ctx.index, ctx.accumulate = index, accumulate
        out = x.copy()
        base, index = region(out, index)
        if accumulate:
            ufunc_at(ctx.xp, "add", base, index, value)
        else:
            base[index] = value
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = gv = None
        if need[0]:
            gx = g if ctx.accumulate else IndexPut.apply(g, ctx.index, 0.0, False)
        if need[2]:
            gv = getitem_raw(g, ctx.index)  # the engine sums it down to value's shape
        return gx, None, gv, None


class MaskedFill(Function):
    """``x`` with ``value`` (a number or 0-d array) where ``mask`` is True (broadcast)."""

    row_major = True

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.mask = mask
        return ctx.xp.where(mask, value, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = MaskedFill.apply(g, ctx.mask, 0.0) if need[0] else None
        gv = MaskedFill.apply(g, ~ctx.mask, 0.0).sum() if need[2] else None
        return gx, None, gv


def getitem_raw(x, index):
    """``x[index]`` for an already converted index."""
    if _is_basic(index):
        return _slice_view(x, index)
    return Index.apply(x, index)


def _is_basic(index):
    return type(index) is not SplitIndex and all(i is None or i is Ellipsis or isinstance(i, slice)
               or (isinstance(i, int) and not isinstance(i, bool)) for i in index)


def _check_bounds(shape, index, op):
    """Raise an IndexError naming the op, dimension and size for bad indices."""
    if len(shape) == 0 and not all(i is None or i is Ellipsis or isinstance(i, bool)
                                   or hasattr(i, "dtype") for i in index):
        raise IndexError(f"{op}: invalid index of a 0-dim tensor; use tensor.item() to get a "
                         "Python number")
    if sum(1 for i in index if i is Ellipsis) > 1:
        raise IndexError(f"{op}: an index can only have a single ellipsis ('...')")
    consumed = sum(1 if not hasattr(i, "dtype") or i.dtype.kind != "b" else i.ndim
                   for i in index
                   if i is not None and i is not Ellipsis and not isinstance(i, bool))
    if consumed > len(shape):
        raise IndexError(f"{op}: too many indices for tensor of dimension {len(shape)} "
                         f"(got {consumed})")
    dim = 0
    for i in index:
        if i is Ellipsis:
            dim += len(shape) - consumed
        elif i is None or isinstance(i, bool):
            continue
        elif isinstance(i, int):
            size = shape[dim]
            if not -size <= i < size:
                raise IndexError(f"{op}: index {i} is out of bounds for dimension {dim} with "
                                 f"size {size}")
            dim += 1
        elif isinstance(i, slice):
            dim += 1
        elif i.dtype.kind == "b":
            want = shape[dim:dim + i.ndim]
            if tuple(i.shape) != tuple(want):
                raise IndexError(f"{op}: the shape of the mask {fmt_shape(i.shape)} does not "
                                 f"match the shape of the indexed tensor {fmt_shape(want)} at "
                                 f"dimension {dim}")
            dim += i.ndim
        else:
            _check_range(i, shape[dim], dim, op, allow_negative=True)
            dim += 1


def _check_range(index, size, dim, op, allow_negative):
    """IndexError unless every entry of the integer array is a valid index into ``size``."""
    if not index.size:
        return
    low, high = int(index.min()), int(index.max())
    if high >= size or low < (-size if allow_negative else 0):
        bad = high if high >= size else low
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with size "
                         f"{size}")


def getitem(input, index):
    """``input[index]``: a view for basic indices, a copy for advanced ones.

    Differs from PyTorch: a nested list such as ``x[[[0, 1], [1, 1]]]`` is one
    integer index array (NumPy's rule, and PyTorch's announced one), not the
    tuple ``x[[0, 1], [1, 1]]`` that PyTorch still reads with a warning.
    """
    if type(index) is int and input._array.ndim:  # fast path for x[i]
        n = input._array.shape[0]
        if not -n <= index < n:
            raise IndexError(f"getitem: index {index} is out of bounds for dimension 0 with "
                             f"size {n}")
        return _slice_view(input, (index,))
    idx, basic = convert_index(index, xp_of(input._array))
    _check_bounds(input._array.shape, idx, "getitem")
    if basic:
        return _slice_view(input, idx)
    return Index.apply(input, torch_order(idx))


def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``values`` written (or added) at ``indices``, a tuple of indices."""
    idx, _ = convert_index(tuple(indices), xp_of(input._array), "index_put")
    _check_bounds(input._array.shape, idx, "index_put")
    idx = torch_order(idx)
    values = _value_operand(input, values)
    _check_value_shape(input, idx, values, "index_put")
    return IndexPut.apply(input, idx, values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    """``index_put`` in place; returns ``input``."""
    return inplace(input, index_put, "index_put_", indices, _value_operand(input, values),
                   accumulate)


def _value_operand(target, value):
    if isinstance(value, Tensor):
        if value._array.dtype != target._array.dtype:
            value = value.to(target.dtype)
        return value
    return as_operand(value, target).to(target.dtype)


def _check_value_shape(target, idx, value, op):
    base, idx = region(target._array, idx)
    want = base[idx].shape
    try:
        np.broadcast_shapes(value._array.shape, want)
    except ValueError:
        raise RuntimeError(f"{op}: shape mismatch: value tensor of shape "
                           f"{fmt_shape(value._array.shape)} cannot be broadcast to indexing "
                           f"result of shape {fmt_shape(want)}") from None


def setitem_(input, index, value):
    """``input[index] = value`` (value broadcast to the indexed region)."""
    idx, _ = convert_index(index, xp_of(input._array), "setitem")
    _check_bounds(input._array.shape, idx, "setitem")
    idx = torch_order(idx)
    value_rg = isinstance(value, Tensor) and value.requires_grad
    check_inplace(input, "setitem", value_rg)
    if not (_State.enabled and (input.requires_grad or value_rg)):
        base, where = region(input._array, idx)
        v = value._array if isinstance(value, Tensor) else value
        try:
            base[where] = v
        except ValueError as e:
            raise RuntimeError(f"setitem: shape mismatch: value tensor of shape "
                               f"{fmt_shape(getattr(v, 'shape', ()))} cannot be broadcast to "
                               f"indexing result of shape {fmt_shape(base[where].shape)}"
                               ) from e
        input._bump_version()
        return input
    value = _value_operand(input, value)
    _check_value_shape(input, idx, value, "setitem")
    result = IndexPut.apply(snapshot(input), idx, value, False)
    return commit_inplace(input, result, "setitem")


# ---- index_select / index_add / index_copy / index_fill -------------------

def _dim_index(input, dim, index, op, allow_negative=False):
    """``(axis, index array)`` for the index_* ops: a 1-D int32/int64 index, in range."""
    check_tensor(input, op)
    check_tensor(index, op, "index")
    if index._array.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"{op}: expected dtype int32 or int64 for index, got "
                           f"{index._array.dtype}")
    if index._array.ndim > 1:
        raise IndexError(f"{op}: index is supposed to be a vector (0-d or 1-d), got shape "
                         f"{fmt_shape(index._array.shape)}")
    axis = wrap_dim(dim, input._array.ndim, op)
    size = input._array.shape[axis] if input._array.ndim else 1
    arr = index._array.reshape(-1)
    _check_range(arr, size, axis, op, allow_negative)
    return axis, arr


def _along(axis, index):
    """The advanced index that selects ``index`` along ``axis``."""
    return (slice(None),) * axis + (index,)


def _check_source(input, axis, n_index, source, op):
    """``source`` must be shaped like ``input`` with ``n_index`` entries along ``axis``."""
    check_tensor(source, op, "source")
    if source._array.dtype != input._array.dtype:
        raise RuntimeError(f"{op}: self ({input._array.dtype}) and source ({source._array.dtype}) "
                           "must have the same dtype")
    want = list(input._array.shape) or [1]
    want[axis] = n_index
    have = source._array.shape if input._array.ndim else source._array.shape or (1,)
    if tuple(have) != tuple(want):
        raise RuntimeError(f"{op}: expected source of shape {fmt_shape(want)} (the input's, "
                           f"with {n_index} = len(index) at dim {axis}), got "
                           f"{fmt_shape(source._array.shape)}")


def _as_1d(t):
    """0-d tensors are handled as one-element vectors, as PyTorch does."""
    return reshape(t, (1,)) if t._array.ndim == 0 else t


def index_select(input, dim, index):
    """The entries of ``input`` at positions ``index`` (1-D) along ``dim``, a copy."""
    axis, idx = _dim_index(input, dim, index, "index_select")
    if input._array.ndim == 0:
        if idx.size != 1:
            raise IndexError(f"index_select: index to a 0-dim tensor can have only 1 value, got "
                             f"{idx.size}")
        return input.clone()
    return Index.apply(input, _along(axis, idx))


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source[i]`` added at position ``index[i]`` along ``dim``.

    Repeated indices add up.
    """
    axis, idx = _dim_index(input, dim, index, "index_add")
    _check_source(input, axis, idx.size, source, "index_add")
    if alpha != 1:
        source = source * alpha
    out = IndexPut.apply(_as_1d(input), _along(axis, idx), _as_1d(source), True)
    return reshape(out, input._array.shape)


def index_copy(input, dim, index, source):
    """A copy of ``input`` with ``source[i]`` written at position ``index[i]`` along ``dim``.

    With repeated indices, which write wins is unspecified (as in PyTorch).
    """
    if _amp.active:
        return _amp.run("index_copy", index_copy, input, dim, index, source)
    axis, idx = _dim_index(input, dim, index, "index_copy")
    _check_source(input, axis, idx.size, source, "index_copy")
    out = IndexPut.apply(_as_1d(input), _along(axis, idx), _as_1d(source), False)
    return reshape(out, input._array.shape)


def index_fill(input, dim, index, value):
    """A copy of ``input`` with ``value`` (a number or 0-d tensor) at ``index`` along ``dim``.

    Negative indices count from the end (PyTorch allows them here only).
    """
    axis, idx = _dim_index(input, dim, index, "index_fill", allow_negative=True)
    if isinstance(value, Tensor) and value._array.ndim != 0:
        raise RuntimeError(f"index_fill: only supports a 0-dim value tensor, got a tensor of "
                           f"shape {fmt_shape(value._array.shape)}")
    # A mask rather than index_put: value's gradient counts a repeated index once.
    shape = [1] * input._array.ndim
    xp = xp_of(input._array)
    mask = xp.zeros(input._array.shape[axis] if shape else 1, bool)
    mask[idx] = True
    if shape:
        shape[axis] = mask.size
        mask = mask.reshape(shape)
    else:
        mask = mask.reshape(())
    if isinstance(value, Tensor):
        value = _value_operand(input, value)
    return MaskedFill.apply(input, mask, value)


__methods__ = ("index_put", "index_put_", "index_select", "index_add", "index_copy",
               "index_fill")
__inplace__ = ("index_add", "index_copy", "index_fill")
