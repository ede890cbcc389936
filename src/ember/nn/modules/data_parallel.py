"""``DataParallel``: the PyTorch wrapper that splits each batch across GPUs.

Scripts wrap their model in it and save checkpoints through it, so its
``module.``-prefixed state_dict keys matter more than the splitting itself.
"""

import ember
from ember.backend.device import Device
from ember.nn.module import Module
from ember.tensor import Tensor

__all__ = ["DataParallel"]


def _device_index(d):
    """A GPU index from an int, ``"cuda:N"`` or a cuda Device."""
    if isinstance(d, int) and not isinstance(d, bool):
        return d
    dev = Device(d)
    if dev.type != "cuda":
        raise ValueError(f"DataParallel: expected a cuda device or a GPU index, got {d!r}")
    return 0 if dev.index is None else dev.index


def _to_device(obj, device):
    """``obj`` with every Tensor inside (tuples, lists, dicts) moved to ``device``."""
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


class DataParallel(Module):
    """Run ``module`` data-parallel: split the batch along ``dim`` over ``device_ids``.

    The wrapped model is ``self.module``, so ``state_dict`` keys carry a
    ``module.`` prefix exactly as PyTorch's do and checkpoints load both ways
    (``dp.module.state_dict()`` is the unprefixed one).

    Without CUDA (Ember's CPU case) the wrapper calls ``module`` directly, as
    PyTorch does on a CPU-only machine, and ``device_ids`` is ``[]``. With one
    GPU the inputs are moved to it and ``module`` (whose parameters and
    buffers must already be there) runs on them.

    Args:
        module: the module to run.
        device_ids: the GPUs to use (ints or cuda devices). Default: all.
        output_device: where outputs would be gathered. Default: ``device_ids[0]``.
        dim: the batch dimension to split. Default: 0.

    Raises:
        NotImplementedError: for more than one GPU. Ember does not yet split,
            replicate and gather across devices; pass ``device_ids=[0]`` (or use
            one process per GPU with ``ember.distributed``) instead.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected module to be an ember.nn.Module, got "
                            f"{type(module).__name__}")
        self.module = module
        self.dim = dim
        if not ember.cuda.is_available():
            self.device_ids, self.output_device, self.src_device_obj = [], None, None
            return
        if device_ids is None:
            device_ids = list(range(ember.cuda.device_count()))
        self.device_ids = [_device_index(d) for d in device_ids]
        if len(self.device_ids) > 1:
            raise NotImplementedError(
                f"DataParallel: running on {len(self.device_ids)} GPUs "
                f"{self.device_ids} is not supported yet (no scatter/replicate/gather across "
                "devices); pass device_ids=[0] to run on one GPU")
        if not self.device_ids:
            raise ValueError("DataParallel: device_ids is empty")
        self.output_device = _device_index(self.device_ids[0] if output_device is None
                                           else output_device)
        self.src_device_obj = Device("cuda", self.device_ids[0])

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        device = self.src_device_obj
        for t in (*self.module.parameters(), *self.module.buffers()):
            if t.device != device:
                raise RuntimeError(f"module must have its parameters and buffers on device "
                                   f"{device} (device_ids[0]) but found one of them on "
                                   f"device: {t.device}")
        return self.module(*_to_device(inputs, device), **_to_device(kwargs, device))
