"""Losses: cross entropy and NLL, regression losses, binary cross entropy, KL divergence,
Poisson and Gaussian negative log-likelihoods (margin and embedding losses are in
``ember.ops.margin_loss``).

Every loss takes PyTorch's arguments, including the deprecated
``size_average``/``reduce`` pair (mapped to ``reduction`` with PyTorch's
warning). Cross entropy is log_softmax followed by a gather of the target
classes, so its gradient, and the gradient of that, come from those ops;
the common case, (N, C) logits with class indices and no class weights or
smoothing, runs as one ``SoftmaxCrossEntropy`` node instead.
"""

import warnings

import numpy as np

from ember.ops import _autocast as _amp
from ember.autograd.function import Function
from ember.autograd.grad_mode import is_grad_enabled
from ember.backend.device import xp_of
from ember.ops import elementwise as _ew
from ember.ops._util import broadcast_shapes, check_tensor, fmt_shape
from ember.ops.activation import log_softmax, logsigmoid
from ember.ops.indexing import getitem_raw
from ember.ops.reduce import constant
from ember.tensor import Tensor

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "poisson_nll_loss", "gaussian_nll_loss"]

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction, size_average, reduce, op, allowed=_REDUCTIONS):
    """The validated reduction, mapping the legacy size_average/reduce flags as PyTorch does."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=3)
    if reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{op}: reduction must be one of {names}, got {reduction!r}")
    return reduction


def _reduce(loss, reduction, denominator=None):
    """Apply ``reduction``; 'mean' divides the sum by ``denominator`` (a Tensor) when given.

    A zero denominator (every target ignored) gives nan with zero gradients, as PyTorch.
    """
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if denominator is None:
        return loss.mean()
    if not bool(denominator._array):
        return loss.sum() * 0.0 + float("nan")
    return loss.sum() / denominator


def _const(array, like):
    """``array`` (a mask) as a Tensor of ``like``'s dtype, outside the graph."""
    return Tensor._wrap(xp_of(like._array).asarray(array, dtype=like._array.dtype), False, None, 0)


def _is_float(t):
    return t.dtype.is_floating_point


# --- cross entropy and NLL -------------------------------------------------


def _class_dim(input, op):
    """The class dimension of ``input`` (0 for (C,), else 1) and the number of classes."""
    if input.ndim == 0:
        raise ValueError(f"{op}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got "
                         "a 0-d tensor")
    dim = 0 if input.ndim == 1 else 1
    return dim, input.shape[dim]


def _check_weight(weight, classes, op):
    if weight is not None and (check_tensor(weight, op, "weight").shape != (classes,)):
        raise RuntimeError(f"{op}: expected weight of shape [{classes}] (one per class), got "
                           f"{fmt_shape(weight.shape)}")


def _class_targets(target, input, class_dim, ignore_index, op):
    """Validate class indices; returns (valid, safe): flat arrays of which targets count
    and the targets with ignored ones replaced by class 0 (safe to gather)."""
    classes = input.shape[class_dim]
    if target._array.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected class indices of an integer dtype, got target of "
                           f"dtype {target.dtype} and shape {fmt_shape(target.shape)} (a "
                           f"floating target holds class probabilities and must have the "
                           f"input's shape {fmt_shape(input.shape)})")
    expected = input.shape[:class_dim] + input.shape[class_dim + 1:]
    if target.shape != expected:
        raise ValueError(f"{op}: expected target of shape {fmt_shape(expected)} (the input's "
                         f"{fmt_shape(input.shape)} without class dim {class_dim}), got "
                         f"{fmt_shape(target.shape)}")
    xp = xp_of(target._array)
    flat = target._array.reshape(-1)
    valid = flat != ignore_index
    safe = xp.where(valid, flat, 0)
    bad = (safe < 0) | (safe >= classes)
    if bad.any():
        raise IndexError(f"{op}: target {int(flat[bad][0])} is out of bounds for {classes} "
                         f"classes (expected values in [0, {classes - 1}], or ignore_index="
                         f"{ignore_index})")
    return valid, safe


