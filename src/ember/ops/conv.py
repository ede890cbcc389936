"""Convolutions: conv1d, conv2d, conv_transpose1d, conv_transpose2d (im2col + GEMM).

Everything is a 2-D convolution inside; the 1-D forms add a height-1 axis.
Forward gathers the padded input's windows into columns with a strided view
(one copy) and multiplies them with the weight in one batched GEMM.

Stride-1 convolutions on narrow images use "wide" columns (``_pitch``): each
column row spans whole rows of the padded input, Wp values instead of the
output's Wo, so that a kernel position's columns are one contiguous run of
Ho * Wp values per image and plane (im2col and col2im copy long runs instead
of Wo-value pieces, about twice as fast on 16-32 wide images). The extra
Wp - Wo columns per row are garbage in the forward (dropped when the output
is reordered) and zero in the output gradient, so they add nothing to the
weight and input gradients; they cost (Wp - Wo) / Wo more GEMM work, which
``_pitch`` bounds.

Three Functions carry the graph, each one's backward made of the others, so
derivatives of any order work:

- ``Conv2d``          y = conv(x, w) (+ b)
- ``ConvInputGrad``   the adjoint of conv in x: the gradient of the input, and
                      also the transposed convolution (``conv_transpose2d``)
- ``ConvWeightGrad``  the adjoint of conv in w: the gradient of the weight

``ConvInputGrad`` scatters the column gradient back with one strided add per
kernel position (kh * kw additions of whole arrays, never a loop over pixels).
A first-order backward (no ``create_graph``) computes the three gradients of
``Conv2d`` from arrays, sharing one reordered copy of the output gradient.
"""

from typing import NamedTuple

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.autograd.grad_mode import is_grad_enabled
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.linalg import product
from ember.ops.creation import zeros
from ember.ops.reduce import constant
from ember.ops.shape import cat
from ember.ops.views import squeeze, unsqueeze

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


class Geometry(NamedTuple):
    """Where the windows of a 2-D convolution or pooling sit on the input.

    ``padding`` is ((top, bottom), (left, right)): 'same' padding and
    ceil-mode pooling need more on one side than the other.
    """
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int = 1


def pad_input(x, padding, value=0.0):
    """``x`` (N, C, H, W) with ((top, bottom), (left, right)) borders of ``value``."""
    (pt, pb), (pl, pr) = padding
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    xp = np if type(x) is np.ndarray else _xp_of(x)
    # One allocation and one copy: faster than np.pad, which pads axis by axis.
    out = xp.full((n, c, h + pt + pb, w + pl + pr), value, x.dtype)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def _xp_of(a):
    from ember.backend.device import xp_of
    return xp_of(a)


def out_size(padded, kernel, stride, dilation):
    """Number of window positions along one padded axis."""
    return (padded - dilation * (kernel - 1) - 1) // stride + 1


def windows(xp_, kernel, geom, out_hw, order="kernel_first"):
    """Strided view of the windows of a padded (N, C, Hp, Wp) array, no copy.

    Returns shape (N, C, kh, kw, Ho, Wo) (``kernel_first``, the im2col order)
    or (N, C, Ho, Wo, kh, kw) (``kernel_last``, for pooling).
    """
    (kh, kw), (ho, wo) = kernel, out_hw
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    n, c = xp_.shape[:2]
    s_n, s_c, s_h, s_w = xp_.strides
    kernel_strides, out_strides = (s_h * dh, s_w * dw), (s_h * sh, s_w * sw)
    if order == "kernel_first":
        return _read_only_view(xp_, (n, c, kh, kw, ho, wo),
                               (s_n, s_c) + kernel_strides + out_strides)
    return _read_only_view(xp_, (n, c, ho, wo, kh, kw), (s_n, s_c) + out_strides + kernel_strides)


def _read_only_view(a, shape, strides):
    """``as_strided`` of ``a``, read-only on NumPy (CuPy's takes no ``writeable``)."""
    if type(a) is np.ndarray:
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    return _xp_of(a).lib.stride_tricks.as_strided(a, shape, strides)


# Wide columns (see the module docstring) only where the garbage columns add
# at most an eighth to the GEMMs, and where output rows are short enough for
# their length to matter.
_WIDE_MAX_WIDTH = 128


