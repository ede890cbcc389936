"""ember.special's Bessel and Airy functions against torch.special, SciPy and mpmath.

PyTorch's float64 kernels are less accurate than SciPy's in places (J and Y
off by up to ~1e-6 absolute between 3 and 8, Ai by ~3e-6 between -3 and -2,
and all oscillating ones by ~x * 1e-16 absolute for large x), so the values
are compared with PyTorch within its own error there and with SciPy (and
mpmath where SciPy shares PyTorch's large-x phase error) tightly everywhere.
"""

import math

import mpmath
import numpy as np
import pytest
import scipy.special as sc
import torch

import ember
from reference import close

inf, nan = math.inf, math.nan

NAMES = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
         "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
         "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0"]

SCIPY = {
    "airy_ai": lambda x: sc.airy(x)[0],
    "bessel_j0": sc.j0, "bessel_j1": sc.j1, "bessel_y0": sc.y0, "bessel_y1": sc.y1,
    "modified_bessel_i0": sc.i0, "modified_bessel_i1": sc.i1,
    "modified_bessel_k0": sc.k0, "modified_bessel_k1": sc.k1,
    "scaled_modified_bessel_k0": sc.k0e, "scaled_modified_bessel_k1": sc.k1e,
    "spherical_bessel_j0": lambda x: sc.spherical_jn(0, x),
}

MPMATH = {
    "airy_ai": mpmath.airyai,
    "bessel_j0": lambda x: mpmath.besselj(0, x), "bessel_j1": lambda x: mpmath.besselj(1, x),
    "bessel_y0": lambda x: mpmath.bessely(0, x), "bessel_y1": lambda x: mpmath.bessely(1, x),
}

# |x| up to which PyTorch's float64 values are within 1e-12 of SciPy's (relative to
# the function's scale), and the absolute error it has beyond (up to x ~ 100).
TORCH_TIGHT_BELOW = {"bessel_j0": 2.0, "bessel_j1": 2.0, "bessel_y0": 2.0, "bessel_y1": 2.0,
                     "airy_ai": 2.0}


def ours(name, x, dtype=None):
    t = ember.tensor(x) if dtype is None else ember.tensor(x).to(getattr(ember, dtype))
    return getattr(ember.special, name)(t)


def theirs(name, x, dtype=None):
    t = torch.tensor(x) if dtype is None else torch.tensor(x).to(getattr(torch, dtype))
    return getattr(torch.special, name)(t)


def scale(name, x, ref):
    """The size of the function near x: for the oscillating ones the larger of
    |f(x)| and their envelope; None (relative errors) for the others."""
    a = np.abs(x)
    if name.startswith("bessel"):
        envelope = np.where(a < 2, 1.0, np.sqrt(2 / (np.pi * np.maximum(a, 2.0))))
    elif name == "airy_ai":
        envelope = np.where(x < -1, np.maximum(a, 1.0) ** -0.25 / np.sqrt(np.pi), 0.0)
    else:
        return None
    return np.maximum(envelope, np.abs(ref))


def phase(name, x):
    """The size of the oscillating functions' phase, whose float rounding PyTorch and
    SciPy carry into their results (1e-16 of it, absolute, in float64)."""
    return np.abs(x) ** 1.5 if name == "airy_ai" else np.abs(x)


def grid(name, seed=0):
    """Random float64 arguments across the function's domain and its region borders."""
    r = np.random.default_rng(seed)
    mags = np.exp(r.uniform(math.log(1e-3), math.log(200.0), 300))
    borders = np.array([1e-300, 1e-8, 0.5, 1.0, 2.0, 2.0000001, 3.0, 7.5, 24.999, 25.0,
                        25.001, 60.0])
    pos = np.concatenate([mags, borders])
    if name in ("airy_ai", "bessel_j0", "bessel_j1", "modified_bessel_i0",
                "modified_bessel_i1", "spherical_bessel_j0"):
        pos = np.concatenate([pos, -pos])
    if name == "airy_ai":
        pos = pos[pos < 100]  # x > 103.892: PyTorch flushes to 0 (tested below)
    if name.startswith("modified_bessel_i"):
        pos = pos[np.abs(pos) < 700]
    return pos


@pytest.mark.parametrize("name", NAMES)
def test_float64_values_match_scipy_tightly(name):
    x = grid(name)
    got = ours(name, x).numpy()
    ref = SCIPY[name](x)
    s = scale(name, x, ref)
    if s is None:
        np.testing.assert_allclose(got, ref, rtol=3e-15, atol=0)
    else:  # SciPy's own error for large |x| is ~1e-16 of the phase (as PyTorch's);
        # its Ai cancels up to ~1e-14 near x = 2 (tested against mpmath below)
        tol = 3e-14 if name == "airy_ai" else 3e-15
        assert (np.abs(got - ref) <= (tol + phase(name, x) * 2e-16) * s).all()


