"""``ember.save`` / ``ember.load``: checkpoints as safetensors files, no pickle.

A checkpoint is a tree: ``{"model": state_dict, "optimizer": {"state": {0:
{...}}, "param_groups": [...]}, "epoch": 3}``. Saving splits it in two:

* every Tensor (and NumPy array) becomes one safetensors entry named by its
  dotted path, ``model.fc.weight``, ``optimizer.state.0.exp_avg``; a flat
  state_dict's tensors keep their names exactly, so other tools read the
  weights under PyTorch's names;
* everything else (the shape of the tree, numbers, strings, int keys, tuples)
  is a JSON record in the header metadata under the key ``"ember"``, where
  each tensor appears as ``{"type": "tensor", "key": <entry name>}``.

Because the record names each entry, entry names only need to be unique:
a clash (``{"a.b": x, "a": {"b": y}}``) gets a ``#1`` suffix. Loading reads
the entries and rebuilds the tree from the record; a file without the record
(written by another tool) loads as a flat ``{name: Tensor}`` dict.
"""

import json
import math
from collections import OrderedDict

import numpy as np

from ember.io.safetensors_io import (STORABLE_NP_DTYPES, CheckpointError, as_tensor_on,
                                     c_contiguous, check_metadata, describe, host_array,
                                     parse_device, read_arrays, write_arrays)
from ember.tensor import Tensor

__all__ = ["save", "load"]

METADATA_KEY = "ember"
FORMAT_NAME = "ember.checkpoint"
FORMAT_VERSION = 1
_SUPPORTED = ("dict (str or int keys), list, tuple, int, float, bool, None, str, "
              "ember.Tensor, numpy.ndarray")


def save(obj, f, metadata=None):
    """Save a state_dict or a nested checkpoint to a safetensors file.

    ``obj`` may nest dicts (str or int keys; OrderedDict is kept), lists,
    tuples, ints, floats, bools, None, strs, Tensors (any dtype, any
    device, 0-d and empty included) and NumPy arrays. ``load`` returns the
    same structure: int keys stay ints, tuples stay tuples, tensors keep
    dtype and shape. A tensor that appears twice (tied weights) is stored
    once and comes back as one tensor in both places.

    Args:
        obj: what to save, e.g. ``model.state_dict()`` or
            ``{"model": ..., "optimizer": opt.state_dict(), "epoch": 3}``.
        f: a path (str or os.PathLike), written atomically: to a temporary
            file in the same directory, renamed over ``f`` only when complete;
            or a binary file object open for writing.
        metadata: optional ``{str: str}`` stored in the header beside Ember's
            record; read it back with ``ember.io.read_metadata``.

    Raises:
        TypeError: an unsupported object, naming its key path and type.

    Differs from PyTorch: the file is safetensors, not a zip of pickles:
    arbitrary Python objects (modules, optimizers, dataclasses) cannot be
    saved, and loading one never runs code. Views are saved as their own
    values (no storage sharing between distinct tensors); a subclass such as
    Parameter is saved as a plain Tensor; ``metadata`` is an Ember extension.
    """
    op = "save"
    user_metadata = check_metadata(metadata, op, reserved=(METADATA_KEY,)) or {}
    encoder = _Encoder()
    tree = encoder.encode(obj, ())
    record = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree}
    header = {METADATA_KEY: json.dumps(record, allow_nan=False, separators=(",", ":"))}
    header.update(user_metadata)
    write_arrays(encoder.arrays, f, header, op)


def load(f, map_location=None, *, weights_only=None):
    """Load what ``save`` wrote, or any safetensors file.

    Args:
        f: a path (str or os.PathLike) or a binary file object open for reading.
        map_location: device for the tensors: None or 'cpu' (default), 'cuda',
            'cuda:N' or an ``ember.device``. NumPy arrays stay NumPy arrays.
        weights_only: accepted for PyTorch compatibility and ignored: loading
            is always safe here, as nothing is unpickled.

    Returns:
        The saved structure; for a file without Ember's record (written by
        ``safetensors.torch.save_file`` and the like), ``{name: Tensor}``.

    Raises:
        CheckpointError: the file is missing (also a FileNotFoundError),
            truncated, corrupt, not safetensors, or its record is damaged;
            the message names the file.

    Differs from PyTorch: without ``map_location`` tensors load on the CPU,
    not on the device they were saved from; ``map_location`` takes no dict
    or callable.
    """
    op = "load"
    device = parse_device(map_location, op, "map_location")
    arrays, metadata = read_arrays(f, op)
    where = describe(f)
    if METADATA_KEY not in metadata:
        return {name: as_tensor_on(a, device, where, name, op) for name, a in arrays.items()}
    record = _parse_record(metadata[METADATA_KEY], where, op)
    decoder = _Decoder(arrays, device, where, op)
    try:
        return decoder.decode(record["tree"])
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CheckpointError(f"{op}: the structure record in {where} is damaged "
                              f"({type(e).__name__}: {e})") from None


