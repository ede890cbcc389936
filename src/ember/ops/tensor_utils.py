"""Tensor utilities: diff, index grids, combinatorics, small products, integration, scatters.

Most are compositions of differentiable Ember ops (so gradients of any order
come for free); ``diagonal_scatter``, ``select_scatter`` and ``slice_scatter``
share one ``Function`` whose backward is again differentiable. Index
builders (``tril_indices``, ``triu_indices``, ``unravel_index``) carry no
gradient.
"""

import itertools
import math
import numbers

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.backend.device import xp_of
from ember.ops._util import broadcast_shapes, check_tensor, fmt_shape, wrap_dim
from ember.ops.comparison import logical_xor, where
from ember.ops.creation import _finish
from ember.ops.indexing import index_select
from ember.ops.linalg import _add_scaled, dot, matmul, mm, outer
from ember.ops.reduce import constant, cumsum, cumprod, vector_norm
from ember.ops.shape import cat, flip, meshgrid, stack
from ember.ops.views import (Diagonal, Slice, _writable_diagonal, expand, narrow, permute,
                             reshape, select, unsqueeze)
from ember.tensor import Tensor

__all__ = ["diff", "tril_indices", "triu_indices", "unravel_index", "cartesian_prod",
           "combinations", "block_diag", "vander", "mv", "addr", "addbmm", "vdot", "renorm",
           "trapezoid", "trapz", "cumulative_trapezoid", "diagonal_scatter", "select_scatter",
           "slice_scatter"]


def _int(value, op, name):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{op}: expected {name} to be an int, got {type(value).__name__}")
    return int(value)


def _is_integral(t):
    return t._array.dtype.kind in "biu"


# ---- diff ---------------------------------------------------------------------

