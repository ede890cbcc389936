"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

import numpy as np

from ember.backend.device import xp_of
from ember.optim import _util
from ember.optim.optimizer import Optimizer
from ember.sparse_coo import SparseCooTensor

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum).

    Per parameter, with g the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        b = g                                   (first step)
        b = momentum * b + (1 - dampening) * g  (later steps)
        g = g + momentum * b  if nesterov  else  b
        p = p - lr * g

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: learning rate. Default: 1e-3.
        momentum: momentum factor. Default: 0.
        dampening: dampening for momentum. Default: 0.
        weight_decay: L2 penalty. Default: 0.
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0). Default: False.
        maximize: maximize the objective instead of minimizing. Default: False.
        foreach, differentiable, fused: PyTorch's implementation flags, accepted so
            scripts port; Ember always runs one NumPy/CuPy pass per parameter.

    Sparse gradients (``nn.Embedding(sparse=True)``) update the looked-up rows
    only; weight decay cannot combine with them (PyTorch's error).

    State per parameter: ``momentum_buffer`` (only when momentum != 0).

    Differs from PyTorch: ``differentiable=True`` raises NotImplementedError.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _util.check_nonnegative("lr", "learning rate", lr, "SGD")
        _util.check_nonnegative("momentum", "momentum value", momentum, "SGD")
        _util.check_nonnegative("weight_decay", "weight_decay value", weight_decay, "SGD")
        _util.check_flags("SGD", differentiable, foreach, fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening "
                             f"(SGD got momentum={momentum}, dampening={dampening})")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)

    def step(self, closure=None):
        """One SGD update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if type(p.grad) is SparseCooTensor:
                    self._sparse_step(p, group)
                    continue
                xp, param = xp_of(p._array), p._array
                grad = _util.grad_of(p, group["maximize"])
                if weight_decay != 0:
                    grad = xp.add(grad, weight_decay * param)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = _util.zeros_like(p)
                        xp.copyto(buf._array, grad)
                    else:
                        buf._array *= momentum
                        buf._array += (1 - dampening) * grad
                    grad = grad + momentum * buf._array if nesterov else buf._array
                param -= lr * grad
                p._bump_version()
        return loss

    _supports_sparse_grads = True

    def _sparse_step(self, p, group):
        """The same update with a sparse gradient (the looked-up rows only; a
        momentum buffer is then sparse too, as PyTorch's)."""
        if group["weight_decay"] != 0:
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        grad = -p.grad if group["maximize"] else p.grad
        momentum = group["momentum"]
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        if grad._nnz():
            np.add.at(p._array, tuple(grad._idx), (-group["lr"] * grad._val).astype(p._array.dtype))
        p._bump_version()
