"""Comparison and selection: eq/lt/..., isclose, isnan..., logical and bitwise
ops, and the ops that pick between values by comparing them: where, clamp,
maximum, minimum, fmax, fmin.

Comparisons, predicates, logical and bitwise ops return bool (or integer)
tensors: nothing to differentiate, so their Functions have no backward and
their outputs never require grad. Binary ones compare at PyTorch's common
dtype (``binary_operands``) and broadcast.

The selecting ops route the gradient to the selected input, with PyTorch's
rules at ties: clamp passes it to x where min <= x <= max (ties included),
maximum/minimum split it equally, fmax/fmin give it to the first input.
"""

import numpy as np

from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.ops._util import binary_operands, broadcast_shapes, check_tensor
from ember.ops.creation import full
from ember.tensor import Tensor

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal",
    "not_equal", "equal", "isclose", "allclose", "isnan", "isinf", "isposinf", "isneginf",
    "isfinite", "signbit", "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "where", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin",
]


# ---- helpers (shared with ops/elementwise.py) ---------------------------------

def _is_float(t):
    return t.dtype.is_floating_point


def _number(value, op, name):
    """A bound or scalar argument: a Tensor, a Python number, or None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (Tensor, bool, int, float)):
        return value
    raise TypeError(f"{op}: expected {name} to be a Tensor or a number, got {type(value).__name__}")


def _result_dtype(*operands):
    """PyTorch's result dtype over several Tensors and Python numbers (None skipped).

    Dimensioned tensors decide first; 0-d tensors, then Python numbers, win
    only when of a higher category (bool < integer < floating).
    """
    tiers = [None, None, None]  # dimensioned tensors, 0-d tensors, Python numbers
    for v in operands:
        if v is None:
            continue
        if isinstance(v, Tensor):
            tier, d = (0 if v._array.ndim else 1), v.dtype
        else:
            tier, d = 2, _dt.scalar_dtype(v)
        tiers[tier] = d if tiers[tier] is None else _dt.promote_types(tiers[tier], d)
    result = None
    for d in tiers:
        if d is not None and (result is None or d.category > result.category):
            result = d
    return result


def _cast(value, dtype):
    return value.to(dtype) if isinstance(value, Tensor) else value


def _apply(fn, op, *args):
    """``fn.apply(*args)``, turning NumPy's broadcast failure into an error naming ``op``."""
    try:
        return fn.apply(*args)
    except ValueError:
        broadcast_shapes(*(a._array.shape for a in args if isinstance(a, Tensor)), op=op)
        raise


def _quiet():
    # NumPy warns where IEEE arithmetic gives inf or nan (log(0), sqrt(-1),
    # inf - inf); PyTorch returns the same values silently.
    return np.errstate(all="ignore")


# ---- comparisons, predicates, logical and bitwise ops ---------------------------

def _predicate(name, doc, compute):
    """A Function ``name`` computing ``compute(xp, *arrays)``: a bool or integer result."""
    return type(name, (Function,), {
        "__doc__": doc, "forward": staticmethod(lambda ctx, *args: compute(ctx.xp, *args))})


