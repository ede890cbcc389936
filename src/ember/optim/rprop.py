"""Rprop: per-coordinate step sizes adapted from the sign of successive gradients."""

from ember.optim import _util
from ember.optim.optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller & Braun, 1993), as PyTorch's.

    Per coordinate, with g the gradient (negated when ``maximize``) and g_prev
    the previous step's (0 at first)::

        s = g * g_prev
        step_size = clamp(step_size * (eta_plus if s > 0, eta_minus if s < 0, else 1),
                          step_min, step_max)
        g = 0 where s < 0 (the sign flipped: no move, and no sign memory)
        p = p - sign(g) * step_size
        g_prev = g

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: initial step size of every coordinate. Default: 1e-2.
        etas: (eta_minus, eta_plus), with 0 < eta_minus < 1 < eta_plus. Default: (0.5, 1.2).
        step_sizes: (step_min, step_max). Default: (1e-6, 50).
        foreach, capturable, maximize, differentiable: as in PyTorch (flags
            accepted for porting; ``differentiable=True`` raises).

    State per parameter: ``step``, ``prev`` (g_prev), ``step_size``. Rprop is
    meant for full-batch training; with mini-batches the signs are noisy.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        name = type(self).__name__
        _util.check_nonnegative("lr", "learning rate", lr, name)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]} ({name} expects "
                             f"0 < eta_minus < 1 < eta_plus)")
        _util.check_flags(name, differentiable, foreach)
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Rprop update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            eta_minus, eta_plus = group["etas"]
            step_min, step_max = group["step_sizes"]
            for p, xp, param, grad, state, _ in _util.params_to_update(self, group, ("prev",)):
                if "step_size" not in state:
                    state["step_size"] = _util.full_like(p, group["lr"])
                prev, step_size = state["prev"]._array, state["step_size"]._array
                agreement = xp.sign(grad * prev)
                factor = xp.where(agreement > 0, eta_plus, xp.where(agreement < 0, eta_minus, 1.0))
                step_size *= factor.astype(step_size.dtype)
                xp.clip(step_size, step_min, step_max, out=step_size)
                grad = xp.where(agreement < 0, 0, grad).astype(grad.dtype)
                param -= xp.sign(grad) * step_size
                prev[...] = grad
                p._bump_version()
        return loss
