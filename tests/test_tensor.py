"""The Tensor object: metadata, conversion, Python protocol, printing — against PyTorch."""

import copy
import operator
import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember._format import get_printoptions, printoptions, set_printoptions
from reference import check, rand


def pair(a):
    """The same float64 data as an Ember and a torch tensor."""
    return ember.tensor(a), torch.tensor(a)


# ---- metadata -----------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 3, 4)])
def test_metadata_matches_torch(shape):
    x, xt = pair(rand(shape))
    assert x.shape == tuple(xt.shape) == x.size()
    assert x.ndim == xt.ndim == x.dim() == x.ndimension()
    assert x.numel() == xt.numel() == x.nelement() == ember.numel(x)
    assert x.dtype is ember.float64 and x.device == "cpu"
    assert x.is_contiguous() and x.stride() == xt.stride()
    assert x.element_size() == xt.element_size()
    assert x.is_leaf and not x.requires_grad and x.grad is None and x.grad_fn is None
    assert x.is_floating_point() and ember.is_floating_point(x) and ember.is_tensor(x)
    for d in range(-len(shape), len(shape)):
        assert x.size(d) == xt.size(d) and x.stride(d) == xt.stride(d)


def test_byte_and_sign_metadata_match_torch():
    for name in ("float16", "bfloat16", "float64", "int8", "uint8", "bool"):
        x = ember.zeros(2, 3, dtype=getattr(ember, name))
        xt = torch.zeros(2, 3, dtype=getattr(torch, name))
        assert (x.itemsize, x.nbytes, x.is_signed(), x.is_complex()) == \
            (xt.itemsize, xt.nbytes, xt.is_signed(), xt.is_complex())


def test_new_factories_default_to_this_tensors_dtype():
    x, xt = ember.zeros(2, dtype=ember.int32), torch.zeros(2, dtype=torch.int32)
    for name, args in [("new_zeros", ((2, 3),)), ("new_ones", (2, 3)), ("new_empty", ((4,),)),
                       ("new_full", ((2,), 7)), ("new_tensor", ([1, 2],))]:
        ours, ref = getattr(x, name)(*args), getattr(xt, name)(*args)
        assert ours.shape == tuple(ref.shape) and ours.dtype.name == str(ref.dtype)[6:]
        if name != "new_empty":
            assert ours.tolist() == ref.tolist()
    assert x.new_zeros(2, dtype=ember.float64).dtype is ember.float64
    assert ember.ones(1).new_ones(3, requires_grad=True).requires_grad


def test_random_methods():
    ember.manual_seed(0)
    p = ember.tensor([0.0, 1.0])
    assert p.bernoulli().tolist() == [0.0, 1.0]
    assert ember.tensor([0.0, 0.0, 1.0]).multinomial(3, True).tolist() == [2, 2, 2]


def test_size_and_stride_dim_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(IndexError, match=r"size: dimension out of range \(expected to be in "
                                         r"range of \[-2, 1\], but got 2\)"):
        x.size(2)
    with pytest.raises(IndexError, match="stride: dimension out of range"):
        x.stride(-3)


def test_views_have_torch_strides_and_contiguity():
    x, xt = pair(rand((3, 4)))
    for f in (lambda t: t.T, lambda t: t.mT, lambda t: t[:, 1:3], lambda t: t[::2]):
        assert f(x).stride() == f(xt).stride()
        assert f(x).is_contiguous() == f(xt).is_contiguous()
    assert x.T.shape == (4, 3) and x.mT.shape == (4, 3)
    b = ember.zeros(5, 2, 3)
    assert b.mT.shape == (5, 3, 2) and b.T.shape == (3, 2, 5)


def test_mT_needs_two_dims():
    with pytest.raises(RuntimeError, match="tensor.mT is only supported on matrices or batches "
                                           "of matrices, got a 1-D tensor"):
        ember.zeros(3).mT