Eq = _predicate("Eq", "a == b.", lambda xp, a, b: xp.equal(a, b))
Ne = _predicate("Ne", "a != b.", lambda xp, a, b: xp.not_equal(a, b))
Lt = _predicate("Lt", "a < b.", lambda xp, a, b: xp.less(a, b))
Le = _predicate("Le", "a <= b.", lambda xp, a, b: xp.less_equal(a, b))
Gt = _predicate("Gt", "a > b.", lambda xp, a, b: xp.greater(a, b))
Ge = _predicate("Ge", "a >= b.", lambda xp, a, b: xp.greater_equal(a, b))
Isnan = _predicate("Isnan", "x is nan.", lambda xp, x: xp.isnan(x))
Isinf = _predicate("Isinf", "x is ±inf.", lambda xp, x: xp.isinf(x))
Isposinf = _predicate("Isposinf", "x is +inf.", lambda xp, x: xp.isposinf(x))
Isneginf = _predicate("Isneginf", "x is -inf.", lambda xp, x: xp.isneginf(x))
Isfinite = _predicate("Isfinite", "x is neither ±inf nor nan.", lambda xp, x: xp.isfinite(x))
Signbit = _predicate("Signbit", "x has its sign bit set.", lambda xp, x: xp.signbit(x))
LogicalAnd = _predicate("LogicalAnd", "a and b.", lambda xp, a, b: xp.logical_and(a, b))
LogicalOr = _predicate("LogicalOr", "a or b.", lambda xp, a, b: xp.logical_or(a, b))
LogicalXor = _predicate("LogicalXor", "a xor b.", lambda xp, a, b: xp.logical_xor(a, b))
LogicalNot = _predicate("LogicalNot", "not x.", lambda xp, x: xp.logical_not(x))
BitwiseAnd = _predicate("BitwiseAnd", "a & b.", lambda xp, a, b: xp.bitwise_and(a, b))
BitwiseOr = _predicate("BitwiseOr", "a | b.", lambda xp, a, b: xp.bitwise_or(a, b))
BitwiseXor = _predicate("BitwiseXor", "a ^ b.", lambda xp, a, b: xp.bitwise_xor(a, b))
BitwiseNot = _predicate("BitwiseNot", "~x (logical not for bool).", lambda xp, x: xp.invert(x))


def _compare(fn, input, other, op):
    a, b = binary_operands(check_tensor(input, op), other, op)
    return _apply(fn, op, a, b)


def eq(input, other):
    """input == other, elementwise (a bool tensor); broadcast, compared at the common dtype."""
    return _compare(Eq, input, other, "eq")


def ne(input, other):
    """input != other, elementwise (a bool tensor)."""
    return _compare(Ne, input, other, "ne")


def lt(input, other):
    """input < other, elementwise (a bool tensor)."""
    return _compare(Lt, input, other, "lt")


def le(input, other):
    """input <= other, elementwise (a bool tensor)."""
    return _compare(Le, input, other, "le")


def gt(input, other):
    """input > other, elementwise (a bool tensor)."""
    return _compare(Gt, input, other, "gt")


def ge(input, other):
    """input >= other, elementwise (a bool tensor)."""
    return _compare(Ge, input, other, "ge")


greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def equal(input, other):
    """True if both tensors have one shape and equal elements (a Python bool)."""
    check_tensor(input, "equal")
    check_tensor(other, "equal", "other")
    if input._array.shape != other._array.shape:
        return False
    return bool(eq(input, other)._array.all())


class IsClose(Function):
    """|a - b| <= atol + rtol * |b|, or a == b (infinities), or both nan with equal_nan."""

    @staticmethod
    def forward(ctx, a, b, rtol, atol, equal_nan):
        xp = ctx.xp
        close = a == b
        if a.dtype == np.bool_:
            return close
        if equal_nan:
            close |= xp.isnan(a) & xp.isnan(b)
        with _quiet():
            error = xp.abs(a - b)
            close |= xp.isfinite(error) & (error <= atol + xp.abs(rtol * b))
        return close


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Where input and other are close: |input - other| <= atol + rtol * |other|.

    Both must be Tensors of one dtype, as in PyTorch; broadcast.
    """
    check_tensor(input, "isclose")
    check_tensor(other, "isclose", "other")
    if input.dtype != other.dtype:
        raise RuntimeError(f"isclose: expected input and other of one dtype, got {input.dtype} "
                           f"and {other.dtype}")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose: rtol and atol must be >= 0, got rtol={rtol}, atol={atol}")
    return _apply(IsClose, "isclose", input, other, rtol, atol, equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if every element of input is close to other's (see ``isclose``)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._array.all())


def isnan(input):
    """Where input is nan (a bool tensor; all False for integers)."""
    return Isnan.apply(check_tensor(input, "isnan"))


def isinf(input):
    """Where input is +inf or -inf."""
    return Isinf.apply(check_tensor(input, "isinf"))


def isposinf(input):
    """Where input is +inf."""
    return Isposinf.apply(check_tensor(input, "isposinf"))


def isneginf(input):
    """Where input is -inf."""
    return Isneginf.apply(check_tensor(input, "isneginf"))


def isfinite(input):
    """Where input is neither ±inf nor nan."""
    return Isfinite.apply(check_tensor(input, "isfinite"))


def signbit(input):
    """Where input's sign bit is set (True for -0.0)."""
    return Signbit.apply(check_tensor(input, "signbit"))


