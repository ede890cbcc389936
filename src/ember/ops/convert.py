"""Conversions that keep the graph: dtype casts, device moves, copies."""

import numpy as np

from ember.autograd.function import Function
from ember.backend.device import array_module, device_of
from ember.backend.dtype import from_numpy_dtype

__all__ = ["cast", "to_device", "clone", "contiguous"]


class ToCopy(Function):
    """A copy in another dtype and/or on another device (PyTorch's ``_to_copy``).

    The gradient goes back to the source dtype and device.
    """

    @staticmethod
    def forward(ctx, x, dtype, device):
        ctx.src_dtype, ctx.src_device = x.dtype, device_of(x)
        if dtype is not None:
            if dtype.category < 2 and x.dtype.kind in "fV":
                with np.errstate(invalid="ignore"):  # NaN/inf to int: garbage, as in PyTorch
                    x = x.astype(dtype.np)
            else:
                x = x.astype(dtype.np)
        if device is not None:
            x = _move(x, device)
        return x

    @staticmethod
    def backward(ctx, g):
        src_dtype = from_numpy_dtype(ctx.src_dtype)
        dtype = src_dtype if g.dtype is not src_dtype else None
        device = ctx.src_device if g.device != ctx.src_device else None
        return ToCopy.apply(g, dtype, device), None, None


def _move(x, device):
    xp = array_module(device)
    if xp is np:
        return x if type(x) is np.ndarray else x.get()
    with xp.cuda.Device(device.index):
        # copy() makes the copy on the current device, also from another GPU.
        return xp.asarray(x) if type(x) is np.ndarray else x.copy()


class Clone(Function):
    """A copy with its own storage (row-major)."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def to_copy(input, dtype=None, device=None):
    """``input`` in ``dtype`` on ``device`` (None keeps either) as one graph node."""
    return ToCopy.apply(input, dtype, device)


def cast(input, dtype):
    """``input`` converted to ``dtype`` (an Ember dtype); Ember's helper behind ``Tensor.to``."""
    return ToCopy.apply(input, dtype, None)


def to_device(input, device):
    """``input`` on ``device`` (a Device); Ember's helper behind ``Tensor.to``."""
    return ToCopy.apply(input, None, device)


def clone(input, *, memory_format=None):
    """A copy of ``input`` with its own storage; gradients flow through."""
    return Clone.apply(input)


def contiguous(input, memory_format=None):
    """``input`` itself if row-major contiguous, else a contiguous copy."""
    if input._array.flags.c_contiguous:
        return input
    return Clone.apply(input)


__methods__ = ("clone", "contiguous")
__inplace__ = ()