def test_is_leaf_and_graph_metadata():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    assert y.grad_fn.name() == "MulBackward0"
    assert y.detach().is_leaf and not y.detach().requires_grad


# ---- conversion ---------------------------------------------------------------------

def test_numpy_shares_memory_and_refuses_requires_grad():
    x = ember.zeros(3)
    a = x.numpy()
    a[0] = 5
    assert x[0].item() == 5
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"numpy\(\): can't call numpy\(\) on a tensor that "
                                           r"requires grad; use tensor.detach\(\).numpy\(\)"):
        w.numpy()
    assert w.detach().numpy().shape == (2,)
    assert w.numpy(force=True).shape == (2,)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "int8", "uint8",
                                   "int32", "int64", "bool"])
def test_item_and_tolist_give_python_numbers_like_torch(dtype):
    a = np.array([[0, 1, 2], [3, 1, 0]])
    x = ember.tensor(a).to(getattr(ember, dtype))
    xt = torch.tensor(a).to(getattr(torch, dtype))
    assert x.tolist() == xt.tolist()
    assert all(type(u) is type(v) for u, v in zip(x.tolist()[0], xt.tolist()[0]))
    assert x[1, 0].item() == xt[1, 0].item() and type(x[1, 0].item()) is type(xt[1, 0].item())
    assert x[0, 1].tolist() == xt[0, 1].tolist()  # 0-d: a number, not a list


def test_item_needs_one_element():
    assert ember.tensor([[2.5]]).item() == 2.5
    with pytest.raises(RuntimeError, match=r"item\(\): a Tensor with 2 elements cannot be "
                                           "converted to a Python scalar"):
        ember.zeros(2).item()
    with pytest.raises(RuntimeError, match="a Tensor with 0 elements"):
        ember.zeros(0).item()


def test_array_protocol():
    x = ember.tensor([1.0, 2.0])
    a = np.asarray(x)
    assert a.dtype == np.float32 and np.shares_memory(a, x._array)
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert not np.shares_memory(np.array(x, copy=True), x._array)
    assert np.asarray(ember.ones(2, requires_grad=True)).shape == (2,)


def test_to_forms_match_torch():
    x, xt = pair(rand((2, 3)))
    assert x.to(ember.float32).dtype is ember.float32
    assert x.to("cpu") is x and x.to(ember.float64) is x
    assert x.to("cpu", ember.float16).dtype is ember.float16
    assert x.to(device="cpu", dtype=ember.int32).dtype is ember.int32
    assert x.to(ember.ones(1, dtype=ember.int8)).dtype is ember.int8
    assert x.to(float).dtype is ember.float64 and xt.to(float).dtype is torch.float64
    c = x.to(ember.float64, copy=True)
    assert c is not x and not np.shares_memory(c._array, x._array)
    c2 = x.to(ember.float64, False, True)  # positional non_blocking, copy
    assert c2 is not x
    assert x.to(ember.float64, non_blocking=True) is x


def test_to_errors():
    x = ember.zeros(2)
    with pytest.raises(TypeError, match=r"to: unexpected keyword argument\(s\) \['dytpe'\]"):
        x.to(dytpe=ember.float64)
    with pytest.raises(RuntimeError, match="expected device type 'cpu' or 'cuda'"):
        x.to(device="gpu")
    with pytest.raises(TypeError, match="to: expected at most two flags"):
        x.to(ember.float64, False, True, True)


@pytest.mark.parametrize("method,dtype", [("double", torch.float64), ("float", torch.float32),
                                          ("half", torch.float16), ("bfloat16", torch.bfloat16)])
