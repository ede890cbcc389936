"""More of PyTorch's long tail: random draws ``binomial`` and ``poisson``,
``nonzero_static``, Python callables applied in place (``apply_``, ``map_``,
``map2_``, CPU only, as in PyTorch), ``dim_order``, ``const_data_ptr``, and
DLPack exchange (``from_dlpack``, ``Tensor.__dlpack__``), which shares memory
with NumPy, PyTorch, CuPy or JAX arrays without a copy."""

import numpy as np

from ember.backend.random import rng
from ember.ops._util import check_tensor
from ember.ops.creation import Sample, _host, _on_device_of
from ember.tensor import Tensor, channels_last

__all__ = ["binomial", "poisson", "nonzero_static", "from_dlpack"]


def _float_tensor(t, op, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(t).__name__}")
    if not t.dtype.is_floating_point:
        raise ValueError(f"{op} only supports floating-point dtypes for {name}, got: {t.dtype}")
    return t


def binomial(count, prob, generator=None):
    """Binomial draws: successes in ``count`` trials of probability ``prob``
    (broadcast tensors of a floating dtype; the result has ``count``'s dtype)."""
    _float_tensor(count, "binomial", "count")
    _float_tensor(prob, "binomial", "prob")
    n, p = np.broadcast_arrays(_host(count), _host(prob))
    if (n < 0).any() or not np.isfinite(n).all():
        raise RuntimeError("binomial: count must be finite and non-negative")
    if ((p < 0) | (p > 1)).any():
        raise RuntimeError("binomial: prob must be in [0, 1]")
    gen = rng(generator, "binomial")

    def draw(_count, _prob):
        out = gen.binomial(np.floor(n).astype(np.int64), p.astype(np.float64))
        return _on_device_of(out.astype(count._array.dtype), count)
    return Sample.apply(draw, count, prob)


def poisson(input, generator=None):
    """Poisson draws with the rates in ``input`` (a floating tensor; its dtype)."""
    _float_tensor(input, "poisson", "input")
    rates = _host(input)
    if (rates < 0).any():
        raise RuntimeError("poisson: expected all rates to be non-negative")
    gen = rng(generator, "poisson")

    def draw(_):
        return _on_device_of(gen.poisson(rates.astype(np.float64)).astype(rates.dtype), input)
    return Sample.apply(draw, input)


def nonzero_static(input, *, size, fill_value=-1):
    """The (n, ndim) int64 indices of the non-zero elements, cut or padded with
    ``fill_value`` rows to exactly ``size`` rows (a fixed-shape ``nonzero``)."""
    check_tensor(input, "nonzero_static")
    if not isinstance(size, int) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = np.argwhere(_host(input)).astype(np.int64)[:size]
    out = np.full((size, input.ndim), fill_value, dtype=np.int64)
    out[:len(found)] = found
    return Tensor._wrap(_on_device_of(out, input), False, None, 0)


def from_dlpack(ext_tensor):
    """A Tensor sharing the memory of any object with ``__dlpack__`` (a NumPy or
    CuPy array, a PyTorch or JAX tensor); no copy."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    device_type = ext_tensor.__dlpack_device__()[0] if hasattr(ext_tensor,
                                                               "__dlpack_device__") else 1
    if device_type == 1:  # kDLCPU
        arr = np.from_dlpack(ext_tensor)
    else:
        from ember.backend.device import array_module, Device
        arr = array_module(Device("cuda")).from_dlpack(ext_tensor)
    return Tensor._wrap(arr, False, None, 0)


# ---- Tensor methods -----------------------------------------------------------------
def _host_only(t, op):
    if type(t._array) is not np.ndarray:
        raise TypeError(f"{op}: only CPU tensors take a Python callable, got one on {t.device}")
    if t.requires_grad:
        raise RuntimeError(f"Can't call {op}() on Variable that requires grad. Use "
                           f"var.detach().{op}() instead.")


def _assign(self, values):
    """Write Python ``values`` (flat, row-major) into ``self`` in place."""
    np.copyto(self._array, np.asarray(values, dtype=self._array.dtype).reshape(self.shape))
    self._bump_version()
    return self


def _flat_values(self, *others):
    """``self``'s elements and each of ``others`` broadcast to its shape, as Python lists."""
    lists = [self._array.reshape(-1).tolist()]
    for other in others:
        lists.append(np.broadcast_to(_host(other), self._array.shape).reshape(-1).tolist())
    return lists


def apply_(self, callable):
    """Replace each element by ``callable(element)`` (a Python number), in place;
    CPU only, slow (one Python call per element). Returns ``self``."""
    _host_only(self, "apply_")
    return _assign(self, [callable(v) for v in _flat_values(self)[0]])


def map_(self, tensor, callable):
    """``self[i] = callable(self[i], tensor[i])`` with ``tensor`` broadcast, in place."""
    _host_only(self, "map_")
    return _assign(self, [callable(a, b) for a, b in zip(*_flat_values(self, tensor))])


def map2_(self, x, y, callable):
    """``self[i] = callable(self[i], x[i], y[i])`` with ``x`` and ``y`` broadcast."""
    _host_only(self, "map2_")
    return _assign(self, [callable(a, b, c) for a, b, c in zip(*_flat_values(self, x, y))])


def dim_order(self):
    """The dimensions from the outermost to the innermost in memory: (0, 1, 2)
    for row-major, (0, 2, 3, 1) for NHWC. As PyTorch orders them: an insertion
    sort by stride from the innermost dimension, equal strides putting the
    larger size outside, stride-0 dimensions comparing equal to all."""
    ndim = self.ndim
    if ndim <= 1:
        return tuple(range(ndim))
    contiguous = self.is_contiguous()
    nhwc = self.is_contiguous(memory_format=channels_last)
    if contiguous and not nhwc:
        return tuple(range(ndim))
    if nhwc and not contiguous:
        return (0, *range(2, ndim), 1)
    strides, shape = self.stride(), self.shape

    def should_swap(a, b):
        if strides[a] == 0 or strides[b] == 0:
            return 0
        if strides[a] != strides[b]:
            return -1 if strides[a] < strides[b] else 1
        return 1 if shape[a] > shape[b] else 0

    perm = list(reversed(range(self.ndim)))
    for i in range(1, self.ndim):
        j = i
        for k in reversed(range(i)):
            c = should_swap(perm[k], perm[j])
            if c > 0:
                perm[k], perm[j] = perm[j], perm[k]
                j = k
            elif c < 0:
                break
    return tuple(reversed(perm))


def const_data_ptr(self):
    """The address of the first element (as ``data_ptr``)."""
    return self.data_ptr()


def __dlpack__(self, *args, **kwargs):
    """The DLPack capsule of this tensor's memory (``np.from_dlpack``,
    ``torch.from_dlpack`` and ``ember.from_dlpack`` read it without a copy)."""
    if self.requires_grad:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    return self._array.__dlpack__(*args, **kwargs)


def __dlpack_device__(self):
    """(device type, index) as DLPack names them (1: CPU, 2: CUDA)."""
    return self._array.__dlpack_device__()


__methods__ = ("nonzero_static", "apply_", "map_", "map2_", "dim_order", "const_data_ptr",
               "__dlpack__", "__dlpack_device__")
__inplace__ = ()
