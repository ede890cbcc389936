"""Elementwise math: exp, log, trigonometry, erf, rounding, atan2, lerp, addcmul...

The unary ops are one table: each row gives an op's forward on arrays and its
derivative written with Ember ops (so gradients of gradients work). Integer
and bool inputs are promoted to the default float where PyTorch does; the
rounding ops, ``abs``, ``sign`` and ``square`` keep integer dtypes. Binary
ops take PyTorch's result dtype (``binary_operands``) and broadcast; their
gradients come back in the broadcast shape and the engine sums them down.
Derivatives follow PyTorch at the edges: ``abs'(0) = 0``, ``sqrt'(0) = inf``.

Comparisons, logical ops and the selecting ops (where, clamp, maximum...)
live in ``ops/comparison.py``; this module re-exports them, so the whole
elementwise family is bound to Tensor from here.
"""

import math
from contextlib import nullcontext

import ml_dtypes
import numpy as np

from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.ops import comparison
from ember.ops._util import binary_operands, check_tensor, float_operand
from ember.ops.comparison import *  # noqa: F401,F403 - re-exported: see the docstring
from ember.ops.comparison import _apply, _is_float, _number, _quiet, _result_dtype
from ember.ops.convert import clone
from ember.ops.creation import full, zeros_like
from ember.tensor import Tensor

__all__ = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "sigmoid", "erf",
    "erfc", "erfinv", "abs", "absolute", "sign", "sgn", "floor", "ceil", "round", "trunc", "fix",
    "frac", "square", "deg2rad", "rad2deg", "logit", "nan_to_num",
    "atan2", "arctan2", "hypot", "xlogy", "lerp", "addcmul", "addcdiv",
] + comparison.__all__

_HALF = (np.dtype(np.float16), _dt.bfloat16.np)


def _floating(input, op):
    """``input`` checked to be a Tensor, integers and bools promoted to the default float."""
    return float_operand(check_tensor(input, op))


# ---- erf, erfc, erfinv on NumPy (CuPy ships them in cupyx.scipy.special) -----

# The C library's erf/erfc, once per element: exact to an ulp, but about 25x
# slower than np.exp (NumPy has no erf ufunc). float64 keeps it; erf of lower
# precisions uses the fitted polynomials below.
_erf_scalar, _erfc_scalar = np.frompyfunc(math.erf, 1, 1), np.frompyfunc(math.erfc, 1, 1)


def _fit_erf_polynomials():
    """Polynomials for erf below float64, fitted once to the C library's values.

    On [0, 2], erf(a) = a * P(a^2) (erf(a)/a is smooth in a^2); on [2, 4],
    erf(a) = 1 - exp(-a^2) / a * Q(1/a) (the asymptotic form of erfc). A
    least-squares fit at Chebyshev nodes gives relative errors below 1e-9
    and 2e-11, far inside float32's 6e-8; beyond 4, erf rounds to 1 in float32.
    """
    poly = np.polynomial.polynomial
    k = np.arange(200)
    t = 2 + 2 * np.cos(np.pi * (k + 0.5) / 200)  # a^2 on [0, 4]
    a = np.sqrt(t)
    inner = poly.polyfit(t, [math.erf(v) / v if v else 2 / math.sqrt(math.pi) for v in a], 10)
    x = 3 + np.cos(np.pi * (k + 0.5) / 200)  # a on [2, 4]
    tail = poly.polyfit(1 / x, [math.erfc(v) * math.exp(v * v) * v for v in x], 6)
    return inner[::-1].copy(), tail[::-1].copy()  # highest power first, for Horner


_ERF_INNER, _ERF_TAIL = _fit_erf_polynomials()


def _horner(coeffs, t):
    y = np.full_like(t, coeffs[0])
    for c in coeffs[1:]:
        y *= t
        y += c
    return y


_ERF_BLOCK = 32768  # elements per pass: the ~25 passes of a block stay in cache


def _np_erf(x):
    if x.dtype == np.float64 or x.size < 256:
        return np.asarray(_erf_scalar(x.astype(np.float64)), np.float64).astype(x.dtype)
    if x.size <= _ERF_BLOCK:
        return _erf_polynomial(x)
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    for start in range(0, flat.size, _ERF_BLOCK):
        out[start:start + _ERF_BLOCK] = _erf_polynomial(flat[start:start + _ERF_BLOCK])
    return out.reshape(x.shape)


def _erf_polynomial(x):
    """erf for float32 and below: the fitted polynomials, evaluated in float64
    and rounded once (within an ulp; ~50x faster than the per-element C call)."""
    a = np.minimum(np.abs(x.astype(np.float64)), 4.0)
    y = a * _horner(_ERF_INNER, a * a)
    far = a > 2.0
    if far.any():
        af = a[far]
        y[far] = 1.0 - np.exp(-af * af) / af * _horner(_ERF_TAIL, 1.0 / af)
    return np.copysign(y, x).astype(x.dtype)


