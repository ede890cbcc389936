"""Classification and language-model metrics, stateful and functional.

Every metric takes predictions and targets as Ember Tensors, NumPy arrays or
lists. Predictions are either scores (logits or probabilities) with the class
dimension at dim 1, ``(N, C)`` or ``(N, C, d1, ...)`` as for ``cross_entropy``,
or class labels with the target's shape. Scores become labels by argmax over
dim 1; float predictions with the target's shape are probabilities of class 1
and are thresholded at 0.5.

The stateful classes accumulate counts across batches with ``update`` and
give the epoch value with ``compute``, so a metric over a whole loader is exact
(a mean of per-batch F1 scores would not be). Counting is done in NumPy on the
host; metrics are never differentiable.

Differs from torchmetrics: no ``task=`` argument (binary data is two-class
multiclass), and values come back as Python floats or NumPy arrays, not Tensors.
"""

import math

import numpy as np

from ember.tensor import Tensor

__all__ = ["Metric", "Accuracy", "TopKAccuracy", "ConfusionMatrix", "Precision", "Recall",
           "F1Score", "F1", "Perplexity", "MeanLoss", "accuracy", "top_k_accuracy",
           "confusion_matrix", "precision", "recall", "f1_score", "perplexity"]

_AVERAGES = ("macro", "micro", "weighted", None)


def _as_array(x, op, arg):
    if isinstance(x, Tensor):
        x = x.detach()
        return x.cpu().numpy() if x.device.type != "cpu" else x.numpy()
    try:
        return np.asarray(x)
    except Exception as e:  # an object NumPy cannot take: name the argument
        raise TypeError(f"{op}: expected {arg} to be a Tensor or array, got "
                        f"{type(x).__name__}") from e


def _labels(preds, target, op):
    """Flattened (predicted labels, target labels) as int64 arrays."""
    preds, target = _as_array(preds, op, "preds"), _as_array(target, op, "target")
    if target.dtype.kind not in "iub":
        raise TypeError(f"{op}: expected integer class labels as target, got dtype {target.dtype}")
    if preds.ndim == target.ndim + 1 and preds.shape[:1] + preds.shape[2:] == target.shape:
        preds = preds.argmax(axis=1)
    elif preds.shape == target.shape:
        if preds.dtype.kind == "f":
            preds = preds >= 0.5  # probabilities of the positive class
    else:
        raise ValueError(f"{op}: expected preds of shape {tuple(target.shape)} (labels) or "
                         f"with a class dim at dim 1, (N, C, ...), for target of shape "
                         f"{tuple(target.shape)}; got preds of shape {tuple(preds.shape)}")
    return preds.astype(np.int64).ravel(), target.astype(np.int64).ravel()


def _check_average(average, op):
    if average not in _AVERAGES:
        raise ValueError(f"{op}: expected average in {_AVERAGES}, got {average!r}")


def _check_num_classes(num_classes, op):
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) \
            or num_classes < 1:
        raise ValueError(f"{op}: expected num_classes to be a positive int, got {num_classes!r}")


def accuracy(preds, target):
    """Fraction of predictions equal to the target (a float in [0, 1])."""
    p, t = _labels(preds, target, "accuracy")
    if t.size == 0:
        raise ValueError("accuracy: got empty preds and target")
    return float((p == t).mean())


def _top_k_hits(preds, target, k, op):
    """(number of targets within the top k scores, number of targets)."""
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{op}: expected k to be a positive int, got {k!r}")
    scores, target = _as_array(preds, op, "preds"), _as_array(target, op, "target")
    if scores.ndim != target.ndim + 1 or scores.shape[:1] + scores.shape[2:] != target.shape:
        raise ValueError(f"{op}: expected scores of shape (N, C, ...) for target of shape "
                         f"{tuple(target.shape)}, got {tuple(scores.shape)}")
    num_classes = scores.shape[1]
    if k > num_classes:
        raise ValueError(f"{op}: expected k <= number of classes ({num_classes}), got k={k}")
    scores = np.moveaxis(scores, 1, -1).reshape(-1, num_classes)
    target = target.astype(np.int64).ravel()
    if target.size and (target.min() < 0 or target.max() >= num_classes):
        raise ValueError(f"{op}: target labels must be in [0, {num_classes}), got "
                         f"[{target.min()}, {target.max()}]")
    own = np.take_along_axis(scores, target[:, None], axis=1)
    # The target is in the top k when fewer than k classes score strictly higher
    # (a tie counts in the target's favour, as argsort order would be arbitrary).
    hits = (scores > own).sum(axis=1) < k
    return int(hits.sum()), int(target.size)


