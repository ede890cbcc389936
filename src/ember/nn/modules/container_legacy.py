"""``Container``: PyTorch's pre-Module way of grouping layers, kept for old scripts."""

import warnings

from ember.nn.module import Module

__all__ = ["Container"]


class Container(Module):
    """Deprecated: a Module holding the given keyword arguments as submodules.

    ``Container(encoder=a, decoder=b)`` registers ``a`` and ``b`` under those
    names. It warns with a FutureWarning, as PyTorch does: subclass ``Module``
    instead.
    """

    def __init__(self, **kwargs):
        super().__init__()
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now "
                      "implemented in `nn.Module`. Subclass that instead.", FutureWarning,
                      stacklevel=2)
        for name, module in kwargs.items():
            self.add_module(name, module)
