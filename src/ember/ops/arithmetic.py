"""Binary arithmetic: add, sub, mul, div, pow and friends, with broadcasting.

Operands are brought to PyTorch's result dtype first (``binary_operands``);
a Python scalar operand stays a scalar, so ``x * 2.0`` costs no extra array.
Gradients come back in the broadcast shape and the engine sums them down.
"""

import numpy as np

from ember.autograd.function import Function
from ember.autograd.grad_mode import _State
from ember.backend import dtype as _dt
from ember.ops._util import apply_binary, binary_operands, float_operand
from ember.ops.inplace import FAST_UFUNCS
from ember.sparse_coo import SparseCooTensor
from ember.tensor import Tensor

__all__ = ["add", "sub", "rsub", "mul", "div", "true_divide", "floor_divide", "remainder",
           "fmod", "pow", "neg", "negative", "multiply", "divide", "subtract"]


class Add(Function):
    """a + b."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """a - b."""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g if ctx.needs_input_grad[1] else None


class Mul(Function):
    """a * b."""

    saved_for = (1, 0)  # a only for b's gradient, b only for a's

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * b if need[0] else None), (g * a if need[1] else None)


class Div(Function):
    """a / b (true division)."""

    saved_for = (1, None)  # a only for b's gradient

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(all="ignore"):  # x / 0 is inf or nan, silently as in PyTorch
            return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = g / b if need[0] else None
        gb = -g * a / (b * b) if need[1] else None
        return ga, gb


class Neg(Function):
    """-x."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """a ** b; d/da = b a^(b-1), d/db = a^b log(a)."""

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(all="ignore"):  # 0 ** -1 is inf, silently as in PyTorch
            y = a ** b
        # The output is needed only for d/db; saving it for a number exponent
        # would make a later in-place change of y fail backward needlessly.
        ctx.save_for_backward(a, b, y if hasattr(b, "shape") else None)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = gb = None
        if need[0]:
            if isinstance(b, (int, float)):
                ga = g * b * a ** (b - 1) if b != 0 else g * 0.0
            else:
                ga = g * b * a ** (b - 1)
                # where b == 0 the derivative is 0 even at a == 0 (0 * inf)
                ga = _where_zero(b, ga)
        if need[1]:
            from ember.ops.elementwise import log
            # log(a) is -inf at a == 0; the limit of a^b log a there is 0 (b > 0).
            ga_b = g * y * log(_mask_zero_base(a))
            gb = ga_b
        return ga, gb


def _where_zero(b, ga):
    if not (b._array == 0).any():
        return ga
    from ember.ops.elementwise import where
    return where(b == 0, 0.0, ga)


def _mask_zero_base(a):
    if not (a._array == 0).any():
        return a
    from ember.ops.elementwise import where
    return where(a == 0, 1.0, a)


class FloorDivide(Function):
    """floor(a / b); gradient zero almost everywhere."""

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(all="ignore"):  # floats: x // 0 is inf or nan (integers raised before)
            return ctx.xp.floor_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        return g * 0.0, (g * 0.0 if ctx.needs_input_grad[1] else None)


class Remainder(Function):
    """a - floor(a / b) * b (sign of b, Python's %)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(all="ignore"):  # floats: x % 0 is nan (integers raised before)
            return ctx.xp.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = None
        if ctx.needs_input_grad[1]:
            from ember.ops.elementwise import floor
            gb = -g * floor(a / b)
        return g, gb


class Fmod(Function):
    """C-style remainder (sign of a)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(all="ignore"):  # floats: fmod(x, 0) is nan (integers raised before)
            return ctx.xp.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = None
        if ctx.needs_input_grad[1]:
            from ember.ops.elementwise import trunc
            gb = -g * trunc(a / b)
        return g, gb


def add(input, other, *, alpha=1):
    """input + alpha * other, broadcast (``other`` may be a sparse COO tensor of
    ``input``'s shape: the result is dense, outside autograd)."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    try:
        a, b = binary_operands(input, other, "add")
    except TypeError:  # not a tensor or a number: a sparse tensor is the one other case
        if type(other) is SparseCooTensor:
            return _add_sparse(input, other)
        raise
    return apply_binary(Add, a, b, "add")


def _add_sparse(dense, sparse):
    if not isinstance(dense, Tensor):
        raise TypeError(f"add: expected a Tensor beside a sparse tensor, got "
                        f"{type(dense).__name__}")
    if dense.requires_grad and _State.enabled:
        raise NotImplementedError("add: a sparse tensor added to a tensor that requires grad "
                                  "is not differentiable in Ember; add under no_grad")
    return Tensor._wrap(sparse.added_to(dense), False, None, 0)


def sub(input, other, *, alpha=1):
    """input - alpha * other, broadcast."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    a, b = binary_operands(input, other, "sub")
    if a._array.dtype == np.bool_:
        raise RuntimeError("sub: subtraction of bool tensors is not supported; use logical_xor")
    return apply_binary(Sub, a, b, "sub")


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    a, b = binary_operands(input, other, "rsub")
    if alpha != 1:
        a = mul(a, alpha)
    if isinstance(b, Tensor):
        return Sub.apply(b, a)
    return Add.apply(Neg.apply(a), b)


def mul(input, other):
    """input * other, broadcast."""
    a, b = binary_operands(input, other, "mul")
    return apply_binary(Mul, a, b, "mul")


def _integer_divisor(a, b, op):
    """PyTorch raises for an integer division by zero (NumPy would give 0 and a
    warning): check where both operands are integers."""
    if a._array.dtype.kind not in "iu":
        return
    if isinstance(b, Tensor):
        if b._array.dtype.kind in "iu" and not b._array.all():
            raise RuntimeError(f"{op}: integer division by zero (ZeroDivisionError)")
    elif isinstance(b, int) and b == 0:
        raise RuntimeError(f"{op}: integer division by zero (ZeroDivisionError)")


def div(input, other, *, rounding_mode=None):
    """input / other; ``rounding_mode`` None (true), 'trunc' or 'floor'."""
    a, b = binary_operands(input, other, "div")
    if rounding_mode is None:
        if not isinstance(b, Tensor) and a._array.dtype.kind in "iub":
            a = a.to(_dt.get_default_dtype())
        elif isinstance(b, Tensor) and a._array.dtype.kind in "iub":
            a, b = a.to(_dt.get_default_dtype()), b.to(_dt.get_default_dtype())
        return apply_binary(Div, a, b, "div")
    if rounding_mode in ("floor", "trunc"):
        _integer_divisor(a, b, "div")
    if rounding_mode == "floor":
        return FloorDivide.apply(a, b)
    if rounding_mode == "trunc":
        from ember.ops.elementwise import trunc
        q = Div.apply(float_operand(a), b if not isinstance(b, Tensor) else float_operand(b))
        q = trunc(q)
        a_dtype = a._array.dtype
        return q if a_dtype.kind == "f" or a_dtype == _dt.bfloat16.np else q.to(a.dtype)
    raise ValueError(f"div: expected rounding_mode None, 'trunc' or 'floor', got {rounding_mode!r}")


def floor_divide(input, other):
    """floor(input / other), as Python's //."""
    a, b = binary_operands(input, other, "floor_divide")
    _integer_divisor(a, b, "floor_divide")
    return apply_binary(FloorDivide, a, b, "floor_divide")


def remainder(input, other):
    """Python's modulus: the result has the sign of ``other``."""
    a, b = binary_operands(input, other, "remainder")
    _integer_divisor(a, b, "remainder")
    return apply_binary(Remainder, a, b, "remainder")


def fmod(input, other):
    """C's fmod: the result has the sign of ``input``."""
    a, b = binary_operands(input, other, "fmod")
    _integer_divisor(a, b, "fmod")
    return apply_binary(Fmod, a, b, "fmod")


def pow(input, exponent):
    """input ** exponent, broadcast; either may be a Python number."""
    if not isinstance(input, Tensor):
        from ember.ops._util import as_operand
        input = as_operand(input, exponent)
    a, b = binary_operands(input, exponent, "pow")
    if isinstance(b, int) and b < 0 and a._array.dtype.kind in "iu":
        raise RuntimeError("pow: integers to negative integer powers are not allowed")
    return apply_binary(Pow, a, b, "pow")


def neg(input):
    """-input."""
    if input._array.dtype == np.bool_:
        raise RuntimeError("neg: negation of a bool tensor is not supported; use logical_not")
    return Neg.apply(input)


negative = neg
multiply = mul
FAST_UFUNCS.update({add: np.add, sub: np.subtract, mul: np.multiply, div: np.true_divide})
divide = div
true_divide = div
subtract = sub

# Tensor methods bound from this module (see ember/_tensor_methods.py), and
# the ops that also get an in-place ``name_`` method.
__methods__ = ("add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
               "pow", "neg", "negative", "multiply", "divide", "subtract")
__inplace__ = ("add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
               "pow", "neg", "negative", "multiply", "divide", "subtract")
