"""``CrossMapLRN2d``'s op: PyTorch's legacy (Lua Torch) local response norm.

It differs from ``local_response_norm`` in how the window of channels is
summed: channel 0's square is never dropped from the running sum once the
window has moved past it, and its backward is the legacy hand-written
formula rather than the exact derivative. Both are reproduced here, as
PyTorch's ``CrossMapLRN2d`` computes them, so that models trained with it
behave the same. Its backward is first-order only, as PyTorch's.
"""

import numpy as np

from ember.autograd.function import Function, once_differentiable
from ember.ops._util import check_tensor
from ember.ops.reduce import constant

__all__ = ["cross_map_lrn2d"]


def _scale(sq, size, alpha, k):
    """k + alpha / size * (the legacy running sum of squares over channels)."""
    channels = sq.shape[1]
    pre_pad = int((size - 1) / 2 + 1)
    steps = np.zeros_like(sq)
    steps[:, 0] = sq[:, :min(pre_pad, channels)].sum(axis=1)
    for c in range(1, channels):  # the running sum's additions and removals
        if c < channels - pre_pad + 1:
            steps[:, c] += sq[:, c + pre_pad - 1]
        if c > pre_pad:
            steps[:, c] -= sq[:, c - pre_pad]
    return np.cumsum(steps, axis=1) * (alpha / size) + k


class CrossMapLRN(Function):
    """x * scale ** -beta over (N, C, H, W), scale from ``_scale``."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        scale = _scale(x * x, size, alpha, k)
        out = x * scale ** -beta
        ctx.scale, ctx.params = scale, (size, alpha, beta)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        x, out, g = x._array, out._array, g._array
        size, alpha, beta = ctx.params
        scale = ctx.scale
        channels = x.shape[1]
        grad = scale ** -beta * g
        inverse_pre_pad = int(size - (size - 1) / 2)
        padded = np.zeros((x.shape[0], channels + size - 1) + x.shape[2:], x.dtype)
        padded[:, inverse_pre_pad:inverse_pre_pad + channels] = g * out / scale
        accum = padded[:, :size - 1].sum(axis=1)
        ratio = 2 * alpha * beta / size
        for c in range(channels):
            accum += padded[:, c + size - 1]
            grad[:, c] -= ratio * x[:, c] * accum
            accum -= padded[:, c]
        return constant(grad), None, None, None, None


def cross_map_lrn2d(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """PyTorch's ``CrossMapLRN2d`` on a 4-D (N, C, H, W) CPU tensor."""
    check_tensor(input, "cross_map_lrn2d")
    if input.ndim != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
    if type(input._array) is not np.ndarray:
        raise NotImplementedError("CrossMapLRN2d: CPU tensors only (PyTorch's legacy kernel)")
    return CrossMapLRN.apply(input, int(size), float(alpha), float(beta), float(k))
