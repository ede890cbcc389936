"""Normalisation: layer_norm, rms_norm, group_norm and batch_norm.

Two Functions do the work. ``Standardize`` maps each slice over ``axes`` to
zero mean and unit (biased) variance, ``(x - mean) / sqrt(var + eps)``;
``RMSScale`` divides by the root mean square, ``x / sqrt(mean(x^2) + eps)``.
Each computes its forward in one NumPy pass and its backward in closed form
with Ember ops, recomputing the statistics from the saved input so that the
backward is itself differentiable (second derivatives match PyTorch's). The
four public norms reshape their input so that one of these applies, then
add the affine ``weight`` and ``bias`` with ordinary (differentiable) ops.
"""

import ml_dtypes
import numpy as np

from ember.autograd.function import Function
from ember.autograd.grad_mode import no_grad
from ember.ops._util import check_tensor, float_operand, fmt_shape
from ember.tensor import Tensor

__all__ = ["layer_norm", "rms_norm", "group_norm", "batch_norm"]


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


class RMSScale(Function):
    """x / sqrt(mean(x^2) + eps) over ``axes``."""

    @staticmethod
    def forward(ctx, x, axes, eps):
        ctx.axes, ctx.eps = axes, eps
        ctx.save_for_backward(x)
        return ctx.xp.asarray(x / ctx.xp.sqrt((x * x).mean(axis=axes, keepdims=True) + eps))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        axes = ctx.axes
        rrms = ((x * x).mean(axes, keepdim=True) + ctx.eps).rsqrt()
        y = x * rrms
        return rrms * (g - y * (g * y).mean(axes, keepdim=True)), None, None


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
    return _affine(Standardize.apply(float_operand(input), axes, float(eps)), weight, bias)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """y = x / sqrt(mean(x^2) + eps) * weight over the trailing ``normalized_shape`` dims.

    Args:
        eps: None uses ``torch.finfo(input.dtype).eps``, as PyTorch.
    """
    axes = _check_normalized(input, normalized_shape, weight, None, "rms_norm")
    x = float_operand(input)
    if eps is None:
        eps = float(ml_dtypes.finfo(x._array.dtype).eps)  # ml_dtypes: bfloat16 too
    return _affine(RMSScale.apply(x, axes, float(eps)), weight, None)


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
    y = Standardize.apply(x, (2,), float(eps)).reshape(input.shape)
    return _affine(y, weight, bias, _channel_shape(input))


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
        return _affine(Standardize.apply(x, axes, float(eps)), weight, bias, shape)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var must be given when "
                         "training=False")
    mean = running_mean.detach().reshape(shape)
    rstd = (running_var.detach().reshape(shape) + eps).rsqrt()
    return _affine((x - mean) * rstd, weight, bias, shape)


def _update_running(data, axes, count, running_mean, running_var, momentum):
    mean = data.mean(axis=axes)
    var = data.var(axis=axes) * (count / (count - 1))  # unbiased, as PyTorch's running_var
    with no_grad():
        for stat, batch in ((running_mean, mean), (running_var, var)):
            if stat is not None:
                new = (1 - momentum) * stat._array + momentum * batch.astype(stat._array.dtype)
                stat.copy_(Tensor._wrap(new.astype(stat._array.dtype), False, None, 0))