def logical_and(input, other):
    """Elementwise ``and`` of truth values (nonzero is True); a bool tensor."""
    return _compare(LogicalAnd, input, other, "logical_and")


def logical_or(input, other):
    """Elementwise ``or`` of truth values; a bool tensor."""
    return _compare(LogicalOr, input, other, "logical_or")


def logical_xor(input, other):
    """Elementwise ``xor`` of truth values; a bool tensor."""
    return _compare(LogicalXor, input, other, "logical_xor")


def logical_not(input):
    """Elementwise ``not`` (zero is False); a bool tensor."""
    return LogicalNot.apply(check_tensor(input, "logical_not"))


def _bitwise(fn, input, other, op):
    a, b = binary_operands(check_tensor(input, op), other, op)
    if _is_float(a):
        raise RuntimeError(f"{op}: expected bool or integer tensors, got {a.dtype}")
    return _apply(fn, op, a, b)


def bitwise_and(input, other):
    """input & other for bool and integer tensors, broadcast."""
    return _bitwise(BitwiseAnd, input, other, "bitwise_and")


def bitwise_or(input, other):
    """input | other for bool and integer tensors, broadcast."""
    return _bitwise(BitwiseOr, input, other, "bitwise_or")


def bitwise_xor(input, other):
    """input ^ other for bool and integer tensors, broadcast."""
    return _bitwise(BitwiseXor, input, other, "bitwise_xor")


def bitwise_not(input):
    """~input: bits flipped for integers, logical not for bools."""
    if _is_float(check_tensor(input, "bitwise_not")):
        raise RuntimeError(f"bitwise_not: expected a bool or integer tensor, got {input.dtype}")
    return BitwiseNot.apply(input)


# ---- selection: where, clamp, maximum, minimum, fmax, fmin ----------------------

class Clamp(Function):
    """min(max(x, lo), hi); either bound may be None, a Tensor or a number."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = ctx.xp
        ctx.save_for_backward(x, lo, hi)
        y = x if lo is None else xp.maximum(x, lo)
        return y if hi is None else xp.minimum(y, hi)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = glo = ghi = None
        if need[0]:  # ties pass the gradient to x, as in PyTorch
            inside = x >= lo if lo is not None else None
            if hi is not None:
                inside = x <= hi if inside is None else logical_and(inside, x <= hi)
            gx = where(inside, g, 0.0)
        if need[1]:  # lo wins below it, unless lo > hi (then hi wins everywhere)
            below = x < lo if hi is None else logical_and(x < lo, lo < hi)
            glo = where(below, g, 0.0)
        if need[2]:
            above = x > hi if lo is None else logical_or(x > hi, hi < lo)
            ghi = where(above, g, 0.0)
        return gx, glo, ghi


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch's names
    """input limited to [min, max]; bounds are numbers or Tensors (broadcast), either may be None.

    Where min > max the result is max. The gradient passes where min <= input
    <= max (ties included), as in PyTorch; a Tensor bound gets it where it is the result.
    """
    check_tensor(input, "clamp")
    lo, hi = _number(min, "clamp", "min"), _number(max, "clamp", "max")
    if lo is None and hi is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    dtype = _result_dtype(input, lo, hi)
    if dtype is _dt.bool_:
        raise RuntimeError("clamp: not supported for bool tensors with bool bounds")
    return _apply(Clamp, "clamp", input.to(dtype), _cast(lo, dtype), _cast(hi, dtype))


def clamp_min(input, min):  # noqa: A002
    """input limited below by ``min`` (a number or a Tensor)."""
    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    """input limited above by ``max`` (a number or a Tensor)."""
    return clamp(input, max=max)


clip = clamp


class Where(Function):
    """a where cond is True, else b."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return ctx.xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (None, where(cond, g, 0.0) if need[1] else None,
                where(cond, 0.0, g) if need[2] else None)


