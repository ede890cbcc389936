"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

import numpy as np

from ember.backend.device import xp_of
from ember.optim import _util
from ember.optim.optimizer import Optimizer
from ember.sparse_coo import SparseCooTensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011).

    Per parameter at step t, with g the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                        (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: learning rate. Default: 1e-2.
        lr_decay: learning-rate decay per step. Default: 0.
        weight_decay: L2 penalty. Default: 0.
        initial_accumulator_value: starting value of the sum s. Default: 0.
        eps: added to the denominator for stability. Default: 1e-10.
        foreach, maximize, differentiable, fused: as in PyTorch (flags accepted for porting).

    State per parameter (created at construction, as PyTorch does): ``step``, ``sum``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _util.check_nonnegative("lr", "learning rate", lr, "Adagrad")
        _util.check_nonnegative("lr_decay", "lr_decay value", lr_decay, "Adagrad")
        _util.check_nonnegative("weight_decay", "weight_decay value", weight_decay, "Adagrad")
        _util.check_nonnegative("initial_accumulator_value", "initial_accumulator_value value",
                                initial_accumulator_value, "Adagrad")
        _util.check_nonnegative("eps", "epsilon value", eps, "Adagrad")
        _util.check_flags("Adagrad", differentiable, foreach, fused)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = _util.scalar(0.0)
        state["sum"] = _util.full_like(p, group["initial_accumulator_value"])

    def step(self, closure=None):
        """One Adagrad update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps, weight_decay = (group["lr"], group["lr_decay"], group["eps"],
                                               group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                xp, param = xp_of(p._array), p._array
                state = self.state[p]
                if "sum" not in state:  # a group added after construction
                    self._init_state(p, group)
                step_t = state["step"]._array
                step_t += 1
                if type(p.grad) is SparseCooTensor:
                    self._sparse_update(p, group, float(step_t))
                    continue
                grad = _util.grad_of(p, group["maximize"])
                if weight_decay != 0:
                    grad = xp.add(grad, weight_decay * param)
                clr = lr / (1 + (float(step_t) - 1) * lr_decay)
                state_sum = state["sum"]._array
                tmp = xp.multiply(grad, grad)
                state_sum += tmp
                std = xp.sqrt(state_sum, out=tmp)
                std += eps
                xp.divide(grad, std, out=std)
                std *= clr
                param -= std
                p._bump_version()
        return loss

    _supports_sparse_grads = True

    def _sparse_update(self, p, group, step):
        """Adagrad on the rows of a sparse gradient (coalesced first), as PyTorch's."""
        if group["weight_decay"] != 0:
            raise RuntimeError("weight_decay option is not compatible with sparse gradients")
        grad = p.grad.coalesce()
        rows = tuple(grad._idx)
        values = -grad._val if group["maximize"] else grad._val
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state_sum = self.state[p]["sum"]._array
        state_sum[rows] += values * values
        std = np.sqrt(state_sum[rows]) + group["eps"]
        p._array[rows] -= clr * (values / std)
        p._bump_version()
