"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

from ember.optim import _util
from ember.optim.optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), with PyTorch's momentum schedule.

    Per parameter at step t, with g the gradient (negated when ``maximize``)::

        g = g + weight_decay * p     (or p = p * (1 - lr * weight_decay) if decoupled)
        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        prod_t = mu_1 * ... * mu_t  (kept in float32, as PyTorch does)
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - prod_t) * g / d
              - lr * mu_{t+1} / (1 - prod_t * mu_{t+1}) * m / d

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: learning rate. Default: 2e-3.
        betas: decay rates of m and v. Default: (0.9, 0.999).
        eps: added to the denominator for stability. Default: 1e-8.
        weight_decay: weight decay. Default: 0.
        momentum_decay: the schedule's decay. Default: 4e-3.
        decoupled_weight_decay: shrink the weights directly (NAdamW). Default: False.
        foreach, maximize, capturable, differentiable: as in PyTorch (flags accepted).

    State per parameter: ``step``, ``mu_product``, ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _util.check_nonnegative("lr", "learning rate", lr, "NAdam")
        _util.check_nonnegative("eps", "epsilon value", eps, "NAdam")
        _util.check_betas(betas, "NAdam")
        _util.check_nonnegative("weight_decay", "weight_decay value", weight_decay, "NAdam")
        _util.check_nonnegative("momentum_decay", "momentum_decay value", momentum_decay,
                                "NAdam")
        _util.check_flags("NAdam", differentiable, foreach)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One NAdam update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            momentum_decay = group["momentum_decay"]
            for p, xp, param, grad, state, step in _util.params_to_update(
                    self, group, ("exp_avg", "exp_avg_sq"), scalars=(("mu_product", 1.0),)):
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param *= 1 - lr * weight_decay
                    else:
                        grad = xp.add(grad, weight_decay * param)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product_t = state["mu_product"]._array
                mu_product_t *= mu  # float32 product, matching PyTorch bit for bit
                mu_product = float(mu_product_t)
                exp_avg, exp_avg_sq = state["exp_avg"]._array, state["exp_avg_sq"]._array
                tmp = xp.subtract(grad, exp_avg)
                tmp *= 1 - beta1
                exp_avg += tmp
                exp_avg_sq *= beta2
                xp.multiply(grad, grad, out=tmp)
                tmp *= 1 - beta2
                exp_avg_sq += tmp
                denom = xp.divide(exp_avg_sq, 1 - beta2 ** step, out=tmp)
                xp.sqrt(denom, out=denom)
                denom += eps
                grad_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
                avg_coef = -lr * mu_next / (1.0 - mu_product * mu_next)
                update = xp.divide(grad, denom)
                update *= grad_coef
                param += update
                xp.divide(exp_avg, denom, out=update)
                update *= avg_coef
                param += update
                p._bump_version()
        return loss
