"""Matrix inverses, determinants, solves and decompositions (``torch.linalg``'s core).

Each is one ``Function`` over NumPy's (or CuPy's) batched LAPACK routines, all
batch dimensions broadcast as in PyTorch. The backwards are written with Ember
ops (these same functions included), so gradients of any order work:

- ``inv``: gA = -A^-T g A^-T;
- ``det``: gA = g det(A) A^-T (0 at a singular A, as PyTorch's); ``slogdet``:
  gA = g_logabsdet A^-T (not finite at a singular A);
- ``solve`` (A X = B): gB = A^-T g, gA = -gB X^T; ``solve_triangular`` the same
  restricted to the triangle;
- ``cholesky``: gA = sym(L^-T Phi(L^T gL) L^-1), Phi = the lower triangle with
  its diagonal halved;
- ``eigh``: gA = sym(V (diag(gw) + F o (V^T gV)) V^T), F_ij = 1 / (w_j - w_i);
- ``svd`` (thin): the usual formula with F_ij = 1 / (s_j^2 - s_i^2), plus the
  terms for the complements of U and V;
- ``qr`` (m >= n): gA = (gQ + Q copyltu(R gR^T - gQ^T Q)) R^-T; a wide A is
  split into its square left block and the rest.

As in PyTorch, the eigenvector and singular-vector gradients are only defined
for distinct eigenvalues (singular values), and for losses that do not depend
on the vectors' signs; ``eigvalsh`` and ``svdvals`` have their own nodes, whose
gradients need no vectors' terms and so stay finite for repeated values.
Routines that cannot handle a matrix raise ``LinAlgError`` (a RuntimeError).
"""

import collections

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.autograd.grad_mode import is_grad_enabled
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.comparison import where
from ember.ops.creation import eye
from ember.ops.shape import diag_embed, tril, triu
from ember.ops.views import diagonal

# The names ``torch`` has at its top level; the rest are ``ember.linalg``'s.
__all__ = ["det", "slogdet", "logdet", "geqrf"]
__methods__ = ("det", "slogdet", "logdet", "geqrf")
__inplace__ = ()


class LinAlgError(RuntimeError):
    """A matrix the routine cannot handle (singular, not positive-definite...),
    as ``torch.linalg.LinAlgError``."""


# Named results, as torch.return_types.
SlogdetResult = collections.namedtuple("linalg_slogdet", ("sign", "logabsdet"))
EighResult = collections.namedtuple("linalg_eigh", ("eigenvalues", "eigenvectors"))
SvdResult = collections.namedtuple("linalg_svd", ("U", "S", "Vh"))
QrResult = collections.namedtuple("linalg_qr", ("Q", "R"))
GeqrfResult = collections.namedtuple("geqrf", ("a", "tau"))


def _lapack(op, fn, *args):
    """``fn(*args)``, its LinAlgError raised as ``LinAlgError`` naming ``op``."""
    try:
        return fn(*args)
    except Exception as e:
        if type(e).__name__ != "LinAlgError":
            raise
        raise LinAlgError(f"{op}: {_why(op, e)}") from None


def _all_zero(g):
    """Whether an output's gradient is zero everywhere (the engine's stand-in for
    an unused output); checked on the CPU only, where it needs no device sync."""
    return g is None or (type(g._array) is np.ndarray and not g._array.any())


def _why(op, e):
    text = str(e).lower()
    if "singular" in text:
        return "the input matrix is singular (not invertible)"
    if "positive definite" in text or "positive-definite" in text:
        return "the input is not positive-definite"
    if "converge" in text:
        return "the algorithm did not converge"
    return str(e)


def _square(a, op, name="A"):
    """Check that ``a`` is a floating batch of square matrices."""
    check_tensor(a, op, name)
    shape = tuple(a.shape)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise RuntimeError(f"{op}: expected {name} to be a batch of square matrices, got "
                           f"shape {fmt_shape(shape)}")
    _lapack_dtype(a, op, name)


