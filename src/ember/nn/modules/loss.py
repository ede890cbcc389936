"""Loss functions as modules, as ``torch.nn``'s: each calls ``ember.nn.functional``.

Every loss takes ``reduction`` ("none" | "mean" | "sum"); the deprecated
``size_average``/``reduce`` pair is still accepted and converted as PyTorch
does. Class weights (and ``pos_weight``) are registered as buffers, so they
follow ``to()`` and appear in ``state_dict()`` exactly as in PyTorch.
"""

import warnings

from ember.nn import functional as F
from ember.nn.module import Module

__all__ = ["L1Loss", "MSELoss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss",
           "KLDivLoss", "SmoothL1Loss", "HuberLoss", "PoissonNLLLoss", "GaussianNLLLoss",
           "NLLLoss2d", "CTCLoss"]

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce):
    """PyTorch's mapping of the deprecated (size_average, reduce) pair to ``reduction``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", stacklevel=3)
    return reduction


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}, "
                             f"got {reduction!r}")
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """Mean (or sum) absolute error |input - target|.

    Shape: input (*), target the same shape; output a scalar, or (*) with reduction="none".
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean (or sum) squared error (input - target)^2. Shapes as ``L1Loss``."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices, given log-probabilities.

    Args:
        weight: (C,) rescaling weight per class (a buffer). Default: None.
        ignore_index: target value that contributes nothing. Default: -100.
        reduction: "none" | "mean" (weighted mean) | "sum".

    Shape:
        input (N, C) or (N, C, d1, ...) or (C,); target (N) or (N, d1, ...) or ().
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits against class indices or class probabilities.

    Args:
        weight: (C,) rescaling weight per class (a buffer). Default: None.
        ignore_index: target index that contributes nothing. Default: -100.
        reduction: "none" | "mean" | "sum". Default: "mean".
        label_smoothing: in [0, 1]; mixes the target with the uniform distribution.

    Shape:
        input (N, C) or (N, C, d1, ...) or (C,); target indices (N, d1, ...) or
        probabilities of the input's shape.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities in [0, 1] (log terms clamped at -100).

    Args:
        weight: rescaling weight, broadcast to the input (a buffer). Default: None.
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy in one numerically stable step.

    Args:
        weight: rescaling weight, broadcast to the input (a buffer). Default: None.
        pos_weight: weight of positive examples, broadcast along the last
            dimension (a buffer). Default: None.
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence; ``input`` holds log-probabilities.

    Args:
        reduction: "none" | "batchmean" (the mathematically correct mean) |
            "sum" | "mean" (mean over elements, as PyTorch's default).
        log_target: whether ``target`` is given as log-probabilities. Default: False.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        # "batchmean" is KLDivLoss's own: check it here, the rest in _Loss.
        super().__init__(reduction="mean" if reduction == "batchmean" else reduction)
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class SmoothL1Loss(_Loss):
    """0.5 (x - y)^2 / beta where |x - y| < beta, else |x - y| - 0.5 beta.

    Args:
        beta: where the loss switches from quadratic to linear. Default: 1.0.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 (x - y)^2 where |x - y| < delta, else delta (|x - y| - 0.5 delta).

    Args:
        delta: where the loss switches from quadratic to linear. Default: 1.0.
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class PoissonNLLLoss(_Loss):
    """Negative log-likelihood of counts under a Poisson rate (see ``F.poisson_nll_loss``).

    Args:
        log_input: the input is log(rate) (True) or the rate itself. Default: True.
        full: add Stirling's approximation of log(target!). Default: False.
        eps: added inside log(input) when ``log_input`` is False. Default: 1e-8.
    """

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Negative log-likelihood of the target under Normal(input, var) (see
    ``F.gaussian_nll_loss``); called as ``loss(input, target, var)``.

    Args:
        full: add the constant log(2 pi) / 2. Default: False.
        eps: the smallest variance used (the value only). Default: 1e-6.
    """

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """``NLLLoss`` under its old name (PyTorch keeps it, deprecated)."""


class CTCLoss(_Loss):
    """Connectionist temporal classification loss (see ``F.ctc_loss``); called as
    ``loss(log_probs, targets, input_lengths, target_lengths)``.

    Args:
        blank: the blank label. Default: 0.
        reduction: "mean" (each loss over its target length, then the batch
            mean) | "sum" | "none".
        zero_infinity: give samples with no possible alignment loss 0. Default: False.
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                          reduction=self.reduction, zero_infinity=self.zero_infinity)