@pytest.mark.parametrize("name", NAMES)
def test_float64_values_match_torch(name):
    x = grid(name, seed=1)
    got = ours(name, x).numpy()
    ref = theirs(name, x).numpy()
    s = scale(name, x, ref)
    if s is None:
        np.testing.assert_allclose(got, ref, rtol=2e-15, atol=0)
        return
    tight = np.abs(x) < TORCH_TIGHT_BELOW[name]
    np.testing.assert_allclose(got[tight], ref[tight], rtol=1e-12, atol=1e-15)
    # Beyond: within PyTorch's own error (~1e-6 absolute at worst, from 3 to 8).
    assert (np.abs(got - ref) <= 1e-5 * s).all()
    far = np.abs(x) > 25
    assert (np.abs(got - ref)[far] <= (1e-15 + phase(name, x[far]) * 2e-16) * s[far]).all()


@pytest.mark.parametrize("name", sorted(MPMATH))
def test_at_zeros_and_far_out_against_mpmath(name):
    # zeros (absolute accuracy is what any float64 evaluation has there), and
    # arguments where the phase x - pi/4 formed in float64 is visibly off
    zeros = {"bessel_j0": [2.404825557695773, 5.520078110286311, 18.071063967910924],
             "bessel_j1": [3.8317059702075125, 7.015586669815619, 16.470630050877634],
             "bessel_y0": [0.8935769662791675, 3.957678419314858, 22.940452639714224],
             "bessel_y1": [2.197141326031017, 5.429681040794135, 21.37171769502951],
             "airy_ai": [-2.338107410459767, -4.08794944413097, -12.828776752865757]}[name]
    far = [1e3 + 0.1, 12345.6789, 1e6 + 0.5, 1e10 + 1.0]
    if name == "airy_ai":  # and near x = 2, where SciPy's Ai cancels, and Ai's tiny tail
        far = [-x for x in far[:3]] + [1.0000001, 1.5693511, 1.8063879, 2.0000001, 2.0115635,
                                       60.0, 104.5, 106.0]
    x = np.array(zeros + far)
    got = ours(name, x).numpy()
    with mpmath.workdps(40):
        ref = np.array([float(MPMATH[name](mpmath.mpf(float(v)))) for v in x])
    assert (np.abs(got - ref) <= 3e-15 * scale(name, x, ref)).all()


def test_special_points_match_torch():
    x = np.array([-inf, -1e300, -30.0, -1.0, -0.0, 0.0, 1e-310, 1e-300, 1e-20, 1.0,
                  700.0, 710.0, 750.0, 1e300, inf, nan])
    for name in NAMES:
        got, ref = ours(name, x).numpy(), theirs(name, x).numpy()
        if name == "airy_ai":  # Ai(-1e300): both nan; Ai(-30): tested above
            keep = np.abs(x) != 30.0
            got, ref = got[keep], ref[keep]
        if name.startswith("modified_bessel_i"):  # overflow thresholds: tested below
            keep = np.abs(x) < 709.0
            got, ref = got[keep], ref[keep]
        if name.startswith("bessel") or name == "spherical_bessel_j0":
            keep = np.abs(x) < 1e300  # PyTorch's phase is meaningless there
            got, ref = got[keep], ref[keep]
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref), err_msg=name)
        np.testing.assert_array_equal(np.isinf(got), np.isinf(ref), err_msg=name)
        number = ~np.isnan(ref)
        np.testing.assert_array_equal(np.signbit(got[number]), np.signbit(ref[number]),
                                      err_msg=name)
        finite = np.isfinite(ref)
        np.testing.assert_allclose(got[finite], ref[finite], rtol=1e-12, atol=1e-300,
                                   err_msg=name)


def test_smallest_subnormal_gives_the_exact_values():
    # K0(5e-324) = -log(2.5e-324) - gamma is finite (PyTorch: inf) and K1 = 1/x
    # overflows to inf (PyTorch: nan); Y0 is finite there, Y1 -inf
    x = np.array([5e-324])
    exact_k0 = -(math.log(5e-324) - math.log(2)) - 0.5772156649015329
    close(ours("modified_bessel_k0", x), np.array([exact_k0]), rtol=1e-15)
    close(ours("scaled_modified_bessel_k0", x), np.array([exact_k0]), rtol=1e-15)
    assert np.isposinf(ours("modified_bessel_k1", x).numpy()).all()
    close(ours("bessel_y0", x), np.array([-2 / math.pi * exact_k0]), rtol=1e-15)
    assert np.isneginf(ours("bessel_y1", x).numpy()).all()


def test_j1_keeps_the_sign_of_zero():
    got = ember.special.bessel_j1(ember.tensor([-0.0, 0.0])).numpy()
    assert np.signbit(got[0]) and not np.signbit(got[1])


def test_modified_i_are_i0_and_i1_with_nan_at_infinity():
    x = np.array([-50.0, -3.0, 0.0, 0.5, 20.0, 711.0])
    close(ours("modified_bessel_i0", x), ember.special.i0(ember.tensor(x)), rtol=0, atol=0)
    close(ours("modified_bessel_i1", x), ember.special.i1(ember.tensor(x)), rtol=0, atol=0)
    # I0(711) ~ 1.2e307 is finite; PyTorch, forming e^x, gives inf from 709.78
    assert np.isfinite(ours("modified_bessel_i0", np.array([711.0])).numpy()).all()
    assert torch.isinf(theirs("modified_bessel_i0", np.array([711.0]))).all()
    for name in ("modified_bessel_i0", "modified_bessel_i1"):
        assert np.isnan(ours(name, np.array([inf, -inf])).numpy()).all()


