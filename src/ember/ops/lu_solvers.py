"""Cholesky and triangular solves, ``cholesky_ex``, rank and the tensor solves.

``lu.py`` (the family module) re-exports the names torch has at its top
level (``cholesky_solve``, ``cholesky_inverse``, ``triangular_solve``);
``ember.linalg`` imports the rest. The LU-based ``inv_ex``, ``solve_ex`` and
``cond`` are in ``lu.py``. Gradients:

- ``cholesky_solve`` (X = A^-1 B, A = L L^T): gB = A^-1 g and, with A treated
  as L L^T for the whole of L (as PyTorch), gL = -(gB X^T + X gB^T) L
  (U (...) for A = U^T U); ``cholesky_inverse`` is the solve of the identity;
- ``triangular_solve`` is ``linalg.solve_triangular``'s;
- ``cholesky_ex`` is ``linalg.cholesky``'s for the members it factors;
- ``tensorinv``, ``tensorsolve``, ``linalg.vander`` and ``linalg.diagonal``
  are compositions of differentiable ops; ``matrix_rank`` is an integer.
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
from ember.ops.comparison import where
from ember.ops.creation import eye
from ember.ops.cumulative import cumprod
from ember.ops.decomp import (LinAlgError, _lapack_dtype, _matrices, _square, cholesky, eigvalsh,
                              inv, solve, solve_triangular, svdvals)
from ember.ops.reduce import constant
from ember.ops.shape import cat
from ember.ops.views import diagonal
from ember.tensor import Tensor

CholeskyExResult = collections.namedtuple("linalg_cholesky_ex", ("L", "info"))
TriangularSolveResult = collections.namedtuple("triangular_solve",
                                               ("solution", "cloned_coefficient"))


def check_info(info, op, why):
    """Raise LinAlgError naming ``op`` and the first member whose ``info``
    (an int Tensor) is nonzero; ``why(value)`` says what that value means."""
    flat = np.asarray(info.numpy()).reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size:
        i = int(bad[0])
        where_ = f"(Batch element {i}): " if info.ndim else ""
        raise LinAlgError(f"{op}: {where_}{why(int(flat[i]))}")


def _check_pair(B, A, op, b_name, a_name):
    """B (*, n, k) against square A (*, n, n), one dtype, as the solves need."""
    check_tensor(B, op, b_name)
    _square(A, op, a_name)
    if B.ndim < 2:
        raise RuntimeError(f"{op}: expected {b_name} to have at least 2 dimensions, got shape "
                           f"{fmt_shape(tuple(B.shape))}")
    if B.dtype != A.dtype:
        raise RuntimeError(f"{op}: expected {b_name} and {a_name} of one dtype, got {B.dtype} "
                           f"and {A.dtype}")
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"{op}: incompatible matrix sizes: each {a_name} matrix is "
                           f"{A.shape[-2]} by {A.shape[-1]} but each {b_name} matrix is "
                           f"{B.shape[-2]} by {B.shape[-1]}")


# ---- Cholesky -------------------------------------------------------------------


class CholeskySolve(Function):
    """X = (L L^T)^-1 B (U^T U with ``upper``), reading one triangle of L."""

    @staticmethod
    def forward(ctx, b, factor, upper):
        f = constant(factor)
        low = f.mT if upper else f
        # Two triangular solves (inf / nan at a zero diagonal, as LAPACK's potrs).
        y = solve_triangular(low, constant(b), upper=False)
        x = solve_triangular(low.mT, y, upper=True)._array
        ctx.save_for_backward(factor, x)
        ctx.upper = upper
        return x

    @staticmethod
    def backward(ctx, g):
        factor, x = ctx.saved_tensors
        gb = CholeskySolve.apply(g, factor, ctx.upper)  # A is symmetric: A^-T g = A^-1 g
        gf = None
        if ctx.needs_input_grad[1]:
            s = gb @ x.mT
            s = s + s.mT
            gf = -(factor @ s) if ctx.upper else -(s @ factor)
        return gb, gf, None


def cholesky_solve(B, L, upper=False):
    """X with (L L^T) X = B (U^T U X = B with ``upper``), as ``torch.cholesky_solve``:
    ``L`` (*, n, n) a Cholesky factor (only its lower, or upper, triangle is
    read), ``B`` (*, n, k), batches broadcast. As in PyTorch, the gradient of
    ``L`` treats all of ``L`` as the factor (it is not restricted to the
    triangle)."""
    if _amp.active:
        return _amp.run("cholesky_solve", cholesky_solve, B, L, upper)
    _check_pair(B, L, "cholesky_solve", "B", "L")
    return CholeskySolve.apply(B, L, bool(upper))


def cholesky_inverse(L, upper=False):
    """(L L^T)^-1 (or (U^T U)^-1 with ``upper``) from a Cholesky factor, as
    ``torch.cholesky_inverse``; batched.

    Raises:
        LinAlgError: a zero on the factor's diagonal.
    """
    if _amp.active:
        return _amp.run("cholesky_inverse", cholesky_inverse, L, upper)
    op = "cholesky_inverse"
    _square(L, op, "L")
    xp = xp_of(L._array)
    zero = xp.diagonal(L.detach()._array, 0, -2, -1) == 0
    first = xp.where(zero.any(-1), zero.argmax(-1) + 1, 0).astype(np.int32)
    check_info(constant(first), op, lambda j: f"the diagonal element {j} is zero, the inversion "
                                              "could not be completed because the input matrix "
                                              "is singular")
    n = L.shape[-1]
    identity = eye(n, dtype=L.dtype, device=L.device).expand(*L.shape)
    return CholeskySolve.apply(identity, L, bool(upper))


def _potf2(xp, a):
    """Lower Cholesky factors and info of a batch ``a`` (..., n, n), from its
    lower triangle, column by column as LAPACK's unblocked potf2: a member
    stops at its first pivot that is not positive (info = its 1-based column),
    leaving that pivot's value unrooted and the columns after it as they were."""
    n = a.shape[-1]
    low = xp.tril(a).reshape(int(np.prod(a.shape[:-2])), n, n).copy()
    info = xp.zeros(low.shape[0], np.int32)
    for j in range(n):
        d = low[:, j, j] - (low[:, j, :j] ** 2).sum(-1)
        fails = (info == 0) & ~(d > 0)  # nan fails too
        info[fails] = j + 1
        live = info == 0
        root = xp.sqrt(xp.where(live, d, 1))
        low[:, j, j] = xp.where(live, root, xp.where(fails, d, low[:, j, j]))
        col = low[:, j + 1:, j] - (low[:, j + 1:, :j] @ low[:, j, :j, None])[..., 0]
        low[:, j + 1:, j] = xp.where(live[:, None], col / root[:, None], low[:, j + 1:, j])
    return low.reshape(a.shape), info.reshape(a.shape[:-2])


