"""Dropout layers: Dropout (elements), Dropout1d and Dropout2d (whole channels).

In training each element (or channel) is zeroed with probability ``p`` and
the rest are scaled by 1 / (1 - p), so the expected value is unchanged; in
eval mode the layers are the identity.
"""

import ember.nn.functional as F
from ember.backend.device import xp_of
from ember.backend.random import rng
from ember.nn.module import Module
from ember.tensor import Tensor

__all__ = ["Dropout", "Dropout1d", "Dropout2d"]


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 "
                             f"and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training; scale the rest by 1 / (1 - p).

    Args:
        p: probability of an element to be zeroed. Default: 0.5.
        inplace: modify the input in place. Default: False.
    """

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class _FeatureDropout(_DropoutNd):
    """Zero whole channels: the mask has shape (N, C, 1, ...) and broadcasts."""

    _feature_dims = 1  # trailing dims per channel

    def forward(self, input):
        n = self._feature_dims
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"{type(self).__name__}: expected {n + 1}D or {n + 2}D input "
                               f"(unbatched or batched), got {input.ndim}D input of shape "
                               f"{list(input.shape)}")
        if not self.training or self.p == 0:
            return input
        mask_shape = tuple(input.shape[:-n]) + (1,) * n
        keep = rng().random(mask_shape) >= self.p
        scale = 1.0 / (1.0 - self.p) if self.p < 1 else 0.0
        mask = xp_of(input._array).asarray((keep * scale).astype(input._array.dtype))
        mask = Tensor._wrap(mask, False, None, 0)
        if self.inplace:
            return input.mul_(mask)
        return input * mask


class Dropout1d(_FeatureDropout):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` in training.

    Args:
        p: probability of a channel to be zeroed. Default: 0.5.
        inplace: modify the input in place. Default: False.
    """

    _feature_dims = 1


class Dropout2d(_FeatureDropout):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p`` in training.

    Differs from PyTorch: 3-D input is always read as unbatched (C, H, W);
    PyTorch warns and, for historical reasons, applies 1-D channel dropout to it.

    Args:
        p: probability of a channel to be zeroed. Default: 0.5.
        inplace: modify the input in place. Default: False.
    """

    _feature_dims = 2
