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
from collections import namedtuple

__all__ = ["script", "trace", "trace_module", "script_method", "ignore", "unused", "export",
           "interface", "is_scripting", "is_tracing", "annotate", "Attribute", "Final", "fork",
           "wait", "Future", "freeze", "optimize_for_inference", "save", "load", "isinstance"]

Final = typing.Final

Attribute = namedtuple("Attribute", "value type")
Attribute.__doc__ = """A typed module attribute for TorchScript; Ember stores ``value``."""


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
    """Python's isinstance, for TorchScript-refined types (typing generics included:
    ``List[int]`` checks the container type)."""
    import builtins
    origin = typing.get_origin(target_type)
    return builtins.isinstance(obj, origin if origin is not None else target_type)


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
