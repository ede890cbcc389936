"""Fractional max pooling (Graham, 2014), 2-D, as PyTorch's ``fractional_max_pool2d``.

The output is a chosen size (or ratio of the input); its windows, of a fixed
kernel size, start at pseudo-random, increasing positions: along an axis of
input size I, output size O and kernel k, window i starts at
floor((i + s) * a) - floor(s * a) with a = (I - k) / (O - 1), the last at
I - k, for one random s in [0, 1) per sample, channel and axis (PyTorch's
rule, so given the same ``_random_samples`` the windows are the same). The
windows are gathered with one advanced index and reduced by ``amax``.
"""

import numpy as np

from ember.backend.random import rng
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.conv import ntuple
from ember.ops.pool import _batched, _restore
from ember.ops.reduce import constant

__all__ = ["fractional_max_pool2d"]


def _starts(sample, size, out, kernel):
    """Window starts (…, out) for samples (…) along an axis (PyTorch's intervals)."""
    starts = np.empty(sample.shape + (out,), np.int64)
    if out > 1:
        alpha = (size - kernel) / (out - 1)
        i = np.arange(out - 1)
        starts[..., :-1] = (np.trunc((i + sample[..., None]) * alpha)
                            - np.trunc(sample[..., None] * alpha))
    starts[..., -1] = size - kernel
    return starts


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Maximum over pseudo-randomly placed windows of (N, C, H, W) (or unbatched) input.

    Args:
        kernel_size: the windows' size (int or pair).
        output_size: (H_out, W_out), or output_ratio: fractions of (H, W) in (0, 1).
        return_indices: also return each maximum's flat index in its H * W plane.
        _random_samples: (N, C, 2) numbers in [0, 1) placing the windows (for W,
            then H); drawn from Ember's generator when not given.
    Differs from PyTorch: tied maxima share the gradient.
    """
    op = "fractional_max_pool2d"
    x, single = _batched(input, 2, op)
    n, c, h, w = x.shape
    kh, kw = ntuple(kernel_size, 2, "kernel_size", op)
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{op} requires specifying either an output_size or an "
                             f"output_ratio")
        ratio = tuple(float(v) for v in output_ratio) \
            if isinstance(output_ratio, (tuple, list)) else (float(output_ratio),) * 2
        if len(ratio) != 2:
            raise ValueError(f"{op}: expected output_ratio to be a number or a pair, got "
                             f"{output_ratio}")
        if not all(0 < r < 1 for r in ratio):
            raise ValueError(f"{op}: output_ratio must be between 0 and 1, got {ratio}")
        output_size = (int(h * ratio[0]), int(w * ratio[1]))
    oh, ow = ntuple(output_size, 2, "output_size", op)
    if oh + kh - 1 > h or ow + kw - 1 > w or min(oh, ow) < 1:
        raise ValueError(f"{op}: output size {(oh, ow)} with kernel {(kh, kw)} does not fit "
                         f"the input {fmt_shape((h, w))}")
    if _random_samples is None:
        samples = rng().random((n, c, 2))
    else:
        check_tensor(_random_samples, op, "_random_samples")
        if tuple(_random_samples.shape) != (n, c, 2):
            raise ValueError(f"{op}: expected _random_samples of shape {(n, c, 2)}, got "
                             f"{fmt_shape(_random_samples.shape)}")
        a = _random_samples._array
        samples = np.asarray(a.get() if hasattr(a, "get") else a, np.float64)
    samples = samples.astype(x._array.dtype).astype(np.float64)  # PyTorch: in the input's dtype
    rows = _starts(samples[..., 1], h, oh, kh)[..., None] + np.arange(kh)  # (N, C, oh, kh)
    cols = _starts(samples[..., 0], w, ow, kw)[..., None] + np.arange(kw)  # (N, C, ow, kw)
    bn = np.arange(n)[:, None, None, None, None, None]
    bc = np.arange(c)[None, :, None, None, None, None]
    r = rows[:, :, :, None, :, None]
    q = cols[:, :, None, :, None, :]
    index = tuple(constant(np.broadcast_to(v, (n, c, oh, ow, kh, kw)).copy())
                  for v in (bn, bc, r, q))
    windows = x[index]  # (N, C, oh, ow, kh, kw)
    y = _restore(windows.amax((4, 5)), single)
    if not return_indices:
        return y
    arg = np.asarray(windows.detach().reshape(n, c, oh, ow, -1).argmax(-1).numpy())
    di, dj = np.divmod(arg, kw)
    # The winning (row, column) of each window, from its offsets di, dj.
    bn, bc = np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None]
    rr = rows[bn, bc, np.arange(oh)[None, None, :, None], di]
    qq = cols[bn, bc, np.arange(ow)[None, None, None, :], dj]
    return y, _restore(constant(rr * w + qq), single)
