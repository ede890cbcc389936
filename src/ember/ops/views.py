"""Shape ops that return views: reshape, transpose, expand, narrow and kin.

A view shares storage with its input. ``mark_view`` records the root base
and a function that rebuilds the view from it, which in-place ops on the
view use to carry the change back into the base's graph.
"""

import math

import numpy as np

from ember.autograd.function import Function
from ember.ops._util import fmt_shape, shape_arg, wrap_dim, wrap_dims
from ember.tensor import Tensor

__all__ = ["sum_to_size", "expand", "expand_as", "broadcast_to", "reshape", "reshape_as", "view",
           "view_as", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes",
           "swapdims", "permute", "movedim", "moveaxis", "narrow", "select", "unbind", "split",
           "chunk", "tensor_split", "hsplit", "vsplit", "dsplit", "t", "adjoint", "mark_view",
           "diagonal", "unfold"]


def mark_view(out, base, view_fn):
    """Make ``out`` a view of ``base``: shared version counter, rebuildable.

    Leaves ``out`` alone when the array module had to copy instead.
    """
    if not _is_view_of(out._array, base._array):
        return out
    root = base._base if base._base is not None else base
    parent_fn = base._view_fn
    out._base = root
    out._view_fn = view_fn if parent_fn is None else (lambda t: view_fn(parent_fn(t)))
    # A view's own _version slot records the base's version its grad_fn was
    # made at; Function.apply rebuilds the grad_fn when the base has moved on.
    out._version = root._version
    return out


def _is_view_of(a, b):
    """True if array ``a`` uses ``b``'s memory."""
    if a is b or (a.base is not None and (a.base is b or a.base is b.base)):
        return True  # the common case, decided without a memory check
    if a.base is None:
        return False
    # A reshape that had to copy (of a transposed array, say) also returns
    # an array with a .base: its own fresh buffer.
    if not (a.size and b.size):
        return True
    if type(a) is np.ndarray:
        return np.may_share_memory(a, b)
    from ember.backend.device import xp_of
    return bool(xp_of(a).may_share_memory(a, b))


class SumToSize(Function):
    """Sum a broadcast gradient down to ``shape`` (the inverse of expand)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                          if s == 1 and x.shape[i + lead] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return expand(g, ctx.shape), None


class Expand(Function):
    """Broadcast to a larger shape without copying."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return sum_to_size(g, ctx.shape), None


class Reshape(Function):
    """Same elements, new shape (a view when the layout allows)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return Reshape.apply(g, ctx.shape), None


class Permute(Function):
    """Reorder dimensions."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        return Permute.apply(g, tuple(np.argsort(ctx.axes).tolist())), None


class Slice(Function):
    """Basic indexing (ints, slices, None, Ellipsis): always a view."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        y = x[index]
        if isinstance(y, np.generic):  # all ints: NumPy gave a scalar copy, we want a 0-d view
            y = x[index + (Ellipsis,)]
        return y

    @staticmethod
    def backward(ctx, g):
        return SliceBackward.apply(g, ctx.shape, ctx.index), None


class SliceBackward(Function):
    """Zeros of the input's shape with ``g`` placed at ``index``."""

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = ctx.xp.zeros(shape, g.dtype)
        out[index] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return Slice.apply(gg, ctx.index), None, None


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (which must expand to ``input``'s shape)."""
    shape = shape_arg(size, "sum_to_size")
    have = input._array.shape
    if have == shape:
        return input
    if len(shape) > len(have) or any(s != 1 and s != h for s, h in zip(shape[::-1], have[::-1])):
        raise RuntimeError(f"sum_to_size: size {fmt_shape(shape)} is not expandable to size "
                           f"{fmt_shape(have)}")
    return SumToSize.apply(input, shape)


def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying; -1 keeps a dimension."""
    sizes = shape_arg(sizes, "expand")
    shape = input._array.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        have = shape[i - lead] if i >= lead else None
        if s == -1:
            if have is None:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, new dimension "
                                   f"(sizes {list(sizes)})")
            s = have
        elif have is not None and have != s and have != 1:
            raise RuntimeError(f"expand: the expanded size of the tensor ({s}) must match the "
                               f"existing size ({have}) at non-singleton dimension {i}; target "
                               f"sizes {list(sizes)}, tensor sizes {list(shape)}")
        target.append(s)
    target = tuple(target)
    if target == shape:
        return input
    out = Expand.apply(input, target)
    return mark_view(out, input, lambda t: expand(t, target))


def expand_as(input, other):
    """Expand to ``other``'s shape."""
    return expand(input, other._array.shape)


def broadcast_to(input, size):
    """Broadcast ``input`` to ``size`` (as expand)."""
    return expand(input, size)


def _infer_shape(shape, numel, op, have):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got {fmt_shape(shape)}")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{op}: invalid shape dimension in {fmt_shape(shape)}")
    known = math.prod(s for s in shape if s != -1)
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape {fmt_shape(shape)} is invalid for input of size "
                               f"{numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"{op}: shape {fmt_shape(shape)} is invalid for input of size {numel} "
                           f"(input shape {fmt_shape(have)})")
    return tuple(shape)


