"""3-D (volumetric) convolution and pooling: conv3d, conv_transpose3d, max_pool3d,
avg_pool3d, adaptive_avg_pool3d, adaptive_max_pool3d, as PyTorch's.

Each is a composition of differentiable Ember ops: the windows of the padded
(N, C, D, H, W) input are strided views (``Tensor.unfold`` along the three
axes), convolution is one GEMM per group over the gathered windows, max and
average pooling reduce each window, and adaptive averaging applies one
averaging matrix per axis; the transposed convolution is a GEMM whose
products are added into the output volume with ``index_add``. Gradients of
every order come from those ops.
These are the general paths, not tuned kernels: 2-D layers have their own.
"""

import numpy as np

from ember.ops import _autocast as _amp
from ember.backend.device import xp_of
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.conv import ntuple
from ember.ops.linalg import matmul
from ember.ops.pool import (PoolGather, _adaptive_bounds, _averaging_matrix, _batched,
                            _output_size, _pool_geometry, _restore)
from ember.ops.reduce import constant
from ember.ops.shape import cat
from ember.tensor import _host

__all__ = ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
           "adaptive_max_pool3d"]


def _pad3d(x, pads, value=0.0):
    """Pad D, H, W by ``pads`` ((before, after) per axis)."""
    from ember.nn.functional import pad  # F sits above ops
    if not any(a or b for a, b in pads):
        return x
    flat = tuple(v for pair in reversed(pads) for v in pair)
    return pad(x, flat, value=value)