def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]``, n times.

    ``prepend`` and ``append`` (tensors with ``input``'s number of dims and
    sizes outside ``dim``) are concatenated first. Bool inputs give
    ``x[i + 1] != x[i]``; other dtypes keep theirs (after promotion with
    ``prepend``/``append``). Each pass shortens ``dim`` by one, down to 0.
    """
    check_tensor(input, "diff")
    n = _int(n, "diff", "n")
    shape = input._array.shape
    if not shape:
        raise RuntimeError("diff: expected input to be at least one-dimensional, got a 0-dim "
                           "tensor")
    if n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    axis = wrap_dim(dim, len(shape), "diff")
    if n == 0:
        return input
    parts = []
    for name, t in (("prepend", prepend), ("append", append)):
        if t is None:
            continue
        check_tensor(t, "diff", name)
        other = t._array.shape
        if len(other) != len(shape):
            raise RuntimeError(f"diff: expected {name} to have the same number of dimensions as "
                               f"input ({len(shape)}), got shape {fmt_shape(other)}")
        for d, (a, b) in enumerate(zip(shape, other)):
            if d != axis and a != b:
                raise RuntimeError(f"diff: expected the shape of {name} to match that of input "
                                   f"except along dim {axis}; input.size({d}) = {a}, but "
                                   f"{name}.size({d}) = {b}")
        parts.append((name, t))
    x = input
    if parts:
        pieces = [t for name, t in parts if name == "prepend"] + [input] + \
                 [t for name, t in parts if name == "append"]
        x = cat(pieces, axis)
    for _ in range(n):
        m = x._array.shape[axis]
        if m == 0:
            break
        hi, lo = narrow(x, axis, 1, m - 1), narrow(x, axis, 0, m - 1)
        x = logical_xor(hi, lo) if x._array.dtype == np.bool_ else hi - lo
    return x


# ---- index builders -----------------------------------------------------------

def _tri_indices(op, numpy_fn, row, col, offset, dtype, device):
    row, col, offset = _int(row, op, "row"), _int(col, op, "col"), _int(offset, op, "offset")
    if row < 0:
        raise RuntimeError(f"{op}: row must be non-negative, got {row}")
    if col < 0:
        raise RuntimeError(f"{op}: col must be non-negative, got {col}")
    dtype = _dt.int64 if dtype is None else _dt.as_dtype(dtype)
    if np.dtype(dtype.np).kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer dtype, got {dtype}")
    r, c = numpy_fn(row, offset, col)
    return _finish(np.stack([r, c]).astype(dtype.np).reshape(2, -1), None, device, False, op)


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    """Coordinates (a 2 x N tensor: rows, then columns) of the lower triangle of a
    ``row`` x ``col`` matrix, row by row.

    ``offset`` moves the diagonal: positive includes more, above it. ``dtype``
    defaults to int64 (integer dtypes only).
    """
    return _tri_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    """Coordinates (a 2 x N tensor: rows, then columns) of the upper triangle of a
    ``row`` x ``col`` matrix, row by row; ``offset`` as in :func:`tril_indices`."""
    return _tri_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device)


def unravel_index(indices, shape):
    """Flat ``indices`` into a tensor of ``shape`` as one coordinate tensor per dimension.

    Returns a tuple of int64 tensors of ``indices``' shape. Like PyTorch, an
    index is not bounds-checked: coordinates are ``indices // stride % size``
    (negative indices count from the end).
    """
    check_tensor(indices, "unravel_index", "indices")
    if indices._array.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: expected 'indices' to be integer dtype, but got "
                        f"{indices.dtype}")
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)) or \
            not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"unravel_index: expected 'shape' to be an int or a sequence of ints, "
                        f"got {shape!r}")
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"unravel_index: 'shape' cannot have negative values, but got {shape}")
    if 0 in shape:
        raise RuntimeError(f"unravel_index: cannot unravel into shape {shape}, which has a "
                           "dimension of size 0")
    a = indices._array.astype(np.int64)
    xp = xp_of(a)
    strides = [math.prod(shape[i + 1:]) for i in range(len(shape))]
    return tuple(constant(xp.asarray((a // st) % s)) for st, s in zip(strides, shape))


# ---- combinatorics ------------------------------------------------------------

def cartesian_prod(*tensors):
    """All combinations of one entry from each 1-D tensor, as rows of an (N, k) tensor.

    The last tensor varies fastest (``itertools.product`` order). With a
    single tensor, that tensor itself is returned.
    """
    if not tensors:
        raise RuntimeError("cartesian_prod: expected at least one tensor")
    for i, t in enumerate(tensors):
        check_tensor(t, "cartesian_prod", f"tensor {i}")
        if t._array.ndim != 1:
            raise RuntimeError(f"cartesian_prod: expected 1-D tensors, got shape "
                               f"{fmt_shape(t._array.shape)} for tensor {i}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError(f"cartesian_prod: expected all tensors to have the same dtype, "
                               f"got {tensors[0].dtype} and {t.dtype} (tensor {i})")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-``r`` combinations of the entries of a 1-D tensor, as rows of an (N, r) tensor.

    In ``itertools.combinations`` order (``combinations_with_replacement``
    with ``with_replacement=True``); ``r=0`` gives an empty 1-D tensor.
    """
    check_tensor(input, "combinations")
    r = _int(r, "combinations", "r")
    if input._array.ndim != 1:
        raise RuntimeError(f"combinations: expected a 1-D tensor, got shape "
                           f"{fmt_shape(input._array.shape)}")
    if r < 0:
        raise RuntimeError(f"combinations: expected a non-negative r, got {r}")
    xp = xp_of(input._array)
    if r == 0:
        return constant(xp.zeros((0,), input._array.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    idx = np.fromiter(itertools.chain.from_iterable(pick(range(input._array.shape[0]), r)),
                      dtype=np.int64)
    rows = index_select(input, 0, constant(idx if xp is np else xp.asarray(idx)))
    return reshape(rows, (-1, r))


def block_diag(*tensors):
    """A block-diagonal matrix with ``tensors`` (0-d, 1-D or 2-D) as its blocks.

    A 0-d tensor is a 1 x 1 block and a 1-D tensor a one-row block; dtypes
    are promoted. No tensors give an empty (1, 0) tensor.
    """
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"block_diag: expected a Tensor as element {i}, got "
                            f"{type(t).__name__}")
        if t._array.ndim > 2:
            raise RuntimeError(f"block_diag: input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._array.ndim} dimensions")
    if not tensors:
        return constant(np.zeros((1, 0), _dt.get_default_dtype().np))
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = _dt.promote_types(dtype, t.dtype)
    blocks = [reshape(t if t.dtype is dtype else t.to(dtype),
                      (1, 1) if t._array.ndim == 0 else (1, -1) if t._array.ndim == 1
                      else t._array.shape) for t in tensors]
    xp = xp_of(tensors[0]._array)
    width = sum(b._array.shape[1] for b in blocks)
    bands, left = [], 0
    for b in blocks:
        h, w = b._array.shape
        bands.append(cat([constant(xp.zeros((h, left), dtype.np)), b,
                          constant(xp.zeros((h, width - left - w), dtype.np))], 1))
        left += w
    return cat(bands, 0)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D tensor: columns ``x ** (N - 1)``, ..., ``x ** 0``.

    ``N`` columns (default ``len(x)``), in increasing powers with
    ``increasing=True``. Integer and bool inputs give int64. Built with
    cumprod, as PyTorch, so gradients are exact with zeros in ``x``.
    """
    check_tensor(x, "vander", "x")
    if x._array.ndim != 1:
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got shape "
                           f"{fmt_shape(x._array.shape)}")
    n = x._array.shape[0]
    N = n if N is None else _int(N, "vander", "N")
    if N < 0:
        raise RuntimeError(f"vander: N must be non-negative, got {N}")
    dtype = _dt.promote_types(x.dtype, _dt.int64)
    if dtype is not x.dtype:
        x = x.to(dtype)
    xp = xp_of(x._array)
    ones = constant(xp.ones((n, min(N, 1)), dtype.np))
    out = ones if N <= 1 else \
        cat([ones, cumprod(expand(unsqueeze(x, 1), (n, N - 1)), 1)], 1)
    return out if increasing else flip(out, 1)


# ---- products -----------------------------------------------------------------

def mv(input, vec):
    """Matrix-vector product of a 2-D ``input`` (n, m) and a 1-D ``vec`` (m,)."""
    if _amp.active:
        return _amp.run("mv", mv, input, vec)
    check_tensor(input, "mv")
    check_tensor(vec, "mv", "vec")
    a, v = input._array, vec._array
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"mv: expected a 2-D input and a 1-D vec, got shapes "
                           f"{fmt_shape(a.shape)} and {fmt_shape(v.shape)}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"mv: size mismatch, got input {fmt_shape(a.shape)} and vec "
                           f"{fmt_shape(v.shape)}")
    if input.dtype is not vec.dtype:
        raise RuntimeError(f"mv: expected input and vec to have the same dtype, got "
                           f"{input.dtype} and {vec.dtype}")
    return matmul(input, vec)


def _check_scalars(op, input, beta, alpha):
    if _is_integral(input):
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(f"{op}: for integral input tensors, argument {name} must not "
                                   f"be a floating point number, got {v}")


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2), ``input`` broadcast to (len(vec1), len(vec2)).

    For bool tensors, ``+`` and ``*`` are ``or`` and ``and``, as in PyTorch.
    Differs from PyTorch: with beta=0, ``input`` gets no gradient (None, not zeros).
    """
    if _amp.active:
        return _amp.run("addr", addr, input, vec1, vec2, beta=beta, alpha=alpha)
    check_tensor(input, "addr")
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        check_tensor(v, "addr", name)
        if v._array.ndim != 1:
            raise RuntimeError(f"addr: expected 1-D argument {name}, but got "
                               f"{v._array.ndim}-D")
    _check_scalars("addr", input, beta, alpha)
    dtype = _dt.promote_types(_dt.promote_types(input.dtype, vec1.dtype), vec2.dtype)
    if dtype is _dt.bool_:
        shape = (vec1._array.shape[0], vec2._array.shape[0])
        broadcast_shapes(input._array.shape, shape, op="addr")
        prod = vec1._array[:, None] & vec2._array[None, :]
        return constant((input._array & bool(beta)) | (prod & bool(alpha)))
    product = outer(vec1, vec2)
    if product.dtype is not dtype:
        product = product.to(dtype)
    return _add_scaled("addr", input, product, beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum over b of batch1[b] @ batch2[b], ``input`` broadcast to (n, p).

    ``input``, ``batch1`` (b, n, m) and ``batch2`` (b, m, p) must share one
    dtype (no promotion, as PyTorch; bool is refused). Computed as one
    (n, b*m) @ (b*m, p) product.
    Differs from PyTorch: with beta=0, ``input`` gets no gradient (None, not zeros).
    """
    if _amp.active:
        return _amp.run("addbmm", addbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    check_tensor(input, "addbmm")
    check_tensor(batch1, "addbmm", "batch1")
    check_tensor(batch2, "addbmm", "batch2")
    s1, s2 = batch1._array.shape, batch2._array.shape
    if len(s1) != 3 or len(s2) != 3:
        raise RuntimeError(f"addbmm: expected 3-D batch1 and batch2, got shapes {fmt_shape(s1)} "
                           f"and {fmt_shape(s2)}")
    if s1[0] != s2[0]:
        raise RuntimeError(f"addbmm: batch1 and batch2 must have the same number of batches, "
                           f"got {s1[0]} and {s2[0]}")
    if s1[2] != s2[1]:
        raise RuntimeError(f"addbmm: incompatible matrix sizes for bmm ({s1[1]}x{s1[2]} and "
                           f"{s2[1]}x{s2[2]})")
    if batch1.dtype is not batch2.dtype:
        raise RuntimeError(f"addbmm: expected batch1 and batch2 to have the same dtype, got "
                           f"{batch1.dtype} and {batch2.dtype}")
    if input.dtype is not batch1.dtype:  # PyTorch: no promotion, whatever beta
        raise RuntimeError(f"addbmm: expected input of the dtype of batch1 and batch2 "
                           f"({batch1.dtype}), got {input.dtype} (self and mat2 must have the "
                           "same dtype)")
    if input._array.dtype == np.bool_:
        raise NotImplementedError("addbmm: expected a non-bool dtype, got bool "
                                  "(\"addmm_impl_cpu_\" not implemented for 'Bool')")
    _check_scalars("addbmm", input, beta, alpha)
    b, n, m = s1
    product = mm(reshape(permute(batch1, (1, 0, 2)), (n, b * m)), reshape(batch2, (b * m, s2[2])))
    return _add_scaled("addbmm", input, product, beta, alpha)


def vdot(input, other):
    """Dot product of two 1-D tensors of one dtype and size (real tensors: ``dot``)."""
    check_tensor(input, "vdot")
    check_tensor(other, "vdot", "other")
    a, b = input._array, other._array
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"vdot: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"vdot: expected both vectors to have same dtype, but found "
                           f"{input.dtype} and {other.dtype}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"vdot: inconsistent tensor size, expected tensors of the same number "
                           f"of elements, got {a.shape[0]} and {b.shape[0]}")
    if a.dtype == np.bool_:
        raise RuntimeError("vdot: not implemented for bool tensors")
    return dot(input, other)


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm``, scaled to norm ``maxnorm``.

    The scale is ``maxnorm / (norm + 1e-7)`` as in PyTorch; other slices are
    unchanged. Differentiable through the norm (PyTorch's gradient).
    """
    check_tensor(input, "renorm")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"renorm: expected a floating point input, got {input.dtype}")
    ndim = input._array.ndim
    if ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {ndim} dimensions")
    for name, v in (("p", p), ("maxnorm", maxnorm)):
        if not isinstance(v, numbers.Real) or isinstance(v, bool):
            raise TypeError(f"renorm: expected {name} to be a number, got {type(v).__name__}")
    if not p > 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    axis = wrap_dim(dim, ndim, "renorm")
    norm = vector_norm(input, float(p), tuple(d for d in range(ndim) if d != axis), True)
    big = constant(norm._array > maxnorm)
    return input * where(big, maxnorm / (norm + 1e-7), 1.0)


# ---- trapezoid rule -----------------------------------------------------------

def _trapezoid(op, y, x, dx, dim, cumulative):
    check_tensor(y, op, "y")
    if x is not None and dx is not None:
        raise TypeError(f"{op}: pass either x (sample points) or dx (a spacing), not both")
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected x to be a Tensor of sample points, got "
                        f"{type(x).__name__} (pass a constant spacing as dx=)")
    ndim = y._array.ndim
    if ndim == 0:
        raise IndexError(f"{op}: expected y to have at least one dimension, got a 0-dim tensor")
    axis = wrap_dim(dim, ndim, op)
    if y._array.dtype == np.bool_ or (x is not None and x._array.dtype == np.bool_):
        raise RuntimeError(f"{op}: received a bool input for `x` or `y`, but bool is not "
                           "supported")
    if dx is not None and (not isinstance(dx, numbers.Real) or isinstance(dx, bool)):
        raise RuntimeError(f"{op}: currently, we only support dx as a real number, got {dx!r}")
    n = y._array.shape[axis]
    if n == 0 and not cumulative:  # NumPy's (and PyTorch's) integral over no samples: 0
        shape = tuple(s for i, s in enumerate(y._array.shape) if i != axis)
        return constant(xp_of(y._array).zeros(shape, y._array.dtype))
    m = max(n - 1, 0)
    left, right = narrow(y, axis, 0, m), narrow(y, axis, min(1, n), m)
    if x is None:
        d = 1 if dx is None else dx
        if cumulative:
            return cumsum(d / 2.0 * (left + right), axis)
        return (y.sum(axis) - (select(y, axis, 0) + select(y, axis, -1)) * 0.5) * d
    xs = x._array.shape
    if len(xs) == 1:
        if xs[0] != n:
            raise RuntimeError(f"{op}: there must be one `x` value for each sample point, got "
                               f"{xs[0]} for {n} samples along dim {axis}")
        x = reshape(x, tuple(n if i == axis else 1 for i in range(ndim)))
    elif len(xs) < ndim:
        x = reshape(x, (1,) * (ndim - len(xs)) + xs)
    elif len(xs) > ndim:
        raise RuntimeError(f"{op}: expected x to have at most as many dimensions as y "
                           f"({ndim}), got shape {fmt_shape(xs)}")
    k = x._array.shape[axis]
    spacing = narrow(x, axis, min(1, k), max(k - 1, 0)) - narrow(x, axis, 0, max(k - 1, 0))
    broadcast_shapes(left._array.shape, spacing._array.shape, op=op)
    if cumulative:
        return cumsum((left + right) * spacing, axis) / 2.0
    return ((left + right) * spacing).sum(axis) / 2.0


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Integral of ``y`` along ``dim`` by the trapezoid rule.

    Samples are at ``x`` (1-D with one point per sample, or broadcastable to
    ``y``), or ``dx`` apart (default 1). No samples give 0.
    """
    return _trapezoid("trapezoid", y, x, dx, dim, False)


def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of :func:`trapezoid`."""
    return _trapezoid("trapz", y, x, dx, dim, False)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoid-rule integral of ``y`` along ``dim`` (one entry fewer than ``y``).

    ``x`` and ``dx`` as in :func:`trapezoid`.
    """
    return _trapezoid("cumulative_trapezoid", y, x, dx, dim, True)


# ---- scatters into a region ---------------------------------------------------

def _region_of(t, region):
    """The part of Tensor ``t`` that ``region`` names, differentiably (a copy-free view op)."""
    kind, args = region
    return Slice.apply(t, args) if kind == "index" else Diagonal.apply(t, *args)


class ScatterRegion(Function):
    """A copy of ``x`` with ``src`` written over one region: a basic index or a diagonal.

    The gradient is ``g`` with the region zeroed for ``x`` and the region of
    ``g`` for ``src``; both are Ember ops, so it is differentiable again.
    """

    @staticmethod
    def forward(ctx, x, src, region):
        ctx.region, ctx.src_shape = region, src.shape
        out = x.copy()
        kind, args = region
        if kind == "index":
            out[args] = src
        else:
            _writable_diagonal(out, *args, ctx.xp)[...] = src
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        gx = gsrc = None
        if need[0]:
            zeros = constant(ctx.xp.zeros(ctx.src_shape, g._array.dtype))
            gx = ScatterRegion.apply(g, zeros, ctx.region)
        if need[1]:
            gsrc = _region_of(g, ctx.region)
        return gx, gsrc, None


def _shape_only(t):
    """A zero-memory array of ``t``'s shape, to work out the shape of a region."""
    return np.broadcast_to(np.False_, t._array.shape)


