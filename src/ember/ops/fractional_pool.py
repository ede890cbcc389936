"""Fractional max pooling (Graham, 2014), 2-D and 3-D, as PyTorch's
``fractional_max_pool2d`` and ``fractional_max_pool3d``.

The output is a chosen size (or ratio of the input); its windows, of a fixed
kernel size, start at pseudo-random, increasing positions: along an axis of
input size I, output size O and kernel k, window i starts at
floor((i + s) * a) - floor(s * a) with a = (I - k) / (O - 1), the last at
I - k, for one random s in [0, 1) per sample, channel and axis (PyTorch's
rule, so given the same ``_random_samples`` the windows are the same). The
windows are gathered with one advanced index and reduced by ``amax``.
"""

import numpy as np

from ember.ops import _autocast as _amp
from ember.backend.random import rng
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.conv import ntuple
from ember.ops.pool import _batched, _restore
from ember.ops.reduce import constant
from ember.tensor import _host

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d"]


def _starts(sample, size, out, kernel):
    """Window starts (…, out) for samples (…) along an axis (PyTorch's intervals),
    computed in the samples' floating dtype, as PyTorch computes them in the input's."""
    dtype = sample.dtype.type
    starts = np.empty(sample.shape + (out,), np.int64)
    if out > 1:
        alpha = dtype(size - kernel) / dtype(out - 1)
        i = np.arange(out - 1).astype(sample.dtype)
        starts[..., :-1] = (np.trunc((i + sample[..., None]) * alpha)
                            - np.trunc(sample[..., None] * alpha))
    starts[..., -1] = size - kernel
    return starts


def _fractional(input, kernel_size, output_size, output_ratio, return_indices, samples_in,
                dims, op):
    """Fractional max pooling of ``dims`` spatial axes; ``samples_in`` (N, C, dims)
    in spatial-axis order (or None to draw them)."""
    x, single = _batched(input, dims, op)
    n, c = x.shape[:2]
    sizes = x.shape[2:]
    kernel = ntuple(kernel_size, dims, "kernel_size", op)
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{op} requires specifying either an output_size or an "
                             f"output_ratio")
        ratio = tuple(float(v) for v in output_ratio) \
            if isinstance(output_ratio, (tuple, list)) else (float(output_ratio),) * dims
        if len(ratio) != dims:
            raise ValueError(f"{op}: output_ratio must be one number or {dims}, got "
                             f"{output_ratio}")
        output_size = tuple(int(s * r) for s, r in zip(sizes, ratio))
    out = ntuple(output_size, dims, "output_size", op)
    if any(o + k - 1 > s or o < 1 for o, k, s in zip(out, kernel, sizes)):
        raise ValueError(f"{op}: output size {out} with kernel {kernel} does not fit the "
                         f"input {fmt_shape(sizes)}")
    samples = rng().random((n, c, dims)) if samples_in is None else samples_in
    samples = samples.astype(x._array.dtype)  # PyTorch places the windows in the input's dtype
    spans = [_starts(samples[..., axis], s, o, k)[..., None] + np.arange(k)
             for axis, (s, o, k) in enumerate(zip(sizes, out, kernel))]  # (N, C, o, k) each
    # Index grids broadcasting to (N, C, *out, *kernel).
    width = 2 + 2 * dims
    grids = [np.arange(n).reshape((n,) + (1,) * (width - 1)),
             np.arange(c).reshape((1, c) + (1,) * (width - 2))]
    for axis, span in enumerate(spans):
        shape = [n, c] + [1] * (2 * dims)
        shape[2 + axis], shape[2 + dims + axis] = out[axis], kernel[axis]
        grids.append(span.reshape(shape))
    full = (n, c) + out + kernel
    windows = x[tuple(constant(np.broadcast_to(g, full).copy()) for g in grids)]
    y = _restore(windows.amax(tuple(range(2 + dims, width))), single)
    if not return_indices:
        return y
    arg = np.asarray(windows.detach().reshape(n, c, *out, -1).argmax(-1).numpy())
    offsets = np.unravel_index(arg, kernel)
    flat = np.zeros(arg.shape, np.int64)
    for axis in range(dims):
        lead = [np.arange(n).reshape((n,) + (1,) * (dims + 1)),
                np.arange(c).reshape((1, c) + (1,) * dims)]
        pos = np.arange(out[axis]).reshape((1, 1) + tuple(out[axis] if a == axis else 1
                                                          for a in range(dims)))
        flat = flat * sizes[axis] + spans[axis][lead[0], lead[1], pos, offsets[axis]]
    return y, _restore(constant(flat), single)


def _samples(random_samples, input, dims, op):
    """``_random_samples`` as a host array (N, C, dims), or None."""
    if random_samples is None:
        return None
    check_tensor(random_samples, op, "_random_samples")
    n = input.shape[0] if input.ndim == dims + 2 else 1
    expected = (n, input.shape[-dims - 1], dims)
    if tuple(random_samples.shape) != expected:
        raise ValueError(f"{op}: expected _random_samples of shape {expected}, got "
                         f"{fmt_shape(random_samples.shape)}")
    return _host(random_samples._array).astype(np.float64)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Maximum over pseudo-randomly placed windows of (N, C, H, W) (or unbatched) input.

    Args:
        kernel_size: the windows' size (int or pair).
        output_size: (H_out, W_out), or output_ratio: fractions of (H, W) in (0, 1).
        return_indices: also return each maximum's flat index in its H * W plane.
        _random_samples: (N, C, 2) numbers in [0, 1) placing the windows (for W,
            then H, PyTorch's order); drawn from Ember's generator when not given.
    Differs from PyTorch: tied maxima share the gradient.
    """
    if _amp.active:
        return _amp.run("fractional_max_pool2d", fractional_max_pool2d, input, kernel_size,
                        output_size, output_ratio, return_indices, _random_samples)
    op = "fractional_max_pool2d"
    check_tensor(input, op)
    samples = _samples(_random_samples, input, 2, op)
    return _fractional(input, kernel_size, output_size, output_ratio, return_indices,
                       None if samples is None else samples[..., ::-1], 2, op)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Maximum over pseudo-randomly placed windows of (N, C, T, H, W) (or unbatched)
    input; arguments as ``fractional_max_pool2d``, with triples, and
    ``_random_samples`` (N, C, 3) for T, H, W (PyTorch's order)."""
    if _amp.active:
        return _amp.run("fractional_max_pool3d", fractional_max_pool3d, input, kernel_size,
                        output_size, output_ratio, return_indices, _random_samples)
    op = "fractional_max_pool3d"
    check_tensor(input, op)
    return _fractional(input, kernel_size, output_size, output_ratio, return_indices,
                       _samples(_random_samples, input, 3, op), 3, op)
