"""The top-level aliases PyTorch keeps for ``torch.nn.functional`` ops, with
their own argument order and defaults: ``torch.dropout(input, p, train)``,
``torch.embedding(weight, indices)``, ``torch.kl_div(input, target)`` (no
reduction by default)... They sit above ``ember.nn``, which ``ember``
imports after the ops."""

from ember.nn import functional as _functional


# PyTorch's top-level losses take the index of the reduction, and (whatever their
# schemas say) default to 0: no reduction, unlike torch.nn.functional's "mean".
_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction, op):
    if isinstance(reduction, bool) or reduction not in (0, 1, 2):
        raise ValueError(f"{op}: expected reduction to be 0 (none), 1 (mean) or 2 (sum), got "
                         f"{reduction!r}")
    return _REDUCTIONS[reduction]


def _stride(stride):
    return None if stride is None or (isinstance(stride, (tuple, list)) and not stride) \
        else stride


def dropout(input, p, train):
    """``torch.dropout(input, p, train)``: ``F.dropout(input, p, training=train)``."""
    return _functional.dropout(input, p, train)


def dropout_(input, p, train):
    """``torch.dropout_(input, p, train)``: dropout in place; returns ``input``."""
    return _functional.dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    """``torch.alpha_dropout(input, p, train)``: ``F.alpha_dropout(input, p, train)``."""
    return _functional.alpha_dropout(input, p, train)


def alpha_dropout_(input, p, train):
    """``torch.alpha_dropout_(input, p, train)``: alpha dropout in place; returns ``input``."""
    return _functional.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p, train):
    """``torch.feature_alpha_dropout(input, p, train)``: alpha dropout of whole channels."""
    return _functional.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p, train):
    """``torch.feature_alpha_dropout_(input, p, train)``: in place; returns ``input``."""
    return _functional.feature_alpha_dropout(input, p, train, inplace=True)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv1d``: ``F.conv1d`` (same arguments)."""
    return _functional.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv2d``: ``F.conv2d`` (same arguments)."""
    return _functional.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv3d``: ``F.conv3d`` (same arguments)."""
    return _functional.conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """``torch.conv_transpose1d``: ``F.conv_transpose1d`` (same arguments)."""
    return _functional.conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """``torch.conv_transpose2d``: ``F.conv_transpose2d`` (same arguments)."""
    return _functional.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """``torch.conv_transpose3d``: ``F.conv_transpose3d`` (same arguments)."""
    return _functional.conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """``torch.layer_norm``: ``F.layer_norm``; ``cudnn_enable`` is accepted and unused."""
    return _functional.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """``torch.group_norm``: ``F.group_norm``; ``cudnn_enabled`` is accepted and unused."""
    return _functional.group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``torch.rms_norm``: ``F.rms_norm`` (same arguments)."""
    return _functional.rms_norm(input, normalized_shape, weight, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    """``torch.batch_norm``: every argument required, ``weight`` and ``bias`` before the
    running statistics (``F.batch_norm`` takes them after); ``cudnn_enabled`` is unused."""
    return _functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                           eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    """``torch.instance_norm``: every argument required, ``weight`` and ``bias`` first
    (``F.instance_norm`` takes them after the running statistics); ``cudnn_enabled`` is unused."""
    return _functional.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                              momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``torch.embedding(weight, indices, ...)``: the rows of ``weight`` at ``indices``.

    Note the order (``F.embedding`` takes ``input`` first) and ``padding_idx``:
    a negative value means none here, as in PyTorch's top-level function.
    """
    return _functional.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool1d``: ``F.max_pool1d``; an empty ``stride`` means ``kernel_size``."""
    return _functional.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """``torch.max_pool1d_with_indices``: ``(values, indices)`` of ``F.max_pool1d``."""
    return _functional.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                           return_indices=True)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool2d``: ``F.max_pool2d``; an empty ``stride`` means ``kernel_size``."""
    return _functional.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool3d``: ``F.max_pool3d``; an empty ``stride`` means ``kernel_size``."""
    return _functional.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False,
               count_include_pad=True):
    """``torch.avg_pool1d``: ``F.avg_pool1d``; an empty ``stride`` means ``kernel_size``."""
    return _functional.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode,
                           count_include_pad)


def adaptive_avg_pool1d(input, output_size):
    """``torch.adaptive_avg_pool1d``: ``F.adaptive_avg_pool1d``."""
    return _functional.adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """``torch.adaptive_max_pool1d``: always ``(values, indices)``, unlike ``F``'s default."""
    return _functional.adaptive_max_pool1d(input, output_size, return_indices=True)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``torch.cosine_similarity``: ``F.cosine_similarity`` (same arguments)."""
    return _functional.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``torch.pairwise_distance``: ``F.pairwise_distance`` (same arguments)."""
    return _functional.pairwise_distance(x1, x2, p, eps, keepdim)


