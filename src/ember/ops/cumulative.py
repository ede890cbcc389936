"""Cumulative reductions along one dim: cumsum and cumprod (re-exported by ``reduce``)."""

from ember.autograd.function import Function
from ember.autograd.grad_mode import is_grad_enabled
from ember.backend import dtype as _dt
from ember.ops._util import check_tensor, wrap_dim
from ember.ops.reduce import constant, exclusive_cumprod, omit_each
from ember.ops.views import reshape, unsqueeze

__all__ = ["cumsum", "cumprod"]


def reverse_cumsum(x, axis, xp):
    """Sums of the elements at and after each position along ``axis`` (an array)."""
    return xp.flip(xp.cumsum(xp.flip(x, axis), axis=axis), axis)


class Cumsum(Function):
    """Running sum along ``axis`` (from the end with ``reverse``); each is the other's backward."""

    row_major = True

    @staticmethod
    def forward(ctx, x, axis, reverse):
        ctx.axis, ctx.reverse = axis, reverse
        return reverse_cumsum(x, axis, ctx.xp) if reverse else ctx.xp.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return Cumsum.apply(g, ctx.axis, not ctx.reverse), None, None


class Cumprod(Function):
    """Running product along ``axis``.

    d y[j] / d x[k] = prod of x[i] for i <= j, i != k (for j >= k). Without
    zeros that is y[j] / x[k], so the gradient is reverse_cumsum(g * y) / x.
    With zeros, first derivatives use PyTorch's O(n) formula on arrays, and
    when the backward itself is recorded (create_graph=True) an O(n^2)
    composition of Ember ops that stays differentiable, as PyTorch does.
    """

    row_major = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        y = ctx.xp.cumprod(x, axis=axis)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        a = ctx.axis
        if not (x._array == 0).any():
            return Cumsum.apply(g * y, a, True) / x, None
        if not is_grad_enabled():
            return constant(_grad_with_zeros(x._array, y._array, g._array, a, ctx.xp)), None
        n = x._array.shape[a]
        # partial[.., k, j, ..] = prod of x[i] for i <= j, i != k; only j >= k count
        partial = Cumprod.apply(omit_each(x, a), a + 1)
        upper = constant(ctx.xp.triu(ctx.xp.ones((n, n), x._array.dtype)).reshape(
            (n, n) + (1,) * (x._array.ndim - a - 1)))
        return (unsqueeze(g, a) * upper * partial).sum(a + 1), None


def _grad_with_zeros(x, y, g, axis, xp):
    """First-order cumprod gradient, exact with zeros, in O(n) (arrays in, array out).

    Let z be the first zero along the axis. Before z the usual formula holds;
    after z every partial product contains x[z], so the gradient is 0; at z it
    is prod(x[:z]) * sum over j >= z of g[j] * prod(x[z+1 : j+1]).
    """
    is_zero = x == 0
    zeros_so_far = xp.cumsum(is_zero, axis=axis)
    before = zeros_so_far == 0
    first = is_zero & (zeros_so_far == 1)
    from_first = zeros_so_far >= 1
    grad = xp.where(before, reverse_cumsum(g * y, axis, xp) / xp.where(before, x, 1), 0)
    tail = xp.cumprod(xp.where(from_first & ~first, x, 1), axis=axis)  # prod(x[z+1 : j+1])
    at_first = (xp.where(from_first, g * tail, 0)).sum(axis=axis, keepdims=True)
    return xp.where(first, exclusive_cumprod(x, axis, xp) * at_first, grad)


def _accumulate(op, function, input, dim, dtype, *args):
    check_tensor(input, op)
    if dtype is not None:
        input = input.to(dtype)
    elif input._array.dtype.kind in "biu":  # PyTorch accumulates integers and bools in int64
        input = input.to(_dt.int64)
    axis = wrap_dim(dim, input._array.ndim, op)
    if input._array.ndim == 0:
        return reshape(function.apply(reshape(input, 1), 0, *args), ())
    return function.apply(input, axis, *args)


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim``; integer and bool inputs accumulate in int64."""
    return _accumulate("cumsum", Cumsum, input, dim, dtype, False)


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``; integer and bool inputs accumulate in int64.

    Gradients (and second derivatives) are exact with zeros in the input.
    """
    return _accumulate("cumprod", Cumprod, input, dim, dtype)
