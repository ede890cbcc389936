"""The classical orthogonal polynomials of ``torch.special`` on float64
NumPy/CuPy arrays: Chebyshev T, U, V, W (plain and shifted to [0, 1]),
Hermite H and He, Laguerre L and Legendre P, each as ``kernel(xp, x, n)``
for an input ``x`` and an integer-valued degree ``n`` (float64, already
truncated, broadcast with x; negative degrees give 0).

The degree-n value comes from the three-term recurrence started at degrees 0
and 1, as PyTorch computes it, including what that gives past the float64
range (inf, then nan once inf - inf occurs) and at inf inputs. As in
PyTorch, the Chebyshev families use their closed trigonometric forms for
|x| < 1 (|2x - 1| < 1 when shifted) from a degree on: T_n(cos t) = cos(n t),
U_n = sin((n + 1) t) / sin t, V_n = cos((n + 1/2) t) / cos(t / 2),
W_n = sin((n + 1/2) t) / sin(t / 2), and their exact values at x = ±1 (the
shifted ones at 0 and 1). No autograd here: ``ops/polynomial_fns.py`` wraps
these kernels.
"""


# ---- the recurrence -------------------------------------------------------------------


def _recurrence(xp, x, n, first, step):
    """Degree n of the sequence p_0 = 1, p_1 = first(x), p_k = step(x, k, p_{k-2}, p_{k-1}).

    ``x`` and ``n`` are broadcast float64 arrays, n >= 0 where it matters
    (other entries are overwritten by the caller). The loop runs up to the
    largest degree asked for on the entries still going: an entry leaves when
    its degree is reached or once its value is nan (it stays nan), so a
    sequence that overflows early costs only the steps to the overflow.
    """
    q = first(x)
    out = xp.where(n == 0, 1.0, q)
    live = xp.nonzero(n.reshape(-1) >= 2)[0]
    if live.size == 0:
        return out
    flat = out.reshape(-1)
    xs, ns = x.reshape(-1)[live], n.reshape(-1)[live]
    p, q = xp.ones_like(xs), q.reshape(-1)[live]
    k = 2
    while live.size:
        p, q = q, step(xs, k, p, q)
        done = (ns == k) | xp.isnan(q)
        if done.any():
            flat[live[done]] = q[done]
            keep = ~done
            live, xs, ns, p, q = live[keep], xs[keep], ns[keep], p[keep], q[keep]
        k += 1
    return out


def _chebyshev_step(x, k, p, q):
    return (x + x) * q - p


def _shifted_step(x, k, p, q):
    y = x + x - 1
    return (y + y) * q - p


def _hermite_step(x, k, p, q):
    return (x + x) * q - (2 * (k - 1)) * p


def _hermite_e_step(x, k, p, q):
    return x * q - (k - 1) * p


def _laguerre_step(x, k, p, q):
    j = k - 1
    return ((2 * j + 1 - x) * q - j * p) / k


def _legendre_step(x, k, p, q):
    j = k - 1
    return ((2 * j + 1) * x * q - j * p) / k


# ---- Chebyshev families ---------------------------------------------------------------

def _sign_by_parity(xp, n, value):
    """value for even n, -value for odd n (the Chebyshev values at y = -1)."""
    return xp.where(n % 2 == 0, value, -value)


# kind: (degree 1 from y, closed form at angle t = acos(y), value at y = 1, at y = -1)
_CHEBYSHEV = {
    "t": (lambda y: y,
          lambda xp, t, n: xp.cos(n * t),
          lambda xp, n: 1.0,
          lambda xp, n: _sign_by_parity(xp, n, 1.0)),
    "u": (lambda y: y + y,
          lambda xp, t, n: xp.sin((n + 1) * t) / xp.sin(t),
          lambda xp, n: n + 1,
          lambda xp, n: _sign_by_parity(xp, n, n + 1)),
    "v": (lambda y: y + y - 1,
          lambda xp, t, n: xp.cos((n + 0.5) * t) / xp.cos(t / 2),
          lambda xp, n: 1.0,
          lambda xp, n: _sign_by_parity(xp, n, 2 * n + 1)),
    "w": (lambda y: y + y + 1,
          lambda xp, t, n: xp.sin((n + 0.5) * t) / xp.sin(t / 2),
          lambda xp, n: 2 * n + 1,
          lambda xp, n: _sign_by_parity(xp, n, 1.0)),
}
# The degree above which PyTorch uses the closed form where |y| < 1.
_CLOSED_ABOVE = {"t": 6, "u": 8, "v": 8, "w": 8}
_SHIFTED_CLOSED_ABOVE = {"t": 6, "u": 6, "v": 6, "w": 4}