def linalg_cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info), as ``torch.linalg.cholesky_ex``: ``linalg.cholesky`` that does
    not raise, info (*) int32 being 0, or the order of the leading minor that
    is not positive-definite. Where info is nonzero L holds the partial
    factor (as LAPACK's unblocked potf2 leaves it; PyTorch's blocked LAPACK
    may leave other values there) and no gradient. ``check_errors`` raises
    for a nonzero info."""
    if _amp.active:
        return _amp.run("cholesky", linalg_cholesky_ex, A, upper=upper, check_errors=check_errors)
    op = "linalg.cholesky_ex"
    _square(A, op)
    batch = tuple(A.shape[:-2])
    try:
        return CholeskyExResult(cholesky(A, upper=upper),
                                constant(xp_of(A._array).zeros(batch, np.int32)))
    except LinAlgError:
        pass
    xp = xp_of(A._array)
    a = A.detach()._array
    partial, info = _potf2(xp, xp.swapaxes(a, -1, -2) if upper else a)
    info = constant(info)
    if check_errors:
        check_info(info, op, lambda j: f"the factorization could not be completed because the "
                                       f"input is not positive-definite (the leading minor of "
                                       f"order {j} is not positive-definite)")
    failed = (info != 0).unsqueeze(-1).unsqueeze(-1)
    # The members that factor get linalg.cholesky's result (and gradient); the
    # others their partial factor.
    identity = eye(A.shape[-1], dtype=A.dtype, device=A.device)
    good = cholesky(where(failed, identity, A), upper=upper)
    partial = constant(xp.swapaxes(partial, -1, -2) if upper else partial)
    return CholeskyExResult(where(failed, partial, good), info)


# ---- triangular -------------------------------------------------------------------


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """(solution, cloned_coefficient), as the deprecated ``torch.triangular_solve``
    (``linalg.solve_triangular`` replaces it; note the order, ``b`` first):
    X with op(T) X = b, T the upper (or lower) triangle of ``A``, op(T) = T^T
    with ``transpose``, unit diagonal with ``unitriangular``. The second
    result is a copy of ``A`` broadcast to the batch shape."""
    if _amp.active:
        return _amp.run("triangular_solve", triangular_solve, b, A, upper, transpose, unitriangular)
    op = "triangular_solve"
    warnings.warn("triangular_solve is deprecated in favor of linalg.solve_triangular, which "
                  "takes its arguments as (A, B) and returns no copy of A", UserWarning,
                  stacklevel=2)
    _check_pair(b, A, op, "b", "A")
    batch = np.broadcast_shapes(tuple(b.shape[:-2]), tuple(A.shape[:-2]))
    t = A.mT if transpose else A
    x = solve_triangular(t, b, upper=bool(upper) != bool(transpose), unitriangular=unitriangular)
    return TriangularSolveResult(x, A.expand(*batch, *A.shape[-2:]).clone())


# ---- rank, tensor solves, helpers ----------------------------------------------------


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    """The number of singular values (|eigenvalues| with ``hermitian``, read
    from the lower triangle) above max(atol, rtol * the largest), as
    ``torch.linalg.matrix_rank``; int64, shape (*). rtol defaults to
    eps * max(m, n), or to 0 where ``atol`` > 0. ``atol`` and ``rtol`` may be
    Tensors broadcasting with the batch. ``tol`` is PyTorch's older form:
    atol = tol and rtol = 0."""
    if _amp.active:
        return _amp.run("matrix_rank", matrix_rank, A, tol, hermitian, atol=atol, rtol=rtol)
    op = "linalg.matrix_rank"
    if tol is not None:
        if atol is not None or rtol is not None:
            raise TypeError(f"{op}: expected either tol or atol / rtol, got both")
        atol, rtol = tol, 0.0
    _matrices(A, op)
    if hermitian:
        _square(A, op)
    m, n = A.shape[-2], A.shape[-1]
    xp = xp_of(A._array)
    if min(m, n) == 0:
        return constant(xp.zeros(tuple(A.shape[:-2]), np.int64))
    a = A.detach()
    s = eigvalsh(a).abs()._array if hermitian else svdvals(a)._array

    def value(t):
        return t.detach()._array if isinstance(t, Tensor) else xp.asarray(t, dtype=s.dtype)

    atol_v = value(0.0 if atol is None else atol)
    default = float(np.finfo(s.dtype).eps) * max(m, n)
    if rtol is not None:
        rtol_v = value(rtol)
    elif atol is not None:
        rtol_v = xp.where(atol_v > 0, 0.0, default)
    else:
        rtol_v = xp.asarray(default)
    cut = xp.maximum(atol_v, rtol_v * s.max(-1))
    return constant((s > cut[..., None]).sum(-1).astype(np.int64))


def tensorinv(A, ind=2):
    """The tensor X with ``tensordot(X, A, ind)`` the identity, as
    ``torch.linalg.tensorinv``: ``A`` reshaped to the matrix
    (prod(shape[:ind]), prod(shape[ind:])), which must be square, inverted
    and reshaped to shape[ind:] + shape[:ind]."""
    if _amp.active:
        return _amp.run("tensorinv", tensorinv, A, ind)
    op = "linalg.tensorinv"
    check_tensor(A, op, "A")
    if not isinstance(ind, numbers.Integral) or isinstance(ind, bool) or ind <= 0:
        raise RuntimeError(f"{op}: expected a strictly positive integer for ind, got {ind!r}")
    shape = tuple(A.shape)
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise RuntimeError(f"{op}: expected prod(A.shape[ind:]) == prod(A.shape[:ind]), got "
                           f"{cols} != {rows} for shape {fmt_shape(shape)} and ind={ind}")
    _lapack_dtype(A, op, "A")
    return inv(A.reshape(rows, cols)).reshape(*shape[ind:], *shape[:ind])


def tensorsolve(A, B, dims=None):
    """X with ``tensordot(A, X, X.ndim) == B``, as ``torch.linalg.tensorsolve``:
    the ``dims`` of ``A`` are first moved to its end, X has the shape
    A.shape[B.ndim:], whose size must equal B's and that of A.shape[:B.ndim]."""
    if _amp.active:
        return _amp.run("tensorsolve", tensorsolve, A, B, dims)
    op = "linalg.tensorsolve"
    check_tensor(A, op, "A")
    check_tensor(B, op, "B")
    if dims is not None:
        dims = tuple(dims)
        A = A.movedim(dims, tuple(range(A.ndim - len(dims), A.ndim)))
    shape = tuple(A.shape)
    out_shape = shape[B.ndim:]
    size, rows = math.prod(out_shape), math.prod(shape[:B.ndim])
    if not size == B.numel() == rows:
        raise RuntimeError(f"{op}: expected prod(A.shape[B.ndim:]) == B.numel() == "
                           f"prod(A.shape[:B.ndim]), got {size}, {B.numel()} and {rows} "
                           f"(A {fmt_shape(shape)}, B {fmt_shape(tuple(B.shape))})")
    return solve(A.reshape(size, size), B.reshape(size)).reshape(*out_shape)


