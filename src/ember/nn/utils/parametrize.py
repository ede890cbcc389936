"""Parametrized tensors, as ``torch.nn.utils.parametrize``: a module's
parameter or buffer replaced by a function of other tensors.

``register_parametrization(module, "weight", p)`` moves the tensor to
``module.parametrizations.weight.original`` (a ``ParametrizationList``) and
makes ``module.weight`` a property that returns ``p(original)``, recomputed
at every access (or once per ``cached()`` block). If ``p`` has a
``right_inverse``, the original is stored as ``p.right_inverse(weight)``
(one tensor, or several: ``original0``, ``original1``...), and assigning
``module.weight = x`` stores ``right_inverse(x)``. Several parametrizations on
one tensor compose, the first registered innermost.

The module's class is swapped for a subclass named ``Parametrized<Class>``
that holds the properties; removing the last parametrization restores it.
State-dict keys are PyTorch's (``parametrizations.weight.original``,
``parametrizations.weight.0._u``...).
"""

import contextlib
import copy

from ember.autograd.grad_mode import no_grad
from ember.nn.containers import ModuleDict, ModuleList
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.tensor import Tensor

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "type_before_parametrizations", "ParametrizationList"]

_cache_depth = 0
_cache = {}


@contextlib.contextmanager
def cached():
    """Within the block, each parametrized tensor is computed once, on its first
    access, and reused (e.g. a recurrent weight used at every step)."""
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


def _register(module, name, tensor):
    """Register ``tensor`` on ``module`` as a parameter if it is one, else as a buffer."""
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


def _inverse(modules, value):
    """``value`` through the ``right_inverse`` of ``modules``, last first (an
    identity where a module has none or raises NotImplementedError)."""
    for m in reversed(list(modules)):
        inverse = getattr(m, "right_inverse", None)
        if inverse is not None:
            try:
                value = inverse(value)
            except NotImplementedError:
                pass
    return value


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor and its original(s).

    Calling it computes the parametrized tensor: the first parametrization
    applied to ``original`` (or to ``original0``, ``original1``...), each
    later one to the previous result. ``right_inverse(value)`` stores the
    originals that give ``value``.

    Args:
        modules: the parametrizations (modules), innermost first.
        original: the tensor being parametrized; it keeps its identity (and
            so its place in an optimizer) when it stays one tensor.
        unsafe: skip the checks that the parametrized tensor keeps the
            original's dtype and shape.
    """

    def __init__(self, modules, original, unsafe=False):
        if not modules:
            raise ValueError("ParametrizationList: expected at least one parametrization, "
                             "got none")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = tuple(original.shape), original.dtype
        with no_grad():
            new = _inverse(self, original)
        if not isinstance(new, (Tensor, list, tuple)):
            raise ValueError(f"right_inverse must return a Tensor or a sequence of Tensors, "
                             f"got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if new.dtype != dtype:
                raise ValueError(f"right_inverse returning one tensor may not change its "
                                 f"dtype: expected {dtype}, got {new.dtype}")
            if new is not original:
                with no_grad():
                    original.data = new.detach()
            _register(self, "original", original)
        else:
            for i, part in enumerate(new):
                if not isinstance(part, Tensor):
                    raise ValueError(f"right_inverse must return a Tensor or a sequence of "
                                     f"Tensors, got {type(part).__name__} at position {i}")
                part = part.detach()
                if isinstance(original, Parameter):
                    part = Parameter(part, original.requires_grad)
                else:
                    part.requires_grad_(original.requires_grad)
                _register(self, f"original{i}", part)
        if not unsafe:
            self._check(self(), shape, dtype, "registering")

    @staticmethod
    def _check(z, shape, dtype, when):
        if not isinstance(z, Tensor):
            raise ValueError(f"a parametrization must return a Tensor, got "
                             f"{type(z).__name__}")
        if z.dtype != dtype:
            raise ValueError(f"{when} a parametrization may not change the tensor's dtype "
                             f"unless unsafe=True: expected {dtype}, got {z.dtype}")
        if tuple(z.shape) != shape:
            raise ValueError(f"{when} a parametrization may not change the tensor's shape "
                             f"unless unsafe=True: expected {list(shape)}, got "
                             f"{list(z.shape)}")

    def right_inverse(self, value):
        """Store the originals whose parametrization gives ``value`` (every
        parametrization in the list needs a ``right_inverse``; the originals
        keep their dtype, their shape may change)."""
        with no_grad():
            new = value
            for m in reversed(list(self)):
                inverse = getattr(m, "right_inverse", None)
                if inverse is None:
                    raise RuntimeError(f"parametrization {type(m).__name__} does not implement "
                                       f"right_inverse")
                new = inverse(new)
            if self.is_tensor:
                if not isinstance(new, Tensor):
                    raise ValueError(f"right_inverse must return a Tensor, got "
                                     f"{type(new).__name__}")
                _same_dtype(new, self.original)
                self.original.data = new.detach()
            else:
                if not isinstance(new, (list, tuple)) or len(new) != self.ntensors:
                    raise ValueError(f"right_inverse must return a sequence of "
                                     f"{self.ntensors} Tensors, got {type(new).__name__}"
                                     + (f" of length {len(new)}"
                                        if isinstance(new, (list, tuple)) else ""))
                for i, part in enumerate(new):
                    original = getattr(self, f"original{i}")
                    _same_dtype(part, original)
                    original.data = part.detach()

    def forward(self):
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for m in list(self)[1:]:
            x = m(x)
        return x


def _same_dtype(new, original):
    if not isinstance(new, Tensor):
        raise ValueError(f"right_inverse must return Tensors, got {type(new).__name__}")
    if new.dtype != original.dtype:
        raise ValueError(f"assigning through a parametrization may not change the original's "
                         f"dtype: expected {original.dtype}, got {new.dtype}")


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has parametrizations (on ``tensor_name``, if given)."""
    found = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(found, ModuleDict):
        return False
    return len(found) > 0 if tensor_name is None else tensor_name in found