def _chebyshev(xp, x, n, kind, shifted):
    """The Chebyshev polynomial of ``kind`` (t, u, v or w) at x, or at y = 2x - 1 when
    ``shifted`` (the same recurrence in y; its endpoints y = -1, 1 are x = 0, 1)."""
    first, closed, at_one, at_minus_one = _CHEBYSHEV[kind]
    if shifted:
        y, top, bottom = x + x - 1, x == 1, x == 0
        inside = (xp.abs(y) < 1) & (n > _SHIFTED_CLOSED_ABOVE[kind])
        start, step = (lambda x: first(x + x - 1)), _shifted_step
    else:
        y, top, bottom = x, x == 1, x == -1
        inside = (xp.abs(y) < 1) & (n > _CLOSED_ABOVE[kind])
        start, step = first, _chebyshev_step
    # the recurrence only where no closed form or end value replaces it (its
    # loop runs to the largest degree it is given)
    value = _recurrence(xp, x, xp.where(inside | top | bottom, 0.0, n), start, step)
    t = xp.arccos(xp.where(inside, y, 0.0))
    value = xp.where(inside, closed(xp, t, n), value)
    value = xp.where(bottom, at_minus_one(xp, n), value)
    return xp.where(top, at_one(xp, n), value)


# ---- Hermite, Laguerre, Legendre -------------------------------------------------------

def _hermite_h(xp, x, n):
    """The physicists' Hermite polynomial H_n(x): H_{k+1} = 2x H_k - 2k H_{k-1}."""
    return _recurrence(xp, x, n, lambda x: x + x, _hermite_step)


def _hermite_he(xp, x, n):
    """The probabilists' Hermite polynomial He_n(x): He_{k+1} = x He_k - k He_{k-1}."""
    return _recurrence(xp, x, n, lambda x: x, _hermite_e_step)


def _laguerre(xp, x, n):
    """The Laguerre polynomial L_n(x): (k + 1) L_{k+1} = (2k + 1 - x) L_k - k L_{k-1}; 1 at 0."""
    value = _recurrence(xp, x, xp.where(x == 0, 0.0, n), lambda x: 1 - x, _laguerre_step)
    return xp.where(x == 0, 1.0, value)


def _legendre(xp, x, n):
    """The Legendre polynomial P_n(x): (k + 1) P_{k+1} = (2k + 1) x P_k - k P_{k-1};
    exactly 1 at x = 1 and (-1)^n at x = -1."""
    value = _recurrence(xp, x, xp.where(xp.abs(x) == 1, 0.0, n), lambda x: x, _legendre_step)
    value = xp.where(x == -1, _sign_by_parity(xp, n, 1.0), value)
    return xp.where(x == 1, 1.0, value)


def _evaluate(xp, x, n, kernel, *args):
    """``kernel`` at x and the degree n (float64 arrays, broadcast): n is truncated
    toward zero as PyTorch's cast to int64 does, and a degree below 0 (or one
    outside the int64 range, or nan, which that cast also makes negative) gives 0."""
    x, n = xp.broadcast_arrays(x, n)
    valid = (n > -2.0 ** 63) & (n < 2.0 ** 63)  # false for nan and +-inf too
    n = xp.where(valid, xp.trunc(n), -1.0)
    value = kernel(xp, x, xp.where(n < 0, 0.0, n), *args)
    return xp.where(n < 0, 0.0, value)
