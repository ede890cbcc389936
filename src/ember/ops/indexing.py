"""``x[index]`` and ``x[index] = value``: basic, advanced and boolean indexing.

Indices follow PyTorch (and NumPy): ints, slices, None, Ellipsis, integer
tensors or lists (advanced; gathered copies), bool tensors (masks). Basic
indexing returns a view; advanced indexing a copy whose backward scatters
(and adds, for repeated indices) into zeros.
"""

import numpy as np

from ember.autograd.function import Function
from ember.ops._util import as_operand, fmt_shape
from ember.ops.inplace import commit_inplace, check_inplace, snapshot
from ember.ops.views import _slice_view
from ember.autograd.grad_mode import _State
from ember.tensor import Tensor

__all__ = ["getitem", "setitem_", "index_put", "index_put_"]


def _host_index(a):
    return a if type(a) is np.ndarray else a.get()


def convert_index(index, xp=np):
    """A NumPy-ready index and whether it is purely basic (a view)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for i in index:
        if isinstance(i, Tensor):
            d = i.data
            if d.dtype.kind == "b":
                basic = False
                out.append(d)
            elif d.dtype.kind in "iu":
                if d.ndim == 0:
                    out.append(int(d))
                else:
                    basic = False
                    out.append(d)
            else:
                raise IndexError(f"tensors used as indices must be long, int, byte or bool "
                                 f"tensors, got {i.dtype}")
        elif isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            out.append(int(i))
        elif i is None or i is Ellipsis:
            out.append(i)
        elif isinstance(i, slice):
            out.append(slice(*(int(v) if isinstance(v, Tensor) else v
                               for v in (i.start, i.stop, i.step))))
            if i.step is not None and int(i.step) <= 0:
                raise ValueError("getitem: slice step must be positive (PyTorch has no negative "
                                 "steps; use flip())")
        elif isinstance(i, bool):
            basic = False
            out.append(i)
        elif isinstance(i, (list, np.ndarray)):
            arr = np.asarray([int(v) if isinstance(v, Tensor) else v for v in i]
                             if isinstance(i, list) else i)
            if arr.dtype.kind not in "biu" and arr.size:
                raise IndexError(f"index lists must hold integers or bools, got {arr.dtype}")
            basic = False
            out.append(arr.astype(np.int64) if arr.dtype.kind != "b" else arr)
        else:
            raise IndexError(f"invalid index of type {type(i).__name__}: only integers, slices, "
                             "None, Ellipsis, lists and integer or bool tensors are valid indices")
    if xp is not np:
        out = [xp.asarray(i) if isinstance(i, np.ndarray) else i for i in out]
    return tuple(out), basic


class Index(Function):
    """Advanced indexing: a gathered copy."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return IndexBackward.apply(g, ctx.shape, ctx.index), None


class IndexBackward(Function):
    """Zeros of the input's shape with ``g`` added at ``index`` (repeats add up)."""

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = ctx.xp.zeros(shape, g.dtype)
        if ctx.xp is np:
            np.add.at(out, index, g)
        else:
            import cupyx
            cupyx.scatter_add(out, index, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return Index.apply(gg, ctx.index), None, None


class IndexPut(Function):
    """A copy of ``x`` with ``value`` written at ``index`` (broadcast)."""

    @staticmethod
    def forward(ctx, x, index, value, accumulate):
        ctx.index, ctx.accumulate = index, accumulate
        ctx.value_shape = getattr(value, "shape", ())
        out = x.copy()
        if accumulate:
            np.add.at(out, index, value) if ctx.xp is np else \
                __import__("cupyx").scatter_add(out, index, value)
        else:
            out[index] = value
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = gv = None
        if need[0]:
            gx = g if ctx.accumulate else IndexPut.apply(g, ctx.index, 0.0, False)
        if need[2]:
            region = getitem_raw(g, ctx.index)
            gv = region
        return gx, None, gv, None


def getitem_raw(x, index):
    """``x[index]`` for an already converted index."""
    if _is_basic(index):
        return _slice_view(x, index)
    return Index.apply(x, index)


def _is_basic(index):
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in index)


