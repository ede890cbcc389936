"""Matrix functions built from other ops: norms, powers, the pseudo-inverse,
cross products, chained products and pairwise distances.

All but the Euclidean ``cdist`` are compositions of differentiable ops, so
their gradients (of any order) come from the ops they are made of.
"""

import collections
import math
import numbers
import warnings

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.ops._util import check_tensor, fmt_shape, wrap_dim
from ember.ops.comparison import where
from ember.ops.creation import eye
from ember.ops.decomp import _matrices, _square, inv, svdvals
from ember.ops.decomp import svd as _linalg_svd
from ember.ops.decomp import cholesky as _cholesky
from ember.ops.elementwise import exp, log1p
from ember.ops.statistics import vector_norm, widen_to
from ember.tensor import Tensor

# The names ``torch`` has at its top level (``linalg``'s are in ``ember.linalg``).
__all__ = ["matrix_power", "matrix_exp", "cdist", "dist", "kron", "logaddexp", "logaddexp2",
           "inverse", "pinverse", "cholesky", "chain_matmul", "svd", "cross"]


class _Identity(Function):
    """Identity matrices shaped as ``a``, with a zero gradient (A^0)."""

    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        return xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return g * 0,


def matrix_power(A, n):
    """``A`` (..., k, k) to the integer power ``n`` (negative: of the inverse), as
    ``torch.linalg.matrix_power``; by repeated squaring."""
    if _amp.active:
        return _amp.run("matrix_power", matrix_power, A, n)
    op = "linalg.matrix_power"
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"{op}: expected an integer power, got {n!r}")
    check_tensor(A, op, "A")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: expected A to be a batch of square matrices, got shape "
                           f"{fmt_shape(tuple(A.shape))}")
    if n < 0:  # integer matrices only for n >= 0, as PyTorch
        _square(A, op)
        A, n = inv(A), -n
    if n == 0:
        return _Identity.apply(A)
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result.clone() if result is A else result  # a new tensor, as PyTorch's


def _matrix_dims(A, dim, op):
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"{op}: expected dim to be a 2-tuple, got {dim!r}")
    rows, cols = (wrap_dim(d, A.ndim, op) for d in dim)
    if rows == cols:
        raise RuntimeError(f"{op}: expected two different dims, got {tuple(dim)}")
    return rows, cols


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A matrix norm over the two dims ``dim``, as ``torch.linalg.matrix_norm``.

    ord: 'fro', 'nuc' (sum of singular values), 2 / -2 (largest / smallest
    singular value), 1 / -1 (largest / smallest column sum of |A|), inf / -inf
    (the same over rows).
    """
    op = "linalg.matrix_norm"
    check_tensor(A, op, "A")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: expected A with at least 2 dims, got shape "
                           f"{fmt_shape(tuple(A.shape))}")
    if dtype is not None:
        A = widen_to(A, dtype, op)
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point A, got {A.dtype}")
    rows, cols = _matrix_dims(A, dim, op)
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((rows, cols), (-2, -1))
        if moved.shape[-1] * moved.shape[-2] == 0:  # the norm of an empty matrix is 0
            out = (moved.sum((-2, -1)) * 0)
        else:
            s = svdvals(moved)
            out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
    elif ord in (1, -1, math.inf, -math.inf):
        over, then = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(over, keepdim=True)
        out = sums.amax(then, keepdim=True) if ord > 0 else sums.amin(then, keepdim=True)
        return out if keepdim else out.squeeze(max(rows, cols)).squeeze(min(rows, cols))
    else:
        raise RuntimeError(f"{op}: expected ord to be 'fro', 'nuc', 2, -2, 1, -1, inf or -inf, "
                           f"got {ord!r}")
    if keepdim:
        out = out.unsqueeze(min(rows, cols)).unsqueeze(max(rows, cols))
    return out


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector or matrix norm, as ``torch.linalg.norm``: a matrix norm when
    ``ord`` is a string or ``dim`` names two dims (or ``A`` is 2-D with an
    ``ord`` and no ``dim``), else a vector norm (of the flattened ``A`` when
    ``dim`` and ``ord`` are both None)."""
    check_tensor(A, "linalg.norm", "A")
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) not in (1, 2):
        raise RuntimeError(f"linalg.norm: dim must be of length 1 or 2, got {tuple(dim)}")
    matrix = isinstance(ord, str) or (dim is not None and len(dim) == 2) or \
        (dim is None and ord is not None and A.ndim == 2)
    if matrix:
        if dim is None and A.ndim != 2:
            raise RuntimeError(f"linalg.norm: a matrix norm needs a 2-D input or dim, got "
                               f"shape {fmt_shape(tuple(A.shape))}")
        return matrix_norm(A, "fro" if ord is None else ord, dim or (-2, -1), keepdim,
                           dtype=dtype)
    if dim is None and ord is not None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: a vector norm with ord={ord!r} needs a 1-D input or "
                           f"dim, got shape {fmt_shape(tuple(A.shape))}")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


