"""``ember.signal``, as ``torch.signal``: window functions (``ember.signal.windows``)."""

from ember.signal import windows

__all__ = ["windows"]