def _matrices(A, op):
    """Check that ``A`` is a floating batch of (any) matrices."""
    check_tensor(A, op, "A")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: expected a batch of matrices, got shape "
                           f"{fmt_shape(tuple(A.shape))}")
    _lapack_dtype(A, op, "A")


def _lapack_dtype(a, op, name):
    if not a.dtype.is_floating_point or a.dtype.itemsize < 4:
        raise RuntimeError(f"{op}: expected {name} of dtype float32 or float64, got {a.dtype}")


def _sym(x):
    return (x + x.mT) * 0.5


def _off_diagonal_inverse(v):
    """F with F_ij = 1 / (v_j - v_i) off the diagonal and 0 on it, for v (..., n)."""
    e = v.unsqueeze(-2) - v.unsqueeze(-1)
    one = eye(v.shape[-1], dtype=v.dtype, device=v.device)
    return (1 - one) / (e + one)


class Inv(Function):
    """The inverse of a batch of square matrices."""

    @staticmethod
    def forward(ctx, a):
        y = _lapack("linalg.inv", ctx.xp.linalg.inv, a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        yt = y.mT
        return -(yt @ g @ yt),


class Det(Function):
    """The determinant of a batch of square matrices."""

    @staticmethod
    def forward(ctx, a):
        d = ctx.xp.asarray(ctx.xp.linalg.det(a))  # saved as the output itself
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        # det(A) A^-T; singular members (det 0) get 0, as PyTorch's, through an
        # identity in their place.
        return (g * d).unsqueeze(-1).unsqueeze(-1) * inv(_nonsingular(a, d == 0)).mT,


def _nonsingular(a, singular):
    """``a`` with the identity in place of the members flagged ``singular``."""
    one = eye(a.shape[-1], dtype=a.dtype, device=a.device)
    return where(singular.unsqueeze(-1).unsqueeze(-1), one, a)


class SlogDet(Function):
    """(sign, log |det|) of a batch of square matrices; only the second is differentiable."""

    @staticmethod
    def forward(ctx, a):
        sign, logabs = ctx.xp.linalg.slogdet(a)
        sign, logabs = ctx.xp.asarray(sign), ctx.xp.asarray(logabs)
        ctx.save_for_backward(a, sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        # The sign is piecewise constant: no gradient (it requires grad, as PyTorch's).
        a, sign = ctx.saved_tensors
        if g_logabs is None:
            return None,
        grad = g_logabs.unsqueeze(-1).unsqueeze(-1) * inv(_nonsingular(a, sign == 0)).mT
        # A singular member: the gradient of log 0 is infinite (divided by 0 here;
        # the others by 1).
        return grad / (sign != 0).to(grad.dtype).unsqueeze(-1).unsqueeze(-1),


class Solve(Function):
    """X with A X = B, for A (..., n, n) and B (..., n, k), batches broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        x = _lapack("linalg.solve", ctx.xp.linalg.solve, a, b)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = Solve.apply(a.mT, g)
        ga = -(gb @ x.mT) if ctx.needs_input_grad[0] else None
        return ga, gb


class SolveTriangular(Function):
    """X with T X = B, T the upper or lower triangle of A (unit diagonal if asked)."""

    @staticmethod
    def forward(ctx, a, b, upper, unitriangular):
        xp = ctx.xp
        t = xp.triu(a) if upper else xp.tril(a)
        if unitriangular:
            n = a.shape[-1]
            t = t.copy()
            t[..., range(n), range(n)] = 1
        try:
            x = xp.linalg.solve(t, b)
        except Exception as e:  # a zero on the diagonal: substitution gives inf / nan
            if type(e).__name__ != "LinAlgError":
                raise
            x = _substitute(xp, t, b, upper)
        ctx.save_for_backward(a, x)
        ctx.upper, ctx.unit = upper, unitriangular
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = SolveTriangular.apply(a.mT, g, not ctx.upper, ctx.unit)
        ga = None
        if ctx.needs_input_grad[0]:
            shift = 1 if ctx.unit else 0
            full = -(gb @ x.mT)
            ga = triu(full, shift) if ctx.upper else tril(full, -shift)
        return ga, gb, None, None


def _substitute(xp, t, b, upper):
    """T X = B by back (upper) or forward substitution, without a singularity
    check (a zero pivot gives inf or nan, as LAPACK's trsm)."""
    shape = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = xp.broadcast_to(t, shape + t.shape[-2:])
    x = xp.array(xp.broadcast_to(b, shape + b.shape[-2:]), dtype=np.result_type(t, b))
    n = t.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in (reversed(range(n)) if upper else range(n)):
            done = slice(i + 1, n) if upper else slice(0, i)
            rest = x[..., i, :] - (t[..., i, None, done] @ x[..., done, :])[..., 0, :]
            x[..., i, :] = rest / t[..., i, i, None]
    return x


class Cholesky(Function):
    """The lower Cholesky factor L (A = L L^T) of symmetric positive-definite matrices."""

    @staticmethod
    def forward(ctx, a):
        low = _lapack("linalg.cholesky", ctx.xp.linalg.cholesky, a)
        ctx.save_for_backward(low)
        return low

    @staticmethod
    def backward(ctx, g):
        (low,) = ctx.saved_tensors
        phi = tril(low.mT @ g)
        phi = phi - 0.5 * diag_embed(diagonal(phi, 0, -2, -1))
        # L^-T Phi L^-1 by two triangular solves.
        s = solve_triangular(low.mT, phi, upper=True)
        s = solve_triangular(low.mT, s.mT, upper=True).mT  # S L = M: L^T S^T = M^T
        return _sym(s),


class Eigh(Function):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices, from one triangle."""

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = _lapack("linalg.eigh", ctx.xp.linalg.eigh, a, uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, g_w, g_v):
        w, v = ctx.saved_tensors
        inner = 0
        if g_w is not None:
            inner = diag_embed(g_w)
        if not _all_zero(g_v):
            inner = inner + _off_diagonal_inverse(w) * (v.mT @ g_v)
        return _sym(v @ inner @ v.mT), None


class Svd(Function):
    """A = U diag(S) Vh, singular values descending; with ``full``, U and Vh
    square (their extra columns and rows get no gradient, as in PyTorch)."""

    @staticmethod
    def forward(ctx, a, full):
        u, s, vh = _lapack("linalg.svd", ctx.xp.linalg.svd, a, full)
        ctx.save_for_backward(a, u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, g_u, g_s, g_vh):
        a, u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        u, vh = u[..., :k], vh[..., :k, :]
        g_u = None if _all_zero(g_u) else g_u[..., :k]
        g_vh = None if _all_zero(g_vh) else g_vh[..., :k, :]
        v = vh.mT
        m, n = a.shape[-2], a.shape[-1]
        inner = 0
        if g_s is not None:
            inner = diag_embed(g_s)
        if g_u is None and g_vh is None:
            return u @ inner @ vh, None
        f = _off_diagonal_inverse(s * s)
        g_v = g_vh.mT if g_vh is not None else None
        s_row, s_col = s.unsqueeze(-2), s.unsqueeze(-1)
        if g_u is not None:
            ut_gu = u.mT @ g_u
            inner = inner + (f * (ut_gu - ut_gu.mT)) * s_row
        if g_v is not None:
            vt_gv = v.mT @ g_v
            inner = inner + s_col * (f * (vt_gv - vt_gv.mT))
        ga = u @ inner @ vh
        if g_u is not None and m > s.shape[-1]:  # the part of g_u outside U's span
            proj = g_u - u @ (u.mT @ g_u)
            ga = ga + (proj / s_row) @ vh
        if g_v is not None and n > s.shape[-1]:
            proj = g_v - v @ (v.mT @ g_v)
            ga = ga + u @ (proj / s_row).mT
        return ga, None


class EighValues(Function):
    """The eigenvalues of symmetric matrices alone; gA = V diag(gw) V^T."""

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = _lapack("linalg.eigvalsh", ctx.xp.linalg.eigh, a, uplo)
        ctx.save_for_backward(a)
        ctx.vectors, ctx.uplo = v, uplo
        return w

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        if is_grad_enabled():  # create_graph: vectors that are themselves differentiable
            v = Eigh.apply(a, ctx.uplo)[1]
        else:
            from ember.ops.reduce import constant
            v = constant(ctx.vectors)
        return v @ (g.unsqueeze(-1) * v.mT), None


class SvdValues(Function):
    """The singular values alone; gA = U diag(gS) Vh."""

    @staticmethod
    def forward(ctx, a):
        u, s, vh = _lapack("linalg.svdvals", ctx.xp.linalg.svd, a, False)
        ctx.save_for_backward(a)
        ctx.vectors = (u, vh)
        return s

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        if is_grad_enabled():
            u, _, vh = Svd.apply(a, False)
        else:
            from ember.ops.reduce import constant
            u, vh = (constant(x) for x in ctx.vectors)
        return u @ (g.unsqueeze(-1) * vh),


class Qr(Function):
    """A = Q R, Q with orthonormal columns and R upper triangular (``reduced``:
    k = min(m, n) columns; ``complete``: Q square)."""

    @staticmethod
    def forward(ctx, a, mode):
        q, r = _lapack("linalg.qr", ctx.xp.linalg.qr, a, mode)
        ctx.save_for_backward(q, r)
        ctx.mode = mode
        return q, r

    @staticmethod
    def backward(ctx, g_q, g_r):
        q, r = ctx.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: the derivative of mode='complete' is not defined "
                               "for tall matrices (m > n); use mode='reduced'")
        if g_q is None:
            g_q = q.new_zeros(tuple(q.shape))
        if g_r is None:
            g_r = r.new_zeros(tuple(r.shape))
        if m >= n:
            return _qr_square_or_tall(q, r, g_q, g_r), None
        # Wide: A = [X | Y] with X square, X = Q U and V = Q^T Y. X gets the
        # square formula with what V passes to Q (Y gV^T, Y = Q V); Y gets Q gV.
        u, v, g_u, g_v = r[..., :m], r[..., m:], g_r[..., :m], g_r[..., m:]
        g_x = _qr_square_or_tall(q, u, g_q + q @ (v @ g_v.mT), g_u)
        return _cat_last(g_x, q @ g_v), None


def _qr_square_or_tall(q, r, g_q, g_r):
    """gA for A = Q R with m >= n (reduced): (gQ + Q copyltu(M)) R^-T, where
    M = R gR^T - gQ^T Q and copyltu mirrors M's lower triangle upwards."""
    m_ = r @ g_r.mT - g_q.mT @ q
    low = tril(m_, -1)
    sym_low = low + low.mT + diag_embed(diagonal(m_, 0, -2, -1))
    rhs = g_q + q @ sym_low
    # (rhs) R^-T: X R^T = rhs, i.e. R X^T = rhs^T.
    return solve_triangular(r, rhs.mT, upper=True).mT


def _cat_last(a, b):
    from ember.ops.shape import cat
    return cat([a, b], -1)


def inv(A):
    """The inverse of ``A`` (..., n, n), as ``torch.linalg.inv``.

    Raises:
        RuntimeError: ``A`` is not a batch of square float matrices, or is singular.
    """
    if _amp.active:
        return _amp.run("inv", inv, A)
    _square(A, "linalg.inv")
    return Inv.apply(A)


def det(A):
    """The determinant of ``A`` (..., n, n), shape (...,), as ``torch.linalg.det``."""
    _square(A, "linalg.det")
    return Det.apply(A)


def slogdet(A):
    """(sign, log |det A|) of ``A`` (..., n, n), as ``torch.linalg.slogdet``.

    ``sign`` is 0 and ``logabsdet`` -inf for a singular matrix.
    """
    _square(A, "linalg.slogdet")
    return SlogdetResult(*SlogDet.apply(A))


def logdet(A):
    """log det A: nan where the determinant is negative, -inf where it is 0 (``torch.logdet``)."""
    _square(A, "logdet")
    sign, logabs = SlogDet.apply(A)
    return where(sign < 0, float("nan"), logabs)


def _is_vector_rhs(A, B):
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A, B, *, left=True):
    """X with ``A X = B`` (``X A = B`` with ``left=False``), as ``torch.linalg.solve``.

    ``B`` is (..., n, k), or a batch of vectors (..., n) when its shape is
    ``A.shape[:-1]`` (or it is 1-D); batch dimensions broadcast.

    Raises:
        RuntimeError: bad shapes or dtypes, or a singular ``A``.
    """
    if _amp.active:
        return _amp.run("solve", solve, A, B, left=left)
    _square(A, "linalg.solve")
    check_tensor(B, "linalg.solve", "B")
    if B.dtype != A.dtype:
        raise RuntimeError(f"linalg.solve: expected A and B of one dtype, got {A.dtype} and "
                           f"{B.dtype}")
    vector = _is_vector_rhs(A, B)
    if not left:
        if vector:
            raise RuntimeError("linalg.solve: left=False needs B to be a batch of matrices, "
                               f"got shape {fmt_shape(tuple(B.shape))}")
        return solve(A.mT, B.mT).mT
    b = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if b.ndim < 2 or b.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: expected B with {n} rows to match A "
                           f"{fmt_shape(tuple(A.shape))}, got shape {fmt_shape(tuple(B.shape))}")
    x = Solve.apply(A, b)
    return x.squeeze(-1) if vector else x


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with ``T X = B`` (``X T = B`` with ``left=False``), T the upper or lower
    triangle of ``A``, as ``torch.linalg.solve_triangular``; only that triangle
    of ``A`` is read (and not its diagonal with ``unitriangular``)."""
    if _amp.active:
        return _amp.run("solve_triangular", solve_triangular, A, B, upper=upper, left=left,
                        unitriangular=unitriangular)
    _square(A, "linalg.solve_triangular")
    check_tensor(B, "linalg.solve_triangular", "B")
    if B.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: expected B to be a batch of matrices, got "
                           f"shape {fmt_shape(tuple(B.shape))}")
    if not left:
        return SolveTriangular.apply(A.mT, B.mT, not upper, unitriangular).mT
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve_triangular: expected B with {A.shape[-1]} rows to "
                           f"match A {fmt_shape(tuple(A.shape))}, got shape "
                           f"{fmt_shape(tuple(B.shape))}")
    return SolveTriangular.apply(A, B, upper, unitriangular)


def cholesky(A, *, upper=False):
    """The Cholesky factor of symmetric positive-definite ``A`` (its lower
    triangle is read): L with A = L L^T, or U = L^T with ``upper=True``.

    Raises:
        RuntimeError: ``A`` is not positive-definite.
    """
    if _amp.active:
        return _amp.run("cholesky", cholesky, A, upper=upper)
    _square(A, "linalg.cholesky")
    # upper: the upper triangle is read, U = chol(A^T)^T.
    return Cholesky.apply(A.mT).mT if upper else Cholesky.apply(A)


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric ``A``, read
    from its lower (``UPLO='L'``) or upper triangle, as ``torch.linalg.eigh``."""
    if _amp.active:
        return _amp.run("eigh", eigh, A, UPLO)
    return EighResult(*Eigh.apply(A, _uplo(A, UPLO, "linalg.eigh")))


def _uplo(A, UPLO, op):
    _square(A, op)
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"{op}: expected UPLO to be 'L' or 'U', got {UPLO!r}")
    return UPLO.upper()


