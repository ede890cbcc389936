"""Statistics and counting: cummax/cummin, logcumsumexp, mode, nanmedian, quantile, cov...

Values that pick an input element (``cummax``, ``cummin``, ``mode``,
``nanmedian``, ``quantile``) are gathered from the input, so their gradient
flows to the selected positions and is differentiable again, as in PyTorch.
Counting ops (``bincount``, ``histc``, ``isin``) carry no gradient.
"""

import math
import numbers
import warnings
from collections import namedtuple

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.backend.device import xp_of
from ember.ops._util import check_tensor, fmt_shape, result_dtype, wrap_dim
from ember.ops.comparison import clip, where
from ember.ops.elementwise import abs as _abs, exp, lerp, log, sqrt
from ember.ops.linalg import mm
from ember.ops.reduce import SelectIndex, SelectValue, amax, amin, constant
from ember.ops.scatter import Gather, gather
from ember.ops.shape import flip
from ember.ops.sorting import sort
from ember.ops.views import diagonal, movedim, reshape, unsqueeze
from ember.tensor import Tensor, _host

__all__ = ["cummax", "cummin", "logcumsumexp", "bincount", "histc", "isin", "aminmax", "mode",
           "nanmedian", "quantile", "nanquantile", "cov", "corrcoef"]

# Named results, as torch.return_types.
CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])
AminmaxResult = namedtuple("aminmax", ["min", "max"])
ModeResult = namedtuple("mode", ["values", "indices"])
NanmedianResult = namedtuple("nanmedian", ["values", "indices"])


def _on(arr, like):
    """``arr`` (NumPy) on the device of the array ``like``."""
    return arr if type(like) is np.ndarray else xp_of(like).asarray(arr)


def _int(value, op, name):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{op}: expected {name} to be an int, got {type(value).__name__}")
    return int(value)


# ---- cummax, cummin, logcumsumexp ---------------------------------------------

def _running_extreme_index(a, axis, largest):
    """Index of the running max (min) along ``axis``: the latest of equal values; NaN wins."""
    h = _host(a)
    if h.size == 0:
        return _on(np.zeros(h.shape, np.int64), a)
    running = (np.maximum if largest else np.minimum).accumulate(h, axis=axis)
    new = h == running
    if h.dtype.kind == "f":
        new |= h != h
    n = h.shape[axis]
    pos = np.arange(n).reshape((n,) + (1,) * (h.ndim - axis - 1))
    return _on(np.maximum.accumulate(np.where(new, pos, 0), axis=axis).astype(np.int64), a)


def _cum_extreme(op, result, input, dim, largest):
    check_tensor(input, op)
    axis = wrap_dim(dim, input._array.ndim, op)
    x = reshape(input, (1,)) if input._array.ndim == 0 else input
    index = _running_extreme_index(x._array, axis, largest)
    values = Gather.apply(x, axis, index)
    shape = input._array.shape
    return result(reshape(values, shape), constant(index.reshape(shape)))


def cummax(input, dim):
    """Running maximum along ``dim`` and its index: a named tuple (values, indices).

    Among equal values the index of the latest one is returned; a NaN
    propagates (with the index of the latest NaN), as in PyTorch. The gradient
    goes to the element at the returned index.
    """
    return _cum_extreme("cummax", CummaxResult, input, dim, True)


def cummin(input, dim):
    """Running minimum along ``dim`` and its index: a named tuple (values, indices).

    Ties and NaN as :func:`cummax`.
    """
    return _cum_extreme("cummin", CumminResult, input, dim, False)


def _logcumsumexp(x, axis, xp):
    """log(cumsum(exp(x))) along ``axis`` without overflow (arrays)."""
    with np.errstate(invalid="ignore", over="ignore"):
        if xp is np:
            return np.logaddexp.accumulate(x, axis=axis)
        out = xp.moveaxis(x.copy(), axis, 0)
        for i in range(1, out.shape[0]):
            out[i] = xp.logaddexp(out[i - 1], out[i])
        return xp.moveaxis(out, 0, axis)