def _np_erfc(x):
    return np.asarray(_erfc_scalar(x.astype(np.float64)), np.float64).astype(x.dtype)


# Giles (2010), "Approximating the erfinv function": relative error < 2e-7 for
# |x| < 1 - 1e-7 (w < 16 below), up to 12% beyond.
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                   0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _np_erfinv(x):
    a = np.abs(x.astype(np.float64).reshape(-1))  # 1-d: masked assignment below
    w = -np.log((1 - a) * (1 + a))
    t = a * np.where(w < 5, np.polyval(_ERFINV_CENTRAL, w - 2.5),
                     np.polyval(_ERFINV_TAIL, np.sqrt(w) - 3))
    t = _erfinv_halley(a, t)  # error 2e-7 -> below an ulp
    far = w > 16
    if far.any():  # 12% -> 4e-4 -> 2e-11 -> an ulp
        for _ in range(2):
            t[far] = _erfinv_halley(a[far], t[far])
    t = np.where(a == 1, np.inf, t)  # a > 1 is already nan (log of a negative)
    return np.copysign(t.reshape(x.shape), x).astype(x.dtype)


def _erfinv_halley(a, t):
    """One Halley step toward erf(t) = a (a, t >= 0): the correct digits triple."""
    slope = 2 / math.sqrt(math.pi) * np.exp(-t * t)  # erf'(t); erf''(t) = -2 t erf'(t)
    step = np.empty_like(t)
    low = a <= 0.5
    f, s, tl = _np_erf(t[low]) - a[low], slope[low], t[low]
    step[low] = f / (s + tl * f)
    # Near 1, solve log(erfc(t)) = log(1 - a) instead: 1 - a is exact there,
    # erfc keeps its relative precision (erf(t) - a would cancel), and the log
    # is nearly linear in t, so even a 12% start converges.
    high = ~low
    c, s, th = _np_erfc(t[high]), slope[high], t[high]
    g = np.log(c) - np.log(1 - a[high])
    step[high] = -2 * g * c / (2 * s - g * (2 * th * c - s))
    return t - step


def _special(xp, name):
    if xp is np:
        return {"erf": _np_erf, "erfc": _np_erfc, "erfinv": _np_erfinv}[name]
    import cupyx.scipy.special
    return getattr(cupyx.scipy.special, name)


# ---- GELU below float64 on NumPy: Phi(x) and its slope in float32 blocks -------

def _fit_phi_polynomials():
    """Polynomials for Phi, the standard normal CDF, fitted once (in float64).

    Central, |x| <= 2 sqrt 2: Phi(x) = 1/2 + x * R(x^2 - 4), R of degree 8
    fitted at Chebyshev nodes of x^2 on [0, 8]; centring the variable keeps
    the float32 Horner sum's terms small, which cuts its rounding error to
    about 2.5 float32 ulps of 0.5 (absolute), the fit's own error far below.
    Tail, |x| > 2 sqrt 2: Phi(-z) = exp(-z^2/2) / z * M(1/z^2), M the
    scaled Mills ratio, of degree 9 on [0, 1/8]: relative error below 2e-9
    in float64 (a thirtieth of a float32 ulp), so the tail keeps its relative
    precision where 1 + erf would cancel.
    """
    poly = np.polynomial.polynomial
    k = np.arange(300)
    t = 4 + 4 * np.cos(np.pi * (k + 0.5) / 300)  # x^2 on [0, 8]
    ratio = [0.5 * math.erf(math.sqrt(v / 2)) / math.sqrt(v) if v else 1 / math.sqrt(2 * math.pi)
             for v in t]
    # Highest power first, for Horner; 0-d float32 arrays, the cheapest operands for a ufunc.
    central = tuple(np.array(c, np.float32) for c in poly.polyfit(t - 4, ratio, 8)[::-1])

    def mills(s):  # Phi(-z) z exp(z^2/2), z = 1/sqrt(s)
        z = 1 / math.sqrt(s)
        if z < 20:
            return 0.5 * math.erfc(z * math.sqrt(0.5)) * z * math.exp(z * z / 2)
        term = total = 1.0  # beyond 20 exp overflows soon; the asymptotic series has converged
        for j in range(1, 12):
            term *= -(2 * j - 1) * s
            total += term
        return total / math.sqrt(2 * math.pi)

    s = (1 + np.cos(np.pi * (k + 0.5) / 300)) / 16  # 1/z^2 on [0, 1/8]
    tail = poly.polyfit(s, [mills(v) for v in s], 9)[::-1].copy()
    return central, tail


