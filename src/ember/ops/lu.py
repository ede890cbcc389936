"""LU factorization and the solves built on it.

``A = P L U`` with partial pivoting (row swaps picking the largest remaining
entry of each column), L unit lower triangular (m, k) and U upper triangular
(k, n), k = min(m, n). NumPy has no LU, so ``_getrf`` factors a whole batch
at once, one column per step (the row swaps and the rank-1 update are array
operations over every member). Pivots are LAPACK's: 1-based int32, row j was
swapped with row ``pivots[j]`` at step j.

The gradient of the factorization (any of ``linalg.lu_factor``, ``linalg.lu``,
``lu_unpack``) comes from dA = P (dL U + L dU): with
X = L^-1 P^T dA U^-1, dL = L tril(X, -1) and dU = triu(X) U, so for a square A

    gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T.

A wide A = P L [U1 | U2] adds U2 = L^-1 P^T A2 (what gU2 passes to L and to A2);
a tall P^T A = [L1; L2] U adds L2 = B2 U^-1 likewise (see ``_lu_backward``).
The backward is written with Ember ops, so second derivatives work.
``lu_solve`` is two triangular solves on the packed factors, its gradient
following them. ``inv_ex`` and ``solve_ex`` fall back on them for singular
members; ``cond`` uses ``inv_ex``. The Cholesky and triangular solves,
``cholesky_ex``, rank and the tensor solves are in ``lu_solvers.py``.
"""

import collections
import math
import numbers
import warnings

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.backend.device import xp_of
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.creation import eye
from ember.ops.comparison import where
from ember.ops.decomp import (LinAlgError, _is_vector_rhs, _matrices, _square, inv, solve,
                              solve_triangular, svdvals)
from ember.ops.lu_solvers import check_info, cholesky_inverse, cholesky_solve, triangular_solve
from ember.ops.matrix_fns import matrix_norm
from ember.ops.reduce import constant
from ember.ops.scatter import take_along_dim
from ember.ops.shape import cat, tril, triu

# torch's top-level names (``lu`` and ``lu_solve`` the deprecated ones);
# ``ember.linalg`` takes linalg_lu, linalg_lu_factor... under linalg's names.
__all__ = ["lu", "lu_solve", "lu_unpack", "cholesky_solve", "cholesky_inverse", "triangular_solve"]
__methods__ = ("lu", "lu_solve", "cholesky_solve", "cholesky_inverse", "triangular_solve")
__inplace__ = ()

LuFactorResult = collections.namedtuple("linalg_lu_factor", ("LU", "pivots"))
LuFactorExResult = collections.namedtuple("linalg_lu_factor_ex", ("LU", "pivots", "info"))
LuResult = collections.namedtuple("linalg_lu", ("P", "L", "U"))
LuUnpackResult = collections.namedtuple("lu_unpack", ("P", "L", "U"))
LuWithInfoResult = collections.namedtuple("_lu_with_info", ("LU", "pivots", "info"))
InvExResult = collections.namedtuple("linalg_inv_ex", ("inverse", "info"))
SolveExResult = collections.namedtuple("linalg_solve_ex", ("result", "info"))


