"""``ember.nn.attention``: choosing ``scaled_dot_product_attention``'s implementation.

``with sdpa_kernel(SDPBackend.MATH): ...`` allows only the listed backends
inside the block, as in PyTorch. Ember has two implementations: the fused
attention node (``FLASH_ATTENTION``; on CUDA also ``EFFICIENT_ATTENTION``)
and the composition of ops (``MATH``), with the same values. The fused node
takes no dropout and no mask that needs a gradient; such calls use the
composition, and with ``MATH`` excluded they raise PyTorch's "No viable
backend" error. ``CUDNN_ATTENTION`` alone never fits (Ember has no cuDNN).
"""

import contextlib
import enum

from ember.ops.attention import _SDP_ENABLED

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.IntEnum):
    """The implementations of scaled_dot_product_attention, PyTorch's numbering."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __repr__(self):
        return f"<SDPBackend.{self.name}: {self.value}>"


_FLAG = {SDPBackend.MATH: "math", SDPBackend.FLASH_ATTENTION: "flash",
         SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.CUDNN_ATTENTION: "cudnn"}


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Allow only ``backends`` (an SDPBackend or a list of them) inside the block;
    the previous switches come back on exit. ``set_priority`` is accepted for
    compatibility (Ember tries the fused node first, then the composition)."""
    chosen = [backends] if isinstance(backends, SDPBackend) else backends
    if not isinstance(chosen, (list, tuple, set)) or \
            not all(isinstance(b, SDPBackend) for b in chosen):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of "
                             f"SDPBackend instances, got {type(backends).__name__}")
    previous = dict(_SDP_ENABLED)
    for backend, flag in _FLAG.items():
        _SDP_ENABLED[flag] = backend in chosen
    try:
        yield
    finally:
        _SDP_ENABLED.update(previous)