def reshape(input, shape, *more_sizes):
    """Same elements in a new shape (one size may be -1); a view when possible,
    else a copy. ``x.reshape(2, 3)`` and ``reshape(x, (2, 3))`` both work."""
    shape = _infer_shape(shape_arg((shape,) + more_sizes, "reshape"), input._array.size, "reshape",
                         input._array.shape)
    if shape == input._array.shape:
        return input
    out = Reshape.apply(input, shape)
    return mark_view(out, input, lambda t: reshape(t, shape))


def reshape_as(input, other):
    """``input`` reshaped to ``other``'s shape."""
    return reshape(input, other._array.shape)


def view(input, *shape):
    """A view with a new shape (or a new dtype, ``view(dtype)``); never copies."""
    from ember.backend.dtype import dtype as _dtype_cls
    if len(shape) == 1 and isinstance(shape[0], _dtype_cls):
        out = Tensor._wrap(input._array.view(shape[0].np), False, None, 0)
        return mark_view(out, input, lambda t: view(t, shape[0]))
    shape = _infer_shape(shape_arg(shape, "view"), input._array.size, "view", input._array.shape)
    if shape == input._array.shape:
        out = Reshape.apply(input, shape)
        return mark_view(out, input, lambda t: view(t, shape))
    try:
        arr = input._array.view()
        arr.shape = shape  # raises instead of copying when strides don't allow a view
    except AttributeError:
        raise RuntimeError(f"view: size {fmt_shape(shape)} is not compatible with the input's "
                           f"size and stride {fmt_shape(input._array.shape)}; use .reshape(...) "
                           "instead") from None
    out = Reshape.apply(input, shape)
    return mark_view(out, input, lambda t: view(t, shape))


def view_as(input, other):
    """A view with ``other``'s shape."""
    return view(input, other._array.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim``..``end_dim`` into one."""
    shape = input._array.shape
    if not shape:
        return reshape(input, (1,))
    s = wrap_dim(start_dim, len(shape), "flatten")
    e = wrap_dim(end_dim, len(shape), "flatten")
    if s > e:
        raise RuntimeError(f"flatten: start_dim ({start_dim}) cannot come after end_dim "
                           f"({end_dim})")
    return reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(input, dim, sizes):
    """Split dimension ``dim`` into ``sizes`` (one may be -1)."""
    shape = input._array.shape
    d = wrap_dim(dim, len(shape), "unflatten")
    sizes = _infer_shape(tuple(sizes), shape[d], "unflatten", shape)
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


def squeeze(input, dim=None):
    """Remove dimensions of size 1 (all, or those in ``dim``)."""
    shape = input._array.shape
    if dim is None:
        axes = [i for i, s in enumerate(shape) if s == 1]
    else:
        axes = [a for a in wrap_dims(dim, len(shape), "squeeze") if shape[a] == 1]
    if not axes:
        return input
    new = tuple(s for i, s in enumerate(shape) if i not in axes)
    out = Reshape.apply(input, new)
    return mark_view(out, input, lambda t: squeeze(t, dim))


def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim``."""
    shape = input._array.shape
    d = wrap_dim(dim, len(shape) + 1, "unsqueeze")
    out = Reshape.apply(input, shape[:d] + (1,) + shape[d:])
    return mark_view(out, input, lambda t: unsqueeze(t, d))


def permute(input, dims, *more_dims):
    """Reorder the dimensions to ``dims`` (``x.permute(1, 0)`` also works)."""
    dims = shape_arg((dims,) + more_dims, "permute")
    n = input._array.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute: number of dims don't match: the input has {n} dimensions "
                           f"but {len(dims)} were given ({list(dims)})")
    axes = tuple(wrap_dim(d, n, "permute") for d in dims)
    if len(set(axes)) != n:
        raise RuntimeError(f"permute: repeated dim in {list(dims)}")
    if axes == tuple(range(n)):
        return input
    out = Permute.apply(input, axes)
    return mark_view(out, input, lambda t: permute(t, axes))


def transpose(input, dim0, dim1):
    """Swap dimensions ``dim0`` and ``dim1``."""
    n = input._array.ndim
    a, b = wrap_dim(dim0, n, "transpose"), wrap_dim(dim1, n, "transpose")
    if n == 0:
        return input
    axes = list(range(n))
    axes[a], axes[b] = b, a
    return permute(input, axes)


swapaxes = swapdims = transpose


