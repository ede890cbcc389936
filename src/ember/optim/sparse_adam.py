"""SparseAdam: Adam for sparse gradients, updating only the rows they touch."""

import math

import numpy as np

from ember.optim import _util
from ember.optim.optimizer import Optimizer
from ember.sparse_coo import SparseCooTensor

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""Adam's update applied lazily, to the entries a sparse gradient holds
    (``nn.Embedding(sparse=True)``'s looked-up rows), as PyTorch's SparseAdam.

    Per step, with the gradient coalesced to rows r and values g::

        m[r] += (1 - beta1) * (g - m[r])
        v[r] += (1 - beta2) * (g * g - v[r])
        p[r] -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m[r] / (sqrt(v[r]) + eps)

    Rows not in the gradient keep their moments and values.

    Args:
        params: parameters or param groups (see ``Optimizer``); dense tensors
            whose gradients are sparse.
        lr: learning rate. Default: 1e-3.
        betas: decay rates of the two moment averages. Default: (0.9, 0.999).
        eps: added to the denominator. Default: 1e-8.
        maximize: maximize the objective. Default: False.

    State per parameter: ``step`` (an int), ``exp_avg``, ``exp_avg_sq``.
    """

    _supports_sparse_grads = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        _util.check_nonnegative("lr", "learning rate", lr, "SparseAdam")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps} (SparseAdam expects eps > 0)")
        _util.check_betas(betas, "SparseAdam")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))

    def step(self, closure=None):
        """One lazy Adam update of every parameter with a sparse gradient."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, eps, maximize = group["lr"], group["eps"], group.get("maximize", False)
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if type(p.grad) is not SparseCooTensor:
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = _util.zeros_like(p)
                    state["exp_avg_sq"] = _util.zeros_like(p)
                state["step"] += 1
                grad = p.grad.coalesce()
                if not grad._nnz():
                    continue
                rows, g = tuple(grad._idx), (-grad._val if maximize else grad._val)
                exp_avg, exp_avg_sq = state["exp_avg"]._array, state["exp_avg_sq"]._array
                old_avg, old_sq = exp_avg[rows], exp_avg_sq[rows]
                avg_update = (g - old_avg) * (1 - beta1)
                sq_update = (g * g - old_sq) * (1 - beta2)
                exp_avg[rows] += avg_update
                exp_avg_sq[rows] += sq_update
                numer = avg_update + old_avg
                denom = np.sqrt(sq_update + old_sq) + eps
                t = state["step"]
                step_size = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
                p._array[rows] += (-step_size * (numer / denom)).astype(p._array.dtype)
                p._bump_version()
        return loss
