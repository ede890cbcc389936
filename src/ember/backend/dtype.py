"""Ember's dtypes and PyTorch's type-promotion rules.

A dtype is a small immutable object wrapping a NumPy dtype; bfloat16 comes
from ``ml_dtypes``. Promotion follows PyTorch, which differs from NumPy in
two ways that matter: a higher *category* (bool < integer < floating) always
wins regardless of width (int64 + float16 -> float16), and 0-d tensors and
Python scalars only decide the result when they are of a higher category
than every dimensioned tensor ("weak" operands).
"""

import builtins

import ml_dtypes
import numpy as np

__all__ = [
    "dtype", "float16", "bfloat16", "float32", "float64", "int8", "int16", "int32",
    "int64", "uint8", "bool_", "half", "float", "double", "short", "int", "long",
    "get_default_dtype", "set_default_dtype", "promote_types", "as_dtype", "finfo", "iinfo",
]


class dtype:
    """An element type. Compare with ``==``; ``.is_floating_point`` tells floats."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "category")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = category == 2
        self.is_signed = category == 2 or (category == 1 and self.np.kind == "i")
        self.itemsize = self.np.itemsize

    @property
    def is_complex(self):
        """Always False: Ember has no complex dtypes."""
        return False

    def to_real(self):
        """The dtype itself: Ember has no complex dtypes."""
        return self

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return (as_dtype, (self.name,))


float16 = dtype("float16", np.float16, 2)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
uint8 = dtype("uint8", np.uint8, 1)
bool_ = dtype("bool", np.bool_, 0)
half, float, double = float16, float32, float64  # noqa: A001 - PyTorch's aliases
short, int, long = int16, int32, int64  # noqa: A001

ALL = (float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8, bool_)
_FROM_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(half=half, float=float32, double=float64, short=int16, int=int32, long=int64)

_default_float = float32


def get_default_dtype():
    """The floating dtype that float Python data and factories produce (float32)."""
    return _default_float


def set_default_dtype(d):
    """Set the dtype of float Python data and float factories (float16/bfloat16/32/64)."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {d}")
    _default_float = d


def from_numpy_dtype(np_dtype):
    """The Ember dtype of a NumPy dtype; TypeError for unsupported ones."""
    d = _FROM_NP.get(np_dtype)
    if d is None:
        raise TypeError(f"unsupported NumPy dtype {np_dtype}; Ember supports "
                        + ", ".join(x.name for x in ALL))
    return d


def as_dtype(d):
    """Normalise an Ember dtype, a NumPy dtype, a Python type or a name to a dtype."""
    if type(d) is dtype:
        return d
    if isinstance(d, str):
        got = _BY_NAME.get(d.replace("ember.", "").replace("torch.", ""))
        if got is None:
            raise TypeError(f"unknown dtype name {d!r}")
        return got
    if d is builtins.float:
        return float64  # PyTorch: dtype=float means double
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    try:
        return from_numpy_dtype(np.dtype(d))
    except TypeError:
        raise TypeError(f"expected a dtype, got {d!r}") from None


def promote_types(a, b):
    """The dtype PyTorch gives to an op on two tensors of dtypes ``a`` and ``b``."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if {a, b} == {float16, bfloat16}:
        return float32
    return _FROM_NP[np.promote_types(a.np, b.np)]


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow ``from_`` to ``to`` in an op with an
    ``out=`` or in-place result: never to a lower category (bool < integer <
    floating), any width within one."""
    for position, (name, d) in enumerate((("from_", from_), ("to", to)), 1):
        if not isinstance(d, dtype):
            raise TypeError(f"can_cast(): argument '{name}' (position {position}) must be "
                            f"ember.dtype, not {type(d).__name__}")
    return from_.category <= to.category


def scalar_dtype(value):
    """The dtype PyTorch gives a Python scalar on its own."""
    if isinstance(value, builtins.bool):
        return bool_
    if isinstance(value, builtins.int):
        return int64
    return _default_float


def scalar_category(value):
    """0 for bool, 1 for int, 2 for float Python scalars."""
    if isinstance(value, builtins.bool):
        return 0
    if isinstance(value, builtins.int):
        return 1
    return 2


class finfo:
    """Machine limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny``...

    ``finfo()`` describes the default dtype.
    """

    def __init__(self, type=None):
        d = _default_float if type is None else as_dtype(type)
        if not d.is_floating_point:
            raise TypeError(f"finfo: requires a floating point dtype (use iinfo for integers), "
                            f"got {d}")
        info = ml_dtypes.finfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0 ** -builtins.int(info.precision)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype: ``bits``, ``min``, ``max``."""

    def __init__(self, type):
        d = as_dtype(type)
        if d.category != 1:
            raise TypeError(f"iinfo: requires an integer dtype (use finfo for floats), got {d}")
        info = np.iinfo(d.np)
        self.dtype = d.name
        self.bits, self.min, self.max = info.bits, builtins.int(info.min), builtins.int(info.max)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
