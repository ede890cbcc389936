"""default_collate / default_convert against torch.utils.data on every supported type."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
from ember.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def as_plain(obj):
    """Replace every tensor (Ember or torch) by (dtype name, NumPy array) to compare trees."""
    if isinstance(obj, ember.Tensor):
        return ("tensor", str(obj.dtype).split(".")[-1], obj.numpy().tolist())
    if isinstance(obj, torch.Tensor):
        return ("tensor", str(obj.dtype).split(".")[-1], obj.numpy().tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, {k: as_plain(v) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, [as_plain(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [as_plain(v) for v in obj])
    return obj


def to_torch(sample):
    if isinstance(sample, ember.Tensor):
        return torch.from_numpy(sample.numpy().copy())
    if isinstance(sample, dict):
        return type(sample)((k, to_torch(v)) for k, v in sample.items())
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(to_torch(v) for v in sample))
    if isinstance(sample, (list, tuple)):
        return type(sample)(to_torch(v) for v in sample)
    return sample


BATCHES = {
    "python floats": [1.5, 2.0, -3.25],
    "python ints": [1, 2, 3],
    "python bools": [True, False],
    "strings": ["a", "bc"],
    "bytes": [b"a", b"bc"],
    "numpy float32 arrays": [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
    "numpy uint8 arrays": [np.arange(4, dtype=np.uint8), np.arange(4, dtype=np.uint8)],
    "numpy int64 scalars": [np.int64(3), np.int64(4)],
    "numpy float32 scalars": [np.float32(3.5), np.float32(4)],
    "numpy float64 0-d arrays": [np.array(1.0), np.array(2.0)],
    "ember tensors": [ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0])],
    "ember int tensors": [ember.tensor([[1, 2]]), ember.tensor([[3, 4]])],
    "dicts": [{"a": 1, "b": np.float32(2), "c": "x"}, {"a": 3, "b": np.float32(4), "c": "y"}],
    "tuples": [(1, 2.0), (3, 4.0)],
    "lists": [[1, 2.0], [3, 4.0]],
    "namedtuples": [Point(1, np.ones(2)), Point(2, np.zeros(2))],
    "nested": [{"img": (np.ones(2, np.float32), [1, "s"])}, {"img": (np.ones(2, np.float32),
                                                                      [2, "t"])}],
    "ordered dict": [collections.OrderedDict(a=1.0), collections.OrderedDict(a=2.0)],
}


@pytest.mark.parametrize("name", BATCHES)
def test_default_collate_matches_torch(name):
    batch = BATCHES[name]
    ours = default_collate(batch)
    ref = tud.default_collate([to_torch(s) for s in batch])
    assert as_plain(ours) == as_plain(ref)


@pytest.mark.parametrize("name", ["numpy float32 arrays", "dicts", "tuples", "namedtuples",
                                  "python floats", "numpy int64 scalars"])
def test_default_convert_matches_torch(name):
    sample = BATCHES[name]
    assert as_plain(default_convert(sample)) == as_plain(tud.default_convert(to_torch(sample)))


def test_collate_float_is_float64_regardless_of_default_dtype():
    assert default_collate([1.0, 2.0]).dtype == ember.float64
    assert default_collate([1, 2]).dtype == ember.int64


def test_collate_unequal_sequences_raises_torch_message():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])


def test_collate_unsupported_type_raises():
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors.*object"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors.*<U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_collate_mismatched_tensor_shapes_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"equal size, got shapes \[\(2,\), \(3,\)\]"):
        default_collate([ember.zeros(2), ember.zeros(3)])


def test_collate_keeps_gradient_flow():
    a, b = ember.tensor([1.0], requires_grad=True), ember.tensor([2.0], requires_grad=True)
    default_collate([a, b]).sum().backward()
    assert a.grad.tolist() == [1.0] and b.grad.tolist() == [1.0]
