"""Grad modes: whether ops record the graph. Context managers and decorators.

Each mode works as ``with mode():``, as ``@mode()`` and (for the ones without
arguments) as bare ``@mode``; a decorated generator runs every step of its
body in the mode, as in PyTorch.
"""

import functools
import inspect

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled"]


class _State:
    # Plain class attributes: read on every op, so no thread-local lookup.
    enabled = True
    inference = False


def is_grad_enabled():
    """True when ops record the graph for autograd."""
    return _State.enabled


def is_inference_mode_enabled():
    """True inside ``inference_mode()``."""
    return _State.inference


class _GradModeContext:
    """Base: a context manager that is also a decorator.

    Subclasses set the mode in ``__enter__`` and restore it in ``__exit__``;
    ``_clone`` makes a fresh manager with the same arguments, so each call of
    a decorated function gets its own saved state (recursion is safe).
    """

    def __call__(self, func):
        make = self._clone
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(make, func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with make():
                return func(*args, **kwargs)
        return wrapper

    def _clone(self):
        return self.__class__()


def _wrap_generator(make, func):
    """Run each resumption of the generator ``func`` inside ``make()``'s mode."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        gen = func(*args, **kwargs)
        try:
            with make():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with make():
                        gen.close()
                    raise
                except BaseException as exc:
                    with make():
                        response = gen.throw(exc)
                else:
                    with make():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value
    return wrapper


class _NoArgMode(_GradModeContext):
    """A mode without arguments: ``@mode`` (bare) returns the wrapped function."""

    _target = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}: expected no argument (or a function to decorate), "
                            f"got {type(orig_func).__name__}")
        return cls()(orig_func)

    def __enter__(self):
        self._prev = _State.enabled
        _State.enabled = self._target

    def __exit__(self, *exc):
        _State.enabled = self._prev


class no_grad(_NoArgMode):
    """Disable graph recording: inside, results never require grad.

    Usable as ``with no_grad():``, ``@no_grad()`` or ``@no_grad``.
    """

    _target = False


class enable_grad(_NoArgMode):
    """Enable graph recording, e.g. inside a ``no_grad`` block.

    Usable as ``with enable_grad():``, ``@enable_grad()`` or ``@enable_grad``.
    """

    _target = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``; takes effect at once, and as a context restores it.

    ``set_grad_enabled(False)`` called as a plain function switches recording
    off until switched on again; ``with set_grad_enabled(False):`` and
    ``@set_grad_enabled(False)`` limit it to the block or function.

    Args:
        mode: True to record the graph, False not to.
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: expected mode to be a bool, got "
                            f"{type(mode).__name__}")
        self._prev = _State.enabled
        self._mode = mode
        _State.enabled = mode

    def __call__(self, func):
        # Used as a decorator: the mode applies to calls only, not from now on.
        _State.enabled = self._prev
        return super().__call__(func)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _State.enabled = self._prev

    def _clone(self):
        # Constructing sets the mode, so the clone is made when the call starts.
        return set_grad_enabled(self._mode)


class inference_mode(_GradModeContext):
    """Like ``no_grad``, for pure inference; ``inference_mode(False)`` turns it
    (and ``no_grad``) off again inside, as PyTorch's does.

    Usable as ``with inference_mode():``, ``@inference_mode()``, ``@inference_mode``
    and ``@inference_mode(False)``.

    Differs from PyTorch: tensors made inside are ordinary tensors, not
    "inference tensors" that autograd later refuses.
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        if not callable(mode):
            raise TypeError(f"inference_mode: expected mode to be a bool, got "
                            f"{type(mode).__name__}")
        return cls()(mode)

    def __init__(self, mode=True):
        self._mode = mode

    def __enter__(self):
        self._prev = _State.enabled
        self._prev_inference = _State.inference
        _State.enabled = not self._mode
        _State.inference = self._mode

    def __exit__(self, *exc):
        _State.enabled = self._prev
        _State.inference = self._prev_inference

    def _clone(self):
        return inference_mode(self._mode)
