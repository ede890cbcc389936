"""Ember: a deep-learning framework you can read end to end.

``import ember`` gives the Tensor, its dtypes and factories, every op under
PyTorch's name, grad modes and the autograd entry points; ``ember.nn``
holds the neural-network pieces.
"""

import builtins as _builtins  # bool and int below are Ember's dtypes

from ember.backend.dtype import (  # noqa: A004 - PyTorch's names shadow builtins here
    bfloat16, bool_ as bool, can_cast, double, dtype, float, float16, float32, float64,
    get_default_dtype, half, int, int8, int16, int32, int64, long, promote_types, set_default_dtype, short, uint8)
from ember.backend.device import (Device, cuda_available, device, get_default_device,
                                  set_default_device)
from ember.backend import memory as _memory  # noqa: F401 - tunes malloc once (see the module)
from ember.backend.threads import get_num_threads, set_num_threads
from ember.backend.random import (Generator, default_generator, get_rng_state, initial_seed,
                                  manual_seed, seed, set_rng_state)
from ember.backend.dtype import finfo, iinfo
from ember.tensor import Size, Tensor, layout, strided
from ember.sparse_coo import SparseCooTensor, sparse_coo, sparse_coo_tensor
from ember.storage import TypedStorage, UntypedStorage
from ember.tensor import (channels_last, channels_last_3d, contiguous_format, memory_format,
                          preserve_format)
from ember.tensor import (BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor,
                          FloatTensor, HalfTensor, IntTensor, LongTensor, ShortTensor)
from ember._format import set_printoptions
from ember import ops
from ember.ops import *  # noqa: F401,F403
from ember.ops.foreach import *  # noqa: F401,F403 - underscore names, so listed apart
from ember import _tensor_methods
from ember import autograd
from ember.autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                                      is_inference_mode_enabled, no_grad, set_grad_enabled)

_tensor_methods.bind()

from ember import nn  # noqa: E402 - nn builds on the bound Tensor
from ember._functional_aliases import *  # noqa: E402,F401,F403 - torch.dropout & co., over nn
from ember import func  # noqa: E402,F401
from ember import testing  # noqa: E402,F401
from ember import jit  # noqa: E402,F401 - TorchScript's entry points, run eagerly
from ember import signal  # noqa: E402,F401 - signal.windows
from ember import multiprocessing  # noqa: E402 - shared tensors by reference
multiprocessing.init_reductions()
from ember.io import load, save  # noqa: E402 - saves and loads Tensors, so after Tensor is bound
from ember import data, optim, train  # noqa: E402
from ember import backends, utils  # noqa: E402,F401 - torch.backends, torch.utils paths
from ember import amp, cpu, cuda  # noqa: E402,F401
from ember.amp.autocast_mode import (  # noqa: E402,F401
    autocast, clear_autocast_cache, get_autocast_dtype, is_autocast_cache_enabled,
    is_autocast_enabled, set_autocast_cache_enabled, set_autocast_dtype, set_autocast_enabled)
from ember.autograd.anomaly_mode import (  # noqa: E402,F401
    is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled)
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


def is_complex(input):
    """Always False: Ember has no complex dtypes (``torch.is_complex``)."""
    return False


def typename(obj):
    """The type name of ``obj`` as PyTorch writes it (``torch.typename``).

    ``"ember.FloatTensor"`` for a float32 tensor; otherwise the module and
    qualified name of the object's class (or of ``obj`` itself when it is a
    class), with ``builtins`` left out: ``typename(1) == "int"``.
    """
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else type(obj)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in ("", "builtins") else f"{module}.{name}"


# ---- global switches scripts set once --------------------------------------------

_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms only (``torch.use_deterministic_algorithms``).

    Ember records the setting for ``are_deterministic_algorithms_enabled``.
    Every Ember op on the CPU is already deterministic (NumPy, no atomics or
    racing threads), so there is nothing to switch there; on the GPU, CuPy's
    scatter-add and friends use atomic adds whose summation order can vary.
    Differs from PyTorch: no op raises or warns when the setting is on.
    """
    if not isinstance(mode, _builtins.bool):
        raise TypeError(f"use_deterministic_algorithms: expected mode to be a bool, got "
                        f"{type(mode).__name__}")
    if not isinstance(warn_only, _builtins.bool):
        raise TypeError(f"use_deterministic_algorithms: expected warn_only to be a bool, got "
                        f"{type(warn_only).__name__}")
    _deterministic["mode"], _deterministic["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled():
    """True after ``use_deterministic_algorithms(True)``."""
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    """True after ``use_deterministic_algorithms(True, warn_only=True)``."""
    return _deterministic["warn_only"]


_DEBUG_MODES = ("default", "warn", "error")


def set_deterministic_debug_mode(debug_mode):
    """``"default"``/0, ``"warn"``/1 or ``"error"``/2: ``use_deterministic_algorithms``
    off, on with warn_only, or on (``torch.set_deterministic_debug_mode``)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"set_deterministic_debug_mode: invalid value of debug_mode, "
                               f"expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif isinstance(debug_mode, _builtins.int) and not isinstance(debug_mode, _builtins.bool):
        if debug_mode not in (0, 1, 2):
            raise RuntimeError(f"set_deterministic_debug_mode: invalid value of debug_mode, "
                               f"expected 0, 1, or 2, but got {debug_mode}")
    else:
        raise TypeError(f"set_deterministic_debug_mode: debug_mode must be str or int, but got "
                        f"{type(debug_mode).__name__}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    """0, 1 or 2: the mode ``set_deterministic_debug_mode`` set (see there)."""
    if not _deterministic["mode"]:
        return 0
    return 1 if _deterministic["warn_only"] else 2


_MATMUL_PRECISIONS = ("highest", "high", "medium")
_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision):
    """Allow faster, less precise float32 matrix products (``"highest"``, ``"high"``,
    ``"medium"``), as ``torch.set_float32_matmul_precision``.

    Ember records the value for ``get_float32_matmul_precision``. CPU float32
    GEMMs (NumPy's BLAS) always compute in full float32 whatever the setting;
    PyTorch's lower settings only change GPU kernels (TF32, bfloat16 passes).
    Differs from PyTorch: an unknown value raises ValueError (PyTorch warns and
    ignores it).
    """
    if precision not in _MATMUL_PRECISIONS:
        raise ValueError(f"set_float32_matmul_precision: expected one of 'highest', 'high' or "
                         f"'medium', got {precision!r}")
    _matmul_precision[0] = precision


def get_float32_matmul_precision():
    """The value last given to ``set_float32_matmul_precision`` (``"highest"`` at start)."""
    return _matmul_precision[0]
