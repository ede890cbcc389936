"""Grad modes: whether ops record the graph. Context managers and decorators."""

import functools

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
    """Base: a context manager that is also a decorator (with or without ``()``)."""

    _target = True

    def __init__(self, func=None):
        self._func = None
        if callable(func):  # used bare as @no_grad
            self._func = func
            functools.update_wrapper(self, func)

    def __enter__(self):
        self._prev = _State.enabled
        _State.enabled = self._target

    def __exit__(self, *exc):
        _State.enabled = self._prev

    def __call__(self, *args, **kwargs):
        if self._func is not None:
            with self.__class__():
                return self._func(*args, **kwargs)
        (func,) = args
        mode_type, mode_args = self.__class__, self._args()

        @functools.wraps(func)
        def wrapper(*a, **k):
            with mode_type(*mode_args):
                return func(*a, **k)
        return wrapper

    def _args(self):
        return ()


class no_grad(_GradModeContext):
    """Disable graph recording: inside, results never require grad.

    Usable as ``with no_grad():``, ``@no_grad()`` or ``@no_grad``.
    """

    _target = False


class enable_grad(_GradModeContext):
    """Enable graph recording, e.g. inside a ``no_grad`` block."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``; takes effect at once, and as a context restores it.

    Args:
        mode: True to record the graph, False not to.
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: expected a bool, got {type(mode).__name__}")
        self._func = None
        self._prev = _State.enabled
        self._target = mode
        _State.enabled = mode

    def __enter__(self):
        pass

    def _args(self):
        return (self._target,)


class inference_mode(_GradModeContext):
    """Like ``no_grad``, for pure inference (``mode=False`` leaves grad mode alone)."""

    def __init__(self, mode=True):
        if callable(mode):
            super().__init__(mode)
            self._mode = True
            return
        self._func = None
        self._mode = mode

    def __enter__(self):
        self._prev = _State.enabled
        self._prev_inf = _State.inference
        if self._mode:
            _State.enabled = False
            _State.inference = True

    def __exit__(self, *exc):
        _State.enabled = self._prev
        _State.inference = self._prev_inf

    def _args(self):
        return (self._mode,)
