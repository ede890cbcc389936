"""dtypes: promotion tables, result types, default dtype, attributes, casts — against PyTorch."""

import itertools
import pickle

import numpy as np
import pytest
import torch

import ember
from ember.backend.dtype import as_dtype, finfo, iinfo

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64"]
PAIRS = list(itertools.product(NAMES, NAMES))


def E(name):
    return getattr(ember, name)


def T(name):
    return getattr(torch, name)


@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types_equals_torch(a, b):
    assert ember.promote_types(E(a), E(b)).name == str(torch.promote_types(T(a), T(b)))[6:]


def _values(name, shape):
    return np.ones(shape, dtype=np.float64).astype(np.int64 if name != "bool" else bool)


@pytest.mark.parametrize("a,b", PAIRS)
@pytest.mark.parametrize("shapes", [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())])
def test_result_type_of_tensors_equals_torch(a, b, shapes):
    """0-d tensors only decide the result when of a higher category than dimensioned ones."""
    x, y = (ember.ones(s, dtype=E(n)) for s, n in zip(shapes, (a, b)))
    xt, yt = (torch.ones(s, dtype=T(n)) for s, n in zip(shapes, (a, b)))
    assert ember.result_type(x, y).name == str(torch.result_type(xt, yt))[6:]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", [True, 3, 2.5])
@pytest.mark.parametrize("shape", [(2,), ()])
def test_result_type_of_tensor_and_scalar_equals_torch(name, scalar, shape):
    x, xt = ember.ones(shape, dtype=E(name)), torch.ones(shape, dtype=T(name))
    assert ember.result_type(x, scalar).name == str(torch.result_type(xt, scalar))[6:]
    assert ember.result_type(scalar, x).name == str(torch.result_type(scalar, xt))[6:]


def test_result_type_of_two_scalars_equals_torch():
    assert ember.result_type(1, 2.5).name == str(torch.result_type(1, 2.5))[6:]


@pytest.mark.parametrize("name", NAMES)
def test_attributes_match_torch(name):
    d, t = E(name), T(name)
    assert d.is_floating_point == t.is_floating_point
    assert d.is_signed == t.is_signed
    assert d.is_complex is False
    assert d.itemsize == t.itemsize
    assert repr(d) == str(d) == str(t).replace("torch.", "ember.")
    assert pickle.loads(pickle.dumps(d)) is d
    assert d.to_real() is d


def test_aliases_and_names():
    assert ember.float is ember.float32 and ember.double is ember.float64
    assert ember.half is ember.float16 and ember.long is ember.int64
    assert ember.int is ember.int32 and ember.short is ember.int16
    assert as_dtype("float64") is ember.float64 and as_dtype("ember.int8") is ember.int8
    assert as_dtype(np.float16) is ember.float16 and as_dtype(np.dtype("uint8")) is ember.uint8
    # As in PyTorch, the Python types name float64, int64 and bool.
    assert as_dtype(float) is ember.float64 and as_dtype(int) is ember.int64
    assert as_dtype(bool) is ember.bool
    assert ember.zeros(2, dtype=float).dtype is ember.float64


def test_unknown_dtypes_raise():
    with pytest.raises(TypeError, match="unknown dtype name 'complex64'"):
        as_dtype("complex64")
    with pytest.raises(TypeError, match="expected a dtype"):
        as_dtype(object())
    with pytest.raises(TypeError, match="unsupported NumPy dtype uint16"):
        ember.tensor(np.zeros(2, np.uint16))


@pytest.mark.parametrize("name", ["float64", "float16", "bfloat16"])
def test_set_default_dtype_changes_float_inference(name):
    try:
        ember.set_default_dtype(E(name))
        assert ember.get_default_dtype() is E(name)
        assert ember.tensor([1.5]).dtype is E(name)
        assert ember.zeros(2).dtype is E(name)
        assert ember.arange(0.0, 2).dtype is E(name)
        assert ember.tensor([1]).dtype is ember.int64
        assert ember.result_type(ember.ones(2, dtype=ember.int32), 1.5) is E(name)
        assert repr(ember.tensor([1.5, 2.5])) == "tensor([1.5000, 2.5000])"
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.tensor([1.5]).dtype is ember.float32


