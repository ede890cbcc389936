"""Helpers shared by the optimizers: state buffers, hyperparameter checks, flags."""

import numpy as np

from ember.backend.device import xp_of
from ember.tensor import Tensor


def zeros_like(p):
    """A zero buffer with ``p``'s shape, dtype and device, outside autograd."""
    return Tensor._wrap(xp_of(p._array).zeros_like(p._array), False, None, 0)


def full_like(p, value):
    """A buffer filled with ``value``, with ``p``'s shape, dtype and device."""
    return Tensor._wrap(xp_of(p._array).full_like(p._array, value), False, None, 0)


def scalar(value=0.0):
    """A 0-d float32 CPU tensor, as PyTorch keeps ``state["step"]`` and ``mu_product``."""
    return Tensor._wrap(np.array(value, dtype=np.float32), False, None, 0)


def check_nonnegative(name, label, value, optimizer):
    """PyTorch's "Invalid <label>: <value>" when ``value < 0``, naming the optimizer."""
    if not value >= 0.0:
        raise ValueError(f"Invalid {label}: {value} ({optimizer} expects {name} >= 0)")


def check_betas(betas, optimizer):
    """Each beta in [0, 1)."""
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise ValueError(f"Invalid betas: {betas!r} ({optimizer} expects a pair (beta1, beta2))")
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} "
                             f"({optimizer} expects 0 <= betas[{i}] < 1)")


def check_flags(optimizer, differentiable=False, foreach=None, fused=None):
    """Accept PyTorch's implementation flags for porting; refuse what Ember cannot do."""
    if differentiable:
        raise NotImplementedError(f"{optimizer}: differentiable=True is not supported (the "
                                  "step runs on raw arrays, outside autograd)")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def grad_of(p, maximize):
    """``p``'s gradient array, negated (a new array) when maximizing."""
    g = p.grad._array
    return -g if maximize else g


def params_to_update(optimizer, group, buffers=(), scalars=()):
    """Yield ``(p, xp, param, grad, state, step)`` per parameter of ``group`` with a gradient.

    ``param`` and ``grad`` are ``p``'s arrays (updated in place by the caller).

    A parameter's state starts with ``step`` (a float32 scalar), then each of
    ``scalars`` (name, value) and a zero buffer per name in ``buffers``, in that
    order (PyTorch's key order); ``step`` is incremented and given as a float.
    ``grad`` is negated when the group maximizes.
    """
    for p in group["params"]:
        if p.grad is None:
            continue
        state = optimizer.state[p]
        if len(state) == 0:
            state["step"] = scalar(0.0)
            for name, value in scalars:
                state[name] = scalar(value)
            for name in buffers:
                state[name] = zeros_like(p)
        step_t = state["step"]._array
        step_t += 1
        yield p, xp_of(p._array), p._array, grad_of(p, group["maximize"]), state, float(step_t)