def test_cast_keeps_graph_and_gradient_comes_back_in_source_dtype(method, dtype):
    a = rand((3, 4))
    for src in (torch.float32, torch.float64):
        x = ember.tensor(a, dtype=getattr(ember, str(src)[6:]), requires_grad=True)
        xt = torch.tensor(a, dtype=src, requires_grad=True)
        y, yt = getattr(x, method)(), getattr(xt, method)()
        assert y.dtype.name == str(yt.dtype)[6:]
        assert (y.grad_fn is None) == (yt.grad_fn is None)
        (y * y).sum().backward()
        (yt * yt).sum().backward()
        assert x.grad.dtype is x.dtype and xt.grad.dtype is xt.dtype
        np.testing.assert_allclose(x.grad.numpy().astype(np.float64),
                                   xt.grad.double().numpy(), rtol=1e-2)


def test_cast_second_derivatives_match_torch():
    check(lambda x: (x.float().double() ** 3).sum(), rand((2, 3)), rtol=1e-6, atol=1e-6)
    check(lambda x: x.to(x.dtype) * x, rand((4,)))


def test_cast_to_integer_cuts_the_graph():
    x = ember.ones(2, requires_grad=True)
    assert not x.long().requires_grad and not x.bool().requires_grad


# ---- Python protocol ----------------------------------------------------------------

def test_len_iter_bool_and_numbers():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(x) == 2
    rows = list(x)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    assert bool(ember.tensor([1.0])) and not bool(ember.tensor(0))
    assert float(ember.tensor([[2.5]])) == 2.5 and int(ember.tensor(3.9)) == 3
    assert operator.index(ember.tensor(4)) == 4
    assert [10, 11, 12][ember.tensor(1)] == 11


@pytest.mark.parametrize("call,err,match", [
    (lambda: len(ember.tensor(1.0)), TypeError, "len\\(\\) of a 0-d tensor"),
    (lambda: iter(ember.tensor(1.0)), TypeError, "iteration over a 0-d tensor"),
    (lambda: bool(ember.zeros(2)), RuntimeError, "Boolean value of a tensor with 2 elements is "
                                                 "ambiguous"),
    (lambda: float(ember.zeros(2)), RuntimeError, "a Tensor with 2 elements cannot be converted"),
    (lambda: operator.index(ember.tensor(1.0)), TypeError, "only integer tensors of a single "
                                                           "element can be converted to an index"),
    (lambda: operator.index(ember.tensor([1, 2])), TypeError, "only integer tensors"),
    (lambda: [1, 2] in ember.zeros(2), RuntimeError, "__contains__ only supports a Tensor or "
                                                     "a number, got list"),
    (lambda: f"{ember.zeros(2):.2f}", TypeError, "unsupported format string"),
])
def test_protocol_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_contains_and_format():
    x = ember.tensor([1.0, 2.0, 3.0])
    assert 2 in x and 2.0 in x and 5 not in x and ember.tensor(3.0) in x
    assert f"{ember.tensor(2.5):.2f}" == "2.50" == f"{torch.tensor(2.5):.2f}"
    assert f"{x}" == str(x)


def test_hash_is_identity():
    x, y = ember.zeros(2), ember.zeros(2)
    assert hash(x) != hash(y) and len({x, y, x}) == 2
    assert {x: 1}[x] == 1


def test_deepcopy_copies_data_grad_and_flags():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.is_leaf
    assert y.tolist() == [1.0, 2.0] and y.grad.tolist() == [2.0, 4.0]
    y._array[0] = 9
    assert x.tolist() == [1.0, 2.0]
    both = copy.deepcopy([x, x])
    assert both[0] is both[1]  # the memo keeps shared references shared


def test_deepcopy_of_a_non_leaf_raises_like_torch():
    y = ember.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only tensors created explicitly by the user"):
        copy.deepcopy(y)
    with pytest.raises(RuntimeError):
        copy.deepcopy(torch.ones(2, requires_grad=True) * 2)


class _Tagged(ember.Tensor):
    """A subclass with attributes, as nn.Parameter is."""


