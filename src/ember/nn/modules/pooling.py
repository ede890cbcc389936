"""Pooling and resampling layers, as ``torch.nn``'s: MaxPool1d/2d/3d, AvgPool1d/2d/3d,
AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d, LPPool1d/2d/3d, MaxUnpool1d/2d/3d, Upsample."""

from ember.nn import functional as F
from ember.nn.module import Module
from ember.ops.interpolate import interpolate
from ember.ops.volume import adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, max_pool3d
from ember.ops.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                            adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d)

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "Upsample",
           "UpsamplingNearest2d", "UpsamplingBilinear2d", "LPPool1d", "LPPool2d", "MaxUnpool1d",
           "MaxUnpool2d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d",
           "LPPool3d", "MaxUnpool3d", "FractionalMaxPool2d", "FractionalMaxPool3d"]


class _MaxPoolNd(Module):
    _pool = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return type(self)._pool(input, self.kernel_size, self.stride, self.padding,
                                self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Maximum over sliding windows of (N, C, L) or (C, L): ``F.max_pool1d``.

    Args:
        kernel_size: window size. stride: step (default kernel_size).
        padding: -inf border, at most half the window. dilation: window spacing.
        return_indices: also return the argmax positions. ceil_mode: round the
            output length up.
    """

    _pool = staticmethod(max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Maximum over sliding windows of (N, C, H, W) or (C, H, W): ``F.max_pool2d``.

    Args:
        kernel_size: window size (int or pair). stride: step (default kernel_size).
        padding: -inf border, at most half the window. dilation: window spacing.
        return_indices: also return the flat argmax positions in each H * W plane.
        ceil_mode: round the output size up.

    Shape:
        output H_out = (H + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1,
        rounded down (up with ceil_mode).
    """

    _pool = staticmethod(max_pool2d)


class AvgPool1d(Module):
    """Mean over sliding windows of (N, C, L) or (C, L): ``F.avg_pool1d``.

    Args:
        kernel_size, stride (default kernel_size), padding, ceil_mode: as MaxPool1d.
        count_include_pad: count the padding zeros in each divisor. Default: True.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        # PyTorch keeps these as 1-tuples here (and prints them so).
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _single(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


class AvgPool2d(Module):
    """Mean over sliding windows of (N, C, H, W) or (C, H, W): ``F.avg_pool2d``.

    Args:
        kernel_size, stride (default kernel_size), padding, ceil_mode: as MaxPool2d.
        count_include_pad: count the padding zeros in each divisor. Default: True.
        divisor_override: divide every window sum by this instead.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    _pool = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        if type(self)._max:
            self.return_indices = return_indices

    def forward(self, input):
        if type(self)._max:
            return type(self)._pool(input, self.output_size, self.return_indices)
        return type(self)._pool(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Mean over ``output_size`` near-equal windows of (N, C, L): ``F.adaptive_avg_pool1d``."""

    _max = False
    _pool = staticmethod(adaptive_avg_pool1d)

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Mean over ``output_size`` (H_out, W_out) near-equal windows: ``F.adaptive_avg_pool2d``.

    ``output_size`` is an int, a pair, or a pair with None (keep that input size).
    """

    _max = False
    _pool = staticmethod(adaptive_avg_pool2d)

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Maximum over ``output_size`` near-equal windows of (N, C, L): ``F.adaptive_max_pool1d``."""

    _max = True
    _pool = staticmethod(adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Maximum over ``output_size`` near-equal windows of (N, C, H, W), as F.adaptive_max_pool2d."""

    _max = True
    _pool = staticmethod(adaptive_max_pool2d)


class Upsample(Module):
    """Resize the spatial dimensions: ``F.interpolate(input, size, scale_factor, mode, ...)``.

    Args:
        size: output spatial size, or scale_factor: multiplier (one of the two).
        mode: 'nearest' (default), 'nearest-exact', 'linear', 'bilinear',
            'bicubic', 'trilinear' or 'area'.
        align_corners: for the linear and cubic modes.
        recompute_scale_factor: see ``interpolate``.
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """``Upsample`` in 'nearest' mode for (N, C, H, W) input (PyTorch's older name).

    Args:
        size or scale_factor: the output size or multiplier.
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample`` in 'bilinear' mode with ``align_corners=True`` (PyTorch's older name).

    Args:
        size or scale_factor: the output size or multiplier.
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class LPPool1d(Module):
    """The p-norm of each window of (N, C, L) input (see ``F.lp_pool1d``).

    Args:
        norm_type: p. kernel_size, stride (default: kernel_size), ceil_mode: as pools.
    """

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input):
        return F.lp_pool1d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool2d(LPPool1d):
    """The p-norm of each window of (N, C, H, W) input (see ``F.lp_pool2d``); Args as
    LPPool1d."""

    def forward(self, input):
        return F.lp_pool2d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class _MaxUnpoolNd(Module):
    _dims = 1

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        tup = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * self._dims
        self.kernel_size = tup(kernel_size)
        self.stride = tup(stride if stride is not None else kernel_size)
        self.padding = tup(padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Undo ``MaxPool1d(return_indices=True)``: ``forward(input, indices, output_size=None)``
    puts each value at its index, zeros elsewhere.

    Args:
        kernel_size, stride (default: kernel_size), padding: the pool's.
    """

    _dims = 1

    def forward(self, input, indices, output_size=None):
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """Undo ``MaxPool2d(return_indices=True)``; Args and forward as MaxUnpool1d."""

    _dims = 2

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxPool3d(_MaxPoolNd):
    """Maximum over sliding windows of (N, C, D, H, W) or (C, D, H, W): ``F.max_pool3d``.

    Args: as MaxPool2d, with triples. ``return_indices`` gives flat positions in
    each D * H * W volume.
    """

    _pool = staticmethod(max_pool3d)


class AvgPool3d(AvgPool2d):
    """Mean over sliding windows of (N, C, D, H, W) or (C, D, H, W): ``F.avg_pool3d``;
    Args as AvgPool2d."""

    def forward(self, input):
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Mean over ``output_size`` (D_out, H_out, W_out) near-equal windows:
    ``F.adaptive_avg_pool3d``; None in ``output_size`` keeps that input size."""

    _max = False
    _pool = staticmethod(adaptive_avg_pool3d)

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveMaxPool3d(_AdaptivePool):
    """Maximum over ``output_size`` (D_out, H_out, W_out) near-equal windows:
    ``F.adaptive_max_pool3d``; ``return_indices`` also gives flat positions."""

    _max = True
    _pool = staticmethod(adaptive_max_pool3d)


class LPPool3d(LPPool1d):
    """The p-norm of each window of (N, C, D, H, W) input (see ``F.lp_pool3d``); Args as
    LPPool1d."""

    def forward(self, input):
        return F.lp_pool3d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class MaxUnpool3d(_MaxUnpoolNd):
    """Undo ``MaxPool3d(return_indices=True)``; Args and forward as MaxUnpool1d."""

    _dims = 3

    def forward(self, input, indices, output_size=None):
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class FractionalMaxPool2d(Module):
    """Max pooling over pseudo-randomly placed windows (``F.fractional_max_pool2d``).

    Args:
        kernel_size: the windows' size.
        output_size or output_ratio: the output's size, or its fraction of the input's.
        return_indices: also return the flat argmax positions.
        _random_samples: fixed window placements (N, C, 2), for reproducibility.
    """

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        if output_size is None and output_ratio is None:
            raise ValueError(f"{type(self).__name__} requires specifying either an output "
                             f"size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if output_ratio is not None:
            ratios = output_ratio if isinstance(output_ratio, (tuple, list)) else (output_ratio,)
            if not all(0 < r < 1 for r in ratios):
                raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")
        self.kernel_size, self.output_size, self.output_ratio = kernel_size, output_size, \
            output_ratio
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)

    def forward(self, input):
        return F.fractional_max_pool2d(input, self.kernel_size, self.output_size,
                                       self.output_ratio, self.return_indices,
                                       self._random_samples)


class FractionalMaxPool3d(FractionalMaxPool2d):
    """Max pooling over pseudo-randomly placed windows of (N, C, T, H, W) input
    (``F.fractional_max_pool3d``); Args as FractionalMaxPool2d, with triples."""

    def forward(self, input):
        return F.fractional_max_pool3d(input, self.kernel_size, self.output_size,
                                       self.output_ratio, self.return_indices,
                                       self._random_samples)