def pdist(input, p=2.0):
    """``torch.pdist``: ``F.pdist`` (same arguments)."""
    return _functional.pdist(input, p)


def pixel_shuffle(input, upscale_factor):
    """``torch.pixel_shuffle``: ``F.pixel_shuffle``."""
    return _functional.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    """``torch.pixel_unshuffle``: ``F.pixel_unshuffle``."""
    return _functional.pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    """``torch.channel_shuffle``: ``F.channel_shuffle``."""
    return _functional.channel_shuffle(input, groups)


def bilinear(input1, input2, weight, bias=None):
    """``torch.bilinear``: ``F.bilinear``."""
    return _functional.bilinear(input1, input2, weight, bias)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    """``torch.binary_cross_entropy_with_logits``: ``reduction`` is an int here, 0 (none,
    the default), 1 (mean) or 2 (sum), and ``pos_weight`` comes before it, as in PyTorch's
    top-level function."""
    return _functional.binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction(reduction, "binary_cross_entropy_with_logits"),
        pos_weight=pos_weight)


def kl_div(input, target, reduction=0, *, log_target=False):
    """``torch.kl_div``: ``F.kl_div`` with an int ``reduction`` (0 none, the default; 1 mean; 2 sum)."""
    return _functional.kl_div(input, target, reduction=_reduction(reduction, "kl_div"),
                       log_target=log_target)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    """``torch.cosine_embedding_loss``: ``reduction`` an int (0 none, the default; 1 mean; 2 sum)."""
    return _functional.cosine_embedding_loss(input1, input2, target, margin,
                                      reduction=_reduction(reduction, "cosine_embedding_loss"))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    """``torch.hinge_embedding_loss``: ``reduction`` an int (0 none, the default; 1 mean; 2 sum)."""
    return _functional.hinge_embedding_loss(input, target, margin,
                                     reduction=_reduction(reduction, "hinge_embedding_loss"))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    """``torch.margin_ranking_loss``: ``reduction`` an int (0 none, the default; 1 mean; 2 sum)."""
    return _functional.margin_ranking_loss(input1, input2, target, margin,
                                    reduction=_reduction(reduction, "margin_ranking_loss"))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        reduction=0):
    """``torch.triplet_margin_loss``: ``reduction`` an int (0 none, the default; 1 mean; 2 sum)."""
    return _functional.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_reduction(reduction, "triplet_margin_loss"))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """``torch.poisson_nll_loss``: every argument required, ``reduction`` an int
    (0 none, the default; 1 mean; 2 sum)."""
    return _functional.poisson_nll_loss(input, target, log_input, full, eps=eps,
                                 reduction=_reduction(reduction, "poisson_nll_loss"))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    """``torch.ctc_loss``: ``F.ctc_loss`` with an int ``reduction`` (0 none, the default; 1 mean; 2 sum)."""
    return _functional.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                         _reduction(reduction, "ctc_loss"), zero_infinity)


__all__ = [
    "dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_alpha_dropout",
    "feature_alpha_dropout_", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
    "conv_transpose2d", "conv_transpose3d", "layer_norm", "group_norm", "rms_norm",
    "batch_norm", "instance_norm", "embedding", "max_pool1d", "max_pool1d_with_indices",
    "max_pool2d", "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
    "cosine_similarity", "pairwise_distance", "pdist", "pixel_shuffle", "pixel_unshuffle",
    "channel_shuffle", "bilinear", "binary_cross_entropy_with_logits", "kl_div",
    "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss",
    "triplet_margin_loss", "poisson_nll_loss", "ctc_loss", "constant_pad_nd", "convolution"]


def constant_pad_nd(input, pad, value=0):
    """``torch.constant_pad_nd``: ``F.pad(input, pad, value=value)`` (negative
    amounts crop)."""
    return _functional.pad(input, pad, "constant", value)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """``torch.convolution``: a 1-D, 2-D or 3-D convolution, or with ``transposed``
    its transpose, every argument given (as the ``conv*`` functions take them)."""
    spatial = input.ndim - 2
    if spatial not in (1, 2, 3):
        raise RuntimeError(f"convolution: expected a 3-D, 4-D or 5-D input (batch, channels, "
                           f"1-3 spatial dimensions), got {input.ndim}-D")
    if transposed:
        fn = (_functional.conv_transpose1d, _functional.conv_transpose2d,
              _functional.conv_transpose3d)[spatial - 1]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    fn = (_functional.conv1d, _functional.conv2d, _functional.conv3d)[spatial - 1]
    return fn(input, weight, bias, stride, padding, dilation, groups)
