"""Fold an eval-mode batch norm into the convolution or linear layer before it.

In eval mode BatchNorm is the per-channel affine map
``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias``. After a
conv or linear layer (itself affine in its input) the two compose into one
layer with rescaled weights and a shifted bias, which saves a pass over the
activations at inference.
"""

import copy

import ember
from ember.autograd.grad_mode import no_grad
from ember.nn.parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _check_eval(module, bn):
    # AssertionError, as PyTorch raises here
    if module.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of ``conv`` whose output equals ``bn(conv(x))``, both in eval mode.

    Args:
        conv: a Conv1d/2d/3d (or ConvTranspose with ``transpose=True``).
        bn: the BatchNorm that follows it, with running statistics.
        transpose: the convolution is transposed (output channels in dim 1).

    Raises:
        AssertionError: if either module is in training mode, or ``bn`` has no
            running statistics (PyTorch's exception type).
    """
    _check_eval(conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The (weight, bias) Parameters of ``conv`` followed by an eval-mode batch norm.

    ``weight = conv_w * s`` per output channel and ``bias = (conv_b - bn_rm) * s + bn_b``
    with ``s = bn_w / sqrt(bn_rv + eps)``. A missing ``conv_b`` counts as zeros,
    ``bn_w`` as ones and ``bn_b`` as zeros. The weight keeps ``conv_w``'s dtype and
    ``requires_grad``, the bias ``conv_b``'s (False when there was none).
    """
    with no_grad():
        conv_b_ = ember.zeros_like(bn_rm) if conv_b is None else conv_b
        bn_w_ = ember.ones_like(bn_rm) if bn_w is None else bn_w
        bn_b_ = ember.zeros_like(bn_rm) if bn_b is None else bn_b
        scale = bn_w_ * ember.rsqrt(bn_rv + bn_eps)
        # output channels: dim 0 of a conv weight, dim 1 of a transposed conv's
        shape = [1] * conv_w.ndim
        shape[1 if transpose else 0] = -1
        weight = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
        bias = ((conv_b_ - bn_rm) * scale + bn_b_).to(conv_b_.dtype)
    return (Parameter(weight, conv_w.requires_grad),
            Parameter(bias, conv_b is not None and conv_b.requires_grad))


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` whose output equals ``bn(linear(x))``, both in eval mode.

    ``bn.num_features`` must equal ``linear.out_features``, or be 1 (one
    statistic shared by every output).

    Raises:
        AssertionError: if either module is in training mode, the sizes do not
            fit, or ``bn`` has no running statistics (PyTorch's exception type).
    """
    _check_eval(linear, bn)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError(f"To fuse, linear.out_features == bn.num_features or "
                             f"bn.num_features == 1, got linear.out_features="
                             f"{linear.out_features} and bn.num_features={bn.num_features}")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The (weight, bias) Parameters of ``linear`` followed by an eval-mode batch norm.

    ``weight = linear_w * s[:, None]`` and ``bias = (linear_b - bn_rm) * s + bn_b``
    with ``s = bn_w / sqrt(bn_rv + eps)``; a missing ``linear_b`` counts as zeros.
    ``requires_grad`` follows the linear layer's tensors, as in PyTorch.
    """
    with no_grad():
        linear_b_ = ember.zeros_like(bn_rm) if linear_b is None else linear_b
        scale = bn_w * ember.rsqrt(bn_rv + bn_eps)
        weight = linear_w * scale.unsqueeze(-1)
        bias = (linear_b_ - bn_rm) * scale + bn_b
    return (Parameter(weight, linear_w.requires_grad),
            Parameter(bias, linear_b is not None and linear_b.requires_grad))
