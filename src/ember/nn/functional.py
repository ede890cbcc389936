"""The functional API (``import ember.nn.functional as F``), as in PyTorch.

Activations and losses are ops (``ember.ops.activation``, ``ember.ops.loss``)
re-exported here under PyTorch's names. The rest (dropout, padding,
normalisation and distances) are short compositions of ops, defined below.
"""

import warnings

import numpy as np

from ember.ops import _autocast as _amp
from ember.backend.device import xp_of
from ember.backend.random import rng
from ember.ops import elementwise as _ew
from ember.ops._util import broadcast_shapes, check_tensor, float_operand, fmt_shape, wrap_dim
from ember.ops.activation import (celu, celu_, elu, elu_, gelu, glu, hardshrink, hardsigmoid,
                                  hardswish, hardtanh, hardtanh_, leaky_relu, leaky_relu_,
                                  log_softmax, logsigmoid, mish, prelu, relu, relu6, relu_, rrelu,
                                  rrelu_, selu, selu_, silu, softmax, softmin, softplus,
                                  softshrink, softsign, tanhshrink, threshold, threshold_)
from ember.ops.creation import full
from ember.ops.indexing import getitem, getitem_raw, index_put
from ember.ops.interpolate import interpolate
from ember.ops.inplace import inplace as _inplace
from ember.ops.attention import multi_head_attention_forward, scaled_dot_product_attention
from ember.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ember.ops.embedding import embedding, one_hot
from ember.ops.embedding_bag import embedding_bag
from ember.ops.fold import fold, unfold
from ember.ops.fractional_pool import fractional_max_pool2d, fractional_max_pool3d
from ember.ops.grid import affine_grid, grid_sample
from ember.ops.gumbel import gumbel_softmax
from ember.ops.linalg import linear
from ember.ops.pdist import pdist
from ember.ops.norm import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from ember.ops.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                            adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d)
from ember.ops.volume import (adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, conv3d,
                              conv_transpose3d, max_pool3d)
from ember.ops.unpool import (local_response_norm, lp_pool1d, lp_pool2d, lp_pool3d, max_unpool1d,
                              max_unpool2d, max_unpool3d)
from ember.ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                            gaussian_nll_loss, huber_loss, kl_div, l1_loss, mse_loss, nll_loss,
                            poisson_nll_loss, smooth_l1_loss)
from ember.ops.ctc import ctc_loss
from ember.ops.margin_loss import (cosine_embedding_loss, hinge_embedding_loss,
                                   margin_ranking_loss, multi_margin_loss, multilabel_margin_loss,
                                   multilabel_soft_margin_loss, soft_margin_loss,
                                   triplet_margin_loss, triplet_margin_with_distance_loss)
from ember.tensor import Tensor


def bilinear(input1, input2, weight, bias=None):
    """y = x1^T A x2 + b over the last dimension (see ``ember.nn.Bilinear``)."""
    from ember.nn.modules.linear import bilinear as _bilinear  # nn.modules sits above F
    return _bilinear(input1, input2, weight, bias)

