"""Devices: parsing, equality, repr, and clear errors when CUDA is missing."""

import pickle

import numpy as np
import pytest
import torch

import ember
from ember import Device

needs_no_cuda = pytest.mark.skipif(ember.cuda.is_available(), reason="this machine has CUDA")


@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 1), ("cpu", 0),
                                  ("cuda:12",)])
def test_parsing_and_repr_match_torch(args):
    d, t = Device(*args), torch.device(*args)
    assert (d.type, d.index) == (t.type, t.index)
    assert repr(d) == repr(t)
    assert str(d) == str(t)


def test_int_and_device_arguments():
    assert Device(1) == Device("cuda", 1)
    assert Device(Device("cuda:2")) == Device("cuda:2")
    assert ember.device("cpu") == Device("cpu")  # the lowercase spelling is the same class


def test_equality_with_devices_and_strings():
    assert Device("cuda:1") == Device("cuda", 1)
    assert Device("cuda:1") != Device("cuda:0")
    assert Device("cuda") != Device("cuda:0")  # as in PyTorch: None is not index 0
    assert Device("cpu") == "cpu" and Device("cuda:1") == "cuda:1"  # Ember extension
    assert Device("cpu") != "cuda" and Device("cpu") != "not a device"
    assert Device("cpu") != 3
    assert hash(Device("cuda:1")) == hash(Device("cuda", 1)) == hash("cuda:1")
    assert {Device("cpu"): 1}["cpu"] == 1


def test_device_is_immutable_and_picklable():
    d = Device("cuda:3")
    with pytest.raises(AttributeError, match="immutable"):
        d.index = 0
    assert pickle.loads(pickle.dumps(d)) == d


@pytest.mark.parametrize("bad,match", [
    ("foo", "expected device type 'cpu' or 'cuda'"),
    ("cuda:-1", "invalid device string 'cuda:-1'"),
    ("cuda:x", "invalid device string"),
    ("cuda:0:1", "invalid device string"),
    ("cuda:01", "invalid device string"),
    (" cuda", "expected device type"),
])
def test_bad_strings_raise(bad, match):
    with pytest.raises(RuntimeError, match=match):
        Device(bad)
    with pytest.raises(RuntimeError):
        torch.device(bad)


def test_bad_index_raises():
    with pytest.raises(RuntimeError, match="must not include an index"):
        Device("cuda:0", 1)
    with pytest.raises(RuntimeError, match="index must not be negative"):
        Device("cuda", -1)
    with pytest.raises(TypeError, match="expected an integer index"):
        Device("cuda", 1.5)
    with pytest.raises(TypeError, match="expected a string, an int or a Device"):
        Device(1.5)


def test_tensor_device_metadata():
    x = ember.zeros(2)
    assert x.device == Device("cpu") and x.device == "cpu"
    assert x.get_device() == -1 and not x.is_cuda
    assert x.to("cpu") is x and x.cpu() is x
    assert x.to(Device("cpu")) is x


@needs_no_cuda
def test_cuda_is_unavailable_here():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0


@needs_no_cuda
@pytest.mark.parametrize("move", [
    lambda: ember.zeros(2).cuda(),
    lambda: ember.zeros(2).to("cuda:0"),
    lambda: ember.zeros(2, device="cuda"),
    lambda: ember.tensor([1.0], device="cuda"),
    lambda: ember.randn(2, device="cuda"),
])
def test_moving_to_cuda_without_cupy_raises_clearly(move):
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        move()


@pytest.mark.cuda
def test_cuda_round_trip_keeps_values_and_gradient():
    a = np.arange(6.0).reshape(2, 3)
    x = ember.tensor(a, requires_grad=True)
    y = x.cuda()
    assert y.device == Device("cuda:0") and y.is_cuda and y.get_device() == 0
    assert y.to("cuda") is y  # "cuda" resolves to the current GPU
    z = (y * y).sum()
    z.backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2 * a)
    np.testing.assert_array_equal(y.cpu().detach().numpy(), a)
    assert repr(ember.tensor([1.0], device="cuda")) == "tensor([1.], device='cuda:0')"
    assert pickle.loads(pickle.dumps(y.detach())).device == y.device


def test_default_device_setting_and_context_manager():
    import torch
    assert ember.get_default_device() == "cpu" and str(torch.get_default_device()) == "cpu"
    try:
        ember.set_default_device("cpu")
        assert ember.ones(2).device == "cpu"
        with ember.device("cpu") as d:
            assert d == "cpu" and ember.get_default_device() == "cpu"
            assert ember.nn.Linear(2, 2).weight.device == "cpu"
        ember.set_default_device("cuda")
        assert ember.get_default_device() == "cuda"
        if not ember.cuda.is_available():
            with pytest.raises(RuntimeError, match="CUDA is not available"):
                ember.zeros(2)  # factories follow the default device
        with ember.device("cpu"):
            assert ember.zeros(1).device == "cpu"
        assert ember.get_default_device() == "cuda"  # restored after the block
    finally:
        ember.set_default_device(None)
    assert ember.get_default_device() == "cpu"
    with pytest.raises(RuntimeError, match="expected device type 'cpu' or 'cuda'"):
        ember.set_default_device("nope")
