"""NumPy image helpers behind ``ember.data.transforms``: layouts, padding, affine warps.

Transforms accept three kinds of image: an Ember Tensor laid out
``(..., H, W)`` (torchvision's tensor convention), a NumPy array laid out
``(H, W)`` or ``(H, W, C)`` (what image files decode to, and what
``ToTensor`` takes), or a PIL image when PIL is installed. ``to_hw_last`` turns
any of them into an array whose last two axes are H, W, plus a function
that turns a result back into the caller's kind.
"""

import math

import numpy as np

from ember.tensor import Tensor

try:  # PIL is optional: without it, PIL images simply never arrive here
    from PIL import Image as _PILImage
except ImportError:
    _PILImage = None


def is_pil_image(img):
    """True if ``img`` is a PIL image (always False when PIL is not installed)."""
    return _PILImage is not None and isinstance(img, _PILImage.Image)


def to_hw_last(img, op):
    """``img`` as an ndarray with H, W as its last two axes, and a function to restore its kind."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise ValueError(f"{op}: expected a tensor image of shape (..., H, W), got shape "
                             f"{tuple(img.shape)}")
        data = img.detach().numpy()
        return data, lambda out: Tensor._wrap(np.ascontiguousarray(out).astype(data.dtype,
                                                                                copy=False),
                                              False, None, 0)
    if is_pil_image(img):
        arr = np.asarray(img)
        hw_last, back = to_hw_last(arr, op)
        return hw_last, lambda out: _PILImage.fromarray(back(out))
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return img, lambda out: out.astype(img.dtype, copy=False)
        if img.ndim == 3:  # (H, W, C) -> (C, H, W) and back
            return img.transpose(2, 0, 1), \
                lambda out: np.ascontiguousarray(out.transpose(1, 2, 0)).astype(img.dtype,
                                                                                copy=False)
        raise ValueError(f"{op}: expected a NumPy image of shape (H, W) or (H, W, C), got shape "
                         f"{img.shape}")
    raise TypeError(f"{op}: expected an ember Tensor, a NumPy array or a PIL image, got "
                    f"{type(img).__name__}")


_NP_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
                 "symmetric": "symmetric"}


def pad_hw(arr, left, top, right, bottom, fill, padding_mode, op):
    """Pad the last two axes of ``arr``; ``fill`` is a number or one value per channel."""
    if padding_mode not in _NP_PAD_MODES:
        raise ValueError(f"{op}: padding_mode should be one of {list(_NP_PAD_MODES)}, got "
                         f"{padding_mode!r}")
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode != "constant":
        return np.pad(arr, widths, mode=_NP_PAD_MODES[padding_mode])
    out = np.pad(arr, widths, mode="constant")
    fill = np.asarray(fill, dtype=np.float64)
    if fill.ndim == 0 and fill == 0:
        return out
    inside = np.zeros(out.shape[-2:], dtype=bool)
    inside[top:top + arr.shape[-2], left:left + arr.shape[-1]] = True
    fill_values = _broadcast_fill(fill, arr, op)
    return np.where(inside, out, fill_values).astype(arr.dtype, copy=False)


def _broadcast_fill(fill, arr, op):
    """A fill value broadcastable against ``arr`` of shape (..., C, H, W)."""
    if fill.ndim == 0:
        return fill
    if arr.ndim < 3 or fill.shape[0] != arr.shape[-3]:
        raise ValueError(f"{op}: fill has {fill.shape[0]} values but the image has "
                         f"{arr.shape[-3] if arr.ndim >= 3 else 1} channel(s)")
    return fill.reshape(-1, 1, 1)


def inverse_affine_matrix(center, angle, translate, scale, shear):
    """The 2x3 matrix mapping output pixel offsets to input ones (torchvision's formula).

    The forward map is ``T * C * R * S * Sh * C^-1``: shear, scale, rotate by
    ``angle`` degrees about ``center``, then translate; this returns its inverse.
    """
    rot = math.radians(angle)
    sx, sy = (math.radians(s) for s in shear)
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = np.array([[d, -b, 0.0], [-c, a, 0.0]]) / scale
    m[0, 2] += m[0, 0] * (-cx - tx) + m[0, 1] * (-cy - ty) + cx
    m[1, 2] += m[1, 0] * (-cx - tx) + m[1, 1] * (-cy - ty) + cy
    return m


def affine_sample(arr, matrix, interpolation, fill, op):
    """Warp the last two axes of ``arr``: output pixel p takes input at ``matrix @ (p - c) + c``.

    Coordinates are offsets from the image centre ``((W-1)/2, (H-1)/2)``, as in
    torchvision's tensor path (grid_sample with align_corners=False).
    "nearest" rounds half to even (as grid_sample does); "bilinear" blends the
    four neighbours. Pixels that map outside the input take ``fill`` (for
    bilinear, blended by the in-bounds weight, as torchvision does).
    """
    h, w = arr.shape[-2:]
    ys, xs = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")
    src_x = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2] + (w - 1) / 2
    src_y = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2] + (h - 1) / 2
    fill = _broadcast_fill(np.asarray(fill, dtype=np.float64), arr, op)
    if interpolation == "nearest":
        ix, iy = np.rint(src_x).astype(np.int64), np.rint(src_y).astype(np.int64)
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        picked = arr[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
        return np.where(inside, picked, fill).astype(arr.dtype, copy=False)
    x0, y0 = np.floor(src_x).astype(np.int64), np.floor(src_y).astype(np.int64)
    fx, fy = src_x - x0, src_y - y0
    out = np.zeros(arr.shape, dtype=np.float64)
    mask = np.zeros((h, w))
    for dy, dx, weight in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)),
                           (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
        ix, iy = x0 + dx, y0 + dy
        weight = np.where((ix >= 0) & (ix < w) & (iy >= 0) & (iy < h), weight, 0.0)
        out += weight * arr[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
        mask += weight
    out = out * mask + (1 - mask) * fill
    if np.issubdtype(arr.dtype, np.integer):
        out = np.rint(out)
    return out.astype(arr.dtype, copy=False)
