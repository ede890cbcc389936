"""``weight_norm`` and ``remove_weight_norm``, as ``torch.nn.utils``'s (the older,
hook-based form): a weight reparametrised as its direction times its norm.

``weight_norm(module)`` replaces the parameter ``weight`` by ``weight_g``
(the norm of each slice along ``dim``) and ``weight_v`` (the direction), and
recomputes ``weight = v * g / ||v||`` before every forward (Salimans &
Kingma, 2016). ``remove_weight_norm`` folds them back into one parameter.
"""

import warnings

from ember.nn.parameter import Parameter
from ember.nn.utils._hooked_weight import check_not_hooked, fold_back

__all__ = ["weight_norm", "remove_weight_norm"]


def _norm_except_dim(v, dim):
    """The 2-norm of ``v`` over every dimension but ``dim`` (all of them for -1 or None),
    shaped to broadcast against ``v``."""
    if dim is None or dim == -1:
        return (v * v).sum().sqrt()
    axes = tuple(a for a in range(v.ndim) if a != dim % v.ndim)
    return (v * v).sum(axes, keepdim=True).sqrt()


class _WeightNorm:
    """The forward pre-hook that rebuilds the weight from its norm and direction."""

    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute(self, module):
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module, args):
        setattr(module, self.name, self.compute(module))


def weight_norm(module, name="weight", dim=0):
    """Reparametrise ``module``'s parameter ``name`` as ``name_g`` and ``name_v``.

    Args:
        dim: the dimension whose slices each get their own norm (0: one per
            output unit); None or -1: one norm for the whole tensor.
    Returns:
        ``module``.
    """
    check_not_hooked(module, _WeightNorm, name, "weight_norm")
    weight = getattr(module, name, None)
    if not isinstance(weight, Parameter):
        raise AttributeError(f"weight_norm: module has no parameter named {name!r}")
    warnings.warn("torch.nn.utils.weight_norm is deprecated in favor of "
                  "torch.nn.utils.parametrizations.weight_norm.", FutureWarning, stacklevel=2)
    hook = _WeightNorm(name, dim)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, hook.compute(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold ``name_g`` and ``name_v`` back into the parameter ``name``; returns ``module``.

    Raises:
        ValueError: ``module`` has no weight_norm on ``name``.
    """
    return fold_back(module, _WeightNorm, name, lambda hook: hook.compute(module),
                     ("_g", "_v"), (), "weight_norm")
