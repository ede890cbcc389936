"""Gradient clipping: rescale gradients by their total norm, or clamp each value."""

import math
import warnings

from ember.backend.device import xp_of
from ember.sparse_coo import SparseCooTensor
from ember.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters, op="clip_grad_norm_"):
    return _dense([p.grad for p in _as_list(parameters) if p.grad is not None], op)


def _dense(tensors, op):
    """``tensors``, refusing sparse ones (PyTorch's clipping fails on them too)."""
    for t in tensors:
        if type(t) is SparseCooTensor:
            raise NotImplementedError(f"{op}: sparse gradients are not supported (as in "
                                      "PyTorch); clip their values (grad.coalesce()) yourself "
                                      "or use dense gradients")
    return tensors


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of all ``tensors`` together, as if concatenated into one vector.

    Args:
        tensors: a Tensor or an iterable of Tensors (usually gradients).
        norm_type: p of the p-norm; ``inf`` for the max-abs norm. Default: 2.0.
        error_if_nonfinite: raise if the norm is nan or inf. Default: False.
        foreach: accepted for PyTorch compatibility; ignored.

    Returns:
        A 0-d Tensor (0.0 when there are no tensors), of the tensors' dtype.
    """
    tensors = _dense(_as_list(tensors), "get_total_norm")
    norm_type = float(norm_type)
    if not tensors:
        import ember
        return ember.tensor(0.0)
    xp = xp_of(tensors[0]._array)
    # Per-tensor norms first, then the norm of those: the same as one long vector.
    if norm_type == math.inf:
        norms = [xp.max(xp.abs(t._array)) if t._array.size else xp.zeros((), t._array.dtype)
                 for t in tensors]
        total = xp.max(xp.stack(norms))
    elif norm_type == 2.0:
        total = xp.sqrt(sum(xp.vdot(t._array.ravel(), t._array.ravel()) for t in tensors))
    else:
        total = sum(xp.sum(xp.abs(t._array) ** norm_type) for t in tensors) ** (1.0 / norm_type)
    total = xp.asarray(total, dtype=tensors[0]._array.dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return Tensor._wrap(total, False, None, 0)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` by ``max_norm / (total_norm + 1e-6)``, capped at 1.

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` is scaled in place.
        max_norm: the largest allowed total norm.
        total_norm: the norm from ``get_total_norm`` (a Tensor or a number).
        foreach: accepted for PyTorch compatibility; ignored.
    """
    grads = _grads(parameters)
    if not grads:
        return
    total = float(total_norm._array if isinstance(total_norm, Tensor) else total_norm)
    clip_coef = min(float(max_norm) / (total + 1e-6), 1.0)
    for g in grads:
        g._array *= clip_coef
        g._bump_version()


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale gradients in place so that their total norm is at most ``max_norm``.

    The norm is taken over all gradients together; each is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``.

    Args:
        parameters: a Tensor or an iterable of Tensors with gradients.
        max_norm: the largest allowed total norm.
        norm_type: p of the p-norm; ``inf`` for the max-abs norm. Default: 2.0.
        error_if_nonfinite: raise if the total norm is nan or inf (gradients are
            then left unchanged). Default: False.
        foreach: accepted for PyTorch compatibility; ignored.

    Returns:
        The total norm before clipping, a 0-d Tensor.
    """
    parameters = _as_list(parameters)
    total_norm = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of ``clip_grad_norm_`` (warns with a FutureWarning, as PyTorch)."""
    warnings.warn("`nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place.

    Args:
        parameters: a Tensor or an iterable of Tensors with gradients.
        clip_value: the bound (taken as a float).
        foreach: accepted for PyTorch compatibility; ignored.
    """
    clip_value = float(clip_value)
    for g in _grads(parameters, "clip_grad_value_"):
        xp_of(g._array).clip(g._array, -clip_value, clip_value, out=g._array)
        g._bump_version()
