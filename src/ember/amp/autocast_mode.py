"""``ember.amp.autocast_mode`` (``torch.amp.autocast_mode``): the autocast region
and its state functions. They live with the ops (``ember/ops/_autocast.py``),
which consult the region at their entry; this module is their public path."""

import warnings

from ember.ops._autocast import *  # noqa: F401,F403
from ember.ops._autocast import __all__, autocast  # noqa: F401


def deprecated_autocast(device_type, default_dtype):
    """The class of PyTorch's older spelling ``ember.<device_type>.amp.autocast(enabled=True,
    dtype=..., cache_enabled=True)``: ``ember.autocast(device_type, ...)`` that warns."""
    class DeprecatedAutocast(autocast):
        __doc__ = (f"``ember.{device_type}.amp.autocast``: ``ember.autocast({device_type!r}, "
                   f"...)`` with PyTorch's deprecation warning.")

        def __init__(self, enabled=True, dtype=default_dtype, cache_enabled=True):
            warnings.warn(f"`ember.{device_type}.amp.autocast(args...)` is deprecated. Please "
                          f"use `ember.amp.autocast('{device_type}', args...)` instead.",
                          FutureWarning, stacklevel=2)
            super().__init__(device_type, dtype=dtype, enabled=enabled,
                             cache_enabled=cache_enabled)

    DeprecatedAutocast.__name__, DeprecatedAutocast.__qualname__ = "autocast", "amp.autocast"
    return DeprecatedAutocast
