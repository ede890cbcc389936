"""LU factorization, the LU / Cholesky / triangular solves, the ``_ex`` variants,
rank, condition number and tensor solves against torch: values, gradients and
second derivatives in float64."""

import importlib
import math
import warnings

import numpy as np
import pytest
import torch

import ember
from reference import check, close, rand, same, to_np


def lib_of(t):
    return ember if isinstance(t, ember.Tensor) else torch


def la(t):
    return lib_of(t).linalg


def well_conditioned(shape, seed):
    return rand(shape, seed) + 2 * shape[-1] ** 0.5 * np.eye(shape[-1])


def lower_factor(shape, seed):
    """Lower triangular with a diagonal well away from zero (a Cholesky factor)."""
    return np.tril(rand(shape, seed)) + 2 * np.eye(shape[-1])


def singular(seed, zero_column=2):
    """A 3x3 integer matrix with a zero column: its LU meets an exact zero
    pivot (info = zero_column + 1) whatever the rounding."""
    a = np.random.default_rng(seed).integers(-3, 4, (3, 3)).astype(np.float64)
    a[:, zero_column] = 0.0
    a[zero_column - 1 if zero_column else 1, 0] = 5.0  # a nonzero first column
    return a


# ---- the factorization -------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (3, 5), (5, 3), (2, 1, 2, 4), (1, 1)])
def test_lu_factor_matches_torch(shape):
    a = rand(shape, 0)
    check(lambda x: la(x).lu_factor(x), a)
    check(lambda x: la(x).lu_factor_ex(x)[:2], a, second=False)


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (3, 5), (5, 3), (2, 2, 4)])
def test_lu_matches_torch(shape):
    a = rand(shape, 1)
    out = check(lambda x: la(x).lu(x), a)
    p, low, up = out
    np.testing.assert_allclose(to_np(p) @ to_np(low) @ to_np(up), a, atol=1e-12)
    assert not p.requires_grad


def test_lu_gradients_match_finite_differences():
    for shape in [(3, 3), (2, 4), (4, 2)]:
        x = ember.tensor(rand(shape, 2), requires_grad=True)
        assert ember.autograd.gradcheck(lambda t: ember.linalg.lu(t)[1:], (x,))
        assert ember.autograd.gradgradcheck(lambda t: ember.linalg.lu_factor(t)[0], (x,))


def test_pivots_follow_lapack_like_torch():
    # Ties and zero columns: the first largest entry is the pivot, a zero column
    # keeps its row; info names the first zero on U's diagonal.
    cases = [np.array([[1.0, 2.0], [-1.0, 3.0]]), np.zeros((3, 3)), singular(3),
             singular(3, zero_column=1), singular(3, zero_column=0),
             np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 4.0], [0.0, 5.0, 7.0]]),
             np.stack([singular(4), np.eye(3)])]
    for a in cases:
        ours = ember.linalg.lu_factor_ex(ember.tensor(a))
        ref = torch.linalg.lu_factor_ex(torch.tensor(a))
        for name in ("LU", "pivots", "info"):
            close(getattr(ours, name), getattr(ref, name), what=name)
        assert ours.pivots.dtype == ember.int32 and ours.info.dtype == ember.int32
        close(ember.lu_unpack(ours.LU, ours.pivots).P, torch.lu_unpack(ref.LU, ref.pivots).P)


def test_lu_factor_keeps_float32_like_torch():
    a = rand((2, 4, 4), 5).astype(np.float32)
    ours, ref = ember.linalg.lu_factor(ember.tensor(a)), torch.linalg.lu_factor(torch.tensor(a))
    assert ours.LU.dtype == ember.float32
    close(ours.LU, ref.LU, rtol=1e-5, atol=1e-6)
    close(ours.pivots, ref.pivots)


def test_lu_without_pivoting_factors_in_place():
    # PyTorch does this on CUDA only; its CPU raises.
    a = rand((2, 3, 4), 6) + 4 * np.eye(3, 4)
    lu_data, pivots, info = ember.linalg.lu_factor_ex(ember.tensor(a), pivot=False)
    np.testing.assert_array_equal(pivots.numpy(), np.broadcast_to([1, 2, 3], (2, 3)))
    p, low, up = ember.linalg.lu(ember.tensor(a), pivot=False)
    assert tuple(p.shape) == (0,)
    np.testing.assert_allclose(low.numpy() @ up.numpy(), a, atol=1e-12)
    assert not info.numpy().any()