__all__ = [
    # activations
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_",
    "celu", "celu_", "gelu", "silu", "mish", "softplus", "softsign", "hardtanh", "hardtanh_",
    "hardsigmoid", "hardswish", "sigmoid", "tanh", "logsigmoid", "glu", "threshold",
    "threshold_", "prelu", "rrelu", "rrelu_", "softshrink", "hardshrink", "tanhshrink",
    "softmax", "log_softmax", "softmin",
    # losses
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "multi_margin_loss",
    "multilabel_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
    "ctc_loss",
    # layers as functions
    "linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
    "feature_alpha_dropout", "pad", "normalize", "cosine_similarity", "pairwise_distance",
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "unfold", "fold", "affine_grid",
    "grid_sample",
    "batch_norm", "instance_norm", "layer_norm", "rms_norm", "group_norm", "embedding",
    "embedding_bag", "one_hot",
    "scaled_dot_product_attention", "multi_head_attention_forward",
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "interpolate", "lp_pool1d", "lp_pool2d",
    "max_unpool1d", "max_unpool2d", "local_response_norm", "conv3d", "conv_transpose3d",
    "max_pool3d", "avg_pool3d",
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "lp_pool3d", "max_unpool3d",
    "fractional_max_pool2d", "fractional_max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices", "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d_with_indices",
    "upsample", "upsample_nearest", "upsample_bilinear",
    "gumbel_softmax", "pdist", "linear_cross_entropy",
]


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``, optionally
    chunked over rows so that all logits never exist at once (see
    ``ember.nn.modules.linear_ce.linear_cross_entropy``)."""
    from ember.nn.modules.linear_ce import linear_cross_entropy as _lce  # nn.modules sits above F
    return _lce(input, linear_weight, target, linear_bias=linear_bias, weight=weight,
                reduction=reduction, ignore_index=ignore_index, label_smoothing=label_smoothing,
                options=options)


def sigmoid(input):
    """1 / (1 + exp(-input)), elementwise (``ember.sigmoid``)."""
    return _ew.sigmoid(input)


def tanh(input):
    """Hyperbolic tangent, elementwise (``ember.tanh``)."""
    return _ew.tanh(input)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p).

    The mask comes from Ember's default generator: ``ember.manual_seed`` makes
    it reproducible. With ``training=False`` the input is returned as is.
    """
    check_tensor(input, "dropout")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training:
        return input
    keep = rng().random(input.shape) >= p
    scale = 1.0 / (1.0 - p) if p < 1 else 0.0
    dtype = float_operand(input)._array.dtype
    mask = xp_of(input._array).asarray((keep * scale).astype(dtype))
    mask = Tensor._wrap(mask, False, None, 0)
    if inplace:
        return _inplace(input, lambda t: t * mask, "dropout_")
    return input * mask


def _keep_mask(input, shape, p):
    """A constant 0/1 mask of ``shape`` (broadcasting to ``input``): 1 with probability 1 - p."""
    keep = rng().random(shape) >= p
    dtype = float_operand(input)._array.dtype
    return Tensor._wrap(xp_of(input._array).asarray(keep.astype(dtype)), False, None, 0)


def _channel_dropout(input, p, training, inplace, dims, op):
    """Zero whole channels of (N, C, *spatial) or unbatched (C, *spatial) input, with
    ``dims`` spatial dimensions, and scale the rest by 1 / (1 - p)."""
    check_tensor(input, op)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: Expected {dims + 1}D or {dims + 2}D input, but received a "
                           f"{input.ndim}D input of shape {list(input.shape)}")
    if not training or p == 0:
        return input
    mask = _keep_mask(input, tuple(input.shape[:-dims]) + (1,) * dims, p)
    if p < 1:
        mask = mask * (1.0 / (1.0 - p))
    if inplace:
        return _inplace(input, lambda t: t * mask, op + "_")
    return input * mask


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p``.

    Differs from PyTorch: 3-D input is read as unbatched (C, H, W); PyTorch warns
    and applies 1-D channel dropout to it, for historical reasons.
    """
    return _channel_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, 3, "dropout3d")


# SELU's negative saturation value, -scale * alpha: where alpha dropout sends dropped units.
_SELU_SATURATION = -1.7580993408473766


def _alpha_dropout(input, p, training, inplace, channels, op):
    check_tensor(input, op)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if channels else input.shape
    keep = _keep_mask(input, shape, p)
    # Dropped units take SELU's saturation value; a and b restore mean 0 and variance 1.
    a = ((1 - p) * (1 + p * _SELU_SATURATION ** 2)) ** -0.5
    b = -a * _SELU_SATURATION * p
    shift = (1 - keep) * (a * _SELU_SATURATION + b) + keep * b
    if inplace:
        return _inplace(input, lambda t: t * (keep * a) + shift, op + "_")
    return input * (keep * a) + shift


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for self-normalising (SELU) networks: dropped units are set to SELU's
    saturation value and the result is rescaled to keep mean 0 and variance 1.
    (``training`` defaults to False, as in PyTorch.)"""
    return _alpha_dropout(input, p, training, inplace, False, "alpha_dropout")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """``alpha_dropout`` of whole channels of (N, C, ...) input."""
    return _alpha_dropout(input, p, training, inplace, True, "feature_alpha_dropout")


