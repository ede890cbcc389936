"""Resampling: ``interpolate`` (nearest, nearest-exact, linear, bilinear, area).

Each mode is separable: nearest modes pick source indices per axis
(``index_select``, whose gradient scatters back), linear modes multiply by a
(out, in) interpolation matrix per axis and 'area' is adaptive average
pooling. All are compositions of differentiable ops, so every derivative
order works.
"""

import math

import numpy as np

from ember.ops._util import check_tensor, fmt_shape
from ember.ops.indexing import index_select
from ember.ops.linalg import matmul
from ember.ops.pool import adaptive_avg_pool1d, adaptive_avg_pool2d
from ember.tensor import Tensor

__all__ = ["interpolate"]

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")
_LINEAR_DIMS = {"linear": 1, "bilinear": 2}


def _nearest_index(in_size, out_size, scale, exact):
    """Source index per output position, computed in float32 as PyTorch does.

    'nearest' uses PyTorch's legacy rule floor(dst * scale); 'nearest-exact'
    samples pixel centres, floor((dst + 0.5) * scale).
    """
    s = np.float32(1.0 / scale if scale is not None else in_size / out_size)
    if not exact and out_size == in_size:
        return np.arange(out_size)
    if not exact and out_size == 2 * in_size:
        return np.arange(out_size) >> 1  # PyTorch's shortcut, exact in every case
    dst = np.arange(out_size, dtype=np.float32) + np.float32(0.5 if exact else 0.0)
    return np.minimum(np.floor(dst * s).astype(np.int64), in_size - 1)


def _linear_matrix(in_size, out_size, scale, align_corners, dtype):
    """(out, in) matrix of linear-interpolation weights (two per row), PyTorch's rule."""
    ct = np.dtype(dtype) if np.dtype(dtype).kind == "f" and np.dtype(dtype).itemsize >= 4 \
        else np.dtype(np.float32)
    dst = np.arange(out_size, dtype=ct)
    if align_corners:
        s = ct.type((in_size - 1) / (out_size - 1)) if out_size > 1 else ct.type(0)
        src = dst * s
    else:
        s = ct.type(1.0 / scale if scale is not None else in_size / out_size)
        src = np.maximum(s * (dst + ct.type(0.5)) - ct.type(0.5), ct.type(0))
    lo = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    hi = np.minimum(lo + 1, in_size - 1)
    frac = (src - lo).astype(ct)
    m = np.zeros((out_size, in_size), ct)
    rows = np.arange(out_size)
    np.add.at(m, (rows, lo), 1 - frac)
    np.add.at(m, (rows, hi), frac)
    return m


def _const(a, like):
    return Tensor._wrap(a.astype(like._array.dtype), False, None, 0).to(like.device)


def _sizes(input, size, scale_factor, dims, recompute_scale_factor):
    """Output sizes and the scales the index rules use (None: in / out)."""
    spatial = tuple(input.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: expected exactly one of size and scale_factor to be "
                         f"defined, got size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * dims
        if len(sizes) != dims:
            raise ValueError(f"interpolate: expected size with {dims} elements for input of "
                             f"size {fmt_shape(input.shape)}, got {size!r}")
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is only meaningful with an "
                             "explicit scale_factor")
        return tuple(int(s) for s in sizes), (None,) * dims
    scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else \
        (scale_factor,) * dims
    if len(scales) != dims:
        raise ValueError(f"interpolate: expected scale_factor with {dims} elements for input of "
                         f"size {fmt_shape(input.shape)}, got {scale_factor!r}")
    sizes = tuple(int(math.floor(s * float(f))) for s, f in zip(spatial, scales))
    # recompute_scale_factor=True: the index rules see in / out, as with an explicit size.
    return sizes, ((None,) * dims if recompute_scale_factor else tuple(float(f) for f in scales))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dimensions of an (N, C, L) or (N, C, H, W) input.

    Args:
        size: output spatial size (int or tuple), or
        scale_factor: multiplier per spatial dimension (exactly one of the two).
        mode: 'nearest' (PyTorch's legacy rule, source = floor(dst * in / out)),
            'nearest-exact', 'linear' (3-D input), 'bilinear' (4-D input) or
            'area' (adaptive average pooling).
        align_corners: linear modes only; True maps the corner pixels' centres
            onto each other, False (default) their outer edges.
        recompute_scale_factor: with ``scale_factor``, compute the index rule's
            scale from the output size instead of using the factor itself.

    Differs from PyTorch: no 'bicubic', 'trilinear' or 5-D inputs; ``antialias``
    must be False.
    """
    check_tensor(input, "interpolate")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; expected one "
                                  f"of {', '.join(_MODES)}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"interpolate: expected a 3-D or 4-D input, got input of size "
                                  f"{fmt_shape(input.shape)}")
    dims = input.ndim - 2
    if mode in _LINEAR_DIMS and _LINEAR_DIMS[mode] != dims:
        raise ValueError(f"interpolate: mode {mode!r} expects a {_LINEAR_DIMS[mode] + 2}-D input, "
                         f"got input of size {fmt_shape(input.shape)}")
    if align_corners is not None and mode not in _LINEAR_DIMS:
        raise ValueError(f"interpolate: align_corners is only for the linear modes, got mode "
                         f"{mode!r}")
    sizes, scales = _sizes(input, size, scale_factor, dims, recompute_scale_factor)
    if any(s <= 0 for s in sizes):
        raise ValueError(f"interpolate: output size {sizes} must be positive for input of "
                         f"size {fmt_shape(input.shape)}")
    if mode == "area":
        return (adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d)(input, sizes)
    out = input
    if mode in ("nearest", "nearest-exact"):
        for axis, (n_in, n_out, sc) in enumerate(zip(input.shape[2:], sizes, scales)):
            idx = _nearest_index(n_in, n_out, sc, mode == "nearest-exact")
            index = Tensor._wrap(idx.astype(np.int64), False, None, 0).to(input.device)
            out = index_select(out, 2 + axis, index)
        return out
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"interpolate: mode {mode!r} expects a floating point input, got "
                           f"{input.dtype}")
    mats = [_const(_linear_matrix(n_in, n_out, sc, bool(align_corners), input._array.dtype), input)
            for n_in, n_out, sc in zip(input.shape[2:], sizes, scales)]
    if dims == 2:
        out = matmul(mats[0], out)  # rows: (H_out, H) @ (N, C, H, W)
    return matmul(out, mats[-1].mT)  # columns
