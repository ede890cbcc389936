"""Bind ops onto ``Tensor`` as methods: ``x.exp()`` is ``ember.ops.exp(x)``.

Each op module lists in ``__methods__`` the functions that become methods
as they are (their first argument is the tensor), and in ``__inplace__``
those that also get an in-place ``name_`` variant.
"""

import sys

from ember import ops
from ember.ops.inplace import inplace
from ember.tensor import Tensor


def _inplace_method(fn, name):
    def method(self, *args, **kwargs):
        return inplace(self, fn, name, *args, **kwargs)
    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"In-place version of :meth:`Tensor.{fn.__name__}`; returns self."
    return method


def bind():
    """Attach every listed op (and in-place variant) to Tensor."""
    # The operators in tensor.py call ops through this name. (The module is
    # reached through sys.modules: the attribute ember.tensor is the factory.)
    sys.modules["ember.tensor"]._ops = ops
    for module in ops.FAMILIES:
        for name in module.__methods__:
            if name not in Tensor.__dict__:  # methods written on Tensor itself win
                setattr(Tensor, name, getattr(module, name))
        for name in module.__inplace__:
            setattr(Tensor, name + "_", _inplace_method(getattr(module, name), name + "_"))
