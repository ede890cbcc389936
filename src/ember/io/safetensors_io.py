"""Reading and writing safetensors files: flat ``{name: array}`` plus string metadata.

safetensors is a header and raw bytes: 8 bytes (little-endian u64) giving
the header length, a JSON header ``{name: {"dtype", "shape", "data_offsets"},
"__metadata__": {str: str}}``, then each tensor's bytes, row-major. Loading
it runs no code, unlike a pickle, which is why Ember uses it for every
checkpoint. The ``safetensors`` package does the parsing and validation; this
file adds what a framework needs around it: paths or file objects, atomic
writes, Ember's dtypes (bfloat16 through ``ml_dtypes``) and errors that name
the file and what is wrong.

``save_safetensors`` / ``load_safetensors`` are the public flat API, for
pretrained weights written by other tools (``safetensors.torch.save_file``).
"""

import json
import math
import os
import secrets

import ml_dtypes
import numpy as np
import safetensors
import safetensors.numpy as safetensors_numpy

from ember.backend import dtype as _dt
from ember.backend.device import Device, as_device, cuda_available
from ember.tensor import Tensor

__all__ = ["CheckpointError", "save_safetensors", "load_safetensors", "read_metadata"]


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, truncated, corrupt or not what was expected.

    The message names the file and what is wrong.
    """


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist (also a ``FileNotFoundError``)."""


# safetensors dtype codes -> NumPy dtypes. Ember tensors take the first ten;
# the unsigned wide integers can still travel as NumPy arrays inside a
# checkpoint (NumPy's MT19937 state is a uint32 array).
_NP_FROM_CODE = {
    "F16": np.dtype(np.float16), "BF16": np.dtype(ml_dtypes.bfloat16),
    "F32": np.dtype(np.float32), "F64": np.dtype(np.float64),
    "I8": np.dtype(np.int8), "I16": np.dtype(np.int16), "I32": np.dtype(np.int32),
    "I64": np.dtype(np.int64), "U8": np.dtype(np.uint8), "BOOL": np.dtype(np.bool_),
    "U16": np.dtype(np.uint16), "U32": np.dtype(np.uint32), "U64": np.dtype(np.uint64),
}
STORABLE_NP_DTYPES = frozenset(_NP_FROM_CODE.values())
_EMBER_NP_DTYPES = frozenset(d.np for d in _dt.ALL)
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_HEADER = 100_000_000  # safetensors' own limit on the JSON header


def describe(f):
    """How a path or file object is named in messages."""
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return f"file object {name!r}" if isinstance(name, str) else f"<{type(f).__name__}>"


def is_path(f):
    return isinstance(f, (str, os.PathLike))


# ---- writing ---------------------------------------------------------------------

def write_arrays(arrays, f, metadata, op):
    """Write ``{name: contiguous ndarray}`` and ``{str: str}`` metadata to a path or file.

    A path is written to a temporary file in the same directory, flushed to
    disk and renamed over the target only when complete, so a crash never
    leaves a half-written checkpoint and an old one survives a failed save.
    """
    if not is_path(f):
        if not hasattr(f, "write"):
            raise TypeError(f"{op}: expected a path (str or os.PathLike) or a binary file "
                            f"object with write(), got {type(f).__name__}")
        f.write(safetensors_numpy.save(arrays, metadata=metadata))
        return
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{op}: cannot write {path!r}: directory {directory!r} "
                                "does not exist")
    # A dot-name beside the target: same filesystem, so os.replace is atomic.
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    try:
        safetensors_numpy.save_file(arrays, tmp, metadata=metadata)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())  # the rename must not reach disk before the data
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def host_array(t):
    """A tensor's data as a C-contiguous NumPy array (copied from the GPU if needed)."""
    return c_contiguous(t.detach().numpy())


def c_contiguous(a):
    """``a`` in row-major order, copied only if needed (np.ascontiguousarray makes 0-d 1-d)."""
    return a if a.flags.c_contiguous else a.copy(order="C")


# ---- reading ---------------------------------------------------------------------