class Logcumsumexp(Function):
    """log(sum(exp(x[..k]))) along ``axis``.

    Backward is PyTorch's stable formula: grad_i = sum over j >= i of
    g_j exp(x_i - y_j), evaluated separately for the positive and negative
    parts of g in log space (with reversed logcumsumexps), so that neither
    exp(x) nor exp(-y) overflows. It is built from Ember ops, including this
    Function, so it is differentiable again.
    """

    row_major = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        y = _logcumsumexp(x, axis, ctx.xp)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        a = ctx.axis
        lowest = float(np.finfo(g._array.dtype).min)
        gd = g._array

        def part(mask):
            z = where(constant(mask), log_abs, lowest) - y
            return exp(flip(Logcumsumexp.apply(flip(z, a), a), a) + x)

        # log(0) = -inf and lowest + x = -inf on purpose: both end as exp(-inf) = 0
        with np.errstate(divide="ignore", over="ignore"):
            log_abs = log(_abs(g))
            return part(gd > 0) - part(gd < 0), None


def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along ``dim``, computed stably (floating inputs only)."""
    check_tensor(input, "logcumsumexp")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"logcumsumexp: expected a floating point input, got {input.dtype}")
    axis = wrap_dim(dim, input._array.ndim, "logcumsumexp")
    if input._array.ndim == 0:
        return reshape(Logcumsumexp.apply(reshape(input, (1,)), 0), ())
    return Logcumsumexp.apply(input, axis)


# ---- counting: bincount, histc, isin ------------------------------------------

def bincount(input, weights=None, minlength=0):
    """Count of each value 0..max(input) of a 1-D non-negative integer tensor.

    With ``weights`` (1-D, one per input) each occurrence adds its weight
    instead of 1; the result is float32 for float32 weights and float64
    otherwise. The result has at least ``minlength`` entries and carries no
    gradient (PyTorch does not differentiate bincount either).
    """
    check_tensor(input, "bincount")
    minlength = _int(minlength, "bincount", "minlength")
    a = input._array
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"bincount: expected an integral input, got {input.dtype}")
    xp = xp_of(a)
    if a.ndim != 1 or (a.size and int(a.min()) < 0):
        raise RuntimeError(f"bincount: only 1-d non-negative integral inputs are supported, got "
                           f"shape {fmt_shape(a.shape)}" + (" with negative values" if a.ndim == 1
                                                            else ""))
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if weights is not None:
        check_tensor(weights, "bincount", "weights")
        if weights._array.ndim != 1 or weights._array.shape[0] != a.shape[0]:
            raise RuntimeError(f"bincount: weights should be 1-d and have the same length as "
                               f"input, got shapes {fmt_shape(weights.shape)} and "
                               f"{fmt_shape(a.shape)}")
    if a.size == 0:  # PyTorch: int64 zeros, with or without weights
        return constant(xp.zeros(minlength, np.int64))
    if weights is None:
        return constant(xp.bincount(a, minlength=minlength).astype(np.int64))
    w = weights._array
    out_dtype = np.float32 if w.dtype == np.float32 else np.float64
    return constant(xp.bincount(a, weights=w.astype(np.float64), minlength=minlength)
                    .astype(out_dtype))


def _number(value, op, name):
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{op}: expected {name} to be a number, got {type(value).__name__}")
    return float(value)


def histc(input, bins=100, min=0, max=0):  # noqa: A002 - PyTorch's names
    """Histogram of ``input`` with ``bins`` equal-width bins over [min, max].

    With min == max (the default 0, 0) the data's own minimum and maximum
    are used (widened by 1 each way if they are equal too). Elements outside
    the range, and NaNs, are ignored; the last bin includes its right edge.
    The result has ``input``'s (floating) dtype and carries no gradient.
    """
    check_tensor(input, "histc")
    bins = _int(bins, "histc", "bins")
    lo, hi = _number(min, "histc", "min"), _number(max, "histc", "max")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"histc: expected a floating point input, got {input.dtype}")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, got {bins}")
    a = _host(input._array).reshape(-1)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"histc: range of [{lo}, {hi}] is not finite")
    if not lo < hi:
        raise RuntimeError(f"histc: max must be larger than min, got min={lo} and max={hi}")
    dt = a.dtype.type
    left, right = dt(lo), dt(hi)
    kept = a[(a >= left) & (a <= right)]
    # PyTorch's arithmetic, in the input's dtype: bin = int((x - min) * bins / (max - min))
    pos = ((kept - left) * dt(bins) / (right - left)).astype(np.int64)
    pos[pos == bins] = bins - 1
    counts = np.bincount(pos, minlength=bins).astype(a.dtype)
    return constant(_on(counts, input._array))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an entry of ``elements`` occurs in ``test_elements`` (False with ``invert``).

    Either argument may be a Python number (not both); the two meet at
    PyTorch's result dtype before comparing, and NaN matches nothing. The
    result is a bool tensor of ``elements``' shape. ``assume_unique`` is
    accepted for compatibility; the result is exact either way.
    """
    e_t, t_t = isinstance(elements, Tensor), isinstance(test_elements, Tensor)
    if not (e_t or t_t):
        raise TypeError(f"isin: expected elements or test_elements to be a Tensor, got "
                        f"{type(elements).__name__} and {type(test_elements).__name__}")
    for name, v, is_t in (("elements", elements, e_t), ("test_elements", test_elements, t_t)):
        if not is_t and (not isinstance(v, numbers.Real) or isinstance(v, bool)):
            raise TypeError(f"isin: expected {name} to be a Tensor or a number, got "
                            f"{type(v).__name__}")
        if is_t and v._array.dtype == np.bool_:
            raise RuntimeError("isin: bool tensors are not supported")
    dt = result_dtype(elements, test_elements).np
    like = (elements if e_t else test_elements)._array
    xp = xp_of(like)
    a = elements._array if e_t else xp.asarray(elements)
    b = test_elements._array if t_t else xp.asarray(test_elements)
    out = xp.isin(a.astype(dt, copy=False), b.astype(dt, copy=False), invert=invert)
    return constant(xp.asarray(out).reshape(a.shape))