def test_set_default_dtype_rejects_integers():
    with pytest.raises(TypeError, match="only floating-point types are supported"):
        ember.set_default_dtype(ember.int64)


@pytest.mark.parametrize("src,dst", PAIRS)
def test_to_round_trips_every_dtype_pair_like_torch(src, dst):
    a = np.array([0.0, 1.0, 2.0, 3.0, 100.0])
    x, xt = ember.tensor(a).to(E(src)), torch.tensor(a).to(T(src))
    y, yt = x.to(E(dst)), xt.to(T(dst))
    assert y.dtype is E(dst)
    np.testing.assert_array_equal(np.asarray(y.to(ember.float64)), yt.double().numpy())
    back = y.to(E(src))
    assert back.dtype is E(src)
    np.testing.assert_array_equal(np.asarray(back.to(ember.float64)),
                                  yt.to(T(src)).double().numpy())


@pytest.mark.parametrize("method,name", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("bfloat16", "bfloat16"),
    ("long", "int64"), ("int", "int32"), ("short", "int16"), ("char", "int8"),
    ("byte", "uint8"), ("bool", "bool"),
])
def test_cast_methods(method, name):
    x = ember.tensor([1.0, 2.0])
    assert getattr(x, method)().dtype is E(name)
    assert getattr(torch.tensor([1.0, 2.0]), method)().dtype is T(name)
    assert x.type(E(name)).dtype is E(name)


def test_type_names_match_torch():
    for name in NAMES:
        assert ember.zeros(1, dtype=E(name)).type() == \
            torch.zeros(1, dtype=T(name)).type().replace("torch.", "ember.")


def test_float_to_int_cast_truncates_like_torch():
    a = np.array([-2.7, -0.5, 0.5, 2.7])
    np.testing.assert_array_equal(ember.tensor(a).long().numpy(), torch.tensor(a).long().numpy())
    np.testing.assert_array_equal(ember.tensor(a).bool().numpy(), torch.tensor(a).bool().numpy())


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64", None])
def test_finfo_matches_torch(name):
    ours = finfo(E(name)) if name else finfo()
    ref = torch.finfo(T(name)) if name else torch.finfo()
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, attr) == getattr(ref, attr), attr
    assert ours.dtype == ref.dtype


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    ours, ref = iinfo(E(name)), torch.iinfo(T(name))
    assert (ours.bits, ours.min, ours.max, ours.dtype) == (ref.bits, ref.min, ref.max, ref.dtype)
    assert repr(ours) == repr(ref)


def test_finfo_iinfo_reject_the_other_kind():
    with pytest.raises(TypeError, match="finfo: requires a floating point dtype"):
        finfo(ember.int32)
    with pytest.raises(TypeError, match="iinfo: requires an integer dtype"):
        iinfo(ember.float32)
    with pytest.raises(TypeError, match="iinfo: requires an integer dtype"):
        iinfo(ember.bool)


def test_can_cast_matches_torch_over_every_dtype_pair():
    import torch
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
             "float32", "float64"]
    for a in names:
        for b in names:
            assert ember.can_cast(getattr(ember, a), getattr(ember, b)) == \
                torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)


def test_can_cast_names_a_non_dtype_argument():
    with pytest.raises(TypeError, match=r"argument 'from_' \(position 1\) must be ember.dtype, "
                                        r"not int"):
        ember.can_cast(1, ember.float32)
    with pytest.raises(TypeError, match=r"argument 'to' \(position 2\) must be ember.dtype"):
        ember.can_cast(ember.float32, "float64")
