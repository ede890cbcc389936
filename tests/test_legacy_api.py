"""Legacy PyTorch API that scripts still use, against torch: the typed tensor classes
(``FloatTensor``...), ``Tensor.type`` with them, and memory formats
(``channels_last``...) on ``to``, ``contiguous`` and ``is_contiguous``."""

import pickle

import numpy as np
import pytest
import torch

import ember
from reference import check, close, lib_of

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
         "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]
DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool"]


# ---- legacy tensor types ----------------------------------------------------------

@pytest.mark.parametrize("name, dtype", list(zip(NAMES, DTYPES)))
def test_legacy_constructor_from_data_matches_torch(name, dtype):
    data = [[1, 0], [3, 4]]
    ours, ref = getattr(ember, name)(data), getattr(torch, name)(data)
    assert ours.dtype == getattr(ember, dtype) and type(ours) is ember.Tensor
    assert str(ref.dtype) == f"torch.{dtype}"
    close(ours.float(), ref.float())
    assert not ours.requires_grad


@pytest.mark.parametrize("args, shape", [((3,), (3,)), ((2, 3), (2, 3)), ((), (0,)),
                                         (([],), (0,)), (((2, 3),), (2,)), ((0, 4), (0, 4))])
def test_legacy_constructor_shapes_match_torch(args, shape):
    for name in ("FloatTensor", "LongTensor"):
        ours, ref = getattr(ember, name)(*args), getattr(torch, name)(*args)
        assert tuple(ours.shape) == tuple(ref.shape) == shape


def test_legacy_constructor_converts_like_torch():
    close(ember.LongTensor([1.7, 2.2]), torch.LongTensor([1.7, 2.2]))
    close(ember.FloatTensor((2, 3)), torch.FloatTensor((2, 3)))  # a tuple is data
    close(ember.FloatTensor(np.array([1, 2])), torch.FloatTensor(np.array([1, 2])))
    assert ember.FloatTensor([1.5], device="cpu").tolist() == [1.5]


def test_legacy_constructor_from_a_tensor_shares_its_data():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.FloatTensor(a)
    ta = torch.tensor([1.0, 2.0], requires_grad=True)
    tb = torch.FloatTensor(ta)
    assert (b is a) is (tb is ta) is False
    assert b.requires_grad is tb.requires_grad is True
    assert b.data_ptr() == a.data_ptr()


def test_legacy_constructor_errors():
    with pytest.raises(TypeError, match=r"ember.FloatTensor: expected a cpu tensor of dtype "
                                        r"ember.float32, got ember.int64 on cpu"):
        ember.FloatTensor(ember.tensor([1, 2]))
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="ember.FloatTensor: data must be a sequence, got float"):
        ember.FloatTensor(3.5)
    with pytest.raises(TypeError, match="data must be a sequence"):
        torch.FloatTensor(3.5)
    with pytest.raises(RuntimeError, match="ember.LongTensor: trying to create a tensor with "
                                           r"negative dimension: \[2, -1\]"):
        ember.LongTensor(2, -1)
    with pytest.raises(RuntimeError, match="negative dimension"):
        torch.LongTensor(2, -1)
    with pytest.raises(TypeError, match="ember.FloatTensor: expected a shape of ints"):
        ember.FloatTensor(2, "a")
    with pytest.raises(TypeError):
        torch.FloatTensor(2, "a")
    with pytest.raises(TypeError):
        ember.FloatTensor([1], dtype=ember.float64)
    with pytest.raises(RuntimeError, match="legacy constructor expects device type cpu, got "
                                           "cuda"):
        ember.FloatTensor([1], device="cuda")
    with pytest.raises(RuntimeError, match="legacy constructor expects device type: cpu"):
        torch.FloatTensor([1], device="cuda")


@pytest.mark.skipif(ember.cuda.is_available(), reason="behaviour without a GPU")
def test_cuda_legacy_types_without_a_gpu():
    with pytest.raises(TypeError, match="type ember.cuda.FloatTensor not available"):
        ember.cuda.FloatTensor([1.0])
    with pytest.raises(TypeError, match="not available"):
        torch.cuda.FloatTensor([1.0])
    assert not isinstance(ember.ones(2), ember.cuda.FloatTensor)
    assert not isinstance(torch.ones(2), torch.cuda.FloatTensor)


@pytest.mark.parametrize("dtype", DTYPES)
def test_isinstance_matches_torch(dtype):
    ours = ember.zeros(2, dtype=getattr(ember, dtype))
    ref = torch.zeros(2, dtype=getattr(torch, dtype))
    for name in NAMES:
        assert isinstance(ours, getattr(ember, name)) == isinstance(ref, getattr(torch, name)), \
            name
    assert isinstance(ours, ember.Tensor)