def top_k_accuracy(preds, target, k=5):
    """Fraction of targets among the ``k`` highest scores of ``preds`` (N, C, ...)."""
    hits, total = _top_k_hits(preds, target, k, "top_k_accuracy")
    if total == 0:
        raise ValueError("top_k_accuracy: got empty preds and target")
    return hits / total


def confusion_matrix(preds, target, num_classes):
    """Counts ``C[i, j]`` of samples of true class i predicted as class j.

    Returns:
        an int64 NumPy array of shape (num_classes, num_classes), rows indexed
        by the true class as in ``sklearn.metrics.confusion_matrix``.
    """
    op = "confusion_matrix"
    _check_num_classes(num_classes, op)
    p, t = _labels(preds, target, op)
    for name, labels in (("preds", p), ("target", t)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{op}: {name} labels must be in [0, {num_classes}), got "
                             f"[{labels.min()}, {labels.max()}]")
    flat = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


def _safe_divide(num, den):
    # Classes with no predicted (or no true) samples score 0, sklearn's zero_division default.
    return np.divide(num, den, out=np.zeros(np.shape(num), dtype=np.float64), where=den != 0)


def _from_confusion(cm, kind, average):
    """Precision, recall or F1 from a confusion matrix, averaged as asked."""
    tp = np.diag(cm).astype(np.float64)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    if average == "micro":
        tp, predicted, actual = tp.sum(), predicted.sum(), actual.sum()
    p, r = _safe_divide(tp, predicted), _safe_divide(tp, actual)
    if kind == "precision":
        per_class = p
    elif kind == "recall":
        per_class = r
    else:
        per_class = _safe_divide(2 * tp, predicted + actual)  # = 2pr / (p + r)
    if average == "micro":
        return float(per_class)
    if average == "macro":
        return float(per_class.mean())
    if average == "weighted":
        return float(_safe_divide((per_class * actual).sum(), actual.sum()))
    return per_class


def precision(preds, target, num_classes, average="macro"):
    """Precision tp / (tp + fp): per class (average=None) or averaged to a float.

    Args:
        average: "macro" (unweighted mean over classes), "micro" (from total
            counts), "weighted" (mean weighted by each class's true count) or
            None (an array with one value per class). Default: "macro".
    """
    _check_average(average, "precision")
    return _from_confusion(confusion_matrix(preds, target, num_classes), "precision", average)


def recall(preds, target, num_classes, average="macro"):
    """Recall tp / (tp + fn); ``average`` as for ``precision``."""
    _check_average(average, "recall")
    return _from_confusion(confusion_matrix(preds, target, num_classes), "recall", average)


def f1_score(preds, target, num_classes, average="macro"):
    """F1 = 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall.

    ``average`` as for ``precision``; "macro" averages per-class F1 scores.
    """
    _check_average(average, "f1_score")
    return _from_confusion(confusion_matrix(preds, target, num_classes), "f1", average)


def perplexity(mean_cross_entropy):
    """exp(mean cross-entropy in nats), a language model's perplexity."""
    if isinstance(mean_cross_entropy, Tensor):
        mean_cross_entropy = mean_cross_entropy.item()
    return math.exp(float(mean_cross_entropy))


