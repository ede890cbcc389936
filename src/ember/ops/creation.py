"""Factories: ``tensor``, ``zeros``, ``arange``, ``randn`` and friends."""

import math

import numpy as np

from ember.backend import dtype as _dt
from ember.backend.device import array_module, as_device
from ember.backend.random import rng
from ember.ops._util import shape_arg
from ember.tensor import Tensor

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
           "randint_like", "arange", "linspace", "logspace", "eye", "rand", "randn", "randint",
           "randperm", "normal", "bernoulli", "multinomial", "scalar_tensor"]


def _finish(arr, dtype, device, requires_grad, op):
    dev = as_device(device)
    if dtype is not None:
        arr = arr.astype(_dt.as_dtype(dtype).np, copy=False)
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


def _infer_array(data):
    """A NumPy array from Python data, with PyTorch's default dtypes."""
    if isinstance(data, Tensor):
        return data.data if type(data.data) is np.ndarray else data.data.get()
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _to_lists(data)
    arr = np.asarray(data)
    if arr.dtype == np.float64 and not isinstance(data, np.floating):
        arr = arr.astype(_dt.get_default_dtype().np)
    elif arr.dtype.kind == "i" and arr.dtype != np.int64:
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "biuf" and not (arr.dtype.kind == "V" and arr.dtype == _dt.bfloat16.np):
        raise TypeError(f"tensor: could not infer a dtype for data of type {type(data).__name__} "
                        f"(NumPy saw {arr.dtype})")
    return arr


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _to_lists(data):
    return [_to_lists(x) if isinstance(x, (list, tuple)) else (x.item() if isinstance(x, Tensor) else x)
            for x in data]


def tensor(data, *, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, tensors).

    Floats default to float32, ints to int64, as in PyTorch.
    """
    arr = np.array(_infer_array(data), copy=True)
    return _finish(arr, dtype, device, requires_grad, "tensor")


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with ``data`` when it can."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    return _finish(_infer_array(data), dtype, device, False, "as_tensor")


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``as_tensor`` with ``copy=`` and ``requires_grad=`` (PyTorch's asarray)."""
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype, device)
    if requires_grad:
        t.requires_grad_()
    return t


