"""Gather and scatter along a dimension, masked ops, take.

``gather`` reads ``input[i][index[i][j]]`` (for dim 1: the index replaces
the coordinate along ``dim``); ``scatter`` writes there. The two are each
other's gradient: gather's backward scatter-adds into zeros, scatter_add's
backward gathers, so derivatives of any order come from the same Functions.
Reductions that pick elements (amax, amin) use masks computed from the data
in forward; a mask is piecewise constant in the input, so treating it as a
constant is exact for derivatives of any order.
"""

import numpy as np

from ember.autograd.function import Function
from ember.backend.device import xp_of
from ember.ops._util import broadcast_shapes, check_tensor, fmt_shape, wrap_dim
from ember.ops.reduce import constant
from ember.ops.indexing import Index, MaskedFill, _value_operand, ufunc_at
from ember.ops.views import SliceBackward, expand, reshape
from ember.tensor import Tensor

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "masked_fill", "masked_select",
           "masked_scatter", "take", "take_along_dim"]

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _positions(xp, index, axis):
    """The advanced index addressing, for each entry of ``index``, the element it names."""
    pos = []
    for d, n in enumerate(index.shape):
        if d == axis:
            pos.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            pos.append(xp.arange(n).reshape(shape))
    return tuple(pos)


class Gather(Function):
    """``out[i, j] = x[index[i, j], j]`` (for axis 0)."""

    @staticmethod
    def forward(ctx, x, axis, index):
        ctx.shape, ctx.axis, ctx.index = x.shape, axis, index
        return x[_positions(ctx.xp, index, axis)]

    @staticmethod
    def backward(ctx, g):
        zeros = constant(ctx.xp.zeros(ctx.shape, g._array.dtype))
        return ScatterAdd.apply(zeros, ctx.axis, ctx.index, g), None, None


class ScatterAdd(Function):
    """A copy of ``x`` with ``src`` added at the positions ``index`` names (repeats add up)."""

    @staticmethod
    def forward(ctx, x, axis, index, src):
        ctx.axis, ctx.index = axis, index
        out = x.copy()
        ufunc_at(ctx.xp, "add", out, _positions(ctx.xp, index, axis), src)
        return out

    @staticmethod
    def backward(ctx, g):
        gsrc = Gather.apply(g, ctx.axis, ctx.index) if ctx.needs_input_grad[3] else None
        return g, None, None, gsrc


class Scatter(Function):
    """A copy of ``x`` with ``src`` (an array or a number) written where ``index`` names."""

    @staticmethod
    def forward(ctx, x, axis, index, src):
        ctx.axis, ctx.index = axis, index
        out = x.copy()
        out[_positions(ctx.xp, index, axis)] = src
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = Scatter.apply(g, ctx.axis, ctx.index, 0.0) if need[0] else None
        # As in PyTorch, every src entry gets the gradient of its target,
        # overwritten or not (repeated indices have no defined winner).
        gsrc = Gather.apply(g, ctx.axis, ctx.index) if need[3] else None
        return gx, None, None, gsrc


