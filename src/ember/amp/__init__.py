"""Automatic mixed precision helpers, as ``torch.amp``: ``GradScaler`` (dynamic loss scaling)."""

from ember.amp.grad_scaler import GradScaler, OptState

__all__ = ["GradScaler", "OptState"]
