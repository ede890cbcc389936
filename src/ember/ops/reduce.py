"""Reductions: sum, mean, prod, max/min, median, logsumexp, all/any, nansum.

Gradients of reductions that pick an element (max, min, median) multiply by
a mask built from the data in backward. The mask is piecewise constant in the
input, so treating it as a constant is exact for derivatives of any order.
Ties share the gradient equally where PyTorch does (``max()``, ``amax``,
``median()``) and go to the returned index where PyTorch does (``max(dim)``,
``min(dim)``, ``median(dim)``).

Variance, norms and cumulative ops live in ``ember.ops.statistics`` and
``ember.ops.cumulative``; this module re-exports them so that ``reduce`` is
the one family the rest of Ember registers.
"""

import collections
import types

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.backend.device import xp_of
from ember.ops._util import check_tensor, float_operand, wrap_dim, wrap_dims
from ember.ops.views import expand, reshape, unsqueeze
from ember.tensor import Tensor

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "median",
           "logsumexp", "all", "any", "count_nonzero", "nansum", "nanmean", "return_types"]

# PyTorch's torch.return_types: named tuples unpackable as (values, indices).
return_types = types.SimpleNamespace(**{
    name: collections.namedtuple(name, ("values", "indices")) for name in ("max", "min", "median")})


# ---- shared helpers ---------------------------------------------------------

def reduce_axes(dim, ndim, op):
    """The axes a reduction covers: ``dim`` wrapped, or all for None or an empty sequence.

    An empty ``dim`` meaning "all" is PyTorch's convention for sum, mean and amax.
    """
    if _means_all(dim):
        return tuple(range(ndim))
    if not isinstance(dim, (tuple, list)):
        wrap_dim(dim, ndim, op)  # a TypeError naming the op for a non-integer dim
    return wrap_dims(dim, ndim, op)


def _means_all(dim):
    return dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0)


def reduced_numel(shape, axes):
    """How many elements each output element of a reduction over ``axes`` combines."""
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _keep_shape(shape, axes):
    """The shape of a keepdim reduction over ``axes``."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def keep_reduced(g, shape, axes, keepdim):
    """``g`` (a reduction's result or gradient) with the reduced ``axes`` of ``shape`` as size 1.

    The result broadcasts against the input of the reduction.
    """
    if keepdim or not axes:
        return g
    return reshape(g, _keep_shape(shape, axes))


def expand_reduced(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced ``axes`` of ``shape``."""
    return expand(keep_reduced(g, shape, axes, keepdim), shape)


def constant(arr):
    """``arr`` as a Tensor that never requires grad (masks and weights in a backward)."""
    if isinstance(arr, np.generic):  # NumPy turns 0-d results into scalars
        arr = np.asarray(arr)
    return Tensor._wrap(arr, False, None, 0)


def _check_nonempty_axes(input, axes, op):
    shape = input._array.shape
    for a in axes:
        if shape[a] == 0:
            raise IndexError(f"{op}(): expected reduction dim {a} to have non-zero size, got "
                             f"input of shape {list(shape)}")


def _check_nonempty(input, op):
    if input._array.size == 0:
        raise RuntimeError(f"{op}(): expected a non-empty input when no dim is given (got shape "
                           f"{list(input._array.shape)}); specify the reduction dim with dim=")


# ---- sum, mean, prod --------------------------------------------------------

class Sum(Function):
    """Sum over ``axes``."""

    row_major = True

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        return expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim), None, None, None


