"""Normalisation: layer_norm, rms_norm, group_norm and batch_norm.

``LayerNorm`` (and its variant ``RMSNorm``) normalises each slice over the
trailing dims and applies the affine ``weight`` and ``bias`` in one node:
its forward makes few passes over the input (row statistics by einsum, the
rest in place) and its first-order backward is closed-form NumPy. With
``create_graph=True`` the backward instead recomputes the statistics with
Ember ops from the saved input, so that it is itself differentiable
(second derivatives match PyTorch's). ``group_norm`` uses ``LayerNorm`` on
a reshaped input; ``batch_norm``, whose statistics are not over trailing
dims, uses ``Standardize``. Both add per-channel parameters with ordinary
(differentiable) ops.
"""

import math

import ml_dtypes
import numpy as np

from ember.autograd.function import Function
from ember.autograd.grad_mode import is_grad_enabled, no_grad
from ember.backend.device import xp_of
from ember.ops._util import check_tensor, float_operand, fmt_shape
from ember.tensor import Tensor

__all__ = ["layer_norm", "rms_norm", "group_norm", "batch_norm", "instance_norm"]


class LayerNorm(Function):
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing ``k`` dims.

    ``weight`` and ``bias`` (shape: the trailing dims) may be None. The
    variance is biased, as every norm uses.
    """

    center = True  # subtract the mean (False: RMSNorm)

    @staticmethod
    def forward(ctx, x, weight, bias, k, eps):
        xp = ctx.xp
        center = ctx.fn.center
        params = [p.dtype for p in (weight, bias) if p is not None]
        out_dtype = xp.result_type(x.dtype, *params)
        # Statistics at least in float32 (for half and bfloat16, as PyTorch).
        dtype = xp.result_type(out_dtype, xp.float32)
        n = math.prod(x.shape[x.ndim - k:])
        m = math.prod(x.shape[:x.ndim - k])
        inv_n = 1.0 / max(n, 1)  # n = 0: an empty output, no 0/0 warning
        x2 = x.reshape(m, n).astype(dtype, copy=False)
        mean = None
        if center:
            # einsum sums the rows several times faster than x.mean (and, unlike a
            # BLAS matrix-vector product, without threads that stall when cores are busy).
            mean = xp.einsum("ij->i", x2)[:, None]
            mean *= inv_n
            out = x2 - mean
            var = xp.einsum("ij,ij->i", out, out)  # no squared temporary
        else:
            var = xp.einsum("ij,ij->i", x2, x2)
        var *= inv_n
        var += eps
        rstd = xp.reciprocal(xp.sqrt(var, out=var), out=var)[:, None]
        if center:
            out *= rstd
        else:
            out = x2 * rstd
        if weight is not None:
            out *= weight.reshape(n)
        if bias is not None:
            out += bias.reshape(n)
        ctx.k, ctx.eps = k, eps
        ctx.bias_dtype = None if bias is None else bias.dtype
        ctx.save_for_backward(x, weight, mean, rstd)
        return out.reshape(x.shape).astype(out_dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, weight, mean, rstd = ctx.saved_tensors
        if is_grad_enabled():  # create_graph=True: a differentiable recomputation
            return _norm_backward_graph(ctx, g, x, weight)
        return _norm_backward_arrays(ctx, g._array, x._array, weight, mean, rstd)


class RMSNorm(LayerNorm):
    """x / sqrt(mean(x^2) + eps) * weight + bias over the trailing ``k`` dims."""

    center = False


def _norm_backward_arrays(ctx, g, x, weight, mean, rstd):
    """First-order gradients with raw arrays, reusing buffers.

    With y = x_hat * weight + bias, x_hat = (x - mean) * rstd and
    gh = g * weight: gx = rstd * (gh - mean(gh) - x_hat * mean(gh * x_hat))
    (the mean(gh) term only when centring), gweight = sum of g * x_hat and
    gbias = sum of g, over the leading dims.
    """
    xp = ctx.xp
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    rstd = rstd._array
    dtype = rstd.dtype
    n = math.prod(x.shape[x.ndim - ctx.k:])
    m = math.prod(x.shape[:x.ndim - ctx.k])
    inv_n = 1.0 / max(n, 1)
    x2 = x.reshape(m, n).astype(dtype, copy=False)
    g2 = g.reshape(m, n).astype(dtype, copy=False)  # read only: it may be shared
    gx = gw = gb = None
    if need_b:
        gb = _grad(xp.einsum("ij->j", g2), ctx.shapes[2], ctx.bias_dtype)
    if not (need_w or need_x):
        return gx, gw, gb, None, None
    if mean is not None:
        xh = x2 - mean._array
        xh *= rstd
    else:
        xh = x2 * rstd
    if need_w:
        gw = _grad(xp.einsum("ij,ij->j", g2, xh), weight.shape, weight._array.dtype)
    if need_x:
        gh = g2 if weight is None else g2 * weight._array.reshape(n).astype(dtype, copy=False)
        c = xp.einsum("ij,ij->i", gh, xh)[:, None]
        c *= inv_n
        xh *= c  # xh is not needed any more: it becomes the correction term
        if mean is not None:
            a = xp.einsum("ij->i", gh)[:, None]
            a *= inv_n
            xh += a
        out = xp.subtract(gh, xh, out=gh if gh is not g2 else xh)
        out *= rstd
        gx = _grad(out, x.shape, x.dtype)
    return gx, gw, gb, None, None


def _grad(a, shape, dtype):
    """Wrap a gradient array, reshaped to ``shape`` and cast to ``dtype``."""
    return Tensor._wrap(a.reshape(shape).astype(dtype, copy=False), False, None, 0)


def _norm_backward_graph(ctx, g, x, weight):
    """The same gradients with Ember ops, the statistics recomputed from the graph's
    x (not the saved arrays), so that they are differentiated through too."""
    axes = tuple(range(x.ndim - ctx.k, x.ndim))
    centered = x - x.mean(axes, keepdim=True) if ctx.fn.center else x
    rstd = ((centered * centered).mean(axes, keepdim=True) + ctx.eps).rsqrt()
    xh = centered * rstd
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    gx = None
    if need_x:
        gh = g if weight is None else g * weight
        inner = gh - xh * (gh * xh).mean(axes, keepdim=True)
        if ctx.fn.center:
            inner = inner - gh.mean(axes, keepdim=True)
        gx = rstd * inner
    # Broadcast-shaped: the engine sums these down to the parameters' shape.
    return gx, g * xh if need_w else None, g if need_b else None, None, None


class Standardize(Function):
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance, as every norm uses)."""

    @staticmethod
    def forward(ctx, x, axes, eps):
        ctx.axes, ctx.eps = axes, eps
        centered = x - x.mean(axis=axes, keepdims=True)
        var = (centered * centered).mean(axis=axes, keepdims=True)
        ctx.save_for_backward(x)
        return ctx.xp.asarray(centered / ctx.xp.sqrt(var + eps))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        axes = ctx.axes
        # Statistics recomputed from the graph's x (not saved arrays), so that
        # with create_graph=True this backward is differentiated through them too.
        centered = x - x.mean(axes, keepdim=True)
        rstd = ((centered * centered).mean(axes, keepdim=True) + ctx.eps).rsqrt()
        y = centered * rstd
        gx = rstd * (g - g.mean(axes, keepdim=True) - y * (g * y).mean(axes, keepdim=True))
        return gx, None, None