def test_empty_matrices_like_torch():
    for shape in [(0, 3, 3), (2, 3, 0), (0, 0)]:
        ours = ember.linalg.lu_factor_ex(ember.zeros(*shape))
        ref = torch.linalg.lu_factor_ex(torch.zeros(*shape))
        for a, b in zip(ours, ref):
            assert tuple(a.shape) == tuple(b.shape)
    assert tuple(ember.linalg.inv_ex(ember.zeros(2, 0, 0)).info.shape) == (2,)


# ---- lu_unpack, lu_solve and the deprecated names ---------------------------------------


@pytest.mark.parametrize("shape", [(3, 3), (2, 5, 3), (2, 3, 5)])
def test_lu_unpack_matches_torch(shape):
    t_lu, t_piv = torch.linalg.lu_factor(torch.tensor(rand(shape, 7)))
    piv = t_piv.numpy()
    check(lambda x, p: lib_of(x).lu_unpack(x, p), t_lu.numpy(), piv)
    for flags in ({"unpack_data": False}, {"unpack_pivots": False},
                  {"unpack_data": False, "unpack_pivots": False}):
        ours = ember.lu_unpack(ember.tensor(t_lu.numpy()), ember.tensor(piv), **flags)
        ref = torch.lu_unpack(t_lu, t_piv, **flags)
        for a, b in zip(ours, ref):
            close(a, b, what=str(flags))


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("a_shape, b_shape", [((3, 3), (3, 2)), ((2, 3, 3), (4, 1, 3, 3))])
def test_lu_solve_matches_torch(left, adjoint, a_shape, b_shape):
    t_lu, t_piv = torch.linalg.lu_factor(torch.tensor(rand(a_shape, 9)))
    b = rand(b_shape if left else b_shape[:-2] + b_shape[-2:][::-1], 10)
    check(lambda x, p, y: la(x).lu_solve(x, p, y, left=left, adjoint=adjoint), t_lu.numpy(),
          t_piv.numpy(), b)


def test_lu_solve_through_the_factorization_matches_torch():
    a, b = rand((2, 4, 4), 11), rand((2, 4, 3), 12)
    check(lambda x, y: la(x).lu_solve(*la(x).lu_factor(x), y), a, b)
    check(lambda x, y: la(x).lu_solve(*la(x).lu_factor(x), y, adjoint=True), a, b,
          second=False)


def test_deprecated_lu_and_lu_solve_match_torch():
    a, b = rand((2, 3, 3), 13), rand((2, 3, 2), 14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda x: lib_of(x).lu(x), a)
        check(lambda x: x.lu(), a)
        check(lambda x: lib_of(x).lu(x, get_infos=True), a, second=False)
        check(lambda x, y: lib_of(x).lu_solve(y, *lib_of(x).lu(x)), a, b)
        check(lambda x, y: y.lu_solve(*x.lu()), a, b, second=False)
        ours = ember.lu(ember.tensor(singular(15)), get_infos=True)
        ref = torch.lu(torch.tensor(singular(15)), get_infos=True)
    close(ours.info, ref.info)
    with pytest.warns(UserWarning, match="lu is deprecated"):
        ember.lu(ember.tensor(a))
    with pytest.warns(UserWarning, match="linalg.lu_solve"):
        ember.lu_solve(ember.tensor(b), *ember.linalg.lu_factor(ember.tensor(a)))


def test_lu_solve_of_a_singular_factor_gives_inf_like_torch():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    b = np.ones((2, 1))
    ours = ember.linalg.lu_factor_ex(ember.tensor(a))
    ref = torch.linalg.lu_factor_ex(torch.tensor(a))
    close(ember.linalg.lu_solve(ours.LU, ours.pivots, ember.tensor(b)),
          torch.linalg.lu_solve(ref.LU, ref.pivots, torch.tensor(b)))


# ---- Cholesky and triangular solves -------------------------------------------------------


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("b_shape, l_shape", [((3, 2), (3, 3)), ((2, 4, 1), (4, 4)),
                                              ((3, 2), (2, 3, 3))])