def _identity(reduce, dtype):
    """The value a reduction starts from when ``include_self`` is False."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if dtype.kind == "f" or dtype.name == "bfloat16" else np.iinfo(dtype).max
    return -big if reduce == "amax" else big


class ScatterReduce(Function):
    """Reduce ``src`` (and ``x`` with ``include_self``) into the positions ``index`` names."""

    @staticmethod
    def forward(ctx, x, axis, index, src, reduce, include_self):
        xp = ctx.xp
        pos = _positions(xp, index, axis)
        ctx.axis, ctx.index, ctx.reduce, ctx.include_self = axis, index, reduce, include_self
        keep = xp.ones(x.shape, bool)  # where x takes part in the result
        if not include_self:
            keep[pos] = False
        out = xp.where(keep, x, xp.asarray(_identity(reduce, x.dtype)).astype(x.dtype))
        ufunc = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
                 "amin": "minimum"}[reduce]
        ufunc_at(xp, ufunc, out, pos, src)
        floating = x.dtype.kind == "f" or x.dtype.name == "bfloat16"
        # Gradient weights of x and of src, constants (None means ones).
        ctx.self_w = ctx.src_w = None
        if reduce == "mean":
            count = keep.astype(x.dtype)
            ufunc_at(xp, "add", count, pos, xp.ones(index.shape, x.dtype))
            count = xp.maximum(count, 1)
            out = out / count if floating else out // count
            ctx.self_w, ctx.src_w = keep / count, 1 / count[pos]
        elif reduce in ("amax", "amin") and floating:
            # Ties share the gradient equally, as in PyTorch.
            self_hit = keep & (x == out)
            src_hit = src == out[pos]
            n = self_hit.astype(x.dtype)
            ufunc_at(xp, "add", n, pos, src_hit.astype(x.dtype))
            n = xp.maximum(n, 1)
            ctx.self_w, ctx.src_w = self_hit / n, src_hit / n[pos]
        elif not include_self:
            ctx.self_w = keep
        if reduce == "prod":
            ctx.save_for_backward(x, src, out)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        if ctx.reduce == "prod":
            gx, gsrc = _prod_backward(ctx, g)
        else:
            gx = g if ctx.self_w is None else g * constant(ctx.self_w.astype(g._array.dtype))
            gsrc = Gather.apply(g, ctx.axis, ctx.index)
            if ctx.src_w is not None:
                gsrc = gsrc * constant(ctx.src_w.astype(g._array.dtype))
        return gx, None, None, gsrc, None, None


def _prod_backward(ctx, g):
    """PyTorch's formula: products of the others, with zeros handled exactly.

    The gradient of one factor is the product of the others; result / factor
    gives it unless the factor is 0, so zeros are masked to 1 and the
    products recomputed (differentiably, by scatter_reduce itself).
    """
    x, src, out = ctx.saved_tensors
    axis, index, include_self = ctx.axis, ctx.index, ctx.include_self
    xp = ctx.xp
    x_zero = x._array == 0
    masked_x = MaskedFill.apply(x, x_zero, 1.0)
    others = ScatterReduce.apply(masked_x, axis, index, src, "prod", include_self)
    gx = g * others / masked_x
    if not include_self:
        keep = xp.ones(x._array.shape, bool)
        keep[_positions(xp, index, axis)] = False
        gx = MaskedFill.apply(gx, ~keep, 0.0)
    src_zero = src._array == 0
    zeros_per_target = xp.zeros(x._array.shape, np.int64)
    ufunc_at(xp, "add", zeros_per_target, _positions(xp, index, axis), src_zero.astype(np.int64))
    zeros_per_src = zeros_per_target[_positions(xp, index, axis)]
    lone_zero = src_zero & (zeros_per_src == 1)
    without_lone = ScatterReduce.apply(x, axis, index, MaskedFill.apply(src, lone_zero, 1.0),
                                       "prod", include_self)
    at_lone = Gather.apply(g * without_lone, axis, index)
    elsewhere = Gather.apply(g * out, axis, index) / MaskedFill.apply(src, src_zero, 1.0)
    gsrc = MaskedFill.apply(at_lone, ~lone_zero, 0.0) + MaskedFill.apply(elsewhere, lone_zero, 0.0)
    if bool((src_zero & (zeros_per_src > 1)).any()):
        gsrc = NoDoubleBackward.apply(gsrc)
    return gx, gsrc


class NoDoubleBackward(Function):
    """Identity whose backward refuses: the prod gradient above is first-order only
    when two zeros meet at one position (as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("scatter_reduce: double backward is unsupported for src when more "
                           "than one zero in src is scattered to the same position (as in "
                           "PyTorch)")


def _scatter_args(input, dim, index, src, op):
    """Check gather/scatter arguments; returns (axis, index array, src cut to index's shape)."""
    check_tensor(input, op)
    check_tensor(index, op, "index")
    if index._array.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got "
                           f"{index._array.dtype}")
    nd = max(input._array.ndim, 1)
    axis = wrap_dim(dim, input._array.ndim, op)
    ishape = index._array.shape if index._array.ndim else (1,)
    xshape = input._array.shape if input._array.ndim else (1,)
    if len(ishape) != nd:
        raise RuntimeError(f"{op}(): index tensor must have the same number of dimensions as "
                           f"input tensor, got index of shape {fmt_shape(index._array.shape)} and "
                           f"input of shape {fmt_shape(input._array.shape)}")
    if any(i > s for d, (i, s) in enumerate(zip(ishape, xshape)) if d != axis):
        raise RuntimeError(f"{op}(): expected index {fmt_shape(ishape)} to be no larger than "
                           f"input {fmt_shape(xshape)} apart from dimension {axis}")
    if isinstance(src, Tensor):
        if src._array.dtype != input._array.dtype:
            raise RuntimeError(f"{op}(): expected src dtype {src._array.dtype} to equal the "
                               f"input's, {input._array.dtype}")
        sshape = src._array.shape if src._array.ndim else (1,)
        if len(sshape) != nd or any(i > s for i, s in zip(ishape, sshape)):
            raise RuntimeError(f"{op}(): expected index {fmt_shape(ishape)} to be no larger than "
                               f"src {fmt_shape(sshape)}")
        src = reshape(src, sshape)
        if sshape != ishape:
            src = src[tuple(slice(0, n) for n in ishape)]
    arr = index._array.reshape(ishape).astype(np.int64, copy=False)
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= xshape[axis]):
        bad = int(arr.min()) if int(arr.min()) < 0 else int(arr.max())
        raise IndexError(f"{op}(): index {bad} is out of bounds for dimension {axis} with size "
                         f"{xshape[axis]}")
    return axis, arr, src


