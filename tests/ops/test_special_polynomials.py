"""ember.special's orthogonal polynomials against torch.special, NumPy's
polynomial module and mpmath: values (also past the float64 range, where the
recurrence gives inf and then nan), the degree's forms and rules, dtypes,
broadcasting, no gradients, errors."""

import math

import mpmath
import numpy as np
import numpy.polynomial as npoly
import pytest
import torch

import ember
from reference import close

inf, nan = math.inf, math.nan

CHEBYSHEV = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
             "chebyshev_polynomial_w"]
SHIFTED = ["shifted_" + name for name in CHEBYSHEV]
OTHERS = ["hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
          "legendre_polynomial_p"]
NAMES = CHEBYSHEV + SHIFTED + OTHERS


def both(name, x, n):
    """(Ember's, torch's) results for NumPy/Python arguments x and n."""
    def lib(mod, tensor):
        a = tensor(x) if isinstance(x, np.ndarray) else x
        b = tensor(n) if isinstance(n, np.ndarray) else n
        return getattr(mod.special, name)(a, b)
    return lib(ember, ember.tensor), lib(torch, torch.tensor)


def assert_same(got, ref, rtol, what=""):
    """Equal nan and inf patterns; finite values within rtol of max(|ref|, 1)."""
    a, b = got.numpy().astype(np.float64), ref.numpy().astype(np.float64)
    assert a.shape == b.shape
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{what} nan")
    np.testing.assert_array_equal(a[np.isinf(a)], b[np.isinf(a)], err_msg=f"{what} inf")
    finite = np.isfinite(b)
    err = np.abs(a[finite] - b[finite]) / np.maximum(np.abs(b[finite]), 1.0)
    assert err.max(initial=0) <= rtol, f"{what}: error {err.max()}"


def grid(name, seed=0):
    r = np.random.default_rng(seed)
    special = [-1.0, -0.0, 0.0, 1.0, 0.5, 2.0, -2.0, 3.0, -30.0, 30.0, 1.0000001, 1e10, -1e10,
               1e200, inf, -inf]
    inside = r.uniform(-1, 1, 60) if not name.startswith("shifted") else r.uniform(0, 1, 60)
    return np.concatenate([r.uniform(-3, 3, 60), inside, special])


DEGREES = np.array([-3, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 40, 100, 539, 540, 541, 1000])


@pytest.mark.parametrize("name", NAMES)
def test_values_match_torch_including_overflow(name):
    x = grid(name)
    got, ref = both(name, x[:, None], DEGREES[None, :])
    # closed forms for large n carry ~n ulp of acos(x) (libm differences), the
    # recurrence an ulp or so per step
    assert_same(got, ref, 1e-11, name)


def _reference(name, x, n):
    """An independent float64 value: NumPy's polynomial series for T, H, He, L, P;
    U_n = (T_n - x T_{n+1}) / (1 - x^2) in mpmath; V_n = U_n - U_{n-1}, W_n = U_n + U_{n-1}."""
    basis = [0.0] * n + [1.0]
    kind = name.split("_")[-1]
    if name.startswith("shifted"):
        x = 2 * x - 1
    if kind == "t" and "chebyshev" in name:
        return npoly.chebyshev.chebval(x, basis)
    if kind in "uvw":
        with mpmath.workdps(40):
            u = np.array([[float(mpmath.chebyu(k, v)) if k >= 0 else 0.0 for v in x]
                          for k in (n, n - 1)])
        return {"u": u[0], "v": u[0] - u[1], "w": u[0] + u[1]}[kind]
    series = {"h": npoly.hermite.hermval, "he": npoly.hermite_e.hermeval,
              "l": npoly.laguerre.lagval, "p": npoly.legendre.legval}[kind]
    return series(x, basis)


@pytest.mark.parametrize("name", NAMES)
def test_values_match_independent_references(name):
    x = np.random.default_rng(3).uniform(-1.4, 1.4, 25)
    if name.startswith("shifted"):
        x = (x + 1) / 2
    for n in (0, 1, 2, 5, 9, 12):
        got = getattr(ember.special, name)(ember.tensor(x), n).numpy()
        ref = _reference(name, x, n)
        scale = np.maximum(np.abs(ref), 1.0) * (1 + n)
        np.testing.assert_array_less(np.abs(got - ref), 1e-14 * scale)


