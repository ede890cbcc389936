"""Special functions: lgamma, digamma, polygamma, mvlgamma, i0, sinc (and for
``ember.special`` i1, i0e, i1e, ndtri and entr), and the
floating-point and integer helpers copysign, heaviside, float_power, frexp,
ldexp, nextafter, gcd and lcm.

The gamma-family and Bessel kernels are written on NumPy/CuPy arrays in
``ops/_special_kernels.py`` (no SciPy). They run in float64 and round once to the input's dtype
(PyTorch computes float32 in float32, so Ember's float32 results are the
more accurate by an ulp or so).

- ``lgamma``: for x >= 0.5 the argument is brought down to [1.5, 2.5) by the
  recurrence (or is large enough for Stirling's series, x >= 12); on
  [0.5, 2.5) lgamma(2 + z) is a power series in z with the coefficients
  (-1)^k (zeta(k) - 1) / k, exact in relative terms near the zeros at 1 and 2.
  Below 0.5, the reflection formula, with sin(pi x) reduced exactly first.
- ``digamma``: the recurrence up to x >= 10, then the asymptotic series;
  reflection (pi / tan(pi x), reduced exactly) for negative x.
- ``polygamma(n, x)``, n >= 1: (-1)^(n+1) n! zeta(n + 1, x), the Hurwitz zeta
  summed until x + m >= n + 11 and finished by Euler-Maclaurin; negative x by
  the n-th derivative of the reflection formula, d^n/dx^n cot(pi x) being a
  polynomial in cot(pi x).
- ``i0`` (and its derivative ``i1``): the power series up to |x| = 20, the
  Hankel asymptotic expansion beyond. ``i0e`` and ``i1e`` (e^-|x| I(x)): the
  series times e^-|x|, and beyond 20 Hankel's sum without its e^x factor, so
  they never overflow (within ~2e-15 of PyTorch's float64 up to |x| = 1e4).
- ``ndtri``: erfinv of the exact p - 1/2 near the centre; in the tails
  Newton's method on log Phi(x) = log p from a rational first guess in
  sqrt(-2 log p) (within ~1e-15 of PyTorch's float64 down to p = 1e-300).
- ``entr``: -x log x as a Function, with PyTorch's derivative -(1 + log x).

All constants (Bernoulli numbers, zeta(k) - 1, the cot-derivative
polynomials) are computed once, at import, exactly or to double precision.
Measured against mpmath in float64: polygamma, i0 and i1 within ~5e-15
relative; lgamma and digamma within ~6e-14 relative away from their zeros
and a few 1e-16 absolute near them (PyTorch's trigamma is off by up to 9e-10).

Gradients follow PyTorch: lgamma' = digamma, digamma' = polygamma(1, .),
polygamma(n)' = polygamma(n + 1), i0' = i1, sinc' = (cos(pi x) - sinc(x)) / x
(0 at 0). Every backward is written with these ops, so derivatives of any
order work. Where PyTorch's value at a special point is a rounding artefact,
Ember gives the exact limit instead (see ``polygamma``, ``i0``, ``sinc`` and
``copysign``).
"""

from collections import namedtuple

import numpy as np

from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.ops._special_kernels import (_INF, _LOG_PI, _PI, _SQRT_2PI, _bessel_i, _bessel_ie,
                                        _digamma, _gammainc, _in_float64, _lgamma, _ndtri,
                                        _polygamma, _sinc_derivative, _zeta)
from ember.ops._util import binary_operands, check_tensor, float_operand
from ember.ops.arithmetic import mul, pow as _pow
from ember.ops.comparison import _apply, _is_float, _quiet, where
from ember.ops.creation import full, zeros_like
from ember.ops.inplace import inplace
from ember.ops.elementwise import _floating_pair, exp, exp2, log, sign
from ember.tensor import Tensor

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "copysign", "heaviside",
           "float_power", "frexp", "ldexp", "nextafter", "gcd", "lcm", "igamma", "igammac"]

# torch.special functions without a top-level torch name, kept out of __all__
# for an ``ember.special`` namespace to pick up.
__special__ = ("i1", "i0e", "i1e", "ndtri", "entr", "multigammaln", "zeta", "gammainc",
               "gammaincc")