def type_before_parametrizations(module):
    """The module's class as it was before any parametrization."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def _refuse_pickle(self):
    raise RuntimeError("Serialization of parametrized modules is only supported through "
                       "state_dict() (ember.save(module.state_dict(), path))")


def _deepcopy(self, memo):
    # A replica of the same class (as PyTorch's): pickling is refused above,
    # and deepcopy would otherwise go through it.
    if id(self) in memo:
        return memo[id(self)]
    replica = self.__new__(type(self))
    memo[id(self)] = replica
    replica.__dict__.update(copy.deepcopy(self.__dict__, memo))
    return replica


def _parametrized_class(module):
    cls = type(module)
    return type(f"Parametrized{cls.__name__}", (cls,),
                {"__module__": cls.__module__, "__getstate__": _refuse_pickle,
                 "__deepcopy__": _deepcopy})


def _add_property(cls, name):
    def get(self):
        plist = self.parametrizations[name]
        if _cache_depth:
            key = (id(self), name)
            if key not in _cache:
                _cache[key] = plist()
            return _cache[key]
        return plist()

    def set_(self, value):
        self.parametrizations[name].right_inverse(value)

    setattr(cls, name, property(get, set_, doc=f"The parametrized tensor {name!r}."))


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Parametrize ``module``'s parameter or buffer ``tensor_name`` by the module
    ``parametrization`` (see the module docstring); returns ``module``.

    Registering on an already parametrized tensor adds one more, applied to
    the previous result.

    Raises:
        TypeError: ``parametrization`` is not a Module.
        ValueError: ``module`` has no such tensor, or (unless ``unsafe``) the
            parametrization changes its shape or dtype.
    """
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: expected the parametrization to be an "
                        f"ember.nn.Module, got {type(parametrization).__name__}")
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            current = getattr(module, tensor_name)
            shape, dtype = tuple(current.shape), current.dtype
            result = parametrization(current)
            ParametrizationList._check(result, shape, dtype, "registering")
            inverse = getattr(parametrization, "right_inverse", None)
            if inverse is not None:
                try:
                    back = inverse(result)
                except NotImplementedError:
                    back = None
                if back is not None:
                    ParametrizationList._check(back, shape, dtype,
                                               "the right_inverse of")
        plist.append(parametrization)
        plist.unsafe = plist.unsafe or unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(f"register_parametrization: module {type(module).__name__} has no "
                         f"parameter, buffer or parametrized tensor named {tensor_name!r}")
    original = getattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        module.__class__ = _parametrized_class(module)
        module.parametrizations = ModuleDict()
    _add_property(type(module), tensor_name)
    module.parametrizations[tensor_name] = plist
    return module


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Remove the parametrizations on ``tensor_name``; returns ``module``.

    With ``leave_parametrized`` (the default) the tensor keeps its current
    parametrized value; otherwise it goes back to the original (possible only
    when the original is one tensor). A tensor that was one original keeps
    its identity either way.

    Raises:
        ValueError: ``tensor_name`` is not parametrized, or
            ``leave_parametrized=False`` with several originals.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: module {type(module).__name__} has no "
                         f"parametrization on {tensor_name!r}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            original.data = value.detach()
    elif leave_parametrized:
        # With grad on, to see whether any original requires grad: then a
        # Parameter, else a plain tensor (a buffer), as PyTorch.
        value = getattr(module, tensor_name)
        original = Parameter(value.detach(), True) if value.requires_grad else value
    else:
        raise ValueError("remove_parametrizations: leave_parametrized=False needs a tensor "
                         "parametrized by one original, got "
                         f"{plist.ntensors} (original0...original{plist.ntensors - 1})")
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module
