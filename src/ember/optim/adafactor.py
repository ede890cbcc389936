"""Adafactor: Adam-like steps with a factored (row x column) second moment."""

import math

import numpy as np

from ember.backend.device import xp_of
from ember.optim import _util
from ember.optim.optimizer import Optimizer
from ember.tensor import Tensor

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018, "Adaptive Learning Rates with Sublinear
    Memory Cost"), as ``torch.optim.Adafactor``.

    Per parameter at step t, with g the gradient (negated when ``maximize``) and
    RMS(x) = ||x|| / sqrt(numel(x))::

        beta2_t = 1 - t ** beta2_decay
        rho_t   = min(lr, 1 / sqrt(t))                       (relative step size)
        alpha_t = max(eps2, RMS(p)) * rho_t                  (p before this step)
        p = p * (1 - lr * weight_decay)
        2-D and up, over the last two dims (rows i, columns j):
            R = beta2_t * R + (1 - beta2_t) * mean_j(g * g)
            C = beta2_t * C + (1 - beta2_t) * mean_i(g * g)
            V = R * C / max(mean_i(R), eps1)
        0-D and 1-D:
            V = beta2_t * V + (1 - beta2_t) * g * g
        U = g / max(sqrt(V), eps1)
        p = p - alpha_t / max(1, RMS(U) / d) * U

    Unlike the paper, ``lr`` caps the relative step size (the paper's 0.01) and
    scales the decoupled weight decay, and eps1 stabilizes V and U rather than
    being added to g * g; the row and column factors hold means, not sums.

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: the cap of the relative step size rho_t, and the weight decay's
            factor. Default: 1e-2.
        beta2_decay: exponent of the second-moment decay schedule (<= 0). Default: -0.8.
        eps: (eps1, eps2): eps1 guards the divisions (None: the machine epsilon of
            the parameter's dtype); eps2 is the smallest parameter scale. Default: (None, 1e-3).
        d: clipping threshold of the update's RMS (>= 1). Default: 1.0.
        weight_decay: decoupled weight decay coefficient. Default: 0.0.
        foreach: PyTorch's implementation flag, accepted so scripts port.
        maximize: maximize the objective. Default: False.

    State per parameter: ``step`` (float32 scalar tensor), then ``row_var``
    (shape ``(..., m, 1)``) and ``col_var`` (``(..., 1, n)``) for a parameter of
    shape ``(..., m, n)``, or ``variance`` (the parameter's shape) for 0-D and 1-D.
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if not lr >= 0.0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr} (Adafactor expects "
                             "lr >= 0)")
        if not beta2_decay <= 0.0:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay} (Adafactor "
                             "decays beta2 as 1 - t ** beta2_decay)")
        if not (isinstance(eps, (tuple, list)) and len(eps) == 2):
            raise ValueError(f"Invalid eps: {eps!r} (Adafactor expects a pair (eps1, eps2))")
        if eps[0] is not None and not eps[0] >= 0.0:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]} (Adafactor expects "
                             "eps[0] >= 0 or None)")
        if not eps[1] >= 0.0:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]} (Adafactor expects "
                             "eps[1] >= 0)")
        if not d >= 1.0:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d} (Adafactor)")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay} (Adafactor "
                             "expects weight_decay >= 0)")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=tuple(eps), d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adafactor update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, beta2_decay, d = group["lr"], group["beta2_decay"], group["d"]
            (eps1, eps2), weight_decay = group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                xp, param, grad = xp_of(p._array), p._array, _util.grad_of(p, group["maximize"])
                tiny = float(np.finfo(param.dtype).eps) if eps1 is None else eps1
                state = self._init_state(p)
                step_t = state["step"]._array
                step_t += 1
                step = float(step_t)
                one_minus_beta2 = step ** beta2_decay  # 1 - beta2_t
                rho = min(lr, 1 / math.sqrt(step))
                alpha = max(eps2, _rms(param)) * rho
                if weight_decay != 0:
                    param *= 1 - lr * weight_decay
                update = self._variance_estimate(state, grad, one_minus_beta2, tiny)
                # U = g / max(sqrt(V), eps1), as g / sqrt(V clamped at eps1**2)
                xp.maximum(update, tiny * tiny, out=update)
                xp.sqrt(update, out=update)
                xp.divide(grad, update, out=update)
                update *= alpha / max(1.0, _rms(update) / d)
                param -= update
                p._bump_version()
        return loss

    def _init_state(self, p):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _util.scalar(0.0)
            shape = p._array.shape
            if len(shape) >= 2:
                state["row_var"] = _zeros(p, shape[:-1] + (1,))
                state["col_var"] = _zeros(p, shape[:-2] + (1, shape[-1]))
            else:
                state["variance"] = _util.zeros_like(p)
        return state

    @staticmethod
    def _variance_estimate(state, grad, weight, eps1):
        """The second-moment estimate V (a new array), after updating the running factors."""
        xp = xp_of(grad)
        if "variance" in state:
            variance = state["variance"]._array
            variance += weight * (grad * grad - variance)
            return variance.copy()
        row_var, col_var = state["row_var"]._array, state["col_var"]._array
        squared = grad * grad
        row_var += weight * (squared.mean(axis=-1, keepdims=True) - row_var)
        col_var += weight * (squared.mean(axis=-2, keepdims=True) - col_var)
        # Outer product of the factors (..., m, 1) x (..., 1, n), normalized by the
        # mean row factor so that V keeps the scale of g * g.
        estimate = xp.multiply(row_var, col_var)
        estimate /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        return estimate


def _zeros(p, shape):
    """A zero state buffer of ``shape`` with ``p``'s dtype and device."""
    return Tensor._wrap(xp_of(p._array).zeros(shape, dtype=p._array.dtype), False, None, 0)


def _rms(array):
    """Root mean square of an array, as a Python float (0 for an empty array)."""
    if array.size == 0:
        return 0.0
    return float(xp_of(array).linalg.norm(array.reshape(-1))) / math.sqrt(array.size)
