"""Lazy layers, as ``torch.nn``'s: the input size is read from the first input.

``LazyLinear(out_features)`` is a ``Linear`` whose ``in_features`` (and so its
weight's shape) is unknown until its first forward; likewise the lazy
convolutions (``in_channels``) and norms (``num_features``). Until then their
parameters are ``UninitializedParameter`` placeholders; the first forward
gives them their shapes in place (an optimizer built earlier keeps them),
initialises them as the eager layer would, and turns the module into that
layer (``type(m)`` becomes ``Linear``, ``Conv2d``...).
"""

from ember.nn.modules.conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,
                                   ConvTranspose3d)
from ember.nn.modules.instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from ember.nn.modules.linear import Linear
from ember.nn.modules.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
import ember
from ember.nn.parameter import UninitializedParameter

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """Materialise a module's uninitialised parameters from its first input.

    Subclasses set ``cls_to_become`` and define ``initialize_parameters(input)``.
    """

    cls_to_become = None

    def _start_lazy(self):
        self._lazy_hook = self.register_forward_pre_hook(LazyModuleMixin._infer,
                                                         with_kwargs=True)
        self.register_load_state_dict_pre_hook(LazyModuleMixin._shape_from_checkpoint)

    @staticmethod
    def _shape_from_checkpoint(module, state_dict, prefix, *_):
        """Loading a checkpoint before the first forward gives each placeholder the
        checkpoint's shape (and a lazy norm its size), as PyTorch's lazy modules do."""
        for name, param in list(module._parameters.items()):
            key = prefix + name
            if isinstance(param, UninitializedParameter) and key in state_dict:
                param.materialize(tuple(state_dict[key].shape))
        if getattr(module, "num_features", None) == 0 and prefix + "running_mean" in state_dict:
            size = tuple(state_dict[prefix + "running_mean"].shape)
            module.num_features = size[0]
            like = dict(device=module.running_mean.device, dtype=module.running_mean.dtype)
            module.running_mean = ember.zeros(size, **like)
            module.running_var = ember.ones(size, **like)
        elif getattr(module, "num_features", None) == 0 and module.weight is not None and \
                not isinstance(module.weight, UninitializedParameter):
            module.num_features = module.weight.shape[0]
        weight = module._parameters.get("weight")
        if weight is None or isinstance(weight, UninitializedParameter):
            return
        if getattr(module, "in_features", None) == 0:
            module.in_features = weight.shape[1]
        if getattr(module, "in_channels", None) == 0:
            module.in_channels = weight.shape[0] if module._transposed else \
                weight.shape[1] * module.groups

    def has_uninitialized_params(self):
        """Whether any parameter still waits for its shape."""
        return any(isinstance(p, UninitializedParameter) for p in self.parameters(recurse=False))

    @staticmethod
    def _infer(module, args, kwargs):
        if module.has_uninitialized_params():
            module.initialize_parameters(*args, *kwargs.values())
        module._lazy_hook.remove()
        del module._lazy_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