def t(input):
    """Transpose of a matrix (0-D and 1-D returned as is)."""
    if input._array.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, but got "
                           f"{input._array.ndim}; use transpose() or .mT")
    return transpose(input, 0, 1) if input._array.ndim == 2 else input


def adjoint(input):
    """The last two dimensions swapped (real dtypes: no conjugation)."""
    return transpose(input, -2, -1)


def movedim(input, source, destination):
    """Move dimensions ``source`` to positions ``destination``."""
    n = input._array.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: source and destination must have the same number of dims, "
                           f"got {src} and {dst}")
    src = [wrap_dim(d, n, "movedim") for d in src]
    dst = [wrap_dim(d, n, "movedim") for d in dst]
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


def _slice_view(input, index):
    out = Slice.apply(input, index)
    return mark_view(out, input, lambda t: _slice_view(t, index))


def _dim_of(input, dim, op):
    """``dim`` wrapped for ``input``, which must have at least one dimension."""
    if input._array.ndim == 0:
        raise RuntimeError(f"{op}: cannot be applied to a 0-dim tensor")
    return wrap_dim(dim, input._array.ndim, op)


def narrow(input, dim, start, length):
    """Elements ``start``..``start+length`` along ``dim`` (a view)."""
    shape = input._array.shape
    d = _dim_of(input, dim, "narrow")
    start = int(start)
    if start < 0:
        start += shape[d]
    if start < 0 or length < 0 or start + length > shape[d]:
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension size "
                         f"({shape[d]}) of dim {dim}")
    return _slice_view(input, (slice(None),) * d + (slice(start, start + length),))


def select(input, dim, index):
    """The slice at ``index`` along ``dim``, with that dimension removed (a view)."""
    shape = input._array.shape
    d = _dim_of(input, dim, "select")
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select: index {index} out of range for dimension {dim} of size "
                         f"{shape[d]}")
    return _slice_view(input, (slice(None),) * d + (int(index),))


def unbind(input, dim=0):
    """A tuple of all slices along ``dim``."""
    d = _dim_of(input, dim, "unbind")
    return tuple(select(input, d, i) for i in range(input._array.shape[d]))


def split(input, split_size_or_sections, dim=0):
    """Split into chunks of a size (last may be smaller) or of listed sizes."""
    shape = input._array.shape
    d = _dim_of(input, dim, "split")
    n = shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and n > 0:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - s) for s in range(0, n, step)] if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split: split sizes {sizes} must sum to the size of dimension "
                               f"{dim}, which is {n}")
    if len(sizes) == 1 or not input._array.ndim:
        return (narrow(input, d, 0, sizes[0]),)
    pieces = Split.apply(input, d, tuple(sizes))
    starts = np.cumsum([0] + sizes[:-1]).tolist()
    for piece, start, size in zip(pieces, starts, sizes):
        mark_view(piece, input, lambda t, start=start, size=size: narrow(t, d, start, size))
    return pieces


