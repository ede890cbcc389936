"""``ember.special``: ``torch.special``'s names.

The Bessel and Airy functions come from ``ember.ops.bessel_fns`` and the
orthogonal polynomials from ``ember.ops.polynomial_fns``; as in PyTorch,
neither has derivatives (their results never require grad).

Most other names are other names of ops defined elsewhere (``expit`` is ``sigmoid``,
``gammaln`` is ``lgamma``...). ``i0e``, ``i1e``, ``ndtri`` and ``entr`` are
Functions of ``ember.ops.special_fns`` (own kernels and PyTorch's
derivatives); ``ndtr``, ``log_ndtr`` and ``erfcx`` are compositions of
differentiable ops here, so their gradients come from those. Integer and bool
inputs are promoted to the default float, as PyTorch.
"""

import math

from ember.backend import dtype as _dt
from ember.ops.activation import log_softmax, softmax
from ember.ops.bessel_fns import (airy_ai, bessel_j0, bessel_j1, bessel_y0, bessel_y1,
                                  modified_bessel_i0, modified_bessel_i1, modified_bessel_k0,
                                  modified_bessel_k1, scaled_modified_bessel_k0,
                                  scaled_modified_bessel_k1, spherical_bessel_j0)
from ember.ops.comparison import where
from ember.ops.elementwise import (erf, erfc, erfinv, exp, exp2, expm1, log, log1p, logit, round,
                                   sigmoid, xlog1py, xlogy)
from ember.ops.polynomial_fns import (chebyshev_polynomial_t, chebyshev_polynomial_u,
                                      chebyshev_polynomial_v, chebyshev_polynomial_w,
                                      hermite_polynomial_h, hermite_polynomial_he,
                                      laguerre_polynomial_l, legendre_polynomial_p,
                                      shifted_chebyshev_polynomial_t,
                                      shifted_chebyshev_polynomial_u,
                                      shifted_chebyshev_polynomial_v,
                                      shifted_chebyshev_polynomial_w)
from ember.ops.reduce import logsumexp
from ember.ops.special_fns import (_floating, digamma, entr, gammainc, gammaincc, i0, i0e, i1,
                                   i1e, lgamma, multigammaln, ndtri, polygamma, sinc, zeta)

__all__ = ["expit", "logit", "erf", "erfc", "erfinv", "erfcx", "exp2", "expm1", "log1p",
           "gammaln", "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e",
           "xlogy", "xlog1py", "entr", "ndtr", "ndtri", "log_ndtr", "sinc", "logsumexp",
           "softmax", "log_softmax", "round", "zeta", "gammainc", "gammaincc",
           "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
           "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p"]

expit = sigmoid
gammaln = lgamma
psi = digamma

_SQRT2 = math.sqrt(2.0)


def _in_float64(fn, x):
    """``fn`` on a floating ``x`` evaluated in float64 and rounded once to x's dtype
    (differentiably: the casts carry the gradient)."""
    if x.dtype is _dt.float64:
        return fn(x)
    return fn(x.to(_dt.float64)).to(x.dtype)


_ERFCX_SWITCH = 10.0  # above: the asymptotic series, below: exp(x^2) erfc(x) directly


def erfcx(input):
    """The scaled complementary error function exp(x^2) erfc(x).

    Directly below x = 10 (erfc(10) ~ 2e-45 is still a float64), by its
    asymptotic series 1 / (x sqrt(pi)) sum (-1)^n (2n - 1)!! / (2 x^2)^n above
    (12 terms: 1e-15 relative at x = 10, better beyond). Overflows to inf for
    x below about -26, as the true value does. Lower precisions are computed
    in float64 and rounded once (in float32, exp(x^2) would overflow from
    x ~ 9.4 on and erfc(x) be subnormal). Integers are promoted to the
    default float.
    """
    return _in_float64(_erfcx, _floating(input, "erfcx"))


def _erfcx(input):
    high = input > _ERFCX_SWITCH
    x_low = where(high, 0.0, input)
    direct = exp(x_low * x_low) * erfc(x_low)
    x_high = where(high, input, _ERFCX_SWITCH)
    inv2x2 = 1.0 / (2.0 * x_high * x_high)
    total, term = 1.0, 1.0
    for n in range(1, 13):
        term = term * (-(2 * n - 1)) * inv2x2
        total = total + term
    series = total / (x_high * math.sqrt(math.pi))
    return where(high, series, direct)


def ndtr(input):
    """The standard normal distribution function, P(Z <= x).

    Integers and bools are promoted to the default float.
    """
    return 0.5 * erfc(-_floating(input, "ndtr") / _SQRT2)


def log_ndtr(input):
    """log P(Z <= x), accurate far in the lower tail (through log erfcx there).

    Lower precisions are computed in float64 and rounded once. Integers and
    bools are promoted to the default float.
    """
    return _in_float64(_log_ndtr, _floating(input, "log_ndtr"))


def _log_ndtr(input):
    lower = input < -1.0
    # For x < -1: erfc(-x / sqrt 2) is tiny; its log from erfcx keeps precision.
    safe_low = where(lower, input, -1.0)
    tail = log(_erfcx(-safe_low / _SQRT2)) - safe_low * safe_low / 2.0 - math.log(2.0)
    safe_high = where(lower, 0.0, input)
    body = log1p(-0.5 * erfc(safe_high / _SQRT2))
    return where(lower, tail, body)