def _windows(x, kernel, stride, dilation, out):
    """(N, C, D', H', W', kd, kh, kw) views of every window of the (padded) ``x``."""
    w = x
    for axis, (k, s, d) in enumerate(zip(kernel, stride, dilation)):
        w = w.unfold(2 + axis, d * (k - 1) + 1, s)
    w = w[:, :, :out[0], :out[1], :out[2], ::dilation[0], ::dilation[1], ::dilation[2]]
    return w


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution of (N, C_in, D, H, W) (or unbatched) input with weight
    (C_out, C_in / groups, kd, kh, kw); ``padding`` is an int, a triple, 'valid'
    or 'same' (stride 1)."""
    if _amp.active:
        return _amp.run("conv3d", conv3d, input, weight, bias, stride, padding, dilation, groups)
    op = "conv3d"
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    if weight.ndim != 5:
        raise RuntimeError(f"{op}: expected a 5-D weight (C_out, C_in / groups, kd, kh, kw), "
                           f"got {fmt_shape(weight.shape)}")
    x, single = _batched(input, 3, op)
    n, c = x.shape[:2]
    o, cg = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    if groups <= 0 or c != cg * groups or o % groups:
        raise RuntimeError(f"{op}: expected input with {cg * groups} channels and out "
                           f"channels divisible by groups={groups}, got input "
                           f"{fmt_shape(input.shape)} and weight {fmt_shape(weight.shape)}")
    stride = ntuple(stride, 3, "stride", op)
    dilation = ntuple(dilation, 3, "dilation", op)
    if padding == "valid":
        pads = ((0, 0),) * 3
    elif padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        pads = tuple((t // 2, t - t // 2) for t in totals)
    else:
        pads = tuple((p, p) for p in ntuple(padding, 3, "padding", op))
    out = tuple((s + a + b - d * (k - 1) - 1) // st + 1 for s, (a, b), k, st, d in
                zip(x.shape[2:], pads, kernel, stride, dilation))
    if any(v <= 0 for v in out):
        raise RuntimeError(f"{op}: the padded input is smaller than the dilated kernel "
                           f"{kernel}")
    win = _windows(_pad3d(x, pads), kernel, stride, dilation, out)
    og = o // groups
    parts = []
    for g in range(groups):
        cols = win[:, g * cg:(g + 1) * cg].permute(0, 2, 3, 4, 1, 5, 6, 7)
        cols = cols.reshape(n * out[0] * out[1] * out[2], -1)
        parts.append(matmul(cols, weight[g * og:(g + 1) * og].reshape(og, -1).mT))
    y = parts[0] if groups == 1 else cat(parts, 1)
    y = y.reshape(n, *out, o).permute(0, 4, 1, 2, 3).contiguous()
    if bias is not None:
        y = y + check_tensor(bias, op, "bias").reshape(1, o, 1, 1, 1)
    return _restore(y, single)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The transpose (gradient) of ``conv3d``: (N, C_in, D, H, W) input, weight
    (C_in, C_out / groups, kd, kh, kw); output size per axis
    (I - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1."""
    if _amp.active:
        return _amp.run("conv_transpose3d", conv_transpose3d, input, weight, bias, stride, padding,
                        output_padding, groups, dilation)
    op = "conv_transpose3d"
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    if weight.ndim != 5:
        raise RuntimeError(f"{op}: expected a 5-D weight (C_in, C_out / groups, kd, kh, kw), "
                           f"got {fmt_shape(weight.shape)}")
    x, single = _batched(input, 3, op)
    n, c = x.shape[:2]
    if groups <= 0 or weight.shape[0] != c or c % groups:
        raise RuntimeError(f"{op}: expected input with {weight.shape[0]} channels, divisible "
                           f"by groups={groups}, got input {fmt_shape(input.shape)}")
    kernel = tuple(weight.shape[2:])
    stride = ntuple(stride, 3, "stride", op)
    padding = ntuple(padding, 3, "padding", op)
    extra = ntuple(output_padding, 3, "output_padding", op)
    dilation = ntuple(dilation, 3, "dilation", op)
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"{op}: output_padding must be smaller than stride or dilation, got "
                         f"output_padding={extra}, stride={stride}, dilation={dilation}")
    size_in = x.shape[2:]
    full = tuple((i - 1) * s + d * (k - 1) + 1 + e for i, s, d, k, e in
                 zip(size_in, stride, dilation, kernel, extra))  # before cropping the padding
    out = tuple(f - 2 * p for f, p in zip(full, padding))
    if any(v <= 0 for v in out):
        raise RuntimeError(f"{op}: the output size {out} is not positive")
    cg, og = c // groups, weight.shape[1]
    # Every (input position, kernel offset) pair's place in the uncropped output volume.
    pos = [(np.arange(i)[:, None] * s + np.arange(k)[None, :] * d)
           for i, s, k, d in zip(size_in, stride, kernel, dilation)]  # (I, k) per axis
    z, r, q = np.meshgrid(np.arange(size_in[0]), np.arange(size_in[1]), np.arange(size_in[2]),
                          indexing="ij")
    kz, kr, kq = np.meshgrid(*(np.arange(k) for k in kernel), indexing="ij")
    place = ((pos[0][z[..., None, None, None], kz] * full[1]
              + pos[1][r[..., None, None, None], kr]) * full[2]
             + pos[2][q[..., None, None, None], kq]).reshape(-1)  # (I..., k...) flattened
    index = constant(place.astype(np.int64)).to(x.device)
    positions = size_in[0] * size_in[1] * size_in[2]
    zeros = constant(np.zeros((n, og, full[0] * full[1] * full[2]), x._array.dtype)).to(x.device)
    parts = []
    for g in range(groups):
        rows = x[:, g * cg:(g + 1) * cg].reshape(n, cg, positions).mT  # (N, L, cg)
        prod = matmul(rows, weight[g * cg:(g + 1) * cg].reshape(cg, -1))  # (N, L, og * K)
        # (N, og, L * K), in the order of ``place``: position, then kernel offset.
        prod = prod.reshape(n, positions, og, -1).permute(0, 2, 1, 3).reshape(n, og, -1)
        parts.append(zeros.index_add(2, index, prod))
    y = parts[0] if groups == 1 else cat(parts, 1)
    y = y.reshape(n, og * groups, *full)
    y = y[:, :, padding[0]:padding[0] + out[0], padding[1]:padding[1] + out[1],
          padding[2]:padding[2] + out[2]].contiguous()
    if bias is not None:
        y = y + check_tensor(bias, op, "bias").reshape(1, -1, 1, 1, 1)
    return _restore(y, single)