def linalg_vander(x, *, N=None):
    """The Vandermonde matrices of ``x`` (*, n): (*, n, N) with columns
    x ** 0, ..., x ** (N - 1) (increasing, unlike ``torch.vander``), as
    ``torch.linalg.vander``; integers give int64. Products by cumprod, so
    gradients are exact with zeros in ``x``."""
    op = "linalg.vander"
    check_tensor(x, op, "x")
    if x.dtype == _dt.bool_:
        raise RuntimeError(f"{op}: expected a floating point or integer x, got {x.dtype}")
    if x.ndim < 1:
        raise RuntimeError(f"{op}: expected x with at least 1 dimension, got shape []")
    N = x.shape[-1] if N is None else N
    if N <= 1:
        raise RuntimeError(f"{op}: expected N greater than 1, got {N}")
    if not x.dtype.is_floating_point:
        x = x.to(_dt.int64)
    ones = x.new_ones(*x.shape, 1)
    powers = cumprod(x.unsqueeze(-1).expand(*x.shape, N - 1), -1)
    return cat([ones, powers], -1)


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of the matrices in ``A`` (over ``dim1``/``dim2``, the last
    two by default), as ``torch.linalg.diagonal``: ``diagonal`` with
    keyword-only arguments and batch-friendly defaults."""
    check_tensor(A, "linalg.diagonal", "A")
    return diagonal(A, offset, dim1, dim2)