def test_cholesky_solve_matches_torch(upper, b_shape, l_shape):
    factor = lower_factor(l_shape, 16)
    if upper:
        factor = np.swapaxes(factor, -1, -2)
    check(lambda b, f: lib_of(b).cholesky_solve(b, f, upper), rand(b_shape, 17), factor)
    check(lambda b, f: b.cholesky_solve(f, upper), rand(b_shape, 17), factor, second=False)


def test_cholesky_solve_gradient_uses_all_of_the_factor_like_torch():
    # Only one triangle is read, but the gradient is that of A = L L^T for the
    # whole of L, as PyTorch's.
    f = lower_factor((3, 3), 18) + np.triu(rand((3, 3), 19), 1)
    check(lambda b, x: lib_of(b).cholesky_solve(b, x), rand((3, 2), 20), f)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_matches_torch(upper):
    factor = lower_factor((2, 3, 3), 21)
    if upper:
        factor = np.swapaxes(factor, -1, -2)
    check(lambda f: lib_of(f).cholesky_inverse(f, upper), factor)
    check(lambda f: f.cholesky_inverse(upper), factor, second=False)
    spd = factor @ np.swapaxes(factor, -1, -2) if not upper else \
        np.swapaxes(factor, -1, -2) @ factor
    np.testing.assert_allclose(ember.cholesky_inverse(ember.tensor(factor), upper).numpy(),
                               np.linalg.inv(spd), atol=1e-12)


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_triangular_solve_matches_torch(upper, transpose, unit):
    a, b = well_conditioned((2, 1, 3, 3), 22), rand((4, 3, 2), 23)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda y, x: lib_of(x).triangular_solve(y, x, upper, transpose, unit), b, a)
        check(lambda y, x: y.triangular_solve(x, upper, transpose, unit).solution, b, a,
              second=False)
    with pytest.warns(UserWarning, match="linalg.solve_triangular"):
        ember.triangular_solve(ember.tensor(b), ember.tensor(a))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_ex_matches_torch(upper):
    a = rand((2, 4, 4), 24)
    a = a @ np.swapaxes(a, -1, -2) + 4 * np.eye(4)
    check(lambda x: la(x).cholesky_ex((x + x.mT) / 2, upper=upper), a)


def test_cholesky_ex_reports_the_failing_minor_like_torch():
    a = np.array([[4.0, 2, 1, 3], [2, 5, 1, 2], [1, 1, -3, 1], [3, 2, 1, 9]])
    good = np.eye(4) * 2
    for upper in (False, True):
        batch = np.stack([a, good, a.T])
        x = ember.tensor(batch, requires_grad=True)
        ours = ember.linalg.cholesky_ex(x, upper=upper)
        ref = torch.linalg.cholesky_ex(torch.tensor(batch), upper=upper)
        close(ours.info, ref.info)
        close(ours.L, ref.L, what="L, partial factors included")
        ours.L.sum().backward()
        t = torch.tensor(good, requires_grad=True)
        torch.linalg.cholesky(t, upper=upper).sum().backward()
        close(x.grad[1], t.grad, what="the gradient of the member that factors")
    with pytest.raises(ember.linalg.LinAlgError, match=r"linalg.cholesky_ex: \(Batch element 1\): "
                       r".*the leading minor of order 3 is not positive-definite"):
        ember.linalg.cholesky_ex(ember.tensor(np.stack([good, a])), check_errors=True)


# ---- inv_ex, solve_ex --------------------------------------------------------------------


def test_inv_ex_and_solve_ex_match_torch():
    a = well_conditioned((2, 3, 3), 25)
    check(lambda x: la(x).inv_ex(x), a)
    check(lambda x, y: la(x).solve_ex(x, y), a, rand((2, 3, 2), 26))
    check(lambda x, y: la(x).solve_ex(x, y), a, rand((2, 3), 27))
    check(lambda x, y: la(x).solve_ex(x, y, left=False), a, rand((2, 4, 3), 28), second=False)


