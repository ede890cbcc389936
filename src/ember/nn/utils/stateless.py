"""``nn.utils.stateless.functional_call``: PyTorch's older home of ``ember.func.functional_call``."""

import warnings

from ember import func

__all__ = ["functional_call"]


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Deprecated: ``ember.func.functional_call`` with the same arguments (warns with a
    FutureWarning, as PyTorch does since 2.0)."""
    warnings.warn("`nn.utils.stateless.functional_call` is deprecated (as in PyTorch 2.0). "
                  "Please use `ember.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    return func.functional_call(module, parameters_and_buffers, args, kwargs,
                                tie_weights=tie_weights, strict=strict)
