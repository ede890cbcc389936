"""NumPy-style numerical tools PyTorch has at the top level: ``gradient``
(central differences), ``histogram`` and the window functions (``hann_window``...)."""

import collections
import math

import numpy as np

from ember.backend import dtype as _dt
from ember.ops import views as _views
from ember.ops._util import check_tensor, fmt_shape, wrap_dim
from ember.ops.creation import _finish, _float_dtype, _symmetric_grid
from ember.tensor import Tensor, _host

__all__ = ["gradient", "histogram", "hann_window", "hamming_window", "blackman_window",
           "bartlett_window", "kaiser_window"]


# ---- gradient and histogram ---------------------------------------------------------

def _slice(t, axis, start, stop):
    index = (slice(None),) * axis + (slice(start, stop),)
    return t[index]


def _edges(t, axis, coords, edge_order):
    """One-sided differences at both ends of ``axis``; ``coords`` None means unit spacing."""
    n = t.shape[axis]
    if edge_order == 1:
        first = _slice(t, axis, 1, 2) - _slice(t, axis, 0, 1)
        last = _slice(t, axis, n - 1, n) - _slice(t, axis, n - 2, n - 1)
        if coords is None:
            return first, last
        return first / (coords[1] - coords[0]), last / (coords[n - 1] - coords[n - 2])
    # Second order: the derivative of the parabola through the first (last) three points.
    if coords is None:
        h1 = h2 = g1 = g2 = 1.0
    else:
        h1, h2 = coords[1] - coords[0], coords[2] - coords[1]
        g1, g2 = coords[n - 2] - coords[n - 3], coords[n - 1] - coords[n - 2]
    y0, y1, y2 = (_slice(t, axis, i, i + 1) for i in (0, 1, 2))
    first = (-(2 * h1 + h2) / (h1 * (h1 + h2)) * y0 + (h1 + h2) / (h1 * h2) * y1
             - h1 / (h2 * (h1 + h2)) * y2)
    z0, z1, z2 = (_slice(t, axis, i, i + 1) for i in (n - 3, n - 2, n - 1))
    last = (g2 / (g1 * (g1 + g2)) * z0 - (g1 + g2) / (g1 * g2) * z1
            + (2 * g2 + g1) / (g2 * (g1 + g2)) * z2)
    return first, last


