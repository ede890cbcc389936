"""Resampling: ``interpolate`` (nearest, nearest-exact, linear, bilinear,
bicubic, trilinear, area) over 1, 2 or 3 spatial dimensions.

Each mode is separable: nearest modes pick source indices per axis
(``index_select``, whose gradient scatters back), linear and cubic modes
multiply by an (out, in) interpolation matrix per axis (two or four weights a
row) and 'area' is adaptive average pooling. All are compositions of
differentiable ops, so every derivative order works.
"""

import math

import numpy as np

from ember.ops import _autocast as _amp
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.indexing import index_select
from ember.ops.linalg import matmul
from ember.ops.pool import adaptive_avg_pool1d, adaptive_avg_pool2d
from ember.ops.volume import adaptive_avg_pool3d
from ember.tensor import Tensor

__all__ = ["interpolate"]

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
# The modes tied to one number of spatial dimensions (the others take 1 to 3).
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_CUBIC_A = -0.75  # the cubic convolution kernel's parameter, PyTorch's (and OpenCV's)


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


def _compute_type(dtype):
    """PyTorch computes weights in float32 for half inputs, else in the input's type."""
    dtype = np.dtype(dtype)
    return dtype if dtype.kind == "f" and dtype.itemsize >= 4 else np.dtype(np.float32)


def _source_positions(in_size, out_size, scale, align_corners, ct, cubic):
    """Each output position's source coordinate, PyTorch's rule (in type ``ct``).

    Without ``align_corners`` the linear modes clamp coordinates below 0 to 0;
    the cubic mode does not (its taps are clamped instead)."""
    dst = np.arange(out_size, dtype=ct)
    if align_corners:
        s = ct.type((in_size - 1) / (out_size - 1)) if out_size > 1 else ct.type(0)
        return dst * s
    s = ct.type(1.0 / scale if scale is not None else in_size / out_size)
    src = s * (dst + ct.type(0.5)) - ct.type(0.5)
    return src if cubic else np.maximum(src, ct.type(0))


def _linear_matrix(in_size, out_size, scale, align_corners, dtype):
    """(out, in) matrix of linear-interpolation weights (two per row), PyTorch's rule."""
    ct = _compute_type(dtype)
    src = _source_positions(in_size, out_size, scale, align_corners, ct, cubic=False)
    lo = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    hi = np.minimum(lo + 1, in_size - 1)
    frac = (src - lo).astype(ct)
    m = np.zeros((out_size, in_size), ct)
    rows = np.arange(out_size)
    np.add.at(m, (rows, lo), 1 - frac)
    np.add.at(m, (rows, hi), frac)
    return m


def cubic_weights(t, a=_CUBIC_A):
    """The four cubic-convolution weights of taps at -1, 0, 1, 2 for a fractional
    offset ``t`` in [0, 1) (Keys' kernel with parameter ``a``). Works on arrays and
    on Tensors (so a gradient can flow to ``t``)."""
    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _cubic_matrix(in_size, out_size, scale, align_corners, dtype):
    """(out, in) matrix of bicubic weights (four per row, taps clamped to the
    edges, so edge rows add up), PyTorch's rule."""
    ct = _compute_type(dtype)
    src = _source_positions(in_size, out_size, scale, align_corners, ct, cubic=True)
    base = np.floor(src)
    weights = cubic_weights((src - base).astype(ct), ct.type(_CUBIC_A))
    base = base.astype(np.int64)
    m = np.zeros((out_size, in_size), ct)
    rows = np.arange(out_size)
    for offset, w in zip((-1, 0, 1, 2), weights):
        np.add.at(m, (rows, np.clip(base + offset, 0, in_size - 1)), w.astype(ct))
    return m


def _antialias_matrix(in_size, out_size, scale, align_corners, dtype, cubic):
    """(out, in) matrix of the antialiasing filter (PIL's resampling, as PyTorch's
    ``antialias=True``): when shrinking, the triangle (bilinear) or cubic
    (a = -0.5) filter is stretched by the scale so that every input pixel
    contributes; each row's weights are normalised to sum to 1."""
    if align_corners:
        s = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    else:
        s = 1.0 / scale if scale is not None else in_size / out_size
    half = 2.0 if cubic else 1.0  # the filter's support at scale 1
    support = half * s if s >= 1 else half
    stretch = 1.0 / s if s >= 1 else 1.0
    center = s * (np.arange(out_size) + 0.5)
    lo = np.maximum((center - support + 0.5).astype(np.int64), 0)
    hi = np.minimum((center + support + 0.5).astype(np.int64), in_size)
    cols = np.arange(in_size)
    inside = (cols >= lo[:, None]) & (cols < hi[:, None])
    x = np.abs((cols - center[:, None] + 0.5) * stretch)
    if cubic:
        a = -0.5
        w = np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                     np.where(x < 2, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0))
    else:
        w = np.maximum(0.0, 1.0 - x)
    w = np.where(inside, w, 0.0)
    total = w.sum(1, keepdims=True)
    return (w / np.where(total == 0, 1.0, total)).astype(_compute_type(dtype))