def _scatter(op, input, src, region, region_shape):
    check_tensor(input, op)
    check_tensor(src, op, "src")
    if src._array.shape != region_shape:
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. src "
                           f"size = {fmt_shape(src._array.shape)}, slice size = "
                           f"{fmt_shape(region_shape)}")
    if src.dtype is not input.dtype:
        src = src.to(input.dtype)
    return ScatterRegion.apply(input, src, region)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with ``src`` written on its diagonal ``diagonal(offset, dim1, dim2)``.

    ``src`` must have that diagonal's shape; it is cast to ``input``'s dtype.
    Differentiable in both.
    """
    check_tensor(input, "diagonal_scatter")
    offset = _int(offset, "diagonal_scatter", "offset")
    ndim = input._array.ndim
    a, b = wrap_dim(dim1, ndim, "diagonal_scatter"), wrap_dim(dim2, ndim, "diagonal_scatter")
    if a == b:
        raise RuntimeError(f"diagonal_scatter: diagonal dimensions cannot be identical, got "
                           f"{dim1} and {dim2}")
    shape = np.diagonal(_shape_only(input), offset, a, b).shape
    return _scatter("diagonal_scatter", input, src, ("diagonal", (offset, a, b)), shape)


def _dim_of(op, input, dim, what):
    if input._array.ndim == 0:
        raise IndexError(f"{op}: {what}() cannot be applied to a 0-dim tensor")
    return wrap_dim(dim, input._array.ndim, op)


def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``src`` written at ``index`` along ``dim`` (``select``'s slice).

    ``src`` must have the slice's shape; it is cast to ``input``'s dtype.
    Differentiable in both.
    """
    check_tensor(input, "select_scatter")
    axis = _dim_of("select_scatter", input, dim, "select")
    index = _int(index, "select_scatter", "index")
    shape = input._array.shape
    if not -shape[axis] <= index < shape[axis]:
        raise IndexError(f"select_scatter: index {index} out of range for tensor of size "
                         f"{fmt_shape(shape)} at dimension {axis}")
    region = (slice(None),) * axis + (index % shape[axis],)
    return _scatter("select_scatter", input, src, ("index", region),
                    shape[:axis] + shape[axis + 1:])


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` with ``src`` written over its slice ``start:end:step`` along ``dim``.

    ``start`` and ``end`` follow Python's slicing (negative from the end,
    clamped); ``step`` must be positive. ``src`` must have the slice's shape;
    it is cast to ``input``'s dtype. Differentiable in both.
    """
    check_tensor(input, "slice_scatter")
    axis = _dim_of("slice_scatter", input, dim, "slice")
    step = _int(step, "slice_scatter", "step")
    for name, v in (("start", start), ("end", end)):
        if v is not None:
            _int(v, "slice_scatter", name)
    if step <= 0:
        raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
    region = (slice(None),) * axis + (slice(start, end, step),)
    shape = _shape_only(input)[region].shape
    return _scatter("slice_scatter", input, src, ("index", region), shape)


__methods__ = ("diff", "mv", "addr", "addbmm", "vdot", "renorm", "diagonal_scatter",
               "select_scatter", "slice_scatter")
__inplace__ = ("addr", "addbmm", "renorm")
