"""Spatial transformers: ``affine_grid`` and ``grid_sample`` (2-D), as PyTorch's.

``affine_grid`` maps every output pixel's normalised coordinates through a
batch of 2 x 3 affine matrices. ``grid_sample`` reads an input image at such
coordinates (x, y in [-1, 1] across the width and height), bilinearly,
bicubically or at the nearest pixel, with zeros, the border or a reflection
outside. Both are compositions of Ember ops: the sampling weights come from
the grid (so the gradient reaches it) and the neighbours (4, or 16 for
bicubic) are gathered from the input (so it reaches the input too).
"""

import numpy as np

from ember.ops import _autocast as _amp
from ember.backend.device import xp_of
from ember.ops import elementwise as _ew
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.interpolate import cubic_weights
from ember.ops.linalg import matmul
from ember.ops.reduce import constant
from ember.ops.scatter import gather

__all__ = ["affine_grid", "grid_sample"]


def _base(size, align_corners):
    """The normalised pixel-centre coordinates along one axis of ``size``."""
    line = np.linspace(-1.0, 1.0, size) if size > 1 else np.zeros(1)
    # The same arithmetic as PyTorch's, so that coordinates meant to land on pixel
    # centres land on them exactly (bilinear sampling has a kink there).
    return line if align_corners else line * ((size - 1) / size)


def affine_grid(theta, size, align_corners=False):
    """Sampling grid (N, H, W, 2) of the affine maps ``theta`` (N, 2, 3) for an output
    of ``size`` (N, C, H, W): grid[n, i, j] = theta[n] @ (x_j, y_i, 1)."""
    if _amp.active:
        return _amp.run("affine_grid", affine_grid, theta, size, align_corners)
    op = "affine_grid"
    check_tensor(theta, op, "theta")
    size = tuple(int(s) for s in size)
    if len(size) != 4 or tuple(theta.shape) != (size[0], 2, 3):
        raise ValueError(f"{op}: expected theta of shape (N, 2, 3) and a 4-D size (N, C, H, W) "
                         f"with the same N, got theta {fmt_shape(theta.shape)} and size {size}")
    if not theta.dtype.is_floating_point:
        raise ValueError(f"{op}: expected theta to have floating point type, got {theta.dtype}")
    n, _, h, w = size
    dtype = theta._array.dtype
    xs, ys = _base(w, align_corners), _base(h, align_corners)
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.ones((1, 1))), -1)
    base = constant(xp_of(theta._array).asarray(base.reshape(h * w, 3).astype(dtype)))
    return matmul(base, theta.mT).reshape(n, h, w, 2)  # (N, H*W, 3) @ (N, 3, 2)


def _unnormalise(coord, size, align_corners):
    """Grid coordinates in [-1, 1] to pixel coordinates (Tensors)."""
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, low, high):
    """Reflect pixel coordinates into [low, high] (PyTorch's reflection padding)."""
    if high <= low:
        return coord * 0.0 + low
    span = high - low
    shifted = _ew.abs(coord - low)
    periods = constant(xp_of(shifted._array).floor(shifted._array / span))
    extra = shifted - periods * span
    flips = constant((periods._array % 2).astype(shifted._array.dtype))
    return (extra + low) * (1 - flips) + (high - extra) * flips


def _clip(x, size):
    """Pixel coordinates clipped to [0, size - 1], with no gradient at or beyond
    either bound (PyTorch's rule: a coordinate exactly on the edge gets none)."""
    xp = xp_of(x._array)
    inside = constant(((x._array > 0) & (x._array < size - 1)).astype(x._array.dtype))
    clipped = constant(xp.clip(x._array, 0, size - 1))
    return x * inside + clipped * (1 - inside)


def _tap(index, size, padding_mode, align_corners):
    """Integer tap positions moved inside by the padding mode (bicubic's rule:
    PyTorch pads each of the 16 taps, not the sampling point). 'zeros' leaves
    them; the reader masks what lies outside."""
    if padding_mode == "border":
        return np.clip(index, 0, size - 1)
    if padding_mode == "reflection":
        # Reflect about the edge pixels' centres (align_corners) or their outer
        # edges, with period 2 (size - 1) or 2 size; then clip.
        if align_corners:
            period = 2 * (size - 1)
            if period == 0:
                return np.zeros_like(index)
            folded = np.abs(index) % period
            return np.clip(np.where(folded > size - 1, period - folded, folded), 0, size - 1)
        period = 2 * size
        folded = np.where(index < 0, -index - 1, index) % period
        return np.clip(np.where(folded > size - 1, period - 1 - folded, folded), 0, size - 1)
    return index