def _pitch(padded_width, out_width, geom):
    """The row pitch of the columns: the padded input's width (wide columns)
    for stride-1 convolutions of narrow images, else the output's width."""
    extra = padded_width - out_width
    if geom.stride == (1, 1) and out_width < _WIDE_MAX_WIDTH and 8 * extra <= out_width:
        return padded_width
    return out_width


def _columns(x, w_shape, geom, ones_row=False):
    """im2col: (G, Cg * kh * kw, N * Ho * pitch) contiguous columns of ``x``.

    Returns (columns, (Ho, Wo), pitch); ``pitch`` is Wo or, for wide columns,
    the padded width (see ``_pitch``). Batch and pixels share the last axis,
    so each group is one large GEMM (NumPy's stacked matmul of many small
    matrices is several times slower). With ``ones_row`` each group gets one
    more row of ones, so that the weight gradient's GEMM also sums the output
    gradient: the bias gradient, without a pass of its own.
    """
    o, cg, kh, kw = w_shape
    (pt, pb), (pl, pr) = geom.padding
    n, c, h, w = x.shape
    ho = out_size(h + pt + pb, kh, geom.stride[0], geom.dilation[0])
    wo = out_size(w + pl + pr, kw, geom.stride[1], geom.dilation[1])
    pitch = _pitch(w + pl + pr, wo, geom)
    if pitch == wo:
        xp_ = pad_input(x, geom.padding)
        win = windows(xp_, (kh, kw), geom, (ho, wo)).transpose(1, 2, 3, 0, 4, 5)  # C kh kw N Ho Wo
    else:
        # One more row below: the last kernel row's run of Ho * Wp values ends in it.
        xp_ = pad_input(x, ((pt, pb + 1), (pl, pr)))
        (dh, dw), item = geom.dilation, xp_.itemsize
        s_n, s_c = xp_.strides[:2]
        win = _read_only_view(xp_, (c, kh, kw, n, ho * pitch),
                              (s_c, dh * pitch * item, dw * item, s_n, item))
    k, groups = cg * kh * kw, geom.groups
    if not ones_row:
        return win.reshape(groups, k, -1), (ho, wo), pitch  # the one copy
    xp = np if type(x) is np.ndarray else _xp_of(x)
    cols = xp.empty((groups, k + 1, n * ho * pitch), x.dtype)
    shape = (groups, cg) + win.shape[1:]
    cols[:, :k].reshape(shape)[...] = win.reshape(shape)
    cols[:, k] = 1
    return cols, (ho, wo), pitch


def _gemm(a, b):
    """Per-group product of (G, m, k) and (G, k, n); a plain 2-D GEMM when G == 1."""
    if a.shape[0] == 1:
        return product(a[0], b[0])[None]
    return product(a, b)


def _gram(gg, cols):
    """Per-group gg @ cols^T for (G, O/G, L) and (G, K, L): the weight gradient.

    The product has a long inner dimension L and a small result; OpenBLAS runs
    it about a third faster with the result's larger side as its rows, so
    where K > O/G it computes cols @ gg^T and returns the transposed view.
    """
    if cols.shape[1] > gg.shape[1]:
        return _gemm(cols, gg.transpose(0, 2, 1)).transpose(0, 2, 1)
    return _gemm(gg, cols.transpose(0, 2, 1))


def _channels_first(xp, y, n, ho, wo, b=None, pitch=None):
    """(G, O/G, N * Ho * pitch) -> contiguous (N, O, Ho, Wo), plus the bias ``b`` if given.

    The bias rides on the copy that reorders the axes (and drops wide columns'
    garbage): one pass instead of two.
    """
    pitch = wo if pitch is None else pitch
    src = y.reshape(-1, n, ho, pitch)[..., :wo].transpose(1, 0, 2, 3)
    if b is None:
        return src.copy()
    out = xp.empty(src.shape, y.dtype)
    xp.add(src, b.reshape(-1, 1, 1), out=out)
    return out