def _interior(t, axis, coords):
    """Central differences; second-order accurate on uneven coordinates too."""
    n = t.shape[axis]
    ahead, mid, behind = _slice(t, axis, 2, n), _slice(t, axis, 1, n - 1), _slice(t, axis, 0, n - 2)
    if coords is None:
        return (ahead - behind) / 2
    shape = [1] * t.ndim
    shape[axis] = n - 2
    hl = _views.reshape(coords[1:n - 1] - coords[0:n - 2], shape)   # left gaps
    hr = _views.reshape(coords[2:n] - coords[1:n - 1], shape)       # right gaps
    return (hl * hl * ahead - hr * hr * behind + (hr * hr - hl * hl) * mid) / (hl * hr * (hl + hr))


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimate the derivative of ``input`` along each dimension by finite differences.

    ``torch.gradient(input, *, spacing=1, dim=None, edge_order=1)``: central
    differences inside, one-sided ones of order ``edge_order`` (1 or 2) at the
    ends. ``spacing`` is a number (uniform step, all dims), a list of numbers
    (one step per dim) or a list of 1-D tensors (the coordinates along each dim).
    ``dim`` is an int, a list of ints or None (all). Returns a tuple with one
    tensor per dimension. Differentiable with respect to ``input``.
    """
    check_tensor(input, "gradient")
    ndim = input.ndim
    dims = list(range(ndim)) if dim is None else \
        [dim] if isinstance(dim, (int, np.integer)) else list(dim)
    dims = [wrap_dim(d, ndim, "gradient") for d in dims]
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"gradient: dim {dims} appears multiple times in the list of dims")
    if edge_order not in (1, 2):
        raise RuntimeError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    if isinstance(spacing, (tuple, list)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"gradient: expected spacing to be unspecified, a scalar or a "
                               f"list of length {len(dims)} (one per dim), got a list of "
                               f"length {len(spacing)}")
        spacing = list(spacing)
    else:
        spacing = [spacing] * len(dims)
    if not input.dtype.is_floating_point:
        input = input.to(_dt.get_default_dtype())
    outs = []
    for axis, h in zip(dims, spacing):
        n = input.shape[axis]
        if n < edge_order + 1:
            raise RuntimeError(f"gradient: each dimension differentiated must have at least "
                               f"edge_order + 1 = {edge_order + 1} elements, but dim {axis} "
                               f"has {n}")
        coords, x = None, input
        if isinstance(h, Tensor):
            if h.ndim != 1 or h.shape[0] != n:
                raise RuntimeError(f"gradient: coordinates along dim {axis} must be a 1-D "
                                   f"tensor of size {n}, got shape {fmt_shape(h.shape)}")
            common = _dt.promote_types(input.dtype, h.dtype)  # as PyTorch: float64 coords win
            x, coords = input.to(common), h.to(common)
        first, last = _edges(x, axis, coords, edge_order)
        if n == 2:
            pieces = [first, last]
        else:
            pieces = [first, _interior(x, axis, coords), last]
        out = _cat(pieces, axis)
        if coords is None and h != 1:
            out = out / h
        outs.append(out)
    return tuple(outs)


def _cat(pieces, axis):
    from ember.ops.shape import cat
    return cat(pieces, axis)


HistogramResult = collections.namedtuple("histogram", ("hist", "bin_edges"))


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """Histogram of the values of ``input``: returns ``(hist, bin_edges)``.

    ``torch.histogram(input, bins, *, range=None, weight=None, density=False)``:
    ``bins`` is a number of equal bins over ``range`` (default: the min and max of
    ``input``) or a 1-D tensor of increasing edges. Bins are closed on the left,
    the last also on the right; values outside are ignored. ``weight`` gives
    each value's weight; ``density`` divides by the total and the bin widths.
    Floating inputs only; not differentiable (as in PyTorch).
    """
    check_tensor(input, "histogram")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"histogram: expected a floating input, got {input.dtype}")
    a = _host(input._array)
    values = a.reshape(-1).astype(np.float64)
    w = None
    if weight is not None:
        check_tensor(weight, "histogram", "weight")
        if weight.shape != input.shape:
            raise RuntimeError(f"histogram: expected weight of the input's shape "
                               f"{fmt_shape(input.shape)}, got {fmt_shape(weight.shape)}")
        if weight.dtype != input.dtype:
            raise RuntimeError(f"histogram: expected weight of dtype {input.dtype}, got "
                               f"{weight.dtype}")
        w = _host(weight._array).reshape(-1).astype(np.float64)
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.shape[0] < 1:
            raise RuntimeError(f"histogram: bins must be a 1-D tensor with at least 1 element, "
                               f"got shape {fmt_shape(bins.shape)}")
        if bins.dtype != input.dtype:
            raise RuntimeError(f"histogram: expected bins of dtype {input.dtype}, got "
                               f"{bins.dtype}")
        if range is not None:
            raise TypeError("histogram: range cannot be given together with a tensor of bins")
        edges = _host(bins._array).astype(a.dtype)
        if np.any(np.diff(edges.astype(np.float64)) < 0):
            raise RuntimeError("histogram: bin edges must be non-decreasing")
    else:
        if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins <= 0:
            raise RuntimeError(f"histogram: bins must be a positive int or a 1-D tensor, got "
                               f"{bins!r}")
        if range is not None:
            lo, hi = (float(v) for v in range)
        elif values.size:
            lo, hi = float(values.min()), float(values.max())
        else:  # no values: PyTorch's default range
            lo, hi = 0.0, 1.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"histogram: range of [{lo}, {hi}] is not finite")
        if lo > hi:
            raise RuntimeError(f"histogram: min should not exceed max, got range ({lo}, {hi})")
        if lo == hi:  # widen an empty range, as PyTorch does
            lo, hi = lo - 0.5, hi + 0.5
        edges = _symmetric_grid(np.asarray(lo).astype(a.dtype), np.asarray(hi).astype(a.dtype),
                                int(bins) + 1, np.dtype(a.dtype))
    e = edges.astype(np.float64)
    # Bin i holds e[i] <= v < e[i+1]; the last bin also holds v == e[-1].
    inside = (values >= e[0]) & (values <= e[-1])
    pos = np.searchsorted(e, values[inside], side="right") - 1
    pos = np.minimum(pos, e.size - 2)
    hist = np.bincount(pos, weights=None if w is None else w[inside], minlength=e.size - 1)
    hist = hist[:e.size - 1].astype(np.float64)
    if density:
        total = hist.sum()
        hist = hist / (total * np.diff(e))
    dev = input.device
    return HistogramResult(_finish(hist, input.dtype, dev, False, "histogram"),
                           _finish(edges, input.dtype, dev, False, "histogram"))


# ---- windows --------------------------------------------------------------------------

def _window(op, window_length, periodic, dtype, device, requires_grad, make):
    """Evaluate ``make(n, N)`` for n = 0..window_length-1, with N the denominator:
    window_length (periodic) or window_length - 1 (symmetric)."""
    if not isinstance(window_length, (int, np.integer)) or isinstance(window_length, bool):
        raise TypeError(f"{op}: expected window_length to be an int, got "
                        f"{type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{op}: requires non-negative window_length, got "
                           f"window_length={window_length}")
    dtype = _float_dtype(dtype, op)
    if window_length == 0:
        arr = np.zeros(0)
    elif window_length == 1:
        arr = np.ones(1)
    else:
        n = np.arange(window_length, dtype=np.float64)
        arr = make(n, window_length if periodic else window_length - 1)
    return _finish(arr, dtype, device, requires_grad, op)


def hann_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """Hann window: ``0.5 - 0.5 cos(2 pi n / N)``; N = window_length if ``periodic`` else
    window_length - 1 (``torch.hann_window``)."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: 0.5 - 0.5 * np.cos(2 * np.pi * n / N))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   device=None, requires_grad=False):
    """Hamming window: ``alpha - beta cos(2 pi n / N)`` (``torch.hamming_window``)."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: alpha - beta * np.cos(2 * np.pi * n / N))


def blackman_window(window_length, periodic=True, *, dtype=None, device=None,
                    requires_grad=False):
    """Blackman window: ``0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)``."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: (0.42 - 0.5 * np.cos(2 * np.pi * n / N)
                                 + 0.08 * np.cos(4 * np.pi * n / N)))


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None,
                    requires_grad=False):
    """Bartlett (triangular) window: ``1 - |2 n / N - 1|`` (``torch.bartlett_window``)."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: 1 - np.abs(2 * n / N - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, device=None,
                  requires_grad=False):
    """Kaiser window: ``I0(beta sqrt(1 - (2 n / N - 1)^2)) / I0(beta)``, I0 the modified
    Bessel function of order 0 (``torch.kaiser_window``)."""
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: np.i0(beta * np.sqrt(np.clip(1 - (2 * n / N - 1) ** 2, 0, None)))
                   / np.i0(beta))


__methods__ = ("histogram",)
__inplace__ = ()
