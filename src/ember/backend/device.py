"""Devices: ``cpu`` runs on NumPy, ``cuda:N`` on CuPy (optional)."""

import builtins
import re

import numpy as np

__all__ = ["Device", "device", "cuda_available", "array_module", "device_of"]

_DEVICE_STRING = re.compile(r"(cpu|cuda)(?::(0|[1-9][0-9]*))?")


# The device factory functions use when none is given (set_default_device,
# ``with ember.device(...)``; the CPU, set below), and the ones with-blocks replaced.
_DEFAULT = [None]
_DEFAULT_STACK = []


class Device:
    """A compute device: ``Device("cpu")``, ``Device("cuda:1")``, ``Device("cuda", 1)``.

    ``Device("cuda")`` has index None, meaning the current GPU, as in PyTorch.
    Differs from PyTorch: a Device also equals its string (``Device("cpu") == "cpu"``).
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, Device):
            if index is not None:
                raise RuntimeError(f"device: index given twice, in {type!r} and as {index}")
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            if index is not None:
                raise RuntimeError(f"device: index given twice, as {type} and {index}")
            type, index = "cuda", type  # Device(1) is cuda:1, as in PyTorch
        elif isinstance(type, str):
            match = _DEVICE_STRING.fullmatch(type)
            if match is None:
                if type.partition(":")[0] in ("cpu", "cuda"):
                    raise RuntimeError(f"device: invalid device string {type!r}; expected "
                                       "'cpu', 'cuda' or 'cuda:N' with N >= 0")
                raise RuntimeError(f"device: expected device type 'cpu' or 'cuda' at the start "
                                   f"of the device string, got {type!r}")
            if match.group(2) is not None:
                if index is not None:
                    raise RuntimeError(f"device: type (string) must not include an index because "
                                       f"index was passed explicitly: {type}")
                index = int(match.group(2))
            type = match.group(1)
        else:
            raise TypeError(f"device: expected a string, an int or a Device, got "
                            f"{builtins.type(type).__name__}")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", _check_index(index) if index is not None else None)

    def __setattr__(self, name, value):
        raise AttributeError("Device is immutable")

    def __enter__(self):
        """``with ember.device("cuda"):`` makes this the default device of the
        factory functions inside the block (as ``set_default_device``)."""
        _DEFAULT_STACK.append(_DEFAULT[0])
        _DEFAULT[0] = self
        return self

    def __exit__(self, *exc):
        _DEFAULT[0] = _DEFAULT_STACK.pop()

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = Device(other)
            except RuntimeError:
                return False
        if not isinstance(other, Device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash(str(self))  # equal to its string, so it hashes like it

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __reduce__(self):
        return (Device, (self.type, self.index))


def _check_index(index):
    if not isinstance(index, int) or isinstance(index, bool):
        raise TypeError(f"device: expected an integer index, got {index!r}")
    if index < 0:
        raise RuntimeError(f"device: index must not be negative, got {index}")
    return index


device = Device  # PyTorch spells the constructor ember.device("cuda")
CPU = Device("cpu")
_DEFAULT[0] = CPU

_cupy = None


def _load_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:  # not installed, or no driver / no GPU
            _cupy = False
    return _cupy


def cuda_available():
    """True when CuPy imports and sees at least one GPU."""
    return bool(_load_cupy())


def get_default_device():
    """The device tensors are created on when no device is given (the CPU unless
    ``set_default_device`` or a ``with ember.device(...)`` block says otherwise)."""
    return _DEFAULT[0]


def set_default_device(device):
    """Create tensors on ``device`` (a string, int or Device; None: the CPU) when
    factory functions (``tensor``, ``zeros``, ``randn``, layers' parameters...)
    are given no device."""
    _DEFAULT[0] = CPU if device is None else Device(device)


def as_device(d):
    """Normalise None, a string, an int or a Device to a Device (None -> the
    default device, the CPU unless ``set_default_device`` changed it)."""
    if d is None:
        return _DEFAULT[0]
    if builtins.type(d) is Device:
        return d
    return Device(d)


def resolve(dev):
    """``dev`` with a concrete index: ``cuda`` becomes the current GPU, ``cuda:N``."""
    if dev.type == "cpu" or dev.index is not None:
        return dev
    return Device("cuda", array_module(dev).cuda.runtime.getDevice())


def array_module(dev):
    """NumPy for the CPU, CuPy for CUDA; a clear error when CUDA is missing."""
    if dev.type == "cpu":
        return np
    cp = _load_cupy()
    if not cp:
        raise RuntimeError(f"device {dev} requested but CUDA is not available "
                           "(install cupy and run on a machine with an NVIDIA GPU)")
    return cp


def device_of(array):
    """The Device holding an ndarray."""
    if builtins.type(array) is np.ndarray:
        return CPU
    return Device("cuda", array.device.id)


def xp_of(array):
    """The array module (numpy or cupy) of an ndarray."""
    if builtins.type(array) is np.ndarray:
        return np
    return _load_cupy()
