"""Padding layers, as ``torch.nn``'s: zero, constant, reflection, replication and
circular padding of the last 1, 2 or 3 dimensions (``F.pad`` underneath).

``padding`` is an int (every side) or 2, 4 or 6 ints: (left, right), then
(top, bottom), then (front, back), as ``F.pad`` takes them.
"""

from ember.nn import functional as F
from ember.nn.module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    """Pads the last ``_dims`` dimensions of batched or unbatched input in ``_mode``."""

    _dims = 1
    _mode = "constant"

    def __init__(self, padding, value=None):
        super().__init__()
        sides = 2 * self._dims
        if isinstance(padding, int):
            padding = (padding,) * sides
        padding = tuple(int(p) for p in padding)
        if len(padding) != sides:
            raise ValueError(f"{type(self).__name__}: expected an int or {sides} padding "
                             f"amounts, got {padding}")
        self.padding, self.value = padding, value

    def forward(self, input):
        # Constant padding takes any input with enough dimensions; the gathering
        # modes want (C, *) or (N, C, *), as PyTorch's.
        if self._mode == "constant" and input.ndim >= self._dims:
            return F.pad(input, self.padding, self._mode, self.value)
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"{type(self).__name__}: expected {self._dims + 1}D or "
                             f"{self._dims + 2}D input, got {input.ndim}D")
        return F.pad(input, self.padding, self._mode, self.value)

    def extra_repr(self):
        if self._mode == "constant" and not isinstance(self, _ZeroPad):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class _ZeroPad(_PadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)


class _ConstantPad(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding, value)


class ZeroPad1d(_ZeroPad):
    """Pad (N, C, W) or (C, W) input with zeros."""

    _dims = 1


class ZeroPad2d(_ZeroPad):
    """Pad (N, C, H, W) or (C, H, W) input with zeros."""

    _dims = 2


class ZeroPad3d(_ZeroPad):
    """Pad (N, C, D, H, W) or (C, D, H, W) input with zeros."""

    _dims = 3


class ConstantPad1d(_ConstantPad):
    """Pad (N, C, W) or (C, W) input with ``value``."""

    _dims = 1


class ConstantPad2d(_ConstantPad):
    """Pad (N, C, H, W) or (C, H, W) input with ``value``."""

    _dims = 2


class ConstantPad3d(_ConstantPad):
    """Pad (N, C, D, H, W) or (C, D, H, W) input with ``value``."""

    _dims = 3


class ReflectionPad1d(_PadNd):
    """Pad (N, C, W) or (C, W) input with its reflection at each edge.

    The edge itself is not repeated; each amount must be smaller than its dimension.
    """

    _dims = 1
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pad (N, C, H, W) or (C, H, W) input with its reflection at each edge.

    The edge itself is not repeated; each amount must be smaller than its dimension.
    """

    _dims = 2
    _mode = "reflect"


class ReflectionPad3d(_PadNd):
    """Pad (N, C, D, H, W) or (C, D, H, W) input with its reflection at each edge.

    The edge itself is not repeated; each amount must be smaller than its dimension.
    """

    _dims = 3
    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Pad (N, C, W) or (C, W) input by repeating its edge values."""

    _dims = 1
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pad (N, C, H, W) or (C, H, W) input by repeating its edge values."""

    _dims = 2
    _mode = "replicate"


class ReplicationPad3d(_PadNd):
    """Pad (N, C, D, H, W) or (C, D, H, W) input by repeating its edge values."""

    _dims = 3
    _mode = "replicate"


class CircularPad1d(_PadNd):
    """Pad (N, C, W) or (C, W) input by wrapping around, as if periodic.

    Each amount must be at most its dimension.
    """

    _dims = 1
    _mode = "circular"


class CircularPad2d(_PadNd):
    """Pad (N, C, H, W) or (C, H, W) input by wrapping around, as if periodic.

    Each amount must be at most its dimension.
    """

    _dims = 2
    _mode = "circular"


class CircularPad3d(_PadNd):
    """Pad (N, C, D, H, W) or (C, D, H, W) input by wrapping around, as if periodic.

    Each amount must be at most its dimension.
    """

    _dims = 3
    _mode = "circular"
