"""Affine layers (``Linear``, ``Bilinear``) and shape-only ones (``Identity``, ``Flatten``,
``Unflatten``), as ``torch.nn``'s; plus the functional ``bilinear``.
"""

import math

import ember
from ember.nn import init
from ember.nn.functional import linear
from ember.nn.module import Module
from ember.nn.parameter import Parameter

__all__ = ["Identity", "Flatten", "Unflatten", "Linear", "Bilinear", "bilinear"]


def bilinear(input1, input2, weight, bias=None):
    """y[..., k] = sum_ij input1[..., i] * weight[k, i, j] * input2[..., j] + bias[k].

    Args:
        input1: (*, in1_features).
        input2: (*, in2_features), the same leading dimensions as ``input1``.
        weight: (out_features, in1_features, in2_features).
        bias: (out_features,) or None.
    """
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear: expected a 3-D weight, got shape {tuple(weight.shape)}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: input1 and input2 must have the same leading dimensions, "
                           f"got {tuple(input1.shape)} and {tuple(input2.shape)}")
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear: expected input1.shape[-1] == {weight.shape[1]} and "
                           f"input2.shape[-1] == {weight.shape[2]} (from weight of shape "
                           f"{tuple(weight.shape)}), got {tuple(input1.shape)} and "
                           f"{tuple(input2.shape)}")
    out = ember.einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias


class Identity(Module):
    """Returns its input unchanged; accepts and ignores any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Flattens dimensions ``start_dim`` to ``end_dim`` into one (``input.flatten(...)``).

    Args:
        start_dim: first dimension to flatten. Default: 1 (keeps the batch).
        end_dim: last dimension to flatten. Default: -1.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dimension ``dim`` into ``unflattened_size`` (``input.unflatten(...)``).

    Args:
        dim: the dimension to expand.
        unflattened_size: the new sizes; their product must equal the size of ``dim``.
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got "
                            f"{type(unflattened_size).__name__}")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Linear(Module):
    """Applies y = x @ weight.T + bias to the last dimension.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: if False, no additive bias is learned. Default: True.
        device, dtype: where and in which dtype to create the parameters.

    Shape:
        input (*, in_features) -> output (*, out_features).

    Attributes:
        weight: (out_features, in_features), initialised from U(-k, k), k = 1/sqrt(in_features).
        bias: (out_features,), from the same distribution.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(ember.empty(out_features, in_features, device=device,
                                            dtype=dtype))
        if bias:
            self.bias = Parameter(ember.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias from PyTorch's default distribution."""
        # kaiming_uniform_(a=sqrt(5)) is exactly U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """Applies y = x1^T A x2 + b, one matrix A per output feature.

    Args:
        in1_features, in2_features: sizes of the two inputs' last dimension.
        out_features: size of the output's last dimension.
        bias: if False, no additive bias is learned. Default: True.

    Shape:
        input1 (*, in1_features), input2 (*, in2_features) -> (*, out_features).

    Attributes:
        weight: (out_features, in1_features, in2_features), U(-k, k), k = 1/sqrt(in1_features).
        bias: (out_features,), from the same distribution.
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(ember.empty(out_features, in1_features, in2_features,
                                            device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(ember.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias from U(-1/sqrt(in1_features), 1/sqrt(in1_features))."""
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