class Mean(Function):
    """Mean over ``axes``."""

    row_major = True

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.n = reduced_numel(x.shape, axes)
        if ctx.n == 0:  # PyTorch: NaN (NumPy would warn "mean of empty slice")
            out = x.sum(axis=axes, keepdims=keepdim)
            return out * ctx.xp.nan
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        g = g / ctx.n if ctx.n else g  # n == 0: the input, hence its gradient, is empty
        return expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim), None, None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of elements over ``dim`` (an int, a tuple or list; all when None).

    Integer and bool inputs sum to int64, as in PyTorch. With ``dtype`` the
    input is cast first (and its gradient cast back).
    """
    check_tensor(input, "sum")
    np_dt = None
    if dtype is not None:
        input = input.to(dtype)
    elif input._array.dtype.kind in "biu":
        np_dt = np.int64
    axes = reduce_axes(dim, input._array.ndim, "sum")
    return Sum.apply(input, axes, keepdim, np_dt)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` (an int, a tuple or list; all when None); floating inputs only."""
    check_tensor(input, "mean")
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"mean(): could not infer output dtype; input dtype must be floating "
                           f"point, got {input.dtype}; pass dtype=")
    axes = reduce_axes(dim, input._array.ndim, "mean")
    return Mean.apply(input, axes, keepdim)


class Prod(Function):
    """Product along one ``axis``.

    Backward: g * prod / x without zeros; with zeros, g times the product of
    the *other* elements (``ProdOthers``), which needs no division.
    """

    row_major = True

    @staticmethod
    def forward(ctx, x, axis, keepdim):
        ctx.axis, ctx.keepdim = axis, keepdim
        y = ctx.xp.asarray(x.prod(axis=axis, keepdims=keepdim))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        shape, axes = x._array.shape, (ctx.axis,)
        g = keep_reduced(g, shape, axes, ctx.keepdim)
        if not (x._array == 0).any():
            return g * keep_reduced(y, shape, axes, ctx.keepdim) / x, None, None
        return g * ProdOthers.apply(x, ctx.axis), None, None


class ProdOthers(Function):
    """out[k] = product of x[i] for i != k along ``axis``, exact when x has zeros.

    Forward is O(n): the product of what comes before k times what comes
    after. Backward (only needed for second derivatives of prod with zeros)
    is O(n^2): d out[k] / d x[m] = product of x[i] for i not in {k, m}.
    """

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        ctx.save_for_backward(x)
        xp = ctx.xp
        before = exclusive_cumprod(x, axis, xp)
        after = xp.flip(exclusive_cumprod(xp.flip(x, axis), axis, xp), axis)
        return before * after

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = ctx.axis
        n = x._array.shape[a]
        # others[.., m, k, ..] = prod of x[i] for i not in {k, m} (for k != m)
        others = ProdOthers.apply(omit_each(x, a), a + 1)
        off_diagonal = constant(1 - _eye(n, x._array, a, ctx.xp))
        return (unsqueeze(g, a) * off_diagonal * others).sum(a + 1), None


def exclusive_cumprod(x, axis, xp):
    """Products of the elements strictly before each position along ``axis`` (an array)."""
    out = xp.ones_like(x)
    if x.shape[axis] > 1:
        head = [slice(None)] * x.ndim
        tail = list(head)
        head[axis], tail[axis] = slice(None, -1), slice(1, None)
        out[tuple(tail)] = xp.cumprod(x[tuple(head)], axis=axis)
    return out


def _eye(n, like, axis, xp):
    """An n x n identity placed at dims (axis, axis + 1) of a tensor with ``like.ndim + 1`` dims."""
    return xp.eye(n, dtype=like.dtype).reshape((n, n) + (1,) * (like.ndim - axis - 1))


