"""Bit shifts of integer tensors: ``bitwise_left_shift`` (``<<``) and
``bitwise_right_shift`` (``>>``), as PyTorch computes them.

The operands are broadcast and promoted as for any binary op. A left shift
keeps the low bits of the result's dtype (it wraps); a right shift is
arithmetic for signed dtypes. A shift by a negative amount or by at least the
dtype's width gives 0 (a right shift of a negative value: -1), where C leaves
the result undefined.
"""

import numpy as np

from ember.autograd.function import Function
from ember.ops._util import binary_operands, check_tensor
from ember.ops.comparison import _apply

__all__ = ["bitwise_left_shift", "bitwise_right_shift"]


def _in_range(xp, a, b):
    """Where the shift amount ``b`` (an array or a Python int) is one C defines
    for ``a``'s width, and the amounts clipped into range, in ``a``'s dtype."""
    b = xp.asarray(b)
    ok = (b >= 0) & (b < a.dtype.itemsize * 8)
    return ok, xp.where(ok, b, 0).astype(a.dtype)


def _shifted(xp, a, b, shift, fill):
    """``shift(a, b)`` where C defines it, ``fill`` where the amount is out of range."""
    ok, amount = _in_range(xp, a, b)
    return xp.where(ok, shift(a, amount), fill).astype(a.dtype, copy=False)


class LeftShift(Function):
    """a << b in a's (promoted) integer dtype, wrapping; 0 for out-of-range b."""

    @staticmethod
    def forward(ctx, a, b):
        return _shifted(ctx.xp, a, b, ctx.xp.left_shift, 0)


class RightShift(Function):
    """a >> b (arithmetic for signed a); 0 or -1 for out-of-range b."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        fill = xp.where(a < 0, -1, 0) if a.dtype.kind == "i" else 0
        return _shifted(xp, a, b, xp.right_shift, fill)


def _shift(fn, input, other, op):
    a, b = binary_operands(check_tensor(input, op), other, op)
    if a.dtype.is_floating_point or a.dtype.np == np.bool_:
        raise NotImplementedError(f"{op}: not implemented for {a.dtype} (integer tensors only)")
    return _apply(fn, op, a, b)


def bitwise_left_shift(input, other):
    """input << other, elementwise, for integer tensors (and Python ints)."""
    return _shift(LeftShift, input, other, "bitwise_left_shift")


def bitwise_right_shift(input, other):
    """input >> other, elementwise (arithmetic for signed dtypes)."""
    return _shift(RightShift, input, other, "bitwise_right_shift")


__inplace__ = ("bitwise_left_shift", "bitwise_right_shift")
__methods__ = __inplace__
