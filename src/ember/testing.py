"""``assert_close`` for tests, as ``torch.testing``: tensors, Python scalars and
sequences or mappings of them, with PyTorch's per-dtype tolerances and messages.

    ember.testing.assert_close(actual, expected)

Two tensors are close where ``|actual - expected| <= atol + rtol * |expected|``
elementwise, after their shapes, dtypes, devices (and, if asked, strides)
match. Default tolerances (rtol, atol): float16 (1e-3, 1e-5), bfloat16
(1.6e-2, 1e-5), float32 (1.3e-6, 1e-5), float64 (1e-7, 1e-7), other dtypes
exact. A failure raises an AssertionError describing the mismatch.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ember.backend import dtype as _dt
from ember.tensor import Tensor

__all__ = ["assert_close"]

_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5),
               "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _tolerances(dtype, rtol, atol):
    if rtol is not None:
        return rtol, atol
    return _TOLERANCES.get(dtype.name, (0.0, 0.0))


def _number(value):
    """A NumPy scalar as the Python number PyTorch prints."""
    return int(value) if isinstance(value, (np.integer, np.bool_)) else float(value)


class _Mismatch(AssertionError):
    """A failure below the top level; the caller adds where it happened."""

    def __init__(self, message, path=()):
        super().__init__(message)
        self.message, self.path = message, path


class _StructureMismatch(_Mismatch):
    """Different lengths or keys: PyTorch raises these without applying ``msg``."""


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype,
                     check_stride):
    for attr, get, show in (
            ("shape", lambda t: t.shape, repr),
            ("device", lambda t: t.device, repr) if check_device else (None, None, None),
            ("dtype", lambda t: t.dtype, repr) if check_dtype else (None, None, None),
            ("stride()", lambda t: t.stride(), repr) if check_stride else (None, None, None)):
        if attr is not None and get(actual) != get(expected):
            raise _Mismatch(f"The values for attribute '{attr}' do not match: "
                            f"{show(get(actual))} != {show(get(expected))}.")
    dtype = actual.dtype if actual.dtype == expected.dtype else \
        _dt.promote_types(actual.dtype, expected.dtype)
    rtol, atol = _tolerances(dtype, rtol, atol)
    # Differences in the compared dtype (bfloat16 ones rounded to bfloat16), as PyTorch's.
    a = actual.detach().cpu().numpy().astype(dtype.np, copy=False)
    e = expected.detach().cpu().numpy().astype(dtype.np, copy=False)
    if a.dtype == np.bool_:
        a, e = a.astype(np.int64), e.astype(np.int64)
    ok = _isclose(a, e, rtol, atol, equal_nan)
    if ok.all():
        return
    raise _Mismatch(_tensor_message(a, e, ok, rtol, atol, actual.ndim == 0))


def _isclose(a, e, rtol, atol, equal_nan):
    with np.errstate(invalid="ignore", over="ignore"):
        if a.dtype.kind in "iu":
            close = a == e if rtol == 0 and atol == 0 else \
                np.abs(a.astype(np.float64) - e) <= atol + rtol * np.abs(e.astype(np.float64))
        else:  # as torch.isclose: an infinite or nan difference is never within tolerance
            error = np.abs(a - e)
            close = (a == e) | (np.isfinite(error) & (error <= atol + rtol * np.abs(e)))
        if equal_nan and a.dtype.kind == "f":
            close |= np.isnan(a) & np.isnan(e)
    return close


def _tensor_message(a, e, ok, rtol, atol, scalar):
    exact = rtol == 0 and atol == 0
    if scalar:  # a 0-d tensor is reported as the Python scalars it holds
        return _scalar_message(a.item(), e.item(), rtol, atol)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if a.dtype.kind in "iu":
            diff = np.abs(a.astype(np.int64) - e.astype(np.int64))
            rel = (diff / np.abs(e.astype(np.int64))).astype(np.float32)
        else:
            diff = np.abs(a - e)
            rel = diff / np.abs(e)
    bad = int((~ok).sum())
    total = ok.size
    # Where a difference is nan (inf - inf, nan), PyTorch reports that one.
    where_abs = _argmax_nan_first(np.where(ok, 0, diff))
    where_rel = _argmax_nan_first(np.where(ok, 0, rel))
    index = lambda flat: tuple(int(i) for i in np.unravel_index(flat, a.shape))
    lines = [f"Tensor-likes are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {bad} / {total} ({100 * bad / total:.1f}%)",
             f"Greatest absolute difference: {_number(diff.flat[where_abs])} at index "
             f"{index(where_abs)}" + ("" if exact else f" (up to {atol} allowed)"),
             f"Greatest relative difference: {_number(rel.flat[where_rel])} at index "
             f"{index(where_rel)}" + ("" if exact else f" (up to {rtol} allowed)")]
    return "\n".join(lines)


def _argmax_nan_first(values):
    flat = values.reshape(-1)
    if flat.dtype.kind == "f":
        nans = np.flatnonzero(np.isnan(flat))
        if nans.size:
            return int(nans[0])
    return int(np.argmax(flat))


def _compare_scalars(actual, expected, rtol, atol, equal_nan, check_dtype):
    if isinstance(actual, bool) or isinstance(expected, bool):
        if actual is not expected:
            raise _Mismatch(f"Booleans mismatch: {actual} is not {expected}")
        return
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    both_int = isinstance(actual, int) and isinstance(expected, int)
    if rtol is None:
        rtol, atol = (0.0, 0.0) if both_int else _TOLERANCES["float64"]
    if actual == expected or (equal_nan and math.isnan(actual) and math.isnan(expected)):
        return
    diff = abs(actual - expected)
    if not both_int and diff <= atol + rtol * abs(expected):
        return
    raise _Mismatch(_scalar_message(actual, expected, rtol, atol))


def _scalar_message(actual, expected, rtol, atol):
    exact = rtol == 0 and atol == 0
    diff = abs(actual - expected)
    rel = diff / abs(expected) if expected != 0 else math.inf
    lines = [f"Scalars are not {'equal' if exact else 'close'}!", "",
             f"Expected {expected} but got {actual}.",
             f"Absolute difference: {diff}" + ("" if exact else f" (up to {atol} allowed)"),
             f"Relative difference: {rel}" + ("" if exact else f" (up to {rtol} allowed)")]
    return "\n".join(lines)


def _compare(actual, expected, path, options):
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        _compare_tensors(actual, expected, **options)
        return
    if isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
        # Tensor-likes, as in PyTorch: compared as the tensors they convert to.
        from ember.ops.creation import tensor
        _compare_tensors(tensor(actual), tensor(expected), **options)
        return
    scalar = (int, float, bool)
    if isinstance(actual, scalar) and isinstance(expected, scalar) and \
            type(actual) is type(expected) or (isinstance(actual, (int, float)) and
                                               isinstance(expected, (int, float)) and
                                               not isinstance(actual, bool) and
                                               not isinstance(expected, bool)):
        _compare_scalars(actual, expected, options["rtol"], options["atol"],
                         options["equal_nan"], options["check_dtype"])
        return
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            missing = sorted(set(expected) - set(actual), key=repr)
            extra = sorted(set(actual) - set(expected), key=repr)
            raise _StructureMismatch("The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: {missing}\n"
                            f"Additional keys in the actual mapping: {extra}")
        for key in expected:
            _descend(actual[key], expected[key], path + (key,), options)
        return
    if isinstance(actual, Sequence) and isinstance(expected, Sequence) and \
            not isinstance(actual, str) and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _StructureMismatch(f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _descend(a, e, path + (i,), options)
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                    f"{type(expected)}.")


def _descend(actual, expected, path, options):
    try:
        _compare(actual, expected, path, options)
    except _Mismatch as m:
        raise type(m)(m.message, m.path or path) from None


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise an AssertionError unless ``actual`` and ``expected`` are close.

    Args:
        actual, expected: Tensors, Python scalars, or sequences / mappings of
            them (compared item by item; the message names the failing item).
        rtol, atol: relative and absolute tolerance; give both or neither
            (neither: the per-dtype defaults in the module docstring).
        equal_nan: count two NaNs as equal.
        check_device, check_dtype, check_stride: also require equal devices,
            dtypes (otherwise both are compared in their promoted dtype) and
            strides.
        allow_subclasses, check_layout: accepted for compatibility (Ember has
            one tensor class and one layout).
        msg: a message replacing the generated one, or a function taking the
            generated message and returning the one to raise.
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                   check_dtype=check_dtype, check_stride=check_stride)
    try:
        _compare(actual, expected, (), options)
    except _Mismatch as m:
        message = m.message
        if m.path:
            message += "\n\nThe failure occurred for item " + \
                "".join(f"[{p!r}]" for p in m.path)
        if isinstance(m, _StructureMismatch):
            pass
        elif callable(msg):
            message = msg(message)
        elif msg is not None:
            message = msg
        raise AssertionError(message) from None

