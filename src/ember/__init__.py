"""Ember: a deep-learning framework you can read end to end.

``import ember`` gives the Tensor, its dtypes and factories, every op under
PyTorch's name, grad modes and the autograd entry points; ``ember.nn``
holds the neural-network pieces.
"""

from ember.backend.dtype import (  # noqa: A004 - PyTorch's names shadow builtins here
    bfloat16, bool_ as bool, double, dtype, float, float16, float32, float64, get_default_dtype,
    half, int, int8, int16, int32, int64, long, promote_types, set_default_dtype, short, uint8)
from ember.backend.device import Device, cuda_available, device
from ember.backend import memory as _memory  # noqa: F401 - tunes malloc once (see the module)
from ember.backend.threads import get_num_threads, set_num_threads
from ember.backend.random import (Generator, default_generator, get_rng_state, initial_seed,
                                  manual_seed, seed, set_rng_state)
from ember.tensor import Tensor
from ember import ops
from ember.ops import *  # noqa: F401,F403
from ember import _tensor_methods
from ember import autograd
from ember.autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                                      is_inference_mode_enabled, no_grad, set_grad_enabled)

_tensor_methods.bind()

from ember import nn  # noqa: E402 - nn builds on the bound Tensor
from ember.io import load, save  # noqa: E402 - saves and loads Tensors, so after Tensor is bound
from ember import data, optim, train  # noqa: E402
import ember.linalg  # noqa: E402 - the module; replaces ops.linalg, which the star import bound
import ember.special  # noqa: E402
import ember.distributions  # noqa: E402

__version__ = "0.1.0"


def is_tensor(obj):
    """True if ``obj`` is an Ember Tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    """Number of elements of ``input``."""
    return input.numel()


def result_type(tensor1, tensor2):
    """The dtype PyTorch's promotion gives an op on these two operands."""
    from ember.ops._util import result_dtype
    return result_dtype(tensor1, tensor2)


def is_floating_point(input):
    """True if ``input`` has a floating dtype."""
    return input.dtype.is_floating_point


class cuda:
    """``ember.cuda.is_available()`` and friends, as in PyTorch."""

    @staticmethod
    def is_available():
        """True when CuPy sees an NVIDIA GPU."""
        return cuda_available()

    @staticmethod
    def device_count():
        """Number of visible GPUs (0 without CUDA)."""
        if not cuda_available():
            return 0
        import cupy
        return cupy.cuda.runtime.getDeviceCount()

    @staticmethod
    def synchronize():
        """Wait for all queued GPU work to finish (no-op without CUDA)."""
        if cuda_available():
            import cupy
            cupy.cuda.Device().synchronize()

    @staticmethod
    def manual_seed(s):
        """Seed GPU random numbers (one generator serves all devices)."""
        manual_seed(s)
