"""ember.linalg (inverses, solves, decompositions, norms) against torch.linalg:
values, gradients and second derivatives in float64."""

import math

import numpy as np
import pytest
import torch

import ember
from reference import check, close, rand


def lib_of(t):
    return ember if isinstance(t, ember.Tensor) else torch


def la(t):
    return lib_of(t).linalg


def sym(a):
    return (a + a.mT) / 2


def spd(shape, seed):
    """Well-conditioned symmetric positive-definite matrices."""
    a = rand(shape, seed)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def well_conditioned(shape, seed):
    return rand(shape, seed) + 2 * shape[-1] ** 0.5 * np.eye(shape[-1])


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_inv_det_slogdet_logdet_match_torch(shape):
    a = well_conditioned(shape, 0)
    check(lambda x: la(x).inv(x), a)
    check(lambda x: la(x).det(x), a)
    check(lambda x: la(x).slogdet(x)[1], a)
    check(lambda x: lib_of(x).logdet(x), a)
    check(lambda x: x.inverse(), a)
    check(lambda x: x.det(), a)
    sign, _ = ember.linalg.slogdet(ember.tensor(-a))
    np.testing.assert_array_equal(sign.numpy(), torch.linalg.slogdet(torch.tensor(-a))[0].numpy())


def test_logdet_of_a_negative_determinant_is_nan_like_torch():
    a = np.diag([-1.0, 2.0])
    assert math.isnan(ember.logdet(ember.tensor(a)).item())
    assert math.isnan(torch.logdet(torch.tensor(a)).item())
    assert ember.logdet(ember.tensor(np.zeros((2, 2)))).item() == -math.inf


@pytest.mark.parametrize("a_shape, b_shape", [((3, 3), (3, 2)), ((2, 3, 3), (3, 4)),
                                              ((3, 3), (3,)), ((2, 3, 3), (2, 3))])
def test_solve_matches_torch(a_shape, b_shape):
    check(lambda a, b: la(a).solve(a, b), well_conditioned(a_shape, 1), rand(b_shape, 2))


def test_solve_left_false_matches_torch():
    check(lambda a, b: la(a).solve(a, b, left=False), well_conditioned((3, 3), 1),
          rand((2, 3), 2))


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_solve_triangular_matches_torch(upper, left, unit):
    a = well_conditioned((2, 3, 3), 3)
    b = rand((2, 3, 4) if left else (2, 4, 3), 4)
    check(lambda x, y: la(x).solve_triangular(x, y, upper=upper, left=left,
                                              unitriangular=unit), a, b)


@pytest.mark.filterwarnings("ignore:.*cholesky is deprecated")
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_torch(upper):
    a = spd((2, 4, 4), 5)
    # Through sym(): only the symmetric part of the gradient is defined.
    check(lambda x: la(x).cholesky(sym(x), upper=upper), a)
    check(lambda x: lib_of(x).cholesky(sym(x), upper), a)


def test_cholesky_gradient_on_a_nonsymmetric_input_matches_torch():
    a = spd((3, 3), 6) + np.triu(rand((3, 3), 7), 1) * 0.3
    check(lambda x: la(x).cholesky(x), a, second=False)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_matches_torch(uplo):
    a = rand((2, 4, 4), 8)
    # V * V and V diag(w) V^T do not depend on the eigenvectors' signs.
    check(lambda x: (lambda w, v: (w, v * v))(*la(x).eigh(sym(x), UPLO=uplo)), a)
    check(lambda x: la(x).eigvalsh(sym(x), UPLO=uplo), a)


def test_eigh_gradient_on_a_nonsymmetric_input_is_symmetrized_like_torch():
    a = rand((4, 4), 9)
    check(lambda x: (lambda w, v: (w, v * v))(*la(x).eigh(x)), a, second=False)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 4, 4)])