def test_large_degrees_against_mpmath():
    x = np.array([-0.99, -0.3, 0.001, 0.7, 0.9999])
    with mpmath.workdps(40):
        t = [float(mpmath.chebyt(1000, v)) for v in x]
        p = [float(mpmath.legendre(2000, v)) for v in x]
    # cos(n acos x) for T: ~n ulp; the Legendre recurrence over 2000 steps: ~1e-13
    close(ember.special.chebyshev_polynomial_t(ember.tensor(x), 1000), np.array(t),
          rtol=0, atol=1e-12)
    close(ember.special.legendre_polynomial_p(ember.tensor(x), 2000), np.array(p),
          rtol=0, atol=1e-13)


def test_degree_is_truncated_and_negative_degrees_give_zero():
    x = np.array([0.3, -0.7, 1.5])
    forms = [3, -1, -2, 0, True, False, 2.7, -0.5, 1e30, -1e30, np.int64(4), np.float32(5.9)]
    for name in NAMES:
        for n in forms:
            got, ref = both(name, x, n)
            assert got.dtype is ember.float64
            assert_same(got, ref, 1e-13, f"{name} n={n!r}")
        n = np.array([2.9, -0.2, -1.5, nan, inf, -inf, 2.0 ** 63, 1e19])
        got, ref = both(name, np.full(n.shape, 0.3), n)
        assert_same(got, ref, 1e-13, f"{name} float degrees")


def test_degree_tensors_and_broadcasting():
    x = np.linspace(-1.2, 1.2, 5)
    for name in NAMES:
        assert_same(*both(name, x[:, None], np.arange(6)[None, :]), 1e-13, name)
        assert_same(*both(name, x, np.array(3)), 1e-13, name)
        assert_same(*both(name, np.array(0.25), np.arange(-1, 12)), 1e-13, name)
        assert_same(*both(name, 0.25, np.arange(12)), 1e-5, name)  # float32 (a number x)
        assert_same(*both(name, x, np.array([True, False, True, True, False])), 1e-13, name)


@pytest.mark.parametrize("x, n", [
    (np.array([0.3], np.float32), np.array([3.0])),         # float64 n: float64
    (np.array([0.3], np.float32), np.array([3])),           # integer n: float32
    (np.array([0.3], np.float32), 3.7),
    (np.array([1, 2]), 3),                                  # integers: the default float
    (np.array([1, 2], np.int32), np.array([3], np.int32)),
    (np.array([True]), 3),
    (0.5, np.array([3])),
    (np.array(0.5), np.array([3], np.int32)),               # 0-d float64 beats dim int32
    (np.array(0.5), np.array([3.0], np.float32)),           # but not dim float32
    (np.array([0.5], np.float32), np.array([3.0], np.float16)),
    (np.array([0.5], np.float16), np.array([3.0])),         # half promoted to float64
])
def test_result_dtype_as_torch(x, n):
    for name in ("chebyshev_polynomial_t", "hermite_polynomial_he", "legendre_polynomial_p"):
        got, ref = both(name, x, n)
        assert str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        close(got, ref, rtol=1e-6, atol=1e-6)


def test_float32_is_the_rounded_float64_value():
    x = np.random.default_rng(4).uniform(-1.5, 1.5, 40).astype(np.float32)
    for name in NAMES:
        for n in (2, 7, 12):
            got = getattr(ember.special, name)(ember.tensor(x), n)
            assert got.dtype is ember.float32
            exact = getattr(ember.special, name)(ember.tensor(x.astype(np.float64)), n)
            np.testing.assert_array_equal(got.numpy(), exact.numpy().astype(np.float32))
            ref = getattr(torch.special, name)(torch.tensor(x), n)
            close(got, ref, rtol=2e-5, atol=2e-5 * max(1, np.abs(ref.numpy()).max()))


def test_nan_input():
    # degree 0 is 1 whatever x (as PyTorch), degree 1 is nan; from degree 2 on
    # PyTorch's U, W, Laguerre and Legendre kernels return uninitialized memory
    # at nan, Ember gives nan
    x = np.array([nan])
    for name in NAMES:
        for n in (0, 1):
            assert_same(*both(name, x, n), 0, name)
        assert np.isnan(getattr(ember.special, name)(ember.tensor(x), 5).numpy()).all()