def _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, op):
    """(kernel, stride, dilation, padding pairs, output size) of a 3-D pool."""
    kernel, geom, out, _ = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode,
                                          op, dims=3)
    return kernel, geom.stride, geom.dilation, geom.padding, out


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over sliding windows of (N, C, D, H, W) (or unbatched) input.

    With ``return_indices``, also each maximum's flat index in its D * H * W
    volume (for ``max_unpool3d``-style use). Differs from PyTorch: tied
    maxima share the gradient (PyTorch's goes to one of them).
    """
    if _amp.active:
        return _amp.run("max_pool3d", max_pool3d, input, kernel_size, stride, padding, dilation,
                        ceil_mode, return_indices)
    op = "max_pool3d"
    x, single = _batched(input, 3, op)
    kernel, stride, dilation, pads, out = _pool_args(x, kernel_size, stride, padding, dilation,
                                                     ceil_mode, op)
    win = _windows(_pad3d(x, pads, float("-inf")), kernel, stride, dilation, out)
    y = win.amax((5, 6, 7))
    if not return_indices:
        return _restore(y, single)
    # The window position of each maximum (the first), then its place in the volume.
    flat = _host(win.detach().reshape(*win.shape[:5], -1).argmax(-1)._array)
    kd_i, kh_i, kw_i = np.unravel_index(flat, kernel)
    grids = np.meshgrid(*(np.arange(v) for v in out), indexing="ij")
    (pd, _), (ph, _), (pw, _) = pads
    z = grids[0] * stride[0] + kd_i * dilation[0] - pd
    r = grids[1] * stride[1] + kh_i * dilation[1] - ph
    q = grids[2] * stride[2] + kw_i * dilation[2] - pw
    d_, h_, w_ = x.shape[2:]
    index = constant(xp_of(x._array).asarray(((z * h_ + r) * w_ + q).astype(np.int64)))
    return _restore(y, single), _restore(index, single)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over sliding windows of (N, C, D, H, W) (or unbatched) input.

    ``count_include_pad``: the padding zeros count in each divisor (windows
    reaching past the padding in ceil mode count only up to it, as PyTorch);
    ``divisor_override`` replaces every divisor.
    """
    if _amp.active:
        return _amp.run("avg_pool3d", avg_pool3d, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)
    op = "avg_pool3d"
    x, single = _batched(input, 3, op)
    kernel, stride, _, pads, out = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, op)
    ones = (1, 1, 1)
    total = _windows(_pad3d(x, pads), kernel, stride, ones, out).sum((5, 6, 7))
    if divisor_override is not None:
        return _restore(total / divisor_override, single)
    # Each window's divisor: how many of its places hold real input (or padding).
    size = x.shape[2:]
    counted = np.zeros(tuple(s + a + b for s, (a, b) in zip(size, pads)), np.float64)
    if count_include_pad:
        symmetric = [p for p, _ in pads]
        counted[tuple(slice(0, s + 2 * p) for s, p in zip(size, symmetric))] = 1
    else:
        counted[tuple(slice(a, a + s) for s, (a, _) in zip(size, pads))] = 1
    view = np.lib.stride_tricks.sliding_window_view(counted, kernel)
    view = view[tuple(slice(None, o * st, st) for o, st in zip(out, stride))]
    divisor = view.sum((3, 4, 5)).astype(x._array.dtype)
    return _restore(total / constant(divisor).to(x.device), single)


def adaptive_avg_pool3d(input, output_size):
    """Mean over ``output_size`` (D_out, H_out, W_out) near-equal windows covering the
    input, as one averaging matrix per axis."""
    if _amp.active:
        return _amp.run("adaptive_avg_pool3d", adaptive_avg_pool3d, input, output_size)
    op = "adaptive_avg_pool3d"
    x, single = _batched(input, 3, op)
    sizes = _output_size(output_size, x, 3, op)
    dtype, dev = x._array.dtype, x.device
    y = x
    for axis, size in enumerate(sizes):
        m = _averaging_matrix(x.shape[2 + axis], size, dtype, dev)
        # Bring the axis last, average it, put it back.
        y = matmul(y.movedim(2 + axis, -1), m.mT).movedim(-1, 2 + axis)
    return _restore(y, single)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Maximum over ``output_size`` (D_out, H_out, W_out) near-equal windows.

    Each window's argmax (its flat index in the D * H * W volume) is found with
    one NumPy reduction per window; the values are then gathered differentiably
    (``PoolGather``), so the gradient goes to the maxima.
    """
    if _amp.active:
        return _amp.run("adaptive_max_pool3d", adaptive_max_pool3d, input, output_size,
                        return_indices)
    op = "adaptive_max_pool3d"
    x, single = _batched(input, 3, op)
    sizes = _output_size(output_size, x, 3, op)
    a = x._array
    xp = xp_of(a)
    d, h, w = a.shape[2:]
    index = xp.empty(a.shape[:2] + sizes, np.int64)
    (z0, z1), (r0, r1), (q0, q1) = (_adaptive_bounds(s, o) for s, o in zip((d, h, w), sizes))
    for i in range(sizes[0]):
        for j in range(sizes[1]):
            for k in range(sizes[2]):
                win = a[:, :, z0[i]:z1[i], r0[j]:r1[j], q0[k]:q1[k]]
                arg = win.reshape(a.shape[:2] + (-1,)).argmax(-1)
                dz, rest = divmod(arg, (r1[j] - r0[j]) * (q1[k] - q0[k]))
                dr, dq = divmod(rest, q1[k] - q0[k])
                index[:, :, i, j, k] = ((z0[i] + dz) * h + r0[j] + dr) * w + q0[k] + dq
    y = _restore(PoolGather.apply(x, index), single)
    if not return_indices:
        return y
    return y, _restore(constant(index), single)