def _nll_terms(logp, target, weight, ignore_index, op):
    """Per-target losses -w[t] * logp[t] (target's shape), the 'mean' denominator
    (the summed weights of counted targets) and a mask of counted targets (None: all)."""
    class_dim, classes = _class_dim(logp, op)
    _check_weight(weight, classes, op)
    valid, safe = _class_targets(target, logp, class_dim, ignore_index, op)
    xp = xp_of(logp._array)
    rows = logp.movedim(class_dim, -1).reshape(-1, classes)  # (M, C), one row per target
    picked = getitem_raw(rows, (xp.arange(safe.shape[0]), safe))
    mask = None if bool(valid.all()) else _const(valid, logp)
    if weight is not None:
        w = getitem_raw(weight, (safe,))
        w = w if mask is None else w * mask
        losses, denominator = -picked * w, w.sum()
    elif mask is None:
        losses, denominator = -picked, None
    else:
        losses, denominator = -picked * mask, mask.sum()
    mask = None if mask is None else mask.reshape(target.shape)
    return losses.reshape(target.shape), denominator, mask


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of class-index targets, given log-probabilities.

    Args:
        input: log-probabilities, (C,), (N, C) or (N, C, d1, ...).
        target: class indices (integer dtype), (), (N,) or (N, d1, ...).
        weight: optional per-class weights, shape (C,).
        ignore_index: targets equal to this contribute nothing (not even to the mean).
        reduction: 'none' | 'mean' | 'sum'; 'mean' divides by the summed weights
            of the counted targets (their number without ``weight``).
    """
    if _amp.active:
        return _amp.run("nll_loss", nll_loss, input, target, weight, size_average, ignore_index,
                        reduce, reduction)
    check_tensor(input, "nll_loss")
    check_tensor(target, "nll_loss", "target")
    reduction = _reduction(reduction, size_average, reduce, "nll_loss")
    losses, denominator, _ = _nll_terms(input, target, weight, ignore_index, "nll_loss")
    return _reduce(losses, reduction, denominator)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy between the softmax of logits ``input`` and ``target``.

    Args:
        input: unnormalised logits, (C,), (N, C) or (N, C, d1, ...).
        target: class indices (integer dtype, the input's shape without dim C),
            or class probabilities (floating, the input's shape).
        weight: optional per-class weights, shape (C,).
        ignore_index: class-index targets equal to this are skipped (class
            probabilities do not support it).
        reduction: 'none' | 'mean' | 'sum'. With class indices 'mean' divides by
            the summed weights of the counted targets; with probabilities by
            the number of samples (numel / C).
        label_smoothing: in [0, 1]; mixes the target with the uniform
            distribution over the C classes by this amount.
    """
    if _amp.active:
        return _amp.run("cross_entropy", cross_entropy, input, target, weight, size_average,
                        ignore_index, reduce, reduction, label_smoothing)
    op = "cross_entropy"
    check_tensor(input, op)
    check_tensor(target, op, "target")
    reduction = _reduction(reduction, size_average, reduce, op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_dim, classes = _class_dim(input, op)
    if (input.ndim == 2 and weight is None and label_smoothing == 0 and input.numel()
            and input._array.dtype.kind == "f" and not _is_float(target)):
        fused = _softmax_cross_entropy(input, target, ignore_index, reduction, op)
        if fused is not None:
            return fused
    logp = log_softmax(input, class_dim)
    if _is_float(target) and target.shape == input.shape:
        return _cross_entropy_probs(logp, target, weight, ignore_index, reduction,
                                    label_smoothing)
    losses, denominator, mask = _nll_terms(logp, target, weight, ignore_index, op)
    loss = _reduce(losses, reduction, denominator)
    if label_smoothing == 0:
        return loss
    # The uniform part: -sum_c w_c logp_c per target, skipped where ignored.
    weighted = logp if weight is None else logp * _along(weight, logp.ndim, class_dim)
    smooth = -weighted.sum(class_dim)
    if mask is not None:
        smooth = smooth * mask
    smooth = _reduce(smooth, reduction, denominator)
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / classes)