def test_inv_ex_and_solve_ex_of_singular_matrices_like_torch():
    batch = np.stack([singular(29), well_conditioned((3, 3), 30), np.zeros((3, 3))])
    ours, ref = ember.linalg.inv_ex(ember.tensor(batch)), torch.linalg.inv_ex(torch.tensor(batch))
    close(ours.info, ref.info)
    close(ours.inverse, ref.inverse)  # inf / nan where singular, in torch's pattern
    b = rand((3, 3, 2), 31)
    ours = ember.linalg.solve_ex(ember.tensor(batch), ember.tensor(b))
    ref = torch.linalg.solve_ex(torch.tensor(batch), torch.tensor(b))
    close(ours.info, ref.info)
    close(ours.result, ref.result)
    # The nonsingular member keeps its gradient.
    x = ember.tensor(batch, requires_grad=True)
    ember.linalg.inv_ex(x).inverse[1].sum().backward()
    t = torch.tensor(batch[1], requires_grad=True)
    torch.linalg.inv(t).sum().backward()
    close(x.grad[1], t.grad)
    with pytest.raises(ember.linalg.LinAlgError, match=r"inv_ex: \(Batch element 0\): the "
                                                       r"diagonal element 3 is zero"):
        ember.linalg.inv_ex(ember.tensor(batch), check_errors=True)
    with pytest.raises(ember.linalg.LinAlgError, match="solve_ex: the solver failed because the "
                                                       "input matrix is singular"):
        ember.linalg.solve_ex(ember.zeros(2, 2), ember.ones(2), check_errors=True)


# ---- rank, condition number, tensor solves ---------------------------------------------------


