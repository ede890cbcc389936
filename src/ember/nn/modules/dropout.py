"""Dropout layers: Dropout (elements), Dropout1d/2d/3d (whole channels), and the
alpha dropouts of self-normalising networks.

In training each element (or channel) is zeroed with probability ``p`` and
the rest are scaled by 1 / (1 - p), so the expected value is unchanged; in
eval mode the layers are the identity.
"""

import ember.nn.functional as F
from ember.nn.module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


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


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` in training.

    Args:
        p: probability of a channel to be zeroed. Default: 0.5.
        inplace: modify the input in place. Default: False.
    """

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p`` in training.

    Differs from PyTorch: 3-D input is always read as unbatched (C, H, W);
    PyTorch warns and, for historical reasons, applies 1-D channel dropout to it.

    Args:
        p: probability of a channel to be zeroed. Default: 0.5.
        inplace: modify the input in place. Default: False.
    """

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``.

    Args:
        p: probability of a channel to be zeroed. Default: 0.5.
        inplace: modify the input in place. Default: False.
    """

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks (see ``F.alpha_dropout``): keeps mean 0 and variance 1.

    Args:
        p: probability of an element to be dropped. Default: 0.5.
        inplace: modify the input in place. Default: False.
    """

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """``AlphaDropout`` of whole channels (see ``F.feature_alpha_dropout``).

    Args:
        p: probability of a channel to be dropped. Default: 0.5.
        inplace: modify the input in place. Default: False.
    """

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training, self.inplace)
