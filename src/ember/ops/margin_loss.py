"""Margin, ranking and embedding losses, with PyTorch's formulas and arguments.

margin_ranking_loss, hinge_embedding_loss, soft_margin_loss,
multilabel_soft_margin_loss, cosine_embedding_loss, multi_margin_loss,
multilabel_margin_loss, triplet_margin_loss and
triplet_margin_with_distance_loss. Each is a composition of differentiable
ops, so gradients of every order come from those ops; class targets and the
masks built from them are constants. Reductions, and the deprecated
``size_average``/``reduce`` pair, are handled as in ``ember.ops.loss``.
"""

import numpy as np

from ember.ops import _autocast as _amp
from ember.backend.device import xp_of
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.activation import logsigmoid, softplus
from ember.ops.comparison import clamp_min, minimum
from ember.ops.loss import _const, _reduce, _reduction
from ember.ops.reduce import constant
from ember.ops.scatter import gather
from ember.tensor import _host

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "cosine_embedding_loss", "multi_margin_loss",
           "multilabel_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss"]


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target * (input1 - input2) + margin): ``target`` 1 means input1 should
    rank higher, -1 lower. The three tensors broadcast."""
    if _amp.active:
        return _amp.run("margin_ranking_loss", margin_ranking_loss, input1, input2, target, margin,
                        size_average, reduce, reduction)
    op = "margin_ranking_loss"
    for name, t in (("input1", input1), ("input2", input2), ("target", target)):
        check_tensor(t, op, name)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"{op}: all input tensors should have the same number of dimensions, "
                           f"got {input1.ndim}, {input2.ndim} and {target.ndim}")
    reduction = _reduction(reduction, size_average, reduce, op)
    return _reduce(clamp_min(-target * (input1 - input2) + margin, 0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """``input`` where target is 1, max(0, margin - input) where it is -1 (``input``
    being a distance; other target values get both terms, as in PyTorch)."""
    if _amp.active:
        return _amp.run("hinge_embedding_loss", hinge_embedding_loss, input, target, margin,
                        size_average, reduce, reduction)
    op = "hinge_embedding_loss"
    check_tensor(input, op)
    check_tensor(target, op, "target")
    reduction = _reduction(reduction, size_average, reduce, op)
    t = target._array
    loss = clamp_min(margin - input, 0) * _const(t != 1, input) + input * _const(t != -1, input)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)), elementwise, for targets of 1 and -1."""
    if _amp.active:
        return _amp.run("soft_margin_loss", soft_margin_loss, input, target, size_average, reduce,
                        reduction)
    op = "soft_margin_loss"
    check_tensor(input, op)
    check_tensor(target, op, "target")
    reduction = _reduction(reduction, size_average, reduce, op)
    return _reduce(softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Binary cross entropy of sigmoid(input) against 0/1 ``target``, averaged over
    the classes (the last dimension) of each sample, then reduced over samples.

    Args:
        weight: per-class rescaling (broadcast against the input).
    """
    if _amp.active:
        return _amp.run("multilabel_soft_margin_loss", multilabel_soft_margin_loss, input, target,
                        weight, size_average, reduce, reduction)
    op = "multilabel_soft_margin_loss"
    check_tensor(input, op)
    check_tensor(target, op, "target")
    reduction = _reduction(reduction, size_average, reduce, op)
    if input.ndim == 0:
        raise ValueError(f"{op}: expected an input with a class dimension, got a 0-d tensor")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * check_tensor(weight, op, "weight")
    loss = loss.sum(-1) / input.shape[-1]
    return _reduce(loss, reduction)


_COSINE_EPS = 1e-12  # PyTorch's addition to each squared norm


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1.

    Shape: input1, input2 (N, D) or (D,); target (N,) or ().
    """
    if _amp.active:
        return _amp.run("cosine_embedding_loss", cosine_embedding_loss, input1, input2, target,
                        margin, size_average, reduce, reduction)
    op = "cosine_embedding_loss"
    for name, t in (("input1", input1), ("input2", input2), ("target", target)):
        check_tensor(t, op, name)
    reduction = _reduction(reduction, size_average, reduce, op)
    if input1.shape != input2.shape:
        raise RuntimeError(f"{op}: input1 and input2 should have the same shape, got "
                           f"{fmt_shape(input1.shape)} and {fmt_shape(input2.shape)}")
    if input1.ndim not in (1, 2) or target.ndim != input1.ndim - 1:
        raise RuntimeError(f"{op}: expected inputs of 1 or 2 dimensions and a target of one "
                           f"dimension fewer, got inputs {fmt_shape(input1.shape)} and target "
                           f"{fmt_shape(target.shape)}")
    dim = input1.ndim - 1
    squares = ((input1 * input1).sum(dim) + _COSINE_EPS) * ((input2 * input2).sum(dim) +
                                                          _COSINE_EPS)
    cos = (input1 * input2).sum(dim) / squares.sqrt()
    t = target._array
    loss = (1 - cos) * _const(t == 1, cos) + clamp_min(cos - margin, 0) * _const(t == -1, cos)
    return _reduce(loss, reduction)


def _class_targets(input, target, op):
    """(input as (N, C), target as (N,) int array, whether input was 1-D)."""
    check_tensor(input, op)
    check_tensor(target, op, "target")
    if input.ndim not in (1, 2):
        raise ValueError(f"{op}: expected a 1-D (C) or 2-D (N, C) input, got "
                         f"{fmt_shape(input.shape)}")
    single = input.ndim == 1
    x = input.unsqueeze(0) if single else input
    if target.ndim != (0 if single else 1) and not (single and target.shape == (1,)):
        expected = "one class index" if single else f"shape ({x.shape[0]},)"
        raise ValueError(f"{op}: expected a target of {expected}, got shape "
                         f"{fmt_shape(target.shape)} for input {fmt_shape(input.shape)}")
    t = target._array.reshape(-1)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected an integer target, got {target.dtype}")
    if t.shape[0] != x.shape[0]:
        raise ValueError(f"{op}: expected a target of {x.shape[0]} class indices, got shape "
                         f"{fmt_shape(target.shape)}")
    return x, t, single


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: for each sample, the sum over classes i other than
    the target y of max(0, margin - x[y] + x[i]) ** p, divided by the class count.

    Args:
        p: 1 or 2.
        weight: (C,) rescaling of each sample's loss by its target class.
    Shape: input (N, C) or (C,); target (N,) or () class indices.
    """
    if _amp.active:
        return _amp.run("multi_margin_loss", multi_margin_loss, input, target, p, margin, weight,
                        size_average, reduce, reduction)
    op = "multi_margin_loss"
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got {p}")
    x, t, single = _class_targets(input, target, op)
    reduction = _reduction(reduction, size_average, reduce, op)
    classes = x.shape[1]
    if t.size and (t.min() < 0 or t.max() >= classes):
        raise IndexError(f"{op}: target {int(t.min() if t.min() < 0 else t.max())} is out of "
                         f"range for {classes} classes")
    xp = xp_of(x._array)
    index = constant(xp.asarray(t[:, None]))
    z = clamp_min(margin - gather(x, 1, index) + x, 0)
    if p == 2:
        z = z * z
    others = xp.ones(x.shape, bool)
    others[xp.arange(x.shape[0]), t] = False
    z = z * _const(others, x)
    if weight is not None:
        w = check_tensor(weight, op, "weight")
        if tuple(w.shape) != (classes,):
            raise ValueError(f"{op}: expected weight of shape ({classes},), got "
                             f"{fmt_shape(w.shape)}")
        z = z * w[constant(xp.asarray(t))].unsqueeze(1)
    loss = z.sum(1) / classes
    return _reduce(loss.squeeze(0) if single else loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: for each target class j of a sample and each class i
    that is not a target, max(0, 1 - (x[j] - x[i])), summed and divided by the
    class count.

    ``target`` has the input's shape and lists each sample's target classes
    first, ended by the first -1 (the rest is ignored), as in PyTorch.
    """
    if _amp.active:
        return _amp.run("multilabel_margin_loss", multilabel_margin_loss, input, target,
                        size_average, reduce, reduction)
    op = "multilabel_margin_loss"
    check_tensor(input, op)
    check_tensor(target, op, "target")
    reduction = _reduction(reduction, size_average, reduce, op)
    if input.ndim not in (1, 2) or target.shape != input.shape:
        raise ValueError(f"{op}: expected a 1-D or 2-D input and a target of its shape, got "
                         f"{fmt_shape(input.shape)} and {fmt_shape(target.shape)}")
    single = input.ndim == 1
    x = input.unsqueeze(0) if single else input
    t = _host(target._array if not single else target._array[None])  # small: on the host
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected an integer target, got {target.dtype}")
    n, classes = x.shape
    if ((t < -1) | (t >= classes)).any():
        raise IndexError(f"{op}: target values must be class indices in [0, {classes}) or -1")
    # Slots before each row's first -1 hold its targets.
    valid = np.cumprod(t != -1, axis=1).astype(bool)
    slot = np.where(valid, t, 0)
    is_target = np.zeros((n, classes), bool)
    rows = np.repeat(np.arange(n), classes).reshape(n, classes)
    is_target[rows[valid], t[valid]] = True
    xp = xp_of(x._array)
    x_slot = gather(x, 1, constant(xp.asarray(slot)))  # (N, C): x at each target slot
    z = clamp_min(1 - x_slot.unsqueeze(2) + x.unsqueeze(1), 0)  # (N, slot, class)
    pairs = valid[:, :, None] & ~is_target[:, None, :]
    loss = (z * _const(xp.asarray(pairs), x)).sum((1, 2)) / classes
    return _reduce(loss.squeeze(0) if single else loss, reduction)


def _check_triplet(anchor, positive, negative, op):
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(t, op, name)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{op}: the anchor, positive and negative tensors should have the "
                           f"same number of dimensions, got {anchor.ndim}, {positive.ndim} "
                           f"and {negative.ndim}")


