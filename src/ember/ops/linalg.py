"""Matrix products: matmul (1-D, batched, broadcast), linear, einsum, outer, addmm..."""

import string

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.autograd.grad_mode import is_grad_enabled
from ember.ops.arithmetic import add, mul
from ember.ops._util import binary_operands, broadcast_shapes, check_tensor, fmt_shape, wrap_dim
from ember.ops.reduce import constant
from ember.ops.views import diagonal, expand, unsqueeze

__all__ = ["matmul", "mm", "bmm", "linear", "dot", "einsum", "tensordot", "inner", "outer", "ger",
           "addmm", "addmv", "baddbmm", "trace"]


class MatMul(Function):
    """Matrix product of two >= 2-D arrays (batch dimensions broadcast)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _gemm(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = MatMul.apply(g, b.mT) if need[0] else None
        gb = None
        if need[1]:
            if b._array.ndim == 2 and a._array.ndim > 2:
                # Shared matrix: one GEMM over the folded batch, not a batched
                # product summed afterwards.
                gb = MatMul.apply(a.reshape(-1, a.shape[-1]).mT, g.reshape(-1, g.shape[-1]))
            else:
                gb = MatMul.apply(a.mT, g)
        return ga, gb


def _gemm(a, b):
    """``a @ b``; a stack of matrices times one matrix becomes a single GEMM.

    NumPy's matmul loops over the batch for (B, n, k) @ (k, m), which is
    2-3x slower than one (B*n, k) @ (k, m) call.
    """
    if b.ndim == 2 and a.ndim > 2:
        return product(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[1],))
    if a.ndim > 2 or b.ndim > 2:
        # NumPy's batched matmul hands each matrix to BLAS only when BLAS can
        # read it in place; any other stack falls to a naive loop ~50x slower,
        # so copy those. Blas-ready views (attention heads split out of a
        # wider tensor) go as they are: copying them would double the cost.
        if not _blas_ready(a):
            a = a.copy()
        if not _blas_ready(b):
            b = b.copy()
    return product(a, b)


def product(a, b):
    """``a @ b`` in the operands' dtype: NumPy multiplies bfloat16 (ml_dtypes) arrays
    in float32 and returns float32, where PyTorch rounds the result back."""
    y = a @ b
    return y if y.dtype == a.dtype else y.astype(a.dtype)


def _blas_ready(a):
    """Whether every matrix of the stack ``a`` is a BLAS operand as it lies:
    one of its two dimensions of unit stride, the other a row pitch at least
    as wide as a row (the test NumPy's matmul makes before calling BLAS)."""
    item = a.itemsize
    rows, cols = a.shape[-2:]
    s_row, s_col = a.strides[-2:]
    if s_col == item:
        return s_row % item == 0 and s_row >= cols * item
    if s_row == item:
        return s_col % item == 0 and s_col >= rows * item
    return False


class Linear(Function):
    """x @ W.T + b over the last dimension of ``x`` (one fused BLAS call)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        ctx.rows = None
        if x.ndim > 2:
            rows = x.reshape(-1, x.shape[-1])
            if not ctx.xp.may_share_memory(rows, x):
                # x's layout made the reshape a copy: the weight gradient reuses it
                # rather than copying x again.
                ctx.rows = rows
            y = product(rows, w.T).reshape(x.shape[:-1] + (w.shape[0],))
        else:
            y = _gemm(x, w.T)
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = None
        if need[0]:  # a 1-D x: MatMul (>= 2-D only) would fail in double backward
            gx = MatMul.apply(g, w) if g._array.ndim > 1 else matmul(g, w)
        gw = gb = None
        if need[1]:
            # Fold batch dimensions into one: a single GEMM for the weight gradient.
            # Under create_graph it must be x itself, so that gw depends on x.
            rows = constant(ctx.rows) if ctx.rows is not None and not is_grad_enabled() \
                else x.reshape(-1, x.shape[-1])
            gw = MatMul.apply(g.reshape(-1, g.shape[-1]).mT, rows)
        if need[2]:
            gb = g.sum(tuple(range(g._array.ndim - 1))) if g._array.ndim > 1 else g
        return gx, gw, gb


def matmul(input, other):
    """Matrix product with NumPy/PyTorch semantics for 1-D and batched operands."""
    if _amp.active:
        return _amp.run("matmul", matmul, input, other)
    check_tensor(input, "matmul")
    check_tensor(other, "matmul", "other")
    a, b = binary_operands(input, other, "matmul")
    sa, sb = a._array.shape, b._array.shape
    if not sa or not sb:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                           f"{list(sa)} and {list(sb)}")
    ka = sa[-1]
    kb = sb[-2] if len(sb) > 1 else sb[0]
    if ka != kb:
        raise RuntimeError(f"matmul: expected input.shape[-1] == other.shape[-2], got "
                           f"{list(sa)} and {list(sb)} ({ka} != {kb})")
    if len(sa) == 1:
        a = a.unsqueeze(0)
    if len(sb) == 1:
        b = b.unsqueeze(-1)
    if len(sa) > 2 or len(sb) > 2:
        try:
            import numpy as np
            np.broadcast_shapes(a._array.shape[:-2], b._array.shape[:-2])
        except ValueError:
            raise RuntimeError(f"matmul: batch dimensions of {list(sa)} and {list(sb)} cannot "
                               "be broadcast together") from None
    y = MatMul.apply(a, b)
    if len(sb) == 1:
        y = y.squeeze(-1)
    if len(sa) == 1:
        y = y.squeeze(-2 if len(sb) > 1 else -1) if y._array.ndim else y
    return y


def mm(input, mat2):
    """Product of two 2-D matrices."""
    if _amp.active:
        return _amp.run("mm", mm, input, mat2)
    if input._array.ndim != 2 or mat2._array.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {list(input.shape)} and "
                           f"{list(mat2.shape)}")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of two 3-D tensors with equal batch size."""
    if _amp.active:
        return _amp.run("bmm", bmm, input, mat2)
    a, b = input._array, mat2._array
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: expected 3-D tensors with equal batch size, got shapes "
                           f"{list(input.shape)} and {list(mat2.shape)}")
    return matmul(input, mat2)