def from_numpy(ndarray):
    """A tensor sharing memory with a NumPy array (dtype kept)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(ndarray).__name__}")
    _dt.from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray, False, None, 0)


def _filled(op, size, value, dtype, device, requires_grad):
    shape = shape_arg(size, op)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: trying to create a tensor with negative dimension in {list(shape)}")
    if dtype is None:
        dtype = _dt.scalar_dtype(value) if op == "full" else _dt.get_default_dtype()
    dtype = _dt.as_dtype(dtype)
    xp = array_module(as_device(device))
    if value is None:
        arr = xp.empty(shape, dtype.np)
    else:
        arr = xp.full(shape, value, dtype.np)
    return _finish(arr, None, device if xp is not np else None, requires_grad, op)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of shape ``size``."""
    return _filled("zeros", size, 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of shape ``size``."""
    return _filled("ones", size, 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor of shape ``size``."""
    return _filled("empty", size, None, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of shape ``size`` filled with ``fill_value`` (dtype from the value)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled("full", (size,) if isinstance(size, int) else size, fill_value, dtype,
                   device, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor holding ``s`` (default float dtype)."""
    return full((), s, dtype=dtype or _dt.get_default_dtype(), device=device,
                requires_grad=requires_grad)


def _like(input, dtype, device):
    return (dtype if dtype is not None else input.dtype,
            device if device is not None else input.device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Zeros with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return zeros(input.data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Ones with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return ones(input.data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Uninitialised, with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return empty(input.data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """``fill_value`` everywhere, with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return full(input.data.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) every ``step``.

    int64 when all arguments are integers, else the default float dtype.
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={vals[0]}, end={vals[1]}, step={vals[2]})")
    if dtype is None:
        dtype = _dt.int64 if all(isinstance(v, int) for v in vals) else _dt.get_default_dtype()
    n = max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    arr = (vals[0] + np.arange(n, dtype=np.float64) * vals[2]) if _dt.as_dtype(dtype).is_floating_point \
        else np.arange(vals[0], vals[1], vals[2], dtype=np.int64)
    return _finish(arr, dtype, device, requires_grad, "arange")


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    arr = np.linspace(float(start), float(end), steps)
    return _finish(arr, dtype or _dt.get_default_dtype(), device, requires_grad, "linspace")


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``base ** linspace(start, end, steps)``."""
    arr = float(base) ** np.linspace(float(start), float(end), steps)
    return _finish(arr, dtype or _dt.get_default_dtype(), device, requires_grad, "logspace")


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    arr = np.eye(n, n if m is None else m)
    return _finish(arr, dtype or _dt.get_default_dtype(), device, requires_grad, "eye")


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples on [0, 1)."""
    arr = rng(generator).random(shape_arg(size, "rand"))
    return _finish(arr, dtype or _dt.get_default_dtype(), device, requires_grad, "rand")


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    arr = rng(generator).standard_normal(shape_arg(size, "randn"))
    return _finish(arr, dtype or _dt.get_default_dtype(), device, requires_grad, "randn")


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers uniform on [low, high); ``randint(high, size)`` starts at 0."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: expected a size tuple, as randint(low, high, size) or "
                            "randint(high, size)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    arr = rng(generator).integers(low, high, size=tuple(size))
    return _finish(arr, dtype or _dt.int64, device, requires_grad, "randint")


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1."""
    return _finish(rng(generator).permutation(n), dtype or _dt.int64, device, requires_grad,
                   "randperm")


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform [0, 1) with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return rand(input.data.shape, generator=generator, dtype=dt, device=dev,
                requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal with ``input``'s shape, dtype and device."""
    dt, dev = _like(input, dtype, device)
    return randn(input.data.shape, generator=generator, dtype=dt, device=dev,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None):
    """Integers on [low, high) with ``input``'s shape."""
    if high is None:
        low, high = 0, low
    dt, dev = _like(input, dtype, device)
    return randint(low, high, input.data.shape, generator=generator, dtype=dt, device=dev)


def normal(mean, std, size=None, *, generator=None, dtype=None, device=None):
    """Normal samples; ``mean``/``std`` are numbers or tensors (broadcast)."""
    m = mean.data if isinstance(mean, Tensor) else mean
    s = std.data if isinstance(std, Tensor) else std
    shape = tuple(size) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    arr = rng(generator).normal(m, s, size=shape)
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    return _finish(arr, dtype or (like.dtype if like is not None else _dt.get_default_dtype()),
                   device, False, "normal")


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or ``p``) elementwise, else 0."""
    probs = input.data if p is None else np.full(input.data.shape, p)
    if ((probs < 0) | (probs > 1)).any():
        raise RuntimeError("bernoulli: expected all probabilities in [0, 1]")
    arr = (rng(generator).random(input.data.shape) < probs)
    return _finish(arr, input.dtype, input.device, False, "bernoulli")


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw ``num_samples`` category indices per row from (unnormalised) weights."""
    w = np.asarray(input.data if type(input.data) is np.ndarray else input.data.get(), np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: expected a 1-D or 2-D weight tensor, got {w.ndim}-D")
    if (w < 0).any() or not np.isfinite(w).all():
        raise RuntimeError("multinomial: weights must be finite and non-negative")
    rows = w.reshape(-1, w.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"multinomial: cannot sample {num_samples} > {rows.shape[1]} "
                           "categories without replacement")
    g = rng(generator)
    out = np.empty((rows.shape[0], num_samples), np.int64)
    for i, r in enumerate(rows):
        total = r.sum()
        if total <= 0:
            raise RuntimeError("multinomial: each row of weights must have a positive sum")
        if replacement:
            out[i] = g.choice(r.size, size=num_samples, p=r / total)
        else:
            # Gumbel top-k: sampling without replacement in one pass.
            keys = np.log(r) - np.log(-np.log(g.random(r.size)))
            out[i] = np.argsort(-keys, kind="stable")[:num_samples]
    out = out.reshape(w.shape[:-1] + (num_samples,))
    return _finish(out, _dt.int64, input.device, False, "multinomial")
