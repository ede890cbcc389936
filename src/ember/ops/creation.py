"""Factories: ``tensor``, ``zeros``, ``arange``, ``randn`` and friends.

Every factory follows PyTorch's dtype rules: Python floats give the default
float dtype (float32), Python ints int64, bools bool; NumPy arrays and
scalars and Ember tensors keep their own dtype; a sequence mixing these
gets the promotion of all its elements (``[1, 2.5]`` -> float32).
"""

import builtins
import functools
import math
from collections.abc import Sequence

import numpy as np

from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.backend.device import array_module, as_device
from ember.backend.random import rng
from ember.ops._util import shape_arg
from ember.tensor import Tensor

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
           "randint_like", "arange", "linspace", "logspace", "eye", "rand", "randn", "randint",
           "randperm", "normal", "bernoulli", "multinomial", "scalar_tensor"]

_SCALAR_TYPES = (builtins.bool, builtins.int, builtins.float)
_SCALAR_SET = set(_SCALAR_TYPES)


def _finish(arr, dtype, device, requires_grad, op):
    """Wrap a NumPy array as a leaf tensor of ``dtype`` on ``device``."""
    if dtype is not None:
        arr = arr.astype(_dt.as_dtype(dtype).np, copy=False)
    dev = as_device(device)
    if dev.type != "cpu":
        xp = array_module(dev)
        with xp.cuda.Device(dev.index):
            arr = xp.asarray(arr)
    t = Tensor._wrap(arr, False, None, 0)
    if requires_grad:
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"{op}: only floating point tensors can require gradients, "
                               f"got dtype {t.dtype}")
        t.requires_grad = True
    return t


def _host(x):
    """The host (NumPy) array of a Tensor or a NumPy/CuPy array."""
    a = x._array if isinstance(x, Tensor) else x
    return a if type(a) is np.ndarray else a.get()


# ---- from data ----------------------------------------------------------------

def _infer_dtype(data, op):
    """PyTorch's dtype for ``data``: the promotion of the dtypes of all its elements."""
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, (np.ndarray, np.generic)):
        return _supported(data.dtype, op)
    if isinstance(data, _SCALAR_TYPES):
        return _dt.scalar_dtype(data)
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        result = None
        # Grouping by exact type keeps long flat lists of Python numbers fast.
        for kind in set(map(type, data)):
            if kind in _SCALAR_TYPES:
                d = _dt.scalar_dtype(kind())
            else:
                d = None
                for x in data:
                    if type(x) is kind:
                        xd = _infer_dtype(x, op)
                        d = xd if d is None else _dt.promote_types(d, xd)
            result = d if result is None else _dt.promote_types(result, d)
        return result if result is not None else _dt.get_default_dtype()
    if hasattr(data, "__array__"):
        return _supported(np.asarray(data).dtype, op)
    raise TypeError(f"{op}: could not infer a dtype for data of type {type(data).__name__}; "
                    "expected numbers, (nested) sequences of numbers, arrays or tensors")


def _supported(np_dtype, op):
    if np_dtype.kind in "iufb" and not np_dtype.isnative:
        np_dtype = np_dtype.newbyteorder("=")
    try:
        return _dt.from_numpy_dtype(np_dtype)
    except TypeError as e:
        raise TypeError(f"{op}: {e}") from None


def _plain(data, op, top=True):
    """``data`` as NumPy reads it: tensors in sequences become numbers, as in PyTorch."""
    if isinstance(data, Tensor):
        if top:
            return _host(data)
        if data._array.size != 1:
            raise ValueError(f"{op}: only one-element tensors can be elements of a sequence, "
                             f"got one of shape {list(data.shape)}")
        return data.item()
    if isinstance(data, (np.ndarray, np.generic, str, bytes)):
        return data
    if hasattr(data, "__array__"):
        return np.asarray(data)  # array-likes (a torch tensor...) on their own terms
    if isinstance(data, Sequence) and not set(map(type, data)) <= _SCALAR_SET:
        return [_plain(x, op, top=False) for x in data]
    return data  # a number, or a row of Python numbers: nothing to replace