def dot(input, other):
    """Inner product of two 1-D tensors of equal length."""
    if _amp.active:
        return _amp.run("dot", dot, input, other)
    if input._array.ndim != 1 or other._array.ndim != 1 or input._array.shape != other._array.shape:
        raise RuntimeError(f"dot: expected 1-D tensors of equal size, got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return matmul(input, other)


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias over the last dimension."""
    if _amp.active:
        return _amp.run("linear", linear, input, weight, bias)
    check_tensor(input, "linear")
    if weight._array.ndim != 2 or input._array.ndim == 0 or \
            input._array.shape[-1] != weight._array.shape[1]:
        raise RuntimeError(f"linear: expected input.shape[-1] == weight.shape[1] with a 2-D "
                           f"weight, got input {list(input.shape)} and weight {list(weight.shape)}")
    if bias is not None and bias._array.shape not in ((weight._array.shape[0],), ()):
        raise RuntimeError(f"linear: expected bias of shape [{weight._array.shape[0]}], got "
                           f"{list(bias.shape)}")
    dts = {input._array.dtype, weight._array.dtype}
    if bias is not None:
        dts.add(bias._array.dtype)
    if len(dts) > 1:
        raise RuntimeError(f"linear: expected input, weight and bias of one dtype, got "
                           f"{input.dtype}, {weight.dtype}"
                           + (f", {bias.dtype}" if bias is not None else ""))
    return Linear.apply(input, weight, bias)


# ---- einsum and the contractions built on it --------------------------------

_LETTERS = string.ascii_letters


class Einsum(Function):
    """Einstein summation over explicit subscripts (no '...', one size per letter).

    The gradient of operand k is again an einsum: of the upstream gradient and
    the other operands, into operand k's subscripts. A letter that only
    operand k sums over gets a ones vector (the gradient is constant along
    it); a letter repeated in operand k (a diagonal) gets an identity matrix
    tying a fresh letter to it, since an einsum output cannot repeat a letter.
    """

    @staticmethod
    def forward(ctx, inputs, output, *operands):
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*operands)
        xp = ctx.xp
        out = xp.einsum(",".join(inputs) + "->" + output, *operands, optimize=len(operands) > 1)
        # A computed result is row-major, as PyTorch's; a pure relabelling of one
        # operand ("ij->ji") stays a view of it, as there.
        if out.ndim and not out.flags.c_contiguous and \
                not any(xp.may_share_memory(out, o) for o in operands):
            out = xp.ascontiguousarray(out)
        return out

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        grads = [None, None]
        for k, need in enumerate(ctx.needs_input_grad[2:]):
            grads.append(_einsum_grad(k, ctx.inputs, ctx.output, operands, g, ctx.xp)
                         if need else None)
        return tuple(grads)


def _einsum_grad(k, inputs, output, operands, g, xp):
    """The gradient of operand ``k`` for upstream ``g``, as an einsum (see ``Einsum``)."""
    target = inputs[k]
    subs = [output] + [s for j, s in enumerate(inputs) if j != k]
    tensors = [g] + [t for j, t in enumerate(operands) if j != k]
    used = "".join(inputs) + output
    fresh = iter(c for c in _LETTERS if c not in used)
    sizes = dict(zip(target, operands[k]._array.shape))
    present = set("".join(subs))
    result = ""
    for i, c in enumerate(target):
        if c in target[:i]:
            tied = next(fresh)
            subs.append(c + tied)
            tensors.append(constant(xp.eye(sizes[c], dtype=g._array.dtype)))
            result += tied
        else:
            if c not in present and target.count(c) == 1:
                subs.append(c)
                tensors.append(constant(xp.ones(sizes[c], dtype=g._array.dtype)))
            result += c
    return Einsum.apply(tuple(subs), result, *tensors)


def _check_subscripts(term, where):
    body = term.replace("...", "", 1)
    for c in body:
        if c not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript {c!r} in {where} {term!r}; subscripts "
                               "must be letters a-z, A-Z, with at most one '...'")


def _parse_einsum(equation, operands):
    """Explicit subscripts per operand and for the output ('...' spelled out as letters),
    and the operands expanded where a letter of size 1 broadcasts."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError(f"einsum(): the equation {equation!r} names {len(terms)} operands, but "
                           f"{len(operands)} were given")
    for i, term in enumerate(terms):
        _check_subscripts(term, f"operand {i}'s subscripts")
    shapes = [t._array.shape for t in operands]
    spans = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        span = len(shape) - named if "..." in term else 0
        if span < 0 or ("..." not in term and named != len(shape)):
            raise RuntimeError(f"einsum(): operand {i} has {len(shape)} dimensions (shape "
                               f"{fmt_shape(shape)}) but its subscripts {term!r} name {named}")
        spans.append(span)
    free = [c for c in _LETTERS if c not in eq]
    ellipsis = "".join(free[:max(spans, default=0)])
    subs = [t.replace("...", ellipsis[len(ellipsis) - s:]) for t, s in zip(terms, spans)]
    if arrow:
        _check_subscripts(out, "the output subscripts")
        out = out.replace("...", ellipsis)
        for c in out:
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c!r} appears more than once")
            if c not in lhs and c not in ellipsis:
                raise RuntimeError(f"einsum(): output subscript {c!r} does not appear in the "
                                   "subscripts of any operand")
    else:  # implicit output: '...' dims, then the letters used once, alphabetically
        named = "".join(terms).replace(".", "")
        out = ellipsis + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    return subs, out, _broadcast_letters(subs, operands, ellipsis)