def _check_bounds(shape, index, op):
    """Raise an IndexError naming the op, dimension and size for bad indices."""
    dim = 0
    n_ell = sum(1 for i in index if i is Ellipsis)
    if n_ell > 1:
        raise IndexError(f"{op}: an index can only have a single ellipsis ('...')")
    consumed = sum(1 if not hasattr(i, "dtype") or i.dtype.kind != "b" else i.ndim
                   for i in index if i is not None and i is not Ellipsis and not isinstance(i, bool))
    if consumed > len(shape):
        raise IndexError(f"{op}: too many indices for tensor of dimension {len(shape)} "
                         f"(got {consumed})")
    for i in index:
        if i is Ellipsis:
            dim += len(shape) - consumed
            continue
        if i is None or isinstance(i, bool):
            continue
        if isinstance(i, int):
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
            size = shape[dim]
            if i.size and (int(i.max()) >= size or int(i.min()) < -size):
                bad = int(i.max()) if int(i.max()) >= size else int(i.min())
                raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} "
                                 f"with size {size}")
            dim += 1


def getitem(input, index):
    """``input[index]``: a view for basic indices, a copy for advanced ones."""
    if type(index) is int and input.data.ndim:  # fast path for x[i]
        n = input.data.shape[0]
        if not -n <= index < n:
            raise IndexError(f"getitem: index {index} is out of bounds for dimension 0 with "
                             f"size {n}")
        return _slice_view(input, (index,))
    if input.data.ndim == 0 and index not in ((), Ellipsis, None) and not (
            isinstance(index, tuple) and all(i is None or i is Ellipsis for i in index)):
        if not isinstance(index, (Tensor, list, bool)):
            raise IndexError("getitem: invalid index of a 0-dim tensor; use tensor.item() "
                             "to get a Python number")
    from ember.backend.device import xp_of
    idx, basic = convert_index(index, xp_of(input.data))
    _check_bounds(input.data.shape, idx, "getitem")
    if basic:
        return _slice_view(input, idx)
    return Index.apply(input, idx)


def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``values`` written (or added) at ``indices``."""
    from ember.backend.device import xp_of
    idx, _ = convert_index(tuple(indices), xp_of(input.data))
    _check_bounds(input.data.shape, idx, "index_put")
    values = _value_operand(input, values)
    return IndexPut.apply(input, idx, values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    """``index_put`` in place; returns ``input``."""
    values = _value_operand(input, values)
    from ember.ops.inplace import inplace
    return inplace(input, index_put, "index_put_", indices, values, accumulate)


def _value_operand(target, value):
    if isinstance(value, Tensor):
        if value.data.dtype != target.data.dtype:
            value = value.to(target.dtype)
        return value
    return as_operand(value, target).to(target.dtype)


def setitem_(input, index, value):
    """``input[index] = value`` (value broadcast to the indexed region)."""
    from ember.backend.device import xp_of
    idx, basic = convert_index(index, xp_of(input.data))
    _check_bounds(input.data.shape, idx, "setitem")
    value_rg = isinstance(value, Tensor) and value.requires_grad
    check_inplace(input, "setitem", value_rg)
    if not (_State.enabled and (input.requires_grad or value_rg)):
        v = value.data if isinstance(value, Tensor) else value
        try:
            input.data[idx] = v
        except ValueError as e:
            region = input.data[idx].shape
            vshape = getattr(v, "shape", ())
            raise RuntimeError(f"setitem: shape mismatch: value tensor of shape "
                               f"{fmt_shape(vshape)} cannot be broadcast to indexing result "
                               f"of shape {fmt_shape(region)}") from e
        input._bump_version()
        return input
    value = _value_operand(input, value)
    region = input.data[idx].shape
    try:
        np.broadcast_shapes(value.data.shape, region)
    except ValueError:
        raise RuntimeError(f"setitem: shape mismatch: value tensor of shape "
                           f"{fmt_shape(value.data.shape)} cannot be broadcast to indexing "
                           f"result of shape {fmt_shape(region)}") from None
    result = IndexPut.apply(snapshot(input), idx, value, False)
    return commit_inplace(input, result, "setitem")

__methods__ = ("index_put", "index_put_")
__inplace__ = ()
