"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from ember.optim import _util
from ember.optim.optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012).

    Per parameter, with g the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: scales the update. Default: 1.0.
        rho: decay rate of both running averages. Default: 0.9.
        eps: added inside both square roots. Default: 1e-6.
        weight_decay: L2 penalty. Default: 0.
        foreach, capturable, maximize, differentiable: as in PyTorch (flags
            accepted for porting; ``differentiable=True`` raises).

    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        name = type(self).__name__
        _util.check_nonnegative("lr", "learning rate", lr, name)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} ({name} expects 0 <= rho <= 1)")
        _util.check_nonnegative("eps", "epsilon value", eps, name)
        _util.check_nonnegative("weight_decay", "weight_decay value", weight_decay, name)
        _util.check_flags(name, differentiable, foreach)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        capturable=capturable, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adadelta update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, rho, eps, weight_decay = (group["lr"], group["rho"], group["eps"],
                                          group["weight_decay"])
            for p, xp, param, grad, state, _ in _util.params_to_update(
                    self, group, ("square_avg", "acc_delta")):
                if weight_decay != 0:
                    grad = xp.add(grad, weight_decay * param)
                square_avg, acc_delta = state["square_avg"]._array, state["acc_delta"]._array
                square_avg *= rho
                square_avg += (1 - rho) * grad * grad
                std = xp.sqrt(square_avg + eps)
                delta = xp.sqrt(acc_delta + eps)
                delta /= std
                delta *= grad
                acc_delta *= rho
                acc_delta += (1 - rho) * delta * delta
                param -= lr * delta
                p._bump_version()
        return loss
