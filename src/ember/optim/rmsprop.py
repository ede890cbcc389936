"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from ember.backend.device import xp_of
from ember.optim import _util
from ember.optim.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum.

    Per parameter, with g the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        centered:  a = alpha * a + (1 - alpha) * g;   d = sqrt(v - a * a) + eps
        otherwise: d = sqrt(v) + eps
        momentum > 0: b = momentum * b + g / d;  p = p - lr * b
        otherwise:    p = p - lr * g / d

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: learning rate. Default: 1e-2.
        alpha: smoothing constant. Default: 0.99.
        eps: added to the denominator for stability. Default: 1e-8.
        weight_decay: L2 penalty. Default: 0.
        momentum: momentum factor. Default: 0.
        centered: normalise by an estimate of the gradient's variance. Default: False.
        capturable, foreach, maximize, differentiable: as in PyTorch (flags accepted).

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0),
    ``grad_avg`` (centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _util.check_nonnegative("lr", "learning rate", lr, "RMSprop")
        _util.check_nonnegative("eps", "epsilon value", eps, "RMSprop")
        _util.check_nonnegative("momentum", "momentum value", momentum, "RMSprop")
        _util.check_nonnegative("weight_decay", "weight_decay value", weight_decay, "RMSprop")
        _util.check_nonnegative("alpha", "alpha value", alpha, "RMSprop")
        _util.check_flags("RMSprop", differentiable, foreach)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One RMSprop update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
            weight_decay, centered = group["weight_decay"], group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                xp, param = xp_of(p._array), p._array
                grad = _util.grad_of(p, group["maximize"])
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _util.scalar(0.0)
                    state["square_avg"] = _util.zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _util.zeros_like(p)
                    if centered:
                        state["grad_avg"] = _util.zeros_like(p)
                state["step"]._array += 1
                if weight_decay != 0:
                    grad = xp.add(grad, weight_decay * param)
                square_avg = state["square_avg"]._array
                square_avg *= alpha
                tmp = xp.multiply(grad, grad)
                tmp *= 1 - alpha
                square_avg += tmp
                if centered:
                    grad_avg = state["grad_avg"]._array
                    xp.subtract(grad, grad_avg, out=tmp)  # lerp toward g, as PyTorch
                    tmp *= 1 - alpha
                    grad_avg += tmp
                    xp.multiply(grad_avg, grad_avg, out=tmp)
                    xp.subtract(square_avg, tmp, out=tmp)
                    avg = xp.sqrt(tmp, out=tmp)
                else:
                    avg = xp.sqrt(square_avg, out=tmp)
                avg += eps
                xp.divide(grad, avg, out=avg)
                if momentum > 0:
                    buf = state["momentum_buffer"]._array
                    buf *= momentum
                    buf += avg
                    xp.multiply(buf, lr, out=avg)
                else:
                    avg *= lr
                param -= avg
                p._bump_version()
        return loss