class Metric:
    """Base class: ``update(preds, target)`` per batch, ``compute()`` at the end, ``reset()``.

    ``name`` is the key under which the Trainer logs it (prefixed with
    ``train_`` or ``val_``).
    """

    name = "metric"

    def __init__(self):
        self.reset()

    def reset(self):
        """Forget everything seen since the last reset."""
        raise NotImplementedError(f"{type(self).__name__} does not implement reset()")

    def update(self, preds, target):
        """Add one batch."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update()")

    def compute(self):
        """The metric over every batch since the last reset."""
        raise NotImplementedError(f"{type(self).__name__} does not implement compute()")

    def _check_updated(self, count):
        if count == 0:
            raise RuntimeError(f"{type(self).__name__}.compute: no samples seen; call update() "
                               "first")

    def __repr__(self):
        return f"{type(self).__name__}()"


class Accuracy(Metric):
    """Fraction of correct predictions over every batch seen."""

    name = "accuracy"

    def reset(self):
        self.correct, self.total = 0, 0

    def update(self, preds, target):
        p, t = _labels(preds, target, "Accuracy.update")
        self.correct += int((p == t).sum())
        self.total += int(t.size)

    def compute(self):
        self._check_updated(self.total)
        return self.correct / self.total


class TopKAccuracy(Metric):
    """Fraction of targets among the ``k`` highest scores (k=1 is accuracy)."""

    def __init__(self, k=5):
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"TopKAccuracy: expected k to be a positive int, got {k!r}")
        self.k = k
        self.name = f"top{k}_accuracy"
        super().__init__()

    def reset(self):
        self.hits, self.total = 0, 0

    def update(self, preds, target):
        hits, total = _top_k_hits(preds, target, self.k, "TopKAccuracy.update")
        self.hits += hits
        self.total += total

    def compute(self):
        self._check_updated(self.total)
        return self.hits / self.total

    def __repr__(self):
        return f"TopKAccuracy(k={self.k})"


class ConfusionMatrix(Metric):
    """Accumulated (num_classes, num_classes) counts, rows by true class."""

    name = "confusion_matrix"

    def __init__(self, num_classes):
        _check_num_classes(num_classes, type(self).__name__)
        self.num_classes = num_classes
        super().__init__()

    def reset(self):
        self.matrix = np.zeros((self.num_classes, self.num_classes), dtype=np.int64)

    def update(self, preds, target):
        self.matrix += confusion_matrix(preds, target, self.num_classes)

    def compute(self):
        self._check_updated(self.matrix.sum())
        return self.matrix.copy()

    def __repr__(self):
        return f"{type(self).__name__}(num_classes={self.num_classes})"


class _FromConfusion(ConfusionMatrix):
    _kind = ""

    def __init__(self, num_classes, average="macro"):
        _check_average(average, type(self).__name__)
        self.average = average
        super().__init__(num_classes)

    def compute(self):
        self._check_updated(self.matrix.sum())
        return _from_confusion(self.matrix, self._kind, self.average)

    def __repr__(self):
        return f"{type(self).__name__}(num_classes={self.num_classes}, average={self.average!r})"


class Precision(_FromConfusion):
    """Precision over every batch seen; see ``precision`` for ``average``."""

    name, _kind = "precision", "precision"


class Recall(_FromConfusion):
    """Recall over every batch seen; see ``precision`` for ``average``."""

    name, _kind = "recall", "recall"


class F1Score(_FromConfusion):
    """F1 score over every batch seen; see ``precision`` for ``average``."""

    name, _kind = "f1", "f1"


F1 = F1Score


class Perplexity(Metric):
    """exp of the mean token cross-entropy of logits (N, C, ...) against targets (N, ...).

    Args:
        ignore_index: target value that is skipped (padding), as in
            ``cross_entropy``. Default: -100.
    """

    name = "perplexity"

    def __init__(self, ignore_index=-100):
        self.ignore_index = ignore_index
        super().__init__()

    def reset(self):
        self.total_nll, self.count = 0.0, 0

    def update(self, preds, target):
        op = "Perplexity.update"
        logits, target = _as_array(preds, op, "preds"), _as_array(target, op, "target")
        if logits.ndim != target.ndim + 1 or logits.shape[:1] + logits.shape[2:] != target.shape:
            raise ValueError(f"{op}: expected logits of shape (N, C, ...) for target of shape "
                             f"{tuple(target.shape)}, got {tuple(logits.shape)}")
        logits = np.moveaxis(logits, 1, -1).reshape(-1, logits.shape[1]).astype(np.float64)
        target = target.astype(np.int64).ravel()
        keep = target != self.ignore_index
        logits, target = logits[keep], target[keep]
        top = logits.max(axis=1, keepdims=True)
        log_z = np.log(np.exp(logits - top).sum(axis=1)) + top[:, 0]
        self.total_nll += float((log_z - logits[np.arange(target.size), target]).sum())
        self.count += int(target.size)

    def compute(self):
        self._check_updated(self.count)
        return perplexity(self.total_nll / self.count)


class MeanLoss(Metric):
    """Weighted mean of scalar losses: ``update(loss, weight=1)``, e.g. weight = batch size."""

    name = "loss"

    def reset(self):
        self.total, self.weight = 0.0, 0.0

    def update(self, loss, weight=1):
        if isinstance(loss, Tensor):
            loss = loss.item()
        self.total += float(loss) * weight
        self.weight += weight

    def compute(self):
        self._check_updated(self.weight)
        return self.total / self.weight