# ---- Functions ------------------------------------------------------------------------

def _float64_op(name, doc, kernel, derivative, *kernel_args):
    """A Function ``name``: y = ``kernel(x, *kernel_args)`` computed in float64 on the
    host (``_in_float64``), dL/dx = ``derivative(g, x)`` written with Ember ops."""
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _in_float64(ctx.xp, x, kernel, *kernel_args)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return derivative(g, x)

    return type(name, (Function,), {"__doc__": doc, "forward": staticmethod(forward),
                                    "backward": staticmethod(backward)})


def _i1_derivative(g, x):
    zero = x == 0
    # 1/2 at 0 (the limit); the safe divisor keeps the unused branch finite,
    # so that higher derivatives at 0 are not nan.
    return g * where(zero, 0.5, i0(x) - i1(x) / where(zero, 1.0, x))


Lgamma = _float64_op("Lgamma", "log |Gamma(x)|; derivative digamma(x).", _lgamma,
                     lambda g, x: g * digamma(x))
Digamma = _float64_op("Digamma", "psi(x) = Gamma'(x) / Gamma(x); derivative polygamma(1, x).",
                      _digamma, lambda g, x: g * polygamma(1, x))
I0 = _float64_op("I0", "Modified Bessel function of the first kind, order 0; derivative i1(x).",
                 _bessel_i, lambda g, x: g * i1(x), 0)
I1 = _float64_op("I1", "Modified Bessel function of the first kind, order 1; derivative "
                 "i0(x) - i1(x) / x.", _bessel_i, _i1_derivative, 1)


class Polygamma(Function):
    """The n-th derivative of digamma (n >= 1); derivative polygamma(n + 1, x)."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return _in_float64(ctx.xp, x, _polygamma, n)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * polygamma(ctx.n + 1, x), None


class I0e(Function):
    """e^-|x| I_0(x); derivative i1e(x) - sign(x) i0e(x)."""

    @staticmethod
    def forward(ctx, x):
        y = _in_float64(ctx.xp, x, _bessel_ie, 0)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * (i1e(x) - sign(x) * y)


class I1e(Function):
    """e^-|x| I_1(x); derivative i0e(x) - i1e(x) (sign(x) + 1 / x), 1/2 at 0 (the limit)."""

    @staticmethod
    def forward(ctx, x):
        y = _in_float64(ctx.xp, x, _bessel_ie, 1)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        zero = x == 0
        # the safe divisor keeps the unused branch finite (higher derivatives at 0)
        slope = i0e(x) - y * (sign(x) + 1.0 / where(zero, 1.0, x))
        return g * where(zero, 0.5, slope)


class Ndtri(Function):
    """The standard normal quantile; derivative sqrt(2 pi) exp(ndtri(p)^2 / 2)."""

    @staticmethod
    def forward(ctx, p):
        y = _in_float64(ctx.xp, p, _ndtri)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (_SQRT_2PI * exp(y * y / 2.0))


class Entr(Function):
    """-x log x: 0 at 0, -inf below 0 (nan stays nan); derivative -(1 + log x), as
    PyTorch's: inf at 0 and nan below 0."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        ctx.save_for_backward(x)
        xc = x.astype(np.float32) if x.dtype.itemsize < 4 else x  # halves: in float32
        with _quiet():
            rest = xp.where(xc == 0, 0.0, xp.where(xc < 0, -_INF, xc))  # nan stays
            y = xp.where(xc > 0, -xc * xp.log(xc), rest)
        return xp.asarray(y).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * -(1.0 + log(x))