def _getrf(xp, a, pivot=True):
    """Packed LU factors, pivots and info of a batch ``a`` (..., m, n), as LAPACK's getrf.

    info is 0, or the 1-based index of the first zero on U's diagonal (the
    factorization still completes: a zero pivot's column is all zero below it,
    so there is nothing to eliminate). Without ``pivot`` no rows are swapped
    and a zero pivot gives inf / nan below it.
    """
    *batch, m, n = a.shape
    k = min(m, n)
    count = int(np.prod(batch))
    lu = a.reshape(count, m, n).copy()
    pivots = xp.broadcast_to(xp.arange(1, k + 1, dtype=np.int32), (count, k)).copy()
    info = xp.zeros(count, np.int32)
    members = xp.arange(count)
    for j in range(k):
        if pivot:
            p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=1)
            pivots[:, j] = p + 1
            row = lu[:, j, :].copy()
            lu[:, j, :] = lu[members, p, :]
            lu[members, p, :] = row
        d = lu[:, j, j]
        zero = d == 0
        info[(info == 0) & zero] = j + 1
        if pivot:  # the column below a zero pivot is zero: leave it so
            d = xp.where(zero, 1, d)
        with np.errstate(divide="ignore", invalid="ignore"):
            lu[:, j + 1:, j] /= d[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    return (lu.reshape(a.shape), pivots.reshape(tuple(batch) + (k,)),
            info.reshape(tuple(batch)))


def _permutation(xp, pivots, m):
    """perm with (P^T A)[i] = A[perm[i]], from LAPACK pivots (..., k), rows m."""
    k = pivots.shape[-1]
    flat = pivots.reshape(int(np.prod(pivots.shape[:-1])), k).astype(np.int64) - 1
    perm = xp.broadcast_to(xp.arange(m), (flat.shape[0], m)).copy()
    members = xp.arange(flat.shape[0])
    for j in range(k):
        p = flat[:, j]
        swapped = perm[members, p]
        perm[members, p] = perm[:, j]
        perm[:, j] = swapped
    return perm.reshape(pivots.shape[:-1] + (m,))


def _permutation_matrix(xp, perm, dtype):
    """P with P[perm[i], i] = 1, so that A = P (P^T A)."""
    m = perm.shape[-1]
    return (perm[..., None, :] == xp.arange(m)[:, None]).astype(dtype)


def _unpack(lu):
    """L (unit diagonal) and U of packed factors, as differentiable tensors."""
    m, n = lu.shape[-2], lu.shape[-1]
    k = min(m, n)
    low = tril(lu, -1)[..., :, :k] + eye(m, k, dtype=lu.dtype, device=lu.device)
    return low, triu(lu)[..., :k, :]


class LuFactor(Function):
    """Packed LU factors (differentiable), pivots and info of a batch of matrices."""

    @staticmethod
    def forward(ctx, a, pivot):
        lu, pivots, info = _getrf(ctx.xp, a, pivot)
        ctx.save_for_backward(lu)
        ctx.pivots = pivots
        return lu, pivots, info

    @staticmethod
    def backward(ctx, g, g_pivots, g_info):
        (lu,) = ctx.saved_tensors
        k = min(lu.shape[-2], lu.shape[-1])
        low, up = _unpack(lu)
        perm = _permutation(ctx.xp, ctx.pivots, lu.shape[-2])
        g_a = _lu_backward(low, up, tril(g, -1)[..., :, :k], triu(g)[..., :k, :])
        return _rows(g_a, ctx.xp.argsort(perm, axis=-1)), None  # P g_a


def _lu_backward(low, up, g_low, g_up):
    """P^T gA for A = P L U from gL and gU (L (m, k), U (k, n), k = min(m, n))."""
    m, n = low.shape[-2], up.shape[-1]
    if m == n:
        inner = tril(low.mT @ g_low, -1) + triu(g_up @ up.mT)
        return _lt_solve(low, _rt_solve(up, inner))
    if m < n:
        # A = P L [U1 | U2]: U2 = L^-1 P^T A2 sends L^-T gU2 to A2 and
        # -L^-T gU2 U2^T to L.
        u1, u2, g_u1, g_u2 = up[..., :m], up[..., m:], g_up[..., :m], g_up[..., m:]
        inner = tril(low.mT @ g_low - g_u2 @ u2.mT, -1) + triu(g_u1 @ u1.mT)
        return _lt_solve(low, cat([_rt_solve(u1, inner), g_u2], -1))
    # P^T A = [L1; L2] U: L2 = B2 U^-1 sends gL2 U^-T to B2 and -L2^T gL2 U^-T to U.
    l1, l2, g_l1, g_l2 = low[..., :n, :], low[..., n:, :], g_low[..., :n, :], g_low[..., n:, :]
    inner = tril(l1.mT @ g_l1, -1) + triu(g_up @ up.mT - l2.mT @ g_l2)
    return _rt_solve(up, cat([_lt_solve(l1, inner), g_l2], -2))


def _lt_solve(low, b):
    """L^-T b, L unit lower triangular."""
    return solve_triangular(low.mT, b, upper=True, unitriangular=True)


def _rt_solve(up, b):
    """b U^-T, U upper triangular."""
    return solve_triangular(up.mT, b, upper=False, left=False)


# ---- factorizations -------------------------------------------------------------


def _factor(A, pivot, op):
    _matrices(A, op)
    if not isinstance(pivot, bool):
        raise TypeError(f"{op}: expected pivot to be a bool, got {type(pivot).__name__}")
    return LuFactor.apply(A, pivot)


def _zero_pivot(op):
    def why(j):
        return (f"U[{j},{j}] is zero and using it on lu_solve would result in a division by "
                "zero. If you still want to perform the factorization, consider calling "
                "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    return why


def linalg_lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info), as ``torch.linalg.lu_factor_ex``: the packed factors
    of ``A`` (*, m, n) (L's strict lower triangle and U), 1-based int32
    pivots (*, min(m, n)) and info (*): 0, or i where U[i, i] (1-based) is
    zero. With ``check_errors`` a nonzero info raises.

    ``pivot=False`` factors without row swaps (PyTorch does so on CUDA only;
    its CPU raises): pivots are then 1, ..., k.
    """
    lu, pivots, info = _factor(A, pivot, "linalg.lu_factor_ex")
    if check_errors:
        check_info(info, "linalg.lu_factor_ex", _zero_pivot("linalg.lu_factor_ex"))
    return LuFactorExResult(lu, pivots, info)


def linalg_lu_factor(A, *, pivot=True):
    """(LU, pivots), as ``torch.linalg.lu_factor``: see ``linalg.lu_factor_ex``.

    Raises:
        LinAlgError: a zero on U's diagonal (a singular square ``A``); use
            ``lu_factor_ex`` or ``linalg.lu`` to factor such a matrix.
    """
    lu, pivots, info = _factor(A, pivot, "linalg.lu_factor")
    check_info(info, "linalg.lu_factor", _zero_pivot("linalg.lu_factor"))
    return LuFactorResult(lu, pivots)


def linalg_lu(A, *, pivot=True):
    """(P, L, U) with A = P L U, as ``torch.linalg.lu``: for ``A`` (*, m, n),
    P (*, m, m) a permutation matrix, L (*, m, k) unit lower triangular and
    U (*, k, n) upper triangular, k = min(m, n). Singular matrices factor
    too. With ``pivot=False`` (PyTorch: CUDA only) no rows are swapped and P
    is empty."""
    lu, pivots, _ = _factor(A, pivot, "linalg.lu")
    p, low, up = lu_unpack(lu, pivots, unpack_pivots=pivot)
    return LuResult(p, low, up)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from packed factors and pivots, as ``torch.lu_unpack``; L and
    U are empty without ``unpack_data``, P without ``unpack_pivots``. L and U
    are differentiable in ``LU_data``.

    Differs from PyTorch: the pivots must have ``LU_data``'s batch shape
    (PyTorch accepts other shapes but then reads wrong permutations).
    """
    op = "lu_unpack"
    check_tensor(LU_data, op, "LU_data")
    check_tensor(LU_pivots, op, "LU_pivots")
    if LU_data.ndim < 2:
        raise RuntimeError(f"{op}: expected LU_data with 2 or more dimensions, got shape "
                           f"{fmt_shape(tuple(LU_data.shape))}")
    empty = LU_data.new_empty(0)
    low, up = _unpack(LU_data) if unpack_data else (empty, empty)
    if not unpack_pivots:
        return LuUnpackResult(empty, low, up)
    perm = _checked_permutation(LU_pivots, LU_data, op)
    p = _permutation_matrix(xp_of(perm), perm, LU_data._array.dtype)
    return LuUnpackResult(constant(p), low, up)


def _checked_permutation(pivots, lu, op):
    """The row permutation of LAPACK pivots for the factors ``lu``, after
    checking them (dtype, shape (*, k) with lu's batch, values in 1..m)."""
    m, n = lu.shape[-2], lu.shape[-1]
    expected = tuple(lu.shape[:-2]) + (min(m, n),)
    if pivots.dtype != _dt.int32:
        raise RuntimeError(f"{op}: expected pivots of dtype int32 (as linalg.lu_factor returns), "
                           f"got {pivots.dtype}")
    if tuple(pivots.shape) != expected:
        raise RuntimeError(f"{op}: expected pivots of shape {fmt_shape(expected)} for LU of shape "
                           f"{fmt_shape(tuple(lu.shape))}, got {fmt_shape(tuple(pivots.shape))}")
    arr = pivots._array
    if arr.size and (int(arr.min()) < 1 or int(arr.max()) > m):
        raise RuntimeError(f"{op}: expected pivots between 1 and {m} (the number of rows), "
                           f"got values from {int(arr.min())} to {int(arr.max())}")
    return _permutation(xp_of(arr), arr, m)


# ---- solves ---------------------------------------------------------------------


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B from A's LU factors, as ``torch.linalg.lu_solve``
    (``left=False``: X A = B; ``adjoint``: A^T instead of A). ``B`` is
    (*, n, k) (k, n with ``left=False``); batch dimensions broadcast.
    Differentiable in ``LU`` and ``B``. A zero on U's diagonal gives inf / nan,
    as LAPACK's getrs."""
    if _amp.active:
        return _amp.run("lu_solve", linalg_lu_solve, LU, pivots, B, left=left, adjoint=adjoint)
    op = "linalg.lu_solve"
    check_tensor(LU, op, "LU")
    check_tensor(B, op, "B")
    check_tensor(pivots, op, "pivots")
    if LU.ndim < 2 or LU.shape[-1] != LU.shape[-2]:
        raise RuntimeError(f"{op}: expected LU to be a batch of square matrices, got shape "
                           f"{fmt_shape(tuple(LU.shape))}")
    if B.ndim < 2:
        raise RuntimeError(f"{op}: expected B to be a batch of matrices, got shape "
                           f"{fmt_shape(tuple(B.shape))}")
    if B.dtype != LU.dtype:
        raise RuntimeError(f"{op}: expected LU and B of one dtype, got {LU.dtype} and {B.dtype}")
    n = LU.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        equation = "A X = B" if left else "X A = B"
        raise RuntimeError(f"{op}: incompatible shapes of A and B for {equation}: "
                           f"{fmt_shape(tuple(LU.shape[-2:]))} and "
                           f"{fmt_shape(tuple(B.shape[-2:]))}")
    perm = _checked_permutation(pivots, LU, op)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return _lu_solve(LU, perm, B.mT, not adjoint).mT
    return _lu_solve(LU, perm, B, adjoint)


def _lu_solve(lu, perm, b, adjoint):
    """A X = b (A^T X = b with ``adjoint``) for A = P L U, on checked inputs."""
    xp = xp_of(perm)
    if not adjoint:  # X = U^-1 L^-1 P^T b
        y = _rows(b, perm)
        y = solve_triangular(lu, y, upper=False, unitriangular=True)
        return solve_triangular(lu, y, upper=True)
    # A^T = U^T L^T P^T: X = P L^-T U^-T b
    y = solve_triangular(lu.mT, b, upper=False)
    y = solve_triangular(lu.mT, y, upper=True, unitriangular=True)
    return _rows(y, xp.argsort(perm, axis=-1))


def _rows(b, perm):
    """b[..., perm[i], :] for each row i, the batches of perm and b broadcast."""
    index = perm[..., None]
    index = index.reshape((1,) * max(0, b.ndim - index.ndim) + index.shape)
    if index.ndim > b.ndim:  # fewer batch dimensions in b: broadcast it too
        b = b.reshape((1,) * (index.ndim - b.ndim) + tuple(b.shape))
    return take_along_dim(b, constant(index), dim=-2)


# ---- solves that report singular matrices, condition number ------------------------


def linalg_inv_ex(A, *, check_errors=False):
    """(inverse, info), as ``torch.linalg.inv_ex``: ``linalg.inv`` that does not
    raise. info (*) int32 is 0, or i where U[i, i] (1-based) of A's LU
    factorization is zero; such a member's inverse holds inf / nan (from the
    LU solve, as PyTorch's). ``check_errors`` raises for a nonzero info."""
    if _amp.active:
        return _amp.run("inv", linalg_inv_ex, A, check_errors=check_errors)
    op = "linalg.inv_ex"
    _square(A, op)
    try:
        return InvExResult(inv(A), _no_info(A))
    except LinAlgError:  # some member is singular: solve A X = I by its LU factors
        pass
    lu_data, pivots, info = LuFactor.apply(A, True)
    if check_errors:
        check_info(info, op, lambda j: f"the diagonal element {j} is zero, the inversion could "
                                       "not be completed because the input matrix is singular")
    identity = eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(*A.shape)
    return InvExResult(linalg_lu_solve(lu_data, pivots, identity), info)


def linalg_solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info), as ``torch.linalg.solve_ex``: ``linalg.solve`` that does
    not raise for a singular ``A`` (info as ``linalg.inv_ex``'s, shape A's
    batch; the solution of a singular member holds inf / nan)."""
    if _amp.active:
        return _amp.run("solve", linalg_solve_ex, A, B, left=left, check_errors=check_errors)
    op = "linalg.solve_ex"
    _square(A, op)
    try:
        return SolveExResult(solve(A, B, left=left), _no_info(A))
    except LinAlgError:
        pass
    lu_data, pivots, info = LuFactor.apply(A, True)
    if check_errors:
        check_info(info, op, lambda j: "the solver failed because the input matrix is singular")
    vector = _is_vector_rhs(A, B)
    b = B.unsqueeze(-1) if vector else B
    x = linalg_lu_solve(lu_data, pivots, b, left=left)
    return SolveExResult(x.squeeze(-1) if vector else x, info)


def _no_info(A):
    return constant(xp_of(A._array).zeros(tuple(A.shape[:-2]), np.int32))


def _cond_norm(p):
    """Whether ``p`` is a norm ``linalg.cond`` takes."""
    if p is None or isinstance(p, str):
        return p in (None, "fro", "nuc")
    return (isinstance(p, numbers.Real) and not isinstance(p, bool)
            and p in (2, -2, 1, -1, math.inf, -math.inf))


def linalg_cond(A, p=None):
    """The condition number of ``A`` in the norm ``p``, as ``torch.linalg.cond``:
    the ratio of the largest to the smallest singular value for p = None or
    2 (its inverse for -2; any (*, m, n)), else norm(A, p) * norm(A^-1, p)
    for square ``A`` with p in 'fro', 'nuc', inf, -inf, 1, -1 (inf for a
    singular member). Differentiable; an empty matrix gives 0."""
    if _amp.active:
        return _amp.run("cond", linalg_cond, A, p)
    op = "linalg.cond"
    if not _cond_norm(p):
        raise RuntimeError(f"{op}: expected p to be one of None, 2, -2, 'fro', 'nuc', inf, -inf, "
                           f"1, -1, got {p!r}")
    _matrices(A, op)
    if p not in (None, 2, -2):
        _square(A, op)
    if min(A.shape[-2], A.shape[-1]) == 0:
        return A.new_zeros(*A.shape[:-2])
    if p in (None, 2, -2):
        s = svdvals(A)
        ratio = s[..., 0] / s[..., -1]
        return ratio if p != -2 else 1 / ratio
    inverse, info = linalg_inv_ex(A)
    singular = (info != 0).unsqueeze(-1).unsqueeze(-1)
    # A singular member's inverse (inf / nan) is replaced before the norm, which
    # might not converge on it; its condition number is inf anyway.
    inverse = where(singular, eye(A.shape[-1], dtype=A.dtype, device=A.device), inverse)
    value = matrix_norm(A, p) * matrix_norm(inverse, p)
    return where(info != 0, math.inf, value)


# ---- PyTorch's deprecated names ---------------------------------------------------


def lu(A, pivot=True, get_infos=False):
    """(LU, pivots), or (LU, pivots, infos) with ``get_infos``, as the
    deprecated ``torch.lu`` (use ``linalg.lu_factor`` / ``lu_factor_ex``).
    Singular matrices do not raise."""
    warnings.warn("lu is deprecated in favor of linalg.lu_factor and linalg.lu_factor_ex",
                  UserWarning, stacklevel=2)
    lu_data, pivots, info = _factor(A, pivot, "lu")
    if get_infos:
        return LuWithInfoResult(lu_data, pivots, info)
    return lu_data, pivots


def lu_solve(b, LU_data, LU_pivots):
    """X with A X = b from A's LU factors, as the deprecated ``torch.lu_solve``
    (note the order: ``b`` first; ``linalg.lu_solve(LU, pivots, B)`` replaces it)."""
    if _amp.active:
        return _amp.run("lu_solve", lu_solve, b, LU_data, LU_pivots)
    warnings.warn("lu_solve is deprecated in favor of linalg.lu_solve, which takes its "
                  "arguments as (LU, pivots, B)", UserWarning, stacklevel=2)
    return linalg_lu_solve(LU_data, LU_pivots, b)
