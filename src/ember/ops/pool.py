"""Pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d, adaptive_max_pool1d/2d.

Max pooling compares the windows one kernel position at a time: for each
position (i, j), the input elements at that position of every window form a
strided, output-shaped view, so a k x k pool is k * k whole-array passes,
never a loop over windows. Each window keeps the position of its maximum as a
small integer code (PyTorch's tie rule: the first maximum wins; a NaN wins,
the last one); ``WindowScatter`` routes the gradient back through the same
views and ``WindowGather`` is its adjoint, so second derivatives work. Flat
int64 indices are built from the codes only when asked for.

Adaptive max pooling finds flat indices window by window and uses the
``PoolGather`` / ``PoolScatter`` pair. Average pooling is a depthwise
convolution with a ones kernel divided by the window count, and adaptive
average pooling two products with averaging matrices: both reuse
differentiable ops.
"""

import math

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.ops.conv import Conv2d, Geometry, ntuple
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.linalg import matmul
from ember.ops.views import squeeze, unsqueeze
from ember.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"]


# ---- max pooling by kernel position -----------------------------------------------


def _axis_span(size, out, k, stride, dilation, pad):
    """The outputs [lo, hi) whose kernel position ``k`` lands inside an axis of
    ``size`` (not in the padding), and the strided input slice of those
    elements; None when there are none."""
    off = k * dilation - pad  # input coordinate of output 0's element k
    lo = max(0, -(off // stride))
    hi = min(out, (size - 1 - off) // stride + 1)
    if hi <= lo:
        return None
    start = lo * stride + off
    return slice(lo, hi), slice(start, start + stride * (hi - lo - 1) + 1, stride)


class WindowPlan:
    """The kernel positions of a pooling on (N, C, H, W), as pairs of slices.

    ``positions`` holds, for kernel position number ``k = i * kw + j`` (row-major),
    the output region (outputs whose element ``k`` lies inside the input, not
    in the padding) and the strided input region holding those elements.
    Padding is never read: a window's maximum is its maximum over real elements,
    as in PyTorch, even when those are -inf.
    """

    def __init__(self, in_shape, kernel, geom, out_hw):
        self.in_shape = tuple(in_shape)
        self.out_shape = self.in_shape[:2] + tuple(out_hw)
        self.kernel, self.geom = kernel, geom
        (h, w), (ho, wo) = self.in_shape[2:], out_hw
        (sh, sw), (dh, dw) = geom.stride, geom.dilation
        (pt, _), (pl, _) = geom.padding
        self.positions = []
        for i in range(kernel[0]):
            rows = _axis_span(h, ho, i, sh, dh, pt)
            for j in range(kernel[1]):
                cols = _axis_span(w, wo, j, sw, dw, pl)
                self.positions.append(None if rows is None or cols is None else
                                      ((Ellipsis, rows[0], cols[0]), (Ellipsis, rows[1], cols[1])))
        reach = [d * (k - 1) + 1 for d, k in zip(geom.dilation, kernel)]
        # Distinct windows never share an element: the scatter can assign, not add.
        self.disjoint = all(s >= r for s, r in zip(geom.stride, reach))
        count = kernel[0] * kernel[1]
        self.code_dtype = np.uint8 if count <= 256 else np.int32

    def covers_all(self, k):
        """Whether kernel position ``k`` is inside the input for every window."""
        p = self.positions[k]
        return p is not None and all(s.start == 0 and s.stop == n for s, n in
                                     zip(p[0][1:], self.out_shape[2:]))

    def flat_index(self, xp, code):
        """int64 index of each window's chosen element into its H * W plane."""
        w, (ho, wo) = self.in_shape[3], self.out_shape[2:]
        (sh, sw), (dh, dw) = self.geom.stride, self.geom.dilation
        (pt, _), (pl, _) = self.geom.padding
        kh, kw = self.kernel
        offset = ((np.arange(kh)[:, None] * dh - pt) * w + np.arange(kw) * dw - pl).ravel()
        corner = (np.arange(ho)[:, None] * sh * w + np.arange(wo) * sw).astype(np.int64)
        return xp.asarray(offset)[code] + xp.asarray(corner)


# Input elements per block of samples: the several passes of a pooling then
# reread a block from cache, not from memory (about a third faster on CPU).
_BLOCK = 1 << 18


def _batch_blocks(xp, shape):
    """Slices of the batch axis, each about ``_BLOCK`` input elements (one on GPU)."""
    n, per_sample = shape[0], math.prod(shape[1:])
    step = max(1, n if xp is not np else _BLOCK // max(1, per_sample))
    return [slice(s, s + step) for s in range(0, n, step)]


def _window_max(xp, x, plan):
    """The maxima (NaN-propagating) and each window's code (its maximum's position)."""
    y = xp.empty(plan.out_shape, x.dtype)
    code = xp.empty(plan.out_shape, plan.code_dtype)
    for b in _batch_blocks(xp, x.shape):
        xb, yb, cb = x[b], y[b], code[b]
        _reduce_windows(xb, plan, xp.maximum, yb)
        if x.dtype.kind == "f" and xp.isnan(yb).any():
            # Codes from the NaN-ignoring maxima, then the last NaN of each window wins.
            _first_matches(xp, xb, plan, _reduce_windows(xb, plan, xp.fmax, xp.empty_like(yb)),
                           cb)
            for k, p in enumerate(plan.positions):
                if p is not None:
                    xp.copyto(cb[p[0]], k, where=xp.isnan(xb[p[1]]))
        else:
            _first_matches(xp, xb, plan, yb, cb)
    return y, code


def _reduce_windows(x, plan, op, y):
    """``op`` folded over the kernel positions into ``y``: one pass per position."""
    if plan.covers_all(0):
        y[...] = x[plan.positions[0][1]]
        rest = plan.positions[1:]
    else:
        y.fill(-np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)
        rest = plan.positions
    for p in rest:
        if p is not None:
            out = y[p[0]]
            op(out, x[p[1]], out=out)
    return y


def _first_matches(xp, x, plan, y, code):
    """Per window, the first kernel position whose element equals ``y``, into ``code``.

    The code counts the leading positions that do not match: a running "no
    match yet" mask is and-ed with each position's mismatch and added up, all
    on contiguous bytes (masked stores of the codes are several times slower).
    The last position needs no test: ``y`` is one of the window's elements.
    """
    none_yet = xp.ones(y.shape, bool)
    code.fill(0)
    for p in plan.positions[:-1]:
        if p is not None:
            region = none_yet[p[0]]
            xp.logical_and(region, x[p[1]] != y[p[0]], out=region)
        code += none_yet.view(np.uint8) if plan.code_dtype == np.uint8 else none_yet


def _scatter_block(xp, out, g, code, plan):
    """Add each window's ``g`` to its ``code`` element of ``out``: one pass per position."""
    finite = bool(xp.isfinite(g).all())  # g * mask is one pass, but inf * 0 would be NaN
    for k, p in enumerate(plan.positions):
        if p is None:
            continue
        hit = code[p[0]] == k
        if finite and plan.disjoint:  # each input element belongs to one window: assign
            xp.multiply(g[p[0]], hit, out=out[p[1]])
            continue
        part = g[p[0]] * hit if finite else xp.where(hit, g[p[0]], 0)
        if plan.disjoint:
            out[p[1]] = part
        else:
            out[p[1]] += part


class WindowScatter(Function):
    """Gradient of the window maxima: ``g`` sent to each window's ``code`` element."""

    @staticmethod
    def forward(ctx, g, code, plan):
        xp = ctx.xp
        out = xp.zeros(plan.in_shape, g.dtype)
        for b in _batch_blocks(xp, plan.in_shape):
            _scatter_block(xp, out[b], g[b], code[b], plan)
        ctx.code, ctx.plan = code, plan
        return out

    @staticmethod
    def backward(ctx, gg):
        return WindowGather.apply(gg, ctx.code, ctx.plan), None, None


class WindowGather(Function):
    """Each window's ``code`` element of ``x`` (N, C, H, W): the adjoint of WindowScatter."""

    @staticmethod
    def forward(ctx, x, code, plan):
        xp = ctx.xp
        out = xp.zeros(plan.out_shape, x.dtype)
        for k, p in enumerate(plan.positions):
            if p is not None:
                region = out[p[0]]
                xp.copyto(region, x[p[1]], where=code[p[0]] == k)
        ctx.code, ctx.plan = code, plan
        return out

    @staticmethod
    def backward(ctx, g):
        return WindowScatter.apply(g, ctx.code, ctx.plan), None, None


class MaxPool2d(Function):
    """Window maxima of (N, C, H, W); also their flat indices with ``return_indices``."""

    @staticmethod
    def forward(ctx, x, kernel, geom, out_hw, return_indices):
        plan = WindowPlan(x.shape, kernel, geom, out_hw)
        y, code = _window_max(ctx.xp, x, plan)
        ctx.code, ctx.plan = code, plan
        if not return_indices:
            return y
        index = plan.flat_index(ctx.xp, code)
        ctx.mark_non_differentiable(index)
        return y, index

    @staticmethod
    def backward(ctx, g, *_):
        return WindowScatter.apply(g, ctx.code, ctx.plan), None, None, None, None


# ---- adaptive max pooling's flat-index pair -----------------------------------------


class PoolScatter(Function):
    """Sum ``g`` (N, C, *out) into zeros of ``in_shape`` at flat per-channel ``index``."""

    @staticmethod
    def forward(ctx, g, index, in_shape):
        xp = ctx.xp
        n, c = in_shape[:2]
        plane = math.prod(in_shape[2:])
        rows = g.reshape(n * c, -1)
        idx = index.reshape(n * c, -1)
        if xp is np:
            flat = (idx + np.arange(n * c)[:, None] * plane).ravel()
            out = np.bincount(flat, rows.ravel(), n * c * plane).astype(g.dtype)
        else:
            out = xp.zeros((n * c, plane), g.dtype)
            xp.add.at(out, (xp.arange(n * c)[:, None], idx), rows)
        ctx.index = index
        return out.reshape(in_shape)

    @staticmethod
    def backward(ctx, gg):
        return PoolGather.apply(gg, ctx.index), None, None


class PoolGather(Function):
    """out[n, c, *pos] = x[n, c].flat[index[n, c, *pos]] (the adjoint of PoolScatter)."""

    @staticmethod
    def forward(ctx, x, index):
        n, c = x.shape[:2]
        out = ctx.xp.take_along_axis(x.reshape(n * c, -1), index.reshape(n * c, -1), axis=1)
        ctx.index, ctx.in_shape = index, x.shape
        return out.reshape(index.shape)

    @staticmethod
    def backward(ctx, g):
        return PoolScatter.apply(g, ctx.index, ctx.in_shape), None


# ---- argument handling ---------------------------------------------------------


def pool_out_size(size, kernel, stride, pad, dilation, ceil_mode):
    """PyTorch's pooling output size; in ceil mode the last window must start inside."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = span // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, op, dims=2):
    """Kernel, Geometry (ceil mode's extra far-side padding included) and output size,
    for ``dims`` spatial axes."""
    kernel = ntuple(kernel_size, dims, "kernel_size", op)
    stride = kernel if stride is None or stride == [] or stride == () else \
        ntuple(stride, dims, "stride", op)
    pads = ntuple(padding, dims, "padding", op)
    dilation = ntuple(dilation, dims, "dilation", op)
    for name, vals in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if any(v <= 0 for v in vals):
            raise RuntimeError(f"{op}: expected {name} to be positive, got {name}={vals}")
    for p, k, d in zip(pads, kernel, dilation):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, "
                               f"but got pad={p}, kernel_size={k} and dilation={d}")
    size = x.shape[2:]
    out = tuple(pool_out_size(s, k, st, p, d, ceil_mode)
                for s, k, st, p, d in zip(size, kernel, stride, pads, dilation))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{op}: given input size {fmt_shape(x.shape[1:])}, calculated "
                           f"output size {fmt_shape(x.shape[1:2] + out)}; output size is too small")
    # The windows of ceil mode may run past the padded input: pad the far side further.
    far = tuple(max(p, (o - 1) * st + d * (k - 1) + 1 - s - p)
                for s, k, st, p, d, o in zip(size, kernel, stride, pads, dilation, out))
    geom = Geometry(stride, tuple(zip(pads, far)), dilation)
    return kernel, geom, out, pads


def _batched(input, dims, op):
    check_tensor(input, op)
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D "
                           f"(batched) input, got input of size {fmt_shape(input.shape)}")
    if any(s == 0 for s in input.shape[-dims:]):
        raise RuntimeError(f"{op}: expected non-empty spatial dimensions, got input of size "
                           f"{fmt_shape(input.shape)}")
    unbatched = input.ndim == dims + 1
    return (unsqueeze(input, 0) if unbatched else input), unbatched


def _restore(t, unbatched):
    return squeeze(t, 0) if unbatched else t


# ---- max pooling ------------------------------------------------------------------


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over each (dilated) window of an (N, C, H, W) or (C, H, W) input.

    Args:
        kernel_size: window size, an int or a pair.
        stride: window step; default ``kernel_size``.
        padding: implicit -inf border on both sides, at most half the window.
        dilation: spacing between window elements.
        ceil_mode: round the output size up (a last, partial window) instead of down.
        return_indices: also return the flat index (into each H * W plane) of
            every maximum, as ``max_unpool2d`` takes it.

    Returns:
        The pooled (N, C, H_out, W_out) tensor, and the int64 indices with
        ``return_indices``. Ties go to the first maximum in the window.
    """
    x, unbatched = _batched(input, 2, "max_pool2d")
    kernel, geom, out, _ = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode,
                                          "max_pool2d")
    if not return_indices:
        return _restore(MaxPool2d.apply(x, kernel, geom, out, False), unbatched)
    y, index = MaxPool2d.apply(x, kernel, geom, out, True)
    return _restore(y, unbatched), _restore(index, unbatched)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over each window of an (N, C, L) or (C, L) input (see ``max_pool2d``)."""
    op = "max_pool1d"
    x, unbatched = _batched(input, 1, op)
    args = [ntuple(a, 1, name, op) for a, name in ((kernel_size, "kernel_size"),
                                                   (padding, "padding"), (dilation, "dilation"))]
    stride = args[0] if stride is None or stride == [] or stride == () else \
        ntuple(stride, 1, "stride", op)
    try:
        out = max_pool2d(unsqueeze(x, 2), (1,) + args[0], (1,) + stride, (0,) + args[1],
                         (1,) + args[2], ceil_mode, return_indices)
    except RuntimeError as e:
        raise RuntimeError(str(e).replace("max_pool2d", op)) from None
    if not return_indices:
        return _restore(squeeze(out, 2), unbatched)
    return tuple(_restore(squeeze(t, 2), unbatched) for t in out)


# ---- average pooling --------------------------------------------------------------


def _avg_divisor(size, kernel, stride, pad, out, count_include_pad):
    """Per-output-position window count along one axis, as PyTorch counts it."""
    start = np.arange(out) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    with_pad = end - start  # windows are clipped to the padded input, never beyond
    inside = np.minimum(end, size) - np.maximum(start, 0)
    return with_pad if count_include_pad else inside


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over each window of an (N, C, H, W) or (C, H, W) input.

    Args:
        kernel_size, stride, padding, ceil_mode: as in ``max_pool2d`` (zero padding).
        count_include_pad: count the padding zeros in each window's divisor.
        divisor_override: divide every window sum by this instead.
    """
    op = "avg_pool2d"
    x, unbatched = _batched(input, 2, op)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    kernel, geom, out, pads = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode, op)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    n, c, h, w = x.shape
    ones = Tensor._wrap(np.ones((1, 1) + kernel, x._array.dtype), False, None, 0)
    if type(x._array) is not np.ndarray:
        ones = ones.to(x.device)
    sums = Conv2d.apply(x.reshape(n * c, 1, h, w), ones, None, geom).reshape(n, c, *out)
    if divisor_override is not None:
        y = sums / divisor_override
    else:
        div = np.multiply.outer(*(_avg_divisor(s, k, st, p, o, count_include_pad) for s, k, st, p, o
                                  in zip((h, w), kernel, geom.stride, pads, out)))
        y = sums * Tensor._wrap((1.0 / div).astype(x._array.dtype), False, None, 0).to(x.device)
    return _restore(y, unbatched)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over each window of an (N, C, L) or (C, L) input (see ``avg_pool2d``)."""
    op = "avg_pool1d"
    x, unbatched = _batched(input, 1, op)
    kernel, pads = ntuple(kernel_size, 1, "kernel_size", op), ntuple(padding, 1, "padding", op)
    stride = kernel if stride is None or stride == [] or stride == () else \
        ntuple(stride, 1, "stride", op)
    try:
        y = avg_pool2d(unsqueeze(x, 2), (1,) + kernel, (1,) + stride, (0,) + pads, ceil_mode,
                       count_include_pad)
    except RuntimeError as e:
        raise RuntimeError(str(e).replace("avg_pool2d", op)) from None
    return _restore(squeeze(y, 2), unbatched)


# ---- adaptive pooling -------------------------------------------------------------


def _adaptive_bounds(size, out):
    """PyTorch's adaptive windows: [floor(i * size / out), ceil((i + 1) * size / out))."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _averaging_matrix(size, out, dtype, device):
    """(out, size) matrix whose row i averages input window i."""
    start, end = _adaptive_bounds(size, out)
    pos = np.arange(size)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    m = inside / (end - start)[:, None]
    return Tensor._wrap(m.astype(dtype), False, None, 0).to(device)


def _output_size(output_size, x, dims, op):
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    if len(sizes) != dims:
        raise ValueError(f"{op}: expected output_size to be an int or a sequence of {dims}, "
                         f"got {output_size!r}")
    # None keeps the input's size, as in PyTorch.
    sizes = tuple(x.shape[-dims + i] if s is None else int(s) for i, s in enumerate(sizes))
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"{op}: expected a non-negative output_size, got {output_size!r}")
    return sizes


def adaptive_avg_pool2d(input, output_size):
    """Mean over ``output_size`` (H_out, W_out) near-equal windows covering the input.

    Windows are [floor(i * H / H_out), ceil((i + 1) * H / H_out)): they may
    overlap when H_out does not divide H. Computed as A_h @ x @ A_w.T with
    averaging matrices, so every derivative is a matrix product.
    """
    if _amp.active:
        return _amp.run("adaptive_avg_pool2d", adaptive_avg_pool2d, input, output_size)
    x, unbatched = _batched(input, 2, "adaptive_avg_pool2d")
    ho, wo = _output_size(output_size, x, 2, "adaptive_avg_pool2d")
    dtype, dev = x._array.dtype, x.device
    rows = _averaging_matrix(x.shape[2], ho, dtype, dev)
    cols = _averaging_matrix(x.shape[3], wo, dtype, dev)
    return _restore(matmul(matmul(rows, x), cols.mT), unbatched)


def adaptive_avg_pool1d(input, output_size):
    """Mean over ``output_size`` near-equal windows of an (N, C, L) or (C, L) input."""
    if _amp.active:
        return _amp.run("adaptive_avg_pool1d", adaptive_avg_pool1d, input, output_size)
    x, unbatched = _batched(input, 1, "adaptive_avg_pool1d")
    (lo,) = _output_size(output_size, x, 1, "adaptive_avg_pool1d")
    m = _averaging_matrix(x.shape[2], lo, x._array.dtype, x.device)
    return _restore(matmul(x, m.mT), unbatched)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Maximum over ``output_size`` near-equal windows (see ``adaptive_avg_pool2d``).

    The indices are found window by window (H_out * W_out NumPy reductions),
    the values then gathered differentiably.
    """
    x, unbatched = _batched(input, 2, "adaptive_max_pool2d")
    ho, wo = _output_size(output_size, x, 2, "adaptive_max_pool2d")
    a = x._array
    xp = np if type(a) is np.ndarray else __import__("cupy")
    index = xp.empty(a.shape[:2] + (ho, wo), np.int64)
    (h0, h1), (w0, w1) = _adaptive_bounds(a.shape[2], ho), _adaptive_bounds(a.shape[3], wo)
    for i in range(ho):
        for j in range(wo):
            win = a[:, :, h0[i]:h1[i], w0[j]:w1[j]]
            arg = win.reshape(a.shape[:2] + (-1,)).argmax(-1)
            width = w1[j] - w0[j]
            index[:, :, i, j] = (h0[i] + arg // width) * a.shape[3] + w0[j] + arg % width
    y = PoolGather.apply(x, index)
    index_t = Tensor._wrap(index, False, None, 0)
    y, index_t = _restore(y, unbatched), _restore(index_t, unbatched)
    return (y, index_t) if return_indices else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Maximum over ``output_size`` near-equal windows of an (N, C, L) or (C, L) input."""
    x, unbatched = _batched(input, 1, "adaptive_max_pool1d")
    (lo,) = _output_size(output_size, x, 1, "adaptive_max_pool1d")
    y, index = adaptive_max_pool2d(unsqueeze(x, 2), (1, lo), True)
    y, index = _restore(squeeze(y, 2), unbatched), _restore(squeeze(index, 2), unbatched)
    return (y, index) if return_indices else y
