"""Connectionist temporal classification loss (``ctc_loss``), as PyTorch's.

The loss of one sample is -log of the total probability of every alignment
of its target with its input frames: paths over the target with a blank
between labels and at both ends (length 2S + 1), each step staying, moving
one label on, or skipping a blank between two different labels. The forward
variables alpha are computed in log space, one step per frame, for the whole
batch at once with Ember ops, so the gradient comes from autograd. A path
that cannot be taken is given a very negative finite log-probability rather
than -inf, which keeps every logsumexp's gradient finite.
"""

import numpy as np

from ember.ops import _autocast as _amp
from ember.backend.device import xp_of
from ember.ops._util import check_tensor, fmt_shape
from ember.ops.comparison import where
from ember.ops.loss import _reduction
from ember.ops.reduce import constant, logsumexp
from ember.ops.scatter import gather
from ember.ops.shape import cat, stack
from ember.tensor import Tensor, _host

__all__ = ["ctc_loss"]

_IMPOSSIBLE = -1e30  # log-probability of a path that cannot be taken
_INFINITE = 1e29  # a loss above this had no possible alignment


def _on_host(value):
    """A tensor's (or a list's) values as a NumPy array on the host."""
    return _host(value._array) if isinstance(value, Tensor) else np.asarray(value)


def _lengths(value, n, name):
    """Per-sample lengths from a tensor, list or tuple, as an int64 array of ``n``."""
    arr = _on_host(value).reshape(-1)
    if arr.dtype.kind not in "iu" or arr.shape[0] != n:
        raise ValueError(f"ctc_loss: expected {name} to hold {n} integer lengths, got "
                         f"{arr.dtype} of shape {fmt_shape(arr.shape)}")
    return arr.astype(np.int64)


def _padded_targets(targets, target_lengths, n):
    """Targets as an (N, S_max) int64 array, from (N, S) or the 1-D concatenation."""
    t = _on_host(targets)
    if t.ndim == 2:
        if t.shape[0] != n:
            raise ValueError(f"ctc_loss: expected targets of {n} rows, got shape "
                             f"{fmt_shape(t.shape)}")
        if target_lengths.size and target_lengths.max() > t.shape[1]:
            raise ValueError("ctc_loss: a target length exceeds the targets' width "
                             f"{t.shape[1]}")
        return t.astype(np.int64)
    if t.ndim != 1 or t.shape[0] != target_lengths.sum():
        raise ValueError(f"ctc_loss: expected (N, S) targets or their 1-D concatenation of "
                         f"sum(target_lengths) = {int(target_lengths.sum())} labels, got "
                         f"shape {fmt_shape(t.shape)}")
    out = np.zeros((n, int(target_lengths.max(initial=0))), np.int64)
    starts = np.concatenate(([0], np.cumsum(target_lengths)[:-1]))
    for i, (s, k) in enumerate(zip(starts, target_lengths)):
        out[i, :k] = t[s:s + k]
    return out


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """CTC loss of ``log_probs`` (T, N, C) (or (T, C) unbatched), log-softmax outputs.

    Args:
        targets: (N, S) label indices padded to S, or their 1-D concatenation;
            ``blank`` must not occur in them.
        input_lengths, target_lengths: (N,) lengths (tensors, lists or tuples).
        blank: the blank label. Default: 0.
        reduction: 'mean' (each loss divided by its target length, then the
            batch mean) | 'sum' | 'none' (N,).
        zero_infinity: a sample with no possible alignment (input too short)
            gets loss 0 and no gradient; otherwise its loss is inf.

    Differs from PyTorch: the gradient in ``log_probs`` is the loss's own,
    -(each frame's posterior occupation of each class); PyTorch's adds
    exp(log_probs), the gradient in the logits when ``log_probs`` is their
    log_softmax. Through ``log_softmax`` the two agree. An infinite loss sends
    no gradient back (PyTorch's is nan there).
    """
    if _amp.active:
        return _amp.run("ctc_loss", ctc_loss, log_probs, targets, input_lengths, target_lengths,
                        blank, reduction, zero_infinity)
    op = "ctc_loss"
    check_tensor(log_probs, op, "log_probs")
    check_tensor(targets, op, "targets")
    reduction = _reduction(reduction, None, None, op)
    if log_probs.ndim not in (2, 3):
        raise ValueError(f"{op}: expected log_probs of shape (T, N, C) or (T, C), got "
                         f"{fmt_shape(log_probs.shape)}")
    single = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if single else log_probs
    if single and targets.ndim == 1:
        targets = targets.unsqueeze(0)
    steps, n, classes = lp.shape
    if not 0 <= blank < classes:
        raise ValueError(f"{op}: blank must be a class index in [0, {classes}), got {blank}")
    in_len = _lengths(input_lengths, n, "input_lengths")
    tl = _lengths(target_lengths, n, "target_lengths")
    if (in_len < 0).any() or (in_len > steps).any() or (tl < 0).any():
        raise ValueError(f"{op}: input lengths must be in [0, {steps}] and target lengths >= 0")
    labels = _padded_targets(targets, tl, n)
    used = np.arange(labels.shape[1])[None, :] < tl[:, None]  # padding past each length
    bad = used & ((labels < 0) | (labels >= classes))
    if bad.any():
        raise ValueError(f"{op}: target label {int(labels[bad][0])} is not a class index in "
                         f"[0, {classes})")
    labels = np.where(used, labels, blank)  # padding is never read; keep it a valid index
    # The extended label sequences: blank, l1, blank, l2, ..., blank.
    width = 2 * labels.shape[1] + 1
    ext = np.full((n, width), blank, np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros((n, width), bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    xp = xp_of(lp._array)
    dtype = lp._array.dtype
    impossible = constant(xp.full((n, width), _IMPOSSIBLE, dtype))
    ext_index = constant(xp.asarray(ext))
    skip_mask = constant(xp.asarray(skip))
    start = np.zeros((n, width), bool)
    start[:, :2] = True
    alpha = where(constant(xp.asarray(start)), gather(lp[0], 1, ext_index), impossible)
    pad1, pad2 = impossible[:, :1], impossible[:, :2]
    for t in range(1, int(in_len.max(initial=0))):
        one_on = cat([pad1, alpha[:, :-1]], 1)
        two_on = where(skip_mask, cat([pad2, alpha[:, :-2]], 1), impossible)
        moved = logsumexp(stack([alpha, one_on, two_on], 0), 0) + gather(lp[t], 1, ext_index)
        alpha = where(constant(xp.asarray((t < in_len)[:, None])), moved, alpha)
    # End in the last label or the blank after it.
    ends = np.stack([2 * tl, np.maximum(2 * tl - 1, 0)], 1)
    final = where(constant(xp.asarray(np.stack([np.ones(n, bool), tl > 0], 1))),
                  gather(alpha, 1, constant(xp.asarray(ends))), impossible[:, :2])
    loss = -logsumexp(final, 1)
    # No input frames: loss 0 for an empty target, else no alignment. No
    # alignment: inf, or 0 with zero_infinity.
    empty = xp.asarray((in_len == 0) & (tl == 0))
    hopeless = xp.asarray((in_len == 0) & (tl > 0)) | (loss._array > _INFINITE)
    fill = xp.where(empty, 0.0, 0.0 if zero_infinity else np.inf).astype(dtype)
    loss = where(constant(hopeless | empty), constant(fill), loss)
    if reduction == "none":
        return loss.squeeze(0) if single else loss
    if reduction == "sum":
        return loss.sum()
    return (loss / constant(xp.asarray(np.maximum(tl, 1), dtype=dtype))).mean()
