"""Bessel functions of the first and second kind (J0, J1, Y0, Y1), the
modified ones of the second kind (K0, K1, plain and scaled by e^x), the Airy
function Ai and the spherical Bessel function j0, on float64 NumPy/CuPy
arrays, without SciPy. No autograd here: ``ops/bessel_fns.py`` wraps them.

Each function is split by the size of its argument:

- small (x <= 2 for J and Y, x <= 1 for K): the power series (for Y and K
  with their log terms); no cancellation worth a digit.
- moderate (up to x = 25; for Ai's K_{1/3} from x = 2/3): J and Y from Miller's backward recurrence
  J_{k-1} = (2k / x) J_k - J_{k+1}, started at order 60 (J_60(25) ~ 6e-18)
  and normalized by 1 = J_0 + 2 sum J_2k, Y from the Neumann series in those
  J's; e^x K_v(x) = int_0^inf exp(-2x sinh(t/2)^2) cosh(v t) dt by the
  trapezoidal rule with step 1/10, which for this integrand (analytic and
  decaying in the strip |Im t| < pi/2) converges geometrically: the error is
  far below an ulp, and every term is positive.
- large (x > 25): Hankel's asymptotic expansions, whose terms keep falling
  to ~exp(-2x) < 2e-22 before they grow. The phases x - pi/4 and x - 3pi/4
  are never formed: cos(x - pi/4) = (cos x + sin x) / sqrt 2 with the
  libm's exact argument reduction, so J and Y stay accurate for any x (a
  formed x - pi/4 carries an absolute error of x * 1e-16).

Ai(x): its Maclaurin series on [-2.5, 1]; above, (1/pi) sqrt(x/3)
K_{1/3}(zeta) with zeta = (2/3) x^(3/2); below, (sqrt|x| / 3)
(J_{1/3}(zeta) + J_{-1/3}(zeta)) from Miller's recurrence in fractional
order up to zeta = 25 and from Hankel's expansion beyond, with zeta carried
as a double-double so that the phase stays right (to ~1e-17) up to
|x| ~ 1e10, where zeta ~ 7e14 and its float64 ulp is 0.125.
"""

import math
from fractions import Fraction

from ember.ops._special_kernels import _EULER, _INF, _NAN, _PI, _bessel_series

_SERIES_END = 2.0  # power series of J and Y up to here
_K_SERIES_END = 1.0  # and of K (at 2 its log term would cancel a digit)
_ASYMPTOTIC_FROM = 25.0  # Hankel's expansions from here on
_MILLER_START = 60  # order where the backward recurrence starts (even)
_HANKEL_TERMS = 40  # at x = 25 the 40th term is ~1e-20 of the first
_SQRT2 = math.sqrt(2.0)
_LOG2 = math.log(2.0)
_TWO_OVER_PI = 2.0 / _PI
_AI0 = 0.35502805388781723926  # Ai(0) = 3^(-2/3) / Gamma(2/3)
_AIP0 = 0.25881940379280679840  # -Ai'(0) = 3^(-1/3) / Gamma(1/3)


# ---- power series (x <= 2) ---------------------------------------------------------------

def _j_series(xp, x, order):
    """J_0 or J_1 by sum_k (-x^2/4)^k / (k! (k + order)!) (times x/2 for order 1)."""
    t = -x * x / 4
    term = xp.ones_like(x)
    total = xp.ones_like(x)
    for k in range(1, 20):
        term = term * (t / (k * (k + order)))
        total = total + term
    return total if order == 0 else total * (x / 2)


