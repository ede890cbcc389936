"""Spread and size: var, std (with their means) and vector norms (re-exported by ``reduce``)."""

import math
import numbers
import warnings

import numpy as np

from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.ops._util import check_tensor
from ember.ops.reduce import constant, keep_reduced, mean, reduce_axes, reduced_numel

__all__ = ["var", "std", "var_mean", "std_mean", "norm", "vector_norm"]


def _variance(x, axes, n, correction, keepdim):
    """Sum of squared deviations from the mean over ``axes``, over n - correction (arrays)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # n - correction <= 0: inf/NaN, as PyTorch
        centered = x - x.sum(axis=axes, keepdims=True) / n
        out = (centered * centered).sum(axis=axes, keepdims=keepdim) / (n - correction)
    return out * np.nan if n == 0 else out  # PyTorch: the variance of nothing is NaN


def _variance_backward(g, x, axes, keepdim, dof):
    """d var / d x for upstream ``g``: 2 (x - mean) / dof, in Ember ops."""
    centered = x - mean(x, axes, keepdim=True)
    scale = 2.0 / dof if dof else math.inf
    return keep_reduced(g, x._array.shape, axes, keepdim) * centered * scale


class Var(Function):
    """Variance over ``axes`` with divisor N - correction."""

    row_major = True

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        n = reduced_numel(x.shape, axes)
        ctx.axes, ctx.keepdim, ctx.dof = axes, keepdim, n - correction
        ctx.save_for_backward(x)
        return _variance(x, axes, n, correction, keepdim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _variance_backward(g, x, ctx.axes, ctx.keepdim, ctx.dof), None, None, None


class Std(Function):
    """Standard deviation over ``axes``; like PyTorch, no gradient where it is 0."""

    row_major = True

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        n = reduced_numel(x.shape, axes)
        ctx.axes, ctx.keepdim, ctx.dof = axes, keepdim, n - correction
        y = ctx.xp.asarray(ctx.xp.sqrt(_variance(x, axes, n, correction, keepdim)))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        yd = y._array
        zero = constant((yd == 0).astype(yd.dtype))
        # d sqrt(v) = dv / (2 sqrt(v)), infinite at 0: PyTorch gives 0 there
        g_var = g / ((y + zero) * 2) * constant((yd != 0).astype(yd.dtype))
        return _variance_backward(g_var, x, ctx.axes, ctx.keepdim, ctx.dof), None, None, None


def _variance_args(op, input, dim, unbiased, correction):
    check_tensor(input, op)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}(): expected a floating point input, got {input.dtype}")
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}(): pass either unbiased (legacy) or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = reduce_axes(dim, input._array.ndim, op)
    n = reduced_numel(input._array.shape, axes)
    if n - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0 ({n} elements per result, correction "
                      f"{correction}); the result is inf or NaN", RuntimeWarning, stacklevel=3)
    return axes, correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``: sum((x - mean)^2) / (N - correction).

    Args:
        dim: an int, tuple or list of dims; all when None.
        unbiased: legacy spelling of correction (True: 1, False: 0);
            ``var(x, False)`` also works, as in PyTorch.
        keepdim: keep the reduced dims with size 1.
        correction: subtracted from N in the divisor; default 1 (Bessel's).
    """
    if isinstance(dim, bool):  # the legacy var(input, unbiased)
        dim, unbiased = None, dim
    axes, correction = _variance_args("var", input, dim, unbiased, correction)
    return Var.apply(input, axes, correction, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: sqrt(var); arguments as in :func:`var`."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    axes, correction = _variance_args("std", input, dim, unbiased, correction)
    return Std.apply(input, axes, correction, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over ``dim``; arguments as in :func:`var`."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    axes, correction = _variance_args("var_mean", input, dim, unbiased, correction)
    return Var.apply(input, axes, correction, keepdim), mean(input, axes, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over ``dim``; arguments as in :func:`var`."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    axes, correction = _variance_args("std_mean", input, dim, unbiased, correction)
    return Std.apply(input, axes, correction, keepdim), mean(input, axes, keepdim)


class VectorNorm(Function):
    """(sum |x|^p)^(1/p) over ``axes``; max |x| for p = inf, min for -inf, the count for 0.

    Backward follows PyTorch: sign(x) |x|^(p-1) / norm^(p-1), 0 where the norm
    is 0 (the 2-norm's subgradient at the origin); for +-inf, tied elements
    share the gradient. Differs from PyTorch: where the norm is 0, second
    derivatives are 0 (PyTorch's are NaN, a 0/0 inside its backward).
    """

    row_major = True

    @staticmethod
    def forward(ctx, x, ord, axes, keepdim):
        xp = ctx.xp
        ctx.ord, ctx.axes, ctx.keepdim = ord, axes, keepdim
        if ord == 2:
            y = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        elif ord == 0:
            y = (x != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
        else:
            a = xp.abs(x)
            if ord == math.inf:
                y = a.max(axis=axes, keepdims=keepdim)
            elif ord == -math.inf:
                y = a.min(axis=axes, keepdims=keepdim)
            elif ord == 1:
                y = a.sum(axis=axes, keepdims=keepdim)
            else:
                y = (a ** ord).sum(axis=axes, keepdims=keepdim) ** (1.0 / ord)
        y = xp.asarray(y)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p, axes, xp = ctx.ord, ctx.axes, ctx.xp
        shape = x._array.shape
        g = keep_reduced(g, shape, axes, ctx.keepdim)
        y = keep_reduced(y, shape, axes, ctx.keepdim)
        xd, yd = x._array, y._array
        sign = constant(xp.sign(xd))  # d|x|/dx, 0 at 0 as in PyTorch
        if p == 0:
            return g * sign * 0.0, None, None, None
        if p == 1:
            return g * sign, None, None, None
        if math.isinf(p):
            hit = (xp.abs(xd) == yd).astype(xd.dtype)
            return g * sign * constant(hit / hit.sum(axis=axes, keepdims=True)), None, None, None
        zero = (yd == 0).astype(xd.dtype)
        safe_norm = y + constant(zero)
        scale = g * constant(1 - zero) / (safe_norm if p == 2 else safe_norm ** (p - 1))
        if p == 2:
            return x * scale, None, None, None
        magnitude = x * sign  # |x|, differentiable
        if p < 1:  # |x|^(p-1) is infinite at 0, where sign is 0 anyway
            magnitude = magnitude + constant((xd == 0).astype(xd.dtype))
        return sign * magnitude ** (p - 1) * scale, None, None, None


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` over ``dim`` (all when None), as ``torch.linalg.vector_norm``.

    Args:
        ord: any float; inf (max |x|), -inf (min |x|), 0 (count of nonzeros).
        dim: an int, tuple or list of dims; all when None.
        keepdim: keep the reduced dims with size 1.
        dtype: cast ``x`` to this dtype first (a widening cast only).
    """
    return _vector_norm("vector_norm", x, ord, dim, keepdim, dtype)


def widen_to(x, dtype, op):
    """``x`` cast to ``dtype`` for a norm's ``dtype=`` argument: a widening cast
    only, as PyTorch's norms allow."""
    dtype = _dt.as_dtype(dtype)
    if _dt.promote_types(x.dtype, dtype) is not dtype:
        raise RuntimeError(f"{op}: the input's dtype {x.dtype} should be convertible without "
                           f"narrowing to dtype={dtype}")
    return x.to(dtype)


def _vector_norm(op, x, ord, dim, keepdim, dtype):
    check_tensor(x, op)
    if dtype is not None:
        x = widen_to(x, dtype, f"{op}()")
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{op}(): expected a floating point input, got {x.dtype}")
    if not isinstance(ord, numbers.Real) or isinstance(ord, bool):
        raise TypeError(f"{op}(): expected ord to be a number, got {ord!r}")
    axes = reduce_axes(dim, x._array.ndim, op)
    if math.isinf(ord) and reduced_numel(x._array.shape, axes) == 0:
        raise RuntimeError(f"{op}(): cannot compute the {ord} norm of an empty reduction (input "
                           f"shape {list(x._array.shape)}) because the operation has no identity")
    return VectorNorm.apply(x, float(ord), axes, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The ``p``-norm of ``input`` over ``dim`` (all when None).

    Args:
        p: 'fro' (the 2-norm over at most two dims or all), or any float as in
            :func:`vector_norm` (inf, -inf, 0 included).
        dim: an int or tuple of dims; all when None.
        keepdim: keep the reduced dims with size 1.
        dtype: cast ``input`` to this dtype first (a widening cast only).

    Differs from PyTorch: matrix norms (p='nuc', or 'fro' over more than two
    dims, which PyTorch rejects anyway) are not supported.
    """
    if p is None:
        p = 2
    if isinstance(p, str):
        n_dims = 1 if isinstance(dim, int) else len(dim) if dim is not None else 0
        if p != "fro" or n_dims > 2:
            raise RuntimeError(f"norm(): p={p!r} with dim={dim!r} asks for a matrix norm, which "
                               "is not supported; use p='fro' over at most 2 dims, or a number")
        p = 2
    return _vector_norm("norm", input, p, dim, keepdim, dtype)
