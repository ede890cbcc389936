"""Cross entropy of a linear layer's logits, optionally without holding all the logits.

A language model's head maps N hidden states of size H to logits over a
vocabulary of C classes: the (N, C) logits (and their softmax, kept for
backward) often outweigh everything else in memory. ``linear_cross_entropy``
takes the hidden states and the head's weight instead of the logits. With
``options`` it works on ``batch_chunk_size`` rows at a time and recomputes
each chunk's logits in backward, so only one chunk's logits exist at once.
"""

import math
from dataclasses import dataclass

import ember
from ember.autograd import grad as _autograd_grad
from ember.autograd.function import Function
from ember.autograd.grad_mode import enable_grad, no_grad
from ember.backend.dtype import as_dtype
from ember.nn.module import Module
from ember.nn.modules.linear import Linear
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.linalg import linear
from ember.ops.loss import cross_entropy
from ember.tensor import Tensor

# linear_cross_entropy is reached as ember.nn.functional.linear_cross_entropy
__all__ = ["LinearCrossEntropyOptions", "LinearCrossEntropyLoss"]

_ACC_POLICIES = ("auto", "accurate", "balanced", "compact")


@dataclass
class LinearCrossEntropyOptions:
    """How ``linear_cross_entropy`` splits its work into row chunks.

    Passing an instance (even ``LinearCrossEntropyOptions()``) selects the
    chunked path: the logits of ``batch_chunk_size`` rows at a time, each
    chunk's logits recomputed in backward.

    Args:
        allow_retain_graph: accepted for PyTorch compatibility; Ember's chunked
            backward recomputes from the saved inputs, so ``retain_graph=True``
            always works.
        batch_chunk_size: rows per chunk; None lets ``chunking_method`` decide.
        chunking_method: ``"aspect_ratio"`` sizes a chunk's (rows, C) logits like
            the (N, in_features) input, rounded up to a power of two;
            ``"aspect_ratio:k"`` divides that by k; ``"auto"`` (default) is
            ``"aspect_ratio:2"``; None means one chunk unless
            ``batch_chunk_size`` is set.
        acc_policy, acc_dtype: PyTorch's accumulation-precision knobs for
            half-precision GPU kernels; validated, but Ember computes every
            chunk in the input's dtype.

    Raises:
        ValueError: for an unknown ``acc_policy`` or ``chunking_method``, a
            non-positive ``batch_chunk_size`` or a non-floating ``acc_dtype``.
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int = None
    chunking_method: str = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in _ACC_POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.batch_chunk_size is not None and (
                not isinstance(self.batch_chunk_size, int) or isinstance(self.batch_chunk_size, bool)
                or self.batch_chunk_size <= 0):
            raise ValueError(f"batch_chunk_size must be positive int or None, got "
                             f"{self.batch_chunk_size!r}")
        if self.chunking_method is not None and self._aspect_divisor() is None:
            raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if self.acc_dtype is not None and not as_dtype(self.acc_dtype).is_floating_point:
            raise ValueError(f"acc_dtype must be a floating dtype or None, got "
                             f"{self.acc_dtype!r}")

    def _aspect_divisor(self):
        """k of ``"aspect_ratio:k"`` (2 for "auto", 1 for plain "aspect_ratio"); None if invalid."""
        method = self.chunking_method
        if method == "auto":
            return 2.0
        name, colon, factor = method.partition(":") if isinstance(method, str) else ("", "", "")
        if name != "aspect_ratio":
            return None
        if not colon:
            return 1.0
        try:
            k = float(factor)
        except ValueError:
            return None
        return k if k >= 1 else None

    def chunk_rows(self, rows, classes, in_features):
        """Rows per chunk for an (rows, in_features) input and ``classes`` logits per row."""
        if self.batch_chunk_size is not None:
            return self.batch_chunk_size
        if self.chunking_method is None:
            return max(rows, 1)
        # A chunk's logits about the size of the input, divided by k.
        per = math.ceil(rows / max(math.ceil(classes / max(in_features, 1)), 1))
        per = 1 << max(per - 1, 0).bit_length()  # the next power of two
        return max(int(per / self._aspect_divisor()), 1)


def _losses(x, w2, b2, target, class_weight, ignore_index, label_smoothing, out_features):
    """Per-sample cross entropy of ``x @ w2.T + b2``, reshaped to (rows, C, *out_features)."""
    logits = linear(x, w2, b2)
    logits = logits.reshape(x.shape[0], -1, *out_features)
    return cross_entropy(logits, target, class_weight, ignore_index=ignore_index,
                         reduction="none", label_smoothing=label_smoothing)


class _ChunkedLosses(Function):
    """The per-sample losses, ``batch`` rows at a time; backward recomputes each chunk."""

    @staticmethod
    def forward(ctx, x, w2, b2, target, class_weight, ignore_index, label_smoothing,
                out_features, batch):
        def const(a):
            return None if a is None else Tensor._wrap(a, False, None, 0)

        xt, wt, bt, tt, cw = (const(a) for a in (x, w2, b2, target, class_weight))
        parts = [_losses(xt[lo:lo + batch], wt, bt, tt[lo:lo + batch], cw, ignore_index,
                         label_smoothing, out_features)._array
                 for lo in range(0, x.shape[0], batch)]
        ctx.args = (ignore_index, label_smoothing, out_features, batch)
        ctx.save_for_backward(x, w2, b2, target, class_weight)
        return ctx.xp.concatenate(parts) if parts else ctx.xp.zeros((0, *out_features),
                                                                    x.dtype)

    @staticmethod
    def backward(ctx, g):
        # First order only (as PyTorch's chunked path): each chunk's graph is
        # built on detached copies, differentiated and dropped.
        x, w2, b2, target, class_weight = ctx.saved_tensors
        ignore_index, label_smoothing, out_features, batch = ctx.args
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        w_leaf = w2.detach().requires_grad_(need_w)
        b_leaf = None if b2 is None else b2.detach().requires_grad_(need_b)
        cw = None if class_weight is None else class_weight.detach()
        g, target = g.detach(), target.detach()
        gx_parts, gw, gb = [], None, None
        for lo in range(0, x.shape[0], batch):
            x_leaf = x[lo:lo + batch].detach().requires_grad_(need_x)
            wrt = [t for t, need in ((x_leaf, need_x), (w_leaf, need_w), (b_leaf, need_b))
                   if need]
            with enable_grad():
                losses = _losses(x_leaf, w_leaf, b_leaf, target[lo:lo + batch], cw,
                                 ignore_index, label_smoothing, out_features)
            grads = list(_autograd_grad(losses, wrt, g[lo:lo + batch]))
            if need_x:
                gx_parts.append(grads.pop(0))
            if need_w:
                gw = grads.pop(0) if gw is None else gw + grads.pop(0)
            if need_b:
                gb = grads.pop(0) if gb is None else gb + grads.pop(0)
        gx = ember.cat(gx_parts) if need_x and gx_parts else None
        if need_x and gx is None:
            gx = ember.zeros_like(x.detach())
        if need_w and gw is None:
            gw = ember.zeros_like(w_leaf.detach())
        if need_b and gb is None:
            gb = ember.zeros_like(b_leaf.detach())
        return gx, gw, gb, None, None, None, None, None, None


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``.

    Args:
        input: (N, in_features) or unbatched (in_features,).
        linear_weight: (C, in_features), or (C, d1, ..., dK, in_features) for a
            K-dimensional loss (batched input only): logits[n, c, d...] =
            sum_i input[n, i] * linear_weight[c, d..., i].
        target: class indices (N, d1, ..., dK) (or () unbatched), or class
            probabilities (N, C, d1, ..., dK) (or (C,)).
        linear_bias: (C, d1, ..., dK) (the logits' shape past N), added to them.
        weight, reduction, label_smoothing: as ``cross_entropy``.
        ignore_index: as ``cross_entropy``; None (default) means -100.
        options: None computes all logits at once (fully differentiable, second
            derivatives included); a ``LinearCrossEntropyOptions`` computes
            them ``batch_chunk_size`` rows at a time, in forward and again in
            backward, which bounds the memory of the logits by one chunk.

    Differs from PyTorch: the chunked path supports every case the reference
    path does (label smoothing, class probabilities, K-dimensional weights
    and biases), where PyTorch falls back with a warning. As in PyTorch, it
    has first derivatives only (its gradients do not require grad) and no
    gradient for ``weight``.
    """
    op = "linear_cross_entropy"
    for name, t in (("input", input), ("linear_weight", linear_weight), ("target", target)):
        check_tensor(t, op, name)
    if options is not None and not isinstance(options, LinearCrossEntropyOptions):
        raise TypeError(f"{op}: expected options to be a LinearCrossEntropyOptions or None, got "
                        f"{type(options).__name__}")
    if input.ndim not in (1, 2) or linear_weight.ndim < 2:
        raise RuntimeError(f"{op}: expected input of shape (N, in_features) or (in_features,) "
                           f"and linear_weight of shape (C, ..., in_features), got "
                           f"{fmt_shape(input.shape)} and {fmt_shape(linear_weight.shape)}")
    if input.shape[-1] != linear_weight.shape[-1]:
        raise RuntimeError(f"{op}: expected equal input and linear_weight last dimensions "
                           f"(in_features), got {input.shape[-1]} and "
                           f"{linear_weight.shape[-1]}, respectively")
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if out_features and input.ndim == 1:
        raise RuntimeError(f"{op}: K-dimensional loss defined by linear_weight shape "
                           f"{fmt_shape(linear_weight.shape)} requires batched input, (N, "
                           f"{input.shape[-1]}), got unbatched input with shape "
                           f"{fmt_shape(input.shape)}")
    ignore_index = -100 if ignore_index is None else ignore_index
    w2 = linear_weight.reshape(-1, linear_weight.shape[-1])
    b2 = None
    if linear_bias is not None:
        check_tensor(linear_bias, op, "linear_bias")
        if tuple(linear_bias.shape) != (classes, *out_features):
            raise RuntimeError(f"{op}: expected linear_bias shape "
                               f"{fmt_shape((classes, *out_features))}, got "
                               f"{fmt_shape(linear_bias.shape)}")
        b2 = linear_bias.reshape(-1)
    if options is None:
        logits = linear(input, w2, b2)
        if input.ndim == 2:
            logits = logits.reshape(input.shape[0], classes, *out_features)
        return cross_entropy(logits, target, weight, ignore_index=ignore_index,
                             reduction=reduction, label_smoothing=label_smoothing)
    return _chunked(input, w2, b2, target, weight, reduction, ignore_index, label_smoothing,
                    classes, out_features, options)