def _digamma_sums(xp, t, order):
    """The sums the series of Y and K share, in t = -x^2/4 (Y) or x^2/4 (K):
    order 0: sum_{k>=1} H_k t^k / k!^2; order 1: sum_{k>=0} (psi(k+1) + psi(k+2))
    t^k / (k! (k+1)!)."""
    term = xp.ones_like(t)
    if order == 0:
        total, harmonic = xp.zeros_like(t), 0.0
        for k in range(1, 20):
            harmonic += 1.0 / k
            term = term * (t / (k * k))
            total = total + harmonic * term
        return total
    psi_sum = 1.0 - 2 * _EULER  # psi(1) + psi(2)
    total = psi_sum * term
    for k in range(1, 20):
        psi_sum += 1.0 / k + 1.0 / (k + 1)
        term = term * (t / (k * (k + 1)))
        total = total + psi_sum * term
    return total


def _y_series(xp, x, order):
    """Y_0 or Y_1 for 0 < x <= 2 (Abramowitz & Stegun 9.1.13, 9.1.11):
    Y0 = (2/pi) (log(x/2) + gamma) J0 - (2/pi) sum_k H_k (-x^2/4)^k / k!^2,
    Y1 = -2 / (pi x) + (2/pi) log(x/2) J1
         - (x / 2pi) sum_k (psi(k+1) + psi(k+2)) (-x^2/4)^k / (k! (k+1)!)."""
    total = _digamma_sums(xp, -x * x / 4, order)
    log_half = xp.log(x) - _LOG2  # not log(x / 2): x / 2 underflows for subnormal x
    if order == 0:
        return _TWO_OVER_PI * ((log_half + _EULER) * _j_series(xp, x, 0) - total)
    return (-_TWO_OVER_PI / x + _TWO_OVER_PI * log_half * _j_series(xp, x, 1)
            - x / (2 * _PI) * total)


def _k_series(xp, x, order):
    """K_0 or K_1 for 0 < x <= 2 (Abramowitz & Stegun 9.6.13, 9.6.11):
    K0 = -(log(x/2) + gamma) I0 + sum_k H_k (x^2/4)^k / k!^2,
    K1 = 1/x + log(x/2) I1 - (x/4) sum_k (psi(k+1) + psi(k+2)) (x^2/4)^k / (k! (k+1)!)."""
    total = _digamma_sums(xp, x * x / 4, order)
    log_half = xp.log(x) - _LOG2  # not log(x / 2): x / 2 underflows for subnormal x
    if order == 0:
        return total - (log_half + _EULER) * _bessel_series(xp, x, 0)
    return 1 / x + log_half * _bessel_series(xp, x, 1) - x / 4 * total


# ---- moderate arguments ----------------------------------------------------------------

def _miller(xp, x, nu, tables):
    """Miller's backward recurrence b_{k-1} = (2 (nu + k) / x) b_k - b_{k+1} from
    k = _MILLER_START down to 0: b_k is proportional to J_{nu+k}(x).

    Returns b_0, b_1 and, for each table of weights w (indexed by k), the sum
    of w[k] b_k. Started at 1e-300, the values grow by less than 1e82 over the
    recurrence for x >= 2 (the ratio J_nu(x) / J_{nu+60}(x)), so they need no
    rescaling.
    """
    b_next = xp.zeros_like(x)
    b = xp.full_like(x, 1e-300)
    sums = [xp.zeros_like(x) for _ in tables]
    b1 = None
    for k in range(_MILLER_START, 0, -1):
        for i, w in enumerate(tables):
            if w[k]:
                sums[i] = sums[i] + w[k] * b
        if k == 1:
            b1 = b
        b, b_next = (2 * (nu + k) / x) * b - b_next, b
    for i, w in enumerate(tables):
        sums[i] = sums[i] + w[0] * b
    return b, b1, sums