# ---- aminmax, mode, nanmedian -------------------------------------------------

def aminmax(input, *, dim=None, keepdim=False):
    """The minimum and maximum, over everything or along ``dim``: a named tuple (min, max).

    Elements tied for the minimum (maximum) share its gradient equally, as
    in PyTorch.
    """
    check_tensor(input, "aminmax")
    shape = input._array.shape
    if dim is None:
        if input._array.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity")
        dims = ()
    else:
        axis = wrap_dim(dim, len(shape), "aminmax")
        if shape and shape[axis] == 0:
            raise IndexError(f"aminmax(): expected reduction dim {axis} to have non-zero size, "
                             f"got input of shape {fmt_shape(shape)}")
        dims = axis if shape else ()
    if not shape and keepdim:
        keepdim = False
    return AminmaxResult(amin(input, dims, keepdim), amax(input, dims, keepdim))


def _slice_rows(a, axis):
    """``a`` (host) with ``axis`` moved last, as rows (-1, n)."""
    moved = np.moveaxis(a, axis, -1)
    return moved.reshape(-1, a.shape[axis]), moved.shape[:-1]


def _mode_index(x, axis):
    """Index (keepdims) of the most frequent value along ``axis``: the smallest such value,
    its last occurrence. NaNs count as equal to each other and sort last."""
    h = _host(x)
    rows, rest = _slice_rows(h, axis)
    n = rows.shape[1]
    order = np.argsort(rows, axis=1, kind="stable")
    s = np.take_along_axis(rows, order, 1)
    new = np.ones(rows.shape, bool)
    if n > 1:
        same = s[:, 1:] == s[:, :-1]
        if s.dtype.kind == "f":
            same |= (s[:, 1:] != s[:, 1:]) & (s[:, :-1] != s[:, :-1])
        new[:, 1:] = ~same
    pos = np.arange(n)
    run = pos - np.maximum.accumulate(np.where(new, pos, 0), axis=1) + 1  # length so far
    end = np.argmax(run == run.max(axis=1, keepdims=True), axis=1)  # first longest run ends
    index = order[np.arange(rows.shape[0]), end].reshape(rest + (1,))
    return _on(np.moveaxis(index, -1, axis).astype(np.int64), x)