def test_legacy_types_as_classes():
    p = ember.nn.Parameter(ember.ones(2))
    assert isinstance(p, ember.FloatTensor)
    assert isinstance(torch.nn.Parameter(torch.ones(2)), torch.FloatTensor)
    assert not isinstance([1.0], ember.FloatTensor)
    assert issubclass(ember.FloatTensor, ember.Tensor) is issubclass(torch.FloatTensor,
                                                                     torch.Tensor) is False
    assert repr(ember.FloatTensor) == "<class 'ember.FloatTensor'>"
    assert repr(ember.cuda.LongTensor) == "<class 'ember.cuda.LongTensor'>"
    assert ember.FloatTensor.dtype is ember.float32 and ember.FloatTensor.is_cuda is False
    assert ember.typename(ember.FloatTensor) == "ember.FloatTensor"
    assert torch.typename(torch.FloatTensor) == "torch.FloatTensor"
    assert pickle.loads(pickle.dumps(ember.LongTensor)) is ember.LongTensor


# ---- Tensor.type ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_type_name_is_torchs_with_embers_prefix(dtype):
    ours = ember.zeros(2, dtype=getattr(ember, dtype)).type()
    ref = torch.zeros(2, dtype=getattr(torch, dtype)).type()
    assert ours == "ember." + ref[len("torch."):]


@pytest.mark.parametrize("target", [lambda lib: lib.LongTensor, lambda lib: "torch.LongTensor",
                                    lambda lib: "ember.LongTensor", lambda lib: lib.int64])
def test_type_casts_like_torch(target):
    x, tx = ember.tensor([1.5, -2.5]), torch.tensor([1.5, -2.5])
    ours = x.type(target(ember))
    ref = tx.type(target(torch)) if target(ember) != "ember.LongTensor" else tx.long()
    assert ours.dtype is ember.int64
    close(ours, ref)


def test_type_returns_self_when_nothing_changes_and_keeps_the_graph():
    x, tx = ember.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0])
    assert x.type(ember.FloatTensor) is x and tx.type(torch.FloatTensor) is tx
    assert x.type("torch.FloatTensor") is x and tx.type("torch.FloatTensor") is tx
    y = x.type(ember.DoubleTensor)
    (y * y).sum().backward()
    assert x.grad.dtype is ember.float32 and x.grad.tolist() == [2.0, 4.0]


def test_type_refuses_unknown_names_like_torch():
    for bad in ("torch.Foo", "foo", "torch.float32"):
        with pytest.raises(ValueError, match=f"type: invalid type: '{bad}'"):
            ember.ones(2).type(bad)
    with pytest.raises(ValueError, match="invalid type"):
        torch.ones(2).type("torch.Foo")


def test_module_type_takes_a_legacy_type():
    m = ember.nn.Linear(2, 3).type(ember.DoubleTensor)
    assert m.weight.dtype is ember.float64 and m.bias.dtype is ember.float64


# ---- memory formats ---------------------------------------------------------------

FORMATS = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]
# Not empty shapes: NumPy gives every empty array zero strides, so Ember's stride()
# of an empty tensor is all zeros in any format.
SHAPES_4D = [(2, 3, 4, 5), (2, 1, 4, 1), (2, 3, 1, 1), (1, 3, 4, 5)]


