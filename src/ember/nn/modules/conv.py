"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d, as ``torch.nn``'s."""

import math

from ember.nn import init
from ember.nn.functional import pad as _pad
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d, ntuple
from ember.ops.creation import empty
from ember.ops.volume import conv3d, conv_transpose3d

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared constructor, initialisation and repr of the convolution layers."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", output_padding=0, device=None,
                 dtype=None):
        super().__init__()
        name, n = type(self).__name__, self._dims
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        for what, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(f"{name}: {what} must be divisible by groups, got {what}="
                                 f"{channels} and groups={groups}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride, n, "stride", name)
        self.dilation = ntuple(dilation, n, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, expected 'valid' "
                                 "or 'same'")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions, got stride={self.stride}")
            self.padding = padding
        else:
            self.padding = ntuple(padding, n, "padding", name)
        self.output_padding = ntuple(output_padding, n, "output_padding", name)
        self.groups, self.padding_mode = groups, padding_mode
        shape = (in_channels, out_channels // groups) if self._transposed else \
            (out_channels, in_channels // groups)
        self.weight = Parameter(empty(*shape, *self.kernel_size, device=device, dtype=dtype))
        self.bias = Parameter(empty(out_channels, device=device, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) weight, U(+-1/sqrt(fan_in)) bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _padding_pairs(self):
        """F.pad amounts (last dimension first) for the non-zero padding modes."""
        if self.padding == "valid":
            return (0, 0) * self._dims
        if self.padding == "same":
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            pairs = [(t // 2, t - t // 2) for t in totals]
        else:
            pairs = [(p, p) for p in self.padding]
        return tuple(a for pair in reversed(pairs) for a in pair)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _conv = None

    def forward(self, input):
        if self.padding_mode == "zeros":
            return type(self)._conv(input, self.weight, self.bias, self.stride, self.padding,
                                    self.dilation, self.groups)
        padded = _pad(input, self._padding_pairs(), mode=self.padding_mode)
        return type(self)._conv(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                                self.groups)


class Conv1d(_Conv):
    """1-D convolution layer: ``F.conv1d(input, weight, bias, ...)``.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, dilation: ints (or 1-tuples).
        padding: an int, 'valid' or 'same' (stride 1 only). Default: 0.
        groups: independent channel groups; both channel counts must divide. Default: 1.
        bias: learn an additive bias. Default: True.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default: 'zeros'.

    Shape:
        input (N, C_in, L) or (C_in, L); output (N, C_out, L_out).

    Attributes:
        weight: (out_channels, in_channels / groups, kernel_size), U(-k, k) with
            k = 1 / sqrt(in_channels / groups * kernel_size); bias: (out_channels,), same bound.
    """

    _dims = 1
    _conv = staticmethod(conv1d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype)


class Conv2d(_Conv):
    """2-D convolution layer: ``F.conv2d(input, weight, bias, ...)``.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, dilation: an int or a pair (height, width).
        padding: an int, a pair, 'valid' or 'same' (stride 1 only). Default: 0.
        groups: independent channel groups; both channel counts must divide. Default: 1.
        bias: learn an additive bias. Default: True.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default: 'zeros'.

    Shape:
        input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out) with
        H_out = (H + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1.

    Attributes:
        weight: (out_channels, in_channels / groups, kH, kW), U(-k, k) with
            k = 1 / sqrt(in_channels / groups * kH * kW); bias: (out_channels,), same bound.
    """

    _dims = 2
    _conv = staticmethod(conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype)


class Conv3d(_Conv):
    """3-D (volumetric) convolution layer: ``F.conv3d(input, weight, bias, ...)``.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, dilation: an int or a triple (depth, height, width).
        padding: an int, a triple, 'valid' or 'same' (stride 1 only). Default: 0.
        groups: independent channel groups; both channel counts must divide. Default: 1.
        bias: learn an additive bias. Default: True.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default: 'zeros'.

    Shape:
        input (N, C_in, D, H, W) or (C_in, D, H, W); output (N, C_out, D_out, H_out, W_out).

    Attributes:
        weight: (out_channels, in_channels / groups, kD, kH, kW), U(-k, k) with
            k = 1 / sqrt(in_channels / groups * kD * kH * kW); bias: (out_channels,), same bound.
    """

    _dims = 3
    _conv = staticmethod(conv3d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype)


class _ConvTranspose(_ConvNd):
    _transposed = True
    _conv = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'{name}: only "zeros" padding mode is supported, got '
                             f"{padding_mode!r}")
        if isinstance(padding, str):
            raise ValueError(f"{name}: expected padding to be an int or a tuple, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def _output_padding(self, input, output_size):
        """output_padding that yields ``output_size`` (within the reachable range)."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        size = tuple(output_size)[-n:]
        if len(size) != n:
            raise ValueError(f"{type(self).__name__}: output_size must have {n} or {n + 2} "
                             f"elements, got {tuple(output_size)}")
        out = []
        for d in range(n):
            low = ((input.shape[-n + d] - 1) * self.stride[d] - 2 * self.padding[d]
                   + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            high = low + self.stride[d] - 1
            if not low <= size[d] <= high:
                raise ValueError(f"{type(self).__name__}: requested an output size of "
                                 f"{size}, but valid sizes range from {low} to {high} in "
                                 f"dimension {d} (for an input of {tuple(input.shape[-n:])})")
            out.append(size[d] - low)
        return tuple(out)

    def forward(self, input, output_size=None):
        return type(self)._conv(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups,
                                self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution layer: ``F.conv_transpose1d`` (the gradient of conv1d).

    Args: as ``ConvTranspose2d``, with single ints.

    Shape:
        input (N, C_in, L) or (C_in, L); output (N, C_out, L_out) with
        L_out = (L - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1.
    """

    _dims = 1
    _conv = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution layer: ``F.conv_transpose2d`` (the gradient of conv2d).

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, padding, dilation: an int or a pair.
        output_padding: extra rows/columns on one side of the output (smaller than
            stride or dilation), to pick among the input sizes a strided conv maps
            to the same size. Default: 0.
        groups, bias: as ``Conv2d``.
        padding_mode: only 'zeros'.

    Shape:
        input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out) with
        H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1.
        ``forward(input, output_size)`` derives output_padding from a wanted size.

    Attributes:
        weight: (in_channels, out_channels / groups, kH, kW); bias: (out_channels,);
            initialised as in ``Conv2d`` (fan_in = out_channels / groups * kH * kW).
    """

    _dims = 2
    _conv = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution layer: ``F.conv_transpose3d`` (the gradient of conv3d).

    Args: as ``ConvTranspose2d``, with triples (depth, height, width).

    Shape:
        input (N, C_in, D, H, W) or (C_in, D, H, W); output (N, C_out, D_out, H_out,
        W_out), each (I - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.

    Attributes:
        weight: (in_channels, out_channels / groups, kD, kH, kW); bias: (out_channels,).
    """

    _dims = 3
    _conv = staticmethod(conv_transpose3d)