def _select_along(op, result, input, dim, keepdim, arg):
    check_tensor(input, op)
    shape = input._array.shape
    axis = wrap_dim(dim, len(shape), op)
    if not shape:
        return result(*SelectIndex.apply(reshape(input, (1,)), arg, 0, False))
    if shape[axis] == 0:
        raise IndexError(f"{op}(): expected reduction dim {axis} to have non-zero size, got "
                         f"input of shape {fmt_shape(shape)}")
    return result(*SelectIndex.apply(input, arg, axis, keepdim))


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` and its index: a named tuple (values, indices).

    Among equally frequent values the smallest is returned, with the index of
    its last occurrence. The gradient goes to that element.

    Differs from PyTorch: PyTorch's index among equal values is the last one
    only for slices of up to 16 elements (it depends on an unstable sort
    beyond), and its result with NaNs is unspecified; Ember counts NaNs as
    one value, sorted above all numbers.
    """
    return _select_along("mode", ModeResult, input, dim, keepdim, _mode_index)


def _nanmedian_all(x, axes):
    xp = xp_of(x)
    flat = xp.sort(x.reshape(-1))  # NaNs last
    count = int((flat == flat).sum())
    if count == 0:
        return xp.full((1,) * x.ndim, xp.nan, x.dtype)
    return flat[(count - 1) // 2].reshape((1,) * x.ndim)


def _nanmedian_index(x, axis):
    xp = xp_of(x)
    order = xp.argsort(x, axis=axis, kind="stable")
    count = (x == x).sum(axis=axis, keepdims=True)
    k = xp.where(count > 0, (count - 1) // 2, 0)  # all NaN: the first NaN
    return xp.take_along_axis(order, k.astype(np.int64), axis).astype(np.int64)


def nanmedian(input, dim=None, keepdim=False):
    """The lower median of the non-NaN values; along ``dim``, a named tuple (values, indices).

    A slice of only NaNs gives NaN. Without ``dim``, elements equal to the
    median share the gradient equally (an empty input gives NaN); along
    ``dim`` it goes to the returned index: among equal values, the one that
    comes at the median's position in a stable sort (as PyTorch returns).

    Bool inputs raise NotImplementedError, as in PyTorch.

    Differs from PyTorch: for a slice of only NaNs the index is that of the
    first NaN (PyTorch's is unspecified); an empty integer input raises
    (PyTorch returns an arbitrary integer).
    """
    check_tensor(input, "nanmedian")
    if input._array.dtype == np.bool_:
        raise NotImplementedError("nanmedian: expected a non-bool input, got bool (\"median_cpu\" "
                                  "not implemented for 'Bool')")
    if dim is None:
        if keepdim:
            raise TypeError("nanmedian: keepdim needs a dim (nanmedian(input) reduces everything)")
        if input._array.size == 0 and not input.dtype.is_floating_point:
            raise RuntimeError(f"nanmedian(): an empty {input.dtype} input has no median")
        return SelectValue.apply(input, _nanmedian_all, tuple(range(input._array.ndim)), False)
    return _select_along("nanmedian", NanmedianResult, input, dim, keepdim, _nanmedian_index)


# ---- quantile, nanquantile ----------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_q(op, input, q):
    """``q`` as a 1-D Tensor of ``input``'s dtype, and whether it was a scalar."""
    if isinstance(q, Tensor):
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor, got "
                               f"{q.dtype} and {input.dtype}")
        if q._array.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape "
                               f"{fmt_shape(q.shape)}")
        qa = q._array
        if qa.size and not bool(((qa >= 0) & (qa <= 1)).all()):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
        return reshape(q, (-1,)), qa.ndim == 0
    if not isinstance(q, numbers.Real) or isinstance(q, bool):
        raise TypeError(f"{op}() expected q to be a float or a Tensor, got {type(q).__name__}")
    if not 0 <= q <= 1:
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
    xp = xp_of(input._array)
    return constant(xp.asarray([q], input._array.dtype)), True


def _quantile(op, input, q, dim, keepdim, interpolation, ignore_nan):
    check_tensor(input, op)
    if input.dtype not in (_dt.float32, _dt.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got "
                           f"{input.dtype}")
    q, q_scalar = _quantile_q(op, input, q)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, midpoint "
                           f"or nearest, but got {interpolation!r}")
    ndim = input._array.ndim
    axis = None if dim is None else wrap_dim(dim, ndim, op)
    if input._array.size == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    xp = xp_of(input._array)
    x = reshape(input, (-1,)) if axis is None or ndim == 0 else input
    # sorted values with the reduced dim last: (..., n); NaNs sort last
    s = movedim(sort(x, 0 if axis is None else axis).values, 0 if axis is None else axis, -1)
    sd = s._array
    n = sd.shape[-1]
    nan = sd != sd
    if ignore_nan:
        last = ((~nan).sum(axis=-1, keepdims=True) - 1).astype(sd.dtype)  # -1 for all-NaN
        fixed = last < 0
        last = xp.maximum(last, 0)
    else:
        last = xp.full(sd.shape[:-1] + (1,), n - 1, sd.dtype)
        fixed = nan.any(axis=-1, keepdims=True)  # a NaN: take the last (a NaN)
    ranks = where(constant(xp.broadcast_to(fixed, sd.shape[:-1] + (q.shape[0],))),
                  constant(last), q * constant(last))
    r = ranks._array
    if interpolation == "lower":
        r = xp.floor(r)
    elif interpolation == "higher":
        r = xp.ceil(r)
    elif interpolation == "nearest":
        r = xp.round(r)  # half to even, as PyTorch
    below = xp.floor(r).astype(np.int64)
    out = gather(s, -1, constant(below))
    if interpolation in ("linear", "midpoint"):
        above = gather(s, -1, constant(xp.ceil(r).astype(np.int64)))
        weight = ranks - constant(below.astype(sd.dtype)) if interpolation == "linear" else 0.5
        out = lerp(out, above, weight)
    # out: (..., Q) -> (Q, ...) or (...) for a scalar q
    out = reshape(out, out._array.shape[:-1]) if q_scalar else movedim(out, -1, 0)
    if keepdim and ndim:
        lead = 0 if q_scalar else 1
        if axis is None:
            out = reshape(out, out._array.shape[:lead] + (1,) * ndim)
        else:
            out = unsqueeze(out, axis + lead)
    return out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles of ``input`` over everything or along ``dim``.

    Args:
        q: a float in [0, 1], or a 0-d or 1-D tensor of them (of ``input``'s
            dtype); a 1-D ``q`` puts one result per quantile in a new first dim.
        interpolation: between the two nearest sorted values when the rank
            ``q * (n - 1)`` falls between them: 'linear', 'lower', 'higher',
            'midpoint' or 'nearest' (ties to even).

    A slice with a NaN gives NaN. Gradients flow to the sorted values used
    (and, with 'linear', to a tensor ``q``), as in PyTorch.
    """
    if _amp.active:
        return _amp.run("quantile", quantile, input, q, dim, keepdim, interpolation=interpolation)
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """:func:`quantile` ignoring NaNs: each slice's quantiles among its non-NaN values.

    A slice of only NaNs gives NaN.
    """
    if _amp.active:
        return _amp.run("nanquantile", nanquantile, input, q, dim, keepdim,
                        interpolation=interpolation)
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


# ---- cov, corrcoef ------------------------------------------------------------

def _check_weights(op, w, name, n_obs, floating):
    check_tensor(w, op, name)
    a = w._array
    if a.ndim > 1:
        raise RuntimeError(f"{op}(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {a.ndim} dimensions")
    if floating and not w.dtype.is_floating_point:
        raise RuntimeError(f"{op}(): expected {name} to have floating point dtype but got "
                           f"{name} with {w.dtype} dtype")
    if not floating and a.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): expected {name} to have integral dtype but got {name} "
                           f"with {w.dtype} dtype")
    if a.size != n_obs:
        raise RuntimeError(f"{op}(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {a.size} != {n_obs}")
    if n_obs and bool((a < 0).any()):
        raise RuntimeError(f"{op}(): {name} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows of ``input`` (observations in columns).

    Args:
        input: 2-D (variables, observations), or 1-D/0-d for one variable (a
            0-d result).
        correction: subtracted from the number of observations in the
            divisor (1: Bessel's correction, 0: the population covariance).
        fweights: 1-D integer frequency weights, one per observation.
        aweights: 1-D floating observation weights, one per observation.

    Integer inputs give the default float dtype. With no degrees of freedom
    left, a warning is issued and the result is inf or NaN, as in PyTorch.
    """
    check_tensor(input, "cov")
    if input._array.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input._array.ndim} dimensions")
    if input._array.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    correction = _int(correction, "cov()", "correction")
    x = input if input._array.ndim == 2 else reshape(input, (1, -1))
    if not x.dtype.is_floating_point:
        x = x.to(_dt.get_default_dtype())
    n_obs = x._array.shape[1]
    w = None
    if fweights is not None:
        _check_weights("cov", fweights, "fweights", n_obs, False)
        w = fweights
    if aweights is not None:
        _check_weights("cov", aweights, "aweights", n_obs, True)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n_obs
        avg = x.sum(1) / n_obs if n_obs else x.sum(1) * math.nan
    else:
        w_sum = w.sum()
        if not bool(w_sum._array != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        avg = (x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if float(norm._array if isinstance(norm, Tensor) else norm) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", RuntimeWarning, stacklevel=2)
        norm = norm * 0 + 0.0  # +0 (as PyTorch's zero_()): norm * 0 is -0 for norm < 0
    centered = x - unsqueeze(avg, 1)
    c = mm(centered, (centered if w is None else centered * w).t())
    with np.errstate(divide="ignore", invalid="ignore"):
        out = c / norm
    return reshape(out, tuple(s for s in out._array.shape if s != 1))


def corrcoef(input):
    """Pearson correlation coefficients of the variables in the rows of ``input``.

    ``cov(input)`` normalised by the standard deviations and clipped to
    [-1, 1]; a constant variable gives NaN, as in PyTorch.
    """
    check_tensor(input, "corrcoef")
    if input._array.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input._array.ndim} dimensions")
    c = cov(input)
    with np.errstate(divide="ignore", invalid="ignore"):
        if c._array.ndim == 0:
            return c / c
        std = sqrt(diagonal(c))
        c = c / reshape(std, (-1, 1))
        c = c / reshape(std, (1, -1))
    return clip(c, -1, 1)


__methods__ = ("cummax", "cummin", "logcumsumexp", "bincount", "histc", "aminmax", "mode",
               "nanmedian", "quantile", "nanquantile", "cov", "corrcoef")
__inplace__ = ()