def _chunked(input, w2, b2, target, weight, reduction, ignore_index, label_smoothing, classes,
             out_features, options):
    op = "linear_cross_entropy"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{op}: reduction must be one of 'none', 'mean', 'sum', got "
                         f"{reduction!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    unbatched = input.ndim == 1
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    n = input.shape[0]
    probs = target.dtype.is_floating_point
    expected = (n, classes, *out_features) if probs else (n, *out_features)
    if tuple(target.shape) != expected:
        kind = "class probabilities" if probs else "class indices"
        raise ValueError(f"{op}: expected target ({kind}) of shape "
                         f"{fmt_shape(expected[unbatched:])}, got "
                         f"{fmt_shape(target.shape[unbatched:])}")
    batch = options.chunk_rows(n, w2.shape[0], input.shape[1])
    losses = _ChunkedLosses.apply(input, w2, b2, target, weight, ignore_index, label_smoothing,
                                  out_features, batch)
    if reduction == "none":
        return losses[0] if unbatched else losses
    if reduction == "sum" or probs:
        total = losses.sum()
        return total if reduction == "sum" else total / losses.numel()
    # 'mean' over class indices: divide by the summed weights of the counted targets
    with no_grad():
        kept = target != ignore_index
        if weight is None:
            denominator = kept.sum().to(losses.dtype)
        else:
            safe = ember.where(kept, target, ember.zeros_like(target))
            denominator = (weight.detach()[safe] * kept.to(weight.dtype)).sum().to(losses.dtype)
    if float(denominator) == 0:  # nothing counted: 0 / 0 is nan, but the gradient is 0
        return losses.sum() * 0.0 + float("nan")
    return losses.sum() / denominator


