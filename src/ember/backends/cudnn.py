"""``ember.backends.cudnn``: PyTorch's cuDNN switches, recorded.

Ember never calls cuDNN (its GPU kernels are CuPy's), so ``is_available()``
is False and the flags change nothing in Ember; they keep the values set,
so scripts that set and read them run unchanged:

- ``enabled`` (default True): whether PyTorch may use cuDNN.
- ``benchmark`` (default False): try each convolution algorithm once and keep the fastest.
- ``deterministic`` (default False): only deterministic convolution algorithms. Ember's
  CPU convolutions are deterministic whatever it says.
- ``allow_tf32`` (default True): TensorFloat-32 inside cuDNN convolutions.

Setting a flag to anything but a bool raises RuntimeError, as in PyTorch.
"""

import contextlib
import sys

from ember.backends import FlagModule, bool_flag

_flags = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True}


def is_available():
    """False: Ember does not use cuDNN (``torch.backends.cudnn.is_available``)."""
    return False


def version():
    """None: no cuDNN is loaded (``torch.backends.cudnn.version``)."""
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, deterministic=False, allow_tf32=True):
    """Set the four flags for a ``with`` block, then restore them (``torch.backends.cudnn.flags``)."""
    module = sys.modules[__name__]
    saved = dict(_flags)
    try:
        module.enabled, module.benchmark = enabled, benchmark
        module.deterministic, module.allow_tf32 = deterministic, allow_tf32
        yield
    finally:
        _flags.update(saved)


class _Cudnn(FlagModule):
    enabled = bool_flag("cudnn", "enabled", "Whether cuDNN may be used (recorded; Ember has none).")
    benchmark = bool_flag("cudnn", "benchmark",
                          "Autotune convolution algorithms (recorded; nothing to tune in Ember).")
    deterministic = bool_flag("cudnn", "deterministic",
                              "Deterministic convolutions only (recorded; Ember's CPU convolutions "
                              "are deterministic anyway).")
    allow_tf32 = bool_flag("cudnn", "allow_tf32",
                           "TF32 in cuDNN convolutions (recorded; no effect in Ember).")


sys.modules[__name__].__class__ = _Cudnn
