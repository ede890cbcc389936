"""Shape ops that copy: joining, tiling, flipping, rolling, triangles and diagonals.

Views (reshape, transpose, expand, split...) live in ``views.py``; the ops
here build new storage. Their backwards are written with views and
reductions, or with the op itself (flip, roll, tril are their own adjoints
up to arguments), so every gradient is differentiable again.
"""

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.backend import dtype as _dt
from ember.ops import _util
from ember.ops._util import check_tensor, fmt_shape, shape_arg, wrap_dim, wrap_dims
from ember.ops.convert import clone
from ember.ops.creation import tensor as _tensor
from ember.ops.creation import zeros
from ember.ops.indexing import getitem
from ember.ops.reduce import sum as _sum
from ember.ops.views import DiagEmbed, expand, narrow, reshape, transpose, unbind
from ember.ops.views import diagonal as _diagonal
from ember.tensor import Tensor

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
           "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "repeat", "tile",
           "repeat_interleave", "flip", "fliplr", "flipud", "roll", "rot90", "tril", "triu",
           "diag", "diag_embed", "diagflat", "broadcast_tensors", "broadcast_shapes", "meshgrid",
           "ravel"]


# ---- joining ------------------------------------------------------------------

def _tensor_list(tensors, op):
    """The tensors of a non-empty list or tuple, promoted to their common dtype."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of Tensors, got {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{op}: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected a Tensor at position {i}, got {type(t).__name__}")
    dtype = _dt.from_numpy_dtype(tensors[0]._array.dtype)
    for t in tensors[1:]:
        if t._array.dtype != dtype.np:
            dtype = _dt.promote_types(dtype, _dt.from_numpy_dtype(t._array.dtype))
    return [t if t._array.dtype == dtype.np else t.to(dtype) for t in tensors]


def _is_legacy_empty(a):
    # PyTorch skips 1-D tensors of shape (0,) in cat whatever the other shapes.
    return a.ndim == 1 and a.shape[0] == 0


class Cat(Function):
    """Concatenate along ``axis``; the gradient is cut back into the pieces."""

    row_major = True

    @staticmethod
    def forward(ctx, axis, *xs):
        skip = [_is_legacy_empty(x) for x in xs]
        if all(skip):
            skip = [False] * len(xs)
        ctx.axis = axis
        ctx.sizes = [None if s else x.shape[axis] for x, s in zip(xs, skip)]
        return ctx.xp.concatenate([x for x, s in zip(xs, skip) if not s], axis=axis)

    @staticmethod
    def backward(ctx, g):
        grads, start = [None], 0
        for size, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            if size is None:
                grads.append(zeros(0, dtype=g.dtype, device=g.device) if need else None)
                continue
            grads.append(narrow(g, ctx.axis, start, size) if need else None)
            start += size
        return tuple(grads)


class Stack(Function):
    """Join equal-shaped tensors along a new ``axis``."""

    row_major = True

    @staticmethod
    def forward(ctx, axis, *xs):
        ctx.axis = axis
        return ctx.xp.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return (None,) + unbind(g, ctx.axis)


def cat(tensors, dim=0):
    """Concatenate ``tensors`` along the existing dimension ``dim``.

    Mixed dtypes are promoted as PyTorch does; 1-D tensors of shape (0,) are
    skipped whatever the other shapes (PyTorch's legacy rule).

    Raises:
        RuntimeError: on an empty list, a 0-d tensor, or sizes that differ
            outside ``dim``.
    """
    if _amp.active:
        return _amp.run("cat", cat, tensors, dim)
    tensors = _tensor_list(tensors, "cat")
    kept = [(i, t) for i, t in enumerate(tensors) if not _is_legacy_empty(t._array)]
    for i, t in kept:
        if t._array.ndim == 0:
            raise RuntimeError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    if not kept:
        return Cat.apply(wrap_dim(dim, 1, "cat"), *tensors)
    first_i, first = kept[0]
    shape = first._array.shape
    axis = wrap_dim(dim, len(shape), "cat")
    for i, t in kept[1:]:
        other = t._array.shape
        if len(other) != len(shape):
            raise RuntimeError(f"cat: tensors must have the same number of dimensions: got "
                               f"{len(shape)} (tensor {first_i}) and {len(other)} (tensor {i})")
        for d, (a, b) in enumerate(zip(shape, other)):
            if d != axis and a != b:
                raise RuntimeError(f"cat: sizes of tensors must match except in dimension "
                                   f"{axis}: expected size {a} but got size {b} in dimension {d} "
                                   f"for tensor number {i} in the list (shapes "
                                   f"{fmt_shape(shape)} and {fmt_shape(other)})")
    return Cat.apply(axis, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join equal-shaped ``tensors`` along a new dimension ``dim``."""
    if _amp.active:
        return _amp.run("stack", stack, tensors, dim)
    tensors = _tensor_list(tensors, "stack")
    shape = tensors[0]._array.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._array.shape != shape:
            raise RuntimeError(f"stack: expects each tensor to be equal size, but got "
                               f"{fmt_shape(shape)} at entry 0 and {fmt_shape(t._array.shape)} at "
                               f"entry {i}")
    return Stack.apply(wrap_dim(dim, len(shape) + 1, "stack"), *tensors)


def _nonempty(tensors, op):
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise RuntimeError(f"{op}: expects a non-empty list or tuple of Tensors")
    return tensors


def hstack(tensors):
    """Concatenate horizontally: along dim 0 for 1-D tensors, else dim 1."""
    tensors = atleast_1d(_nonempty(tensors, "hstack"))
    return cat(tensors, 0 if tensors[0]._array.ndim == 1 else 1)


def vstack(tensors):
    """Concatenate row-wise (dim 0) after making each tensor at least 2-D."""
    return cat(atleast_2d(_nonempty(tensors, "vstack")), 0)


row_stack = vstack


def dstack(tensors):
    """Concatenate depth-wise (dim 2) after making each tensor at least 3-D."""
    return cat(atleast_3d(_nonempty(tensors, "dstack")), 2)


def column_stack(tensors):
    """Concatenate along dim 1; 0-d and 1-D tensors become columns first."""
    tensors = _nonempty(tensors, "column_stack")
    cols = [reshape(t, (t._array.size, 1))
            if check_tensor(t, "column_stack")._array.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)


def _atleast(tensors, fix, op):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fix(check_tensor(t, op)) for t in tensors[0])
    out = tuple(fix(check_tensor(t, op)) for t in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors):
    """Each tensor viewed with at least one dimension (0-d becomes shape (1,)).

    Returns a Tensor for one tensor argument, else a tuple.
    """
    return _atleast(tensors, lambda t: reshape(t, (1,)) if t._array.ndim == 0 else t, "atleast_1d")