def both(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return ember.tensor(a), torch.tensor(a)


def test_memory_format_objects():
    for name in FORMATS:
        fmt = getattr(ember, name)
        assert isinstance(fmt, ember.memory_format)
        assert repr(fmt) == "ember." + repr(getattr(torch, name))[len("torch."):]
        assert pickle.loads(pickle.dumps(fmt)) is fmt


@pytest.mark.parametrize("shape", SHAPES_4D)
def test_to_channels_last_gives_torchs_strides(shape):
    x, tx = both(shape)
    y, ty = x.to(memory_format=ember.channels_last), tx.to(memory_format=torch.channels_last)
    assert y.stride() == ty.stride()
    assert (y is x) == (ty is tx)
    close(y, ty)
    assert y.is_contiguous() == ty.is_contiguous()
    assert y.is_contiguous(memory_format=ember.channels_last) == \
        ty.is_contiguous(memory_format=torch.channels_last)
    back, tback = (y.to(memory_format=ember.contiguous_format),
                   ty.to(memory_format=torch.contiguous_format))
    assert back.stride() == tback.stride() and (back is y) == (tback is ty)
    assert y.to(memory_format=ember.channels_last) is y
    assert ty.to(memory_format=torch.channels_last) is ty
    close(back, tback)


@pytest.mark.parametrize("shape", SHAPES_4D)
def test_contiguous_with_a_format_matches_torch(shape):
    x, tx = both(shape)
    y, ty = (x.contiguous(memory_format=ember.channels_last),
             tx.contiguous(memory_format=torch.channels_last))
    assert y.stride() == ty.stride() and (y is x) == (ty is tx)
    z, tz = y.contiguous(), ty.contiguous()
    assert z.stride() == tz.stride() and (z is y) == (tz is ty)
    close(z, tz)


@pytest.mark.parametrize("make", [lambda lib, x: x, lambda lib, x: x.permute(0, 2, 3, 1),
                                  lambda lib, x: x.permute(0, 3, 1, 2),
                                  lambda lib, x: x.transpose(2, 3), lambda lib, x: x[:, ::2],
                                  lambda lib, x: x[0], lambda lib, x: x.reshape(-1),
                                  lambda lib, x: x.to(memory_format=lib.channels_last)[:, :, 1:]])
def test_is_contiguous_per_format_matches_torch(make):
    x, tx = both((2, 3, 4, 5))
    y, ty = make(ember, x), make(torch, tx)
    for name in ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format"):
        assert y.is_contiguous(memory_format=getattr(ember, name)) == \
            ty.is_contiguous(memory_format=getattr(torch, name)), name
    assert y.is_contiguous() == ty.is_contiguous()


def test_channels_last_3d_matches_torch():
    x, tx = both((2, 3, 4, 5, 6))
    y = x.to(memory_format=ember.channels_last_3d)
    ty = tx.to(memory_format=torch.channels_last_3d)
    assert y.stride() == ty.stride()
    assert y.is_contiguous(memory_format=ember.channels_last_3d)
    assert not y.is_contiguous(memory_format=ember.channels_last)
    close(y, ty)


def test_dtype_conversion_with_a_memory_format_matches_torch():
    x, tx = both((2, 3, 4, 5))
    y = x.to(ember.float32, memory_format=ember.channels_last)
    ty = tx.to(torch.float32, memory_format=torch.channels_last)
    assert y.dtype is ember.float32 and y.stride() == ty.stride()
    # a cast keeps a channels-last layout, as PyTorch's does
    assert y.double().stride() == ty.double().stride()
    assert x.to(memory_format=ember.preserve_format) is x


def test_gradients_flow_through_memory_format_changes():
    a = np.random.default_rng(1).standard_normal((2, 3, 4, 5))
    check(lambda x: x.to(memory_format=lib_of(x).channels_last).sin() * x, a)
    check(lambda x: x.contiguous(memory_format=lib_of(x).channels_last)
          .to(memory_format=lib_of(x).contiguous_format).pow(2), a)


def test_conv_on_a_channels_last_input_matches_torch():
    x, tx = both((2, 3, 6, 6))
    w, tw = both((4, 3, 3, 3), seed=1)
    out = ember.nn.functional.conv2d(x.to(memory_format=ember.channels_last), w)
    ref = torch.nn.functional.conv2d(tx.to(memory_format=torch.channels_last), tw)
    close(out, ref)


def test_memory_format_errors_match_torch():
    x, tx = both((2, 3))
    for name, rank in (("channels_last", 4), ("channels_last_3d", 5)):
        msg = f"required rank {rank} tensor to use {name} format"
        for call in (lambda lib, t: t.to(memory_format=getattr(lib, name)),
                     lambda lib, t: t.contiguous(memory_format=getattr(lib, name))):
            with pytest.raises(RuntimeError, match=msg):
                call(ember, x)
            with pytest.raises(RuntimeError, match=msg):
                call(torch, tx)
    assert not x.is_contiguous(memory_format=ember.channels_last)
    with pytest.raises(TypeError, match="to: expected memory_format to be an "
                                        "ember.memory_format, got str"):
        x.to(memory_format="channels_last")
    with pytest.raises(TypeError):
        tx.to(memory_format="channels_last")
    with pytest.raises(TypeError, match="contiguous: expected memory_format to be an "
                                        "ember.memory_format, got int"):
        x.contiguous(memory_format=3)
    y, ty = both((2, 3, 4, 5))
    y, ty = y.to(memory_format=ember.channels_last), ty.to(memory_format=torch.channels_last)
    with pytest.raises(RuntimeError, match="contiguous: preserve memory format is unsupported"):
        y.contiguous(memory_format=ember.preserve_format)
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
        ty.contiguous(memory_format=torch.preserve_format)
    z = ember.ones(2, 3)
    assert z.contiguous(memory_format=ember.preserve_format) is z
