"""Matrix products: matmul (1-D, batched, broadcast), linear, einsum, outer."""

from ember.autograd.function import Function
from ember.ops._util import binary_operands, check_tensor

__all__ = ["matmul", "mm", "bmm", "linear", "dot"]


class MatMul(Function):
    """Matrix product of two >= 2-D arrays (batch dimensions broadcast)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = MatMul.apply(g, b.mT) if need[0] else None
        gb = MatMul.apply(a.mT, g) if need[1] else None
        return ga, gb


class Linear(Function):
    """x @ W.T + b over the last dimension of ``x`` (one fused BLAS call)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        y = x @ w.T
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = MatMul.apply(g, w) if need[0] else None
        gw = gb = None
        if need[1]:
            # Fold batch dimensions into one: a single GEMM for the weight gradient.
            gw = MatMul.apply(g.reshape(-1, g.shape[-1]).mT, x.reshape(-1, x.shape[-1]))
        if need[2]:
            gb = g.sum(tuple(range(g.data.ndim - 1))) if g.data.ndim > 1 else g
        return gx, gw, gb


def matmul(input, other):
    """Matrix product with NumPy/PyTorch semantics for 1-D and batched operands."""
    check_tensor(input, "matmul")
    check_tensor(other, "matmul", "other")
    a, b = binary_operands(input, other, "matmul")
    sa, sb = a.data.shape, b.data.shape
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
            np.broadcast_shapes(a.data.shape[:-2], b.data.shape[:-2])
        except ValueError:
            raise RuntimeError(f"matmul: batch dimensions of {list(sa)} and {list(sb)} cannot "
                               "be broadcast together") from None
    y = MatMul.apply(a, b)
    if len(sb) == 1:
        y = y.squeeze(-1)
    if len(sa) == 1:
        y = y.squeeze(-2 if len(sb) > 1 else -1) if y.data.ndim else y
    return y


def mm(input, mat2):
    """Product of two 2-D matrices."""
    if input.data.ndim != 2 or mat2.data.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {list(input.shape)} and "
                           f"{list(mat2.shape)}")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of two 3-D tensors with equal batch size."""
    if input.data.ndim != 3 or mat2.data.ndim != 3 or input.data.shape[0] != mat2.data.shape[0]:
        raise RuntimeError(f"bmm: expected 3-D tensors with equal batch size, got shapes "
                           f"{list(input.shape)} and {list(mat2.shape)}")
    return matmul(input, mat2)


def dot(input, other):
    """Inner product of two 1-D tensors of equal length."""
    if input.data.ndim != 1 or other.data.ndim != 1 or input.data.shape != other.data.shape:
        raise RuntimeError(f"dot: expected 1-D tensors of equal size, got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return matmul(input, other)


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias over the last dimension."""
    check_tensor(input, "linear")
    if weight.data.ndim != 2 or input.data.ndim == 0 or input.data.shape[-1] != weight.data.shape[1]:
        raise RuntimeError(f"linear: expected input.shape[-1] == weight.shape[1] with a 2-D "
                           f"weight, got input {list(input.shape)} and weight {list(weight.shape)}")
    if bias is not None and bias.data.shape not in ((weight.data.shape[0],), ()):
        raise RuntimeError(f"linear: expected bias of shape [{weight.data.shape[0]}], got "
                           f"{list(bias.shape)}")
    dts = {input.data.dtype, weight.data.dtype} | ({bias.data.dtype} if bias is not None else set())
    if len(dts) > 1:
        raise RuntimeError(f"linear: expected input, weight and bias of one dtype, got "
                           f"{input.dtype}, {weight.dtype}" + (f", {bias.dtype}" if bias is not None else ""))
    return Linear.apply(input, weight, bias)

__methods__ = ("matmul", "mm", "bmm", "dot")
__inplace__ = ()