def test_airy_tail_keeps_subnormal_values():
    x = np.array([103.0, 104.0, 106.0, 107.0, 108.0, 1e3])
    got = ours("airy_ai", x).numpy()
    assert (got[:4] > 0).all() and (got[4:] == 0).all()
    # PyTorch returns 0 from 103.892 on: the same to within 1e-300
    np.testing.assert_allclose(got, theirs("airy_ai", x).numpy(), rtol=1e-12, atol=1e-300)


def test_scaled_k_never_overflows_and_k_underflows_gradually():
    x = np.array([1e-300, 0.3, 40.0, 709.0, 720.0, 1e6, 1e300])
    for order in (0, 1):
        got = ours(f"scaled_modified_bessel_k{order}", x).numpy()
        ref = theirs(f"scaled_modified_bessel_k{order}", x).numpy()
        np.testing.assert_allclose(got, ref, rtol=2e-15)
        plain = ours(f"modified_bessel_k{order}", x[1:]).numpy()
        np.testing.assert_allclose(plain, (sc.k0 if order == 0 else sc.k1)(x[1:]),
                                   rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_float32_is_the_rounded_float64_value_and_close_to_torch(name):
    x = grid(name, seed=2).astype(np.float32)
    x = x[(np.abs(x) < 80) & (x != 0)]  # the float32 range of the exponential ones
    got = ours(name, x, "float32")
    assert got.dtype is ember.float32
    exact = ours(name, x.astype(np.float64)).numpy().astype(np.float32)
    np.testing.assert_array_equal(got.numpy(), exact)
    ref = theirs(name, x, "float32").numpy().astype(np.float64)
    x = x.astype(np.float64)
    s = scale(name, x, ref)
    s = np.abs(ref) if s is None else s
    # PyTorch computes in float32: ~1e-7 of the phase for the oscillating ones, and
    # flushes Ai to 0 from x = 25.77 on (where Ember keeps the subnormal values)
    tol = (1e-5 + phase(name, x) * 1.2e-7) * s + 1e-38
    assert (np.abs(got.numpy() - ref) <= tol).all()


@pytest.mark.parametrize("name", NAMES)
def test_integers_and_bools_promote_to_the_default_float(name):
    for values in ([1, 2, 3], [True, False]):
        got, ref = getattr(ember.special, name)(ember.tensor(values)), \
            getattr(torch.special, name)(torch.tensor(values))
        assert got.dtype is ember.float32
        close(got, ref, rtol=1e-5, atol=1e-6)


def test_shapes_are_kept():
    for shape in [(), (0,), (2, 0, 3), (2, 3)]:
        x = np.full(shape, 1.5)
        for name in NAMES:
            assert tuple(ours(name, x).shape) == shape


def test_no_gradient_as_torch():
    for name in NAMES:
        x = ember.tensor([0.5, 1.5], requires_grad=True)
        y = getattr(ember.special, name)(x)
        t = getattr(torch.special, name)(torch.tensor([0.5, 1.5], requires_grad=True))
        assert y.requires_grad is t.requires_grad is False
        with pytest.raises(RuntimeError, match="does not require grad"):
            y.sum().backward()
        with pytest.raises(RuntimeError, match="does not require grad"):
            t.sum().backward()


def test_errors_name_the_function():
    with pytest.raises(TypeError, match="bessel_j0: expected input to be a Tensor, got float"):
        ember.special.bessel_j0(1.0)
    for dtype in ("float16", "bfloat16"):
        x = ember.tensor([1.0]).to(getattr(ember, dtype))
        with pytest.raises(NotImplementedError,
                           match=f"airy_ai: expected a float32 or float64 tensor, got "
                                 f"ember.{dtype}"):
            ember.special.airy_ai(x)
        with pytest.raises(NotImplementedError):
            torch.special.airy_ai(torch.tensor([1.0]).to(getattr(torch, dtype)))


def test_every_name_is_torch_special_s_and_documented():
    from ember.ops import bessel_fns
    assert set(bessel_fns.__special__) == set(NAMES)
    for name in NAMES:
        assert hasattr(torch.special, name) and name in ember.special.__all__
        assert getattr(ember.special, name).__doc__, name


def test_airy_ai_is_zero_far_right_and_nan_at_infinity_like_torch():
    v = [108.0, 111.0, 1e12, 1e13, 2e13, 1e25, 1e30, np.inf, -np.inf]
    for dtype, tdtype in ((ember.float64, torch.float64), (ember.float32, torch.float32)):
        ours = ember.special.airy_ai(ember.tensor(v, dtype=dtype)).numpy()
        theirs = torch.special.airy_ai(torch.tensor(v, dtype=tdtype)).numpy()
        np.testing.assert_array_equal(ours, theirs)