def pixel_shuffle(input, upscale_factor):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r): sub-pixel rearrangement, r = upscale_factor."""
    check_tensor(input, "pixel_shuffle")
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle: expected an input of at least 3 dimensions, got "
                           f"{input.ndim}")
    *lead, c, h, w = input.shape
    if r <= 0 or c % (r * r):
        raise RuntimeError(f"pixel_shuffle: expected the channel count {c} to be divisible by "
                           f"the square of the upscale factor {r}")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W): the inverse of ``pixel_shuffle``."""
    check_tensor(input, "pixel_unshuffle")
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle: expected an input of at least 3 dimensions, got "
                           f"{input.ndim}")
    *lead, c, h, w = input.shape
    if r <= 0 or h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle: expected height {h} and width {w} to be divisible "
                           f"by the downscale factor {r}")
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """(N, g * k, *) -> channels reordered as (N, k * g, *): interleave the ``groups``."""
    check_tensor(input, "channel_shuffle")
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle: expected an input of at least 3 dimensions, got "
                           f"{input.ndim}")
    n, c = input.shape[:2]
    if groups <= 0 or c % groups:
        raise ValueError(f"channel_shuffle: the channel count {c} must be divisible by groups "
                         f"{groups} (> 0)")
    rest = tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


_GATHER_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}  # NumPy's names