def _broadcast_letters(subs, operands, ellipsis):
    sizes = {}
    for i, (s, t) in enumerate(zip(subs, operands)):
        shape = t._array.shape
        for pos, (c, n) in enumerate(zip(s, shape)):
            if c in s[:pos] and n != shape[s.index(c)]:
                raise RuntimeError(f"einsum(): subscript {c!r} is repeated for operand {i} but "
                                   f"the sizes don't match, {shape[s.index(c)]} != {n}")
            have = sizes.get(c)
            if have is None or have == 1:
                sizes[c] = n
            elif n not in (1, have):
                what = "a '...' dimension" if c in ellipsis else f"subscript {c!r}"
                raise RuntimeError(f"einsum(): {what} has size {n} for operand {i} (shape "
                                   f"{fmt_shape(shape)}), which does not broadcast with size "
                                   f"{have} of another operand")
    out = []
    for s, t in zip(subs, operands):
        target = tuple(sizes[c] for c in s)
        out.append(expand(t, target) if target != t._array.shape else t)
    return out


def _same_dtype(op, tensors):
    dtypes = [t.dtype for t in tensors]
    if any(d != dtypes[0] for d in dtypes):
        raise RuntimeError(f"{op}(): expected operands of one dtype, got "
                           f"{', '.join(str(d) for d in dtypes)}")