def test_huge_degrees_cost_only_the_steps_needed():
    # Hermite values overflow by degree ~540, then inf - inf is nan: no need to
    # run 10^9 steps to know the result (PyTorch loops to the degree)
    x = ember.tensor([0.5, -2.0, 3.0])
    out = ember.special.hermite_polynomial_h(x, 10 ** 9)
    assert np.isnan(out.numpy()).all()
    # closed forms and end values need no recurrence at all (the closed forms
    # carry n times acos(x)'s last-bit differences between libms: ~2e-7 here)
    for name in CHEBYSHEV + SHIFTED:
        ends = [0.0, 1.0] if name.startswith("shifted") else [-1.0, 1.0]
        x = np.array([0.3, 0.77, 0.999] + ends)
        got, ref = both(name, x, np.array([10 ** 9, 10 ** 9 + 1, 12345, 10 ** 9, 10 ** 9 + 1]))
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-15, atol=1e-6)
    laguerre_at_0, legendre_at_ends = both("laguerre_polynomial_l", np.array([0.0]), 10 ** 9), \
        both("legendre_polynomial_p", np.array([-1.0, 1.0]), 10 ** 9 + 1)
    assert_same(*laguerre_at_0, 0, "laguerre at 0")
    assert_same(*legendre_at_ends, 0, "legendre at +-1")
    x = np.array([0.3, -0.9, 0.999])
    assert_same(*both("legendre_polynomial_p", x, 5000), 1e-12, "legendre 5000")
    assert_same(*both("laguerre_polynomial_l", x + 2, 3000), 1e-11, "laguerre 3000")


def test_shapes_and_empty_inputs():
    for name in NAMES:
        for shape in [(), (0,), (2, 0), (2, 3)]:
            out = getattr(ember.special, name)(ember.tensor(np.full(shape, 0.5)), 4)
            assert tuple(out.shape) == shape
        out = getattr(ember.special, name)(ember.tensor(np.zeros((0, 1))), ember.tensor([1, 2]))
        assert tuple(out.shape) == (0, 2)


def test_no_gradient_as_torch():
    for name in NAMES:
        x = ember.tensor([0.5, 1.5], requires_grad=True)
        n = ember.tensor([2.0, 3.0], requires_grad=True)
        for y in (getattr(ember.special, name)(x, 3), getattr(ember.special, name)(x, n)):
            assert not y.requires_grad
            with pytest.raises(RuntimeError, match="does not require grad"):
                y.sum().backward()
        t = getattr(torch.special, name)(torch.tensor([0.5, 1.5], requires_grad=True), 3)
        assert not t.requires_grad


def test_errors_name_the_function():
    f = ember.special.legendre_polynomial_p
    with pytest.raises(TypeError, match="legendre_polynomial_p: expected input or n to be a "
                                        "Tensor, got float and int"):
        f(0.5, 3)
    with pytest.raises(TypeError, match="legendre_polynomial_p: expected n to be a Tensor or a "
                                        "number, got str"):
        f(ember.tensor([0.5]), "3")
    with pytest.raises(TypeError, match="expected n to be a Tensor or a number, got NoneType"):
        f(ember.tensor([0.5]), None)
    with pytest.raises(TypeError, match="expected input to be a Tensor or a number, got list"):
        f([0.5], ember.tensor([3]))
    with pytest.raises(OverflowError, match="legendre_polynomial_p: expected n to fit in "
                                            "int64, got 1180591620717411303424"):
        f(ember.tensor([0.5]), 2 ** 70)
    with pytest.raises(OverflowError):
        torch.special.legendre_polynomial_p(torch.tensor([0.5]), 2 ** 70)
    for dtype in ("float16", "bfloat16"):
        with pytest.raises(NotImplementedError, match=f"legendre_polynomial_p: expected a "
                                                      f"float32 or float64 tensor, got "
                                                      f"ember.{dtype}"):
            f(ember.tensor([0.5]).to(getattr(ember, dtype)), 3)
        with pytest.raises(NotImplementedError):
            torch.special.legendre_polynomial_p(torch.tensor([0.5]).to(getattr(torch, dtype)),
                                                3)
    with pytest.raises(RuntimeError, match=r"legendre_polynomial_p: shapes \[2\] and \[3\] "
                                           "cannot be broadcast together"):
        f(ember.tensor([0.5, 0.1]), ember.tensor([1, 2, 3]))


def test_every_name_is_torch_special_s_and_documented():
    from ember.ops import polynomial_fns
    assert set(polynomial_fns.__special__) == set(NAMES)
    for name in NAMES:
        assert hasattr(torch.special, name) and name in ember.special.__all__
        assert getattr(ember.special, name).__doc__, name
    assert not [n for n in dir(torch.special)
                if not n.startswith("_") and n not in ("Tensor", "torch", "common_args",
                                                       "multi_dim_common")
                and not hasattr(ember.special, n)]
