"""Reductions: sum, mean, prod, max/min, var/std, norm, logsumexp, cumsum..."""

import numpy as np

from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.ops._util import wrap_dims
from ember.ops.views import expand, reshape

__all__ = ["sum", "mean"]


def _keep_shape(shape, axes):
    """The shape of a keepdim reduction over ``axes``."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def expand_reduced(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced ``axes`` of ``shape``."""
    if not keepdim and axes:
        g = reshape(g, _keep_shape(shape, axes))
    return expand(g, shape)


class Sum(Function):
    """Sum over ``axes``."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        return expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim), None, None, None


class Mean(Function):
    """Mean over ``axes``."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        n = 1
        for a in axes:
            n *= x.shape[a]
        ctx.n = n
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return expand_reduced(g / ctx.n, ctx.shape, ctx.axes, ctx.keepdim), None, None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of elements over ``dim`` (all when None).

    Integer and bool inputs sum to int64, as in PyTorch.
    """
    axes = wrap_dims(dim, input.data.ndim, "sum")
    if dtype is not None:
        np_dt = _dt.as_dtype(dtype).np
    elif input.data.dtype.kind in "biu":
        np_dt = np.int64
    else:
        np_dt = None
    return Sum.apply(input, axes, keepdim, np_dt)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` (all when None); floating inputs only, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"mean: could not infer output dtype; input dtype must be floating "
                           f"point, got {input.dtype}; pass dtype=")
    axes = wrap_dims(dim, input.data.ndim, "mean")
    return Mean.apply(input, axes, keepdim)

__methods__ = ("sum", "mean")
__inplace__ = ()