def read_arrays(f, op):
    """``({name: ndarray}, {str: str} metadata)`` from a safetensors path or file object.

    Raises CheckpointError naming the file for anything but a valid file.
    """
    if is_path(f):
        return _read_path(os.fspath(f), describe(f), op)
    if not hasattr(f, "read"):
        raise TypeError(f"{op}: expected a path (str or os.PathLike) or a binary file object "
                        f"with read(), got {type(f).__name__}")
    return _read_bytes(f.read(), describe(f), op)


def _read_path(path, where, op):
    if not os.path.exists(path):
        raise CheckpointNotFoundError(f"{op}: no such file: {where}")
    if os.path.isdir(path):
        raise CheckpointError(f"{op}: {where} is a directory, not a safetensors file")
    try:
        # safe_open memory-maps the file: each tensor is copied out once and
        # the file is never held in memory whole.
        with safetensors.safe_open(path, framework="np") as st:
            metadata = st.metadata() or {}
            arrays = {}
            for name in st.keys():
                check_code(st.get_slice(name).get_dtype(), name, where, op)
                arrays[name] = st.get_tensor(name)
    except safetensors.SafetensorError as e:
        with open(path, "rb") as fh:
            head = fh.read(_MAX_HEADER + 8)
        size = os.path.getsize(path)
        raise CheckpointError(bad_file_message(op, where, head, size, e)) from None
    return arrays, metadata


def _read_bytes(data, where, op):
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{op}: {where} returned {type(data).__name__} from read(); "
                        "open the file in binary mode ('rb')")
    data = bytes(data)
    try:
        entries = safetensors.deserialize(data)
    except safetensors.SafetensorError as e:
        head = data[:_MAX_HEADER + 8]
        raise CheckpointError(bad_file_message(op, where, head, len(data), e)) from None
    arrays = {}
    for name, info in entries:
        dtype = _NP_FROM_CODE[check_code(info["dtype"], name, where, op)]
        # Each tensor's data is its own bytearray: writable memory, as after safe_open.
        arrays[name] = np.frombuffer(info["data"], dtype=dtype).reshape(info["shape"])
    # deserialize validated the header but does not return the metadata.
    header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
    return arrays, header.get("__metadata__") or {}


def check_code(code, name, where, op):
    """``code`` if NumPy can hold this safetensors dtype, else CheckpointError."""
    if code not in _NP_FROM_CODE:
        raise CheckpointError(f"{op}: tensor {name!r} in {where} has dtype {code}, which "
                              f"Ember cannot hold (supported: {', '.join(_NP_FROM_CODE)})")
    return code


def bad_file_message(op, where, head, size, error):
    """What to tell the user about a file safetensors refused.

    ``head`` is the start of the file, ``size`` its length. safetensors says
    what kind of problem it found; the header tells which tensor and by how
    many bytes, which is what the user needs to find a damaged file.
    """
    msg = f"{op}: {where} is not a valid safetensors file ({error})"
    if head.startswith(_ZIP_MAGIC):
        return msg + ("; it looks like a PyTorch torch.save() file (a zip of pickles), which "
                      "Ember never unpickles: re-save it in PyTorch with "
                      "safetensors.torch.save_file(state_dict, path)")
    if size < 8:
        return msg + f"; the file is {size} bytes long, shorter than the 8-byte header length"
    n = int.from_bytes(head[:8], "little")
    if 8 + n > size:
        return msg + f"; the header claims {n} bytes but the file has {size - 8} after its length"
    try:
        header = json.loads(head[8:8 + n])
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            want = math.prod(info["shape"]) * _NP_FROM_CODE[info["dtype"]].itemsize
            if end - begin != want:
                return msg + (f"; tensor {name!r} has shape {info['shape']} and dtype "
                              f"{info['dtype']} ({want} bytes) but its data_offsets "
                              f"[{begin}, {end}] hold {end - begin} bytes")
        data_end = max((i["data_offsets"][1] for k, i in header.items() if k != "__metadata__"),
                       default=0)
    except (ValueError, KeyError, TypeError, AttributeError):
        return msg  # the header itself is what is broken: safetensors said how
    if 8 + n + data_end != size:
        msg += (f"; the header places tensor data up to byte {8 + n + data_end} but the file "
                f"has {size} bytes (truncated or padded?)")
    return msg