_PHI_CENTRAL, _PHI_TAIL = _fit_phi_polynomials()
_PHI_SPLIT = np.float32(8.0)  # x^2 beyond it: the float64 tail
_GELU_BLOCK = 32768  # float32 elements: a block's three 128 KB buffers stay in L2 across ~30 passes
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
# 0-d float32 operands: the cheapest scalars for a ufunc to take, and they keep it in float32.
_F32 = {v: np.array(v, np.float32) for v in (0.5, 4.0, -0.5)}
_SLOPE_SCALE = np.array(math.exp(-2) * _INV_SQRT_2PI, np.float32)  # exp(-(u+4)/2) = e^-2 exp(-u/2)


def _np_gelu(x, want_slope):
    """GELU, x * Phi(x), for float32, float16 and bfloat16 NumPy arrays.

    Returns (out, slope): out of x's dtype, slope = Phi(x) + x phi(x), the
    derivative, in float32 (None unless ``want_slope``). Computed in float32
    in cache-sized blocks, each big array read or written once; elements with
    |x| > 2 sqrt 2 (rare in a network) are redone in float64 from the tail
    form. Within about 2 float32 ulps of |x| of the exact value (the float32
    erf form 0.5 x (1 + erf(x / sqrt 2)) that PyTorch computes is within 4).
    """
    flat = np.ascontiguousarray(x).reshape(-1)
    n = flat.size
    half = flat.dtype != np.float32
    out = np.empty(n, flat.dtype)
    slope = np.empty(n, np.float32) if want_slope else None
    b = max(1, min(n, _GELU_BLOCK))  # (1: an empty array runs no block)
    u, y, a = np.empty(b, np.float32), np.empty(b, np.float32), np.empty(b, np.float32)
    xbuf = np.empty(b, np.float32) if half else None
    coef = _PHI_CENTRAL
    half_, four, minus_half = _F32[0.5], _F32[4.0], _F32[-0.5]
    tails = []
    # Tail elements overflow or give nan in the polynomial; they are replaced below.
    with np.errstate(over="ignore", invalid="ignore"):
        for s in range(0, n, b):
            e = min(s + b, n)
            m = e - s
            ub, yb = u[:m], y[:m]
            if half:
                xb = xbuf[:m]
                np.copyto(xb, flat[s:e], casting="unsafe")
            else:
                xb = flat[s:e]
            np.multiply(xb, xb, out=ub)
            if np.fmax.reduce(ub) > _PHI_SPLIT:  # fmax: nan (which the polynomial keeps) is no tail
                tails.append(np.flatnonzero(ub > _PHI_SPLIT) + s)
            np.subtract(ub, four, out=ub)
            np.multiply(ub, coef[0], out=yb)
            np.add(yb, coef[1], out=yb)
            for c in coef[2:]:
                np.multiply(yb, ub, out=yb)
                np.add(yb, c, out=yb)
            np.multiply(yb, xb, out=yb)
            np.add(yb, half_, out=yb)  # Phi(x)
            if half:
                np.multiply(xb, yb, out=a[:m])
                np.copyto(out[s:e], a[:m], casting="unsafe")
            else:
                np.multiply(xb, yb, out=out[s:e])
            if want_slope:
                ab = a[:m]
                np.multiply(ub, minus_half, out=ab)
                np.exp(ab, out=ab)
                np.multiply(ab, xb, out=ab)
                np.multiply(ab, _SLOPE_SCALE, out=ab)  # x phi(x)
                np.add(ab, yb, out=slope[s:e])
        if tails:
            _gelu_tail(flat, np.concatenate(tails), out, slope)
    shape = np.shape(x)
    return out.reshape(shape), None if slope is None else slope.reshape(shape)


def _gelu_tail(flat, idx, out, slope):
    """Redo ``out`` (and ``slope``) at ``idx``, where |x| > 2 sqrt 2, in float64 from the
    tail form; in chunks, so that wide inputs (a third of normal * 3) stay in cache too."""
    for c in range(0, idx.size, _GELU_BLOCK):
        i = idx[c:c + _GELU_BLOCK]
        x = flat[i].astype(np.float64)
        z2 = x * x  # exact: float32's 24-bit significands square into 48 bits
        e = np.exp(z2 * -0.5)
        s = 1 / z2
        q = s * _PHI_TAIL[0]
        q += _PHI_TAIL[1]
        for c in _PHI_TAIL[2:]:
            q *= s
            q += c
        q *= e
        q /= x  # Phi(-|x|) with x's sign; -0 at -inf, 0 at inf (e = 0)
        cdf = np.greater(x, 0) - q  # 1 - Phi(-x) above 0, Phi(x) below
        out[i] = x * cdf  # -inf * 0: nan, as PyTorch gives
        if slope is not None:
            e *= x
            e *= _INV_SQRT_2PI  # x phi(x)
            e += cdf
            slope[i] = e


