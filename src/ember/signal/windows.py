"""Window functions, as ``torch.signal.windows``: ``hann``, ``hamming``,
``blackman``, ``bartlett``, ``cosine``, ``exponential``, ``gaussian``,
``general_cosine``, ``general_hamming``, ``kaiser``, ``nuttall``.

Each takes the window length ``M`` and ``sym`` (True: symmetric, for filter
design; False: periodic, for spectral analysis, the symmetric window of
``M + 1`` points without its last). Values are computed in float64 and
rounded once to ``dtype`` (default: the default dtype), so float32 windows
may differ from PyTorch's, which are computed step by step in float32, by
a unit in the last place.
"""

import math
from collections.abc import Iterable

import numpy as np

from ember.backend import dtype as _dt
from ember.ops.creation import tensor as _tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _check(name, M, dtype):
    """PyTorch's checks of every window: the length, then the dtype (float32 or
    float64); returns the dtype."""
    if not isinstance(M, int) or isinstance(M, bool):
        raise TypeError(f"{name}: expected an int window length M, got {type(M).__name__}")
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    if dt not in (_dt.float32, _dt.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dt}")
    return dt


def _window(name, M, sym, dtype, device, requires_grad, values, single=1.0):
    """Checks, the point grid, and the finished tensor: ``values(n, span)`` gets the
    float64 sample positions n = 0..span and returns the window (``single``: the
    one value of a window of length 1)."""
    dt = _check(name, M, dtype)
    if M <= 1:
        w = np.full(M, single)
    else:
        points = M if sym else M + 1  # periodic: the symmetric window of M + 1, cut
        w = values(np.arange(points, dtype=np.float64), points - 1)[:M]
    return _tensor(w.astype(dt.np), device=device, requires_grad=requires_grad)


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """The weighted sum of cosines ``sum_k (-1)^k a[k] cos(2 pi k n / (M - 1))``."""
    _check("general_cosine", M, dtype)
    if M > 1:  # PyTorch looks at the coefficients only for longer windows
        if not isinstance(a, Iterable):
            raise TypeError("Coefficients must be a list/tuple")
        if not a:
            raise ValueError("Coefficients cannot be empty")
    coefficients = [float(c) for c in a] if M > 1 else []

    def values(n, span):
        phase = 2 * math.pi * n / span
        return sum((-1) ** k * c * np.cos(k * phase) for k, c in enumerate(coefficients))
    return _window("general_cosine", M, sym, dtype, device, requires_grad, values)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """``alpha - (1 - alpha) cos(2 pi n / (M - 1))``."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, device=device,
                          requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hann window, ``0.5 - 0.5 cos(2 pi n / (M - 1))``."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, device=device,
                           requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hamming window, ``0.54 - 0.46 cos(2 pi n / (M - 1))``."""
    return general_hamming(M, sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Blackman window (coefficients 0.42, 0.5, 0.08)."""
    _check("blackman", M, dtype)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, device=device,
                          requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The minimum 4-term Blackman-Harris window of Nuttall."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, device=device, requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangular window that is zero at both ends, ``1 - |2n / (M - 1) - 1|``."""
    return _window("bartlett", M, sym, dtype, device, requires_grad,
                   lambda n, span: 1.0 - np.abs(2.0 * n / span - 1.0))


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The cosine (sine) window, ``sin(pi (n + 0.5) / M)``."""
    return _window("cosine", M, sym, dtype, device, requires_grad,
                   lambda n, span: np.sin(math.pi * (n + 0.5) / (span + 1)))


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``exp(-((n - (M - 1) / 2) / std)^2 / 2)``."""
    _check("gaussian", M, dtype)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _window("gaussian", M, sym, dtype, device, requires_grad,
                   lambda n, span: np.exp(-0.5 * ((n - span / 2.0) / std) ** 2))


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None,
                requires_grad=False):
    """``exp(-|n - center| / tau)``; ``center`` defaults to the middle (and must be
    None for a symmetric window)."""
    _check("exponential", M, dtype)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")

    def values(n, span):
        c = span / 2.0 if center is None else float(center)
        return np.exp(-np.abs(n - c) / tau)
    # PyTorch: a window of one point at n = 0, measured from center when given
    single = 1.0 if center is None else math.exp(-abs(float(center)) / tau)
    return _window("exponential", M, sym, dtype, device, requires_grad, values, single)


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None,
           requires_grad=False):
    """The Kaiser window, ``I0(beta sqrt(1 - (2n / (M - 1) - 1)^2)) / I0(beta)``."""
    _check("kaiser", M, dtype)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    return _window("kaiser", M, sym, dtype, device, requires_grad,
                   lambda n, span: np.i0(beta * np.sqrt(np.clip(
                       1.0 - (2.0 * n / span - 1.0) ** 2, 0.0, None))) / np.i0(beta))