def _array_from_data(data, dtype, op):
    """A new host array holding ``data`` with PyTorch's inferred (or the given) dtype."""
    inferred, plain = _infer_dtype(data, op), _plain(data, op)
    # A floating dtype is built straight from the data: through the inferred
    # dtype first, Python floats given dtype=float64 would be rounded to float32
    # on the way. Integer ones go through the inferred dtype, so that values
    # out of range wrap as in PyTorch (uint8 -1 -> 255).
    wanted = None if dtype is None else _dt.as_dtype(dtype)
    target = wanted if wanted is not None and wanted.is_floating_point else inferred
    try:
        arr = np.array(plain, dtype=target.np)
    except ValueError as e:
        raise ValueError(f"{op}: expected a (nested) sequence of equal-length sequences of "
                         f"numbers ({e})") from None
    except OverflowError:
        raise RuntimeError(f"{op}: a value in the data overflows {target}") from None
    if wanted is not None and wanted is not target:
        arr = arr.astype(wanted.np, copy=False)
    return arr


def tensor(data, *, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor holding a copy of ``data``.

    Args:
        data: a number, a (nested) sequence of numbers or one-element tensors,
            a NumPy array or scalar, or a Tensor (copied, without its graph).
        dtype: the element type; default: inferred as PyTorch does.
        device: where to put it (default: cpu).
        requires_grad: make a leaf that records operations (floating dtypes only).
    """
    return _finish(_array_from_data(data, dtype, "tensor"), None, device, requires_grad, "tensor")


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory with a Tensor or NumPy array when it can.

    A Tensor comes back itself if dtype and device already match, else converted
    with ``to`` (keeping the graph).
    """
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, np.ndarray) and _supported(data.dtype, "as_tensor").np == data.dtype:
        return _finish(data, dtype, device, False, "as_tensor")
    return _finish(_array_from_data(data, dtype, "as_tensor"), None, device, False, "as_tensor")


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """``obj`` as a tensor, sharing memory unless ``copy`` or a conversion needs a new one.

    Args:
        copy: None shares when possible; True always copies; False raises when
            sharing is impossible (a dtype or device change, Python data).
        requires_grad: None keeps a Tensor's own flag (False otherwise); True
            makes the result require grad (a leaf ``obj`` is marked in place,
            as PyTorch does, since the result is ``obj`` itself).
    """
    if isinstance(obj, (Tensor, np.ndarray)):
        src_dtype = obj.dtype if isinstance(obj, Tensor) else _supported(obj.dtype, "asarray")
        src_device = obj.device if isinstance(obj, Tensor) else as_device("cpu")
        changes = (dtype is not None and _dt.as_dtype(dtype) is not src_dtype) or \
                  (device is not None and as_device(device) != src_device)
        if copy is False and changes:
            raise ValueError(f"asarray: can't alias {src_dtype} data on {src_device} into "
                             f"dtype {dtype} on {device} (copy=False)")
        if isinstance(obj, Tensor):
            out = obj.to(dtype=dtype, device=device)
            if copy and out is obj:
                out = obj.clone()
            if requires_grad is False and out.requires_grad:
                out = out.detach()
        else:
            out = _finish(obj.copy() if copy else obj, dtype, device, False, "asarray")
    else:
        if copy is False:
            raise ValueError(f"asarray: can't alias {type(obj).__name__} data into a tensor "
                             "(copy=False)")
        out = tensor(obj, dtype=dtype, device=device)
    if requires_grad and not out.requires_grad:
        out.requires_grad_()
    return out


