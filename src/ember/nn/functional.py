"""The functional API (``import ember.nn.functional as F``), as in PyTorch."""

from ember.ops.linalg import linear  # noqa: F401
