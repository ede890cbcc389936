"""``Parameter``: a Tensor that a Module registers as learnable when assigned.

A Parameter is an ordinary Tensor (``isinstance(p, ember.Tensor)``) that
requires grad by default. Ops on it return plain Tensors; autograd
accumulates into ``p.grad`` as for any leaf.
"""

import ember
from ember.tensor import Tensor, _init

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A Tensor that is a module parameter.

    Assigning a Parameter as a Module attribute adds it to the module's
    ``parameters()`` and ``state_dict()``.

    Args:
        data: the tensor to wrap; the Parameter shares its data (no copy).
            Default: an empty float tensor.
        requires_grad: whether the parameter requires gradient. Default: True.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = ember.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: expected data to be a Tensor, got {type(data).__name__}")
        if requires_grad and not data.dtype.is_floating_point:
            raise RuntimeError(f"Parameter: only floating point tensors can require gradients, "
                               f"got dtype {data.dtype}; pass requires_grad=False")
        _init(self, data._array, bool(requires_grad), None, 0)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return self.__reduce__()


class Buffer(Tensor):
    """A Tensor that a Module registers as a buffer when assigned (``torch.nn.Buffer``).

    Args:
        data: the tensor to wrap (shared, not copied).
        persistent: whether the buffer goes into ``state_dict()``. Default: True.
    """

    def __init__(self, data=None, *, persistent=True):
        if data is None:
            data = ember.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: expected data to be a Tensor, got {type(data).__name__}")
        _init(self, data._array, data.requires_grad, None, 0)
        self.persistent = persistent
