"""``weight_norm`` and ``spectral_norm`` as parametrizations, as
``torch.nn.utils.parametrizations``' (the current form; ``nn.utils.weight_norm``
and ``nn.utils.spectral_norm`` are the older, hook-based ones).

- ``weight_norm(module)``: ``weight = g * v / ||v||``, the norm taken over every
  dimension but ``dim``; the originals are ``parametrizations.weight.original0``
  (g) and ``original1`` (v). A checkpoint of the hook-based form (``weight_g``,
  ``weight_v``) loads into it.
- ``spectral_norm(module)``: ``weight = W / sigma``, sigma the largest singular
  value of W reshaped to a matrix (rows along ``dim``), estimated by power
  iteration with the buffers ``parametrizations.weight.0._u`` and ``_v``:
  ``n_power_iterations`` steps at every access in training mode, none in
  eval mode (Miyato et al., 2018).

Not here yet: ``orthogonal``.
"""

from ember.autograd.grad_mode import no_grad
from ember.nn import functional as F
from ember.nn.module import Module
from ember.nn.utils import parametrize
from ember.nn.utils.weight_norm import _norm_except_dim
from ember.ops.creation import empty
from ember.tensor import Tensor

__all__ = ["weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    """weight = g * v / ||v|| (norm over every dimension but ``dim``)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Parametrize ``module``'s tensor ``name`` by its norm and direction (see the
    module docstring); returns ``module``.

    Args:
        dim: the dimension whose slices each get their own norm (0: one per
            output unit); None: one norm for the whole tensor.
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def load_hook_based(module, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module.register_load_state_dict_pre_hook(load_hook_based)
    return module


class _SpectralNorm(Module):
    """weight / sigma, sigma estimated by power iteration (buffers ``_u``, ``_v``)."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < max(ndim, 1):
            raise IndexError(f"spectral_norm: dim out of range: expected a dimension of a "
                             f"{ndim}-D weight, got {dim}")
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm: expected n_power_iterations to be positive, got "
                             f"{n_power_iterations}")
        self.dim = dim % ndim if ndim else 0
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = self._matrix(weight)
            rows, cols = mat.shape
            u = empty(rows, dtype=mat.dtype, device=mat.device).normal_(0, 1)
            v = empty(cols, dtype=mat.dtype, device=mat.device).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=eps))
            self._power_method(mat, 15)

    def _matrix(self, weight):
        """The weight as (size along ``dim``, everything else)."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, mat, iterations):
        with no_grad():
            mat = mat.detach()
            for _ in range(iterations):
                self._u.copy_(F.normalize(mat @ self._v, dim=0, eps=self.eps))
                self._v.copy_(F.normalize(mat.mT @ self._u, dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        mat = self._matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = (u * (mat @ v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Parametrize ``module``'s tensor ``name`` as itself over its spectral norm
    (see the module docstring); returns ``module``.

    Args:
        n_power_iterations: power-iteration steps per access in training mode.
        eps: floor of the norms when normalising u and v.
        dim: the weight's output dimension (default 0; 1 for the transposed
            convolutions).

    Raises:
        ValueError: ``module`` has no tensor ``name``, or n_power_iterations < 1.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"spectral_norm: module {type(module).__name__} has no parameter or "
                         f"buffer named {name!r}")
    if dim is None:
        transposed = any(c.__name__ in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
                         for c in type(module).__mro__)
        dim = 1 if transposed else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
