"""ASGD: SGD with a decaying step size and a running (Polyak) average of the iterates."""

from ember.optim import _util
from ember.optim.optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent (Polyak & Juditsky, 1992), as PyTorch's.

    Per parameter at step t, with g the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = p if mu == 1 else ax + mu * (p - ax)      (the averaged parameters)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)

    Averaging starts after ``t0`` steps; the averaged parameters are
    ``optimizer.state[p]["ax"]``.

    Args:
        params: parameters or param groups (see ``Optimizer``).
        lr: initial step size. Default: 1e-2.
        lambd: decay term. Default: 1e-4.
        alpha: power of the step-size decay. Default: 0.75.
        t0: the step after which averaging starts. Default: 1e6.
        weight_decay: L2 penalty. Default: 0.
        foreach, maximize, differentiable, capturable: as in PyTorch (flags
            accepted for porting; ``differentiable=True`` raises).

    State per parameter: ``step``, ``eta``, ``mu`` (float32 scalars, as
    PyTorch keeps them) and ``ax``.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        name = type(self).__name__
        _util.check_nonnegative("lr", "learning rate", lr, name)
        _util.check_nonnegative("weight_decay", "weight_decay value", weight_decay, name)
        _util.check_flags(name, differentiable, foreach)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One ASGD update of every parameter with a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0, weight_decay = (group["lr"], group["lambd"], group["alpha"],
                                                  group["t0"], group["weight_decay"])
            scalars = (("eta", lr), ("mu", 1.0))
            for p, xp, param, grad, state, step in _util.params_to_update(
                    self, group, ("ax",), scalars):
                if weight_decay != 0:
                    grad = xp.add(grad, weight_decay * param)
                eta = float(state["eta"]._array)
                param *= 1 - lambd * eta
                param -= eta * grad
                ax = state["ax"]._array
                mu = float(state["mu"]._array)
                if mu != 1:
                    ax += (param - ax) * mu
                else:
                    ax[...] = param
                state["eta"]._array[...] = lr / ((1 + lambd * lr * step) ** alpha)
                state["mu"]._array[...] = 1 / max(1, step - t0)
                p._bump_version()
        return loss