def _grouped_output(g, groups, pitch=None):
    """(N, O, Ho, Wo) -> contiguous (G, O/G, N * Ho * pitch), the GEMM layout; with
    a pitch wider than Wo (wide columns), each row's extra columns are zero."""
    n, o, ho, wo = g.shape
    if pitch is None or pitch == wo:
        return g.transpose(1, 0, 2, 3).reshape(groups, o // groups, -1)
    xp = np if type(g) is np.ndarray else _xp_of(g)
    out = xp.empty((o, n, ho, pitch), g.dtype)
    out[..., :wo] = g.transpose(1, 0, 2, 3)
    out[..., wo:] = 0
    return out.reshape(groups, o // groups, -1)


class Conv2d(Function):
    """y[n, o] = sum over c, i, j of w[o, c, i, j] * x_padded[n, c, s*h + d*i, s*w + d*j] + b[o]."""

    @staticmethod
    def forward(ctx, x, w, b, geom):
        cols, (ho, wo), pitch = _columns(x, w.shape, geom, ones_row=b is not None)
        o, g, k = w.shape[0], geom.groups, w[0].size
        y = _channels_first(ctx.xp, _gemm(w.reshape(g, o // g, -1), cols[:, :k]), x.shape[0], ho,
                            wo, b, pitch)
        ctx.geom = geom
        # Reused by the weight gradient, which would otherwise redo im2col.
        ctx.cols, ctx.pitch = cols, pitch
        ctx.save_for_backward(x, w)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        if not is_grad_enabled():  # first order: arrays, one reordered copy of g for all three
            return _first_order_grads(ctx, x._array, w._array, g._array) + (None,)
        gx = ConvInputGrad.apply(g, w, ctx.geom, x._array.shape) if need[0] else None
        gw = ConvWeightGrad.apply(x, g, ctx.geom, w._array.shape, (ctx.cols, ctx.pitch)) \
            if need[1] else None
        gb = g.sum((0, 2, 3)) if need[2] else None
        return gx, gw, gb, None


def _first_order_grads(ctx, x, w, g):
    """Conv2d's (input, weight, bias) gradients from arrays, when no graph is recorded."""
    need, geom = ctx.needs_input_grad, ctx.geom
    gg = _grouped_output(g, geom.groups, ctx.pitch)  # the one reordering copy of g
    gx = constant(_input_grad(ctx.xp, gg, w, geom, x.shape, g.shape[2:], ctx.pitch)) \
        if need[0] else None
    gw = gb = None
    if need[1] and need[2]:  # the columns' row of ones gives the bias gradient too
        both = _gram(gg, ctx.cols)
        gw = constant(both[..., :-1].reshape(w.shape))
        gb = constant(both[..., -1].reshape(-1).copy())  # a column: copy it contiguous
    elif need[1]:
        gw = constant(_weight_grad(gg, ctx.cols, w.shape))
    elif need[2]:
        gb = constant(gg.sum(-1).reshape(-1))
    return gx, gw, gb


def _input_pitch(geom, in_shape, out_hw):
    """``_pitch`` of the convolution that maps ``in_shape`` to ``out_hw``."""
    (pl, pr), wo = geom.padding[1], out_hw[1]
    return _pitch(in_shape[3] + pl + pr, wo, geom)


def _input_grad(xp, gg, w, geom, in_shape, out_hw, pitch=None):
    """The input gradient from the GEMM-layout gradient ``gg`` (G, O/G, N * Ho * pitch)
    (wide columns' extra columns zero)."""
    n, c, h, wd = in_shape
    o, cg, kh, kw = w.shape
    groups, (ho, wo) = geom.groups, out_hw
    pitch = wo if pitch is None else pitch
    wt = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)
    cols = _gemm(wt, gg)
    (pt, pb), (pl, pr) = geom.padding
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    hp, wp = h + pt + pb, wd + pl + pr
    if pitch != wo:  # wide: each kernel position adds one run of Ho * Wp per image and plane
        cols = cols.reshape(c, kh, kw, n, ho * pitch)
        out = xp.zeros((c, n, (hp + 1) * wp), gg.dtype)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * wp + j * dw
                out[:, :, start:start + ho * wp] += cols[:, i, j]
        out = out.reshape(c, n, hp + 1, wp)
    else:
        cols = cols.reshape(c, kh, kw, n, ho, wo)
        out = xp.zeros((c, n, hp, wp), gg.dtype)
        for i in range(kh):  # col2im: one strided add per kernel position
            for j in range(kw):
                out[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh,
                    j * dw:j * dw + sw * (wo - 1) + 1:sw] += cols[:, i, j]
    return out[:, :, pt:pt + h, pl:pl + wd].transpose(1, 0, 2, 3).copy()


def _weight_grad(gg, cols, w_shape):
    """(G, O/G, N*L) @ (G, N*L, K): BLAS reads the transposed operand in place."""
    k = w_shape[1] * w_shape[2] * w_shape[3]  # without the row of ones, if any
    return _gram(gg, cols[:, :k]).reshape(w_shape)


class ConvInputGrad(Function):
    """The transpose of conv in its input: maps (N, O, Ho, Wo) back to ``in_shape``."""

    @staticmethod
    def forward(ctx, g, w, geom, in_shape):
        ctx.geom, ctx.in_shape = geom, in_shape
        ctx.save_for_backward(g, w)
        pitch = _input_pitch(geom, in_shape, g.shape[2:])
        return _input_grad(ctx.xp, _grouped_output(g, geom.groups, pitch), w, geom, in_shape,
                           g.shape[2:], pitch)

    @staticmethod
    def backward(ctx, gg):
        g, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        # <ConvInputGrad(g, w), v> = <g, conv(v, w)>: differentiate the right side.
        # A transposed convolution's output padding (>= its stride, possible with
        # dilation) gives v more rows or columns than g's windows reach: conv(v, w)
        # then has more outputs than g, and the pairing is with its first (Ho, Wo).
        (ho, wo), geom = g.shape[2:], ctx.geom
        full = [out_size(size + sum(pad), k, st, d) for size, pad, k, st, d in
                zip(gg.shape[2:], geom.padding, w.shape[2:], geom.stride, geom.dilation)]
        if full != [ho, wo]:  # g with zeros for the outputs it lacks
            n, o = g.shape[:2]
            g = cat([g, zeros(n, o, ho, full[1] - wo, dtype=g.dtype, device=g.device)], 3)
            g = cat([g, zeros(n, o, full[0] - ho, full[1], dtype=g.dtype, device=g.device)], 2)
        dg = Conv2d.apply(gg, w, None, ctx.geom) if need[0] else None
        if dg is not None and full != [ho, wo]:
            dg = dg[:, :, :ho, :wo]
        dw = ConvWeightGrad.apply(gg, g, ctx.geom, w._array.shape, None) if need[1] else None
        return dg, dw, None, None


class ConvWeightGrad(Function):
    """The transpose of conv in its weight: sum over n, pixels of g * columns(x)."""

    @staticmethod
    def forward(ctx, x, g, geom, w_shape, columns):
        # ``columns``: (columns, pitch) of x from Conv2d's forward, or None.
        cols, pitch = columns if columns is not None else _columns(x, w_shape, geom)[::2]
        ctx.geom = geom
        ctx.save_for_backward(x, g)
        return _weight_grad(_grouped_output(g, geom.groups, pitch), cols, w_shape)

    @staticmethod
    def backward(ctx, gw_grad):
        x, g = ctx.saved_tensors
        need = ctx.needs_input_grad
        # <ConvWeightGrad(x, g), u> = <g, conv(x, u)> = <ConvInputGrad(g, u), x>.
        dx = ConvInputGrad.apply(g, gw_grad, ctx.geom, x._array.shape) if need[0] else None
        dg = Conv2d.apply(x, gw_grad, None, ctx.geom) if need[1] else None
        return dx, dg, None, None, None


# ---- argument handling ---------------------------------------------------------


def ntuple(value, n, name, op):
    """An int or a sequence of ``n`` ints as a tuple of ``n`` ints."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise ValueError(f"{op}: expected {name} to be an int or a sequence of {n} ints, "
                             f"got {value!r}")
        out = tuple(value)
    else:
        out = (value,) * n
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in out):
        raise TypeError(f"{op}: expected {name} to be an int or a sequence of {n} ints, "
                        f"got {value!r}")
    return tuple(int(v) for v in out)


def _conv_padding(padding, kernel, stride, dilation, op):
    """((top, bottom), (left, right)) from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding != "same":
            raise ValueError(f"{op}: invalid padding string {padding!r}, expected 'valid' or "
                             "'same' (or an int or a tuple of ints)")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions, "
                             f"got stride={stride}")
        # As PyTorch: the odd one of an even total goes to the bottom / right.
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    pads = ntuple(padding, len(kernel), "padding", op)
    if any(p < 0 for p in pads):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={pads}")
    return tuple((p, p) for p in pads)


def _check_positive(values, name, op):
    if any(v <= 0 for v in values):
        raise RuntimeError(f"{op}: expected {name} to be positive, got {name}={values}")


def _check_operands(input, weight, bias, dims, op):
    """Check ranks, dtypes and bias shape; return whether the input was unbatched."""
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    if weight.ndim != dims + 2:
        raise RuntimeError(f"{op}: expected a {dims + 2}-D weight, got weight of size "
                           f"{fmt_shape(weight.shape)}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) "
                           f"input, got input of size {fmt_shape(input.shape)}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point input, got {input.dtype}")
    dtypes = [input.dtype, weight.dtype] + ([bias.dtype] if bias is not None else [])
    if len(set(dtypes)) > 1:
        raise RuntimeError(f"{op}: expected input, weight and bias of one dtype, got "
                           + ", ".join(str(d) for d in dtypes))
    return input.ndim == dims + 1


def _check_bias(bias, channels, op):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise RuntimeError(f"{op}: expected bias of size [{channels}], got "
                           f"{fmt_shape(bias.shape)}")


def _check_groups(groups, in_channels, weight, op, transposed=False):
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise RuntimeError(f"{op}: expected groups to be a positive int, got {groups!r}")
    w0 = weight.shape[0]
    if w0 % groups and not transposed:
        raise RuntimeError(f"{op}: given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size "
                           f"{fmt_shape(weight.shape)} instead")
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if in_channels != expected:
        raise RuntimeError(f"{op}: given groups={groups}, weight of size "
                           f"{fmt_shape(weight.shape)}, expected input to have {expected} "
                           f"channels, but got {in_channels} channels instead")
    if transposed and w0 % groups:
        raise RuntimeError(f"{op}: given groups={groups}, expected the input channels "
                           f"{in_channels} to be divisible by groups")


# ---- public functions ----------------------------------------------------------


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch) over an (N, C, H, W) or (C, H, W) input.

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_out, C_in / groups, kH, kW).
        bias: optional (C_out,).
        stride, dilation: an int or a pair (height, width).
        padding: an int, a pair, 'valid' (none) or 'same' (output size = input
            size; stride 1 only; an odd total puts the extra row/column at the
            bottom/right, as PyTorch).
        groups: split input and output channels into this many independent
            convolutions (groups == C_in gives a depthwise convolution).

    Returns:
        (N, C_out, H_out, W_out), H_out = (H + pad_h - dilation_h * (kH - 1) - 1) // stride_h + 1.
    """
    if _amp.active:
        return _amp.run("conv2d", conv2d, input, weight, bias, stride, padding, dilation, groups)
    unbatched = _check_operands(input, weight, bias, 2, "conv2d")
    kernel = tuple(weight.shape[2:])
    stride = ntuple(stride, 2, "stride", "conv2d")
    dilation = ntuple(dilation, 2, "dilation", "conv2d")
    _check_positive(stride, "stride", "conv2d")
    _check_positive(dilation, "dilation", "conv2d")
    pads = _conv_padding(padding, kernel, stride, dilation, "conv2d")
    x = unsqueeze(input, 0) if unbatched else input
    _check_groups(groups, x.shape[1], weight, "conv2d")
    _check_bias(bias, weight.shape[0], "conv2d")
    padded = [s + p0 + p1 for s, (p0, p1) in zip(x.shape[2:], pads)]
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(p < r for p, r in zip(padded, reach)):
        raise RuntimeError(f"conv2d: calculated padded input size per channel: "
                           f"({padded[0]} x {padded[1]}); kernel size (dilated): "
                           f"({reach[0]} x {reach[1]}); kernel size can't be greater than "
                           "actual input size")
    y = Conv2d.apply(x, weight, bias, Geometry(stride, pads, dilation, int(groups)))
    return squeeze(y, 0) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over an (N, C, L) or (C, L) input; weight (C_out, C_in / groups, k).

    The options are those of ``conv2d``, with single ints (or 1-tuples).
    """
    if _amp.active:
        return _amp.run("conv1d", conv1d, input, weight, bias, stride, padding, dilation, groups)
    unbatched = _check_operands(input, weight, bias, 1, "conv1d")
    stride = ntuple(stride, 1, "stride", "conv1d")
    dilation = ntuple(dilation, 1, "dilation", "conv1d")
    if not isinstance(padding, str):
        padding = ntuple(padding, 1, "padding", "conv1d")
    x = unsqueeze(input, 0) if unbatched else input
    try:
        y = conv2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, (1,) + stride,
                   padding if isinstance(padding, str) else (0,) + padding, (1,) + dilation,
                   groups)
    except (RuntimeError, ValueError) as e:  # name the function the user called
        raise type(e)(str(e).replace("conv2d", "conv1d")) from None
    y = squeeze(y, 2)
    return squeeze(y, 0) if unbatched else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution (the gradient of conv2d with respect to its input).

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W).
        weight: (C_in, C_out / groups, kH, kW).
        bias: optional (C_out,).
        output_padding: extra rows/columns on the bottom/right of the output,
            smaller than the stride or the dilation.

    Returns:
        (N, C_out, H_out, W_out), H_out = (H - 1) * stride - 2 * padding
        + dilation * (kH - 1) + output_padding + 1.
    """
    if _amp.active:
        return _amp.run("conv_transpose2d", conv_transpose2d, input, weight, bias, stride, padding,
                        output_padding, groups, dilation)
    op = "conv_transpose2d"
    unbatched = _check_operands(input, weight, bias, 2, op)
    stride = ntuple(stride, 2, "stride", op)
    dilation = ntuple(dilation, 2, "dilation", op)
    if isinstance(padding, str):
        raise ValueError(f"{op}: expected padding to be an int or a pair of ints, got {padding!r}")
    pads = ntuple(padding, 2, "padding", op)
    out_pads = ntuple(output_padding, 2, "output_padding", op)
    _check_positive(stride, "stride", op)
    _check_positive(dilation, "dilation", op)
    if any(p < 0 for p in pads + out_pads):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={pads}, "
                           f"output_padding={out_pads}")
    if any(op_ >= max(s, d) for op_, s, d in zip(out_pads, stride, dilation)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                           f"dilation, got output_padding={out_pads}, stride={stride}, "
                           f"dilation={dilation}")
    x = unsqueeze(input, 0) if unbatched else input
    _check_groups(groups, x.shape[1], weight, op, transposed=True)
    c_out = weight.shape[1] * groups
    _check_bias(bias, c_out, op)
    kernel = weight.shape[2:]
    size = [(s - 1) * st - 2 * p + d * (k - 1) + o + 1
            for s, st, p, d, k, o in zip(x.shape[2:], stride, pads, dilation, kernel, out_pads)]
    if any(s <= 0 for s in size):
        raise RuntimeError(f"{op}: calculated output size {tuple(size)} is too small for input "
                           f"of size {fmt_shape(input.shape)}")
    geom = Geometry(stride, tuple((p, p) for p in pads), dilation, int(groups))
    y = ConvInputGrad.apply(x, weight, geom, (x.shape[0], c_out, size[0], size[1]))
    if bias is not None:
        y = y + bias.reshape(-1, 1, 1)
    return squeeze(y, 0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution over (N, C_in, L) or (C_in, L).

    The weight is (C_in, C_out / groups, k); the options are those of ``conv_transpose2d``.
    """
    if _amp.active:
        return _amp.run("conv_transpose1d", conv_transpose1d, input, weight, bias, stride, padding,
                        output_padding, groups, dilation)
    op = "conv_transpose1d"
    unbatched = _check_operands(input, weight, bias, 1, op)
    args = [ntuple(a, 1, name, op) for a, name in
            ((stride, "stride"), (padding, "padding"), (output_padding, "output_padding"),
             (dilation, "dilation"))]
    x = unsqueeze(input, 0) if unbatched else input
    try:
        y = conv_transpose2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, (1,) + args[0],
                             (0,) + args[1], (0,) + args[2], groups, (1,) + args[3])
    except (RuntimeError, ValueError) as e:
        raise type(e)(str(e).replace("conv_transpose2d", op)) from None
    y = squeeze(y, 2)
    return squeeze(y, 0) if unbatched else y
