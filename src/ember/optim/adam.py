"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""

from ember.optim import _util
from ember.optim.optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), optionally AMSGrad and decoupled weight decay.

    Per parameter at step t, with g the gradient (negated when ``maximize``)::

        g = g + weight_decay * p           (or p = p * (1 - lr * weight_decay) if decoupled)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)              (amsgrad; then v_max replaces v below)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: learning rate. Default: 1e-3.
        betas: decay rates of the first and second moment averages. Default: (0.9, 0.999).
        eps: added to the denominator for stability. Default: 1e-8.
        weight_decay: weight decay (L2 penalty unless decoupled). Default: 0.
        amsgrad: use the running maximum of v (AMSGrad). Default: False.
        maximize: maximize the objective. Default: False.
        decoupled_weight_decay: shrink the weights directly, as AdamW. Default: False.
        foreach, capturable, differentiable, fused: PyTorch's implementation flags,
            accepted so scripts port (one NumPy/CuPy pass per parameter always).

    State per parameter: ``step`` (float32 scalar tensor), ``exp_avg``,
    ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.

    Differs from PyTorch: ``differentiable=True`` raises NotImplementedError.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        name = type(self).__name__
        _util.check_nonnegative("lr", "learning rate", lr, name)
        _util.check_nonnegative("eps", "epsilon value", eps, name)
        _util.check_betas(betas, name)
        _util.check_nonnegative("weight_decay", "weight_decay value", weight_decay, name)
        _util.check_flags(name, differentiable, foreach, fused)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure=None):
        """One Adam update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, eps, weight_decay, amsgrad = (group["lr"], group["eps"], group["weight_decay"],
                                              group["amsgrad"])
            beta1, beta2 = group["betas"]
            buffers = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
            for p, xp, param, grad, state, step in _util.params_to_update(self, group, buffers):
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        param *= 1 - lr * weight_decay
                    else:
                        grad = xp.add(grad, weight_decay * param)
                exp_avg, exp_avg_sq = state["exp_avg"]._array, state["exp_avg_sq"]._array
                # m += (1 - beta1) * (g - m): PyTorch's lerp_, one temporary reused below
                tmp = xp.subtract(grad, exp_avg)
                tmp *= 1 - beta1
                exp_avg += tmp
                exp_avg_sq *= beta2
                xp.multiply(grad, grad, out=tmp)
                tmp *= 1 - beta2
                exp_avg_sq += tmp
                step_size = lr / (1 - beta1 ** step)
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                second = exp_avg_sq
                if amsgrad:
                    second = state["max_exp_avg_sq"]._array
                    xp.maximum(second, exp_avg_sq, out=second)
                denom = xp.sqrt(second, out=tmp)
                denom /= bias_correction2_sqrt
                denom += eps
                xp.divide(exp_avg, denom, out=denom)
                denom *= step_size
                param -= denom
                p._bump_version()
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    The weights shrink directly, ``p = p * (1 - lr * weight_decay)``, before the
    Adam update, instead of adding ``weight_decay * p`` to the gradient.

    Args:
        params, lr, betas, eps, amsgrad, maximize: as ``Adam``.
        weight_decay: decoupled weight decay coefficient. Default: 1e-2.
        foreach, capturable, differentiable, fused: as ``Adam``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