def _affine(y, weight, bias, shape=None):
    """y * weight + bias, the parameters reshaped to ``shape`` (None: as they are)."""
    if weight is not None:
        y = y * (weight if shape is None else weight.reshape(shape))
    if bias is not None:
        y = y + (bias if shape is None else bias.reshape(shape))
    return y


def _normalized_shape(normalized_shape):
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_normalized(input, normalized_shape, weight, bias, op):
    check_tensor(input, op)
    shape = _normalized_shape(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[-k:]) != shape:
        raise RuntimeError(f"{op}: given normalized_shape={fmt_shape(shape)}, expected input "
                           f"with shape [*, {', '.join(str(s) for s in shape)}], but got input "
                           f"of size {fmt_shape(input.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"{op}: expected {name} of shape {fmt_shape(shape)} "
                               f"(normalized_shape), got {fmt_shape(p.shape)}")
    return tuple(range(input.ndim - k, input.ndim))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise the last ``len(normalized_shape)`` dims to zero mean, unit variance.

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, statistics (biased
    variance) over the trailing ``normalized_shape`` dimensions.

    Args:
        normalized_shape: an int or a sequence: the trailing shape normalised over.
        weight, bias: optional tensors of shape ``normalized_shape``.
    """
    axes = _check_normalized(input, normalized_shape, weight, bias, "layer_norm")
    return _input_dtype(LayerNorm.apply(float_operand(input), weight, bias, len(axes),
                                        float(eps)), input)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """y = x / sqrt(mean(x^2) + eps) * weight over the trailing ``normalized_shape`` dims.

    Args:
        eps: None uses ``torch.finfo(input.dtype).eps``, as PyTorch.
    """
    axes = _check_normalized(input, normalized_shape, weight, None, "rms_norm")
    x = float_operand(input)
    if eps is None:
        eps = float(ml_dtypes.finfo(x._array.dtype).eps)  # ml_dtypes: bfloat16 too
    return _input_dtype(RMSNorm.apply(x, weight, None, len(axes), float(eps)), input)


def _input_dtype(out, input):
    """A half or bfloat16 input normalised with float32 weights gives a result in the
    input's dtype, as PyTorch's norms do (the arithmetic itself runs in float32)."""
    if out.dtype != input.dtype and input.dtype.itemsize == 2 and input.dtype.is_floating_point:
        return out.to(input.dtype)
    return out


def _channel_shape(input):
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _check_channels(input, weight, bias, op):
    c = input.shape[1]
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != (c,):
            raise RuntimeError(f"{op}: expected {name} of shape [{c}] (the input's channels "
                               f"{fmt_shape(input.shape)}[1]), got {fmt_shape(p.shape)}")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each of ``num_groups`` groups of channels of (N, C, *) input.

    Statistics are over the group's channels and all spatial positions, per
    sample; ``weight`` and ``bias`` (shape (C,)) are per channel.
    """
    check_tensor(input, "group_norm")
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input of shape (N, C, *) with at least 2 "
                           f"dimensions, got {fmt_shape(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"group_norm: expected number of channels in input to be divisible "
                           f"by num_groups, but got input of shape {fmt_shape(input.shape)} and "
                           f"num_groups={num_groups}")
    _check_channels(input, weight, bias, "group_norm")
    x = float_operand(input).reshape(n, num_groups, -1)
    y = LayerNorm.apply(x, None, None, 1, float(eps)).reshape(input.shape)
    return _input_dtype(_affine(y, weight, bias, _channel_shape(input)), input)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel of (N, C, *) input over the batch and spatial positions.

    In training, the batch's statistics normalise the input and (when given)
    the running statistics are updated in place:
    ``running = (1 - momentum) * running + momentum * batch_stat``, with the
    unbiased variance for ``running_var``, as PyTorch. Otherwise the running
    statistics normalise the input.

    Raises:
        ValueError: in training with one value per channel, or evaluation without
            running statistics.
    """
    check_tensor(input, "batch_norm")
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm: expected input of shape (N, C, *) with at least 2 "
                           f"dimensions, got {fmt_shape(input.shape)}")
    c = input.shape[1]
    _check_channels(input, weight, bias, "batch_norm")
    for name, s in (("running_mean", running_mean), ("running_var", running_var)):
        if s is not None and tuple(s.shape) != (c,):
            raise RuntimeError(f"batch_norm: expected {name} of shape [{c}] (the input's "
                               f"channels), got {fmt_shape(s.shape)}")
    x = float_operand(input)
    shape = _channel_shape(input)
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        count = input.numel() // c if c else 0
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of size {fmt_shape(input.shape)}")
        if running_mean is not None or running_var is not None:
            _update_running(x._array, axes, count, running_mean, running_var, momentum)
        return _input_dtype(_affine(Standardize.apply(x, axes, float(eps)), weight, bias, shape),
                            input)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var must be given when "
                         "training=False")
    mean = running_mean.detach().reshape(shape)
    rstd = (running_var.detach().reshape(shape) + eps).rsqrt()
    return _input_dtype(_affine((x - mean) * rstd, weight, bias, shape), input)


def _update_running(data, axes, count, running_mean, running_var, momentum):
    mean = data.mean(axis=axes)
    var = data.var(axis=axes) * (count / (count - 1))  # unbiased, as PyTorch's running_var
    with no_grad():
        for stat, batch in ((running_mean, mean), (running_var, var)):
            if stat is not None:
                new = (1 - momentum) * stat._array + momentum * batch.astype(stat._array.dtype)
                stat.copy_(Tensor._wrap(new.astype(stat._array.dtype), False, None, 0))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample of (N, C, *) input over its positions.

    Batch normalisation of the (1, N * C, *) view, as PyTorch computes it: with
    ``use_input_stats`` each instance's own statistics normalise it and the
    running statistics (when given) move towards their mean over the batch;
    otherwise the running statistics normalise every instance.
    """
    check_tensor(input, "instance_norm")
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *) with at least one "
                         f"position dimension, got {fmt_shape(input.shape)}")
    n, c = input.shape[:2]
    _check_channels(input, weight, bias, "instance_norm")
    if use_input_stats and math.prod(input.shape[2:]) <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element when training, "
                         f"got input of size {fmt_shape(input.shape)}")
    for name, s in (("running_mean", running_mean), ("running_var", running_var)):
        if s is not None and tuple(s.shape) != (c,):
            raise RuntimeError(f"instance_norm: expected {name} of shape [{c}] (the input's "
                               f"channels), got {fmt_shape(s.shape)}")
    # Channel k of the (1, N * C) view is channel k % C of sample k // C: tile per sample.
    per_instance = lambda t: None if t is None else t.repeat(n)
    stats = [None if s is None else Tensor._wrap(xp_of(s._array).tile(s._array, n), False,
                                                 None, 0)
             for s in (running_mean, running_var)]
    out = batch_norm(input.reshape(1, n * c, *input.shape[2:]), stats[0], stats[1],
                     per_instance(weight), per_instance(bias), use_input_stats, momentum, eps)
    if use_input_stats:
        with no_grad():
            for stat, updated in zip((running_mean, running_var), stats):
                if stat is not None:
                    stat.copy_(Tensor._wrap(updated._array.reshape(n, c).mean(0), False, None,
                                            0))
    return out.reshape(input.shape)
