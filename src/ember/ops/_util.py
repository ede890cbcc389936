"""Helpers shared by the op families: dims, operands and PyTorch's promotion."""

import numbers

import numpy as np

from ember.backend import dtype as _dt
from ember.tensor import Tensor

_SCALARS = (bool, int, float)


def wrap_dim(dim, ndim, op):
    """A possibly negative ``dim`` as an index in ``range(ndim)``, or IndexError.

    0-d tensors accept dims -1 and 0, as in PyTorch.
    """
    n = ndim if ndim > 0 else 1
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: expected an integer dim, got {dim!r}")
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return int(dim) % n if ndim > 0 else 0


def wrap_dims(dims, ndim, op):
    """A dim, a sequence of dims or None (all) as a sorted tuple of axes."""
    if dims is None:
        return tuple(range(ndim))
    if not isinstance(dims, (tuple, list)):
        dims = (wrap_dim(dims, ndim, op),)
    axes = tuple(sorted({wrap_dim(d, ndim, op) for d in dims}))
    if len(axes) != len(tuple(dims)):
        raise RuntimeError(f"{op}: dim {tuple(dims)} appears multiple times in the list of dims")
    return axes if ndim > 0 else ()


def shape_arg(args, op):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        return tuple(s.__index__() for s in args)
    except AttributeError:
        raise TypeError(f"{op}: expected a sequence of ints, got {args!r}") from None


def as_operand(value, like):
    """A Python number, array or list as a Tensor on ``like``'s device.

    Python numbers get PyTorch's scalar dtype (float -> default float).
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, _SCALARS):
        arr = np.asarray(value, _dt.scalar_dtype(value).np)
    else:
        arr = np.asarray(value)
        if arr.dtype == np.float64 and not isinstance(value, np.ndarray):
            arr = arr.astype(_dt.get_default_dtype().np)  # lists of floats: default dtype
    if type(like._array) is not np.ndarray:
        arr = _xp(like).asarray(arr)
    return Tensor._wrap(arr, False, None, 0)


def _xp(t):
    from ember.backend.device import xp_of
    return xp_of(t._array)


def result_dtype(a, b):
    """PyTorch's result dtype for a binary op on Tensors/Python scalars ``a`` and ``b``."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = _dt.from_numpy_dtype(a._array.dtype), _dt.from_numpy_dtype(b._array.dtype)
        if da is db:
            return da
        za, zb = a._array.ndim == 0, b._array.ndim == 0
        if za == zb:
            return _dt.promote_types(da, db)
        dim_t, zero_t = (db, da) if za else (da, db)
        return zero_t if zero_t.category > dim_t.category else dim_t
    if not (ta or tb):
        return _dt.scalar_dtype(a if _dt.scalar_category(a) >= _dt.scalar_category(b) else b)
    t, s = (a, b) if ta else (b, a)
    dt = _dt.from_numpy_dtype(t._array.dtype)
    if _dt.scalar_category(s) > dt.category:
        return _dt.scalar_dtype(s)
    return dt


def binary_operands(input, other, op):
    """Bring two operands to PyTorch's common dtype.

    Returns ``(a, b)``: Tensors of one dtype, or a Tensor and a Python scalar
    that NumPy combines without changing the Tensor's dtype.
    """
    if type(input) is Tensor:
        if type(other) is Tensor:
            if input._array.dtype == other._array.dtype:
                return input, other
        elif type(other) is float:
            if input._array.dtype.kind == "f" or input._array.dtype == _BF16:
                return input, other
        elif type(other) is int:
            if input._array.dtype.kind in "iuf" or input._array.dtype == _BF16:
                return input, _checked_int(other, input, op)
    return _slow_operands(input, other, op)


_BF16 = _dt.bfloat16.np


def _checked_int(value, t, op):
    if t._array.dtype.kind in "iu":
        info = np.iinfo(t._array.dtype)
        if not info.min <= value <= info.max:
            raise RuntimeError(f"{op}: value {value} cannot be converted to type "
                               f"{t._array.dtype} without overflow")
    return value


def _slow_operands(input, other, op):
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError(f"{op}: expected at least one Tensor, got {type(input).__name__} "
                            f"and {type(other).__name__}")
        input = as_operand(input, other)
    if isinstance(other, np.generic):
        other = other.item()
    if not isinstance(other, (Tensor, bool, int, float)):
        if isinstance(other, (np.ndarray, list, tuple, numbers.Number)):
            other = as_operand(other, input)
        else:
            raise TypeError(f"{op}: expected a Tensor or a number as the second operand, "
                            f"got {type(other).__name__}")
    dt = result_dtype(input, other)
    if input._array.dtype != dt.np:
        input = input.to(dt)
    if isinstance(other, Tensor):
        if other._array.dtype != dt.np:
            other = other.to(dt)
    elif dt.category > _dt.scalar_category(other):
        other = dt.np.type(other).item() if dt is not _dt.bfloat16 else float(other)
    return input, other


def float_operand(t):
    """``t`` itself if floating, else cast to the default float (as PyTorch's exp(int))."""
    k = t._array.dtype.kind
    if k == "f" or t._array.dtype == _BF16:
        return t
    return t.to(_dt.get_default_dtype())


def check_tensor(x, op, name="input"):
    """Raise a TypeError naming ``op`` unless ``x`` is a Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(x).__name__}")
    return x


def fmt_shape(shape):
    """A shape as PyTorch prints it in messages: [2, 3]."""
    return "[" + ", ".join(str(s) for s in shape) + "]"


def broadcast_shapes(*shapes, op="broadcast"):
    """NumPy/PyTorch broadcast of shapes, with a clear error naming ``op``."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(f"{op}: shapes {' and '.join(fmt_shape(s) for s in shapes)} "
                           "cannot be broadcast together") from None


def apply_binary(fn, a, b, op):
    """``fn.apply(a, b)``, turning NumPy's broadcast failure into a clear error."""
    try:
        return fn.apply(a, b)
    except ValueError:
        sa, sb = getattr(a, "shape", ()), getattr(b, "shape", ())
        try:
            np.broadcast_shapes(tuple(sa), tuple(sb))
        except ValueError:
            raise RuntimeError(f"{op}: shapes {fmt_shape(sa)} and {fmt_shape(sb)} cannot be "
                               "broadcast together") from None
        raise