def atleast_2d(*tensors):
    """Each tensor viewed with at least two dimensions ((n,) becomes (1, n))."""
    def fix(t):
        return reshape(t, (1,) * (2 - t._array.ndim) + t._array.shape) if t._array.ndim < 2 else t
    return _atleast(tensors, fix, "atleast_2d")


def atleast_3d(*tensors):
    """Each tensor viewed with at least three dimensions: () -> (1, 1, 1),
    (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    def fix(t):
        shape = t._array.shape
        if len(shape) == 0:
            return reshape(t, (1, 1, 1))
        if len(shape) == 1:
            return reshape(t, (1, shape[0], 1))
        return reshape(t, shape + (1,)) if len(shape) == 2 else t
    return _atleast(tensors, fix, "atleast_3d")


# ---- repeating --------------------------------------------------------------

class Repeat(Function):
    """Tile the input ``reps`` times per dimension (NumPy's tile)."""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape, ctx.reps = x.shape, reps
        return ctx.xp.tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        # Output dim d is (reps[d], size[d]) flattened: split each dim so,
        # then sum the copies away.
        reps = ctx.reps
        sizes = (1,) * (len(reps) - len(ctx.shape)) + ctx.shape
        split = tuple(n for pair in zip(reps, sizes) for n in pair)
        summed = _sum(reshape(g, split), tuple(range(0, len(split), 2)))
        return reshape(summed, ctx.shape), None


def _sizes(first, rest, op):
    """``f(x, (2, 3))`` and the method form ``x.f(2, 3)`` alike."""
    return shape_arg((first,) + rest, op)


def repeat(input, *sizes):
    """Tile ``input``: ``sizes[d]`` copies along each dimension (``Tensor.repeat``).

    ``len(sizes)`` may exceed ``input.ndim``: new leading dimensions are added.
    Always returns a copy.
    """
    sizes = shape_arg(sizes, "repeat")
    if len(sizes) < input._array.ndim:
        raise RuntimeError(f"repeat: number of dimensions of repeat dims ({len(sizes)}) can not "
                           f"be smaller than number of dimensions of tensor ({input._array.ndim})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {list(sizes)}")
    return Repeat.apply(input, sizes)


def tile(input, dims, *more_dims):
    """Repeat ``input`` ``dims[d]`` times along each dimension.

    Unlike ``repeat``, fewer ``dims`` than dimensions are allowed: they are
    padded with leading ones.
    """
    dims = _sizes(dims, more_dims, "tile")
    return repeat(input, (1,) * (input._array.ndim - len(dims)) + dims)


def _repeat_counts(repeats, n, op):
    """Per-element repeat counts as a NumPy int64 array of length ``n``."""
    if isinstance(repeats, Tensor):
        if repeats._array.dtype.kind not in "iu":
            raise RuntimeError(f"{op}: repeats must be an integer tensor, got {repeats.dtype}")
        if repeats._array.ndim > 1:
            raise RuntimeError(f"{op}: repeats must be 0-dim or 1-dim tensor, got "
                               f"{repeats._array.ndim} dims")
        counts = np.asarray(repeats.tolist(), np.int64).reshape(-1)
        if counts.size != 1 and counts.size != n:
            raise RuntimeError(f"{op}: repeats must have the same size as input along dim, but "
                               f"got repeats.size(0) = {counts.size} and input size {n}")
    elif isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        counts = np.asarray([repeats], np.int64)
    else:
        raise TypeError(f"{op}: expected repeats to be an int or an integer Tensor, got "
                        f"{type(repeats).__name__}")
    if (counts < 0).any():
        raise RuntimeError(f"{op}: repeats must be non-negative, got {counts.tolist()}")
    return np.broadcast_to(counts, (n,))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times along ``dim`` (flattened when None).

    ``repeats`` is an int or a tensor of per-element counts. Called with
    only an integer tensor, ``repeat_interleave(r)`` returns ``0..len(r)-1``
    with element ``i`` repeated ``r[i]`` times.

    Differs from PyTorch: a 0-d input with ``dim=0`` is treated as 1-D
    (PyTorch 2.13 raises an internal dimension-out-of-range error).

    Args:
        output_size: the total output length along ``dim``, checked if given.
    """
    if repeats is None:
        if input._array.ndim != 1:
            raise RuntimeError(f"repeat_interleave: repeats must be a 1-D tensor, got "
                               f"{input._array.ndim} dims")
        counts = _repeat_counts(input, input._array.shape[0], "repeat_interleave")
        return _tensor(np.repeat(np.arange(counts.size), counts), device=input.device)
    if dim is None:
        input, d = reshape(input, (input._array.size,)), 0
    else:
        d = wrap_dim(dim, input._array.ndim, "repeat_interleave")
        if input._array.ndim == 0:
            input = reshape(input, (1,))
    counts = _repeat_counts(repeats, input._array.shape[d], "repeat_interleave")
    index = np.repeat(np.arange(counts.size), counts)
    if output_size is not None and output_size != index.size:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match the "
                           f"sum of repeats {index.size}")
    return getitem(input, (slice(None),) * d + (_tensor(index, device=input.device),))


# ---- flipping and rolling -----------------------------------------------------

class Flip(Function):
    """Reverse the order of elements along ``axes`` (a copy, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return ctx.xp.flip(x, axes).copy() if axes else x.copy()

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.axes), None


class Roll(Function):
    """Shift elements cyclically by ``shifts`` along ``axes`` (flattened if None)."""

    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return ctx.xp.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if ctx.axes is not None else -ctx.shifts
        return Roll.apply(g, back, ctx.axes), None, None


def flip(input, dims, *more_dims):
    """Reverse the order of elements along ``dims`` (a copy)."""
    return Flip.apply(input, wrap_dims(_sizes(dims, more_dims, "flip"), input._array.ndim, "flip"))


def fliplr(input):
    """Flip left/right: reverse dimension 1 (input must be at least 2-D)."""
    if input._array.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got {input._array.ndim}-d")
    return flip(input, (1,))


def flipud(input):
    """Flip up/down: reverse dimension 0 (input must be at least 1-D)."""
    if input._array.ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d, got a 0-d tensor")
    return flip(input, (0,))


def roll(input, shifts, dims=None):
    """Shift elements cyclically; without ``dims``, over the flattened tensor.

    Elements shifted past the last position re-enter at the first.
    """
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    shifts = tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align: got {len(shifts)} "
                               "shifts and no dims (only one shift is allowed without dims)")
        return Roll.apply(input, shifts[0], None)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dimensions must align: got {len(shifts)} shifts "
                           f"and {len(dims)} dims")
    axes = tuple(wrap_dim(d, input._array.ndim, "roll") for d in dims)
    if input._array.ndim == 0:
        raise IndexError("roll: dimension specified as 0 but tensor has no dimensions")
    return Roll.apply(input, shifts, axes)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first
    dimension towards the second."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if input._array.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = "
                           f"{input._array.ndim}")
    d0, d1 = (wrap_dim(d, input._array.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = "
                           f"{dims[0]} and dim1 = {dims[1]}")
    k %= 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return transpose(flip(input, (d0,)), d0, d1)
    return clone(input)


# ---- triangles and diagonals ----------------------------------------------------

class Tril(Function):
    """Zero the elements above the ``k``-th diagonal of the last two dims."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return ctx.xp.tril(x, k)

    @staticmethod
    def backward(ctx, g):
        return Tril.apply(g, ctx.k), None


class Triu(Function):
    """Zero the elements below the ``k``-th diagonal of the last two dims."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return ctx.xp.triu(x, k)

    @staticmethod
    def backward(ctx, g):
        return Triu.apply(g, ctx.k), None


def _check_matrix(input, op):
    if input._array.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                           f"{fmt_shape(input._array.shape)}")