def from_numpy(ndarray):
    """A tensor sharing memory with a NumPy array (dtype kept)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(ndarray).__name__}")
    if not ndarray.dtype.isnative:
        raise ValueError("from_numpy: the array's byte order differs from the machine's; "
                         "convert it with arr.astype(arr.dtype.newbyteorder('='))")
    _supported(ndarray.dtype, "from_numpy")
    return Tensor._wrap(ndarray, False, None, 0)


# ---- filled ---------------------------------------------------------------------

def _filled(op, size, make, dtype, device, requires_grad):
    """``make(shape, np_dtype)`` (np.zeros...) as a tensor, after checking the size."""
    shape = shape_arg(size, op)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: trying to create a tensor with negative dimension in "
                           f"{list(shape)}")
    np_dtype = _dt.as_dtype(dtype or _dt.get_default_dtype()).np
    return _finish(make(shape, np_dtype), None, device, requires_grad, op)


def _sizes(size, op):
    if not size:
        raise TypeError(f"{op}: missing the size argument (use {op}(()) for a 0-d tensor)")
    return size


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros; ``size`` as ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _filled("zeros", _sizes(size, "zeros"), np.zeros, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones; ``size`` as ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _filled("ones", _sizes(size, "ones"), np.ones, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor; ``size`` as ``empty(2, 3)`` or ``empty((2, 3))``."""
    return _filled("empty", _sizes(size, "empty"), np.empty, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of shape ``size`` filled with ``fill_value``.

    The dtype defaults to the value's: bool, int64 or the default float.
    """
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if isinstance(fill_value, np.generic):
        fill_value = fill_value.item()
    if not isinstance(fill_value, _SCALAR_TYPES):
        raise TypeError(f"full: expected a number as fill_value, got {type(fill_value).__name__}")
    dtype = _dt.as_dtype(_dt.scalar_dtype(fill_value) if dtype is None else dtype)
    value = _checked_fill(fill_value, dtype)
    return _filled("full", (size,) if isinstance(size, builtins.int) else size,
                   lambda shape, np_dtype: np.full(shape, value, np_dtype), dtype, device,
                   requires_grad)


@functools.lru_cache(maxsize=None)
def _float_max(dtype):
    return _dt.finfo(dtype).max


def _checked_fill(value, dtype):
    """``value`` converted for ``dtype``, refusing overflow as PyTorch does."""
    if dtype is _dt.bool_:
        return builtins.bool(value)
    if dtype.is_floating_point:
        value = builtins.float(value)
        if math.isfinite(value) and abs(value) > _float_max(dtype):
            raise RuntimeError(f"full: value {value} cannot be converted to {dtype} without "
                               "overflow")
        return value
    info = _dt.iinfo(dtype)
    if not math.isfinite(value):
        raise RuntimeError(f"full: value {value} cannot be converted to {dtype} without overflow")
    value = builtins.int(value)
    # Unsigned types also take negatives down to -max, wrapping them (two's complement).
    low = -info.max if info.min == 0 else info.min
    if not low <= value <= info.max:
        raise RuntimeError(f"full: value {value} cannot be converted to {dtype} without overflow")
    return value % (info.max + 1) if value < 0 and info.min == 0 else value


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor holding ``s`` (the default float dtype unless ``dtype``)."""
    return full((), s, dtype=dtype or _dt.get_default_dtype(), device=device,
                requires_grad=requires_grad)


def _like(input, dtype, device, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected input to be a Tensor, got {type(input).__name__}")
    return (dtype if dtype is not None else input.dtype,
            device if device is not None else input.device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Zeros with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device, "zeros_like")
    return zeros(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Ones with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device, "ones_like")
    return ones(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Uninitialised, with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device, "empty_like")
    return empty(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    """``fill_value`` everywhere, with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device, "full_like")
    return full(input.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``)."""
    m = n if m is None else m
    if n < 0 or m < 0:
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    arr = np.eye(n, m, dtype=_dt.as_dtype(dtype or _dt.get_default_dtype()).np)
    return _finish(arr, None, device, requires_grad, "eye")


# ---- ranges -------------------------------------------------------------------

def _number(v, op, name):
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, np.generic):
        v = v.item()
    if not isinstance(v, _SCALAR_TYPES):
        raise TypeError(f"{op}: expected {name} to be a number, got {type(v).__name__}")
    return v


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) every ``step``; ``arange(end)`` starts at 0.

    int64 when all arguments are integers, else the default float dtype.
    The length is ``ceil((end - start) / step)``.
    """
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, "arange", n) for v, n in ((start, "start"), (end, "end"),
                                                              (step, "step")))
    if dtype is None:
        floats = any(isinstance(v, builtins.float) for v in (start, end, step))
        dtype = _dt.get_default_dtype() if floats else _dt.int64
    dtype = _dt.as_dtype(dtype)
    if not all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end}")
    # For integer dtypes PyTorch truncates the arguments to integers first; the
    # length uses the truncated values for int64 only, the originals otherwise.
    float_length = math.ceil((end - start) / step) if step != 0 else 0
    if not dtype.is_floating_point:
        start, end, step = builtins.int(start), builtins.int(end), builtins.int(step)
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype.is_floating_point:
        arr = start + np.arange(float_length, dtype=np.float64) * step
    else:
        n = (end - start + step - (1 if step > 0 else -1)) // step if dtype is _dt.int64 \
            else float_length
        arr = start + np.arange(n, dtype=np.int64) * step
    return _finish(arr, dtype, device, requires_grad, "arange")


def _steps(steps, op):
    if not isinstance(steps, (builtins.int, np.integer)) or isinstance(steps, builtins.bool):
        raise TypeError(f"{op}: expected steps to be an int, got {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError(f"{op}: number of steps must be non-negative, got {steps}")
    return builtins.int(steps)


# A wider type in which start + step * i is exact, so that one rounding back
# gives the fused multiply-add PyTorch's vectorised kernel computes.
_FMA_WIDE = {np.dtype(np.float32): np.dtype(np.float64),
             np.dtype(np.float64): np.dtype(np.longdouble)}


def _symmetric_grid(start, end, steps, np_dtype, fused=True):
    """PyTorch's linspace points: from ``start`` for the first half, from ``end`` for the rest.

    Computing the second half backwards from ``end`` makes the last point exact.
    With ``fused``, each point is ``start + step * i`` rounded once (a fused
    multiply-add), as PyTorch's linspace kernel computes it; rounding the
    product first differs from it in the last place for about half of all
    float32 grids.
    """
    step = (end - start) / np_dtype.type(steps - 1)
    wide = _FMA_WIDE.get(np_dtype, np_dtype) if fused else np_dtype
    i = np.arange(steps).astype(wide)
    step, start, end = wide.type(step), wide.type(start), wide.type(end)
    grid = np.where(i < steps // 2, start + step * i, end - step * (wide.type(steps - 1) - i))
    return grid.astype(np_dtype)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end = _number(start, "linspace", "start"), _number(end, "linspace", "end")
    steps = _steps(steps, "linspace")
    dtype = _dt.as_dtype(dtype or _dt.get_default_dtype())
    # Floats are computed in their own dtype, integers in float64 then truncated, as in PyTorch.
    work = dtype.np if dtype.is_floating_point else np.dtype(np.float64)
    if steps == 1:
        arr = np.array([start], dtype=work)
    else:
        first, last = np.array([start, end]).astype(dtype.np).astype(work)
        arr = _symmetric_grid(first, last, steps, work)
    return _finish(arr, dtype, device, requires_grad, "linspace")


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``base ** linspace(start, end, steps)``, computed in float64 and then cast."""
    start, end = _number(start, "logspace", "start"), _number(end, "logspace", "end")
    steps = _steps(steps, "logspace")
    dtype = _dt.as_dtype(dtype or _dt.get_default_dtype())
    first, last = np.array([start, end]).astype(dtype.np).astype(np.float64)
    exponents = np.array([first]) if steps == 1 else _symmetric_grid(
        first, last, steps, np.dtype(np.float64), fused=False)
    arr = float(_number(base, "logspace", "base")) ** exponents
    return _finish(arr, dtype, device, requires_grad, "logspace")


# ---- random -------------------------------------------------------------------

_MANTISSA_BITS = {"float16": 11, "bfloat16": 8}  # counting the implicit leading bit


def _float_dtype(dtype, op):
    dtype = _dt.as_dtype(dtype or _dt.get_default_dtype())
    if not dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating dtype, got {dtype}")
    return dtype


def _uniform01(gen, shape, dtype):
    """Uniform samples on [0, 1) that stay below 1 after rounding to ``dtype``."""
    if dtype.name in _MANTISSA_BITS:  # multiples of 2**-bits: exact in the small dtype
        bits = _MANTISSA_BITS[dtype.name]
        return gen.integers(0, 2**bits, shape) * 2.0**-bits
    return gen.random(shape, dtype=np.float32 if dtype is _dt.float32 else np.float64)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Samples from the uniform distribution on [0, 1)."""
    dtype = _float_dtype(dtype, "rand")
    arr = _uniform01(rng(generator, "rand"), shape_arg(_sizes(size, "rand"), "rand"), dtype)
    return _finish(arr, dtype, device, requires_grad, "rand")


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Samples from the standard normal distribution."""
    dtype = _float_dtype(dtype, "randn")
    shape = shape_arg(_sizes(size, "randn"), "randn")
    work = np.float32 if dtype is _dt.float32 else np.float64
    arr = rng(generator, "randn").standard_normal(shape, dtype=work)
    return _finish(arr, dtype, device, requires_grad, "randn")


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:  # randint(high, size): the size is in the high slot
        if not isinstance(high, (tuple, list)):
            raise TypeError("randint: expected a size tuple, as randint(low, high, size) or "
                            "randint(high, size)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    low, high = _number(low, "randint", "low"), _number(high, "randint", "high")
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    dtype = _dt.as_dtype(dtype or _dt.int64)
    if not dtype.is_floating_point:
        info = _dt.iinfo(dtype)
        if low < info.min or high - 1 > info.max:
            raise RuntimeError(f"randint: expected low and high - 1 within the range of {dtype} "
                               f"[{info.min}, {info.max}], got low={low}, high={high}")
    arr = rng(generator, "randint").integers(low, high, size=shape_arg((size,), "randint"))
    return _finish(arr, dtype, device, requires_grad, "randint")


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1`` (int64 by default)."""
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    arr = rng(generator, "randperm").permutation(n)
    return _finish(arr, dtype or _dt.int64, device, requires_grad, "randperm")


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    """Uniform [0, 1) samples with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device, "rand_like")
    dt = _float_dtype(dt, "rand_like")
    return rand(input.shape, generator=generator, dtype=dt, device=dev,
                requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False,
               memory_format=None):
    """Standard normal samples with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device, "randn_like")
    dt = _float_dtype(dt, "randn_like")
    return randn(input.shape, generator=generator, dtype=dt, device=dev,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None,
                 requires_grad=False, memory_format=None):
    """Integers on [low, high) with ``input``'s shape: ``(x, high)`` or ``(x, low, high)``."""
    if high is None:
        low, high = 0, low
    dt, dev = _like(input, dtype, device, "randint_like")
    return randint(low, high, input.shape, generator=generator, dtype=dt, device=dev,
                   requires_grad=requires_grad)


class Sample(Function):
    """Draw from a distribution whose parameters are tensors.

    Sampling is not reparameterised: as in PyTorch, the result requires grad
    when a parameter does, and the gradient of every parameter is zero.
    """

    @staticmethod
    def forward(ctx, draw, *params):
        ctx.param_shapes = [p.shape for p in params]
        return draw(*params)

    @staticmethod
    def backward(ctx, g):
        return (None,) + tuple(zeros(s, dtype=g.dtype, device=g.device) for s in ctx.param_shapes)


def _param(value, op, name):
    """A float tensor parameter, or a Python float."""
    if isinstance(value, Tensor):
        if not value.dtype.is_floating_point:
            raise TypeError(f"{op}: expected {name} of a floating dtype, got {value.dtype}")
        return value
    return builtins.float(_number(value, op, name))


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Normal samples with the given ``mean`` and ``std`` (numbers or tensors, broadcast).

    With two numbers, ``size`` is required; with a tensor, the shape is the
    broadcast of ``mean`` and ``std``.
    """
    mean, std = _param(mean, "normal", "mean"), _param(std, "normal", "std")
    tensors = [p for p in (mean, std) if isinstance(p, Tensor)]
    gen = rng(generator, "normal")
    if not tensors:
        if size is None:
            raise TypeError("normal: with a number mean and std, expected a size argument")
        if std < 0:
            raise RuntimeError(f"normal: expected std >= 0.0, got std {std}")
        dtype = _float_dtype(dtype, "normal")
        arr = gen.normal(mean, std, shape_arg((size,), "normal"))
        return _finish(arr, dtype, device, requires_grad, "normal")
    if size is not None or dtype is not None or device is not None or requires_grad:
        raise TypeError("normal: size, dtype, device and requires_grad are only accepted when "
                        "mean and std are both numbers")
    if isinstance(std, Tensor) and bool((std._array < 0).any()):
        raise RuntimeError("normal: expected all elements of std >= 0.0")
    like = tensors[0]
    out_dtype = like.dtype if len(tensors) == 1 else _dt.promote_types(mean.dtype, std.dtype)

    def draw(*arrays):
        given = iter(arrays)
        m, s = (_host(next(given)) if isinstance(p, Tensor) else p for p in (mean, std))
        out = gen.normal(m, s, np.broadcast_shapes(np.shape(m), np.shape(s)))
        return _on_device_of(out.astype(out_dtype.np), like)
    return Sample.apply(draw, *tensors)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or the number ``p``) elementwise, else 0; ``input``'s dtype."""
    if not isinstance(input, Tensor) or not input.dtype.is_floating_point:
        got = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise TypeError(f"bernoulli: expected a floating point tensor of probabilities, got {got}")
    probs = _host(input) if p is None else _number(p, "bernoulli", "p")
    if not np.all((probs >= 0) & (probs <= 1)):
        raise RuntimeError("bernoulli: expected all probabilities in [0, 1]")
    gen = rng(generator, "bernoulli")

    def draw(_):
        hits = gen.random(input.shape) < probs
        return _on_device_of(hits.astype(input._array.dtype), input)
    return Sample.apply(draw, input)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw ``num_samples`` category indices from each row of non-negative weights.

    Args:
        input: 1-D weights, or 2-D with one distribution per row (need not sum to 1).
        num_samples: how many indices to draw per distribution.
        replacement: draw with replacement; without it, each category at most once.
    Returns:
        int64 indices of shape ``(num_samples,)`` or ``(rows, num_samples)``.
    """
    if not isinstance(input, Tensor) or not input.dtype.is_floating_point:
        got = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise TypeError(f"multinomial: expected a floating point tensor of weights, got {got}")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: expected 1-D or 2-D weights, got {input.ndim}-D")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample num_samples={num_samples} <= 0 samples")
    rows = _host(input).astype(np.float64).reshape(-1, input.shape[-1])
    if not (np.isfinite(rows).all() and (rows >= 0).all()):
        raise RuntimeError("multinomial: weights must be finite and non-negative")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: each distribution's weights must have a positive sum")
    gen = rng(generator, "multinomial")
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        u = gen.random((rows.shape[0], num_samples))
        out = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        # Rounding can leave the last cdf value just under 1: clamp to the last
        # category of positive weight.
        last = rows.shape[1] - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)
        out = np.minimum(out, last[:, None])
    else:
        if num_samples > rows.shape[1]:
            raise RuntimeError(f"multinomial: cannot sample {num_samples} > {rows.shape[1]} "
                               "categories without replacement")
        if ((rows > 0).sum(axis=1) < num_samples).any():
            raise RuntimeError(f"multinomial: fewer than num_samples={num_samples} categories "
                               "have positive weight, cannot sample without replacement")
        # Exponential race: weight / Exp(1) ranks the categories like successive
        # draws without replacement; the largest num_samples keys win.
        keys = rows / gen.exponential(size=rows.shape)
        out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    out = out.reshape(input.shape[:-1] + (num_samples,))
    return _finish(out, _dt.int64, input.device, False, "multinomial")


def _on_device_of(arr, like):
    """A host array moved to the device of tensor ``like``."""
    if type(like._array) is np.ndarray:
        return arr
    xp = array_module(like.device)
    with xp.cuda.Device(like.device.index):
        return xp.asarray(arr)
