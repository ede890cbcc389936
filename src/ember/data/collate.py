"""Collation: turning a list of samples into one batch, as ``torch.utils.data`` does.

``default_collate`` stacks tensors and NumPy arrays along a new first
dimension, turns Python floats into a float64 tensor and ints into an int64
one (bools into a bool tensor), keeps strings and bytes as lists, and recurses
into dicts, namedtuples, tuples and lists. ``collate(batch, collate_fn_map=)``
is the extensible engine, keyed by element type, as in PyTorch.
"""

import collections.abc
import copy
import re

import numpy as np

from ember.ops.creation import as_tensor, tensor
from ember.ops.shape import stack
from ember.tensor import Tensor

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map"]

_STR_OR_OBJECT_DTYPE = re.compile(r"[SaUO]")

_ERR_FORMAT = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
               "lists; found {}")


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` (a list of samples) using the type-keyed ``collate_fn_map``.

    The element type of ``batch[0]`` is looked up exactly, then by
    ``isinstance`` in the map's insertion order; containers (mappings,
    namedtuples, sequences) recurse field by field. Each map value is called
    as ``fn(batch, collate_fn_map=collate_fn_map)``.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        fields = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                  for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)  # keeps the mapping's type and extra attributes
                clone.update(fields)
                return clone
            return elem_type(fields)
        except TypeError:  # a mapping type that can't be built from a dict
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map)
                           for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        elem_size = len(elem)
        if any(len(e) != elem_size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [collate(samples, collate_fn_map=collate_fn_map)
                  for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return fields  # PyTorch returns a list for tuples (backwards compatibility)
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, field in enumerate(fields):
                    clone[i] = field
                return clone
            return elem_type(fields)
        except TypeError:
            return fields
    raise TypeError(_ERR_FORMAT.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack same-shaped tensors along a new dimension 0."""
    shapes = {tuple(t.shape) for t in batch}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, "
                           f"got shapes {sorted(shapes)}")
    return stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays become tensors, then stack (string and object arrays are refused)."""
    elem = batch[0]
    if _STR_OR_OBJECT_DTYPE.search(elem.dtype.str) is not None:
        raise TypeError(_ERR_FORMAT.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """NumPy scalars become a 1-d tensor of their dtype."""
    return as_tensor(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    """Python floats become a float64 tensor (PyTorch's choice, not the default dtype)."""
    return tensor(batch, dtype="float64")


def collate_int_fn(batch, *, collate_fn_map=None):
    """Python ints become an int64 tensor; bools a bool tensor."""
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes stay a list."""
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Put a list of samples into one batch with a new leading dimension.

    Tensor -> stacked Tensor; NumPy array -> stacked Tensor; float -> float64
    Tensor; int -> int64 Tensor; str/bytes -> unchanged list; Mapping ->
    same mapping of collated values; namedtuple -> same namedtuple of collated
    fields; tuple -> list of collated fields; list -> list of collated fields.

    Examples:
        >>> default_collate([(0, 1.0), (2, 3.0)])
        [tensor([0, 2]), tensor([1., 3.], dtype=ember.float64)]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Turn NumPy arrays (at any depth) into tensors, without batching.

    The DataLoader's collate function when ``batch_size=None``: one sample
    at a time passes through with arrays converted and everything else kept.
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        if _STR_OR_OBJECT_DTYPE.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        fields = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(fields)
                return clone
            return elem_type(fields)
        except TypeError:
            return fields
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        fields = [default_convert(d) for d in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, field in enumerate(fields):
                    clone[i] = field
                return clone
            return elem_type(fields)
        except TypeError:
            return fields
    return data