# ---- unary math: one table ----------------------------------------------------

def _unary(name, doc, forward, derivative, saves="", quiet=False):
    """A Function ``name``: y = forward(xp, x), dL/dx = derivative(g, x, y).

    ``saves`` says what the derivative reads ("x", "y", "xy"); the other comes
    as None, so the graph keeps no more than needed. ``quiet`` silences
    NumPy's warnings where inf or nan are ordinary results of the op's
    domain or range (log(0), sqrt(-1), exp(100) in float32), as PyTorch is
    silent; it costs under a microsecond, so ops that warn only on infinite
    input (sin(inf)) go without. (Backward runs with warnings off as a whole.)
    Half-precision inputs are computed in float32 and rounded once, as PyTorch does.
    """
    def fwd(ctx, x):
        xp = ctx.xp
        if x.dtype in _HALF:
            x32 = x.astype(np.float32)
            with _quiet() if quiet else nullcontext():
                y = forward(xp, x32).astype(x.dtype)
        elif quiet:
            with _quiet():
                y = forward(xp, x)
        else:
            y = forward(xp, x)
        y = xp.asarray(y)  # ufuncs give scalars for 0-d input; a saved output must be an array
        ctx.save_for_backward(x if "x" in saves else None, y if "y" in saves else None)
        return y

    def bwd(ctx, g):
        x, y = ctx.saved_tensors
        return derivative(g, x, y)

    return type(name, (Function,), {"__doc__": doc, "forward": staticmethod(fwd),
                                    "backward": staticmethod(bwd)})


def _zero_grad(g, x, y):
    return zeros_like(g)  # piecewise constant: zero almost everywhere, as in PyTorch


def _sigmoid(xp, x):
    e = xp.exp(-xp.abs(x))  # <= 1: no overflow for either sign of x
    r = 1 / (1 + e)
    return xp.where(x >= 0, r, e * r)


def _sign(xp, x):
    # (x > 0) - (x < 0), as PyTorch: sign(nan) = 0 and sign(-0.0) = +0.0
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


_LN2, _LN10 = math.log(2), math.log(10)
_ERF_SLOPE = 2 / math.sqrt(math.pi)  # erf'(x) = _ERF_SLOPE * exp(-x^2)

Exp = _unary("Exp", "e ** x.", lambda xp, x: xp.exp(x), lambda g, x, y: g * y, "y", quiet=True)
Exp2 = _unary("Exp2", "2 ** x.", lambda xp, x: xp.exp2(x), lambda g, x, y: g * y * _LN2, "y",
              quiet=True)
Expm1 = _unary("Expm1", "e ** x - 1.", lambda xp, x: xp.expm1(x),
               lambda g, x, y: g * (y + 1), "y", quiet=True)
Log = _unary("Log", "Natural logarithm.", lambda xp, x: xp.log(x), lambda g, x, y: g / x, "x",
             quiet=True)
Log2 = _unary("Log2", "Base-2 logarithm.", lambda xp, x: xp.log2(x),
              lambda g, x, y: g / (x * _LN2), "x", quiet=True)
Log10 = _unary("Log10", "Base-10 logarithm.", lambda xp, x: xp.log10(x),
               lambda g, x, y: g / (x * _LN10), "x", quiet=True)
Log1p = _unary("Log1p", "log(1 + x).", lambda xp, x: xp.log1p(x),
               lambda g, x, y: g / (x + 1), "x", quiet=True)
Sqrt = _unary("Sqrt", "Square root.", lambda xp, x: xp.sqrt(x),
              lambda g, x, y: g / (2 * y), "y", quiet=True)  # inf at 0, as in PyTorch
Rsqrt = _unary("Rsqrt", "1 / sqrt(x).", lambda xp, x: 1 / xp.sqrt(x),
               lambda g, x, y: -0.5 * g * y * y * y, "y", quiet=True)
Reciprocal = _unary("Reciprocal", "1 / x.", lambda xp, x: 1 / x,
                    lambda g, x, y: -g * y * y, "y", quiet=True)
Sin = _unary("Sin", "Sine.", lambda xp, x: xp.sin(x), lambda g, x, y: g * cos(x), "x")
Cos = _unary("Cos", "Cosine.", lambda xp, x: xp.cos(x), lambda g, x, y: -g * sin(x), "x")
Tan = _unary("Tan", "Tangent.", lambda xp, x: xp.tan(x), lambda g, x, y: g * (1 + y * y), "y")
Asin = _unary("Asin", "Inverse sine.", lambda xp, x: xp.arcsin(x),
              lambda g, x, y: g * rsqrt(1 - x * x), "x", quiet=True)
Acos = _unary("Acos", "Inverse cosine.", lambda xp, x: xp.arccos(x),
              lambda g, x, y: -g * rsqrt(1 - x * x), "x", quiet=True)
