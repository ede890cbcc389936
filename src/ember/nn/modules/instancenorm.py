"""Instance normalisation layers: InstanceNorm1d/2d/3d, as ``torch.nn``'s.

Each channel of each sample is normalised over its own positions (style
transfer, GANs). By default there are no learned parameters and no running
statistics; ``affine`` adds ``weight``/``bias`` per channel and
``track_running_stats`` keeps running statistics for eval mode, with
PyTorch's names (``running_mean``, ``running_var``, ``num_batches_tracked``).
"""

import warnings

from ember.nn.modules.normalization import _NormBase
from ember.ops.norm import instance_norm

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    """Shared by InstanceNorm1d/2d/3d; subclasses set ``_positions`` (1, 2 or 3)."""

    _positions = 1

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias)

    def forward(self, input):
        """(N, C, *positions) or unbatched (C, *positions) input, normalised per instance."""
        unbatched_dims = self._positions + 1
        if input.ndim not in (unbatched_dims, unbatched_dims + 1):
            raise ValueError(f"{type(self).__name__}: expected {unbatched_dims}D or "
                             f"{unbatched_dims + 1}D input (got {input.ndim}D input)")
        channels = input.shape[input.ndim - unbatched_dims]
        if channels != self.num_features:
            if self.affine:
                raise ValueError(f"{type(self).__name__}: expected input's size at dim="
                                 f"{input.ndim - unbatched_dims} to match num_features "
                                 f"({self.num_features}), but got: {channels}.")
            warnings.warn(f"{type(self).__name__}: input's size at dim="
                          f"{input.ndim - unbatched_dims} ({channels}) does not match "
                          f"num_features ({self.num_features}); num_features is unused "
                          f"without affine", stacklevel=2)
        single = input.ndim == unbatched_dims
        x = input.unsqueeze(0) if single else input
        out = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if single else out

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) input (Ulyanov et al., 2016).

    Args:
        num_features: C.
        eps: added to the variance. Default: 1e-5.
        momentum: weight of the new statistics in the running ones. Default: 0.1.
        affine: learn ``weight`` (init 1) and ``bias`` (init 0). Default: False.
        track_running_stats: keep running statistics and use them in eval
            mode. Default: False.
        bias (keyword-only): with ``affine``, learn ``bias`` too. Default: True.
    """

    _positions = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) input; Args as InstanceNorm1d."""

    _positions = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) input; Args as
    InstanceNorm1d."""

    _positions = 3
