"""Lion: sign of an interpolated momentum, with decoupled weight decay (not in PyTorch)."""

from ember.backend.device import xp_of
from ember.optim import _util
from ember.optim.optimizer import Optimizer

__all__ = ["Lion"]


class Lion(Optimizer):
    r"""Lion, EvoLved Sign Momentum (Chen et al., 2023, "Symbolic Discovery of
    Optimization Algorithms", Algorithm 2).

    Per parameter, with g the gradient (negated when ``maximize``)::

        c = beta1 * m + (1 - beta1) * g
        p = p * (1 - lr * weight_decay) - lr * sign(c)
        m = beta2 * m + (1 - beta2) * g

    Every coordinate moves by exactly lr (plus decay), so Lion wants a smaller lr
    (3-10x) and a larger weight_decay than AdamW.

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: learning rate. Default: 1e-4.
        betas: interpolation (beta1) and momentum (beta2) factors. Default: (0.9, 0.99).
        weight_decay: decoupled weight decay. Default: 0.0.
        maximize: maximize the objective. Default: False.

    State per parameter: ``exp_avg`` (the momentum m).
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize=False):
        _util.check_nonnegative("lr", "learning rate", lr, "Lion")
        _util.check_betas(betas, "Lion")
        _util.check_nonnegative("weight_decay", "weight_decay value", weight_decay, "Lion")
        defaults = dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Lion update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, weight_decay = group["lr"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                xp, param = xp_of(p._array), p._array
                grad = _util.grad_of(p, group["maximize"])
                state = self.state[p]
                if len(state) == 0:
                    state["exp_avg"] = _util.zeros_like(p)
                exp_avg = state["exp_avg"]._array
                if weight_decay != 0:
                    param *= 1 - lr * weight_decay
                update = xp.multiply(exp_avg, beta1)
                update += (1 - beta1) * grad
                xp.sign(update, out=update)
                update *= lr
                param -= update
                exp_avg *= beta2
                xp.multiply(grad, 1 - beta2, out=update)
                exp_avg += update
                p._bump_version()
        return loss