def test_deepcopy_and_pickle_keep_subclass_and_attributes():
    t = _Tagged([1.0, 2.0])
    t.tag = "w"
    for c in (copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert type(c) is _Tagged and c.tag == "w" and c.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16", "int64", "bool"])
def test_pickle_round_trip(dtype):
    x = ember.tensor([[1, 0], [2, 3]]).to(getattr(ember, dtype))
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype is x.dtype and y.tolist() == x.tolist() and y.device == x.device
    w = ember.tensor([1.5], requires_grad=True)
    w2 = pickle.loads(pickle.dumps(w))
    assert w2.requires_grad and w2.is_leaf and w2.tolist() == [1.5]


def test_tensor_constructor_like_torch():
    assert ember.Tensor().shape == tuple(torch.Tensor().shape) == (0,)
    assert ember.Tensor(2, 3).shape == (2, 3) and ember.Tensor(2, 3).dtype is ember.float32
    assert ember.Tensor([1, 2]).dtype is ember.float32
    assert ember.Tensor([1, 2]).tolist() == torch.Tensor([1, 2]).tolist()


# ---- printing -----------------------------------------------------------------------

REPR_CASES = {
    "integer_floats": lambda m: m.tensor([1., 2.]),
    "general": lambda m: m.tensor([1.5, -2.25, 3.14159]),
    "sci_small": lambda m: m.tensor([1e-5, 1.0]),
    "sci_big": lambda m: m.tensor([1e9, 1.0]),
    "sci_ratio": lambda m: m.tensor([1.0, 1234.5]),
    "sci_ratio_ints": lambda m: m.tensor([1.0, 12345.0]),
    "sci_negative": lambda m: m.tensor([-1e-7, 3e3, 5.]),
    "ints": lambda m: m.tensor([1, -20, 300]),
    "bools": lambda m: m.tensor([True, False]),
    "bool_matrix": lambda m: m.tensor([[True], [False]]),
    "zero_d": lambda m: m.tensor(3.5),
    "zero_d_int": lambda m: m.tensor(7),
    "zero_d_f64": lambda m: m.tensor(3.5, dtype=m.float64),
    "empty": lambda m: m.tensor([]),
    "empty_int": lambda m: m.tensor([], dtype=m.int64),
    "empty_2d": lambda m: m.zeros(0, 3),
    "empty_2d_int32": lambda m: m.zeros(2, 0, dtype=m.int32),
    "empty_3d_f64": lambda m: m.zeros(2, 0, 3, dtype=m.float64),
    "matrix": lambda m: m.tensor([[1.5, 2], [3, 4]]),
    "matrix_ints": lambda m: m.tensor([[-1, 10], [100, -1000]]),
    "column": lambda m: m.arange(5.).reshape(5, 1),
    "3d": lambda m: m.arange(24.).reshape(2, 3, 4) / 7,
    "requires_grad": lambda m: m.tensor([1., 2.], requires_grad=True),
    "grad_fn": lambda m: m.tensor([1., 2.], requires_grad=True) * 2,
    "f64": lambda m: m.tensor([1.5, 2.5], dtype=m.float64),
    "f16": lambda m: m.tensor([1.5, 2.1], dtype=m.float16),
    "bf16": lambda m: m.tensor([1.5, 2.1], dtype=m.bfloat16),
    "f16_large": lambda m: m.tensor([60000., 1.], dtype=m.float16),
    "i32": lambda m: m.tensor([1, 2], dtype=m.int32),
    "u8": lambda m: m.tensor([1, 255], dtype=m.uint8),
    "nan_inf": lambda m: m.tensor([float("nan"), float("inf"), -float("inf"), 1.5]),
    "nan_integers": lambda m: m.tensor([float("nan"), 1.0, 2.0]),
    "all_nan": lambda m: m.tensor([float("nan")]),
    "zeros": lambda m: m.zeros(3),
    "negative_zero": lambda m: m.tensor([-0.0, 1.0]),
    "wrapped_row": lambda m: m.arange(40.) / 3,
    "wrapped_ints": lambda m: m.arange(100),
    "summarised": lambda m: m.arange(2000),
    "summarised_floats": lambda m: m.arange(2000.) / 3,
    "summarised_2d": lambda m: m.arange(3000.).reshape(50, 60),
    "summarised_3d": lambda m: m.arange(4000).reshape(10, 20, 20),
    "suffix_wraps": lambda m: (m.arange(8.).reshape(2, 4) / 3).double().requires_grad_(),
    "suffix_wraps_row": lambda m: (m.arange(9.) / 3).double().requires_grad_(),
    "f64_grad_fn": lambda m: m.tensor([1.5, 2.5], dtype=m.float64, requires_grad=True) * 2,
    "cast_grad_fn": lambda m: m.tensor([1.5, 2.5], requires_grad=True).double(),
}


@pytest.mark.parametrize("name", list(REPR_CASES))
def test_repr_matches_torch(name):
    make = REPR_CASES[name]
    ours, ref = repr(make(ember)), repr(make(torch)).replace("torch.", "ember.")
    assert ours == ref
    assert str(make(ember)) == ours


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 6), min_size=0, max_size=3),
       scale=st.sampled_from([1e-6, 1e-3, 1.0, 7.0, 1e3, 1e9]),
       dtype=st.sampled_from(["float32", "float64", "float16", "int64", "int32", "bool"]),
       integral=st.booleans(), seed=st.integers(0, 2**16))