class Split(Function):
    """Consecutive pieces of ``x`` along ``axis`` (views) in one node.

    Its backward is one concatenation of the pieces' gradients (missing ones
    come as zeros), where a node per piece would each scatter into a zero
    tensor of the full size and the engine would add those up.
    """

    @staticmethod
    def forward(ctx, x, axis, sizes):
        ctx.axis = axis
        lead = (slice(None),) * axis
        out, start = [], 0
        for size in sizes:
            out.append(x[lead + (slice(start, start + size),)])
            start += size
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        from ember.ops.shape import cat
        return cat(grads, ctx.axis), None, None


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` nearly equal pieces (fewer if the size is small)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: expected chunks > 0, got {chunks}")
    n = input._array.shape[_dim_of(input, dim, "chunk")]
    if n == 0:  # PyTorch: `chunks` empty pieces
        return split(input, [0] * chunks, dim)
    return split(input, -(-n // chunks), dim)


def tensor_split(input, indices_or_sections, dim=0):
    """Split at indices, or into n pieces whose sizes differ by at most one."""
    d = _dim_of(input, dim, "tensor_split")
    n = input._array.shape[d]
    if isinstance(indices_or_sections, Tensor) and indices_or_sections._array.ndim == 0:
        indices_or_sections = int(indices_or_sections)
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
    else:
        bounds = [0] + [min(max(int(i), 0), n) for i in indices_or_sections] + [n]
        sizes = [max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
    out, start = [], 0
    for s in sizes:
        out.append(narrow(input, d, start, s))
        start += s
    return tuple(out)


def _split_evenly(input, indices_or_sections, dim, op):
    if isinstance(indices_or_sections, int):
        n = input._array.shape[dim]
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise RuntimeError(f"{op}: attempted to split along dimension {dim}, but the size of "
                               f"the dimension {n} is not divisible by the split_size "
                               f"{indices_or_sections}")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    """Split horizontally: along dim 1 (dim 0 for 1-D) into equal sections or at indices."""
    if input._array.ndim < 1:
        raise RuntimeError("hsplit: requires a tensor with at least 1 dimension, but got a "
                           "0-dim tensor")
    return _split_evenly(input, indices_or_sections, 1 if input._array.ndim > 1 else 0, "hsplit")


def vsplit(input, indices_or_sections):
    """Split vertically: along dim 0 (input at least 2-D)."""
    if input._array.ndim < 2:
        raise RuntimeError(f"vsplit: requires a tensor with at least 2 dimensions, but got a "
                           f"tensor with {input._array.ndim}")
    return _split_evenly(input, indices_or_sections, 0, "vsplit")


def dsplit(input, indices_or_sections):
    """Split depth-wise: along dim 2 (input at least 3-D)."""
    if input._array.ndim < 3:
        raise RuntimeError(f"dsplit: requires a tensor with at least 3 dimensions, but got a "
                           f"tensor with {input._array.ndim}")
    return _split_evenly(input, indices_or_sections, 2, "dsplit")


def _writable_diagonal(a, offset, d1, d2, xp):
    """``xp.diagonal`` as a view that can be written through (NumPy's is read-only)."""
    d = xp.diagonal(a, offset, d1, d2)
    if xp is np and a.flags.writeable:
        d.flags.writeable = True
    return d


class Diagonal(Function):
    """A diagonal of two dimensions, moved to the end."""

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.shape, ctx.args = x.shape, (offset, d1, d2)
        return _writable_diagonal(x, offset, d1, d2, ctx.xp)

    @staticmethod
    def backward(ctx, g):
        return DiagEmbed.apply(g, ctx.shape, *ctx.args), None, None, None


class DiagEmbed(Function):
    """Zeros of ``shape`` with the last dim of the input on a diagonal (diagonal's adjoint)."""

    @staticmethod
    def forward(ctx, x, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        out = ctx.xp.zeros(shape, x.dtype)
        _writable_diagonal(out, offset, d1, d2, ctx.xp)[...] = x
        return out

    @staticmethod
    def backward(ctx, gg):
        return Diagonal.apply(gg, *ctx.args), None, None, None, None


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of dims ``dim1``/``dim2`` (offset above/below), appended last."""
    n = input._array.ndim
    a, b = wrap_dim(dim1, n, "diagonal"), wrap_dim(dim2, n, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal: dimensions cannot be identical, got {dim1} and {dim2}")
    out = Diagonal.apply(input, offset, a, b)
    return mark_view(out, input, lambda t: diagonal(t, offset, a, b))


class Unfold(Function):
    """Sliding windows of ``size`` every ``step`` along ``dim`` (a strided view)."""

    @staticmethod
    def forward(ctx, x, dim, size, step):
        ctx.shape, ctx.args = x.shape, (dim, size, step)
        w = ctx.xp.lib.stride_tricks.sliding_window_view(x, size, axis=dim)
        return w[(slice(None),) * dim + (slice(None, None, step),)]

    @staticmethod
    def backward(ctx, g):
        return UnfoldBackward.apply(g, ctx.shape, *ctx.args), None, None, None


class UnfoldBackward(Function):
    """Zeros of the input's shape with every window of ``g`` added back in place."""

    @staticmethod
    def forward(ctx, g, shape, dim, size, step):
        ctx.args = (dim, size, step)
        out = ctx.xp.zeros(shape, g.dtype)
        n = g.shape[dim]
        # One strided slice per position in the window: windows overlap when
        # step < size, but the slices for one position never do.
        for j in range(size):
            out[(slice(None),) * dim + (slice(j, j + step * (n - 1) + 1, step),)] += g[..., j]
        return out

    @staticmethod
    def backward(ctx, gg):
        return Unfold.apply(gg, *ctx.args), None, None, None, None


def unfold(input, dimension, size, step):
    """Windows of ``size`` elements every ``step`` along ``dimension``, in a new last dim."""
    d = wrap_dim(dimension, input._array.ndim, "unfold")
    n = input._array.shape[d] if input._array.ndim else 1
    if size > n or size < 0 or step <= 0:
        raise RuntimeError(f"unfold: expected 0 <= size <= {n} and step > 0, got size {size}, "
                           f"step {step}")
    if input._array.ndim == 0:  # PyTorch: a 0-d tensor unfolds to shape (size,)
        return narrow(reshape(input, (1,)), 0, 0, size)
    out = Unfold.apply(input, d, size, step)
    return mark_view(out, input, lambda t: unfold(t, d, size, step))

__methods__ = ("sum_to_size", "expand", "expand_as", "broadcast_to", "reshape", "reshape_as",
               "view", "view_as", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose",
               "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "narrow", "select",
               "unbind", "split", "chunk", "tensor_split", "hsplit", "vsplit", "dsplit", "t",
               "adjoint", "diagonal", "unfold")
__inplace__ = ()