def as_tensor_on(arr, device, where, name, op):
    """An Ember tensor sharing ``arr``'s memory, moved to ``device``."""
    if arr.dtype not in _EMBER_NP_DTYPES:
        raise CheckpointError(f"{op}: tensor {name!r} in {where} has dtype {arr.dtype}, "
                              "which Ember tensors cannot hold")
    t = Tensor._wrap(arr, False, None, 0)
    return t if device.type == "cpu" else t.to(device)


def parse_device(device, op, arg):
    """A Device from ``'cpu'``, ``'cuda[:N]'``, a Device or None (the CPU)."""
    if device is not None and not isinstance(device, (str, Device)):
        raise TypeError(f"{op}: {arg} must be a device string ('cpu', 'cuda', 'cuda:1'), an "
                        f"ember.device or None, got {type(device).__name__}")
    dev = as_device("cpu" if device is None else device)  # not the default device: as saved
    if dev.type != "cpu" and not cuda_available():
        raise RuntimeError(f"{op}: {arg}={str(dev)!r} but CUDA is not available; "
                           f"use {arg}='cpu'")
    return dev


# ---- public flat API -------------------------------------------------------------

def save_safetensors(tensors, path, metadata=None):
    """Save a flat ``{name: Tensor}`` dict as a safetensors file.

    The counterpart of ``safetensors.torch.save_file``: any safetensors reader
    (PyTorch, JAX, NumPy) loads the result. Non-contiguous tensors are
    written in row-major order; the write is atomic for paths.

    Args:
        tensors: dict mapping str names to Tensors.
        path: a str / os.PathLike path or a binary file object.
        metadata: optional ``{str: str}`` stored in the header.

    Raises:
        TypeError: a name that is not a str or a value that is not a Tensor.
    """
    op = "save_safetensors"
    if not isinstance(tensors, dict):
        raise TypeError(f"{op}: expected a dict of {{name: Tensor}}, got {type(tensors).__name__}")
    arrays = {}
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"{op}: tensor names must be str, got {type(name).__name__} {name!r}")
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: value for {name!r} must be a Tensor, got {type(t).__name__}")
        if name == "__metadata__":
            raise ValueError(f"{op}: the name '__metadata__' is reserved by safetensors")
        arrays[name] = host_array(t)
    write_arrays(arrays, path, check_metadata(metadata, op, reserved=()), op)


def load_safetensors(path, device="cpu"):
    """Load every tensor of a safetensors file as ``{name: Tensor}``.

    Reads files written by any tool (``safetensors.torch.save_file``,
    Hugging Face weights) as well as Ember's own; names are kept exactly.

    Args:
        path: a str / os.PathLike path or a binary file object.
        device: where to put the tensors ('cpu', 'cuda', 'cuda:N'). Default: 'cpu'.

    Raises:
        CheckpointError: missing, truncated or corrupt file, or a dtype Ember
            has no tensor for (uint16/32/64, float8...).
    """
    op = "load_safetensors"
    dev = parse_device(device, op, "device")
    arrays, _ = read_arrays(path, op)
    where = describe(path)
    return {name: as_tensor_on(a, dev, where, name, op) for name, a in arrays.items()}


def read_metadata(path):
    """The ``{str: str}`` header metadata of a safetensors file (``{}`` if none).

    Ember's ``save`` keeps its own structure record under the key ``"ember"``;
    the ``metadata=`` passed to ``save`` sits beside it.
    """
    return read_arrays(path, "read_metadata")[1]


def check_metadata(metadata, op, reserved):
    """``metadata`` as a fresh ``{str: str}`` dict (None when empty), or TypeError."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise TypeError(f"{op}: metadata must be a dict of str to str, got "
                        f"{type(metadata).__name__}")
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"{op}: metadata must map str to str, got {type(k).__name__} "
                            f"{k!r} -> {type(v).__name__}; encode other values yourself "
                            "(json.dumps)")
        if k in reserved:
            raise ValueError(f"{op}: metadata key {k!r} is reserved by Ember")
    return dict(metadata) or None
