"""``ember.cpu``: the CPU's counterpart of ``ember.cuda``, as ``torch.cpu``.

The CPU is always there, so ``is_available()`` is True, there is one device
and ``synchronize`` has nothing to wait for (NumPy runs each op to the end
before it returns). ``ember.cpu.amp.autocast`` is PyTorch's older spelling
of ``ember.autocast("cpu", ...)``.
"""

from ember.amp import autocast_mode as _autocast_mode
from ember.backend.dtype import bfloat16


def is_available():
    """True: the CPU is always available (``torch.cpu.is_available``)."""
    return True


def device_count():
    """1: Ember sees the CPU as one device (``torch.cpu.device_count``)."""
    return 1


def current_device():
    """``"cpu"`` (``torch.cpu.current_device``)."""
    return "cpu"


def synchronize(device=None):
    """Nothing to wait for: CPU ops finish before they return (``torch.cpu.synchronize``)."""


_Autocast = _autocast_mode.deprecated_autocast("cpu", bfloat16)


class amp:
    """``ember.cpu.amp``: PyTorch's older home of CPU autocast."""

    autocast = _Autocast