def tril(input, diagonal=0):
    """The lower triangle of (a batch of) matrices: elements above ``diagonal`` zeroed.

    ``diagonal`` 0 is the main diagonal; positive values keep more, above it.
    """
    _check_matrix(input, "tril")
    return Tril.apply(input, int(diagonal))


def triu(input, diagonal=0):
    """The upper triangle of (a batch of) matrices: elements below ``diagonal`` zeroed."""
    _check_matrix(input, "triu")
    return Triu.apply(input, int(diagonal))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Place the last dimension of ``input`` on the ``offset`` diagonal of new
    dims ``dim1``/``dim2`` (of size ``n + |offset|``); zeros elsewhere."""
    if input._array.ndim == 0:
        raise RuntimeError("diag_embed: expected a tensor with at least 1 dimension, got 0-d")
    n_out = input._array.ndim + 1
    d1, d2 = wrap_dim(dim1, n_out, "diag_embed"), wrap_dim(dim2, n_out, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical, got {dim1} "
                           f"and {dim2}")
    n = input._array.shape[-1] + abs(offset)
    rest = iter(input._array.shape[:-1])
    shape = tuple(n if i in (d1, d2) else next(rest) for i in range(n_out))
    return DiagEmbed.apply(input, shape, offset, d1, d2)


def diag(input, diagonal=0):
    """A 1-D input on the ``diagonal`` of a new square matrix, or a copy of the
    ``diagonal`` of a 2-D input."""
    if input._array.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input._array.ndim == 2:
        return clone(_diagonal(input, diagonal))
    raise RuntimeError(f"diag: supports 1-D or 2-D tensors, got {input._array.ndim}-D")


def diagflat(input, offset=0):
    """The flattened ``input`` on the ``offset`` diagonal of a new square matrix."""
    return diag_embed(reshape(input, (input._array.size,)), offset, 0, 1)


# ---- broadcasting and grids -------------------------------------------------------

def broadcast_shapes(*shapes):
    """The shape that ``shapes`` (ints or sequences of ints) broadcast to, a tuple."""
    shapes = [(s,) if isinstance(s, (int, np.integer)) else shape_arg((s,), "broadcast_shapes")
              for s in shapes]
    return tuple(_util.broadcast_shapes(*shapes, op="broadcast_shapes"))


def broadcast_tensors(*tensors):
    """``tensors`` expanded to their common broadcast shape (views), as a tuple."""
    for t in tensors:
        check_tensor(t, "broadcast_tensors")
    shape = _util.broadcast_shapes(*(t._array.shape for t in tensors), op="broadcast_tensors")
    return tuple(expand(t, shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D (or 0-d) tensors, as a tuple of expanded views.

    Args:
        indexing: ``"ij"`` (matrix; output shape ``(len(t0), len(t1), ...)``) or
            ``"xy"`` (Cartesian; the first two sizes swapped). Default ``"ij"``
            (PyTorch warns when it is left out; Ember does not).
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise RuntimeError("meshgrid: expects a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        check_tensor(t, "meshgrid")
        if t._array.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0D or 1D tensors, got shape "
                               f"{fmt_shape(t._array.shape)} at position {i}")
        if t._array.dtype != tensors[0]._array.dtype:
            raise RuntimeError(f"meshgrid: expects all tensors to have the same dtype, got "
                               f"{tensors[0].dtype} and {t.dtype} (position {i})")
    sizes = [t._array.size for t in tensors]
    positions = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        positions[0], positions[1] = 1, 0
    shape = [0] * len(tensors)
    for p, n in zip(positions, sizes):
        shape[p] = n
    grids = []
    for t, p in zip(tensors, positions):
        along = [1] * len(tensors)
        along[p] = t._array.size
        grids.append(expand(reshape(t, tuple(along)), tuple(shape)))
    return tuple(grids)


def ravel(input):
    """``input`` flattened to 1-D: a view when contiguous, else a copy."""
    return reshape(input, (input._array.size,))


__methods__ = ("repeat", "tile", "repeat_interleave", "flip", "fliplr", "flipud", "roll", "rot90",
               "tril", "triu", "diag", "diag_embed", "diagflat", "ravel")
__inplace__ = ("tril", "triu")
