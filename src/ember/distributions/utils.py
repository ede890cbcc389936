"""Helpers shared by the distributions (PyTorch's ``torch.distributions.utils``)."""

import numbers

import numpy as np

import ember
from ember.backend.dtype import finfo

__all__ = ["broadcast_all", "probs_to_logits", "logits_to_probs", "clamp_probs",
           "lazy_property", "sum_rightmost", "eps_of", "tiny_of", "as_shape"]


def as_shape(shape, what="shape"):
    """A tuple of ints from a tuple, list, int or ``None``."""
    if shape is None:
        return ()
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    try:
        out = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"expected {what} to be a tuple of ints, got {type(shape).__name__}") \
            from None
    return out


def broadcast_all(*values):
    """Broadcast tensors and numbers together; numbers become tensors of the
    tensors' dtype (or the default dtype when all are numbers)."""
    tensors = [v for v in values if isinstance(v, ember.Tensor)]
    for v in values:
        if not isinstance(v, (ember.Tensor, numbers.Number)):
            raise ValueError("Input arguments must all be instances of numbers.Number or "
                             f"ember.Tensor, got {type(v).__name__}")
    if tensors:
        dtype, device = tensors[0].dtype, tensors[0].device
        if not dtype.is_floating_point:
            dtype = ember.get_default_dtype()
    else:
        dtype, device = ember.get_default_dtype(), None
    converted = [v if isinstance(v, ember.Tensor)
                 else ember.tensor(float(v), dtype=dtype, device=device) for v in values]
    return tuple(ember.broadcast_tensors(*converted))


def eps_of(dtype):
    """Machine epsilon of a floating dtype."""
    return float(finfo(dtype).eps)


def tiny_of(dtype):
    """Smallest normal positive number of a floating dtype."""
    return float(finfo(dtype).tiny)


def clamp_probs(probs):
    """Clamp probabilities into ``[eps, 1 - eps]``."""
    eps = eps_of(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits of probabilities: log-odds for binary, log-probabilities otherwise."""
    ps = clamp_probs(probs)
    if is_binary:
        return ember.log(ps) - ember.log1p(-ps)
    return ember.log(ps)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: sigmoid for binary, softmax over the last dim otherwise."""
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def sum_rightmost(value, dim):
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


class lazy_property:
    """A property computed on first access and cached on the instance."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def host(t):
    """A host NumPy float64 copy of a tensor's values."""
    return np.asarray(t.detach().cpu().numpy(), dtype=np.float64)