class Sinc(Function):
    """sin(pi x) / (pi x), 1 at 0."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        ctx.save_for_backward(x)
        xc = x.astype(np.float32) if x.dtype.itemsize < 4 else x  # halves: in float32
        with _quiet():
            t = _PI * xc
            y = xp.where(xc == 0, 1.0, xp.sin(t) / t)
        return xp.asarray(y).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * SincDerivative.apply(x)


def _sinc_second_derivative(g, x):
    zero = x == 0
    second = -_PI ** 2 * sinc(x) - 2 * SincDerivative.apply(x) / where(zero, 1.0, x)
    return g * where(zero, -_PI ** 2 / 3, second)


SincDerivative = _float64_op(
    "SincDerivative", "sinc'(x) = (cos(pi x) - sinc(x)) / x, 0 at 0; its derivative "
    "sinc''(x) = -pi^2 sinc(x) - 2 sinc'(x) / x, -pi^2 / 3 at 0.", _sinc_derivative,
    _sinc_second_derivative)


class Copysign(Function):
    """|a| with the sign of b; d/da = result / a (0 at a = 0), d/db = 0, as PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.copysign(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        ga = gb = None
        if ctx.needs_input_grad[0]:
            aa = a._array
            bb = b._array if isinstance(b, Tensor) else b
            with _quiet():  # +-1, piecewise constant: its own derivative is 0
                ratio = xp.where(aa == 0, 0, xp.copysign(aa, bb) / aa).astype(aa.dtype)
            ga = g * Tensor._wrap(xp.asarray(ratio), False, None, 0)
        if ctx.needs_input_grad[1]:
            gb = zeros_like(g)
        return ga, gb


class Heaviside(Function):
    """0 below 0, 1 above, ``values`` at 0 (nan gives 0, as PyTorch); not differentiable."""

    @staticmethod
    def forward(ctx, x, values):
        xp = ctx.xp
        return xp.where(x == 0, values, (x > 0).astype(x.dtype)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("heaviside: the derivative for 'heaviside' is not implemented "
                           "(as in PyTorch)")


class Frexp(Function):
    """(mantissa, exponent) with x = mantissa * 2^exponent, |mantissa| in [0.5, 1)."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        if x.dtype == np.float16 or x.dtype == np.float32 or x.dtype == np.float64:
            m, e = xp.frexp(x)
        else:  # bfloat16: exact through float32
            m, e = xp.frexp(x.astype(np.float32))
            m = m.astype(x.dtype)
        e = xp.asarray(e).astype(np.int32, copy=False)
        m = xp.asarray(m)
        ctx.mark_non_differentiable(e)
        ctx.save_for_backward(e.copy())  # a constant in backward, not the output
        return m, e

    @staticmethod
    def backward(ctx, g_mantissa, g_exponent):
        (e,) = ctx.saved_tensors
        return ldexp(g_mantissa, -e)  # d mantissa / dx = 2^-exponent


class Ldexp(Function):
    """a * 2^b for an integer tensor b, exact (no 2^b is formed); b cast to int32 as PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        ctx.save_for_backward(b)
        b32 = b.astype(np.int32)
        if a.dtype.itemsize < 4:  # halves: exact through float32, rounded once
            return xp.ldexp(a.astype(np.float32), b32).astype(a.dtype)
        return xp.asarray(xp.ldexp(a, b32))

    @staticmethod
    def backward(ctx, g):
        (b,) = ctx.saved_tensors
        return ldexp(g, b), None


class Zeta(Function):
    """The Hurwitz zeta function zeta(x, q); differentiable in q only (as PyTorch):
    d/dq zeta(x, q) = -x zeta(x + 1, q)."""

    @staticmethod
    def forward(ctx, x, q):
        ctx.save_for_backward(x, q)
        with _quiet():
            out = _zeta(ctx.xp, x, q)
        return ctx.xp.asarray(out).astype(np.result_type(x, q), copy=False)

    @staticmethod
    def backward(ctx, g):
        x, q = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("zeta: the derivative with respect to input (x) is not "
                                      "implemented (as in PyTorch)")
        return None, g * -x * zeta(x + 1, q)


class IncompleteGamma(Function):
    """The regularized incomplete gamma function P(a, x), or Q(a, x) with
    ``upper``; differentiable in x only (as PyTorch): dP/dx = x^(a-1) e^-x / Gamma(a)."""

    @staticmethod
    def forward(ctx, a, x, upper):
        ctx.save_for_backward(a, x)
        ctx.upper = upper
        with _quiet():
            out = _gammainc(ctx.xp, a, x, upper)
        return ctx.xp.asarray(out).astype(np.result_type(a, x), copy=False)

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        name = "gammaincc" if ctx.upper else "gammainc"
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(f"{name}: the derivative with respect to input (a) is "
                                      f"not implemented (as in PyTorch)")
        density = exp((a - 1) * log(x) - x - lgamma(a))
        return None, (-g if ctx.upper else g) * density, None


class Nextafter(Function):
    """The next representable value after a toward b; gradient 1 for a, 0 for b (as PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        return ctx.xp.asarray(ctx.xp.nextafter(a, b))

    @staticmethod
    def backward(ctx, g):
        return g, (zeros_like(g) if ctx.needs_input_grad[1] else None)


class Gcd(Function):
    """Greatest common divisor of integers (nonnegative except for the most negative value)."""

    @staticmethod
    def forward(ctx, a, b):
        return ctx.xp.asarray(ctx.xp.gcd(a, b))


class Lcm(Function):
    """Least common multiple of integers; |a / gcd * b| in wrapping arithmetic, as PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        with _quiet():
            return xp.asarray(xp.abs(xp.lcm(a, b)))


# ---- public functions -----------------------------------------------------------------

def _floating(input, op):
    """``input`` checked to be a Tensor, integers and bools promoted to the default float."""
    return float_operand(check_tensor(input, op))


def _int_arg(value, op, name):
    """A Python or NumPy integer argument (not a bool), as PyTorch's int parameters."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: expected {name} to be an int, got {type(value).__name__}")
    return int(value)


def _int_scalar_tensor(t):
    """Whether ``t`` is a 0-d integer (not bool) Tensor, which PyTorch takes as an int."""
    return isinstance(t, Tensor) and t._array.ndim == 0 and t._array.dtype.kind in "iu"


def lgamma(input):
    """log |Gamma(input)|, elementwise; inf at 0 and the negative integers.

    Integers and bools are promoted to the default float. The gradient is
    ``digamma(input)``.
    """
    return Lgamma.apply(_floating(input, "lgamma"))


def digamma(input):
    """The digamma function psi(input) = d/dx lgamma(x), elementwise.

    As PyTorch: -inf at +0, inf at -0, nan at the negative integers and -inf.
    The gradient is ``polygamma(1, input)``. Integers are promoted to the default float.
    """
    return Digamma.apply(_floating(input, "digamma"))


def polygamma(n, input):
    """The n-th derivative of digamma at ``input``, elementwise (n = 0 is digamma).

    ``n`` must be a nonnegative int. The gradient is ``polygamma(n + 1, input)``.
    At 0 and the negative integers (poles) the result is (-1)^(n+1) inf, at
    -inf as PyTorch (nan for n = 1, (-1)^(n+1) inf above) and 0 at +inf.
    PyTorch differs at two points: polygamma(1, x) at a negative integer is a
    large finite number there (~1e32, from sin(pi x) rounding) where Ember
    gives inf, and polygamma(n >= 2, inf) is nan there where Ember gives 0.
    For n > 170, n! overflows and so do the results (±inf, or nan for x < 0).

    ``n`` may also be a 0-d integer Tensor, as PyTorch accepts
    (``polygamma(torch.tensor(1), x)``).

    The Tensor method ``x.polygamma(n)`` (and ``x.polygamma_(n)``) reaches this
    function as ``polygamma(x, n)``: a Tensor first and an int (or a 0-d
    integer Tensor) second are taken in that order. With two 0-d integer
    Tensors the call is read as ``polygamma(n, x)``; PyTorch's method form
    ``x.polygamma(n)`` there means the other order.
    """
    if isinstance(n, Tensor) and (not isinstance(input, Tensor)
                                  or (not _int_scalar_tensor(n) and _int_scalar_tensor(input))):
        n, input = input, n  # the Tensor method
    if _int_scalar_tensor(n):
        n = n.item()
    n = _int_arg(n, "polygamma", "n")
    if n < 0:
        raise RuntimeError(f"polygamma: expected n >= 0, got {n} (polygamma(n, x) does not "
                           "support negative n)")
    x = _floating(input, "polygamma")
    if n == 0:
        return Digamma.apply(x)
    return Polygamma.apply(x, n)


def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension ``p``, elementwise:

    sum_{i=0}^{p-1} lgamma(input - i/2) + p (p - 1) / 4 * log(pi).

    ``p`` must be an int >= 1; bool tensors are refused and integers promoted
    to the default float, as PyTorch. Like PyTorch 2.x, the domain
    input > (p - 1) / 2 is not checked: outside it the sum is taken as is.
    """
    check_tensor(input, "mvlgamma")
    p = _int_arg(p, "mvlgamma", "p")
    if p < 1:
        raise RuntimeError(f"mvlgamma: expected p >= 1, got {p} (p has to be greater than or "
                           "equal to 1)")
    if input._array.dtype == np.bool_:
        raise RuntimeError("mvlgamma: expected a non-boolean tensor, got bool (the input "
                           "tensor may not be a boolean tensor)")
    x = float_operand(input)
    out = lgamma(x)
    for i in range(1, p):
        out = out + lgamma(x - 0.5 * i)
    return out + p * (p - 1) / 4 * _LOG_PI


multigammaln = mvlgamma  # torch.special.multigammaln(input, p)


def i0(input):
    """The modified Bessel function of the first kind of order 0, elementwise.

    Integers are promoted to the default float; the gradient is i1(input).
    I0 overflows float64 at |x| ~ 713.99; PyTorch, which forms e^x, gives inf
    from |x| ~ 709.78 on.
    """
    return I0.apply(_floating(input, "i0"))


def i1(input):
    """The modified Bessel function of the first kind of order 1 (torch.special.i1).

    Odd in input; the gradient is i0(input) - i1(input) / input (1/2 at 0).
    """
    return I1.apply(_floating(input, "i1"))


def i0e(input):
    """The exponentially scaled Bessel function e^-|x| I_0(x) (torch.special.i0e).

    Computed without forming e^|x|, so finite (and 0 at +-inf) everywhere.
    Integers and bools are promoted to the default float. The gradient is
    i1e(input) - sign(input) i0e(input).
    """
    return I0e.apply(_floating(input, "i0e"))


def i1e(input):
    """The exponentially scaled Bessel function e^-|x| I_1(x) (torch.special.i1e).

    Odd, finite everywhere (0 at +-inf). Integers and bools are promoted to
    the default float. The gradient is i0e(x) - i1e(x) (sign(x) + 1 / x),
    1/2 at 0.
    """
    return I1e.apply(_floating(input, "i1e"))


def ndtri(input):
    """The standard normal quantile function (torch.special.ndtri): the x with
    P(Z <= x) = input.

    Computed in float64 and rounded once: near 1/2 from erfinv of the exact
    p - 1/2, in the tails by Newton's method on log P(Z <= x) = log p (on 1 - p,
    exact there, for the upper tail), so that relative precision holds down to
    the smallest subnormal p. -inf at 0, inf at 1, nan outside [0, 1].
    Integers and bools are promoted to the default float. The gradient is
    sqrt(2 pi) exp(ndtri(p)^2 / 2).
    """
    return Ndtri.apply(_floating(input, "ndtri"))


def entr(input):
    """The elementwise entropy -x log x (torch.special.entr): 0 at 0, -inf below 0.

    Integers and bools are promoted to the default float. The gradient is
    -(1 + log x), as PyTorch's: inf at 0, nan below 0.
    """
    return Entr.apply(_floating(input, "entr"))


def sinc(input):
    """The normalized sinc, sin(pi x) / (pi x), with sinc(0) = 1, elementwise.

    Computed in the input's dtype as PyTorch (so at nonzero integers it is a
    rounding-sized value, not exactly 0). The gradient is
    (cos(pi x) - sinc(x)) / x, 0 at x = 0; its second derivative at 0 is the
    exact -pi^2 / 3 (PyTorch gives nan there).
    """
    return Sinc.apply(_floating(input, "sinc"))


def copysign(input, other):
    """|input| with the sign of ``other`` (a Tensor or a number), broadcast.

    Integers and bools are promoted to the default float. The gradient for
    input is +-1 (0 where input is 0), for other 0, as PyTorch; Ember's second
    derivative is 0 everywhere (PyTorch's is nan where input is 0).
    """
    check_tensor(input, "copysign")
    if not isinstance(other, (Tensor, bool, int, float, np.generic)):
        raise TypeError(f"copysign: expected other to be a Tensor or a number, got "
                        f"{type(other).__name__}")
    a, b = _floating_pair(input, other, "copysign")
    return _apply(Copysign, "copysign", a, b)


def heaviside(input, values):
    """The Heaviside step: 0 where input < 0, 1 where input > 0, ``values`` where
    input == 0 (broadcast). nan gives 0, as PyTorch.

    ``values`` must be a Tensor of input's dtype. Not differentiable: a backward
    through it raises, as in PyTorch.
    """
    check_tensor(input, "heaviside")
    check_tensor(values, "heaviside", "values")
    if input._array.dtype != values._array.dtype:
        raise RuntimeError(f"heaviside: expected input and values of the same dtype, got "
                           f"{input.dtype} and {values.dtype} (heaviside is not yet "
                           "implemented for tensors with different dtypes)")
    return _apply(Heaviside, "heaviside", input, values)


def float_power(input, exponent):
    """input ** exponent computed in double precision: the result is float64.

    Either argument may be a Python number (not both). Differentiable as
    ``pow`` in float64; gradients come back in each input's own dtype.
    """
    f64 = _dt.float64
    if not isinstance(input, Tensor):
        if not isinstance(exponent, Tensor):
            raise TypeError(f"float_power: expected input or exponent to be a Tensor, got "
                            f"{type(input).__name__} and {type(exponent).__name__}")
        if not isinstance(input, (bool, int, float, np.generic)):
            raise TypeError(f"float_power: expected input to be a Tensor or a number, got "
                            f"{type(input).__name__}")
        base = full((), float(input), dtype=f64, device=exponent.device)
        return _pow(base, exponent.to(f64))
    if isinstance(exponent, Tensor):
        return _apply_pow(input.to(f64), exponent.to(f64))
    if isinstance(exponent, np.generic):
        exponent = exponent.item()
    if not isinstance(exponent, (bool, int, float)):
        raise TypeError(f"float_power: expected exponent to be a Tensor or a number, got "
                        f"{type(exponent).__name__}")
    return _pow(input.to(f64), float(exponent))


def float_power_(input, exponent):
    """In-place :func:`float_power` (the Tensor method ``x.float_power_(exponent)``).

    The result is float64, so, as in PyTorch, ``input`` must be float64
    already: other dtypes raise rather than round the result into them.
    """
    check_tensor(input, "float_power_")
    if input._array.dtype != np.float64:
        raise RuntimeError(f"float_power_: expected input of dtype float64, got {input.dtype} "
                           f"(the base given to float_power_ has dtype {input.dtype} but the "
                           "operation's result requires dtype float64)")
    return inplace(input, float_power, "float_power_", exponent)


def _apply_pow(a, b):
    try:
        return _pow(a, b)
    except RuntimeError as e:
        raise RuntimeError(str(e).replace("pow:", "float_power:", 1)) from None


FrexpResult = namedtuple("frexp", ["mantissa", "exponent"])


def frexp(input):
    """Split input into (mantissa, exponent) with input = mantissa * 2 ** exponent.

    |mantissa| is in [0.5, 1) (0, inf and nan pass through with exponent 0);
    exponent is int32. Floating tensors only. The mantissa is differentiable
    (d mantissa / d input = 2 ** -exponent), as in PyTorch. Returns a named
    tuple (mantissa, exponent).
    """
    check_tensor(input, "frexp")
    if not _is_float(input):
        raise RuntimeError(f"frexp: expected a floating point tensor, got {input.dtype} "
                           "(torch.frexp() only supports floating-point dtypes)")
    return FrexpResult(*Frexp.apply(input))


def ldexp(input, other):
    """input * 2 ** other, broadcast; ``other`` a Tensor.

    With an integer ``other`` the scaling is exact (no 2 ** other is formed,
    so ldexp(1e-300, 1100) is finite; ``other`` is taken as int32 as PyTorch);
    with a floating ``other`` it is input * exp2(other), differentiable in
    both. Integers are promoted to the default float. The gradient for input
    is 2 ** other also for negative integer ``other``, where PyTorch's (formed
    as an integer power) is 0.
    """
    check_tensor(input, "ldexp")
    check_tensor(other, "ldexp", "other")
    kind = other._array.dtype.kind
    if kind == "b":
        raise NotImplementedError("ldexp: expected other of an integer or floating point dtype, "
                                  "got bool")
    if kind in "iu":
        return _apply(Ldexp, "ldexp", float_operand(input), other)
    a, b = _floating_pair(input, other, "ldexp")
    return mul(a, exp2(b))


def _float_pair(input, other, op):
    check_tensor(input, op)
    check_tensor(other, op, "other")
    a, b = binary_operands(input, other, op)
    if not _is_float(a):
        raise NotImplementedError(f"{op}: expected floating point tensors, got {a.dtype}")
    return a, b


def zeta(input, other):
    """The Hurwitz zeta function sum_k (other + k)^-input, broadcast, as
    ``torch.special.zeta`` (Cephes' domain: inf at input == 1 and at
    non-positive integer ``other``, nan for input < 1 and for negative
    ``other`` unless input is an integer). Integers promote to the default
    float; differentiable in ``other`` only."""
    a, b = binary_operands(input, other, "zeta")
    if not _is_float(a):
        a, b = a.to(_dt.get_default_dtype()), b.to(_dt.get_default_dtype())
    return _apply(Zeta, "zeta", a, b)


def igamma(input, other):
    """The regularized lower incomplete gamma function P(input, other), as
    ``torch.igamma`` / ``torch.special.gammainc``: floating tensors only;
    differentiable in ``other`` only. Accurate to ~1e-15 for input up to ~1e3
    (series and continued fraction, 600 terms)."""
    return _apply(IncompleteGamma, "igamma", *_float_pair(input, other, "igamma"), False)


def igammac(input, other):
    """The regularized upper incomplete gamma function Q = 1 - P, as
    ``torch.igammac`` / ``torch.special.gammaincc``."""
    return _apply(IncompleteGamma, "igammac", *_float_pair(input, other, "igammac"), True)


gammainc, gammaincc = igamma, igammac


def nextafter(input, other):
    """The next floating-point value after ``input`` toward ``other``, broadcast.

    Floating tensors only (the two promoted to a common dtype). The gradient
    passes to input unchanged; other's is 0, as in PyTorch.
    """
    return _apply(Nextafter, "nextafter", *_float_pair(input, other, "nextafter"))


def _int_pair(input, other, op):
    check_tensor(input, op)
    check_tensor(other, op, "other")
    a, b = binary_operands(input, other, op)
    if a._array.dtype.kind not in "iu":
        raise NotImplementedError(f"{op}: expected integer tensors, got {a.dtype}")
    return a, b


def gcd(input, other):
    """The greatest common divisor of integer tensors, elementwise and broadcast.

    gcd(0, 0) = 0; the result is nonnegative (except for the dtype's most
    negative value, as in PyTorch).
    """
    return _apply(Gcd, "gcd", *_int_pair(input, other, "gcd"))


def lcm(input, other):
    """The least common multiple of integer tensors, elementwise and broadcast.

    lcm(a, 0) = 0; the result is nonnegative, wrapping on overflow as PyTorch.
    """
    return _apply(Lcm, "lcm", *_int_pair(input, other, "lcm"))


# Tensor methods bound from this module (see ember/_tensor_methods.py), and the
# ops that also get the generic in-place ``name_`` method (torch.Tensor has no
# frexp_). float_power_ is a method of its own (it refuses non-float64 tensors
# rather than rounding into them), bound as it is.
__methods__ = ("lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "copysign",
               "heaviside", "float_power", "float_power_", "frexp", "ldexp", "nextafter", "gcd",
               "lcm", "igamma", "igammac")
__inplace__ = ("lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "copysign",
               "heaviside", "ldexp", "nextafter", "gcd", "lcm", "igamma", "igammac")