class Pinv(Function):
    """The pseudo-inverse P of ``a``, singular values (|eigenvalues| with
    ``hermitian``) at or below ``cut`` (..., 1) dropped. Its gradient assumes the
    rank stays as it is (as PyTorch's):
    gA = -P^T gP P^T + (I - A P) gP^T P P^T + P^T P gP^T (I - P A)."""

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        xp = ctx.xp
        if hermitian:
            w, v = xp.linalg.eigh(a)
            mags = xp.abs(w)
        else:
            u, mags, vh = xp.linalg.svd(a, full_matrices=False)
        top = mags.max(-1, keepdims=True) if mags.shape[-1] else mags[..., :1]
        cut = xp.maximum(atol, rtol * top)
        with np.errstate(divide="ignore"):
            inv_s = xp.where(mags > cut, 1 / xp.where(mags > cut, mags if not hermitian
                                                        else w, 1), 0).astype(a.dtype)
        if hermitian:
            p = (v * inv_s[..., None, :]) @ xp.swapaxes(v, -1, -2)
        else:
            p = xp.swapaxes(vh, -1, -2) @ (inv_s[..., :, None] * xp.swapaxes(u, -1, -2))
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, g):
        a, p = ctx.saved_tensors
        pt = p.mT
        m, n = a.shape[-2], a.shape[-1]
        eye_m = eye(m, dtype=a.dtype, device=a.device)
        eye_n = eye(n, dtype=a.dtype, device=a.device)
        return (-(pt @ g @ pt) + (eye_m - a @ p) @ g.mT @ (p @ pt)
                + (pt @ p) @ g.mT @ (eye_n - p @ a)), None, None, None


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The Moore-Penrose pseudo-inverse, as ``torch.linalg.pinv``.

    Singular values (absolute eigenvalues with ``hermitian``, which reads the
    lower triangle) at or below ``max(atol, rtol * largest)`` count as zero.
    ``atol`` and ``rtol`` may be numbers or tensors broadcasting with the
    batch. rtol defaults to eps * max(m, n), or to 0 when only an ``atol``
    above 0 is given; ``rcond`` is PyTorch's older name for rtol.
    """
    if _amp.active:
        return _amp.run("pinv", pinv, A, rcond, hermitian, atol=atol, rtol=rtol)
    _matrices(A, "linalg.pinv")
    if hermitian:
        _square(A, "linalg.pinv")
    if rcond is not None:
        rtol = rcond
    m, n = A.shape[-2], A.shape[-1]
    if m * n == 0:
        return A.new_zeros(*A.shape[:-2], n, m)

    def value(t):
        if isinstance(t, Tensor):
            return t.detach()._array[..., None]
        return 0.0 if t is None else float(t)

    if rtol is None:  # the default, or 0 where atol > 0 (element by element for a Tensor)
        default = float(np.finfo(A.dtype.np).eps) * max(m, n)
        if isinstance(atol, Tensor):
            a = atol.detach()._array
            rtol_v = ((a <= 0) * default)[..., None]
            return Pinv.apply(A, value(atol), rtol_v, bool(hermitian))
        rtol = 0.0 if atol is not None and atol > 0 else default
    return Pinv.apply(A, value(atol), value(rtol), bool(hermitian))


def linalg_cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim``, batches broadcast, as
    ``torch.linalg.cross`` (``ember.linalg.cross``)."""
    check_tensor(input, "linalg.cross")
    check_tensor(other, "linalg.cross", "other")
    if input.ndim != other.ndim:
        raise RuntimeError(f"linalg.cross: expected inputs with the same number of dimensions, "
                           f"got {input.ndim} and {other.ndim}")
    ndim = input.ndim
    d = wrap_dim(dim, ndim, "linalg.cross") - ndim  # counted from the end, for broadcasting
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: expected size 3 along dim {dim}, got shapes "
                           f"{fmt_shape(tuple(input.shape))} and {fmt_shape(tuple(other.shape))}")
    a = [input.select(d, i) for i in range(3)]
    b = [other.select(d, i) for i in range(3)]
    from ember.ops.shape import stack
    return stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                  a[0] * b[1] - a[1] * b[0]], d)


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution X of ``A X = B``, as ``torch.linalg.lstsq``:
    (solution, residuals, rank, singular_values), batches broadcast.

    X = pinv(A) B (the minimum-norm solution; its gradient goes through the
    SVD). As PyTorch's CPU drivers: ``rank`` for every driver but 'gels',
    ``singular_values`` for 'gelsd' and 'gelss', and ``residuals`` (the
    squared residual norm of each column) when m > n, every matrix has full
    rank and the driver is not 'gelsy' (the default); otherwise empty.
    """
    if _amp.active:
        return _amp.run("lstsq", lstsq, A, B, rcond, driver=driver)
    check_tensor(A, "linalg.lstsq", "A")
    check_tensor(B, "linalg.lstsq", "B")
    if A.ndim < 2 or B.ndim < 2 or A.shape[-2] != B.shape[-2]:
        raise RuntimeError(f"linalg.lstsq: expected A (*, m, n) and B (*, m, k) with equal m, "
                           f"got shapes {fmt_shape(tuple(A.shape))} and "
                           f"{fmt_shape(tuple(B.shape))}")
    if not A.dtype.is_floating_point or A.dtype != B.dtype:
        raise RuntimeError(f"linalg.lstsq: expected A and B of one floating dtype, got {A.dtype} "
                           f"and {B.dtype}")
    driver = "gelsy" if driver is None else driver
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError(f"linalg.lstsq: expected driver to be one of "
                           f"{', '.join(_LSTSQ_DRIVERS)}, got {driver!r}")
    m, n = A.shape[-2], A.shape[-1]
    if rcond is None:
        rcond = float(np.finfo(A.dtype.np).eps) * max(m, n)
    solution = pinv(A, rtol=rcond) @ B
    s = svdvals(A.detach())
    rank = (s > s.amax(-1, keepdim=True) * rcond).sum(-1)
    empty = A.new_empty(0)
    full = bool((rank == min(m, n)).all())
    residuals = empty
    if m > n and full and driver != "gelsy":
        residuals = ((A @ solution - B) ** 2).sum(-2)
    return LstsqResult(solution, residuals, rank if driver != "gels" else rank.new_empty(0),
                       s if driver in ("gelsd", "gelss") else empty)


# As torch.return_types.linalg_lstsq.
LstsqResult = collections.namedtuple("linalg_lstsq",
                                     ("solution", "residuals", "rank", "singular_values"))


def cross(input, other, dim=None):
    """``torch.cross``: as ``linalg.cross``, but with ``dim=None`` the first
    dimension of size 3 (deprecated in PyTorch, which warns)."""
    if dim is None:
        warnings.warn("cross: using cross without specifying dim is deprecated; it uses the "
                      "first dimension of size 3 (pass dim=-1 for linalg.cross's default)",
                      UserWarning, stacklevel=2)
        sizes = [i for i, n in enumerate(input.shape) if n == 3]
        if not sizes:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape "
                               f"{fmt_shape(tuple(input.shape))}")
        dim = sizes[0]
    return linalg_cross(input, other, dim=dim)


def multi_dot(tensors):
    """The product of a chain of matrices, as ``torch.linalg.multi_dot``: the
    first may be 1-D (a row vector) and the last 1-D (a column)."""
    if _amp.active:
        return _amp.run("multi_dot", multi_dot, tensors)
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"linalg.multi_dot: expected at least 2 tensors, got {len(tensors)}")
    for i, t in enumerate(tensors):
        check_tensor(t, "linalg.multi_dot", f"tensors[{i}]")
        ends = i in (0, len(tensors) - 1)
        if t.ndim != 2 and not (ends and t.ndim == 1):
            raise RuntimeError(f"linalg.multi_dot: tensor {i} must be 2-D"
                               + (" or 1-D" if ends else "") + f", got {t.ndim}-D")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError(f"linalg.multi_dot: expected all tensors of one dtype, got "
                           f"{', '.join(str(t.dtype) for t in tensors)}")
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    if first:
        tensors[0] = tensors[0].unsqueeze(0)
    if last:
        tensors[-1] = tensors[-1].unsqueeze(-1)
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    if last:
        out = out.squeeze(-1)
    if first:
        out = out.squeeze(0)
    return out


class EuclideanDist(Function):
    """Pairwise Euclidean distances of rows, ``x1`` (..., P, M) and ``x2`` (..., R, M),
    through one matrix product; a zero distance gets a zero gradient."""

    @staticmethod
    def forward(ctx, x1, x2):
        xp = ctx.xp
        sq = (x1 * x1).sum(-1)[..., :, None] + (x2 * x2).sum(-1)[..., None, :]
        sq -= 2 * (x1 @ xp.swapaxes(x2, -1, -2))
        xp.maximum(sq, 0, out=sq)
        d = xp.sqrt(sq)
        ctx.save_for_backward(x1, x2, d)
        return d

    @staticmethod
    def backward(ctx, g):
        x1, x2, d = ctx.saved_tensors
        w = where(d > 0, g / where(d > 0, d, 1.0), 0.0)
        g1 = g2 = None
        if ctx.needs_input_grad[0]:
            g1 = x1 * w.sum(-1, keepdim=True) - w @ x2
        if ctx.needs_input_grad[1]:
            g2 = x2 * w.sum(-2).unsqueeze(-1) - w.mT @ x1
        return g1, g2


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of ``x1`` (..., P, M) and
    ``x2`` (..., R, M): (..., P, R), as ``torch.cdist``. For p = 2 a matrix
    product computes them when either side has more than 25 rows (or always /
    never, per ``compute_mode``), as PyTorch does."""
    if _amp.active:
        return _amp.run("cdist", cdist, x1, x2, p, compute_mode)
    check_tensor(x1, "cdist", "x1")
    check_tensor(x2, "cdist", "x2")
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: expected x1 and x2 with at least 2 dims and the same last "
                           f"dim, got shapes {fmt_shape(tuple(x1.shape))} and "
                           f"{fmt_shape(tuple(x2.shape))}")
    if not x1.dtype.is_floating_point or x1.dtype != x2.dtype:
        raise RuntimeError(f"cdist: expected x1 and x2 of one floating dtype, got {x1.dtype} and "
                           f"{x2.dtype}")
    if not isinstance(p, numbers.Real) or p < 0:
        raise RuntimeError(f"cdist: expected p to be a non-negative number, got {p!r}")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"cdist: expected compute_mode to be one of {', '.join(_CDIST_MODES)}, "
                         f"got {compute_mode!r}")
    big = x1.shape[-2] > 25 or x2.shape[-2] > 25
    use_mm = p == 2 and (compute_mode == _CDIST_MODES[1] or
                         (compute_mode == _CDIST_MODES[0] and big))
    if use_mm:
        return EuclideanDist.apply(x1, x2)
    return vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), float(p), -1)


