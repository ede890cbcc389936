"""Power-average pooling (``lp_pool1d/2d/3d``), max unpooling (``max_unpool1d/2d/3d``)
and local response normalisation, as PyTorch's: compositions of average pooling,
scatter and elementwise ops, so gradients of every order come from those."""

import math

from ember.ops import _autocast as _amp
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.conv import ntuple
from ember.ops.pool import avg_pool1d, avg_pool2d
from ember.ops.volume import avg_pool3d

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
           "local_response_norm"]


def _lp_pool(pool, input, norm_type, kernel, stride, ceil_mode):
    """(sum over each window of x ** p) ** (1 / p), as an average times the window size."""
    mean = pool(input ** norm_type, kernel, stride, 0, ceil_mode)
    return (mean * math.prod(kernel)) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window of (N, C, L) input: (sum x ** p) ** (1 / p).

    ``norm_type`` p: 1 is sum pooling; large p approaches max pooling.
    """
    check_tensor(input, "lp_pool1d")
    kernel = ntuple(kernel_size, 1, "kernel_size", "lp_pool1d")
    return _lp_pool(avg_pool1d, input, float(norm_type), kernel,
                    stride if stride is not None else kernel, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window of (N, C, H, W) input (see ``lp_pool1d``)."""
    check_tensor(input, "lp_pool2d")
    kernel = ntuple(kernel_size, 2, "kernel_size", "lp_pool2d")
    return _lp_pool(avg_pool2d, input, float(norm_type), kernel,
                    stride if stride is not None else kernel, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window of (N, C, D, H, W) input (see ``lp_pool1d``)."""
    check_tensor(input, "lp_pool3d")
    kernel = ntuple(kernel_size, 3, "kernel_size", "lp_pool3d")
    return _lp_pool(avg_pool3d, input, float(norm_type), kernel,
                    stride if stride is not None else kernel, ceil_mode)


def _max_unpool(input, indices, kernel, stride, padding, output_size, dims, op):
    check_tensor(input, op)
    check_tensor(indices, op, "indices")
    if input.ndim not in (dims + 1, dims + 2) or indices.shape != input.shape:
        raise ValueError(f"{op}: expected a {dims + 1}-D or {dims + 2}-D input and indices of "
                         f"its shape, got {fmt_shape(input.shape)} and "
                         f"{fmt_shape(indices.shape)}")
    single = input.ndim == dims + 1
    x = input.unsqueeze(0) if single else input
    idx = indices.unsqueeze(0) if single else indices
    kernel = ntuple(kernel, dims, "kernel_size", op)
    stride = ntuple(stride if stride is not None else kernel, dims, "stride", op)
    padding = ntuple(padding, dims, "padding", op)
    default = tuple((i - 1) * s - 2 * p + k for i, k, s, p in
                    zip(x.shape[2:], kernel, stride, padding))
    if output_size is None:
        size = default
    else:
        if len(output_size) not in (dims, dims + 2):
            raise ValueError(f"{op}: output_size should have {dims} or {dims + 2} elements, "
                             f"got {len(output_size)}")
        size = tuple(int(s) for s in output_size)[-dims:]
        if any(not d - s < o < d + s for o, d, s in zip(size, default, stride)):
            raise ValueError(f"{op}: invalid output_size {tuple(output_size)} (expected about "
                             f"{default}, within one stride)")
    n, c = x.shape[:2]
    plane = math.prod(size)
    flat_idx = idx.reshape(n, c, -1)
    if flat_idx.numel() and (int(flat_idx.min()) < 0 or int(flat_idx.max()) >= plane):
        raise RuntimeError(f"{op}: found an index outside the output of {plane} elements per "
                           f"channel")
    out = x.new_zeros((n, c, plane)).scatter(2, flat_idx, x.reshape(n, c, -1))
    out = out.reshape(n, c, *size)
    return out.squeeze(0) if single else out


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo ``max_pool1d``: each value goes to its ``indices`` position, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1,
                       "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo ``max_pool2d``: each value goes to its flat ``indices`` position in its
    (H_out, W_out) plane, zeros elsewhere."""
    if _amp.active:
        return _amp.run("max_unpool2d", max_unpool2d, input, indices, kernel_size, stride, padding,
                        output_size)
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2,
                       "max_unpool2d")


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Divide each element by (k + alpha * mean of x^2 over ``size`` neighbouring
    channels) ** beta; the window runs from size // 2 channels before to
    (size - 1) // 2 after, zeros beyond the edges (as in AlexNet)."""
    from ember.nn.functional import pad  # F sits above ops
    check_tensor(input, "local_response_norm")
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensionality input "
                         f"(got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    # Channels last, every other axis folded into the batch: a 1-D pool over channels.
    moved = (input * input).movedim(1, -1)
    rows = moved.reshape(-1, 1, input.shape[1])
    mean = avg_pool1d(pad(rows, (size // 2, (size - 1) // 2)), size, 1)
    mean = mean.reshape(moved.shape).movedim(-1, 1)
    return input / (mean * alpha + k) ** beta


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo ``max_pool3d``: each value goes to its flat ``indices`` position in its
    (D_out, H_out, W_out) volume, zeros elsewhere."""
    if _amp.active:
        return _amp.run("max_unpool3d", max_unpool3d, input, indices, kernel_size, stride, padding,
                        output_size)
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3,
                       "max_unpool3d")
