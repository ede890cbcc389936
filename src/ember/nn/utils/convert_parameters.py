"""``parameters_to_vector`` and ``vector_to_parameters``, as ``torch.nn.utils``'s."""

from ember.ops.shape import cat
from ember.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and joined into one 1-D tensor (differentiable)."""
    params = list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: expected at least one parameter")
    device = params[0].device
    for p in params:
        if p.device != device:
            raise TypeError(f"parameters_to_vector: found parameters on {device} and "
                            f"{p.device}; all must be on one device")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Make each parameter's data the next slice of the 1-D ``vec`` (a view of it, as
    in PyTorch: later changes to ``vec`` show in the parameters).

    Raises:
        TypeError: ``vec`` is not a Tensor. ValueError: it is shorter than the
            parameters' total size (extra entries are ignored, as in PyTorch).
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, but got: "
                        f"{type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() < total:
        raise ValueError(f"vector_to_parameters: expected a 1-D vec of at least {total} "
                         f"elements (the parameters' total), got shape {tuple(vec.shape)}")
    offset = 0
    for p in params:
        n = p.numel()
        p.data = vec[offset:offset + n].view(p.shape).detach()
        offset += n