def test_matrix_rank_matches_torch():
    r = np.random.default_rng(32)
    low_rank = r.standard_normal((3, 5, 2)) @ r.standard_normal((3, 2, 4))
    low_rank[1, :, 0] *= 1e-9
    sym = low_rank[..., :4, :] @ np.swapaxes(low_rank[..., :4, :], -1, -2)
    for a, kwargs in [(low_rank, {}), (low_rank, {"atol": 1e-6}), (low_rank, {"rtol": 0.5}),
                      (low_rank, {"atol": 0.0}), (low_rank, {"atol": 1.0, "rtol": 1e-3}),
                      (sym, {"hermitian": True}), (np.eye(3), {"tol": 0.5}),
                      (np.diag([3.0, 0.2, 0.0]), {"atol": np.array(0.5)}),
                      (np.zeros((2, 0, 3)), {})]:
        kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        ours = ember.linalg.matrix_rank(ember.tensor(a), **{
            k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
        close(ours, torch.linalg.matrix_rank(torch.tensor(a), **kw), what=str(kwargs))
    atol = np.array([0.5, 1e-12, 3.0])
    close(ember.linalg.matrix_rank(ember.tensor(low_rank), atol=ember.tensor(atol)),
          torch.linalg.matrix_rank(torch.tensor(low_rank), atol=torch.tensor(atol)))
    close(ember.linalg.matrix_rank(ember.tensor(np.eye(3)), 1.5, True),
          torch.linalg.matrix_rank(torch.tensor(np.eye(3)), 1.5, True))


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", math.inf, -math.inf, 1, -1])
def test_cond_matches_torch(p):
    a = well_conditioned((2, 3, 3), 33)
    if p in ("fro", math.inf, -math.inf, 1, -1):
        # PyTorch's backward fails for these (it modifies inv_ex's output in
        # place); values against it, gradients by finite differences.
        close(ember.linalg.cond(ember.tensor(a), p), torch.linalg.cond(torch.tensor(a), p))
        x = ember.tensor(a, requires_grad=True)
        assert ember.autograd.gradcheck(lambda t: ember.linalg.cond(t, p), (x,))
        assert ember.autograd.gradgradcheck(lambda t: ember.linalg.cond(t, p), (x,))
    else:
        check(lambda x: la(x).cond(x, p), a)
    if p in (None, 2, -2):
        check(lambda x: la(x).cond(x, p), rand((4, 3), 34))
    singular_batch = np.stack([singular(35), a[0]])
    ours = ember.linalg.cond(ember.tensor(singular_batch), p)
    ref = torch.linalg.cond(torch.tensor(singular_batch), p)
    if p in (None, 2, -2):  # the smallest singular value is rounding noise: compare the other
        close(ours[1], ref[1])
    else:
        close(ours, ref)
    close(ember.linalg.cond(ember.zeros(2, 0, 0), p), torch.linalg.cond(torch.zeros(2, 0, 0), p))


def test_tensorinv_and_tensorsolve_match_torch():
    a = well_conditioned((6, 6), 36)
    check(lambda x: la(x).tensorinv(x.reshape(6, 2, 3), ind=1), a)
    check(lambda x: la(x).tensorinv(x.reshape(2, 3, 3, 2)), a)
    check(lambda x, y: la(x).tensorsolve(x.reshape(2, 3, 6), y), a, rand((2, 3), 37))
    check(lambda x, y: la(x).tensorsolve(x.reshape(2, 3, 2, 3), y, dims=(0,)), a,
          rand((3, 2), 38))
    check(lambda x, y: la(x).tensorsolve(x.reshape(6, 2, 3), y, dims=(0,)), a, rand((2, 3), 39),
          second=False)


def test_linalg_vander_diagonal_matmul_match_torch():
    x = rand((2, 3), 40)
    x[0, 1] = 0.0  # exact gradients through a zero
    check(lambda t: la(t).vander(t), x)
    check(lambda t: la(t).vander(t, N=5), x[0])
    close(ember.linalg.vander(ember.tensor([1, 2, 3], dtype=ember.int32)),
          torch.linalg.vander(torch.tensor([1, 2, 3], dtype=torch.int32)))
    a = rand((2, 3, 4), 41)
    check(lambda t: la(t).diagonal(t), a)
    check(lambda t: la(t).diagonal(t, offset=1, dim1=0, dim2=2), a)
    check(lambda t, u: la(t).matmul(t, u), a, rand((4, 2), 42))


@pytest.mark.filterwarnings("ignore:.*triangular_solve is deprecated")
def test_float32_inputs_keep_float32_like_torch():
    a = well_conditioned((2, 3, 3), 45).astype(np.float32)
    b = rand((2, 3, 2), 46).astype(np.float32)
    factor = lower_factor((2, 3, 3), 47).astype(np.float32)
    same(lambda x: la(x).lu_factor(x), a)
    same(lambda x: la(x).lu(x), a)
    same(lambda x, y: la(x).lu_solve(*la(x).lu_factor(x), y), a, b)
    same(lambda y, f: lib_of(f).cholesky_solve(y, f), b, factor)
    same(lambda f: lib_of(f).cholesky_inverse(f), factor)
    same(lambda f: la(f).cholesky_ex(f @ f.mT), factor)
    same(lambda x: la(x).inv_ex(x), a)
    same(lambda x, y: la(x).solve_ex(x, y), a, b)
    same(lambda y, x: lib_of(x).triangular_solve(y, x), b, a)
    same(lambda x: la(x).cond(x), a)
    same(lambda x: la(x).cond(x, 1), a)
    same(lambda x: la(x).matrix_rank(x), a)
    same(lambda x: la(x).tensorinv(x[0], ind=1), a)
    same(lambda x: la(x).vander(x[0, 0]), a)


# ---- errors ----------------------------------------------------------------------------


def test_singular_lu_factor_raises_like_torch():
    with pytest.raises(ember.linalg.LinAlgError, match=r"linalg.lu_factor: U\[3,3\] is zero and "
                                                       r"using it on lu_solve would result in a "
                                                       r"division by zero"):
        ember.linalg.lu_factor(ember.tensor(singular(43)))
    with pytest.raises(RuntimeError, match=r"lu_factor_ex: \(Batch element 1\): U\[3,3\]"):
        ember.linalg.lu_factor_ex(ember.tensor(np.stack([np.eye(3), singular(43)])),
                                  check_errors=True)
    with pytest.raises(ember.linalg.LinAlgError, match="cholesky_inverse: the diagonal element 2 "
                                                       "is zero"):
        ember.cholesky_inverse(ember.tensor(np.diag([1.0, 0.0, 0.0])))


@pytest.mark.filterwarnings("ignore:.*triangular_solve is deprecated")
def test_argument_errors_name_what_was_expected():
    e = ember.tensor
    lu_data, piv = ember.linalg.lu_factor(e(well_conditioned((3, 3), 44)))
    cases = [
        (lambda: ember.linalg.lu_factor(ember.ones(3)), RuntimeError,
         r"linalg.lu_factor: expected a batch of matrices, got shape \[3\]"),
        (lambda: ember.linalg.lu(ember.eye(3, dtype=ember.int64)), RuntimeError,
         "linalg.lu: expected A of dtype float32 or float64, got ember.int64"),
        (lambda: ember.linalg.lu_factor(ember.eye(3), pivot=1), TypeError,
         "expected pivot to be a bool, got int"),
        (lambda: ember.linalg.lu_solve(ember.zeros(3, 4), piv, ember.zeros(3, 1)), RuntimeError,
         r"lu_solve: expected LU to be a batch of square matrices, got shape \[3, 4\]"),
        (lambda: ember.linalg.lu_solve(lu_data, piv, e(np.zeros((4, 2)))), RuntimeError,
         r"lu_solve: incompatible shapes of A and B for A X = B: \[3, 3\] and \[4, 2\]"),
        (lambda: ember.linalg.lu_solve(lu_data, piv, e(np.zeros((3, 2))), left=False),
         RuntimeError, r"incompatible shapes of A and B for X A = B: \[3, 3\] and \[3, 2\]"),
        (lambda: ember.linalg.lu_solve(lu_data, piv, ember.zeros(3)), RuntimeError,
         r"lu_solve: expected B to be a batch of matrices, got shape \[3\]"),
        (lambda: ember.linalg.lu_solve(lu_data, piv, ember.zeros(3, 1, dtype=ember.float32)),
         RuntimeError, "expected LU and B of one dtype, got ember.float64 and ember.float32"),
        (lambda: ember.linalg.lu_solve(lu_data, piv.long(), ember.zeros(3, 1,
                                                                        dtype=ember.float64)),
         RuntimeError, "lu_solve: expected pivots of dtype int32"),
        (lambda: ember.linalg.lu_solve(lu_data, piv[:2], ember.zeros(3, 1, dtype=ember.float64)),
         RuntimeError, r"expected pivots of shape \[3\] for LU of shape \[3, 3\], got \[2\]"),
        (lambda: ember.lu_unpack(lu_data, piv * 5), RuntimeError,
         "lu_unpack: expected pivots between 1 and 3"),
        (lambda: ember.lu_unpack(ember.ones(2, 3, 3), piv), RuntimeError,
         r"lu_unpack: expected pivots of shape \[2, 3\] for LU of shape \[2, 3, 3\], got \[3\]"),
        (lambda: ember.lu_unpack(ember.ones(3), piv), RuntimeError,
         r"lu_unpack: expected LU_data with 2 or more dimensions, got shape \[3\]"),
        (lambda: ember.cholesky_solve(ember.ones(2, 2), ember.eye(3)), RuntimeError,
         "cholesky_solve: incompatible matrix sizes: each L matrix is 3 by 3 but each B matrix "
         "is 2 by 2"),
        (lambda: ember.cholesky_solve(ember.ones(3), ember.eye(3)), RuntimeError,
         r"cholesky_solve: expected B to have at least 2 dimensions, got shape \[3\]"),
        (lambda: ember.cholesky_solve(ember.ones(3, 1), ember.ones(3, 2)), RuntimeError,
         r"cholesky_solve: expected L to be a batch of square matrices, got shape \[3, 2\]"),
        (lambda: ember.cholesky_solve(ember.ones(3, 1, dtype=ember.float64), ember.eye(3)),
         RuntimeError, "expected B and L of one dtype, got ember.float64 and ember.float32"),
        (lambda: ember.cholesky_inverse(ember.ones(3)), RuntimeError,
         r"cholesky_inverse: expected L to be a batch of square matrices, got shape \[3\]"),
        (lambda: ember.triangular_solve(ember.ones(2, 2), ember.eye(3)), RuntimeError,
         "triangular_solve: incompatible matrix sizes: each A matrix is 3 by 3"),
        (lambda: ember.linalg.cholesky_ex(ember.ones(2, 3)), RuntimeError,
         r"cholesky_ex: expected A to be a batch of square matrices, got shape \[2, 3\]"),
        (lambda: ember.linalg.inv_ex(ember.ones(2, 3)), RuntimeError,
         r"inv_ex: expected A to be a batch of square matrices"),
        (lambda: ember.linalg.solve_ex(ember.eye(3), ember.ones(3, 2), left=False),
         RuntimeError, "linalg.solve"),
        (lambda: ember.linalg.matrix_rank(ember.ones(3)), RuntimeError,
         r"matrix_rank: expected a batch of matrices, got shape \[3\]"),
        (lambda: ember.linalg.matrix_rank(ember.eye(3, dtype=ember.int64)), RuntimeError,
         "expected A of dtype float32 or float64"),
        (lambda: ember.linalg.matrix_rank(ember.ones(2, 3), hermitian=True), RuntimeError,
         "expected A to be a batch of square matrices"),
        (lambda: ember.linalg.matrix_rank(ember.eye(3), 0.5, atol=0.5), TypeError,
         "expected either tol or atol / rtol, got both"),
        (lambda: ember.linalg.cond(ember.ones(2, 3), 1), RuntimeError,
         r"linalg.cond: expected A to be a batch of square matrices, got shape \[2, 3\]"),
        (lambda: ember.linalg.cond(ember.eye(2), 3), RuntimeError,
         "linalg.cond: expected p to be one of None, 2, -2, 'fro', 'nuc', inf, -inf, 1, -1, "
         "got 3"),
        (lambda: ember.linalg.cond(ember.eye(2), "x"), RuntimeError, "got 'x'"),
        (lambda: ember.linalg.cond(ember.ones(3)), RuntimeError,
         r"cond: expected a batch of matrices, got shape \[3\]"),
        (lambda: ember.linalg.tensorinv(ember.ones(2, 3)), RuntimeError,
         r"tensorinv: expected prod\(A.shape\[ind:\]\) == prod\(A.shape\[:ind\]\), got 1 != 6"),
        (lambda: ember.linalg.tensorinv(ember.ones(4, 2, 2), ind=0), RuntimeError,
         "tensorinv: expected a strictly positive integer for ind, got 0"),
        (lambda: ember.linalg.tensorsolve(ember.ones(2, 3, 4), ember.ones(2, 3)), RuntimeError,
         r"tensorsolve: expected prod\(A.shape\[B.ndim:\]\) == B.numel\(\) == "
         r"prod\(A.shape\[:B.ndim\]\), got 4, 6 and 6"),
        (lambda: ember.linalg.vander(ember.tensor([True, False])), RuntimeError,
         "linalg.vander: expected a floating point or integer x, got ember.bool"),
        (lambda: ember.linalg.vander(ember.ones(3), N=1), RuntimeError,
         "linalg.vander: expected N greater than 1, got 1"),
        (lambda: ember.linalg.vander(ember.tensor(2.0)), RuntimeError,
         "linalg.vander: expected x with at least 1 dimension"),
        (lambda: ember.linalg.diagonal(ember.ones(2, 2), 1), TypeError, "positional"),
    ]
    for fn, error, message in cases:
        with pytest.raises(error, match=message):
            fn()


def test_public_names_are_torch_names_with_docstrings():
    lu_ops = importlib.import_module("ember.ops.lu")  # ember.ops.lu is the function
    for name in lu_ops.__all__:
        assert hasattr(torch, name) and getattr(ember, name).__doc__, name
    assert set(lu_ops.__methods__) == {n for n in lu_ops.__all__ if hasattr(torch.Tensor, n)}
    for name in ember.linalg.__all__:
        assert hasattr(torch.linalg, name) and getattr(ember.linalg, name).__doc__, name


def test_lu_solve_and_solve_ex_broadcast_an_unbatched_b_like_torch():
    r = np.random.default_rng(40)
    a, b = r.standard_normal((2, 3, 3)), r.standard_normal((3, 2))
    lu, piv = ember.linalg.lu_factor(ember.tensor(a))
    lut, pivt = torch.linalg.lu_factor(torch.tensor(a))
    x = ember.linalg.lu_solve(lu, piv, ember.tensor(b))
    close(x, torch.linalg.lu_solve(lut, pivt, torch.tensor(b)))
    singular = np.array([[[1.0, 2, 3], [2, 4, 6], [1, 0, 1]], [[2.0, 1, 0], [1, 3, 1], [0, 1, 4]]])
    for rhs in (np.arange(6.0).reshape(3, 2), np.arange(3.0)):
        ours = ember.linalg.solve_ex(ember.tensor(singular), ember.tensor(rhs))
        theirs = torch.linalg.solve_ex(torch.tensor(singular), torch.tensor(rhs))
        assert ours.info.tolist() == theirs.info.tolist() == [3, 0]
        assert tuple(ours.result.shape) == tuple(theirs.result.shape)
        close(ours.result[1], theirs.result[1])  # the regular member