def _along(x, axis, m):
    """Apply the (out, in) matrix ``m`` along spatial ``axis`` of ``x`` (N, C, ...)."""
    after = x.ndim - 1 - axis  # spatial axes after this one
    if after == 0:
        return matmul(x, m.mT)
    if after == 1:
        return matmul(m, x)
    shape = tuple(x.shape)
    flat = x.reshape(*shape[:axis + 1], -1)  # (N, C, [D,] n_in, rest)
    return matmul(m, flat).reshape(*shape[:axis], m.shape[0], *shape[axis + 1:])


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
    """Resize the spatial dimensions of an (N, C, L), (N, C, H, W) or (N, C, D, H, W) input.

    Args:
        size: output spatial size (int or tuple), or
        scale_factor: multiplier per spatial dimension (exactly one of the two).
        mode: 'nearest' (PyTorch's legacy rule, source = floor(dst * in / out)),
            'nearest-exact', 'linear' (3-D input), 'bilinear' or 'bicubic'
            (4-D input; bicubic is Keys' cubic convolution with a = -0.75, taps
            clamped at the edges, so it can overshoot the input's range as
            PyTorch's does), 'trilinear' (5-D input) or 'area' (adaptive
            average pooling).
        align_corners: linear and cubic modes only; True maps the corner
            pixels' centres onto each other, False (default) their outer edges.
        recompute_scale_factor: with ``scale_factor``, compute the index rule's
            scale from the output size instead of using the factor itself.
        antialias: 'bilinear' and 'bicubic' on 4-D input: when shrinking,
            stretch the filter over every input pixel a output pixel covers
            (PIL's resampling; the cubic filter then uses a = -0.5).
    """
    if _amp.active:
        return _amp.run("interpolate", interpolate, input, size, scale_factor, mode, align_corners,
                        recompute_scale_factor, antialias)
    check_tensor(input, "interpolate")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; expected one "
                                  f"of {', '.join(_MODES)}")
    if antialias and (mode not in ("bilinear", "bicubic") or input.ndim != 4):
        raise ValueError(f"interpolate: antialias=True is for the 'bilinear' and 'bicubic' modes "
                         f"on a 4-D input, got mode {mode!r} and input of size "
                         f"{fmt_shape(input.shape)}")
    if input.ndim not in (3, 4, 5):
        raise NotImplementedError(f"interpolate: expected a 3-D, 4-D or 5-D input, got input of "
                                  f"size {fmt_shape(input.shape)}")
    dims = input.ndim - 2
    if mode in _LINEAR_DIMS and _LINEAR_DIMS[mode] != dims:
        raise ValueError(f"interpolate: mode {mode!r} expects a {_LINEAR_DIMS[mode] + 2}-D input, "
                         f"got input of size {fmt_shape(input.shape)}")
    if align_corners is not None and mode not in _LINEAR_DIMS:
        raise ValueError(f"interpolate: align_corners is only for the linear and cubic modes, "
                         f"got mode {mode!r}")
    sizes, scales = _sizes(input, size, scale_factor, dims, recompute_scale_factor)
    if any(s <= 0 for s in sizes):
        raise ValueError(f"interpolate: output size {sizes} must be positive for input of "
                         f"size {fmt_shape(input.shape)}")
    if mode == "area":
        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dims - 1]
        return pool(input, sizes)
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
    build = _cubic_matrix if mode == "bicubic" else _linear_matrix
    for axis, (n_in, n_out, sc) in enumerate(zip(input.shape[2:], sizes, scales)):
        if antialias:
            m = _antialias_matrix(n_in, n_out, sc, bool(align_corners), input._array.dtype,
                                  mode == "bicubic")
        else:
            m = build(n_in, n_out, sc, bool(align_corners), input._array.dtype)
        out = _along(out, 2 + axis, _const(m, input))
    return out