def test_svd_matches_torch(shape):
    a = rand(shape, 10)
    check(lambda x: (lambda u, s, vh: (u * u, s, vh * vh))(*la(x).svd(x, full_matrices=False)), a)
    check(lambda x: la(x).svdvals(x), a)
    k = min(shape[-2:])
    check(lambda x: (lambda u, s, vh: (u[..., :k] * u[..., :k], s, vh[..., :k, :] ** 2))(
        *la(x).svd(x)), a, second=False)
    u, s, vh = ember.linalg.svd(ember.tensor(a))
    assert tuple(u.shape[-2:]) == (shape[-2], shape[-2]) and tuple(vh.shape[-2:]) == \
        (shape[-1], shape[-1])
    np.testing.assert_allclose(u.numpy().swapaxes(-1, -2) @ u.numpy(), np.broadcast_to(
        np.eye(shape[-2]), u.shape), atol=1e-12)


def test_old_svd_returns_v_like_torch():
    a = rand((4, 3), 11)
    check(lambda x: (lambda u, s, v: (u * u, s, v * v))(*lib_of(x).svd(x)), a)
    u, s, v = ember.svd(ember.tensor(a), compute_uv=False)
    close(s, torch.svd(torch.tensor(a), compute_uv=False)[1])
    assert not u.numpy().any() and not v.numpy().any()


@pytest.mark.parametrize("shape", [(4, 3), (3, 5)])
def test_pinv_matches_torch(shape):
    a = rand(shape, 12)
    check(lambda x: la(x).pinv(x), a)
    check(lambda x: x.pinverse(), a)


def test_pinv_cuts_small_singular_values_like_torch():
    a = np.diag([3.0, 1e-9, 0.0])
    for kwargs in ({}, {"rtol": 1e-6}, {"atol": 0.5}):
        close(ember.linalg.pinv(ember.tensor(a), **kwargs),
              torch.linalg.pinv(torch.tensor(a), **kwargs), what=str(kwargs))


@pytest.mark.parametrize("n", [0, 1, 2, 5, -1, -3])
def test_matrix_power_matches_torch(n):
    check(lambda x: la(x).matrix_power(x, n), well_conditioned((2, 3, 3), 13) / 3)