def _placeholder(tensor):
    return None if tensor is None else UninitializedParameter(
        tensor.requires_grad, tensor.device, tensor.dtype)


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` with ``in_features`` read from the first input's last dimension.

    Args:
        out_features, bias, device, dtype: as ``Linear``.
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(1, out_features, bias, device, dtype)
        self.in_features = 0
        self.weight = _placeholder(self.weight)
        if bias:
            self.bias = _placeholder(self.bias)
        self._start_lazy()

    def initialize_parameters(self, input, *_):
        """Shape and initialise the parameters for ``input``'s last dimension."""
        self.in_features = input.shape[-1]
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()


class _LazyConv(LazyModuleMixin):
    """Shared by the lazy convolutions: ``in_channels`` from the input's channel axis."""

    def _make_lazy(self):
        self.in_channels = 0
        self.weight = _placeholder(self.weight)
        if self.bias is not None:
            self.bias = _placeholder(self.bias)
        self._start_lazy()

    def initialize_parameters(self, input, *_):
        """Shape and initialise the weight for ``input``'s channels."""
        batched = input.ndim == self._dims + 2
        self.in_channels = input.shape[1 if batched else 0]
        if self.in_channels % self.groups:
            raise ValueError(f"{type(self).__name__}: in_channels ({self.in_channels}) must be "
                             f"divisible by groups ({self.groups})")
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups)
        else:
            shape = (self.out_channels, self.in_channels // self.groups)
        self.weight.materialize(shape + tuple(self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


def _lazy_conv(name, eager):
    def __init__(self, out_channels, kernel_size, *args, **kwargs):
        # groups is the fourth argument after kernel_size in both signatures; a
        # placeholder of ``groups`` input channels keeps the eager constructor valid.
        groups = kwargs.get("groups", args[3] if len(args) > 3 else 1)
        eager.__init__(self, groups, out_channels, kernel_size, *args, **kwargs)
        self._make_lazy()

    doc = (f"``{eager.__name__}`` with ``in_channels`` read from the first input.\n\n"
           f"    Args: as ``{eager.__name__}``, without ``in_channels``.\n    ")
    return type(name, (_LazyConv, eager), {"__init__": __init__, "cls_to_become": eager,
                                            "__doc__": doc, "__module__": __name__})


LazyConv1d = _lazy_conv("LazyConv1d", Conv1d)
LazyConv2d = _lazy_conv("LazyConv2d", Conv2d)
LazyConv3d = _lazy_conv("LazyConv3d", Conv3d)
LazyConvTranspose1d = _lazy_conv("LazyConvTranspose1d", ConvTranspose1d)
LazyConvTranspose2d = _lazy_conv("LazyConvTranspose2d", ConvTranspose2d)
LazyConvTranspose3d = _lazy_conv("LazyConvTranspose3d", ConvTranspose3d)


class _LazyNorm(LazyModuleMixin):
    """Shared by the lazy norms: ``num_features`` from the input's channel axis."""

    _unbatched_dims = 0

    def _make_lazy(self):
        self.num_features = 0
        for name in ("weight", "bias"):
            if getattr(self, name, None) is not None:
                setattr(self, name, _placeholder(getattr(self, name)))
        self._start_lazy()

    def has_uninitialized_params(self):
        """Whether the size is still unknown (parameters, or only running statistics)."""
        return self.num_features == 0 or super().has_uninitialized_params()

    def initialize_parameters(self, input, *_):
        """Shape and initialise the affine parameters and statistics for ``input``."""
        self.num_features = input.shape[0 if input.ndim == self._unbatched_dims else 1]
        for t in (self.weight, self.bias):
            if isinstance(t, UninitializedParameter):
                t.materialize((self.num_features,))
        if self.running_mean is not None:
            like = dict(device=self.running_mean.device, dtype=self.running_mean.dtype)
            self.running_mean = ember.zeros(self.num_features, **like)
            self.running_var = ember.ones(self.num_features, **like)
        self.reset_parameters()


def _lazy_norm(name, eager, unbatched_dims):
    # PyTorch's lazy norms all default to affine=True, track_running_stats=True
    # (for the instance norms too, unlike their eager forms).
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        eager.__init__(self, 0, eps, momentum, affine, track_running_stats, device, dtype,
                       bias=bias)
        self._make_lazy()

    doc = (f"``{eager.__name__}`` with ``num_features`` read from the first input.\n\n"
           f"    Args: as ``{eager.__name__}``, without ``num_features``; ``affine`` and\n"
           f"    ``track_running_stats`` default to True.\n    ")
    return type(name, (_LazyNorm, eager), {"__init__": __init__, "cls_to_become": eager,
                                           "_unbatched_dims": unbatched_dims, "__doc__": doc,
                                           "__module__": __name__})


LazyBatchNorm1d = _lazy_norm("LazyBatchNorm1d", BatchNorm1d, -1)
LazyBatchNorm2d = _lazy_norm("LazyBatchNorm2d", BatchNorm2d, -1)
LazyBatchNorm3d = _lazy_norm("LazyBatchNorm3d", BatchNorm3d, -1)
LazyInstanceNorm1d = _lazy_norm("LazyInstanceNorm1d", InstanceNorm1d, 2)
LazyInstanceNorm2d = _lazy_norm("LazyInstanceNorm2d", InstanceNorm2d, 3)
LazyInstanceNorm3d = _lazy_norm("LazyInstanceNorm3d", InstanceNorm3d, 4)
