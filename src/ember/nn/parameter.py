"""``Parameter``: a Tensor that a Module registers as learnable when assigned.

A Parameter is an ordinary Tensor (``isinstance(p, ember.Tensor)``) that
requires grad by default. Ops on it return plain Tensors; autograd
accumulates into ``p.grad`` as for any leaf.
"""

import ember
from ember.tensor import Tensor, _init

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer"]


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


class _Uninitialized:
    """A placeholder of a lazy module: no shape until ``materialize``."""

    def materialize(self, shape, device=None, dtype=None):
        """Give the placeholder its storage (uninitialised values) and become ``_becomes``.

        The object stays the same, so an optimizer built before the first
        forward keeps updating it.
        """
        dtype = self.dtype if dtype is None else dtype
        device = self.device if device is None else device
        self._array = ember.empty(tuple(shape), dtype=dtype, device=device)._array
        self._version += 1
        self.__class__ = self._becomes

    def __repr__(self):
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter of a lazy module whose shape is not known yet (``torch.nn``'s name).

    ``materialize(shape)`` turns it into an ordinary ``Parameter`` in place;
    lazy modules do so at their first forward, from the input's shape.
    """

    _becomes = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        Parameter.__init__(self, ember.empty(0, device=device, dtype=dtype), requires_grad)



class UninitializedBuffer(_Uninitialized, Buffer):
    """A buffer whose shape is not known yet (``torch.nn.UninitializedBuffer``), for
    lazy modules of one's own: registered like any buffer, ``materialize(shape)``
    turns it into an ordinary ``Buffer`` in place (values uninitialised).

    Args:
        requires_grad: whether the buffer records gradients. Default: False.
        device, dtype: of the storage ``materialize`` gives it.
        persistent: whether the buffer goes into ``state_dict()``. Default: True.
    """

    _becomes = Buffer

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        Buffer.__init__(self, ember.empty(0, device=device, dtype=dtype,
                                          requires_grad=requires_grad), persistent=persistent)