def _parse_record(text, where, op):
    try:
        record = json.loads(text)
    except ValueError as e:
        raise CheckpointError(f"{op}: the structure record (metadata key {METADATA_KEY!r}) in "
                              f"{where} is not valid JSON: {e}") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT_NAME or "tree" not in record:
        raise CheckpointError(f"{op}: metadata key {METADATA_KEY!r} in {where} does not hold an "
                              f"Ember checkpoint record (expected format {FORMAT_NAME!r})")
    if record.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"{op}: {where} has checkpoint format version "
                              f"{record.get('version')!r}; this Ember reads version "
                              f"{FORMAT_VERSION} (written by a newer Ember?)")
    return record


def _show(path):
    return repr(".".join(map(str, path))) if path else "the top level"


class _Encoder:
    """Turns a checkpoint tree into a JSON-ready record plus ``{entry name: ndarray}``."""

    def __init__(self):
        self.arrays = {}
        self._key_of = {}  # id(tensor) -> entry name: a tensor saved twice is stored once

    def encode(self, obj, path):
        # bool before int (bool is an int); JSON keeps true/1 apart.
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            if math.isfinite(obj):
                return float(obj)
            return {"type": "float", "value": repr(float(obj))}  # JSON has no nan/inf
        if isinstance(obj, Tensor):
            return self._leaf(obj, "tensor", host_array, path)
        if isinstance(obj, np.ndarray):
            return self._leaf(obj, "ndarray", self._numpy_array, path)
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if not isinstance(key, (str, int)):
                    raise TypeError(f"save: dict keys must be str or int, got "
                                    f"{type(key).__name__} {key!r} at {_show(path)}")
                items.append([key, self.encode(value, path + (key,))])
            return {"type": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
        if type(obj) in (list, tuple):
            return {"type": type(obj).__name__,
                    "items": [self.encode(v, path + (i,)) for i, v in enumerate(obj)]}
        raise TypeError(f"save: cannot save an object of type {type(obj).__module__}."
                        f"{type(obj).__qualname__} at {_show(path)}; supported: {_SUPPORTED}")

    def _leaf(self, obj, kind, to_array, path):
        key = self._key_of.get(id(obj))
        if key is None:
            key = self._free_name(".".join(map(str, path)) or kind)
            self.arrays[key] = to_array(obj)
            self._key_of[id(obj)] = key
        node = {"type": kind, "key": key}
        if kind == "tensor" and obj.requires_grad:
            node["requires_grad"] = True
        return node

    def _free_name(self, name):
        if name not in self.arrays and name != "__metadata__":
            return name
        n = 1
        while f"{name}#{n}" in self.arrays:
            n += 1
        return f"{name}#{n}"

    @staticmethod
    def _numpy_array(a):
        a = c_contiguous(a)
        if a.dtype.newbyteorder("=") not in STORABLE_NP_DTYPES:
            raise TypeError(f"save: cannot save a NumPy array of dtype {a.dtype}; supported: "
                            + ", ".join(sorted(str(d) for d in STORABLE_NP_DTYPES)))
        return a


class _Decoder:
    """Rebuilds the checkpoint tree from the record and the loaded arrays."""

    def __init__(self, arrays, device, where, op):
        self.arrays, self.device, self.where, self.op = arrays, device, where, op
        self._tensors = {}  # entry name -> Tensor: shared in the save, shared after load

    def decode(self, node):
        if not isinstance(node, dict):
            return node
        kind = node["type"]
        if kind in ("dict", "odict"):
            items = ((key, self.decode(value)) for key, value in node["items"])
            return OrderedDict(items) if kind == "odict" else dict(items)
        if kind == "list":
            return [self.decode(v) for v in node["items"]]
        if kind == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if kind == "float":
            return float(node["value"])
        if kind == "tensor":
            return self._tensor(node)
        if kind == "ndarray":
            return self._array(node["key"])
        raise CheckpointError(f"{self.op}: the structure record in {self.where} has an unknown "
                              f"node type {kind!r}")

    def _array(self, key):
        if key not in self.arrays:
            raise CheckpointError(f"{self.op}: {self.where} has no tensor {key!r}, which its "
                                  "structure record refers to")
        return self.arrays[key]

    def _tensor(self, node):
        key = node["key"]
        t = self._tensors.get(key)
        if t is None:
            t = as_tensor_on(self._array(key), self.device, self.where, key, self.op)
            if node.get("requires_grad"):
                t.requires_grad_()
            self._tensors[key] = t
        return t
