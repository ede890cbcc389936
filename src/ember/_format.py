"""PyTorch-like ``repr`` of tensors: ``tensor([1.5000, 2.0000], requires_grad=True)``."""

import numpy as np

_DEFAULT_DTYPES = ("float32", "int64", "bool")


def _float_formatter(arr):
    finite = arr[np.isfinite(arr)] if arr.size else arr
    if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    big = np.abs(finite).max() if finite.size else 0
    small = np.abs(finite[finite != 0]).min() if np.any(finite != 0) else 1
    if big >= 1e8 or small < 1e-4:
        return lambda v: f"{v:.4e}" if np.isfinite(v) else str(v)
    return lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)


def format_tensor(t):
    """The repr of ``t``, with device, dtype and grad information as PyTorch shows it."""
    data = t.data if type(t.data) is np.ndarray else t.data.get()
    dtype = t.dtype
    arr = data.astype(np.float64) if dtype.name in ("float16", "bfloat16") else data
    opts = dict(separator=", ", prefix="tensor(", threshold=1000, edgeitems=3)
    if dtype.is_floating_point:
        opts["formatter"] = {"float_kind": _float_formatter(arr)}
    body = np.array2string(arr, **opts) if arr.size else "[]"
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if dtype.name not in _DEFAULT_DTYPES or arr.size == 0 and dtype.name != "float32":
        extras.append(f"dtype=ember.{dtype.name}")
    if arr.size == 0 and arr.ndim > 1:
        extras.insert(0, f"size={tuple(arr.shape)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