def where(condition, input=None, other=None):
    """``input`` where ``condition`` is True, else ``other``; broadcast.

    ``input`` and ``other`` may be Tensors or numbers; they meet at PyTorch's
    result dtype. ``condition`` must be a bool tensor. With ``condition``
    alone (any dtype), the indices of its non-zero elements, one tensor per
    dimension: ``nonzero(condition, as_tuple=True)``, as PyTorch.
    """
    check_tensor(condition, "where", "condition")
    if input is None and other is None:
        from ember.ops.sorting import nonzero  # sorting builds on this module
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: expected both input and other, got only one of them")
    if condition._array.dtype != np.bool_:
        raise RuntimeError(f"where: expected condition to be a bool tensor, got {condition.dtype}")
    input, other = _number(input, "where", "input"), _number(other, "where", "other")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = full((), input, dtype=_dt.scalar_dtype(input), device=condition.device)
    if isinstance(input, Tensor):
        a, b = binary_operands(input, other, "where")
    else:  # a number meets a Tensor as a scalar, never as a 0-d tensor
        b, a = binary_operands(other, input, "where")
    return _apply(Where, "where", condition, a, b)


class Maximum(Function):
    """The larger of a and b (nan if either is nan)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_ties(g, a, b, a < b, a > b, ctx.needs_input_grad)


class Minimum(Function):
    """The smaller of a and b (nan if either is nan)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_ties(g, a, b, a > b, a < b, ctx.needs_input_grad)


def _split_ties(g, a, b, a_loses, b_loses, need):
    """PyTorch's rule for maximum/minimum: the winner gets g, tied inputs g / 2 each."""
    shared = where(a == b, g * 0.5, g)
    return (where(a_loses, 0.0, shared) if need[0] else None,
            where(b_loses, 0.0, shared) if need[1] else None)


class Fmax(Function):
    """The larger of a and b, ignoring a nan (nan only if both are)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.fmax(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _pick(g, logical_or(a >= b, isnan(b)), ctx.needs_input_grad)


class Fmin(Function):
    """The smaller of a and b, ignoring a nan (nan only if both are)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.fmin(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _pick(g, logical_or(a <= b, isnan(b)), ctx.needs_input_grad)


def _pick(g, a_wins, need):
    """PyTorch's rule for fmax/fmin: the whole gradient to the chosen input (a on ties)."""
    return (where(a_wins, g, 0.0) if need[0] else None,
            where(a_wins, 0.0, g) if need[1] else None)


def maximum(input, other):
    """Elementwise maximum, broadcast; nan if either is nan. Ties split the gradient."""
    return _apply(Maximum, "maximum", *binary_operands(check_tensor(input, "maximum"), other,
                                                        "maximum"))


def minimum(input, other):
    """Elementwise minimum, broadcast; nan if either is nan. Ties split the gradient."""
    return _apply(Minimum, "minimum", *binary_operands(check_tensor(input, "minimum"), other,
                                                        "minimum"))


def fmax(input, other):
    """Elementwise maximum that ignores nan (nan only where both are), broadcast."""
    return _apply(Fmax, "fmax", *binary_operands(check_tensor(input, "fmax"), other, "fmax"))


def fmin(input, other):
    """Elementwise minimum that ignores nan (nan only where both are), broadcast."""
    return _apply(Fmin, "fmin", *binary_operands(check_tensor(input, "fmin"), other, "fmin"))



# Tensor methods bound from this module (see ember/_tensor_methods.py), and
# the ops that also get an in-place ``name_`` method. ``where`` is no method
# here: Tensor.where(condition, other) takes self as *input*, not condition.
__inplace__ = ("eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal",
               "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor",
               "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "clamp",
               "clip", "clamp_min", "clamp_max")
__methods__ = __inplace__ + ("equal", "isclose", "allclose", "isnan", "isinf", "isposinf",
                             "isneginf", "isfinite", "signbit", "maximum", "minimum", "fmax",
                             "fmin")
