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

- ``orthogonal(module)``: an orthogonal weight (orthonormal columns or rows),
  the image of the unconstrained ``original`` under ``matrix_exp`` or
  ``cayley`` of a skew-symmetric matrix built from its lower triangle, or
  under a product of Householder reflections (``householder``, the default
  for non-square weights). With ``use_trivialization`` (the default) a buffer
  ``base`` holds the weight's orthogonal value at registration (or last
  assignment) and the map is applied relative to it, so the original starts
  at minus the identity and assigning an orthogonal matrix stores it in
  ``base``. Non-square bases are completed with random columns (from Ember's
  generator, so they differ from PyTorch's draws; copy a state dict to match).
"""

import numpy as np

from ember.autograd.grad_mode import no_grad
from ember.nn import functional as F
from ember.nn.module import Module
from ember.nn.utils import parametrize
from ember.nn.utils.weight_norm import _norm_except_dim
from ember.ops.creation import empty, eye, randn
from ember.ops.decomp import geqrf, householder_product, qr, solve
from ember.ops.matrix_fns import matrix_exp
from ember.ops.shape import cat
from ember.ops.views import diagonal
from ember.tensor import Tensor

__all__ = ["weight_norm", "spectral_norm", "orthogonal"]


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


_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def _is_orthogonal(q):
    n, k = q.shape[-2], q.shape[-1]
    tol = 10.0 * n * float(np.finfo(q.dtype.np).eps)
    identity = eye(k, dtype=q.dtype, device=q.device)
    return bool(((q.mT @ q - identity).abs() <= tol).all())


def _make_orthogonal(a):
    """The Q of A's QR decomposition with R's diagonal made positive."""
    q, r = qr(a)
    return q * diagonal(r, 0, -2, -1).sign().unsqueeze(-2)


class _Orthogonal(Module):
    """An orthogonal matrix from an unconstrained one (see ``orthogonal``)."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x):
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:
            x, n, k = x.mT, k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            x = x.tril()
            if n != k:  # embedded in a square matrix
                x = cat([x, x.new_zeros(*x.shape[:-1], n - k)], -1)
            skew = x - x.mT
            if self.orthogonal_map == "matrix_exp":
                q = matrix_exp(skew)
            else:  # (I - A/2)^-1 (I + A/2)
                identity = eye(n, dtype=skew.dtype, device=skew.device)
                q = solve(identity - 0.5 * skew, identity + 0.5 * skew)
            if n != k:
                q = q[..., :k]
        else:
            a = x.tril(-1)
            tau = 2.0 / (1.0 + (a * a).sum(-2))
            q = householder_product(a, tau)
            # The diagonal of x (1s and -1s, truncated) flips columns; it gets
            # no gradient, as PyTorch's.
            q = q * diagonal(x, 0, -2, -1).detach().trunc().unsqueeze(-2)
        base = self._buffers.get("base")
        if base is not None:
            q = base @ q
        return q.mT if transposed else q

    def right_inverse(self, q):
        if tuple(q.shape) != self.shape:
            raise ValueError(f"orthogonal: expected a matrix of shape {list(self.shape)} to "
                             f"assign, got {list(q.shape)}")
        given = q
        n, k = q.shape[-2], q.shape[-1]
        transposed = n < k
        if transposed:
            q, n, k = q.mT, k, n
        if "base" not in self._buffers:
            if self.orthogonal_map != "householder":
                raise NotImplementedError("orthogonal: assigning to the matrix_exp or cayley "
                                          "parametrization needs use_trivialization=True")
            a, tau = geqrf(q)
            # diag(R) > 0: the original's diagonal holds its signs, flipped where
            # LAPACK skipped the reflection (tau == 0).
            d = diagonal(a, 0, -2, -1)
            d.copy_(d.sign() * (1 - 2 * (tau == 0).to(d.dtype)))
            return a.mT if transposed else a
        if n == k:
            q = q.clone() if _is_orthogonal(q) else _make_orthogonal(q)
        else:  # completed to a square orthogonal matrix
            extra = randn(*q.shape[:-2], n, n - k, dtype=q.dtype, device=q.device)
            q = _make_orthogonal(cat([q, extra], -1))
        self.base = q
        minus_identity = given.new_zeros(tuple(given.shape))
        diagonal(minus_identity, 0, -2, -1).fill_(-1.0)
        return minus_identity


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Parametrize ``module``'s matrix (or batch of matrices) ``name`` to stay
    orthogonal (see the module docstring); returns ``module``.

    Args:
        orthogonal_map: 'matrix_exp', 'cayley' or 'householder'; default
            'matrix_exp' for square matrices, 'householder' otherwise.
        use_trivialization: keep the weight's value in a buffer ``base`` and
            parametrize relative to it (the default, as PyTorch's).

    Raises:
        ValueError: no such tensor, fewer than 2 dims, or an unknown map.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"orthogonal: module {type(module).__name__} has no parameter or "
                         f"buffer named {name!r}")
    if weight.ndim < 2:
        raise ValueError(f"orthogonal: expected a matrix or a batch of matrices, got a "
                         f"{weight.ndim}-D tensor")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError(f"orthogonal: expected orthogonal_map to be one of "
                         f"{', '.join(_ORTHOGONAL_MAPS)}, got {orthogonal_map!r}")
    parametrize.register_parametrization(
        module, name, _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization),
        unsafe=True)
    return module
