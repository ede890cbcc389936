"""Normalisation layers: BatchNorm1d/2d/3d, LayerNorm, RMSNorm and GroupNorm.

Each is a thin Module over the functional op in ``ember.ops.norm``; the
parameter and buffer names, initial values and ``extra_repr`` are
PyTorch's, so state_dicts load either way.
"""

import numbers

import ember
from ember.autograd.grad_mode import no_grad
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops.norm import batch_norm, group_norm, layer_norm, rms_norm
from ember.ops.cross_map_lrn import cross_map_lrn2d
from ember.ops.unpool import local_response_norm

__all__ = ["CrossMapLRN2d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "RMSNorm", "GroupNorm",
           "LocalResponseNorm"]


def _register_affine(module, shape, affine, bias, kw):
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None where not learned."""
    module.register_parameter("weight", Parameter(ember.ones(shape, **kw)) if affine else None)
    module.register_parameter("bias",
                              Parameter(ember.zeros(shape, **kw)) if affine and bias else None)


def _reset_affine(module):
    """weight = 1 and bias = 0, for those the module learns."""
    with no_grad():
        if module.weight is not None:
            module.weight.fill_(1)
        if getattr(module, "bias", None) is not None:
            module.bias.zero_()


class _NormBase(Module):
    """Parameters, running statistics and their resets, shared by the batch and
    instance norms (PyTorch's names and initial values)."""

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, device, dtype,
                 bias):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        kw = {"device": device, "dtype": dtype}
        _register_affine(self, num_features, affine, bias, kw)
        if track_running_stats:
            self.register_buffer("running_mean", ember.zeros(num_features, **kw))
            self.register_buffer("running_var", ember.ones(num_features, **kw))
            self.register_buffer("num_batches_tracked",
                                 ember.tensor(0, dtype=ember.int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Reset the running statistics, and weight = 1, bias = 0."""
        self.reset_running_stats()
        _reset_affine(self)


class _BatchNorm(_NormBase):
    """Shared by BatchNorm1d/2d/3d; subclasses set ``_input_dims``."""

    _input_dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias)

    def _check_input_dim(self, input):
        if input.ndim not in self._input_dims:
            expected = " or ".join(f"{d}D" for d in self._input_dims)
            raise ValueError(f"{type(self).__name__}: expected {expected} input (got "
                             f"{input.ndim}D input of shape {list(input.shape)})")

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / int(self.num_batches_tracked.item())
        # Without running statistics, batch statistics are used in eval mode too.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if keep else None,
                          self.running_var if keep else None, self.weight, self.bias,
                          use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input (Ioffe & Szegedy, 2015).

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias per channel, with batch
    statistics in training (updating ``running_mean`` / ``running_var`` with
    ``momentum``, or a cumulative average when ``momentum=None``) and the
    running statistics in eval mode.

    Args:
        num_features: C.
        eps: added to the variance. Default: 1e-5.
        momentum: weight of the new batch in the running statistics. Default: 0.1.
        affine: learn ``weight`` (init 1) and ``bias`` (init 0). Default: True.
        track_running_stats: keep running statistics (else batch statistics
            are used in eval mode too). Default: True.
        bias (keyword-only): with ``affine``, learn ``bias`` too. Default: True.
    """

    _input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input; Args as BatchNorm1d."""

    _input_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input; Args as BatchNorm1d."""

    _input_dims = (5,)


def _as_shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` dims (Ba et al., 2016).

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias.

    Args:
        normalized_shape: an int or a sequence: the trailing shape normalised over.
        eps: added to the variance. Default: 1e-5.
        elementwise_affine: learn ``weight`` (init 1) and ``bias`` (init 0). Default: True.
        bias: learn ``bias`` too (with ``elementwise_affine``). Default: True.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias,
                         {"device": device, "dtype": dtype})

    def reset_parameters(self):
        """weight = 1, bias = 0."""
        _reset_affine(self)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """Root-mean-square normalisation (Zhang & Sennrich, 2019).

    y = x / sqrt(mean(x^2) + eps) * weight over the trailing ``normalized_shape`` dims.

    Args:
        normalized_shape: an int or a sequence.
        eps: None uses the machine epsilon of the input's dtype, as PyTorch.
        elementwise_affine: learn ``weight`` (init 1). Default: True.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ember.ones(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        """weight = 1."""
        _reset_affine(self)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Group normalisation of (N, C, *) input (Wu & He, 2018).

    The C channels are split into ``num_groups`` groups, each normalised per
    sample over its channels and positions; ``weight`` and ``bias`` are per channel.

    Args:
        num_groups: must divide ``num_channels``.
        num_channels: C.
        eps: added to the variance. Default: 1e-5.
        affine: learn ``weight`` (init 1) and ``bias`` (init 0). Default: True.
        bias (keyword-only): with ``affine``, learn ``bias`` too. Default: True.

    Raises:
        ValueError: if ``num_groups`` does not divide ``num_channels``.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels must be divisible by num_groups, got "
                             f"num_channels={num_channels} and num_groups={num_groups}")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _register_affine(self, num_channels, affine, bias, {"device": device, "dtype": dtype})

    def reset_parameters(self):
        """weight = 1, bias = 0."""
        _reset_affine(self)

    def forward(self, input):
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """Normalise each element by its neighbouring channels' mean square (AlexNet):
    x / (k + alpha * mean of x^2 over ``size`` channels) ** beta.

    Args:
        size: channels in the window. alpha: Default: 1e-4. beta: Default: 0.75.
        k: Default: 1.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(Module):
    """PyTorch's legacy cross-channel local response norm on (N, C, H, W) input,
    with its running-sum window and hand-written backward (see
    ``ops.cross_map_lrn``); ``LocalResponseNorm`` is the exact form.

    Args:
        size: channels in the window. alpha: Default: 1e-4. beta: Default: 0.75.
        k: Default: 1.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return cross_map_lrn2d(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
