"""Anomaly detection: which forward call made the backward fail, and nan checks.

With anomaly mode on, every graph node remembers the Python stack of the
forward call that created it. When a node's backward raises (or, with
``check_nan``, returns a nan gradient), the engine warns with that stack
before the error propagates, as PyTorch does::

    with ember.autograd.detect_anomaly():
        y = x.sqrt()               # x has a 0
        (y * 0).sum().backward()   # RuntimeError: Function 'SqrtBackward0' returned
                                   # nan values in its 0th output.  (+ a warning with
                                   # the traceback of ``y = x.sqrt()``)

Recording a stack per op is slow, so it only happens while the mode is on:
turning it on swaps in a recording version of ``Function``'s graph-building
step, and turning it off puts the plain one back, so that normal runs do not
even test a flag per op.
"""

import functools
import os
import sys
import traceback
import warnings

from ember.autograd import function as _function

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled"]


class _Anomaly:
    enabled = False
    check_nan = True
    current_node = None  # the node whose backward is running (create_graph records it as parent)


_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(_function.__file__))) + os.sep


def _in_ember(frame):
    return frame.f_code.co_filename.startswith(_EMBER_DIR)


def _keep_trace(ctx):
    """Keep on a node being recorded the stack of the forward call that made it.

    The innermost frames inside Ember itself (the op's wrapper, ``Function.apply``)
    are left out: the stack ends at the caller's line that ran the op.
    """
    frame = sys._getframe(1)
    while frame is not None and _in_ember(frame):
        frame = frame.f_back
    if frame is None:  # called from Ember itself only: keep it all
        frame = sys._getframe(1)
    stack = traceback.StackSummary.extract(traceback.walk_stack(frame), lookup_lines=False)
    stack.reverse()  # outermost call first, as a traceback prints
    ctx._anomaly_trace = stack
    if _Anomaly.current_node is not None:
        ctx._anomaly_parent = _Anomaly.current_node


def is_anomaly_enabled():
    """Whether anomaly detection is on (``torch.is_anomaly_enabled``)."""
    return _Anomaly.enabled


def is_anomaly_check_nan_enabled():
    """Whether anomaly detection also checks backward results for nan."""
    return _Anomaly.check_nan


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly detection on or off (``torch.set_anomaly_enabled``); see ``detect_anomaly``."""
    was, _Anomaly.enabled = _Anomaly.enabled, bool(enabled)
    _Anomaly.check_nan = bool(check_nan)
    if _Anomaly.enabled and not was:
        _function.add_record_observer(_keep_trace)
    elif was and not _Anomaly.enabled:
        _function.remove_record_observer(_keep_trace)


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on inside it.

    ``detect_anomaly(check_nan=True)``, as in PyTorch:

    - nodes made by the forward pass inside it remember the stack of the
      forward call that made them; when such a node's backward fails, a
      ``UserWarning`` "Error detected in XBackward0. Traceback of forward call
      that caused the error: ..." is issued before the error propagates;
    - with ``check_nan``, a backward inside it that returns nan raises
      ``RuntimeError("Function 'XBackward0' returned nan values in its 0th output.")``.

    Only for debugging: every op records its stack. Constructing it warns so.
    On exit the previous settings come back. Differs from PyTorch: it can also
    decorate a function (PyTorch's cannot).
    """

    def __init__(self, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev, prev_check_nan = is_anomaly_enabled(), is_anomaly_check_nan_enabled()
            set_anomaly_enabled(True, self.check_nan)
            try:
                return fn(*args, **kwargs)
            finally:
                set_anomaly_enabled(prev, prev_check_nan)
        return wrapper


class set_detect_anomaly:
    """Set anomaly detection on or off, as a function or a context manager.

    ``set_detect_anomaly(mode, check_nan=True)``, as in PyTorch: the setting
    takes effect at the call; used in a ``with`` block, the previous setting
    comes back at its end. See ``detect_anomaly`` for what the mode does.

    Args:
        mode: True to turn detection on, False to turn it off.
        check_nan: with detection on, raise when a backward returns nan.
    """

    def __init__(self, mode, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


# ---- used by the engine while anomaly mode is on -----------------------------------------

def run_backward_of(node, grads):
    """``node``'s backward, with ``node`` recorded as the parent of the nodes it makes."""
    prev = _Anomaly.current_node
    _Anomaly.current_node = node
    try:
        return node.fn.backward(node, *grads)
    finally:
        _Anomaly.current_node = prev


def check_nan(node, grads):
    """Raise if a gradient ``node``'s backward returned holds a nan (when check_nan is on)."""
    if not _Anomaly.check_nan:
        return
    for i, g in enumerate(grads):
        if g is not None and g._array.dtype.kind in "fcV" and _has_nan(g._array):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")


def _has_nan(a):
    from ember.backend.device import xp_of
    return bool(xp_of(a).isnan(a).any())


def _first_caller_outside_ember():
    """The ``stacklevel`` that attributes a warning issued here to the user's call."""
    level, frame = 2, sys._getframe(2)  # 2: the caller of report()
    while frame is not None and _in_ember(frame):
        frame, level = frame.f_back, level + 1
    return level if frame is not None else 2


def report(node):
    """Warn which forward call made ``node``, whose backward failed."""
    trace = node.__dict__.get("_anomaly_trace") if node.__dict__ else None
    if trace is None:
        message = (f"Error detected in {node.name()}. No forward pass information available. "
                   "Enable detect anomaly during forward pass for more information.")
    else:
        message = (f"Error detected in {node.name()}. Traceback of forward call that caused "
                   f"the error:\n{''.join(trace.format())}")
        parent = node.__dict__.get("_anomaly_parent")
        while parent is not None:  # nodes made by a create_graph backward: who made them
            message += f"\nPrevious calculation was induced by {parent.name()}. "
            parent_trace = parent.__dict__.get("_anomaly_trace")
            if parent_trace is None:
                message += "No forward pass information available for it."
                break
            message += ("Traceback of forward call that induced the previous calculation:\n"
                        + "".join(parent_trace.format()))
            parent = parent.__dict__.get("_anomaly_parent")
    warnings.warn(message, UserWarning, stacklevel=_first_caller_outside_ember())
