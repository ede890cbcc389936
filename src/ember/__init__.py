"""Ember: a deep-learning framework you can read end to end.

``import ember`` gives the Tensor, its dtypes and factories, every op under
PyTorch's name, grad modes and the autograd entry points; ``ember.nn``
holds the neural-network pieces.
"""

import builtins as _builtins  # bool and int below are Ember's dtypes

from ember.backend.dtype import (  # noqa: A004 - PyTorch's names shadow builtins here
    bfloat16, bool_ as bool, double, dtype, float, float16, float32, float64, get_default_dtype,
    half, int, int8, int16, int32, int64, long, promote_types, set_default_dtype, short, uint8)
from ember.backend.device import Device, cuda_available, device
from ember.backend import memory as _memory  # noqa: F401 - tunes malloc once (see the module)
from ember.backend.threads import get_num_threads, set_num_threads
from ember.backend.random import (Generator, default_generator, get_rng_state, initial_seed,
                                  manual_seed, seed, set_rng_state)
from ember.backend.dtype import finfo, iinfo
from ember.tensor import Tensor, layout, strided
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
from ember.io import load, save  # noqa: E402 - saves and loads Tensors, so after Tensor is bound
from ember import data, optim, train  # noqa: E402
from ember import backends, utils  # noqa: E402,F401 - torch.backends, torch.utils paths
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


class _CudaUnavailable(RuntimeError, AssertionError):
    """Raised by ``ember.cuda`` calls that need a GPU when there is none.

    PyTorch raises AssertionError ("Torch not compiled with CUDA enabled")
    from a CPU-only build and RuntimeError from a CUDA build on a machine
    without a GPU; this is both, so either ``except`` clause catches it.
    """


def _no_cuda(fn):
    raise _CudaUnavailable(f"ember.cuda.{fn}: CUDA is not available (CuPy is not installed "
                           "or sees no GPU)")


def _cuda_index(device, fn):
    """The GPU index ``device`` (None, an int, a string or a Device) names."""
    import cupy
    if device is None:
        return cupy.cuda.runtime.getDevice()
    if isinstance(device, _builtins.int) and not isinstance(device, _builtins.bool):
        return device
    d = Device(device)
    if d.type != "cuda":
        raise ValueError(f"ember.cuda.{fn}: expected a cuda device, got {d}")
    return cupy.cuda.runtime.getDevice() if d.index is None else d.index