def _integer_order_weights():
    """Weights for J0 and J1 and the Neumann series of Y0 and Y1 (indexed by the order k):
    the normalization 1 = J0 + 2 sum_m J_2m, sum_m (-1)^m J_2m / m and
    sum_m (-1)^(m+1) (2m + 1) / (m (m + 1)) J_{2m+1}, m >= 1."""
    size = _MILLER_START + 1
    norm = [0.0] * size
    even = [0.0] * size
    odd = [0.0] * size
    norm[0] = 1.0
    for m in range(1, _MILLER_START // 2 + 1):
        norm[2 * m] = 2.0
        even[2 * m] = (-1) ** m / m
        if 2 * m + 1 < size:
            odd[2 * m + 1] = (-1) ** (m + 1) * (2 * m + 1) / (m * (m + 1))
    return tuple(norm), tuple(even), tuple(odd)


_JY_WEIGHTS = _integer_order_weights()


def _jy_moderate(xp, x):
    """J0, J1, Y0, Y1 for 2 <= x <= 25, from one backward recurrence (Y by the
    Neumann series, Abramowitz & Stegun 9.1.88 and its derivative):
    Y0 = (2/pi) ((log(x/2) + gamma) J0 - 2 sum_m (-1)^m J_2m / m),
    Y1 = (2/pi) (-J0 / x + (log(x/2) + gamma - 1) J1
                 + sum_m (-1)^(m+1) (2m + 1) / (m (m + 1)) J_{2m+1})."""
    b0, b1, (norm, s0, s1) = _miller(xp, x, 0, _JY_WEIGHTS)
    j0, j1 = b0 / norm, b1 / norm
    log_term = xp.log(x / 2) + _EULER
    y0 = _TWO_OVER_PI * (log_term * j0 - 2 * s0 / norm)
    y1 = _TWO_OVER_PI * (-j0 / x + (log_term - 1) * j1 + s1 / norm)
    return j0, j1, y0, y1


# Trapezoidal nodes for e^x K_v(x) = int_0^inf exp(-2x sinh(t/2)^2) cosh(v t) dt: at
# x >= 2/3 (zeta for Ai at x = 1) the integrand is below 1e-19 of its peak past t = 5.5.
_STEP = 0.1
_NODES = tuple(j * _STEP for j in range(56))


def _k_scaled_integral(xp, x, nu):
    """e^x K_nu(x) for 2/3 <= x <= 25 by the trapezoidal rule (_NODES, _STEP)."""
    total = xp.zeros_like(x)
    for t in reversed(_NODES):  # smallest terms first
        weight = _STEP / 2 if t == 0 else _STEP
        total = total + (weight * math.cosh(nu * t)) * xp.exp(-2 * x * math.sinh(t / 2) ** 2)
    return total


# ---- large arguments -------------------------------------------------------------------

def _hankel(xp, x, nu):
    """Hankel's sums for order nu at x >= 25: the terms a_k / x^k with
    a_k = prod_{j<=k} (4 nu^2 - (2j - 1)^2) / (8 j). Returns (P, Q) (the even
    terms and the odd ones, signs alternating within each: J and Y) and
    S = sum a_k / x^k (K)."""
    mu = 4 * nu * nu
    term = xp.ones_like(x)
    p, q, s = xp.ones_like(x), xp.zeros_like(x), xp.ones_like(x)
    for k in range(1, _HANKEL_TERMS + 1):
        term = term * ((mu - (2 * k - 1) ** 2) / (8 * k) / x)
        s = s + term
        sign = -1.0 if (k // 2) % 2 else 1.0  # (-1)^(k//2): P's and Q's alternation
        if k % 2:
            q = q + sign * term
        else:
            p = p + sign * term
    return p, q, s


def _jy_large(xp, x, order):
    """J_order and Y_order for x >= 25: sqrt(2 / (pi x)) (P cos chi - Q sin chi)
    and (P sin chi + Q cos chi), chi = x - pi/4 (order 0) or x - 3 pi/4 (order 1)."""
    p, q, _ = _hankel(xp, x, order)
    c, s = xp.cos(x), xp.sin(x)
    if order == 0:
        cos_chi, sin_chi = (c + s) / _SQRT2, (s - c) / _SQRT2
    else:
        cos_chi, sin_chi = (s - c) / _SQRT2, -(s + c) / _SQRT2
    amplitude = xp.sqrt(_TWO_OVER_PI / x)
    return amplitude * (p * cos_chi - q * sin_chi), amplitude * (p * sin_chi + q * cos_chi)


# ---- J, Y, K ---------------------------------------------------------------------------

def _split(xp, a, series_end):
    """The masks of the small and large regions and ``a`` clipped into each
    region (so that no region sees an argument it cannot take)."""
    small = a <= series_end
    large = a > _ASYMPTOTIC_FROM
    return (small, large, xp.where(small, a, 1.0),
            xp.clip(a, series_end, _ASYMPTOTIC_FROM), xp.maximum(a, _ASYMPTOTIC_FROM))


def _bessel_jy(xp, x, order, kind):
    """J_order(x) (``kind`` "j") or Y_order(x) (``kind`` "y"), order 0 or 1.

    J0 is even and J1 odd (J1(-0.0) = -0.0); Y is nan below 0 and -inf at 0.
    As PyTorch, nan at +-inf.
    """
    a = xp.abs(x)
    small, large, a_small, a_mid, a_large = _split(xp, a, _SERIES_END)
    moderate = _jy_moderate(xp, a_mid)
    j_large, y_large = _jy_large(xp, a_large, order)
    if kind == "j":
        mid, far, near = moderate[order], j_large, _j_series(xp, a_small, order)
    else:
        mid, far, near = moderate[2 + order], y_large, _y_series(xp, a_small, order)
    out = xp.where(small, near, xp.where(large, far, mid))
    out = xp.where(xp.isinf(x), _NAN, out)
    if kind == "j":
        return xp.where(xp.signbit(x), -out, out) if order == 1 else out
    out = xp.where(x == 0, -_INF, out)
    return xp.where(x < 0, _NAN, out)


def _bessel_k(xp, x, order, scaled):
    """K_order(x), or e^x K_order(x) when ``scaled``: inf at 0, nan below 0, 0 at inf."""
    small, large, a_small, a_mid, a_large = _split(xp, x, _K_SERIES_END)
    _, _, s = _hankel(xp, a_large, order)
    far = s * xp.sqrt(_PI / 2 / a_large)
    mid = _k_scaled_integral(xp, a_mid, order)
    near = _k_series(xp, a_small, order)
    if scaled:
        near = near * xp.exp(a_small)
        out = xp.where(small, near, xp.where(large, far, mid))
    else:
        rest = xp.where(large, far, mid)
        half = xp.exp(-xp.maximum(x, _K_SERIES_END) / 2)  # e^-x in halves: no early underflow
        out = xp.where(small, near, half * (rest * half))
    out = xp.where(x == _INF, 0.0, out)
    out = xp.where(x == 0, _INF, out)
    return xp.where(x < 0, _NAN, out)


# ---- Airy Ai -----------------------------------------------------------------------------

_AIRY_SERIES_FROM, _AIRY_SERIES_TO = -2.5, 1.0  # the Maclaurin series between these


def _airy_series(xp, x):
    """Ai(x) = Ai(0) f(x) + Ai'(0) g(x), f = sum_k 3^k (1/3)_k x^3k / (3k)!,
    g = sum_k 3^k (2/3)_k x^(3k+1) / (3k+1)! (Abramowitz & Stegun 10.4.2)."""
    cube = x * x * x
    f_term, g_term = xp.ones_like(x), x
    f, g = f_term, g_term
    for k in range(1, 25):
        f_term = f_term * (cube / ((3 * k - 1) * (3 * k)))
        g_term = g_term * (cube / ((3 * k) * (3 * k + 1)))
        f, g = f + f_term, g + g_term
    return _AI0 * f - _AIP0 * g


def _fractional_weights(nu):
    """Normalization weights for Miller's recurrence in order nu + k (indexed by k):
    (x/2)^nu = sum_m (nu + 2m) Gamma(nu + m) / m! J_{nu+2m}(x)."""
    w = [0.0] * (_MILLER_START + 1)
    for m in range(_MILLER_START // 2 + 1):
        w[2 * m] = (nu + 2 * m) * math.gamma(nu + m) / math.factorial(m)
    return (tuple(w),)


_THIRD_WEIGHTS = {nu: _fractional_weights(nu) for nu in (1 / 3, -1 / 3)}


def _bessel_j_third(xp, z, nu):
    """J_nu(z) for nu = +-1/3 and 2 <= z <= 25 by Miller's recurrence."""
    b0, _, (norm,) = _miller(xp, z, nu, _THIRD_WEIGHTS[nu])
    return b0 * xp.exp(nu * xp.log(z / 2)) / norm


def _two_product(xp, a, b):
    """a * b as an unevaluated sum hi + lo, exactly (Dekker's product; |a|, |b| < 1e300)."""
    hi = a * b
    a_hi, a_lo = _veltkamp(a)
    b_hi, b_lo = _veltkamp(b)
    lo = ((a_hi * b_hi - hi) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return hi, lo


def _veltkamp(a):
    """a split into two halves of 26 bits each, a = hi + lo exactly."""
    c = 134217729.0 * a  # 2^27 + 1
    hi = c - (c - a)
    return hi, a - hi


_TWO_THIRDS_LO = float(Fraction(2, 3) - Fraction(2 / 3))  # 2/3 - fl(2/3)


def _zeta_double(xp, a):
    """zeta = (2/3) a^(3/2) for a > 0 as hi + lo, to ~1e-32 relative (so that
    cos(zeta) is right even where zeta ~ 1e12 and its ulp ~ 1e-4)."""
    s = xp.sqrt(a)
    sq_hi, sq_lo = _two_product(xp, s, s)
    s_lo = ((a - sq_hi) - sq_lo) / (2 * s)  # sqrt(a) = s + s_lo
    p_hi, p_lo = _two_product(xp, a, s)
    p_lo = p_lo + a * s_lo  # a^(3/2) = p_hi + p_lo
    z_hi, z_lo = _two_product(xp, p_hi, 2 / 3)
    return z_hi, z_lo + (p_hi * _TWO_THIRDS_LO + p_lo * (2 / 3))


_AIRY_UNDERFLOW = 110.0  # e^-(2/3) 110^1.5 is below the smallest float64


def _airy_ai(xp, x):
    """Ai(x): the Maclaurin series on [-2.5, 1]; above, (1/pi) sqrt(x/3) K_{1/3}(zeta);
    below, (sqrt|x| / 3) (J_{1/3}(zeta) + J_{-1/3}(zeta)), zeta = (2/3) |x|^(3/2)
    (Abramowitz & Stegun 10.4.14, 10.4.15). As PyTorch, nan at +-inf."""
    a = xp.abs(x)
    zeta, zeta_lo = _zeta(xp, a)
    central = (x >= _AIRY_SERIES_FROM) & (x <= _AIRY_SERIES_TO)
    series = _airy_series(xp, xp.where(central, x, 0.0))
    # x > 1: e^zeta K_{1/3}(zeta), times e^-zeta in halves (Ai is subnormal from x ~ 104)
    z_pos = xp.where(x > _AIRY_SERIES_TO, zeta, 1.0)
    _, _, hankel = _hankel(xp, xp.maximum(z_pos, _ASYMPTOTIC_FROM), 1 / 3)
    k_scaled = xp.where(z_pos > _ASYMPTOTIC_FROM,
                        hankel * xp.sqrt(_PI / 2 / xp.maximum(z_pos, _ASYMPTOTIC_FROM)),
                        _k_scaled_integral(xp, xp.minimum(z_pos, _ASYMPTOTIC_FROM), 1 / 3))
    # e^-zeta with zeta's rounding error (~zeta * 1e-16, which e^-zeta would
    # turn into a relative error as large) taken back by the low part
    half = xp.exp(-z_pos / 2)
    scale = xp.exp(-xp.where(x > _AIRY_SERIES_TO, zeta_lo, 0.0))
    positive = half * ((xp.sqrt(xp.where(x > _AIRY_SERIES_TO, x, 1.0) / 3) / _PI * k_scaled
                        * scale) * half)
    # Beyond x ~ 108 Ai underflows to 0 (and zeta's low part can overflow e^-lo)
    positive = xp.where((x > _AIRY_UNDERFLOW) & (x < xp.inf), 0.0, positive)
    # x < -2.5
    z_neg = xp.where(x < _AIRY_SERIES_FROM, zeta, _ASYMPTOTIC_FROM)
    z_mid = xp.clip(z_neg, 2.0, _ASYMPTOTIC_FROM)
    a_mid = xp.where(x < _AIRY_SERIES_FROM, a, 1.0)
    moderate = xp.sqrt(a_mid) / 3 * (_bessel_j_third(xp, z_mid, 1 / 3)
                                     + _bessel_j_third(xp, z_mid, -1 / 3))
    far = z_neg > _ASYMPTOTIC_FROM
    oscillating = _airy_oscillating(xp, xp.where(far, a, 16.0), xp.where(far, zeta, 32.0),
                                    xp.where(far, zeta_lo, 0.0))
    negative = xp.where(far, oscillating, moderate)
    out = xp.where(central, series, xp.where(x > 0, positive, negative))
    return xp.where(xp.isinf(x) | xp.isnan(x), _NAN, out)


_DOUBLE_ZETA_BELOW = 1e199  # a^(3/2) must stay below ~1e300 for Dekker's splits


def _zeta(xp, a):
    """zeta = (2/3) a^(3/2) as hi + lo (lo 0 for a >= 1e199, where the splits would
    overflow; inf from a ~ 2.4e205 on)."""
    exact = a < _DOUBLE_ZETA_BELOW
    hi, lo = _zeta_double(xp, xp.where(exact, a, 1.0))
    return xp.where(exact, hi, (2 / 3) * a * xp.sqrt(a)), xp.where(exact, lo, 0.0)


def _airy_oscillating(xp, a, hi, lo):
    """Ai(-a) for zeta = hi + lo = (2/3) a^(3/2) > 25: pi^(-1/2) a^(-1/4) (P cos(zeta - pi/4)
    - Q sin(zeta - pi/4)), P and Q Hankel's sums of order 1/3 in zeta
    (J_{1/3} + J_{-1/3} = sqrt(3) sqrt(2 / (pi zeta)) (P cos - Q sin) of the
    same phase), and cos(hi + lo) = cos hi cos lo - sin hi sin lo. The phase
    is exact to ~zeta * 1e-32: Ai is right to ~1e-15 up to a ~ 1e10 and
    drifts beyond (to ~1e-3 relative at a = 1e20; a plain float64 zeta is
    that far off from a ~ 1e10)."""
    p, q, _ = _hankel(xp, hi, 1 / 3)
    c_hi, s_hi, c_lo, s_lo = xp.cos(hi), xp.sin(hi), xp.cos(lo), xp.sin(lo)
    c = c_hi * c_lo - s_hi * s_lo
    s = s_hi * c_lo + c_hi * s_lo
    cos_chi, sin_chi = (c + s) / _SQRT2, (s - c) / _SQRT2
    return (p * cos_chi - q * sin_chi) / (math.sqrt(_PI) * xp.sqrt(xp.sqrt(a)))


def _spherical_j0(xp, x):
    """sin(x) / x: 1 at 0 and, as PyTorch, 0 at +-inf."""
    safe = xp.where(x == 0, 1.0, x)
    out = xp.where(x == 0, 1.0, xp.sin(safe) / safe)
    return xp.where(xp.isinf(x), 0.0, out)