def eigvalsh(A, UPLO="L"):
    """The eigenvalues (ascending) of symmetric ``A``, as ``torch.linalg.eigvalsh``;
    the gradient needs no eigenvector term, so it is finite for repeated ones."""
    if _amp.active:
        return _amp.run("eigvalsh", eigvalsh, A, UPLO)
    return EighValues.apply(A, _uplo(A, UPLO, "linalg.eigvalsh"))


def svd(A, full_matrices=True, *, driver=None):
    """U, S, Vh with A = U diag(S) Vh, singular values descending, as
    ``torch.linalg.svd``. With ``full_matrices`` (the default) U and Vh are
    square; the gradient ignores their columns (rows) beyond min(m, n).
    ``driver`` (a cuSOLVER choice in PyTorch) is accepted and ignored.
    """
    if _amp.active:
        return _amp.run("svd", svd, A, full_matrices, driver=driver)
    _matrices(A, "linalg.svd")
    return SvdResult(*Svd.apply(A, bool(full_matrices)))


def qr(A, mode="reduced"):
    """Q, R with A = Q R, as ``torch.linalg.qr``. ``mode``: 'reduced' (Q (m, k),
    R (k, n), k = min(m, n)), 'complete' (Q (m, m), R (m, n)) or 'r' (R only;
    Q is empty).

    Differs from PyTorch: with mode='r' the R returned is differentiable
    (PyTorch raises in the backward).
    """
    if _amp.active:
        return _amp.run("qr", qr, A, mode)
    _matrices(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: expected mode to be 'reduced', 'complete' or 'r', got "
                           f"{mode!r}")
    if mode == "r":
        _, r = Qr.apply(A, "reduced")
        return QrResult(A.new_empty(0), r)
    return QrResult(*Qr.apply(A, mode))


