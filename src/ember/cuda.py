"""``ember.cuda.is_available()`` and friends, as in PyTorch.

Without CUDA each call behaves as PyTorch's does on a machine without a
GPU: seeding, ``empty_cache`` and the memory counters are no-ops (counters
read 0), and the calls that must name a GPU (``current_device``,
``get_device_name``, ``set_device`` to an index, ``reset_peak_memory_stats``)
raise an error that is both a RuntimeError and an AssertionError. With
CUDA the answers come from CuPy; that path is kept short and is not
exercised by the CPU test suite.
"""

import builtins as _builtins
import warnings

from ember.amp import autocast_mode as _autocast_mode
from ember.backend import random as _random
from ember.backend.dtype import float16 as _float16
from ember.backend.device import Device, cuda_available
from ember.tensor import _LEGACY_TYPES


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


def is_available():
    """True when CuPy sees an NVIDIA GPU."""
    return cuda_available()


def device_count():
    """Number of visible GPUs (0 without CUDA)."""
    if not cuda_available():
        return 0
    import cupy
    return cupy.cuda.runtime.getDeviceCount()


def synchronize(device=None):
    """Wait for all queued GPU work to finish (no-op without CUDA)."""
    if cuda_available():
        import cupy
        cupy.cuda.Device(_cuda_index(device, "synchronize")).synchronize()


def manual_seed(seed):
    """Seed GPU random numbers (``torch.cuda.manual_seed``); ignored without CUDA.

    Differs from PyTorch: with CUDA, Ember's one default generator serves
    every device, so this reseeds the CPU stream too (``ember.manual_seed``).
    """
    seed = _builtins.int(seed)
    if cuda_available():
        _random.manual_seed(seed)


def manual_seed_all(seed):
    """Seed the random numbers of every GPU (``torch.cuda.manual_seed_all``); ignored
    without CUDA. With CUDA it is ``ember.cuda.manual_seed``: one generator serves all."""
    manual_seed(seed)


def seed():
    """Seed GPU random numbers from OS entropy (``torch.cuda.seed``); ignored without CUDA."""
    if cuda_available():
        _random.seed()


def current_device():
    """Index of the current GPU (``torch.cuda.current_device``); raises without CUDA."""
    if not cuda_available():
        _no_cuda("current_device")
    import cupy
    return cupy.cuda.runtime.getDevice()


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


def get_device_name(device=None):
    """The GPU's name, such as ``"NVIDIA H100"`` (``torch.cuda.get_device_name``);
    raises without CUDA."""
    if not cuda_available():
        _no_cuda("get_device_name")
    import cupy
    name = cupy.cuda.runtime.getDeviceProperties(_cuda_index(device, "get_device_name"))
    return name["name"].decode()


def get_device_capability(device=None):
    """The GPU's compute capability ``(major, minor)`` (``torch.cuda.get_device_capability``);
    raises without CUDA."""
    if not cuda_available():
        _no_cuda("get_device_capability")
    import cupy
    props = cupy.cuda.runtime.getDeviceProperties(
        _cuda_index(device, "get_device_capability"))
    return props["major"], props["minor"]


def is_bf16_supported(including_emulation=True):
    """False: CuPy has no bfloat16 arrays, so Ember keeps bfloat16 tensors on the CPU
    (``torch.cuda.is_bf16_supported``, which is also False without a GPU)."""
    return False


def empty_cache():
    """Return the cached GPU blocks of CuPy's memory pools to the driver
    (``torch.cuda.empty_cache``); a no-op without CUDA."""
    if cuda_available():
        import cupy
        cupy.get_default_memory_pool().free_all_blocks()
        cupy.get_default_pinned_memory_pool().free_all_blocks()


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


def max_memory_allocated(device=None):
    """The most GPU memory ``memory_allocated`` has reported since the start or the
    last ``reset_peak_memory_stats`` (``torch.cuda.max_memory_allocated``); 0 without CUDA.

    Differs from PyTorch: CuPy's pool keeps no peak, so this is the largest
    value seen by these calls, a lower bound of the true peak.
    """
    if not cuda_available():
        return 0
    used = memory_allocated(device)
    return max(used, _peaks.get(_cuda_index(device, "max_memory_allocated"), 0))


def memory_reserved(device=None):
    """Bytes CuPy's memory pool holds on ``device``, in use or cached
    (``torch.cuda.memory_reserved``); 0 without CUDA."""
    if not cuda_available():
        return 0
    import cupy
    with cupy.cuda.Device(_cuda_index(device, "memory_reserved")):
        return cupy.get_default_memory_pool().total_bytes()


def reset_peak_memory_stats(device=None):
    """Restart ``max_memory_allocated`` from the current allocation
    (``torch.cuda.reset_peak_memory_stats``); raises without CUDA."""
    if not cuda_available():
        _no_cuda("reset_peak_memory_stats")
    index = _cuda_index(device, "reset_peak_memory_stats")
    _peaks[index] = 0
    memory_allocated(index)


seed_all = seed


_peaks = {}  # GPU index -> largest memory_allocated seen (see max_memory_allocated)

# ember.cuda.FloatTensor & co.
globals().update({name[len("cuda."):]: legacy_type for name, legacy_type in _LEGACY_TYPES.items()
                  if name.startswith("cuda.")})


_Autocast = _autocast_mode.deprecated_autocast("cuda", _float16)


def _deprecated_custom(name):
    def deprecated(*args, **kwargs):
        warnings.warn(f"`ember.cuda.amp.{name}(args...)` is deprecated. Please use "
                      f"`ember.amp.{name}(args..., device_type='cuda')` instead.",
                      FutureWarning, stacklevel=2)
        return getattr(_autocast_mode, name)(*args, device_type="cuda", **kwargs)
    deprecated.__name__ = deprecated.__qualname__ = name
    deprecated.__doc__ = (f"``ember.amp.{name}(..., device_type='cuda')`` with PyTorch's "
                          "deprecation warning.")
    return deprecated


class amp:
    """``ember.cuda.amp``: PyTorch's older home of the mixed-precision tools."""

    autocast = _Autocast
    custom_fwd = staticmethod(_deprecated_custom("custom_fwd"))
    custom_bwd = staticmethod(_deprecated_custom("custom_bwd"))

    @staticmethod
    def GradScaler(*args, **kwargs):
        """``ember.amp.GradScaler("cuda", ...)``, with PyTorch's deprecation warning."""
        warnings.warn("ember.cuda.amp.GradScaler(args...) is deprecated. Please use "
                      "ember.amp.GradScaler('cuda', args...) instead.", FutureWarning,
                      stacklevel=2)
        from ember.amp import GradScaler
        return GradScaler("cuda", *args, **kwargs)
