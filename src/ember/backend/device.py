"""Devices: ``cpu`` runs on NumPy, ``cuda:N`` on CuPy (optional)."""

import numpy as np

__all__ = ["Device", "device", "cuda_available", "array_module", "device_of"]


class Device:
    """A compute device, ``Device("cpu")`` or ``Device("cuda:0")``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, Device):
            type, index = type.type, type.index
        elif ":" in type:
            type, _, idx = type.partition(":")
            try:
                index = int(idx)
            except ValueError:
                raise ValueError(f"invalid device string {type}:{idx!r}") from None
        if type not in ("cpu", "cuda"):
            raise ValueError(f"expected device type 'cpu' or 'cuda', got {type!r}")
        if type == "cuda" and index is None:
            index = 0
        self.type, self.index = type, index

    def __eq__(self, other):
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"


device = Device  # PyTorch spells the constructor ember.device("cuda")
CPU = Device("cpu")

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


def as_device(d):
    """Normalise None, a string or a Device to a Device (None -> cpu)."""
    if d is None:
        return CPU
    if type(d) is Device:
        return d
    if isinstance(d, int):
        return Device("cuda", d)
    return Device(d)


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
    if type(array) is np.ndarray:
        return CPU
    return Device("cuda", array.device.id)


def xp_of(array):
    """The array module (numpy or cupy) of an ndarray."""
    if type(array) is np.ndarray:
        return np
    return _load_cupy()
