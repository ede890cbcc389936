"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""

import math

from ember.optim import _util
from ember.optim.optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019).

    Per parameter at step t, with g the gradient (negated when ``maximize``)::

        g = g + weight_decay * p     (or p = p * (1 - lr * weight_decay) if decoupled)
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        rho_t > 5: r = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))
                   p = p - lr * m_hat * r * sqrt(1 - beta2**t) / (sqrt(v) + eps)
        otherwise: p = p - lr * m_hat

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: learning rate. Default: 1e-3.
        betas: decay rates of m and v. Default: (0.9, 0.999).
        eps: added to the denominator for stability. Default: 1e-8.
        weight_decay: weight decay. Default: 0.
        decoupled_weight_decay: shrink the weights directly (RAdamW). Default: False.
        foreach, maximize, capturable, differentiable: as in PyTorch (flags accepted).

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _util.check_nonnegative("lr", "learning rate", lr, "RAdam")
        _util.check_nonnegative("eps", "epsilon value", eps, "RAdam")
        _util.check_betas(betas, "RAdam")
        _util.check_nonnegative("weight_decay", "weight_decay value", weight_decay, "RAdam")
        _util.check_flags("RAdam", differentiable, foreach)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One RAdam update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p, xp, param, grad, state, step in _util.params_to_update(
                    self, group, ("exp_avg", "exp_avg_sq")):
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param *= 1 - lr * weight_decay
                    else:
                        grad = xp.add(grad, weight_decay * param)
                exp_avg, exp_avg_sq = state["exp_avg"]._array, state["exp_avg_sq"]._array
                tmp = xp.subtract(grad, exp_avg)
                tmp *= 1 - beta1
                exp_avg += tmp
                exp_avg_sq *= beta2
                xp.multiply(grad, grad, out=tmp)
                tmp *= 1 - beta2
                exp_avg_sq += tmp
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                update = xp.divide(exp_avg, bias_correction1, out=tmp)
                update *= lr
                if rho_t > 5.0:  # variance is tractable: adaptive step, rectified
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    denom = xp.sqrt(exp_avg_sq)
                    denom += eps
                    update /= denom
                    update *= bias_correction2 ** 0.5 * rect
                param -= update
                p._bump_version()
        return loss
