"""``Unfold`` (im2col) and ``Fold`` (col2im) layers, as ``torch.nn``'s (see ``F.unfold``)."""

from ember.nn import functional as F
from ember.nn.module import Module

__all__ = ["Unfold", "Fold"]


class Unfold(Module):
    """Sliding blocks of (N, C, H, W) input as columns (N, C * kh * kw, L).

    Args:
        kernel_size, dilation, padding, stride: ints or pairs, as for a convolution.
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Columns (N, C * kh * kw, L) summed back into (N, C, H, W) blocks (``Unfold``'s adjoint).

    Args:
        output_size: (H, W) of the result.
        kernel_size, dilation, padding, stride: as for ``Unfold``.
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