def _source(coord, size, padding_mode, align_corners):
    x = _unnormalise(coord, size, align_corners)
    if padding_mode == "border":
        return _clip(x, size)
    if padding_mode == "reflection":
        x = _reflect(x, 0.0, size - 1.0) if align_corners else _reflect(x, -0.5, size - 0.5)
        return _clip(x, size)
    return x


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    """Sample (N, C, H, W) ``input`` at ``grid`` (N, H_out, W_out, 2) locations.

    Args:
        grid: (x, y) per output pixel, -1 and 1 being the input's edges (the
            outer pixels' edges, or their centres with ``align_corners``).
        mode: 'bilinear', 'nearest' or 'bicubic' (Keys' cubic convolution,
            a = -0.75, over the 4 x 4 neighbours; it can overshoot the input's
            range, as PyTorch's does).
        padding_mode: what lies outside: 'zeros', 'border' (the edge values) or
            'reflection'.
    Returns:
        (N, C, H_out, W_out).
    """
    if _amp.active:
        return _amp.run("grid_sample", grid_sample, input, grid, mode, padding_mode, align_corners)
    op = "grid_sample"
    check_tensor(input, op)
    check_tensor(grid, op, "grid")
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"{op}: mode must be 'bilinear', 'nearest' or 'bicubic', got {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"{op}: padding_mode must be 'zeros', 'border' or 'reflection', got "
                         f"{padding_mode!r}")
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2 or \
            grid.shape[0] != input.shape[0]:
        raise ValueError(f"{op}: expected input (N, C, H, W) and grid (N, H_out, W_out, 2) "
                         f"with the same N, got {fmt_shape(input.shape)} and "
                         f"{fmt_shape(grid.shape)}")
    n, c, h, w = input.shape
    ho, wo = grid.shape[1:3]
    if mode == "bicubic":
        # The padding acts on each tap, so the point itself is only unnormalised.
        x = _unnormalise(grid[..., 0], w, align_corners)
        y = _unnormalise(grid[..., 1], h, align_corners)
    else:
        x = _source(grid[..., 0], w, padding_mode, align_corners)
        y = _source(grid[..., 1], h, padding_mode, align_corners)
    xp = xp_of(input._array)
    flat = input.reshape(n, c, h * w)

    def read(xi, yi):
        """Input values at integer pixels (xi, yi) (N, H_out, W_out), 0 outside."""
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        at = (xp.clip(yi, 0, h - 1) * w + xp.clip(xi, 0, w - 1)).reshape(n, 1, ho * wo)
        values = gather(flat, 2, constant(xp.broadcast_to(at, (n, c, ho * wo)).copy()))
        mask = constant(inside.reshape(n, 1, ho * wo).astype(input._array.dtype))
        return (values * mask).reshape(n, c, ho, wo)

    if mode == "nearest":
        return read(xp.rint(x._array).astype(np.int64), xp.rint(y._array).astype(np.int64))
    if mode == "bicubic":
        return _bicubic(read, x, y, w, h, padding_mode, align_corners)
    x0, y0 = xp.floor(x._array), xp.floor(y._array)
    # Weights from the grid (differentiable), neighbours at fixed integer positions.
    wx1, wy1 = (x - constant(x0)).unsqueeze(1), (y - constant(y0)).unsqueeze(1)
    wx0, wy0 = 1 - wx1, 1 - wy1
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    return (read(x0, y0) * wx0 * wy0 + read(x0 + 1, y0) * wx1 * wy0
            + read(x0, y0 + 1) * wx0 * wy1 + read(x0 + 1, y0 + 1) * wx1 * wy1)


def _bicubic(read, x, y, w, h, padding_mode, align_corners):
    """Sum over the 4 x 4 taps around (x, y) of cubic weights (from the grid,
    differentiable) times the input there (padded per tap)."""
    xp = xp_of(x._array)
    x0, y0 = xp.floor(x._array), xp.floor(y._array)
    wx = cubic_weights((x - constant(x0)).unsqueeze(1))
    wy = cubic_weights((y - constant(y0)).unsqueeze(1))
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    xs = [_tap(x0 + i, w, padding_mode, align_corners) for i in (-1, 0, 1, 2)]
    ys = [_tap(y0 + j, h, padding_mode, align_corners) for j in (-1, 0, 1, 2)]
    out = None
    for yj, wyj in zip(ys, wy):
        row = None
        for xi, wxi in zip(xs, wx):
            term = read(xi, yj) * wxi
            row = term if row is None else row + term
        out = row * wyj if out is None else out + row * wyj
    return out