def test_matrix_exp_matches_torch():
    for scale in (0.1, 1.0, 6.0):
        check(lambda x: la(x).matrix_exp(x), rand((2, 3, 3), 14) * scale)


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf])
@pytest.mark.parametrize("dim, keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm_matches_torch(ord, dim, keepdim):
    check(lambda x: la(x).matrix_norm(x, ord, dim, keepdim), rand((3, 2, 4), 15))


@pytest.mark.parametrize("ord, dim", [(None, None), (3, 1), ("fro", None), ("nuc", (0, 1)),
                                      (None, (0, 1)), (math.inf, None)])
def test_linalg_norm_matches_torch(ord, dim):
    a = rand((3, 4), 16)
    check(lambda x: la(x).norm(x, ord, dim), a)
    check(lambda x: la(x).vector_norm(x, 3, 0), a)


def test_cross_matches_torch():
    check(lambda a, b: la(a).cross(a, b), rand((2, 4, 3), 17), rand((1, 4, 3), 18))
    check(lambda a, b: la(a).cross(a, b, dim=0), rand((3, 2), 17), rand((3, 2), 18))
    with pytest.warns(UserWarning, match="without specifying dim"):
        ours = ember.cross(ember.tensor(rand((3, 2), 1)), ember.tensor(rand((3, 2), 2)))
    close(ours, torch.linalg.cross(torch.tensor(rand((3, 2), 1)), torch.tensor(rand((3, 2), 2)),
                                   dim=0))


@pytest.mark.filterwarnings("ignore:.*chain_matmul is deprecated")
def test_multi_dot_and_chain_matmul_match_torch():
    arrays = rand((3,), 19), rand((3, 4), 20), rand((4, 2), 21), rand((2,), 22)
    check(lambda *t: la(t[0]).multi_dot(t), *arrays)
    check(lambda *t: la(t[0]).multi_dot(t), *arrays[1:3])
    check(lambda a, b: lib_of(a).chain_matmul(a, b), *arrays[1:3])
    check(lambda a, b: la(a).vecdot(a, b), rand((2, 3), 23), rand((3,), 24))


@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("rows", [4, 30])
def test_cdist_matches_torch(p, rows):
    x1, x2 = rand((2, rows, 3), 25), rand((2, 5, 3), 26)
    x2[:, 0] = x1[:, 0]  # a zero distance: gradient 0, as in PyTorch
    # PyTorch has no second derivative of cdist, nor a first one for p = 0.
    grads = {} if p else {"grad_inputs": []}
    check(lambda a, b: lib_of(a).cdist(a, b, p), x1, x2, second=False, **grads)
    check(lambda a, b: lib_of(a).dist(a, b, p), x1[0], x2[0, :1], second=False, **grads)


def test_cdist_compute_modes_agree():
    x1, x2 = rand((3, 4), 27), rand((6, 4), 28)
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        check(lambda a, b: lib_of(a).cdist(a, b, compute_mode=mode), x1, x2, second=False)


def test_kron_logaddexp_match_torch():
    check(lambda a, b: lib_of(a).kron(a, b), rand((2, 3), 29), rand((4, 1, 2), 30))
    a, b = rand((3, 4), 31) * 50, rand((3, 4), 32) * 50
    check(lambda x, y: lib_of(x).logaddexp(x, y), a, b)
    check(lambda x, y: lib_of(x).logaddexp2(x, y), a, b)


def test_float32_inputs_keep_float32():
    a = ember.tensor(well_conditioned((3, 3), 33).astype(np.float32))
    for fn in (ember.linalg.inv, ember.linalg.det, ember.linalg.pinv, ember.linalg.svdvals,
               ember.linalg.matrix_exp):
        assert fn(a).dtype == ember.float32, fn.__name__


def test_decomposition_errors():
    with pytest.raises(RuntimeError, match=r"linalg.inv: expected A to be a batch of square "
                                           r"matrices, got shape \[2, 3\]"):
        ember.linalg.inv(ember.zeros(2, 3))
    with pytest.raises(RuntimeError, match="expected A of dtype float32 or float64, got ember.int64"):
        ember.linalg.det(ember.zeros(2, 2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="linalg.inv: the input matrix is singular"):
        ember.linalg.inv(ember.zeros(2, 2))
    with pytest.raises(RuntimeError, match="linalg.cholesky: the input is not positive-definite"):
        ember.linalg.cholesky(-ember.eye(2))
    with pytest.raises(RuntimeError, match=r"expected B with 3 rows to match A \[3, 3\], got "
                                           r"shape \[2, 2\]"):
        ember.linalg.solve(ember.eye(3), ember.zeros(2, 2))
    with pytest.raises(RuntimeError, match="expected A and B of one dtype"):
        ember.linalg.solve(ember.eye(3), ember.zeros(3, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="UPLO to be 'L' or 'U', got 'X'"):
        ember.linalg.eigh(ember.eye(2), UPLO="X")
    with pytest.raises(RuntimeError, match="expected ord to be 'fro', 'nuc'"):
        ember.linalg.matrix_norm(ember.eye(2), "max")
    with pytest.raises(RuntimeError, match="expected size 3 along dim -1"):
        ember.linalg.cross(ember.zeros(2), ember.zeros(2))
    with pytest.raises(RuntimeError, match="same last dim, got shapes"):
        ember.cdist(ember.zeros(2, 3), ember.zeros(2, 4))
    with pytest.raises(ValueError, match="compute_mode"):
        ember.cdist(ember.zeros(2, 3), ember.zeros(2, 3), compute_mode="fast")
    with pytest.raises(TypeError, match="expected an integer power, got 0.5"):
        ember.linalg.matrix_power(ember.eye(2), 0.5)
    with pytest.raises(RuntimeError, match="at least 2 tensors, got 1"):
        ember.linalg.multi_dot([ember.eye(2)])


@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (2, 4, 4), (3, 5), (2, 2, 4)])
def test_qr_matches_torch(shape):
    # Q and R are unique once R's diagonal sign is fixed; LAPACK fixes it alike
    # in NumPy and PyTorch, so they are compared directly.
    a = rand(shape, 34)
    check(lambda x: la(x).qr(x), a)
    check(lambda x: la(x).qr(x, mode="r")[1], a, grad_inputs=[])  # PyTorch: no gradient
    if shape[-2] <= shape[-1]:
        check(lambda x: la(x).qr(x, mode="complete"), a)
    q, _ = ember.linalg.qr(ember.tensor(a), mode="r")
    assert tuple(q.shape) == (0,)


def test_qr_complete_of_a_tall_matrix_has_no_gradient_like_torch():
    x = ember.tensor(rand((4, 2), 35), requires_grad=True)
    q, r = ember.linalg.qr(x, mode="complete")
    assert tuple(q.shape) == (4, 4)
    with pytest.raises(RuntimeError, match="not defined for tall matrices"):
        q.sum().backward()
    with pytest.raises(RuntimeError, match="mode to be 'reduced', 'complete' or 'r', got 'x'"):
        ember.linalg.qr(x, mode="x")


@pytest.mark.parametrize("driver", [None, "gels", "gelsd", "gelss"])
@pytest.mark.parametrize("a_shape, b_shape", [((5, 3), (5, 2)), ((2, 4, 4), (2, 4, 1)),
                                              ((3, 5), (3, 2))])
def test_lstsq_matches_torch(driver, a_shape, b_shape):
    a, b = rand(a_shape, 36), rand(b_shape, 37)
    check(lambda x, y: la(x).lstsq(x, y, driver=driver).solution, a, b, second=False)
    ours = ember.linalg.lstsq(ember.tensor(a), ember.tensor(b), driver=driver)
    ref = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    for name in ("residuals", "rank", "singular_values"):
        assert tuple(getattr(ours, name).shape) == tuple(getattr(ref, name).shape), name
        if getattr(ref, name).numel():
            close(getattr(ours, name), getattr(ref, name), what=name)


@pytest.mark.parametrize("shape, k", [((5, 3), 3), ((2, 4, 4), 2), ((4, 2), 1)])
def test_householder_product_and_geqrf_match_torch(shape, k):
    a = rand(shape, 38)
    ours, ref = ember.geqrf(ember.tensor(a)), torch.geqrf(torch.tensor(a))
    close(ours[0], ref[0])
    close(ours[1], ref[1])
    tau = rand(shape[:-2] + (k,), 39)
    check(lambda x, t: la(x).householder_product(x, t), a, tau)
    q = ember.linalg.householder_product(*ours)
    close(q, torch.linalg.qr(torch.tensor(a))[0])


# ---- behaviours a review found different from PyTorch, now the same ----------


@pytest.mark.parametrize("fn", [
    lambda x: la(x).svdvals(x), lambda x: la(x).eigvalsh(x),
    lambda x: la(x).matrix_norm(x, 2), lambda x: la(x).matrix_norm(x, "nuc"),
    lambda x: la(x).pinv(x), lambda x: la(x).svd(x)[1]])
@pytest.mark.parametrize("a", [np.eye(3), np.diag([2.0, 0.0, 0.0])])
def test_repeated_singular_values_give_finite_gradients_like_torch(fn, a):
    check(fn, a, second=False)


def test_det_and_slogdet_gradients_at_a_singular_matrix_like_torch():
    a = np.stack([np.array([[1.0, 2.0], [2.0, 4.0]]), well_conditioned((2, 2), 44)])
    check(lambda x: la(x).det(x), a, second=False)
    x = ember.tensor(a, requires_grad=True)
    ember.linalg.slogdet(x).logabsdet.sum().backward()
    t = torch.tensor(a, requires_grad=True)
    torch.linalg.slogdet(t).logabsdet.sum().backward()
    # log 0: no finite gradient (PyTorch's pattern of infs and nans comes from its LU).
    assert not np.isfinite(x.grad.numpy()[0]).any() and not np.isfinite(t.grad.numpy()[0]).any()
    close(x.grad[1], t.grad[1])


def test_logaddexp_of_equal_infinities_like_torch():
    a = np.array([-np.inf, np.inf, 1.0])
    close(ember.logaddexp(ember.tensor(a), ember.tensor(a)),
          torch.logaddexp(torch.tensor(a), torch.tensor(a)))
    close(ember.logaddexp2(ember.tensor(a), ember.tensor(a)),
          torch.logaddexp2(torch.tensor(a), torch.tensor(a)))


def test_cholesky_upper_reads_the_upper_triangle_like_torch():
    a = spd((3, 3), 45) + np.tril(rand((3, 3), 46), -1)
    check(lambda x: la(x).cholesky(x, upper=True), a, second=False)


def test_pinv_hermitian_tolerances_and_rcond_like_torch():
    a = spd((3, 3), 47) - 5 * np.eye(3) + np.tril(rand((3, 3), 48), -1)
    check(lambda x: la(x).pinv(x, hermitian=True), a, second=False)
    d = np.diag([1.0, 1e-17, 0.5])
    for kwargs in ({"atol": 0.0}, {"atol": 0.6}, {"rtol": 0.7}, {"atol": 0.1, "rtol": 0.6}):
        close(ember.linalg.pinv(ember.tensor(d), **kwargs),
              torch.linalg.pinv(torch.tensor(d), **kwargs), what=str(kwargs))
    batch = np.stack([d, 2 * d])
    close(ember.linalg.pinv(ember.tensor(batch), atol=ember.tensor([0.6, 0.1])),
          torch.linalg.pinv(torch.tensor(batch), atol=torch.tensor([0.6, 0.1])))
    # rtol defaults to 0 only for the members whose atol is > 0: 1e-17 is kept
    # by the first (cut 1e-20), dropped by the second (cut eps * 3).
    atol = [1e-20, 0.0]
    close(ember.linalg.pinv(ember.tensor(batch), atol=ember.tensor(atol)),
          torch.linalg.pinv(torch.tensor(batch), atol=torch.tensor(atol)), rtol=1e-12, atol=1e-3)
    close(ember.linalg.pinv(ember.tensor(d), 0.7), torch.linalg.pinv(torch.tensor(d), 0.7))
    close(ember.linalg.pinv(ember.zeros(2, 0, 3)), torch.linalg.pinv(torch.zeros(2, 0, 3)))


def test_small_api_details_like_torch():
    a = well_conditioned((3, 3), 49)
    e, t = ember.tensor(a), torch.tensor(a)
    assert [tuple(x.shape) for x in ember.svd(ember.zeros(3, 4), compute_uv=False)] == \
        [tuple(x.shape) for x in torch.svd(torch.zeros(3, 4), compute_uv=False)]
    b = ember.linalg.matrix_power(e, 1)
    b.mul_(10)
    close(e, t)
    ints = np.array([[1, 2], [3, 4]])
    close(ember.linalg.matrix_power(ember.tensor(ints), 2),
          torch.linalg.matrix_power(torch.tensor(ints), 2))
    inf = np.array([[np.inf, 0.0], [0.0, 1.0]])
    assert np.isnan(ember.linalg.matrix_exp(ember.tensor(inf)).numpy()).any()
    tri = np.triu(rand((3, 3), 50))
    tri[1, 1] = 0.0
    rhs = rand((3, 2), 51)
    close(ember.linalg.solve_triangular(ember.tensor(tri), ember.tensor(rhs), upper=True),
          torch.linalg.solve_triangular(torch.tensor(tri), torch.tensor(rhs), upper=True))
    close(ember.linalg.matrix_norm(ember.zeros(2, 0, 3), 2),
          torch.linalg.matrix_norm(torch.zeros(2, 0, 3), 2))
    close(ember.linalg.svd(e, driver=None).S, torch.linalg.svd(t, driver=None).S)
    close(ember.linalg.eigh(ember.tensor(sym(a)), UPLO="l").eigenvalues,
          torch.linalg.eigh(torch.tensor(sym(a)), UPLO="L").eigenvalues)
    assert ember.linalg.slogdet(e).logabsdet.shape == ()
    assert ember.linalg.qr(e).Q.shape == (3, 3) and ember.svd(e).V.shape == (3, 3)
    assert ember.geqrf(e).tau.shape == (3,)
    x = ember.tensor(a, requires_grad=True)
    assert ember.linalg.slogdet(x).sign.requires_grad
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv(ember.zeros(2, 2))


def test_inputs_torch_refuses_are_refused():
    with pytest.raises(RuntimeError, match="same number of dimensions, got 1 and 2"):
        ember.linalg.cross(ember.ones(3), ember.ones(2, 3))
    with pytest.raises(RuntimeError, match="all tensors of one dtype"):
        ember.linalg.multi_dot([ember.eye(2, dtype=ember.float64), ember.eye(2)])
    with pytest.raises(RuntimeError, match=r"dim must be of length 1 or 2, got \(0, 1, 2\)"):
        ember.linalg.norm(ember.ones(2, 2, 2), dim=(0, 1, 2))
    with pytest.raises(RuntimeError, match="without narrowing to dtype=ember.float32"):
        ember.linalg.matrix_norm(ember.eye(2, dtype=ember.float64), dtype=ember.float32)
    with pytest.raises(RuntimeError, match="chain_matmul: expected 2-D tensors, got 1-D"), \
            pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        ember.chain_matmul(ember.ones(2), ember.eye(2))
    with pytest.raises(TypeError, match="logaddexp: expected input to be a floating point "
                                        "Tensor, got ember.int64"):
        ember.logaddexp(ember.tensor([1]), ember.tensor([2]))


def test_more_argument_errors_name_what_was_expected():
    cases = [
        (lambda: ember.linalg.solve(ember.eye(3), ember.zeros(3), left=False), RuntimeError,
         r"left=False needs B to be a batch of matrices, got shape \[3\]"),
        (lambda: ember.linalg.solve_triangular(ember.eye(3), ember.zeros(3), upper=True),
         RuntimeError, r"solve_triangular: expected B to be a batch of matrices, got shape \[3\]"),
        (lambda: ember.linalg.householder_product(ember.zeros(2, 3), ember.zeros(2)),
         RuntimeError, r"householder_product: expected A \(\*, m, n\) with m >= n"),
        (lambda: ember.geqrf(ember.zeros(3)), RuntimeError,
         r"geqrf: expected a floating batch of matrices, got shape \[3\]"),
        (lambda: ember.linalg.norm(ember.ones(2, 2, 2), "fro"), RuntimeError,
         "a matrix norm needs a 2-D input or dim"),
        (lambda: ember.linalg.norm(ember.ones(2, 2, 2), 3), RuntimeError,
         "a vector norm with ord=3 needs a 1-D input or dim"),
        (lambda: ember.linalg.lstsq(ember.zeros(3, 2), ember.zeros(4, 1)), RuntimeError,
         r"lstsq: expected A \(\*, m, n\) and B \(\*, m, k\) with equal m"),
        (lambda: ember.linalg.lstsq(ember.zeros(3, 2), ember.zeros(3, 1, dtype=ember.float64)),
         RuntimeError, "lstsq: expected A and B of one floating dtype"),
        (lambda: ember.linalg.lstsq(ember.zeros(3, 2), ember.zeros(3, 1), driver="qr"),
         RuntimeError, "expected driver to be one of gels, gelsy, gelsd, gelss, got 'qr'"),
        (lambda: ember.cdist(ember.zeros(2, 3), ember.zeros(2, 3, dtype=ember.float64)),
         RuntimeError, "cdist: expected x1 and x2 of one floating dtype"),
        (lambda: ember.cdist(ember.zeros(2, 3), ember.zeros(2, 3), -1.0), RuntimeError,
         "cdist: expected p to be a non-negative number, got -1.0"),
    ]
    for fn, error, message in cases:
        with pytest.raises(error, match=message):
            fn()
    with pytest.warns(UserWarning):
        with pytest.raises(RuntimeError, match=r"cross: no dimension of size 3 in input of "
                                               r"shape \[2, 2\]"):
            ember.cross(ember.zeros(2, 2), ember.zeros(2, 2))


def test_deprecated_cholesky_and_chain_matmul_warn_like_torch():
    a = ember.eye(2)
    for fn in (lambda: ember.cholesky(a), lambda: a.cholesky(upper=True)):
        with pytest.warns(UserWarning, match="cholesky is deprecated in favor of linalg.cholesky"):
            fn()
    with pytest.warns(UserWarning, match="chain_matmul is deprecated in favor of linalg.multi_dot"):
        ember.chain_matmul(a, a)