def einsum(equation, *operands):
    """Einstein summation: ``einsum('ij,jk->ik', a, b)``, or ``einsum('ij,jk', [a, b])``.

    Supports '...' (broadcast batch dims), the implicit output (the '...'
    dims, then the letters used once, alphabetically), repeated letters
    (diagonals) and letters of size 1 broadcasting. Runs NumPy's (or CuPy's)
    einsum with contraction-order optimization; each operand's gradient is an
    einsum too, so higher derivatives work.
    """
    if _amp.active:
        return _amp.run("einsum", einsum, equation, *operands)
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): expected the equation as a string, got "
                        f"{type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, t in enumerate(operands):
        check_tensor(t, "einsum", f"operand {i}")
    _same_dtype("einsum", operands)
    subs, out, operands = _parse_einsum(equation, operands)
    return Einsum.apply(tuple(subs), out, *operands)


def tensordot(a, b, dims=2):
    """Contract the last ``dims`` dims of ``a`` with the first ``dims`` of ``b``.

    ``dims`` may also be a pair of dim lists, ``([1, 2], [0, 1])``: a's dims
    contracted with b's, pairwise. The result has a's free dims, then b's.
    """
    if _amp.active:
        return _amp.run("tensordot", tensordot, a, b, dims)
    check_tensor(a, "tensordot", "a")
    check_tensor(b, "tensordot", "b")
    _same_dtype("tensordot", (a, b))
    na, nb = a._array.ndim, b._array.ndim
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        if not 0 <= dims <= min(na, nb):
            raise RuntimeError(f"tensordot(): expected 0 <= dims <= {min(na, nb)} for shapes "
                               f"{fmt_shape(a.shape)} and {fmt_shape(b.shape)}, got {dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(da) != len(db):
            raise RuntimeError(f"tensordot(): both dim lists need the same length, got {da} "
                               f"and {db}")
        da = [wrap_dim(d, na, "tensordot") for d in da]
        db = [wrap_dim(d, nb, "tensordot") for d in db]
        if len(set(da)) != len(da) or len(set(db)) != len(db):
            raise RuntimeError(f"tensordot(): a dim is repeated in {da} or {db}")
    for x, y in zip(da, db):
        if a._array.shape[x] != b._array.shape[y]:
            raise RuntimeError(f"tensordot(): contracted dimensions need to match, but a has size "
                               f"{a._array.shape[x]} in dim {x} and b has size {b._array.shape[y]} "
                               f"in dim {y}")
    sa, sb = list(_LETTERS[:na]), list(_LETTERS[na:na + nb])
    for x, y in zip(da, db):
        sb[y] = sa[x]
    out = [c for i, c in enumerate(sa) if i not in da] + \
        [c for j, c in enumerate(sb) if j not in db]
    return Einsum.apply(("".join(sa), "".join(sb)), "".join(out), a, b)


def inner(input, other):
    """Sum of products over the last dim of both (a 0-d operand multiplies).

    The result has input's other dims, then other's.
    """
    if _amp.active:
        return _amp.run("inner", inner, input, other)
    check_tensor(input, "inner")
    check_tensor(other, "inner", "other")
    if input._array.ndim == 0 or other._array.ndim == 0:
        return mul(input, other)
    if input._array.shape[-1] != other._array.shape[-1]:
        raise RuntimeError(f"inner(): expected the last dims to match, got shapes "
                           f"{fmt_shape(input.shape)} and {fmt_shape(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def outer(input, vec2):
    """Outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j]."""
    check_tensor(input, "outer")
    check_tensor(vec2, "outer", "vec2")
    if input._array.ndim != 1 or vec2._array.ndim != 1:
        raise RuntimeError(f"outer(): expected 1-D tensors, got shapes {fmt_shape(input.shape)} "
                           f"and {fmt_shape(vec2.shape)}")
    return mul(unsqueeze(input, 1), vec2)


ger = outer


def _add_scaled(op, input, product, beta, alpha):
    """beta * input + alpha * product, ``input`` broadcast to the product's shape."""
    check_tensor(input, op)
    shape = product._array.shape
    if broadcast_shapes(input._array.shape, shape, op=op) != shape:
        raise RuntimeError(f"{op}(): input of shape {fmt_shape(input.shape)} does not broadcast "
                           f"to the product's shape {fmt_shape(shape)}")
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:  # PyTorch: input is ignored, so its NaNs do not propagate
        return product
    return add(product, input if beta == 1 else mul(input, beta))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), ``input`` broadcast to (n, p).

    Differs from PyTorch: with beta=0, ``input`` gets no gradient (None, not zeros).
    """
    if _amp.active:
        return _amp.run("addmm", addmm, input, mat1, mat2, beta=beta, alpha=alpha)
    check_tensor(mat1, "addmm", "mat1")
    check_tensor(mat2, "addmm", "mat2")
    a, b = mat1._array, mat2._array
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise RuntimeError(f"addmm(): expected 2-D mat1 (n, m) and mat2 (m, p), got shapes "
                           f"{fmt_shape(mat1.shape)} and {fmt_shape(mat2.shape)}")
    return _add_scaled("addmm", input, matmul(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec), ``input`` broadcast to (n,).

    Differs from PyTorch: with beta=0, ``input`` gets no gradient (None, not zeros).
    """
    if _amp.active:
        return _amp.run("addmv", addmv, input, mat, vec, beta=beta, alpha=alpha)
    check_tensor(mat, "addmv", "mat")
    check_tensor(vec, "addmv", "vec")
    if mat._array.ndim != 2 or vec._array.ndim != 1 or mat._array.shape[1] != vec._array.shape[0]:
        raise RuntimeError(f"addmv(): expected a 2-D mat (n, m) and a 1-D vec (m,), got shapes "
                           f"{fmt_shape(mat.shape)} and {fmt_shape(vec.shape)}")
    return _add_scaled("addmv", input, matmul(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2) per batch, ``input`` broadcast to (b, n, p).

    Differs from PyTorch: with beta=0, ``input`` gets no gradient (None, not zeros).
    """
    if _amp.active:
        return _amp.run("baddbmm", baddbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    check_tensor(batch1, "baddbmm", "batch1")
    check_tensor(batch2, "baddbmm", "batch2")
    s1, s2 = batch1._array.shape, batch2._array.shape
    if len(s1) != 3 or len(s2) != 3 or s1[0] != s2[0] or s1[2] != s2[1]:
        raise RuntimeError(f"baddbmm(): expected 3-D batch1 (b, n, m) and batch2 (b, m, p), got "
                           f"shapes {fmt_shape(s1)} and {fmt_shape(s2)}")
    return _add_scaled("baddbmm", input, matmul(batch1, batch2), beta, alpha)


def trace(input):
    """Sum of the main diagonal of a 2-D tensor (integers sum to int64)."""
    if _amp.active:
        return _amp.run("trace", trace, input)
    check_tensor(input, "trace")
    if input._array.ndim != 2:
        raise RuntimeError(f"trace(): expected a 2-D tensor, got shape {fmt_shape(input.shape)}")
    return diagonal(input).sum()

__methods__ = ("matmul", "mm", "bmm", "dot", "inner", "outer", "ger", "addmm", "addmv", "baddbmm",
               "trace")
__inplace__ = ("addmm", "addmv", "baddbmm")
