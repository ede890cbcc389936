"""``spectral_norm`` and ``remove_spectral_norm``, as ``torch.nn.utils``'s (the
hook-based form): a weight divided by an estimate of its largest singular value.

The parameter ``weight`` becomes ``weight_orig``; before every forward the
weight is rebuilt as ``weight_orig / sigma`` with ``sigma = u . (W v)``, where
``u`` and ``v`` (buffers ``weight_u``, ``weight_v``) are refined by
``n_power_iterations`` steps of power iteration in training mode and kept as
they are in eval mode (Miyato et al., 2018).
"""

from ember.autograd.grad_mode import no_grad
from ember.nn.parameter import Parameter
from ember.nn.utils._hooked_weight import check_not_hooked, fold_back
from ember.ops.creation import empty

__all__ = ["spectral_norm", "remove_spectral_norm"]


def _normalize(x, eps):
    return x / max(float((x * x).sum().sqrt()), eps)


class _SpectralNorm:
    """The forward pre-hook that rebuilds the normalised weight."""

    def __init__(self, name, n_power_iterations, dim, eps):
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, \
            dim, eps

    def matrix(self, weight):
        """The weight as (size along ``dim``, everything else)."""
        if self.dim != 0:
            order = [self.dim] + [d for d in range(weight.ndim) if d != self.dim]
            weight = weight.permute(*order)
        return weight.reshape(weight.shape[0], -1)

    def compute(self, module, power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = self.matrix(weight)
        if power_iteration:
            with no_grad():
                m = mat.detach()
                for _ in range(self.n_power_iterations):
                    v.copy_(_normalize(m.mT @ u, self.eps))
                    u.copy_(_normalize(m @ v, self.eps))
        sigma = (u.detach() * (mat @ v.detach())).sum()
        return weight / sigma

    def __call__(self, module, args):
        setattr(module, self.name, self.compute(module, module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Normalise ``module``'s parameter ``name`` by its spectral norm (see the module
    docstring); returns ``module``.

    Args:
        n_power_iterations: power-iteration steps per training forward. Default: 1.
        eps: the smallest norm used when normalising u and v. Default: 1e-12.
        dim: the dimension of output units: 0, or 1 for transposed convolutions
            (the default picks it).
    """
    from ember.nn.modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
    check_not_hooked(module, _SpectralNorm, name, "spectral_norm")
    weight = getattr(module, name, None)
    if not isinstance(weight, Parameter):
        raise AttributeError(f"spectral_norm: module has no parameter named {name!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    hook = _SpectralNorm(name, n_power_iterations, dim, eps)
    mat = hook.matrix(weight.detach())
    h, w = mat.shape
    with no_grad():
        u = _normalize(empty(h, dtype=weight.dtype, device=weight.device).normal_(0, 1), eps)
        v = _normalize(empty(w, dtype=weight.dtype, device=weight.device).normal_(0, 1), eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    setattr(module, name, weight.detach())
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module, name="weight"):
    """Replace the normalised weight by a parameter of its current value; returns ``module``.

    Raises:
        ValueError: ``module`` has no spectral_norm on ``name``.
    """
    return fold_back(module, _SpectralNorm, name, lambda hook: hook.compute(module, False),
                     ("_orig",), ("_u", "_v"), "spectral_norm")