class LinearCrossEntropyLoss(Module):
    """A linear layer (``self.linear``) followed by cross entropy, as one loss.

    ``loss(input, target) = linear_cross_entropy(input, W, target, ...)`` with
    ``W = self.linear.weight`` viewed as (C, *out_features, in_features) and
    the bias as (C, *out_features).

    Args:
        in_features: size of each input sample.
        num_classes: C.
        out_features: (d1, ..., dK) for a K-dimensional loss. Default: ().
        bias: learn a bias (stored flat, C * prod(out_features)). Default: False.
        reduction, weight, ignore_index, label_smoothing, options: as
            ``linear_cross_entropy`` (``weight`` becomes a buffer).

    Shape:
        input (N, in_features) or (in_features,); target as in
        ``linear_cross_entropy``.
    """

    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None,
                 dtype=None, reduction="mean", weight=None, ignore_index=None,
                 label_smoothing=0.0, options=None):
        super().__init__()
        self.in_features, self.num_classes = in_features, num_classes
        self.out_features = tuple(out_features)
        self.linear = Linear(in_features, num_classes * math.prod(self.out_features), bias=bias,
                             device=device, dtype=dtype)
        self.register_buffer("weight", weight)
        self.reduction, self.ignore_index = reduction, ignore_index
        self.label_smoothing, self.options = label_smoothing, options

    def forward(self, input, target):
        shape = (self.num_classes, *self.out_features)
        bias = self.linear.bias
        return linear_cross_entropy(
            input, self.linear.weight.reshape(*shape, self.in_features), target,
            linear_bias=None if bias is None else bias.reshape(shape), weight=self.weight,
            reduction=self.reduction, ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing, options=self.options)

    def extra_repr(self):
        return (f"in_features={self.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")