Atan = _unary("Atan", "Inverse tangent.", lambda xp, x: xp.arctan(x),
              lambda g, x, y: g / (x * x + 1), "x")
Sinh = _unary("Sinh", "Hyperbolic sine.", lambda xp, x: xp.sinh(x),
              lambda g, x, y: g * cosh(x), "x", quiet=True)
Cosh = _unary("Cosh", "Hyperbolic cosine.", lambda xp, x: xp.cosh(x),
              lambda g, x, y: g * sinh(x), "x", quiet=True)
Tanh = _unary("Tanh", "Hyperbolic tangent.", lambda xp, x: xp.tanh(x),
              lambda g, x, y: g * (1 - y * y), "y")
Asinh = _unary("Asinh", "Inverse hyperbolic sine.", lambda xp, x: xp.arcsinh(x),
               lambda g, x, y: g * rsqrt(x * x + 1), "x")
Acosh = _unary("Acosh", "Inverse hyperbolic cosine.", lambda xp, x: xp.arccosh(x),
               lambda g, x, y: g * rsqrt(x * x - 1), "x", quiet=True)
Atanh = _unary("Atanh", "Inverse hyperbolic tangent.", lambda xp, x: xp.arctanh(x),
               lambda g, x, y: g / (1 - x * x), "x", quiet=True)
Sigmoid = _unary("Sigmoid", "1 / (1 + exp(-x)).", _sigmoid, lambda g, x, y: g * y * (1 - y), "y")
Erf = _unary("Erf", "Error function.", lambda xp, x: _special(xp, "erf")(x),
             lambda g, x, y: g * _ERF_SLOPE * exp(-x * x), "x")
Erfc = _unary("Erfc", "1 - erf(x).", lambda xp, x: _special(xp, "erfc")(x),
              lambda g, x, y: -g * _ERF_SLOPE * exp(-x * x), "x")
Erfinv = _unary("Erfinv", "Inverse of erf on (-1, 1).", lambda xp, x: _special(xp, "erfinv")(x),
                lambda g, x, y: g / _ERF_SLOPE * exp(y * y), "y", quiet=True)
Abs = _unary("Abs", "|x|.", lambda xp, x: xp.abs(x), lambda g, x, y: g * sgn(x), "x")
Sign = _unary("Sign", "-1, 0 or 1.", _sign, _zero_grad)
Floor = _unary("Floor", "Round down.", lambda xp, x: xp.floor(x), _zero_grad)
Ceil = _unary("Ceil", "Round up.", lambda xp, x: xp.ceil(x), _zero_grad)
Trunc = _unary("Trunc", "Round toward zero.", lambda xp, x: xp.trunc(x), _zero_grad)
Frac = _unary("Frac", "x - trunc(x).", lambda xp, x: x - xp.trunc(x), lambda g, x, y: g)
Square = _unary("Square", "x * x.", lambda xp, x: x * x, lambda g, x, y: g * 2 * x, "x")
Deg2rad = _unary("Deg2rad", "Degrees to radians.", lambda xp, x: x * (math.pi / 180),
                 lambda g, x, y: g * (math.pi / 180))
Rad2deg = _unary("Rad2deg", "Radians to degrees.", lambda xp, x: x * (180 / math.pi),
                 lambda g, x, y: g * (180 / math.pi))


def exp(input):
    """e ** input, elementwise."""
    return Exp.apply(_floating(input, "exp"))


def exp2(input):
    """2 ** input, elementwise."""
    return Exp2.apply(_floating(input, "exp2"))


def expm1(input):
    """exp(input) - 1, accurate for small input."""
    return Expm1.apply(_floating(input, "expm1"))


def log(input):
    """Natural logarithm (-inf at 0, nan below)."""
    return Log.apply(_floating(input, "log"))


def log2(input):
    """Base-2 logarithm."""
    return Log2.apply(_floating(input, "log2"))


def log10(input):
    """Base-10 logarithm."""
    return Log10.apply(_floating(input, "log10"))


def log1p(input):
    """log(1 + input), accurate for small input."""
    return Log1p.apply(_floating(input, "log1p"))


def sqrt(input):
    """Square root; its gradient at 0 is inf, as in PyTorch."""
    return Sqrt.apply(_floating(input, "sqrt"))


def rsqrt(input):
    """1 / sqrt(input)."""
    return Rsqrt.apply(_floating(input, "rsqrt"))


def reciprocal(input):
    """1 / input."""
    return Reciprocal.apply(_floating(input, "reciprocal"))


def sin(input):
    """Sine (radians)."""
    return Sin.apply(_floating(input, "sin"))


def cos(input):
    """Cosine (radians)."""
    return Cos.apply(_floating(input, "cos"))