def householder_product(A, tau):
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i the
    i-th column of ``A`` (*, m, n) below the diagonal and 1 on it, as
    ``torch.linalg.householder_product`` (``orgqr``). Built from matrix products,
    so it is differentiable in ``A`` and ``tau``."""
    if _amp.active:
        return _amp.run("householder_product", householder_product, A, tau)
    check_tensor(A, "linalg.householder_product", "A")
    check_tensor(tau, "linalg.householder_product", "tau")
    m, n = A.shape[-2], A.shape[-1]
    k = tau.shape[-1]
    if A.ndim < 2 or not k <= n <= m or tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"linalg.householder_product: expected A (*, m, n) with m >= n and "
                           f"tau (*, k) with k <= n and the same batch, got shapes "
                           f"{fmt_shape(tuple(A.shape))} and {fmt_shape(tuple(tau.shape))}")
    below = tril(A, -1) + eye(m, n, dtype=A.dtype, device=A.device)
    q = eye(m, n, dtype=A.dtype, device=A.device).expand(*A.shape[:-2], m, n)
    for i in reversed(range(k)):
        v = below[..., :, i:i + 1]
        q = q - (tau[..., i:i + 1].unsqueeze(-1) * v) @ (v.mT @ q)
    return q


def geqrf(input):
    """LAPACK's QR factors (a, tau), as ``torch.geqrf``: R on and above a's
    diagonal, the Householder vectors below it. Not differentiable (as in
    PyTorch); ``householder_product(a, tau)`` gives Q."""
    if _amp.active:
        return _amp.run("geqrf", geqrf, input)
    check_tensor(input, "geqrf")
    if input.ndim < 2 or not input.dtype.is_floating_point:
        raise RuntimeError(f"geqrf: expected a floating batch of matrices, got shape "
                           f"{fmt_shape(tuple(input.shape))} and dtype {input.dtype}")
    from ember.backend.device import xp_of
    from ember.tensor import Tensor
    arr = input._array
    h, tau = _lapack("geqrf", xp_of(arr).linalg.qr, arr, "raw")
    a = xp_of(arr).ascontiguousarray(xp_of(arr).swapaxes(h, -1, -2))
    return GeqrfResult(Tensor._wrap(a, False, None, 0), Tensor._wrap(tau, False, None, 0))


def svdvals(A, *, driver=None):
    """The singular values of ``A`` (descending), as ``torch.linalg.svdvals``;
    the gradient needs no singular-vector term, so it is finite for repeated
    ones."""
    if _amp.active:
        return _amp.run("svdvals", svdvals, A, driver=driver)
    _matrices(A, "linalg.svdvals")
    return SvdValues.apply(A)