def _lifted(input):
    """0-d inputs are handled as one-element vectors, as PyTorch does."""
    return reshape(input, (1,)) if input._array.ndim == 0 else input


def gather(input, dim, index, *, sparse_grad=False):
    """Values of ``input`` along ``dim`` at ``index``.

    For dim 0, ``out[i][j] = input[index[i][j]][j]``.

    ``index`` has the input's number of dimensions and is no larger apart
    from ``dim``; the result has ``index``'s shape. ``sparse_grad`` is accepted
    for compatibility; gradients are always dense.
    """
    axis, idx, _ = _scatter_args(input, dim, index, None, "gather")
    return reshape(Gather.apply(_lifted(input), axis, idx), index._array.shape)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (or a number ``value``) written at ``index`` along ``dim``.

    ``out[index[i][j]][j] = src[i][j]`` for dim 0. ``reduce='add'`` or
    ``'multiply'`` combines instead of overwriting (``scatter_reduce`` has
    more). Differs from PyTorch: gradients flow with ``reduce`` too.
    """
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(input, dim, index, 2.0)
    if (src is None) == (value is None):
        raise TypeError("scatter: expected exactly one of src (a tensor) or value (a number)")
    axis, idx, src = _scatter_args(input, dim, index, src, "scatter")
    x = _lifted(input)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"scatter: reduce argument must be either 'add' or 'multiply', "
                               f"got {reduce!r}")
        if src is None:
            src = constant(xp_of(x._array).full(idx.shape, value, x._array.dtype))
        out = ScatterReduce.apply(x, axis, idx, src, "sum" if reduce == "add" else "prod", True)
    else:
        out = Scatter.apply(x, axis, idx, src if src is not None else _value_operand(x, value))
    return reshape(out, input._array.shape)


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim``; repeats add up."""
    axis, idx, src = _scatter_args(input, dim, index, check_tensor(src, "scatter_add", "src"),
                                   "scatter_add")
    return reshape(ScatterAdd.apply(_lifted(input), axis, idx, src), input._array.shape)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into ``input`` at ``index`` along ``dim``.

    Args:
        reduce: ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``.
        include_self: whether ``input``'s values at the targeted positions
            take part (else they are replaced by the reduction of ``src``).

    Gradients: amax/amin split among ties equally, as in PyTorch; integer
    ``mean`` rounds down.
    """
    if reduce not in REDUCTIONS:
        raise RuntimeError(f"scatter_reduce: reduce argument must be either sum, prod, mean, "
                           f"amax or amin, got {reduce!r}")
    axis, idx, src = _scatter_args(input, dim, index, check_tensor(src, "scatter_reduce", "src"),
                                   "scatter_reduce")
    out = ScatterReduce.apply(_lifted(input), axis, idx, src, reduce, bool(include_self))
    return reshape(out, input._array.shape)


# ---- masked ops ----------------------------------------------------------

class MaskedScatter(Function):
    """``x`` with the leading entries of ``src`` (row-major) written where ``mask`` is True."""

    @staticmethod
    def forward(ctx, x, mask, src):
        ctx.mask, ctx.src_shape, ctx.n = mask, src.shape, int(mask.sum())
        out = x.copy()
        out[mask] = src.reshape(-1)[:ctx.n]
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = MaskedFill.apply(g, ctx.mask, 0.0) if need[0] else None
        gsrc = None
        if need[2]:
            picked = Index.apply(g, (ctx.mask,))
            numel = int(np.prod(ctx.src_shape))
            gsrc = reshape(SliceBackward.apply(picked, (numel,), (slice(0, ctx.n),)),
                           ctx.src_shape)
        return gx, None, gsrc


def _mask_arg(input, mask, op):
    check_tensor(input, op)
    check_tensor(mask, op, "mask")
    if mask._array.dtype != np.bool_:
        raise RuntimeError(f"{op}: expected a bool mask, got a mask of dtype {mask._array.dtype}")
    shape = broadcast_shapes(input._array.shape, mask._array.shape, op=op)
    return shape, mask._array


def masked_fill(input, mask, value):
    """A copy of ``input`` with ``value`` (a number or 0-d tensor) where ``mask`` is True.

    ``mask`` (bool) broadcasts with ``input``; gradients flow to ``input`` and
    to a tensor ``value``.
    """
    _, m = _mask_arg(input, mask, "masked_fill")
    if isinstance(value, Tensor):
        if value._array.ndim != 0:
            raise RuntimeError(f"masked_fill: only supports a 0-dim value tensor, got a tensor "
                               f"of shape {fmt_shape(value._array.shape)}")
        value = _value_operand(input, value)
    elif not isinstance(value, (bool, int, float, np.generic)):
        raise TypeError(f"masked_fill: expected value to be a number or a 0-dim tensor, got "
                        f"{type(value).__name__}")
    return MaskedFill.apply(input, m, value)


def masked_select(input, mask):
    """The entries of ``input`` where ``mask`` is True, as a 1-D tensor (both broadcast)."""
    shape, m = _mask_arg(input, mask, "masked_select")
    x = expand(input, shape) if input._array.shape != shape else input
    return Index.apply(x, (_xp_broadcast(m, shape),))


def _xp_broadcast(a, shape):
    return a if a.shape == shape else xp_of(a).broadcast_to(a, shape)


def masked_scatter(input, mask, source):
    """A copy of ``input`` with consecutive entries of ``source`` written where ``mask`` is True.

    ``source`` needs at least as many elements as ``mask`` has True entries.
    """
    shape, m = _mask_arg(input, mask, "masked_scatter")
    check_tensor(source, "masked_scatter", "source")
    if source._array.dtype != input._array.dtype:
        raise RuntimeError(f"masked_scatter: expected input and source of the same dtype, got "
                           f"{input._array.dtype} and {source._array.dtype}")
    x = expand(input, shape) if input._array.shape != shape else input
    m = _xp_broadcast(m, shape)
    n = int(m.sum())
    if source._array.size < n:
        raise RuntimeError(f"masked_scatter: source has {source._array.size} elements, fewer than "
                           f"the {n} True entries of the mask")
    return MaskedScatter.apply(x, m, source)


# ---- take ------------------------------------------------------------------

def _long_index(index, op):
    check_tensor(index, op, "index")
    if index._array.dtype != np.int64:
        raise RuntimeError(f"{op}: expected index of dtype int64, got {index._array.dtype}")
    return index._array


def _wrapped(idx, size, op, what):
    """``idx`` with negative entries counted from the end; IndexError outside [-size, size)."""
    if idx.size and (int(idx.min()) < -size or int(idx.max()) >= size):
        bad = int(idx.min()) if int(idx.min()) < -size else int(idx.max())
        raise IndexError(f"{op}: index {bad} is out of bounds for {what} with size {size}")
    return idx + size * (idx < 0)


def take(input, index):
    """``input`` read as 1-D at ``index``; the result has ``index``'s shape."""
    check_tensor(input, "take")
    idx = _wrapped(_long_index(index, "take"), input._array.size, "take",
                   "the flattened input")
    return Index.apply(reshape(input, (-1,)), (idx,))


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim``; like gather, but broadcasting.

    With ``dim=None`` both are flattened. Negative indices count from the end
    (PyTorch rejects them when ``dim`` is None).
    """
    check_tensor(input, "take_along_dim")
    idx = _long_index(indices, "take_along_dim")
    if dim is None:
        idx = _wrapped(idx.reshape(-1), input._array.size, "take_along_dim", "the flattened input")
        return Gather.apply(reshape(input, (-1,)), 0, idx)
    if input._array.ndim != idx.ndim:
        raise RuntimeError(f"take_along_dim: input and indices should have the same number of "
                           f"dimensions, got {input._array.ndim} and {idx.ndim}")
    axis = wrap_dim(dim, input._array.ndim, "take_along_dim")
    if input._array.ndim == 0:
        return take(input, indices)
    xs, ids = list(input._array.shape), list(idx.shape)
    xs[axis] = ids[axis] = 1
    common = list(broadcast_shapes(tuple(xs), tuple(ids), op="take_along_dim"))
    x_shape, i_shape = common.copy(), common.copy()
    x_shape[axis], i_shape[axis] = input._array.shape[axis], idx.shape[axis]
    x = expand(input, tuple(x_shape)) if tuple(x_shape) != input._array.shape else input
    idx = _xp_broadcast(idx, tuple(i_shape))
    idx = _wrapped(idx, input._array.shape[axis], "take_along_dim", f"dimension {axis}")
    return Gather.apply(x, axis, idx)


__methods__ = ("gather", "scatter", "scatter_add", "scatter_reduce", "masked_fill",
               "masked_select", "masked_scatter", "take", "take_along_dim")
__inplace__ = ("scatter", "scatter_add", "scatter_reduce", "masked_fill", "masked_scatter")
