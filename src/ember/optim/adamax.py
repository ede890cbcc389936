"""Adamax: Adam with the infinity norm in place of the second moment."""

from ember.optim import _util
from ember.optim.optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2014, section 7).

    Per parameter at step t, with g the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: learning rate. Default: 2e-3.
        betas: decay rates of m and u. Default: (0.9, 0.999).
        eps: added to |g| for stability. Default: 1e-8.
        weight_decay: L2 penalty. Default: 0.
        foreach, maximize, differentiable, capturable: as in PyTorch (flags accepted).

    State per parameter: ``step``, ``exp_avg``, ``exp_inf``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _util.check_nonnegative("lr", "learning rate", lr, "Adamax")
        _util.check_nonnegative("eps", "epsilon value", eps, "Adamax")
        _util.check_betas(betas, "Adamax")
        _util.check_nonnegative("weight_decay", "weight_decay value", weight_decay, "Adamax")
        _util.check_flags("Adamax", differentiable, foreach)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adamax update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p, xp, param, grad, state, step in _util.params_to_update(
                    self, group, ("exp_avg", "exp_inf")):
                if weight_decay != 0:
                    grad = xp.add(grad, weight_decay * param)
                exp_avg, exp_inf = state["exp_avg"]._array, state["exp_inf"]._array
                tmp = xp.subtract(grad, exp_avg)
                tmp *= 1 - beta1
                exp_avg += tmp
                exp_inf *= beta2
                xp.abs(grad, out=tmp)
                tmp += eps
                xp.maximum(exp_inf, tmp, out=exp_inf)
                clr = lr / (1 - beta1 ** step)
                xp.divide(exp_avg, exp_inf, out=tmp)
                tmp *= clr
                param -= tmp
                p._bump_version()
        return loss