def test_repr_matches_torch_on_random_tensors(shape, scale, dtype, integral, seed):
    a = np.random.default_rng(seed).standard_normal(shape) * scale
    if integral or dtype in ("int64", "int32", "bool"):
        a = np.round(a)
    if dtype == "float16":
        a = np.clip(a, -6e4, 6e4)
    x = ember.tensor(a).to(getattr(ember, dtype))
    xt = torch.tensor(a).to(getattr(torch, dtype))
    assert repr(x) == repr(xt).replace("torch.", "ember.")


@pytest.mark.parametrize("options", [dict(precision=2), dict(sci_mode=True), dict(sci_mode=False),
                                     dict(threshold=5, edgeitems=2), dict(linewidth=30),
                                     dict(profile="short"), dict(edgeitems=0, threshold=3)])
def test_print_options_match_torch(options):
    cases = [lambda m: m.arange(12.).reshape(3, 4) / 7, lambda m: m.tensor([1e-6, 1.0, 123.0]),
             lambda m: m.arange(10)]
    for make in cases:
        with printoptions(**options), torch._tensor_str.printoptions(**options):
            assert repr(make(ember)) == repr(make(torch))
    assert get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                  "linewidth": 80, "sci_mode": None}


def test_set_printoptions_rejects_unknown_profile():
    with pytest.raises(ValueError, match="set_printoptions: expected profile in"):
        set_printoptions(profile="long")


def test_shape_and_size_are_sizes_like_torchs():
    import pickle
    x, xt = ember.ones(2, 3), torch.ones(2, 3)
    for ours, theirs in ((x.shape, xt.shape), (x.size(), xt.size())):
        assert isinstance(ours, ember.Size) and isinstance(ours, tuple)
        assert ours == theirs == (2, 3) and ours.numel() == theirs.numel() == 6
        assert repr(ours) == repr(theirs).replace("torch", "ember") == "ember.Size([2, 3])"
        for a, b in ((ours[1:], theirs[1:]), (ours + (4,), theirs + (4,)),
                     ((1,) + ours, (1,) + theirs), (ours * 2, theirs * 2)):
            assert type(a) is ember.Size and tuple(a) == tuple(b)
    assert ember.Size([]).numel() == torch.Size([]).numel() == 1
    assert x.size(1) == 3 and type(x.size(1)) is int
    assert pickle.loads(pickle.dumps(x.shape)) == (2, 3)
    assert ember.zeros(x.shape).shape == (2, 3) and x.view(x.size(0), -1).shape == (2, 3)