def tan(input):
    """Tangent (radians)."""
    return Tan.apply(_floating(input, "tan"))


def asin(input):
    """Inverse sine, in [-pi/2, pi/2]."""
    return Asin.apply(_floating(input, "asin"))


def acos(input):
    """Inverse cosine, in [0, pi]."""
    return Acos.apply(_floating(input, "acos"))


def atan(input):
    """Inverse tangent, in (-pi/2, pi/2)."""
    return Atan.apply(_floating(input, "atan"))


def sinh(input):
    """Hyperbolic sine."""
    return Sinh.apply(_floating(input, "sinh"))


def cosh(input):
    """Hyperbolic cosine."""
    return Cosh.apply(_floating(input, "cosh"))


def tanh(input):
    """Hyperbolic tangent."""
    return Tanh.apply(_floating(input, "tanh"))


def asinh(input):
    """Inverse hyperbolic sine."""
    return Asinh.apply(_floating(input, "asinh"))


def acosh(input):
    """Inverse hyperbolic cosine (input >= 1)."""
    return Acosh.apply(_floating(input, "acosh"))


def atanh(input):
    """Inverse hyperbolic tangent (-1 < input < 1)."""
    return Atanh.apply(_floating(input, "atanh"))


def sigmoid(input):
    """Logistic sigmoid 1 / (1 + exp(-input)), without overflow for large |input|."""
    return Sigmoid.apply(_floating(input, "sigmoid"))


def erf(input):
    """Error function, 2/sqrt(pi) * integral from 0 to input of exp(-t^2) dt."""
    return Erf.apply(_floating(input, "erf"))


def erfc(input):
    """Complementary error function 1 - erf(input), accurate where erf is near 1."""
    return Erfc.apply(_floating(input, "erfc"))


def erfinv(input):
    """Inverse error function: ±inf at ±1, nan outside [-1, 1]."""
    return Erfinv.apply(_floating(input, "erfinv"))


def abs(input):  # noqa: A001 - PyTorch's name
    """|input|; integers keep their dtype; the gradient at 0 is 0."""
    check_tensor(input, "abs")
    if input._array.dtype == np.bool_:
        raise RuntimeError("abs: not supported for bool tensors")
    return Abs.apply(input)


def sign(input):
    """-1, 0 or 1 by the sign of input (0 for nan); keeps the dtype."""
    check_tensor(input, "sign")
    if input._array.dtype == np.bool_:
        return clone(input)
    return Sign.apply(input)


def _rounding(fn, input, op):
    """Floor, ceil, round and trunc: identity on integers, refused on bools."""
    check_tensor(input, op)
    if input._array.dtype == np.bool_:
        raise RuntimeError(f"{op}: not supported for bool tensors")
    return fn.apply(input) if _is_float(input) else clone(input)


def floor(input):
    """The largest integer <= input; integers pass through."""
    return _rounding(Floor, input, "floor")


def ceil(input):
    """The smallest integer >= input; integers pass through."""
    return _rounding(Ceil, input, "ceil")


def trunc(input):
    """input rounded toward zero; integers pass through."""
    return _rounding(Trunc, input, "trunc")


class Round(Function):
    """Round half to even, at ``decimals`` decimal places."""

    @staticmethod
    def forward(ctx, x, decimals):
        if x.dtype in _HALF:  # scale in float32: x * 10**decimals may overflow a half
            return ctx.xp.round(x.astype(np.float32), decimals).astype(x.dtype)
        return ctx.xp.round(x, decimals)

    @staticmethod
    def backward(ctx, g):
        return zeros_like(g), None


def round(input, *, decimals=0):  # noqa: A001 - PyTorch's name
    """input rounded half to even (2.5 -> 2), at ``decimals`` decimal places.

    Integers pass through when ``decimals`` is 0 and are refused otherwise, as in PyTorch.
    """
    check_tensor(input, "round")
    if input._array.dtype == np.bool_:
        raise RuntimeError("round: not supported for bool tensors")
    if not _is_float(input):
        if decimals != 0:
            raise RuntimeError(f"round: decimals={decimals} needs a floating point tensor, "
                               f"got {input.dtype}")
        return clone(input)
    return Round.apply(input, decimals)


def frac(input):
    """input - trunc(input): the fractional part, with input's sign."""
    if not _is_float(check_tensor(input, "frac")):
        raise RuntimeError(f"frac: expected a floating point tensor, got {input.dtype}")
    return Frac.apply(input)


def square(input):
    """input * input; integers stay integers (bool becomes int64)."""
    check_tensor(input, "square")
    if input._array.dtype == np.bool_:
        input = input.to(_dt.int64)
    return Square.apply(input)


def deg2rad(input):
    """Degrees to radians."""
    return Deg2rad.apply(_floating(input, "deg2rad"))


