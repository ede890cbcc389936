"""``ember.backends.mkldnn``: PyTorch's oneDNN (MKL-DNN) switch, recorded.

Ember has no oneDNN kernels or ``to_mkldnn`` layout, so ``is_available()`` is
False and ``enabled`` (default True; bools only, as in PyTorch) changes nothing.
"""

import sys

from ember.backends import FlagModule, bool_flag

_flags = {"enabled": True}


def is_available():
    """False: Ember has no oneDNN kernels (``torch.backends.mkldnn.is_available``)."""
    return False


class _Mkldnn(FlagModule):
    enabled = bool_flag("mkldnn", "enabled", "Whether oneDNN may be used (recorded; Ember has none).")


sys.modules[__name__].__class__ = _Mkldnn