def dist(input, other, p=2):
    """The p-norm of ``input - other`` (broadcast), as ``torch.dist``."""
    check_tensor(input, "dist")
    check_tensor(other, "dist", "other")
    return vector_norm(input - other, float(p))


def kron(input, other):
    """The Kronecker product, as ``torch.kron`` (the shorter shape padded with 1s)."""
    check_tensor(input, "kron")
    check_tensor(other, "kron", "other")
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    # a[i] * b[j] at interleaved dims (a0, b0, a1, b1, ...), then merged pairwise.
    a_view = a.reshape(tuple(x for s in a.shape for x in (s, 1)))
    b_view = b.reshape(tuple(x for s in b.shape for x in (1, s)))
    return (a_view * b_view).reshape(tuple(sa * sb for sa, sb in zip(a.shape, b.shape)))


def _float_pair(input, other, op):
    for name, t in (("input", input), ("other", other)):
        if not isinstance(t, Tensor) or not t.dtype.is_floating_point:
            got = t.dtype if isinstance(t, Tensor) else type(t).__name__
            raise TypeError(f"{op}: expected {name} to be a floating point Tensor, got {got}")


def logaddexp(input, other):
    """log(exp(input) + exp(other)), computed stably, as ``torch.logaddexp``
    (equal infinities give themselves)."""
    _float_pair(input, other, "logaddexp")
    hi = where(input > other, input, other)
    lo = where(input > other, other, input)
    same_inf = (hi == lo) & hi.isinf()
    with np.errstate(all="ignore"):  # inf - inf where both are equal infinities: masked out
        gap = where(same_inf, 0.0, lo - hi)
    return where(same_inf, hi, hi + log1p(exp(gap)))