def rad2deg(input):
    """Radians to degrees."""
    return Rad2deg.apply(_floating(input, "rad2deg"))


class Logit(Function):
    """log(x / (1 - x)), with x first clamped to [eps, 1 - eps] when eps is given."""

    @staticmethod
    def forward(ctx, x, eps):
        ctx.eps = eps
        ctx.save_for_backward(x)
        with _quiet():
            z = x if eps is None else ctx.xp.clip(x, eps, 1 - eps)
            return ctx.xp.log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        eps = ctx.eps
        d = g / (x * (1 - x))
        # PyTorch: nan outside [0, 1] without eps; 0 where the clamp is active with it
        if eps is None:
            return where(logical_or(x < 0, x > 1), math.nan, d), None
        return where(logical_or(x < eps, x > 1 - eps), 0.0, d), None


def logit(input, eps=None):
    """log(p / (1 - p)), the inverse of sigmoid; ``eps`` clamps p to [eps, 1 - eps] first."""
    if eps is not None and not 0 <= eps <= 0.5:
        raise ValueError(f"logit: expected eps in [0, 0.5] or None, got {eps}")
    return Logit.apply(_floating(input, "logit"), eps)


class NanToNum(Function):
    """nan, +inf and -inf replaced by finite numbers."""

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        xp = ctx.xp
        ctx.save_for_backward(x)
        finfo = ml_dtypes.finfo(x.dtype)  # NumPy's finfo (and nan_to_num) skip bfloat16
        y = xp.where(xp.isnan(x), nan, x)
        y = xp.where(y == np.inf, finfo.max if posinf is None else posinf, y)
        return xp.where(y == -np.inf, finfo.min if neginf is None else neginf, y).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * isfinite(x), None, None, None


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """input with nan -> ``nan``, inf -> ``posinf``, -inf -> ``neginf``.

    ``posinf``/``neginf`` default to the dtype's largest/smallest finite value;
    integer and bool tensors come back unchanged (a copy).
    """
    if not _is_float(check_tensor(input, "nan_to_num")):
        return clone(input)
    return NanToNum.apply(input, nan, posinf, neginf)


absolute = abs
sgn = sign  # same as sign for real numbers
fix = trunc
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


# ---- binary and ternary math ------------------------------------------------

def _floating_pair(input, other, op):
    """The two operands at their common dtype, integers promoted to the default float."""
    a, b = binary_operands(input, other, op)
    if not _is_float(a):
        a = a.to(_dt.get_default_dtype())
        b = b.to(a.dtype) if isinstance(b, Tensor) else float(b)
    return a, b


