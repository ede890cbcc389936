"""``ember.special``: ``torch.special``'s names.

Most are other names of ops defined elsewhere (``expit`` is ``sigmoid``,
``gammaln`` is ``lgamma``...); the few of its own (``entr``, ``ndtr``,
``ndtri``, ``log_ndtr``, ``erfcx``, ``i0e``, ``i1e``) are compositions of
differentiable ops, so their gradients come from those.
"""

import math

from ember.ops.activation import log_softmax, softmax
from ember.ops.comparison import where
from ember.ops.elementwise import (erf, erfc, erfinv, exp, exp2, expm1, log, log1p, logit, round,
                                   sigmoid, xlog1py, xlogy)
from ember.ops.reduce import logsumexp
from ember.ops.special_fns import (digamma, i0, i1, lgamma, multigammaln, polygamma, sinc)

__all__ = ["expit", "logit", "erf", "erfc", "erfinv", "erfcx", "exp2", "expm1", "log1p",
           "gammaln", "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e",
           "xlogy", "xlog1py", "entr", "ndtr", "ndtri", "log_ndtr", "sinc", "logsumexp",
           "softmax", "log_softmax", "round"]

expit = sigmoid
gammaln = lgamma
psi = digamma

_SQRT2 = math.sqrt(2.0)


def i0e(input):
    """The exponentially scaled Bessel function exp(-|x|) i0(x)."""
    return i0(input) * exp(-input.abs())


def i1e(input):
    """The exponentially scaled Bessel function exp(-|x|) i1(x)."""
    return i1(input) * exp(-input.abs())


_ERFCX_SWITCH = 10.0  # above: the asymptotic series, below: exp(x^2) erfc(x) directly


def erfcx(input):
    """The scaled complementary error function exp(x^2) erfc(x).

    Directly below x = 10 (erfc(10) ~ 2e-45 is still a float64), by its
    asymptotic series 1 / (x sqrt(pi)) sum (-1)^n (2n - 1)!! / (2 x^2)^n above
    (12 terms: 1e-15 relative at x = 10, better beyond). Overflows to inf for
    x below about -26, as the true value does. In float32 the direct part
    loses precision above x ~ 9, where erfc(x) is subnormal.
    """
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


def entr(input):
    """The elementwise entropy -x log x: 0 at 0, -inf below 0."""
    value = -xlogy(input, input)
    return where(input < 0, -math.inf, value)


def ndtr(input):
    """The standard normal distribution function, P(Z <= x)."""
    return 0.5 * erfc(-input / _SQRT2)


def ndtri(input):
    """The inverse of ``ndtr``: the x with P(Z <= x) = p."""
    return _SQRT2 * erfinv(2.0 * input - 1.0)


def log_ndtr(input):
    """log P(Z <= x), accurate far in the lower tail (through log erfc there)."""
    lower = input < -1.0
    # For x < -1: erfc(-x / sqrt 2) is tiny; its log from erfcx keeps precision.
    safe_low = where(lower, input, -1.0)
    tail = log(erfcx(-safe_low / _SQRT2)) - safe_low * safe_low / 2.0 - math.log(2.0)
    safe_high = where(lower, 0.0, input)
    body = log1p(-0.5 * erfc(safe_high / _SQRT2))
    return where(lower, tail, body)