def logaddexp2(input, other):
    """log2(2 ** input + 2 ** other), as ``torch.logaddexp2``."""
    _float_pair(input, other, "logaddexp2")
    ln2 = math.log(2.0)
    return logaddexp(input * ln2, other * ln2) / ln2


def matrix_exp(A):
    """The matrix exponential of ``A`` (..., n, n), as ``torch.linalg.matrix_exp``:
    scaling and squaring with a degree-18 Taylor polynomial, from matrix
    products, so its gradient follows them."""
    if _amp.active:
        return _amp.run("matrix_exp", matrix_exp, A)
    _square(A, "linalg.matrix_exp")
    norm1 = float(A.detach().abs().sum(-2).amax()) if A.numel() else 0.0
    finite = math.isfinite(norm1)  # inf or nan inside: no scaling; the result is nan
    squarings = max(0, int(math.ceil(math.log2(norm1))) + 1) if finite and norm1 > 0.5 else 0
    x = A / (2.0 ** squarings)
    n = A.shape[-1]
    term = eye(n, dtype=A.dtype, device=A.device).expand(*A.shape)
    total = term
    with np.errstate(all="ignore"):  # inf or nan inside: nan out, silently as in PyTorch
        for k in range(1, 19):
            term = (term @ x) / k
            total = total + term
    for _ in range(squarings):
        total = total @ total
    return total



