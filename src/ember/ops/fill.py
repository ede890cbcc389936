"""In-place fills and copies: ``zero_``, ``fill_``, ``copy_`` and the random ``*_`` fills.

These overwrite a tensor's values with something that does not depend on
its old values, so they are in-place ops whose gradient to the old value is
zero. ``copy_`` and ``fill_`` with a tensor value pass gradients to the
source; the random fills are never differentiable.
"""

import numpy as np

from ember.autograd.function import Function
from ember.autograd.grad_mode import _State
from ember.backend.random import rng
from ember.ops._util import as_operand
from ember.ops.inplace import check_inplace, commit_inplace
from ember.tensor import Tensor

__all__ = ["copy_", "fill_", "zero_", "uniform_", "normal_", "bernoulli_", "random_",
           "exponential_", "geometric_", "log_normal_", "cauchy_"]


class CopyFrom(Function):
    """``src`` broadcast to ``target``'s shape: the value ``copy_`` writes."""

    @staticmethod
    def forward(ctx, target, src):
        return ctx.xp.broadcast_to(src, target.shape).copy()

    @staticmethod
    def backward(ctx, g):
        # The old value is overwritten: its gradient is zero (not None, as in PyTorch).
        return (g * 0.0 if ctx.needs_input_grad[0] else None), g


def copy_(input, src, non_blocking=False):
    """Copy ``src`` (broadcast, cast to this dtype/device) into ``input``; returns input."""
    if not isinstance(src, Tensor):
        src = as_operand(src, input)
    try:
        fits = np.broadcast_shapes(src._array.shape, input._array.shape) == input._array.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"copy_: source of shape {list(src.shape)} cannot be broadcast to "
                           f"the destination's shape {list(input.shape)}")
    if src.device != input.device:
        src = src.to(input.device)
    recording = _State.enabled and (input.requires_grad or src.requires_grad)
    check_inplace(input, "copy_", src.requires_grad)
    if not recording:
        input._array[...] = src._array
        input._bump_version()
        return input
    if src._array.dtype != input._array.dtype:
        src = src.to(input.dtype)
    return commit_inplace(input, CopyFrom.apply(input, src), "copy_")


def fill_(input, value):
    """Set every element to ``value`` (a number or a one-element tensor); returns input."""
    if isinstance(value, Tensor):
        if value._array.ndim != 0:
            raise RuntimeError(f"fill_: only supports 0-dimension value tensor but got tensor "
                               f"with {value._array.ndim} dimensions")
        return copy_(input, value)
    check_inplace(input, "fill_")
    if _State.enabled and input.requires_grad:
        return copy_(input, as_operand(value, input))
    input._array.fill(value)
    input._bump_version()
    return input


def zero_(input):
    """Set every element to zero; returns input."""
    return fill_(input, 0)


def _random_fill(input, op, sample):
    check_inplace(input, op)
    arr = np.asarray(sample(input._array.shape))
    if type(input._array) is not np.ndarray:
        from ember.backend.device import xp_of
        arr = xp_of(input._array).asarray(arr)
    input._array[...] = arr
    input._bump_version()
    return input


def uniform_(input, from_=0.0, to=1.0, *, generator=None):
    """Fill with samples from U(from_, to); returns input."""
    if from_ > to:
        raise RuntimeError(f"uniform_: expects from <= to, got from={from_}, to={to}")
    return _random_fill(input, "uniform_", lambda s: rng(generator).uniform(from_, to, s))


def normal_(input, mean=0.0, std=1.0, *, generator=None):
    """Fill with samples from N(mean, std^2); returns input."""
    if std < 0:
        raise RuntimeError(f"normal_: expects std >= 0.0, got {std}")
    return _random_fill(input, "normal_", lambda s: rng(generator).normal(mean, std, s))


def log_normal_(input, mean=1.0, std=2.0, *, generator=None):
    """Fill with exp(N(mean, std^2)) samples; returns input."""
    return _random_fill(input, "log_normal_", lambda s: rng(generator).lognormal(mean, std, s))


def bernoulli_(input, p=0.5, *, generator=None):
    """Fill with 1 with probability ``p`` (a number or tensor), else 0; returns input."""
    probs = p._array if isinstance(p, Tensor) else p
    if np.any((np.asarray(probs) < 0) | (np.asarray(probs) > 1)):
        raise RuntimeError(f"bernoulli_: expects 0 <= p <= 1, got {p}")
    return _random_fill(input, "bernoulli_", lambda s: rng(generator).random(s) < probs)


def random_(input, from_=0, to=None, *, generator=None):
    """Fill with integers uniform on [from_, to) (``random_(to)`` starts at 0)."""
    if to is None:
        from_, to = 0, from_ if from_ else 2 ** min(24 if input.dtype.is_floating_point else 63,
                                                     8 * input._array.itemsize - 1)
    return _random_fill(input, "random_", lambda s: rng(generator).integers(from_, to, s))


def exponential_(input, lambd=1.0, *, generator=None):
    """Fill with Exp(lambd) samples; returns input."""
    return _random_fill(input, "exponential_", lambda s: rng(generator).exponential(1 / lambd, s))


def geometric_(input, p, *, generator=None):
    """Fill with Geometric(p) samples (trials until first success); returns input."""
    return _random_fill(input, "geometric_", lambda s: rng(generator).geometric(p, s))


def cauchy_(input, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy(median, sigma) samples; returns input."""
    return _random_fill(input, "cauchy_",
                        lambda s: median + sigma * rng(generator).standard_cauchy(s))


__methods__ = tuple(__all__)
__inplace__ = ()
