"""Tensor printing that reproduces PyTorch's ``str(tensor)`` character for character.

The rules are PyTorch's (``torch/_tensor_str.py``), run on NumPy arrays:

- one formatter for the whole tensor, so every element has the same width;
- floats whose non-zero finite values are all integers print as ``1.``;
  otherwise ``precision`` decimals, or scientific notation when the largest
  and smallest non-zero magnitudes differ by more than 1000x, the largest
  exceeds 1e8 or the smallest is under 1e-4;
- rows wrap at ``linewidth`` characters, nested dimensions are indented one
  column per level and separated by one blank line per extra dimension;
- tensors over ``threshold`` elements show ``edgeitems`` at each end of every
  dimension around ``...``;
- suffixes: device off the CPU, dtype unless float default / int64 / bool,
  size of empty non-1-D tensors, then ``grad_fn=<...>`` or ``requires_grad=True``.
"""

import contextlib
import dataclasses
import math

import numpy as np

from ember.backend import dtype as _dt

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "format_tensor"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool = None


PRINT_OPTS = _PrintOptions()
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set how tensors print (PyTorch's options and defaults).

    Args:
        precision: digits after the decimal point for floats (4).
        threshold: element count above which tensors are summarised (1000).
        edgeitems: items shown at each end of a summarised dimension (3).
        linewidth: characters per line before wrapping (80).
        profile: ``"default"``, ``"short"`` or ``"full"``, applied before the others.
        sci_mode: True / False forces scientific notation on / off; None chooses.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: expected profile in {sorted(_PROFILES)}, "
                             f"got {profile!r}")
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = _PROFILES[profile]
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options, as keyword arguments for ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Context manager that sets print options and restores the old ones on exit."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one element format (int / fixed / scientific) and width for a whole array."""

    def __init__(self, arr, floating):
        self.floating = floating
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        if not floating:
            self.max_width = max((len(str(v)) for v in arr.ravel().tolist()), default=1)
            return
        values = arr[np.isfinite(arr) & (arr != 0)]
        if values.size == 0:
            return
        magnitudes = np.abs(values)
        lo, hi = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(values == np.ceil(values)))
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
                         if PRINT_OPTS.sci_mode is None else PRINT_OPTS.sci_mode)
        values = values.tolist()
        if self.sci_mode:
            spec = f".{PRINT_OPTS.precision}e"
            self.max_width = max(len(format(v, spec)) for v in values)
        elif self.int_mode:  # room for the "." that marks a float
            self.max_width = max(len(f"{v:.0f}") + 1 for v in values)
        else:
            spec = f".{PRINT_OPTS.precision}f"
            self.max_width = max(len(format(v, spec)) for v in values)

    def format(self, value):
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return " " * (self.max_width - len(text)) + text


def _summarized(arr):
    """The elements a summarised print shows (``edgeitems`` at each end of each dim)."""
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        return np.concatenate((arr[:edge], arr[-edge:])) if arr.shape[0] > 2 * edge else arr
    if not edge:
        return arr[(slice(0, 0),) * arr.ndim]
    rows = list(arr[:edge]) + list(arr[-edge:]) if arr.shape[0] > 2 * edge else list(arr)
    return np.stack([_summarized(r) for r in rows])


def _vector_str(arr, indent, summarize, fmt):
    element_length = fmt.max_width + 2  # ", " between elements
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        data = ([fmt.format(v) for v in arr[:edge].tolist()] + [" ..."]
                + [fmt.format(v) for v in arr[-edge:].tolist()])
    else:
        data = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(arr, indent, summarize, fmt):
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    edge = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        slices = ([_array_str(arr[i], indent + 1, summarize, fmt) for i in range(edge)] + ["..."]
                  + [_array_str(arr[i], indent + 1, summarize, fmt) for i in range(n - edge, n)])
    else:
        slices = [_array_str(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _body(arr, floating, indent):
    """The bracketed values of a non-empty host array, as PyTorch lays them out."""
    summarize = arr.size > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized(arr) if summarize else arr, floating)
    return _array_str(arr, indent, summarize, fmt)


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    # PyTorch's count (one more than the last line's length when there is no
    # newline) decides where suffixes wrap; keep it to wrap at the same place.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def format_tensor(t):
    """``str(t)`` as PyTorch writes it (with ``ember.`` dtypes): values, device, dtype, grad."""
    from ember.tensor import Tensor
    cls = type(t)
    plain = cls is Tensor or cls.__name__ == "Parameter"  # Parameter adds its own header
    prefix = "tensor(" if plain else f"{cls.__name__}("
    indent = len(prefix)
    data = t._array if type(t._array) is np.ndarray else t._array.get()
    dtype = _dt.from_numpy_dtype(data.dtype)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype is not _dt.get_default_dtype():
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype not in (_dt.get_default_dtype(), _dt.int64, _dt.bool_):
            suffixes.append(f"dtype={dtype}")
        # float64 holds every float16/bfloat16/float32 value exactly, and
        # Python formats float64 as PyTorch formats its scalars.
        host = data.astype(np.float64) if dtype.is_floating_point else data
        body = _body(host, dtype.is_floating_point, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