def _triplet(d_ap, d_an, d_pn, margin, reduction):
    if d_pn is not None:  # swap: the harder of the two negatives' distances
        d_an = minimum(d_an, d_pn)
    return _reduce(clamp_min(margin + d_ap - d_an, 0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), with d the
    p-norm distance of ``pairwise_distance`` (``eps`` added to the difference).

    Args:
        swap: use min(d(a, n), d(p, n)) as the negative distance.
    """
    if _amp.active:
        return _amp.run("triplet_margin_loss", triplet_margin_loss, anchor, positive, negative,
                        margin, p, eps, swap, size_average, reduce, reduction)
    from ember.nn.functional import pairwise_distance  # F sits above ops
    op = "triplet_margin_loss"
    _check_triplet(anchor, positive, negative, op)
    reduction = _reduction(reduction, size_average, reduce, op)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    dist = lambda a, b: pairwise_distance(a, b, p, eps)
    return _triplet(dist(anchor, positive), dist(anchor, negative),
                    dist(positive, negative) if swap else None, margin, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """``triplet_margin_loss`` with any distance: ``distance_function(x, y)`` returns
    one distance per sample (default: ``pairwise_distance``)."""
    from ember.nn.functional import pairwise_distance
    op = "triplet_margin_with_distance_loss"
    _check_triplet(anchor, positive, negative, op)
    reduction = _reduction(reduction, None, None, op)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    dist = distance_function if distance_function is not None else pairwise_distance
    return _triplet(dist(anchor, positive), dist(anchor, negative),
                    dist(positive, negative) if swap else None, margin, reduction)
