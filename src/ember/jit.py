"""``ember.jit``: TorchScript's decorators and entry points, run eagerly.

Ember has no TorchScript compiler. ``script`` and ``trace`` return the
function or module they are given, and it runs as ordinary Python, which
is what PyTorch itself does when TorchScript is disabled (``PYTORCH_JIT=0``):
results are the same, only the compilation is missing. So code written with
``@torch.jit.script`` helpers, ``torch.jit.is_scripting()`` branches or
``torch.jit.ignore`` ports unchanged. Saving and loading TorchScript archives
(``jit.save``/``jit.load``) is not possible and raises; save a ``state_dict``
with ``ember.save`` instead.

(``ember.compile``, the graph mode that records and replays a step, is a
separate feature.)
"""

import typing
import warnings
from types import UnionType

__all__ = ["script", "trace", "trace_module", "script_method", "ignore", "unused", "export",
           "interface", "is_scripting", "is_tracing", "annotate", "Attribute", "Final", "fork",
           "wait", "Future", "freeze", "optimize_for_inference", "save", "load", "isinstance"]

Final = typing.Final



def Attribute(value, type):  # noqa: A002, N802 - PyTorch's names
    """A typed module attribute for TorchScript: ``value`` itself, as PyTorch
    returns it when TorchScript is disabled (a scripted module holds the value)."""
    return value


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``obj`` itself (a function, module or class), run eagerly (see the module
    docstring)."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """``func`` itself (a function or module), run eagerly; ``example_inputs``
    are not run."""
    return func


def trace_module(mod, inputs, *args, **kwargs):
    """``mod`` itself, run eagerly."""
    return mod


def script_method(fn):
    """``fn`` itself."""
    return fn


def _decorator(doc):
    def decorate(drop=False, **kwargs):
        if callable(drop):  # used bare: @jit.ignore
            return drop
        return lambda fn: fn
    decorate.__doc__ = doc
    return decorate


ignore = _decorator("Mark a function TorchScript should leave to Python: it already is.")
unused = _decorator("Mark a method TorchScript should not compile: it runs as it is.")


def export(fn):
    """Mark a method for TorchScript export: ``fn`` itself."""
    return fn


def interface(obj):
    """A TorchScript interface class: ``obj`` itself."""
    return obj


def is_scripting():
    """False: code never runs as TorchScript in Ember."""
    return False


def is_tracing():
    """False: nothing is traced in Ember."""
    return False


def annotate(the_type, the_value):
    """``the_value``: a type hint for TorchScript."""
    return the_value


def isinstance(obj, target_type):  # noqa: A001 - PyTorch's name
    """Python's isinstance for TorchScript-refined types, as PyTorch's eager
    ``torch.jit.isinstance``: ``List[int]``, ``Dict[str, int]``, ``Tuple[...]`` and
    ``Optional[...]`` check the elements too (a tuple of types: any of them)."""
    import builtins
    if builtins.isinstance(target_type, tuple):
        return any(isinstance(obj, t) for t in target_type)
    if builtins.isinstance(target_type, (list, dict, set)):
        raise RuntimeError("The second argument to `torch.jit.isinstance` must be a type "
                           "or a tuple of types")
    if typing.get_origin(target_type) is not None:
        return _container_check(obj, target_type)
    _check_args_exist(target_type)
    return builtins.isinstance(obj, target_type)


_RAW_NAMES = {dict: "dict", list: "list", tuple: "tuple", typing.Dict: "Dict",
              typing.List: "List", typing.Optional: "Optional", typing.Tuple: "Tuple"}


def _check_args_exist(target_type):
    name = _RAW_NAMES.get(target_type)
    if name is None:
        return
    if name.endswith("ict"):
        raise RuntimeError(f"Attempted to use {name} without contained types. Please add "
                           f"contained type, e.g. {name}[int, int]")
    raise RuntimeError(f"Attempted to use {name} without a contained type. Please add a "
                       f"contained type, e.g. {name}[int]")


def _warn_if_empty(obj):
    if obj == [] or obj == {} or obj == ():
        warnings.warn("The inner type of a container is lost when calling torch.jit.isinstance "
                      "in eager mode. For example, List[int] would become list and therefore "
                      "falsely return True for List[float] or List[str].", stacklevel=3)


def _element_check(el, el_type):
    import builtins
    if typing.get_origin(el_type) is not None:
        return _container_check(el, el_type)
    return builtins.isinstance(el, el_type)


def _container_check(obj, target_type):
    """PyTorch's container_checker: List, Dict, Tuple and Optional/Union types."""
    import builtins
    _check_args_exist(target_type)
    origin, args = typing.get_origin(target_type), typing.get_args(target_type)
    if origin is list:
        _warn_if_empty(obj)
        return builtins.isinstance(obj, list) and all(_element_check(e, args[0]) for e in obj)
    if origin is dict:
        _warn_if_empty(obj)
        return builtins.isinstance(obj, dict) and all(
            builtins.isinstance(k, args[0]) and _element_check(v, args[1])
            for k, v in obj.items())
    if origin is tuple:
        _warn_if_empty(obj)
        return (builtins.isinstance(obj, tuple) and len(obj) == len(args)
                and all(_element_check(e, t) for e, t in zip(obj, args)))
    if origin is typing.Union or origin is UnionType:
        return obj is None or any(_element_check(obj, t) for t in args)
    return False


class Future:
    """The result of ``fork``: the call ran when forked; ``wait()`` returns it."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        """The forked call's result."""
        return self._value

    def done(self):
        """Always True: the call has run."""
        return True


def fork(func, *args, **kwargs):
    """Run ``func(*args, **kwargs)`` (now, in this thread) and return a Future."""
    return Future(func(*args, **kwargs))


def wait(future):
    """The result of a ``fork``."""
    return future.wait()


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """``mod`` itself (there is no TorchScript graph to freeze)."""
    return mod


def optimize_for_inference(mod, other_methods=None):
    """``mod`` itself."""
    return mod


def save(m, f, _extra_files=None):
    """Not possible: Ember writes no TorchScript archives."""
    raise NotImplementedError("jit.save: Ember has no TorchScript archives; save the weights "
                              "with ember.save(model.state_dict(), path) instead")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Not possible: Ember reads no TorchScript archives."""
    raise NotImplementedError("jit.load: Ember cannot read TorchScript archives; load a "
                              "state_dict (ember.load) into the model's class instead")