class Atan2(Function):
    """The angle of the point (b, a): atan(a / b) in the right quadrant."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        scaled = g / (a * a + b * b)
        return scaled * b, (-scaled * a if ctx.needs_input_grad[1] else None)


class Hypot(Function):
    """sqrt(a^2 + b^2) without overflow."""

    @staticmethod
    def forward(ctx, a, b):
        y = ctx.xp.asarray(ctx.xp.hypot(a, b))
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        return g * a / y, (g * b / y if ctx.needs_input_grad[1] else None)


class Xlogy(Function):
    """a * log(b), defined as 0 where a == 0 (unless b is nan)."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        ctx.save_for_backward(a, b)
        with _quiet():
            return xp.where((a == 0) & ~xp.isnan(b), 0, a * xp.log(b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = gb = None
        if need[0]:  # as PyTorch: g log(b), and 0 where a == 0 and b <= 0
            ga = where(logical_and(a == 0, b <= 0), 0.0, xlogy(g, b))
        if need[1]:
            gb = g * a / b
        return ga, gb


class Xlog1py(Function):
    """a * log1p(b), defined as 0 where a == 0 (unless b is nan)."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        ctx.save_for_backward(a, b)
        with _quiet():
            return xp.where((a == 0) & ~xp.isnan(b), 0, a * xp.log1p(b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = gb = None
        if need[0]:  # as PyTorch: g log1p(b), and 0 where a == 0 and b <= -1
            ga = where(logical_and(a == 0, b <= -1), 0.0, xlog1py(g, b))
        if need[1]:
            gb = g * a / (1 + b)
        return ga, gb


def xlog1py(input, other):
    """input * log1p(other), and 0 where input == 0 (unless other is nan); as
    ``torch.special.xlog1py`` (``ember.special.xlog1py``)."""
    a, b = _floating_pair(input, other, "xlog1py")
    if not isinstance(b, Tensor):
        b = full((), b, dtype=a.dtype, device=a.device)
    return _apply(Xlog1py, "xlog1py", a, b)


def atan2(input, other):
    """The angle of the point (other, input) in radians, in [-pi, pi]; broadcast."""
    return _apply(Atan2, "atan2", *_floating_pair(check_tensor(input, "atan2"), other, "atan2"))


arctan2 = atan2


def hypot(input, other):
    """sqrt(input^2 + other^2), elementwise; floating tensors only, as in PyTorch."""
    a, b = binary_operands(check_tensor(input, "hypot"), other, "hypot")
    if not _is_float(a):
        raise RuntimeError(f"hypot: expected floating point tensors, got {a.dtype}")
    return _apply(Hypot, "hypot", a, b)


def xlogy(input, other):
    """input * log(other), and 0 where input == 0 (unless other is nan)."""
    a, b = _floating_pair(input, other, "xlogy")
    if not isinstance(b, Tensor):  # a 0-d tensor keeps the backward to Tensor ops
        b = full((), b, dtype=a.dtype, device=a.device)
    return _apply(Xlogy, "xlogy", a, b)


class Lerp(Function):
    """a + w (b - a), computed from the nearer end for accuracy (as PyTorch)."""

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        if isinstance(w, (int, float)):
            return a + w * (b - a) if -0.5 < w < 0.5 else b - (b - a) * (1 - w)
        xp = ctx.xp
        return xp.where(xp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))

    @staticmethod
    def backward(ctx, g):
        a, b, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * (1 - w) if need[0] else None, g * w if need[1] else None,
                g * (b - a) if need[2] else None)


def lerp(input, end, weight):
    """input + weight * (end - input); ``weight`` a number or a Tensor; broadcast.

    ``input`` and ``end`` must be floating tensors of one dtype, as in PyTorch.
    """
    check_tensor(input, "lerp")
    check_tensor(end, "lerp", "end")
    weight = _number(weight, "lerp", "weight")
    if not _is_float(input) or end.dtype != input.dtype:
        raise RuntimeError(f"lerp: expected input and end of one floating dtype, got "
                           f"{input.dtype} and {end.dtype}")
    if isinstance(weight, Tensor) and weight.dtype != input.dtype:
        if weight._array.ndim:
            raise RuntimeError(f"lerp: expected weight of dtype {input.dtype}, got {weight.dtype}")
        weight = weight.to(input.dtype)  # a 0-d weight adapts, as in PyTorch
    return _apply(Lerp, "lerp", input, end, weight)


class Addcmul(Function):
    """x + value * t1 * t2."""

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        return x + value * t1 * t2

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        need, v = ctx.needs_input_grad, ctx.value
        return (g, g * (t2 * v) if need[1] else None, g * (t1 * v) if need[2] else None, None)


class Addcdiv(Function):
    """x + value * t1 / t2."""

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        with _quiet():
            return x + value * t1 / t2

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        need, v = ctx.needs_input_grad, ctx.value
        return (g, g * v / t2 if need[1] else None,
                -g * (v * t1 / (t2 * t2)) if need[2] else None, None)


def _addc(fn, op, input, tensor1, tensor2, value):
    for t, name in ((input, "input"), (tensor1, "tensor1"), (tensor2, "tensor2")):
        check_tensor(t, op, name)
    dtype = _result_dtype(input, tensor1, tensor2)
    value = _number(value, op, "value")
    if isinstance(value, Tensor):
        raise TypeError(f"{op}: expected value to be a number, got a Tensor")
    if isinstance(value, float) and not dtype.is_floating_point:
        raise RuntimeError(f"{op}: value must be an integer for {dtype} tensors, got {value!r}")
    args = [t.to(dtype) for t in (input, tensor1, tensor2)]
    return _apply(fn, op, *args, value)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2, broadcast."""
    return _addc(Addcmul, "addcmul", input, tensor1, tensor2, value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2, broadcast; tensor1/tensor2 not both integers."""
    if not (_is_float(check_tensor(tensor1, "addcdiv", "tensor1"))
            or _is_float(check_tensor(tensor2, "addcdiv", "tensor2"))):
        raise RuntimeError(f"addcdiv: integer division is not supported (tensor1 {tensor1.dtype}, "
                           f"tensor2 {tensor2.dtype}); use floating point tensors")
    return _addc(Addcdiv, "addcdiv", input, tensor1, tensor2, value)


# Tensor methods bound from this module (see ember/_tensor_methods.py), and
# the ops that also get an in-place ``name_`` method.
__inplace__ = (
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "sigmoid", "erf",
    "erfc", "erfinv", "abs", "absolute", "sign", "sgn", "floor", "ceil", "round", "trunc", "fix",
    "frac", "square", "deg2rad", "rad2deg", "logit", "nan_to_num", "atan2", "arctan2", "hypot",
    "xlogy", "lerp", "addcmul", "addcdiv") + comparison.__inplace__
__methods__ = __inplace__ + tuple(m for m in comparison.__methods__
                                  if m not in comparison.__inplace__)
