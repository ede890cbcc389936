"""Conversions that keep the graph: dtype casts, device moves, copies."""

import numpy as np

from ember.autograd.function import Function
from ember.backend.device import array_module, device_of

__all__ = ["cast", "to_device", "clone", "contiguous"]


class Cast(Function):
    """Convert to another dtype; the gradient is cast back."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.src = x.dtype
        return x.astype(dtype.np)

    @staticmethod
    def backward(ctx, g):
        from ember.backend.dtype import from_numpy_dtype
        return cast(g, from_numpy_dtype(ctx.src)), None


class ToDevice(Function):
    """Move to another device; the gradient moves back."""

    @staticmethod
    def forward(ctx, x, device):
        ctx.src = device_of(x)
        xp = array_module(device)
        if xp is np:
            return x.get() if type(x) is not np.ndarray else x
        with xp.cuda.Device(device.index):
            return xp.asarray(x)

    @staticmethod
    def backward(ctx, g):
        return to_device(g, ctx.src), None


class Clone(Function):
    """A copy with its own storage (row-major)."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def cast(input, dtype):
    """``input`` converted to ``dtype`` (an Ember dtype)."""
    return Cast.apply(input, dtype)


def to_device(input, device):
    """``input`` on ``device`` (a Device)."""
    return ToDevice.apply(input, device)


def clone(input, *, memory_format=None):
    """A copy of ``input`` with its own storage; gradients flow through."""
    return Clone.apply(input)


def contiguous(input, memory_format=None):
    """``input`` itself if row-major contiguous, else a contiguous copy."""
    if input.data.flags.c_contiguous:
        return input
    return Clone.apply(input)

__methods__ = ("clone", "contiguous")
__inplace__ = ()