# ---- PyTorch's names outside torch.linalg --------------------------------------


def inverse(input):
    """The inverse of square matrices, as ``torch.inverse`` (``linalg.inv``)."""
    return inv(input)


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse, as ``torch.pinverse``: singular values below
    ``rcond`` times the largest count as zero."""
    if _amp.active:
        return _amp.run("pinverse", pinverse, input, rcond)
    return pinv(input, rtol=rcond)


def cholesky(input, upper=False):
    """The Cholesky factor, as the deprecated ``torch.cholesky`` (use
    ``linalg.cholesky``; this one warns, as PyTorch's does)."""
    if _amp.active:
        return _amp.run("cholesky", cholesky, input, upper)
    warnings.warn("cholesky is deprecated in favor of linalg.cholesky: L = cholesky(A) is "
                  "linalg.cholesky(A), and cholesky(A, upper=True) is linalg.cholesky(A).mH",
                  UserWarning, stacklevel=2)
    return _cholesky(input, upper=upper)


def svd(input, some=True, compute_uv=True):
    """``torch.svd``: (U, S, V) with V, not Vh (thin unless ``some=False``); with
    ``compute_uv=False``, U and V are zeros and only S is computed."""
    if _amp.active:
        return _amp.run("svd", svd, input, some, compute_uv)
    if not compute_uv:  # zero U and V, square whatever ``some`` says (as PyTorch)
        s = svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        zeros = input.new_zeros
        return SvdUSV(zeros(*input.shape[:-2], m, m), s, zeros(*input.shape[:-2], n, n))
    u, s, vh = _linalg_svd(input, full_matrices=not some)
    return SvdUSV(u, s, vh.mT)


SvdUSV = collections.namedtuple("svd", ("U", "S", "V"))


def chain_matmul(*matrices):
    """The product of 2-D matrices, as the deprecated ``torch.chain_matmul`` (use
    ``linalg.multi_dot``, which takes a list; this one warns, as PyTorch's does)."""
    if _amp.active:
        return _amp.run("multi_dot", chain_matmul, *matrices)
    warnings.warn("chain_matmul is deprecated in favor of linalg.multi_dot, which takes a list "
                  "of two or more tensors", UserWarning, stacklevel=2)
    for i, m in enumerate(matrices):
        if not isinstance(m, Tensor) or m.ndim != 2:
            got = f"{m.ndim}-D" if isinstance(m, Tensor) else type(m).__name__
            raise RuntimeError(f"chain_matmul: expected 2-D tensors, got {got} at position {i}")
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)


__methods__ = ("inverse", "pinverse", "cholesky", "matrix_power", "matrix_exp", "dist", "kron",
               "logaddexp", "logaddexp2", "svd", "cross")
__inplace__ = ()