class SoftmaxCrossEntropy(Function):
    """Cross entropy of (N, C) logits and class indices, log_softmax and NLL in one node.

    Forward keeps exp(x - max) and its row sums, so the first-order backward
    is one pass, ``(softmax - onehot) * coef`` per row, with no second exp. ``row_weight``
    (N,) is 1 for a counted target and 0 for an ignored one (or None: all
    count); ``scale`` divides the summed loss ('mean') or is 1; with
    ``per_row`` the output is the (N,) losses ('none').
    """

    @staticmethod
    def forward(ctx, x, target, row_weight, scale, per_row):
        xp = ctx.xp
        rows = xp.arange(x.shape[0])
        picked = x[rows, target]
        p = total = None
        if xp is np and x.dtype.itemsize >= 4:
            # Unshifted first: where no row's exp overflows or underflows, the
            # softmax is the same (up to rounding), and a pass for the row
            # maxima and one subtracting them are saved. Checked on the row
            # sums (on the CPU, where the check costs no device sync).
            with np.errstate(over="ignore", under="ignore"):
                p = np.exp(x)
                total = _row_sums(p, xp)
            if not (np.isfinite(total).all() and (total >= np.finfo(p.dtype).tiny).all()):
                p = None
        if p is None:
            top = x.max(axis=1, keepdims=True)
            picked = picked - top[:, 0]
            p = x - top
            xp.exp(p, out=p)
            total = _row_sums(p, xp)
        losses = xp.log(total[:, 0]) - picked
        if row_weight is not None:
            losses *= row_weight
        # The softmax is p / total: the division is left to the backward, which
        # scales every row anyway (one pass fewer).
        ctx.exp, ctx.total, ctx.rows, ctx.target = p, total, rows, target
        ctx.row_weight, ctx.scale, ctx.per_row = row_weight, scale, per_row
        ctx.save_for_backward(x)
        if per_row:
            return losses
        return xp.asarray(losses.sum() * losses.dtype.type(scale))

    @staticmethod
    def backward(ctx, g):
        rw = ctx.row_weight
        if is_grad_enabled():  # create_graph=True: the same gradient in Ember ops
            (x,) = ctx.saved_tensors
            xp = xp_of(x._array)
            onehot = xp.zeros(x._array.shape, x._array.dtype)
            onehot[ctx.rows, ctx.target] = 1
            coef = g.reshape(-1, 1) if ctx.per_row else g * ctx.scale
            if rw is not None:
                coef = coef * constant(rw.reshape(-1, 1))
            soft = _ew.exp(log_softmax(x, 1))
            return (soft - constant(onehot)) * coef, None, None, None, None
        ga = g._array
        if ctx.per_row:
            coef = (ga if rw is None else ga * rw)[:, None]
        else:
            coef = ga * ga.dtype.type(ctx.scale)
            if rw is not None:
                coef = (coef * rw)[:, None]
        gx = ctx.exp * (coef / ctx.total)  # softmax * coef
        gx[ctx.rows, ctx.target] -= coef if coef.ndim == 0 else coef[:, 0]
        return constant(gx), None, None, None, None


def _row_sums(p, xp):
    """Row sums of a 2-D array, (N, 1)."""
    if p.dtype.kind == "f" and p.dtype.itemsize >= 4:
        # A matrix-vector product: BLAS runs it several times faster than
        # NumPy's reduction over the last axis.
        return (p @ xp.ones(p.shape[1], p.dtype))[:, None]
    return p.sum(axis=1, keepdims=True)


def _softmax_cross_entropy(input, target, ignore_index, reduction, op):
    """Cross entropy of (N, C) logits through ``SoftmaxCrossEntropy``; None when
    'mean' would divide by zero (every target ignored: the composed path's nan)."""
    valid, safe = _class_targets(target, input, 1, ignore_index, op)
    n = input.shape[0]
    row_weight = None
    count = n
    if not bool(valid.all()):
        row_weight = valid.astype(input._array.dtype)
        count = int(valid.sum())
    if reduction == "mean" and count == 0:
        return None
    scale = 1.0 / count if reduction == "mean" else 1.0
    return SoftmaxCrossEntropy.apply(input, safe, row_weight, scale, reduction == "none")


