"""``torch.special``'s orthogonal polynomials, each ``f(input, n)`` with the
degree ``n`` broadcast against ``input``: chebyshev_polynomial_t/u/v/w,
shifted_chebyshev_polynomial_t/u/v/w, hermite_polynomial_h,
hermite_polynomial_he, laguerre_polynomial_l and legendre_polynomial_p.

As PyTorch:

- ``input`` and ``n`` are Tensors or numbers (not both numbers); the result
  has their promoted dtype, integers and bools giving the default float
  (float16 and bfloat16 are refused, as PyTorch has no kernels for them).
- ``n`` is first brought to that dtype, then truncated toward zero (a
  degree of 2.7 is 2, of -0.5 is 0); a negative degree gives 0, and so do
  nan, +-inf and degrees beyond the int64 range (PyTorch's cast to int64
  makes them negative).
- The value is the three-term recurrence's (``ops/_polynomial_kernels.py``),
  with the Chebyshev families' closed trigonometric forms inside (-1, 1)
  from a degree on, and their exact values at the ends of the interval.
  Past the float64 range the recurrence gives inf and then nan, which is
  what comes back.
- No derivatives: the result never requires grad.

Deliberate differences: float32 results are computed in float64 and rounded
once (PyTorch's float32 recurrence overflows to inf, then nan, where Ember's
value is the rounded float64 one); at a nan input PyTorch's chebyshev U, W
(and shifted ones), Laguerre and Legendre kernels return whatever the
uninitialized result holds for degrees >= 2, where Ember gives nan.

The work is the degree's: the recurrence runs up to the largest degree
asked for (an entry leaves the loop at its own degree, or once it is nan),
so degrees of millions take seconds where the recurrence is needed (the
Chebyshev closed forms and the end values take none).
"""

import numpy as np

from ember.backend import dtype as _dt
from ember.ops import _polynomial_kernels as _pk
from ember.ops._util import as_operand, binary_operands
from ember.ops.bessel_fns import _refuse_half, run_kernel
from ember.tensor import Tensor

__all__ = []  # torch.special names only: reached through ember.special

__special__ = ("chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
               "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
               "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p")

_INT64_MIN, _INT64_END = -2 ** 63, 2 ** 63


def _polynomial(op, kernel, input, n, *args):
    """The polynomial ``kernel`` at (input, n) with PyTorch's argument rules."""
    for value, name in ((input, "input"), (n, "n")):
        if not isinstance(value, (Tensor, bool, int, float, np.generic)):
            raise TypeError(f"{op}: expected {name} to be a Tensor or a number, got "
                            f"{type(value).__name__}")
    if not isinstance(input, Tensor) and not isinstance(n, Tensor):
        raise TypeError(f"{op}: expected input or n to be a Tensor, got "
                        f"{type(input).__name__} and {type(n).__name__}")
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool):
        if not _INT64_MIN <= int(n) < _INT64_END:
            raise OverflowError(f"{op}: expected n to fit in int64, got {n}")
    x, degree = binary_operands(input, n, op)
    dtype = x.dtype if x.is_floating_point() else _dt.get_default_dtype()
    _refuse_half(dtype, op)
    x = x.to(dtype)
    degree = as_operand(degree, x).to(dtype)  # n in the result dtype first, as PyTorch
    return run_kernel(op, _pk._evaluate, dtype, (x, degree), (kernel,) + args)


def chebyshev_polynomial_t(input, n):
    """The Chebyshev polynomial of the first kind T_n(input)
    (torch.special.chebyshev_polynomial_t); T_n(cos t) = cos(n t).

    By the recurrence T_{k+1} = 2x T_k - T_{k-1}; for |x| < 1 and n > 6 by
    cos(n acos x), as PyTorch; exactly (+-)1 at x = +-1. See the module
    docstring for the degree's rules. No gradient (as PyTorch).
    """
    return _polynomial("chebyshev_polynomial_t", _pk._chebyshev, input, n, "t", False)


def chebyshev_polynomial_u(input, n):
    """The Chebyshev polynomial of the second kind U_n(input)
    (torch.special.chebyshev_polynomial_u); U_n(cos t) = sin((n + 1) t) / sin t.

    Recurrence from U_1 = 2x; the closed form for |x| < 1 and n > 8, as
    PyTorch. No gradient (as PyTorch).
    """
    return _polynomial("chebyshev_polynomial_u", _pk._chebyshev, input, n, "u", False)