def omit_each(x, axis):
    """For each k along ``axis``, ``x`` with its k-th element (along ``axis``) replaced by 1.

    The result has a new dim of size n (the k) at ``axis``; ``x``'s own axis
    moves to ``axis + 1``. Built from Ember ops, so it is differentiable.
    """
    eye = _eye(x._array.shape[axis], x._array, axis, xp_of(x._array))
    return unsqueeze(x, axis) * constant(1 - eye) + constant(eye)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or along one ``dim`` (an int, as in PyTorch).

    Integer and bool inputs multiply in int64. The gradient is exact with
    zeros in the input (one zero: only that element gets a gradient; several:
    none does), and so are second derivatives.
    """
    if _amp.active:
        return _amp.run("prod", prod, input, dim, keepdim, dtype=dtype)
    check_tensor(input, "prod")
    if dtype is not None:
        input = input.to(dtype)
    elif input._array.dtype.kind in "biu":
        input = input.to(_dt.int64)
    ndim = input._array.ndim
    if dim is None:
        out = Prod.apply(reshape(input, -1), 0, False)
        return reshape(out, (1,) * ndim) if keepdim else out
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"prod(): expected dim to be an int (PyTorch's prod reduces one dim), "
                        f"got {dim!r}")
    axis = wrap_dim(dim, ndim, "prod")
    if ndim == 0:
        return Prod.apply(reshape(input, 1), 0, False)
    return Prod.apply(input, axis, keepdim)


# ---- max, min, median: reductions that select an element --------------------

class SelectValue(Function):
    """The element that ``select(x, axes)`` picks in each slice over ``axes`` (max, min, median).

    The gradient is shared equally among the elements equal to the result;
    a NaN result's gradient goes to the NaNs (PyTorch's max() and median()).
    """

    row_major = True

    @staticmethod
    def forward(ctx, x, select, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        y = select(x, axes)  # keepdims
        ctx.save_for_backward(x)
        ctx.selected = y
        return y if keepdim else y.reshape([s for i, s in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xd, yd = x._array, ctx.selected
        hit = (xd == yd) | ((xd != xd) & (yd != yd))
        share = hit.astype(xd.dtype)
        share /= share.sum(axis=ctx.axes, keepdims=True)
        return keep_reduced(g, xd.shape, ctx.axes, ctx.keepdim) * constant(share), None, None, None


class SelectIndex(Function):
    """Values and indices of the element that ``arg(x, axis)`` picks along ``axis``.

    The gradient goes to the selected element only (PyTorch's max(dim)).
    """

    @staticmethod
    def forward(ctx, x, arg, axis, keepdim):
        xp = ctx.xp
        index = arg(x, axis)  # keepdims, int64
        values = xp.take_along_axis(x, index, axis)
        ctx.shape, ctx.axis, ctx.index = x.shape, axis, index
        if not keepdim:
            index, values = index.squeeze(axis), values.squeeze(axis)
        ctx.keepdim = keepdim
        ctx.mark_non_differentiable(index)
        return values, index

    @staticmethod
    def backward(ctx, g, _):
        a, n = ctx.axis, ctx.shape[ctx.axis]
        positions = ctx.xp.arange(n).reshape((n,) + (1,) * (len(ctx.shape) - a - 1))
        if not ctx.keepdim:
            g = unsqueeze(g, a)
        return g * constant((positions == ctx.index).astype(g._array.dtype)), None, None, None


def _max_all(x, axes):
    return x.max(axis=axes, keepdims=True)


def _min_all(x, axes):
    return x.min(axis=axes, keepdims=True)


def _argmax(x, axis):
    return xp_of(x).argmax(x, axis=axis, keepdims=True).astype(np.int64)


def _argmin(x, axis):
    return xp_of(x).argmin(x, axis=axis, keepdims=True).astype(np.int64)


def _median_all(x, axes):
    xp = xp_of(x)
    flat = xp.sort(x.reshape(-1))  # NaNs sort last; a NaN anywhere makes the median NaN
    nans = int((flat != flat).sum())
    return flat[flat.size - nans if nans else (flat.size - 1) // 2].reshape((1,) * x.ndim)


def _median_index(x, axis):
    xp = xp_of(x)
    order = xp.argsort(x, axis=axis, kind="stable")
    nans = (x != x).sum(axis=axis, keepdims=True)
    n = x.shape[axis]
    k = xp.where(nans > 0, n - nans, (n - 1) // 2)  # the first NaN, else the lower median
    return xp.take_along_axis(order, k.astype(np.int64), axis).astype(np.int64)


def _select(op, input, dim, keepdim, select, arg):
    """max/min/median: the value over everything, or (values, indices) along ``dim``."""
    check_tensor(input, op)
    if dim is None:
        _check_nonempty(input, op)
        return SelectValue.apply(input, select, tuple(range(input._array.ndim)), False)
    axis = wrap_dim(dim, input._array.ndim, op)
    if input._array.ndim == 0:  # PyTorch: the 0-d value and index 0, keepdim or not
        values, indices = SelectIndex.apply(reshape(input, 1), arg, 0, False)
    else:
        _check_nonempty_axes(input, (axis,), op)
        values, indices = SelectIndex.apply(input, arg, axis, keepdim)
    return getattr(return_types, op)(values, indices)


def max(input, dim=None, keepdim=False, *, other=None):
    """The largest element; along ``dim``, a named tuple (values, indices).

    ``max(input, other)`` with a Tensor ``other`` is ``maximum(input, other)``.
    NaN propagates. Without ``dim``, tied maxima share the gradient equally;
    with ``dim``, it goes to the returned index (as in PyTorch).
    """
    if isinstance(dim, Tensor) or other is not None:
        from ember.ops.elementwise import maximum
        return maximum(input, dim if other is None else other)
    return _select("max", input, dim, keepdim, _max_all, _argmax)


def min(input, dim=None, keepdim=False, *, other=None):
    """The smallest element; along ``dim``, a named tuple (values, indices).

    ``min(input, other)`` with a Tensor ``other`` is ``minimum(input, other)``.
    """
    if isinstance(dim, Tensor) or other is not None:
        from ember.ops.elementwise import minimum
        return minimum(input, dim if other is None else other)
    return _select("min", input, dim, keepdim, _min_all, _argmin)


def median(input, dim=None, keepdim=False):
    """The lower median; along ``dim``, a named tuple (values, indices). NaN propagates.

    Without ``dim``, elements equal to the median share the gradient equally.
    """
    return _select("median", input, dim, keepdim, _median_all, _median_index)


def _amax(op, input, dim, keepdim, select):
    check_tensor(input, op)
    if _means_all(dim):
        _check_nonempty(input, op)
    axes = reduce_axes(dim, input._array.ndim, op)
    _check_nonempty_axes(input, axes, op)
    return SelectValue.apply(input, select, axes, keepdim)


def amax(input, dim=(), keepdim=False):
    """Largest elements over ``dim`` (an int or tuple; all when empty); ties share the gradient.

    Differs from PyTorch: where the result is NaN, the gradient goes to the
    NaN inputs (PyTorch's amax makes the whole slice's gradient NaN).
    """
    return _amax("amax", input, dim, keepdim, _max_all)


def amin(input, dim=(), keepdim=False):
    """Smallest elements over ``dim`` (an int or tuple; all when empty); ties share the gradient."""
    return _amax("amin", input, dim, keepdim, _min_all)


def _arg(op, input, dim, keepdim, arg):
    check_tensor(input, op)
    x = input._array
    xp = xp_of(x)
    if dim is None:
        _check_nonempty(input, op)
        index = arg(x.reshape(-1), 0).reshape((1,) * x.ndim if keepdim else ())
        return constant(index)
    axis = wrap_dim(dim, x.ndim, op)
    if x.ndim == 0:
        return constant(xp.zeros((), np.int64))
    _check_nonempty_axes(input, (axis,), op)
    index = arg(x, axis)
    return constant(index if keepdim else index.squeeze(axis))


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened input when ``dim`` is None); int64."""
    return _arg("argmax", input, dim, keepdim, _argmax)


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened input when ``dim`` is None); int64."""
    return _arg("argmin", input, dim, keepdim, _argmin)


# ---- logsumexp, nansum, nanmean ---------------------------------------------

class Logsumexp(Function):
    """log(sum(exp(x))) over ``axes``, shifted by the max so that nothing overflows."""

    row_major = True

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = ctx.xp
        ctx.axes, ctx.keepdim = axes, keepdim
        keep = _keep_shape(x.shape, axes)
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf on purpose
            m = x.max(axis=axes, keepdims=True) if reduced_numel(x.shape, axes) else \
                xp.zeros(keep, x.dtype)
            m = xp.where(xp.isinf(m), 0, m)  # all -inf (or an inf): shift by 0, not inf - inf
            y = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        if not keepdim:
            y = y.reshape([s for i, s in enumerate(x.shape) if i not in axes])
        y = xp.asarray(y)  # not a NumPy scalar: saved, it must be the output itself
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        from ember.ops.elementwise import exp
        x, y = ctx.saved_tensors
        shape = x._array.shape
        softmax = exp(x - keep_reduced(y, shape, ctx.axes, ctx.keepdim))
        return keep_reduced(g, shape, ctx.axes, ctx.keepdim) * softmax, None, None


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over ``dim`` (an int or tuple), computed stably.

    Integer inputs are promoted to the default float. An empty reduction gives -inf.
    """
    check_tensor(input, "logsumexp")
    input = float_operand(input)
    axes = reduce_axes(dim, input._array.ndim, "logsumexp")
    return Logsumexp.apply(input, axes, keepdim)