class cuda:
    """``ember.cuda.is_available()`` and friends, as in PyTorch.

    Without CUDA each call behaves as PyTorch's does on a machine without a
    GPU: seeding, ``empty_cache`` and the memory counters are no-ops (counters
    read 0), and the calls that must name a GPU (``current_device``,
    ``get_device_name``, ``set_device`` to an index, ``reset_peak_memory_stats``)
    raise an error that is both a RuntimeError and an AssertionError. With
    CUDA the answers come from CuPy; that path is kept short and is not
    exercised by the CPU test suite.
    """

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
    def synchronize(device=None):
        """Wait for all queued GPU work to finish (no-op without CUDA)."""
        if cuda_available():
            import cupy
            cupy.cuda.Device(_cuda_index(device, "synchronize")).synchronize()

    @staticmethod
    def manual_seed(seed):
        """Seed GPU random numbers (``torch.cuda.manual_seed``); ignored without CUDA.

        Differs from PyTorch: with CUDA, Ember's one default generator serves
        every device, so this reseeds the CPU stream too (``ember.manual_seed``).
        """
        seed = _builtins.int(seed)
        if cuda_available():
            manual_seed(seed)

    @staticmethod
    def manual_seed_all(seed):
        """Seed the random numbers of every GPU (``torch.cuda.manual_seed_all``); ignored
        without CUDA. With CUDA it is ``ember.cuda.manual_seed``: one generator serves all."""
        cuda.manual_seed(seed)

    @staticmethod
    def seed():
        """Seed GPU random numbers from OS entropy (``torch.cuda.seed``); ignored without CUDA."""
        if cuda_available():
            seed()

    seed_all = seed

    @staticmethod
    def current_device():
        """Index of the current GPU (``torch.cuda.current_device``); raises without CUDA."""
        if not cuda_available():
            _no_cuda("current_device")
        import cupy
        return cupy.cuda.runtime.getDevice()

    @staticmethod
    def set_device(device):
        """Make ``device`` the current GPU (``torch.cuda.set_device``).

        A negative index is ignored, as in PyTorch; a non-cuda device raises
        ValueError; without CUDA any other call raises.
        """
        if isinstance(device, _builtins.int) and not isinstance(device, _builtins.bool):
            if device < 0:
                return
        elif Device(device).type != "cuda":
            raise ValueError(f"ember.cuda.set_device: expected a cuda device, got {device}")
        if not cuda_available():
            _no_cuda("set_device")
        import cupy
        cupy.cuda.Device(_cuda_index(device, "set_device")).use()

    @staticmethod
    def get_device_name(device=None):
        """The GPU's name, such as ``"NVIDIA H100"`` (``torch.cuda.get_device_name``);
        raises without CUDA."""
        if not cuda_available():
            _no_cuda("get_device_name")
        import cupy
        name = cupy.cuda.runtime.getDeviceProperties(_cuda_index(device, "get_device_name"))
        return name["name"].decode()

    @staticmethod
    def get_device_capability(device=None):
        """The GPU's compute capability ``(major, minor)`` (``torch.cuda.get_device_capability``);
        raises without CUDA."""
        if not cuda_available():
            _no_cuda("get_device_capability")
        import cupy
        props = cupy.cuda.runtime.getDeviceProperties(
            _cuda_index(device, "get_device_capability"))
        return props["major"], props["minor"]

    @staticmethod
    def is_bf16_supported(including_emulation=True):
        """False: CuPy has no bfloat16 arrays, so Ember keeps bfloat16 tensors on the CPU
        (``torch.cuda.is_bf16_supported``, which is also False without a GPU)."""
        return False

    @staticmethod
    def empty_cache():
        """Return the cached GPU blocks of CuPy's memory pools to the driver
        (``torch.cuda.empty_cache``); a no-op without CUDA."""
        if cuda_available():
            import cupy
            cupy.get_default_memory_pool().free_all_blocks()
            cupy.get_default_pinned_memory_pool().free_all_blocks()

    @staticmethod
    def memory_allocated(device=None):
        """Bytes of GPU memory held by tensors (CuPy's pool, used bytes) on ``device``
        (``torch.cuda.memory_allocated``); 0 without CUDA."""
        if not cuda_available():
            return 0
        import cupy
        with cupy.cuda.Device(_cuda_index(device, "memory_allocated")) as d:
            used = cupy.get_default_memory_pool().used_bytes()
            _peaks[d.id] = max(_peaks.get(d.id, 0), used)
        return used

    @staticmethod
    def max_memory_allocated(device=None):
        """The most GPU memory ``memory_allocated`` has reported since the start or the
        last ``reset_peak_memory_stats`` (``torch.cuda.max_memory_allocated``); 0 without CUDA.

        Differs from PyTorch: CuPy's pool keeps no peak, so this is the largest
        value seen by these calls, a lower bound of the true peak.
        """
        if not cuda_available():
            return 0
        used = cuda.memory_allocated(device)
        return max(used, _peaks.get(_cuda_index(device, "max_memory_allocated"), 0))

    @staticmethod
    def memory_reserved(device=None):
        """Bytes CuPy's memory pool holds on ``device``, in use or cached
        (``torch.cuda.memory_reserved``); 0 without CUDA."""
        if not cuda_available():
            return 0
        import cupy
        with cupy.cuda.Device(_cuda_index(device, "memory_reserved")):
            return cupy.get_default_memory_pool().total_bytes()

    @staticmethod
    def reset_peak_memory_stats(device=None):
        """Restart ``max_memory_allocated`` from the current allocation
        (``torch.cuda.reset_peak_memory_stats``); raises without CUDA."""
        if not cuda_available():
            _no_cuda("reset_peak_memory_stats")
        index = _cuda_index(device, "reset_peak_memory_stats")
        _peaks[index] = 0
        cuda.memory_allocated(index)


_peaks = {}  # GPU index -> largest memory_allocated seen (see max_memory_allocated)

def _add_cuda_legacy_types():
    from ember.tensor import _LEGACY_TYPES
    for name, legacy_type in _LEGACY_TYPES.items():
        if name.startswith("cuda."):  # ember.cuda.FloatTensor & co.
            setattr(cuda, name[len("cuda."):], legacy_type)


_add_cuda_legacy_types()


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
