"""``unfold`` (im2col) and ``fold`` (col2im) as differentiable functions, as PyTorch's.

``unfold`` takes every sliding block of a padded (N, C, H, W) input and lays
each out as a column: (N, C * kh * kw, L), rows ordered channel, then kernel
row, then kernel column; columns ordered as the blocks' positions, row-major.
``fold`` is its adjoint: it adds each column back into its block, summing
where blocks overlap. Both are compositions of Ember ops (pad, strided
windows, permute; index_add), so gradients of every order come from those.
"""

import numpy as np

from ember.backend.device import xp_of
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.reduce import constant

__all__ = ["unfold", "fold"]


def _pair(value, name, op):
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{op}: expected {name} to be an int or a pair, got {value}")
    return value


def _blocks(size, kernel, dilation, padding, stride):
    """Number of block positions along one axis."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _geometry(op, kernel_size, dilation, padding, stride):
    k, d = _pair(kernel_size, "kernel_size", op), _pair(dilation, "dilation", op)
    p, s = _pair(padding, "padding", op), _pair(stride, "stride", op)
    if min(k + d + s) <= 0 or min(p) < 0:
        raise ValueError(f"{op}: kernel_size, dilation and stride must be positive and padding "
                         f"non-negative, got kernel_size={k}, dilation={d}, padding={p}, "
                         f"stride={s}")
    return k, d, p, s


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) (or (C, H, W)) input as columns: (N, C * kh * kw, L)."""
    from ember.nn.functional import pad  # F sits above ops
    op = "unfold"
    check_tensor(input, op)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                           f"{fmt_shape(input.shape)}")
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _geometry(op, kernel_size, dilation, padding,
                                                       stride)
    single = input.ndim == 3
    x = input.unsqueeze(0) if single else input
    n, c, h, w = x.shape
    oh, ow = _blocks(h, kh, dh, ph, sh), _blocks(w, kw, dw, pw, sw)
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"{op}: the padded input {h + 2 * ph} x {w + 2 * pw} is smaller than "
                           f"the dilated kernel {dh * (kh - 1) + 1} x {dw * (kw - 1) + 1}")
    if ph or pw:
        x = pad(x, (pw, pw, ph, ph))
    # (N, C, oh, ow, extent_h, extent_w), then every dilation-th element of each extent.
    blocks = x.unfold(2, dh * (kh - 1) + 1, sh).unfold(3, dw * (kw - 1) + 1, sw)
    blocks = blocks[:, :, :oh, :ow, ::dh, ::dw]
    cols = blocks.permute(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)
    return cols.squeeze(0) if single else cols


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns (N, C * kh * kw, L) (or unbatched) summed back into (N, C, H, W) blocks."""
    op = "fold"
    check_tensor(input, op)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected a 2-D (C * kh * kw, L) or 3-D (N, C * kh * kw, L) "
                           f"input, got {fmt_shape(input.shape)}")
    h, w = _pair(output_size, "output_size", op)
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _geometry(op, kernel_size, dilation, padding,
                                                       stride)
    single = input.ndim == 2
    x = input.unsqueeze(0) if single else input
    n, rows, length = x.shape
    if rows % (kh * kw):
        raise RuntimeError(f"{op}: expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size ({kh * kw}), got {rows}")
    oh, ow = _blocks(h, kh, dh, ph, sh), _blocks(w, kw, dw, pw, sw)
    if oh * ow != length:
        raise RuntimeError(f"{op}: expected input's dimension 2 to match the number of sliding "
                           f"blocks {oh} * {ow} = {oh * ow} for output_size {(h, w)}, got "
                           f"{length}")
    c, hp, wp = rows // (kh * kw), h + 2 * ph, w + 2 * pw
    # Each column element's position in the padded output plane, in the input's order
    # (kernel row, kernel column, block row, block column).
    top = (np.arange(oh) * sh)[None, :, None] + (np.arange(kh) * dh)[:, None, None]
    left = (np.arange(ow) * sw)[None, None, :] + (np.arange(kw) * dw)[:, None, None]
    at = (top[:, None, :, :] * wp + left[None, :, :, :]).reshape(-1)  # (kh, kw, oh, ow)
    xp = xp_of(x._array)
    plane = constant(xp.zeros((n, c, hp * wp), x._array.dtype))
    out = plane.index_add(2, constant(xp.asarray(at)), x.reshape(n, c, kh * kw * length))
    out = out.reshape(n, c, hp, wp)[:, :, ph:ph + h, pw:pw + w]
    return out.squeeze(0) if single else out