class NanSum(Function):
    """Sum over ``axes`` treating NaN as zero; NaNs get no gradient."""

    row_major = True

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x)
        return ctx.xp.nansum(x, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xd = x._array
        not_nan = constant((xd == xd).astype(xd.dtype))
        return keep_reduced(g, xd.shape, ctx.axes, ctx.keepdim) * not_nan, None, None


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` treating NaN as zero (integer inputs: as ``sum``)."""
    check_tensor(input, "nansum")
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        return sum(input, dim, keepdim)
    axes = reduce_axes(dim, input._array.ndim, "nansum")
    return NanSum.apply(input, axes, keepdim)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of the non-NaN elements over ``dim`` (NaN where all are NaN); floating inputs only."""
    check_tensor(input, "nanmean")
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected a floating point input, got {input.dtype}")
    x = input._array
    axes = reduce_axes(dim, x.ndim, "nanmean")
    count = (x == x).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
    with np.errstate(invalid="ignore"):  # 0 / 0: an all-NaN slice's mean is NaN
        return NanSum.apply(input, axes, keepdim) / constant(count)


# ---- all, any, count_nonzero (not differentiable) ----------------------------

def _truth(op, input, dim, keepdim):
    check_tensor(input, op)
    x = input._array
    axes = reduce_axes(dim, x.ndim, op)
    out = getattr(x, op)(axis=axes, keepdims=keepdim)
    if x.dtype == np.uint8:  # PyTorch keeps uint8 for all/any of uint8
        out = out.astype(np.uint8)
    return constant(out if out.flags.c_contiguous else xp_of(out).ascontiguousarray(out))


def all(input, dim=None, keepdim=False):
    """True where every element over ``dim`` (an int or tuple; all when None) is nonzero."""
    return _truth("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """True where some element over ``dim`` (an int or tuple; all when None) is nonzero."""
    return _truth("any", input, dim, keepdim)


def count_nonzero(input, dim=None):
    """Number of nonzero elements over ``dim`` (an int or tuple; all when None); int64."""
    check_tensor(input, "count_nonzero")
    x = input._array
    axes = reduce_axes(dim, x.ndim, "count_nonzero")
    return constant((x != 0).sum(axis=axes, dtype=np.int64))


# Last: these modules import the helpers above (they only ever load through this one,
# since ember.ops imports reduce before anything that could import them).
from ember.ops.cumulative import *  # noqa: E402,F401,F403
from ember.ops.cumulative import __all__ as _cumulative_all  # noqa: E402
from ember.ops.statistics import *  # noqa: E402,F401,F403
from ember.ops.statistics import __all__ as _statistics_all  # noqa: E402

__all__ += _cumulative_all + _statistics_all
__methods__ = ("sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "median",
               "logsumexp", "all", "any", "count_nonzero", "nansum", "nanmean",
               "cumsum", "cumprod", "var", "std", "norm")
__inplace__ = ("cumsum", "cumprod")