def chebyshev_polynomial_v(input, n):
    """The Chebyshev polynomial of the third kind V_n(input)
    (torch.special.chebyshev_polynomial_v); V_n(cos t) = cos((n + 1/2) t) / cos(t / 2).

    Recurrence from V_1 = 2x - 1; the closed form for |x| < 1 and n > 8, as
    PyTorch. No gradient (as PyTorch).
    """
    return _polynomial("chebyshev_polynomial_v", _pk._chebyshev, input, n, "v", False)


def chebyshev_polynomial_w(input, n):
    """The Chebyshev polynomial of the fourth kind W_n(input)
    (torch.special.chebyshev_polynomial_w); W_n(cos t) = sin((n + 1/2) t) / sin(t / 2).

    Recurrence from W_1 = 2x + 1; the closed form for |x| < 1 and n > 8, as
    PyTorch. No gradient (as PyTorch).
    """
    return _polynomial("chebyshev_polynomial_w", _pk._chebyshev, input, n, "w", False)


def shifted_chebyshev_polynomial_t(input, n):
    """T_n(2x - 1), the Chebyshev polynomial of the first kind shifted to [0, 1]
    (torch.special.shifted_chebyshev_polynomial_t); closed form for
    0 < x < 1 and n > 6, as PyTorch. No gradient (as PyTorch).
    """
    return _polynomial("shifted_chebyshev_polynomial_t", _pk._chebyshev, input, n, "t", True)


def shifted_chebyshev_polynomial_u(input, n):
    """U_n(2x - 1) (torch.special.shifted_chebyshev_polynomial_u); closed form
    for 0 < x < 1 and n > 6, as PyTorch. No gradient (as PyTorch).
    """
    return _polynomial("shifted_chebyshev_polynomial_u", _pk._chebyshev, input, n, "u", True)


def shifted_chebyshev_polynomial_v(input, n):
    """V_n(2x - 1) (torch.special.shifted_chebyshev_polynomial_v); closed form
    for 0 < x < 1 and n > 6, as PyTorch. No gradient (as PyTorch).
    """
    return _polynomial("shifted_chebyshev_polynomial_v", _pk._chebyshev, input, n, "v", True)


def shifted_chebyshev_polynomial_w(input, n):
    """W_n(2x - 1) (torch.special.shifted_chebyshev_polynomial_w); closed form
    for 0 < x < 1 and n > 4, as PyTorch. No gradient (as PyTorch).
    """
    return _polynomial("shifted_chebyshev_polynomial_w", _pk._chebyshev, input, n, "w", True)


def hermite_polynomial_h(input, n):
    """The physicists' Hermite polynomial H_n(input)
    (torch.special.hermite_polynomial_h): H_{k+1} = 2x H_k - 2k H_{k-1}.

    Overflows float64 (then nan) from n ~ 300 at moderate x. No gradient (as
    PyTorch).
    """
    return _polynomial("hermite_polynomial_h", _pk._hermite_h, input, n)


def hermite_polynomial_he(input, n):
    """The probabilists' Hermite polynomial He_n(input)
    (torch.special.hermite_polynomial_he): He_{k+1} = x He_k - k He_{k-1}.
    No gradient (as PyTorch).
    """
    return _polynomial("hermite_polynomial_he", _pk._hermite_he, input, n)


def laguerre_polynomial_l(input, n):
    """The Laguerre polynomial L_n(input) (torch.special.laguerre_polynomial_l):
    (k + 1) L_{k+1} = (2k + 1 - x) L_k - k L_{k-1}; exactly 1 at x = 0.
    No gradient (as PyTorch).
    """
    return _polynomial("laguerre_polynomial_l", _pk._laguerre, input, n)


def legendre_polynomial_p(input, n):
    """The Legendre polynomial P_n(input) (torch.special.legendre_polynomial_p):
    (k + 1) P_{k+1} = (2k + 1) x P_k - k P_{k-1}; exactly 1 at x = 1 and
    (-1)^n at x = -1. No gradient (as PyTorch).
    """
    return _polynomial("legendre_polynomial_p", _pk._legendre, input, n)
