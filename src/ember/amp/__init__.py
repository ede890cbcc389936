"""Automatic mixed precision, as ``torch.amp``: ``autocast`` (regions in which ops run
in lower precision where that is safe) and ``GradScaler`` (dynamic loss scaling)."""

from ember.amp import autocast_mode
from ember.amp.autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from ember.amp.grad_scaler import GradScaler, OptState

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available", "GradScaler",
           "OptState", "autocast_mode"]