def pad(input, pad, mode="constant", value=None):
    """Pad ``input``; ``pad`` lists (left, right) amounts starting from the last dimension.

    ``pad=(1, 2)`` pads the last dimension by 1 before and 2 after;
    ``(1, 1, 2, 2)`` also pads the one before it by 2 on each side.

    Args:
        mode: 'constant' (fill with ``value``, default 0; negative amounts crop),
            'reflect' (mirror without repeating the edge; amounts < size),
            'replicate' (repeat the edge) or 'circular' (wrap; amounts <= size).
            Unlike PyTorch, the gathering modes pad any number of trailing
            dimensions of any input.
    """
    if _amp.active and mode in _PAD_OPS:
        # PyTorch's reflection_pad1d/2d and replication_pad1d/2d/3d run in float32.
        return _amp.run(f"{_PAD_OPS[mode]}{len(pad) // 2}d", _pad, input, pad, mode, value)
    check_tensor(input, "pad")
    amounts = tuple(int(a) for a in pad)
    if len(amounts) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {len(amounts)}")
    if len(amounts) // 2 > input.ndim:
        raise ValueError(f"pad: padding length {len(amounts)} pads more dimensions than the "
                         f"input's {input.ndim}")
    pairs = {input.ndim - 1 - i: amounts[2 * i:2 * i + 2] for i in range(len(amounts) // 2)}
    if mode == "constant":
        return _constant_pad(input, pairs, 0.0 if value is None else value)
    if mode not in _GATHER_MODES:
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    if value is not None:
        raise ValueError(f"pad: mode {mode!r} takes no value argument, got value={value}")
    xp = xp_of(input._array)
    out = input
    for dim, (left, right) in pairs.items():
        size = input.shape[dim]
        _check_gather_pad(mode, left, right, size, dim, input.shape)
        # Each output position gathers one input position: the gradient scatters back.
        source = np.pad(np.arange(size), (left, right), mode=_GATHER_MODES[mode])
        out = getitem_raw(out, (slice(None),) * dim + (xp.asarray(source),))
    return out


_pad = pad  # the function itself, for autocast to call back (its argument shadows the name)
_PAD_OPS = {"reflect": "reflection_pad", "replicate": "replication_pad"}


def _check_gather_pad(mode, left, right, size, dim, shape):
    where = f"padding ({left}, {right}) of dimension {dim} of input {fmt_shape(shape)}"
    if left < 0 or right < 0:
        raise ValueError(f"pad: negative padding is only supported in 'constant' mode, got "
                         f"{where} in mode {mode!r}")
    if mode == "reflect" and max(left, right) >= size:
        raise ValueError(f"pad: 'reflect' padding must be less than the dimension's size, got "
                         f"{where}")
    if mode == "circular" and max(left, right) > size:
        raise ValueError(f"pad: 'circular' padding must be at most the dimension's size, got "
                         f"{where}")
    if size == 0 and left + right > 0:
        raise ValueError(f"pad: cannot {mode}-pad an empty dimension, got {where}")


def _constant_pad(input, pairs, value):
    # Negative amounts crop: take that view first, then place it in a filled tensor.
    crop = [slice(None)] * input.ndim
    place = [slice(None)] * input.ndim
    shape = list(input.shape)
    for dim, (left, right) in pairs.items():
        kept = shape[dim] - max(-left, 0) - max(-right, 0)
        if kept < 0:
            raise ValueError(f"pad: padding ({left}, {right}) crops more than the size "
                             f"{shape[dim]} of dimension {dim}")
        crop[dim] = slice(max(-left, 0), max(-left, 0) + kept)
        place[dim] = slice(max(left, 0), max(left, 0) + kept)
        shape[dim] = kept + max(left, 0) + max(right, 0)
    canvas = full(shape, value, dtype=input.dtype, device=input.device)
    return index_put(canvas, tuple(place), getitem(input, tuple(crop)))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along ``dim``: unit p-norm slices.

    Raises:
        NotImplementedError: for ``out=`` (Ember has no out arguments).
    """
    check_tensor(input, "normalize")
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported; use the returned tensor")
    dim = wrap_dim(dim, input.ndim, "normalize")
    denom = _ew.clamp(input.norm(p, dim, keepdim=True), min=eps)
    return input / denom


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along ``dim`` (broadcast).

    As in PyTorch, each input is divided by its own clamped norm before the
    product (the result stays in [-1, 1]), and the clamp changes the value
    only: the gradient flows as if the norm were unclamped.
    """
    x1 = float_operand(check_tensor(x1, "cosine_similarity", "x1"))
    x2 = float_operand(check_tensor(x2, "cosine_similarity", "x2"))
    shape = broadcast_shapes(x1.shape, x2.shape, op="cosine_similarity")
    x1, x2 = x1.expand(shape), x2.expand(shape)
    dim = wrap_dim(dim, len(shape), "cosine_similarity")

    def unit(x):
        n = x.norm(2, dim, keepdim=True)
        floor = Tensor._wrap(xp_of(n._array).maximum(n._array, eps) - n._array, False, None, 0)
        return x / (n + floor)

    return (unit(x1) * unit(x2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dimension (broadcast)."""
    check_tensor(x1, "pairwise_distance", "x1")
    check_tensor(x2, "pairwise_distance", "x2")
    shape = broadcast_shapes(x1.shape, x2.shape, op="pairwise_distance")
    if not shape:
        raise ValueError("pairwise_distance: expected inputs with at least one dimension, got "
                         "0-d tensors")
    return (x1 - x2 + eps).norm(p, len(shape) - 1, keepdim=keepdim)


# PyTorch's older names: the pooling ops with return_indices=True always.

def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool1d(..., return_indices=True)``: (values, indices) whatever ``return_indices``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool2d(..., return_indices=True)``: (values, indices) whatever ``return_indices``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool3d(..., return_indices=True)``: (values, indices) whatever ``return_indices``."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool1d(..., return_indices=True)``: always (values, indices)."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool2d(..., return_indices=True)``: always (values, indices)."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool3d(..., return_indices=True)``: always (values, indices)."""
    return adaptive_max_pool3d(input, output_size, True)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """``fractional_max_pool2d(..., return_indices=True)``: always (values, indices)."""
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """``fractional_max_pool3d(..., return_indices=True)``: always (values, indices)."""
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


# Deprecated resizing entry points, kept because older scripts call them.

def _deprecated_upsample(name):
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", UserWarning, stacklevel=3)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (warns, as PyTorch does)."""
    _deprecated_upsample("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')`` (warns)."""
    _deprecated_upsample("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)`` of a 4-D
    input (warns)."""
    _deprecated_upsample("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