def _along(weight, ndim, dim):
    """A (C,) tensor shaped to broadcast along dimension ``dim`` of an ``ndim``-D tensor."""
    return weight.reshape(tuple(-1 if d == dim else 1 for d in range(ndim)))


def _cross_entropy_probs(logp, target, weight, ignore_index, reduction, label_smoothing):
    op = "cross_entropy"
    class_dim, classes = _class_dim(logp, op)
    _check_weight(weight, classes, op)
    if ignore_index >= 0:
        raise RuntimeError(f"{op}: ignore_index is not supported for class-probability "
                           f"(floating) targets, got ignore_index={ignore_index}")
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = logp * target
    if weight is not None:
        terms = terms * _along(weight, logp.ndim, class_dim)
    if reduction == "none":
        return -terms.sum(class_dim)
    total = -terms.sum()
    if reduction == "sum":
        return total
    return total / (logp.numel() // classes if classes else 0)  # 0 samples: nan, as PyTorch


# --- regression losses -----------------------------------------------------


def _check_pair(input, target, op):
    """Both tensors, broadcastable; warn as PyTorch does when their shapes differ."""
    check_tensor(input, op)
    check_tensor(target, op, "target")
    if input.shape != target.shape:
        broadcast_shapes(input.shape, target.shape, op=op)
        warnings.warn(f"{op}: using a target size ({fmt_shape(target.shape)}) that is different "
                      f"to the input size ({fmt_shape(input.shape)}). This will likely lead to "
                      "incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


def _weighted(loss, weight, input, reduction, op, mean_over_weights=True):
    """Reduce ``loss``, scaled elementwise by ``weight`` (the input's shape) when given."""
    if weight is None:
        return _reduce(loss, reduction)
    if check_tensor(weight, op, "weight").shape != input.shape:
        raise ValueError(f"{op}: expected weight of the input's shape {fmt_shape(input.shape)}, "
                         f"got {fmt_shape(weight.shape)}")
    loss = loss * weight
    return _reduce(loss, reduction, weight.sum() if mean_over_weights else None)


class SmoothL1(Function):
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta, elementwise; beta 0 is |d|."""

    @staticmethod
    def forward(ctx, d, beta):
        xp = ctx.xp
        ad = xp.abs(d)
        inner = ad < beta
        y = ad - 0.5 * beta
        if beta > 0:
            y = xp.where(inner, 0.5 * d * d / beta, y)
        ctx.beta = beta
        ctx.save_for_backward(d, xp.asarray(inner, dtype=d.dtype), xp.asarray(xp.sign(d) * ~inner))
        return y

    @staticmethod
    def backward(ctx, g):
        d, inner, outer_sign = ctx.saved_tensors
        # Slope d / beta inside (differentiable through d), sign(d) outside (constant).
        slope = outer_sign if ctx.beta == 0 else inner * d / ctx.beta + outer_sign
        return g * slope, None


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error (input - target) ** 2, reduced.

    ``weight`` (the input's shape) scales each element; 'mean' then divides by its sum.
    """
    if _amp.active:
        return _amp.run("mse_loss", mse_loss, input, target, size_average, reduce, reduction,
                        weight)
    _check_pair(input, target, "mse_loss")
    reduction = _reduction(reduction, size_average, reduce, "mse_loss")
    return _weighted((input - target) ** 2, weight, input, reduction, "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error |input - target|, reduced (``weight`` as in mse_loss)."""
    if _amp.active:
        return _amp.run("l1_loss", l1_loss, input, target, size_average, reduce, reduction, weight)
    _check_pair(input, target, "l1_loss")
    reduction = _reduction(reduction, size_average, reduce, "l1_loss")
    return _weighted(SmoothL1.apply(input - target, 0.0), weight, input, reduction, "l1_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Squared error below ``beta``, absolute error (less beta / 2) above, divided by beta."""
    if _amp.active:
        return _amp.run("smooth_l1_loss", smooth_l1_loss, input, target, size_average, reduce,
                        reduction, beta)
    _check_pair(input, target, "smooth_l1_loss")
    reduction = _reduction(reduction, size_average, reduce, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    return _reduce(SmoothL1.apply(input - target, float(beta)), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d**2 where |d| < delta, else delta * (|d| - delta / 2): delta * smooth_l1(beta=delta).

    ``weight`` (the input's shape) scales each element; 'mean' stays a plain mean.
    """
    if _amp.active:
        return _amp.run("huber_loss", huber_loss, input, target, reduction, delta, weight)
    _check_pair(input, target, "huber_loss")
    reduction = _reduction(reduction, None, None, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    loss = SmoothL1.apply(input - target, float(delta)) * delta
    return _weighted(loss, weight, input, reduction, "huber_loss", mean_over_weights=False)


# --- binary cross entropy and KL -------------------------------------------

_BCE_EPS = 1e-12  # PyTorch's floor on x (1 - x) in the gradient


class BinaryCrossEntropy(Function):
    """-(y log x + (1 - y) log(1 - x)), elementwise; each log clamped to >= -100 as PyTorch."""

    @staticmethod
    def forward(ctx, x, y):
        xp = ctx.xp
        with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        ctx.save_for_backward(x, y)
        return (y - 1) * log_1mx - y * log_x

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = gy = None
        if need[0]:
            gx = g * (x - y) / _ew.clamp(x * (1 - x), min=_BCE_EPS)
        if need[1]:
            gy = g * (_ew.log(1 - x) - _ew.log(x))
        return gx, gy


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(target log(input) + (1 - target) log(1 - input)), for probabilities ``input``.

    Args:
        input, target: tensors of one shape with values in [0, 1].
        weight: rescales each element; broadcast to the target's shape.
    """
    if _amp.active:
        return _amp.run("binary_cross_entropy", binary_cross_entropy, input, target, weight,
                        size_average, reduce, reduction)
    op = "binary_cross_entropy"
    check_tensor(input, op)
    check_tensor(target, op, "target")
    reduction = _reduction(reduction, size_average, reduce, op)
    if target.shape != input.shape:
        raise ValueError(f"{op}: expected target of the input's shape {fmt_shape(input.shape)}, "
                         f"got {fmt_shape(target.shape)}")
    for name, t in (("input", input), ("target", target)):
        if bool(((t._array < 0) | (t._array > 1)).any()):
            raise RuntimeError(f"{op}: all elements of {name} should be between 0 and 1")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        check_tensor(weight, op, "weight")
        if broadcast_shapes(weight.shape, target.shape, op=op) != target.shape:
            raise RuntimeError(f"{op}: weight of shape {fmt_shape(weight.shape)} does not "
                               f"broadcast to the target's shape {fmt_shape(target.shape)}")
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target), computed stably from the logits.

    Args:
        weight: rescales each element (broadcast).
        pos_weight: weight of the positive term, one per class (broadcast
            along the last dimension): >1 raises recall, <1 precision.
    """
    if _amp.active:
        return _amp.run("binary_cross_entropy_with_logits", binary_cross_entropy_with_logits,
                        input, target, weight, size_average, reduce, reduction, pos_weight)
    op = "binary_cross_entropy_with_logits"
    check_tensor(input, op)
    check_tensor(target, op, "target")
    reduction = _reduction(reduction, size_average, reduce, op)
    if target.shape != input.shape:
        raise ValueError(f"{op}: expected target of the input's shape {fmt_shape(input.shape)}, "
                         f"got {fmt_shape(target.shape)}")
    # -log(1 - sigmoid(x)) = x - logsigmoid(x): no exp of a large logit anywhere.
    log_sigmoid = logsigmoid(input)
    if pos_weight is not None:
        log_weight = (check_tensor(pos_weight, op, "pos_weight") - 1) * target + 1
        loss = (1 - target) * input - log_weight * log_sigmoid
    else:
        loss = (1 - target) * input - log_sigmoid
    if weight is not None:
        loss = loss * check_tensor(weight, op, "weight")
    return _reduce(loss, reduction)


def _xlogx(t):
    """t * log(t), with 0 where t == 0 (its limit) and a finite gradient there."""
    # log(t + 1) where t == 0: log(1) = 0, and the added constant leaves the gradient alone.
    zero = _const(t._array == 0, t)
    return t * _ew.log(t + zero)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence sum target * (log(target) - input), ``input`` being log-probabilities.

    Args:
        target: probabilities, or log-probabilities when ``log_target``.
        reduction: 'none' | 'batchmean' (sum / batch size: the true KL) |
            'sum' | 'mean' (over all elements; warns, as PyTorch does).
    """
    if _amp.active:
        return _amp.run("kl_div", kl_div, input, target, size_average, reduce, reduction,
                        log_target)
    op = "kl_div"
    _check_pair(input, target, op)
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce, op)
    else:
        reduction = _reduction(reduction, None, None, op, _REDUCTIONS + ("batchmean",))
        if reduction == "mean":
            warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch "
                          "size and the support size. 'batchmean' divides only by the batch "
                          "size, and aligns with the KL div math definition.", stacklevel=2)
    if log_target:
        loss = _ew.exp(target) * (target - input)
    else:
        loss = _xlogx(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


# --- Poisson and Gaussian likelihoods ----------------------------------------


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of ``target`` counts under Poisson(rate), without the
    log(target!) constant unless ``full``.

    Args:
        log_input: ``input`` is log(rate): exp(input) - target * input; else
            ``input`` is the rate: input - target * log(input + eps).
        full: add Stirling's approximation of log(target!),
            target log(target) - target + log(2 pi target) / 2, where target > 1.

    Differs from PyTorch: with ``full``, the gradient in ``target`` is 0 where
    target is 0 (PyTorch's is nan there).
    """
    if _amp.active:
        return _amp.run("poisson_nll_loss", poisson_nll_loss, input, target, log_input, full,
                        size_average, eps, reduce, reduction)
    op = "poisson_nll_loss"
    _check_pair(input, target, op)
    reduction = _reduction(reduction, size_average, reduce, op)
    if log_input:
        loss = _ew.exp(input) - target * input
    else:
        loss = input - target * _ew.log(input + eps)
    if full:
        above = _const(target._array > 1, target)
        safe = target * above + (1 - above)  # 1 where masked: no log(0), and a zero term
        stirling = safe * _ew.log(safe) - safe + 0.5 * _ew.log(2 * np.pi * safe)
        loss = loss + stirling * above
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target`` under Normal(input, var):
    (log(var) + (input - target)^2 / var) / 2, plus log(2 pi) / 2 if ``full``.

    ``var`` (a tensor or a number) has the input's shape, or it without the
    last dimension, or it with one dimension of size 1. It is clamped to at least
    ``eps`` for the value only, as PyTorch: the gradient flows as if unclamped.

    Raises:
        ValueError: ``var`` of another shape, or with a negative entry.
    """
    op = "gaussian_nll_loss"
    check_tensor(input, op)
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{op}: var has negative entry/entries")
        var = input.detach() * 0 + float(var)
    for name, t in (("target", target), ("var", var)):
        check_tensor(t, op, name)
    if var.shape != input.shape:
        # One variance per sample: var without the last dimension, or with one
        # dimension of size 1 where the input's is not.
        mismatched = [v for i, v in zip(input.shape, var.shape) if i != v] \
            if var.ndim == input.ndim else None
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif mismatched != [1]:
            raise ValueError(f"{op}: var is of incorrect size: expected {fmt_shape(input.shape)},"
                             f" that without its last dimension, or that with one dimension "
                             f"of size 1, got {fmt_shape(var.shape)}")
    reduction = _reduction(reduction, None, None, op)
    v = var._array
    if bool((v < 0).any()):
        raise ValueError(f"{op}: var has negative entry/entries")
    var = var + _const(xp_of(v).maximum(v, eps) - v, var)
    loss = 0.5 * (_ew.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return _reduce(loss, reduction)
