"""Comparisons, predicates, logical/bitwise ops and where/clamp/maximum against PyTorch."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember
from reference import check, close, rand


def lib(t):
    """The library a tensor belongs to, so one lambda calls ember.f or torch.f."""
    return ember if isinstance(t, ember.Tensor) else torch


def same_dtype(e, t):
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], (e.dtype, t.dtype)


BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), ()),
             ((0, 3), (3,))]
COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal",
               "less_equal", "not_equal"]


@pytest.mark.parametrize("sa,sb", BROADCAST)
@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_match_torch(name, sa, sb):
    a, b = np.asarray(np.round(rand(sa, 0))), np.asarray(np.round(rand(sb, 1)))  # many ties
    out = check(lambda x, y: getattr(x, name)(y), a, b)
    assert out.dtype == ember.bool and not out.requires_grad
    check(lambda x, y: getattr(lib(x), name)(x, y), a, b)
    check(lambda x: getattr(x, name)(1.0), a)


def test_operators_match_torch():
    a, b = np.round(rand((3, 4), 0)), np.round(rand((4,), 1))
    for op in (lambda x, y: x == y, lambda x, y: x != y, lambda x, y: x < y, lambda x, y: x <= y,
               lambda x, y: x > y, lambda x, y: x >= y, lambda x, y: x == 0, lambda x, y: 1 < x):
        close(op(ember.tensor(a), ember.tensor(b)), op(torch.tensor(a), torch.tensor(b)))


@pytest.mark.parametrize("da,db", [("int64", "float32"), ("int32", "int64"), ("uint8", "int8"),
                                   ("bool", "int32"), ("float16", "float64")])
def test_comparisons_promote_like_torch(da, db):
    a, b = np.array([0, 1, 2, 3]), np.array([0.0, 1.5, 2.0, -1.0])
    ea, eb = ember.tensor(a).to(getattr(ember, da)), ember.tensor(b).to(getattr(ember, db))
    ta, tb = torch.tensor(a).to(getattr(torch, da)), torch.tensor(b).to(getattr(torch, db))
    for name in ("eq", "lt", "ge"):
        close(getattr(ea, name)(eb), getattr(ta, name)(tb))
    close(ember.tensor([1, 2]) == 1.5, torch.tensor([1, 2]) == 1.5)  # an int tensor vs a float


def test_comparison_inplace_writes_ones_and_zeros():
    a, b = np.round(rand((3, 4), 0)), np.round(rand((4,), 1))
    for name in ("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "less_equal_",
                 "logical_and_", "logical_or_", "logical_xor_"):
        x, t = ember.tensor(a), torch.tensor(a)
        assert getattr(x, name)(ember.tensor(b)) is x
        getattr(t, name)(torch.tensor(b))
        assert x.dtype == ember.float64
        close(x, t, what=name)
    x, t = ember.tensor(a), torch.tensor(a)
    close(x.logical_not_(), t.logical_not_())


def test_equal_matches_torch():
    a = ember.tensor([1.0, 2.0, math.nan])
    assert ember.equal(a[:2], ember.tensor([1.0, 2.0]))
    assert ember.equal(ember.tensor([1, 0]), ember.tensor([True, False]))  # promoted, as torch
    assert not ember.equal(a, a)  # nan != nan
    assert not ember.equal(a[:2], a[:2].reshape(2, 1))
    assert a[:2].equal(ember.tensor([1.0, 2.0], dtype=ember.float64))


@pytest.mark.parametrize("kw", [{}, {"rtol": 0.1}, {"atol": 0.5}, {"equal_nan": True},
                                {"rtol": 0, "atol": 0}])
def test_isclose_matches_torch(kw):
    inf, nan = math.inf, math.nan
    a = np.array([1.0, 1.0 + 1e-6, 1.2, inf, -inf, inf, nan, nan, 0.0, 1e-9])
    b = np.array([1.0, 1.0, 1.0, inf, -inf, -inf, nan, 1.0, 1e-7, 0.0])
    check(lambda x, y: x.isclose(y, **kw), a, b)
    assert ember.allclose(ember.tensor(a), ember.tensor(b), **kw) == \
        torch.allclose(torch.tensor(a), torch.tensor(b), **kw)
    close(ember.isclose(ember.tensor([1, 2]), ember.tensor([1, 3])),
          torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3])))
    close(ember.tensor(a[:3]).isclose(ember.tensor(b[:1])),  # broadcast
          torch.tensor(a[:3]).isclose(torch.tensor(b[:1])))


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16", "int64", "bool"])
@pytest.mark.parametrize("name", ["isnan", "isinf", "isposinf", "isneginf", "isfinite", "signbit",
                                  "logical_not"])
def test_predicates_match_torch(name, dtype):
    a = np.array([-math.inf, -1.0, -0.0, 0.0, 2.0, math.inf, math.nan])
    if dtype in ("int64", "bool"):
        a = np.array([-2, -1, 0, 1, 2])
    e = getattr(ember.tensor(a).to(getattr(ember, dtype)), name)()
    t = getattr(torch.tensor(a).to(getattr(torch, dtype)), name)()
    assert e.dtype == ember.bool
    close(e, t)


def test_predicates_of_a_grad_tensor_need_no_grad():
    x = ember.tensor([1.0, math.nan], requires_grad=True)
    for out in (x.isnan(), x.isfinite(), x > 0, x.logical_not(), x.isclose(x)):
        assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_matches_torch(name):
    a = np.array([[0.0, 1.0, -2.0, 0.0]])
    b = np.array([[0], [3]])
    check(lambda x, y: getattr(x, name)(y), a, b)
    check(lambda x, y: getattr(lib(x), name)(x, y), b, a)


@pytest.mark.parametrize("da,db", [("bool", "bool"), ("int64", "int64"), ("uint8", "int32"),
                                   ("bool", "int8")])
def test_bitwise_matches_torch(da, db):
    a, b = np.array([[0, 1, 5, 12]]), np.array([[3], [6]])
    ea, eb = ember.tensor(a).to(getattr(ember, da)), ember.tensor(b).to(getattr(ember, db))
    ta, tb = torch.tensor(a).to(getattr(torch, da)), torch.tensor(b).to(getattr(torch, db))
    for op in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y, lambda x, y: ~x,
               lambda x, y: lib(x).bitwise_and(x, y), lambda x, y: x.bitwise_xor(y),
               lambda x, y: x & 1, lambda x, y: x.bitwise_not()):
        e, t = op(ea, eb), op(ta, tb)
        same_dtype(e, t)
        close(e, t)
    x, t = ember.tensor(a), torch.tensor(a)
    x &= ember.tensor(b[0])
    t &= torch.tensor(b[0])
    close(x, t)


# ---- where ------------------------------------------------------------------

@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), (2, 1, 1)),
                                    ((), (2, 3), ()), ((0, 3), (3,), (1,))])
def test_where_matches_torch(shapes):
    cond = rand(shapes[0], 5) > 0
    a, b = rand(shapes[1], 0), rand(shapes[2], 1)
    check(lambda c, x, y: lib(x).where(c, x, y), cond, a, b)
    check(lambda c, x: lib(x).where(c, x, 0.5), cond, a)
    check(lambda c, y: lib(y).where(c, -1, y), cond, b)


@pytest.mark.parametrize("x,y", [("int64", 2.5), (1, 2.0), (1, 2), (True, 2), ("int32", 7),
                                 ("float16", "float32"), ("uint8", "int8"), (3, "int32_0d")])
def test_where_promotes_like_torch(x, y):
    cond = np.array([True, False])

    def make(v, mod):
        if not isinstance(v, str):
            return v
        if v.endswith("_0d"):
            return mod.tensor(3, dtype=getattr(mod, v[:-3]))
        return mod.tensor([4, 5], dtype=getattr(mod, v))
    e = ember.where(ember.tensor(cond), make(x, ember), make(y, ember))
    t = torch.where(torch.tensor(cond), make(x, torch), make(y, torch))
    same_dtype(e, t)
    close(e, t)


@pytest.mark.parametrize("a", [np.array([0.0, 1.0, 2.0]), np.array([[1, 0], [0, 3]]),
                               np.array([[True, False, True]]), np.array(5.0), np.zeros((2, 0))])
def test_where_with_the_condition_alone_is_nonzero_as_tuple_like_torch(a):
    ours, theirs = ember.where(ember.tensor(a)), torch.where(torch.tensor(a))
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.dtype == ember.int64 and o.tolist() == t.tolist()


def test_where_errors():
    x = ember.ones(3)
    with pytest.raises(RuntimeError, match="where: expected condition to be a bool tensor, "
                                           "got ember.float32"):
        ember.where(x, x, x)
    with pytest.raises(TypeError, match="where: expected both input and other, got only one"):
        ember.where(x > 0, x)
    with pytest.raises(TypeError, match="where: expected condition to be a Tensor, got list"):
        ember.where([True], x, x)
    with pytest.raises(RuntimeError, match=r"where: shapes \[3\] and \[3\] and \[2\] cannot be "):
        ember.where(x > 0, x, ember.ones(2))


# ---- clamp --------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{"min": -0.5, "max": 0.5}, {"min": 0.2}, {"max": -0.1},
                                {"min": 0.5, "max": -0.5}, {"min": 0, "max": 1}])
@pytest.mark.parametrize("shape", [(), (3, 4), (0, 2)])
def test_clamp_scalar_bounds_match_torch(kw, shape):
    a = rand(shape, 0)
    check(lambda x: x.clamp(**kw), a)
    check(lambda x: lib(x).clip(x, **kw), a)


def test_clamp_ties_pass_the_gradient_like_torch():
    a = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    check(lambda x: x.clamp(0.0, 1.0), a)
    check(lambda x: x.clamp(0.5, 0.5), a)
    check(lambda x: x.clamp_min(1.0), a)
    check(lambda x: x.clamp_max(0.0), a)
    check(lambda x, lo, hi: x.clamp(lo, hi), a, np.array([0.0, 0.0, 0.5, 2.0, 2.0]),
          np.array([1.0, 0.0, 0.5, 1.0, 1.0]))  # tensor bounds tied with x and each other


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)),
                                    ((2, 3), (), (3,)), ((), (), ())])
def test_clamp_tensor_bounds_match_torch(shapes):
    a = rand(shapes[0], 0)
    lo, hi = np.asarray(rand(shapes[1], 1) - 0.5), np.asarray(rand(shapes[2], 2) + 0.5)
    check(lambda x, l, h: x.clamp(l, h), a, lo, hi)
    check(lambda x, l, h: x.clamp(h, l), a, lo, hi)  # min > max in places: max wins
    check(lambda x, l: lib(x).clamp_min(x, l), a, lo)
    check(lambda x, h: x.clamp(max=h), a, hi)


@pytest.mark.parametrize("dtype,kw", [("int64", {"min": 0.5}), ("int64", {"min": 0, "max": 1}),
                                      ("int32", {"max": 2}), ("bool", {"min": 0}),
                                      ("float16", {"min": 0.25}), ("int64", {"min": "f64_0d"}),
                                      ("float32", {"min": "f64"})])
def test_clamp_promotes_like_torch(dtype, kw):
    def bounds(mod):
        out = {}
        for k, v in kw.items():
            if v == "f64_0d":
                v = mod.tensor(0.5, dtype=mod.float64)
            elif v == "f64":
                v = mod.tensor([0.5, 0.5, 0.5, 0.5], dtype=mod.float64)
            out[k] = v
        return out
    a = np.array([-1, 0, 1, 3])
    e = ember.tensor(a).to(getattr(ember, dtype)).clamp(**bounds(ember))
    t = torch.tensor(a).to(getattr(torch, dtype)).clamp(**bounds(torch))
    same_dtype(e, t)
    close(e, t)


def test_clamp_inplace_matches_torch():
    a = rand((3, 4), 0)
    x, t = ember.tensor(a), torch.tensor(a)
    close(x.clamp_(-0.5, 0.5), t.clamp_(-0.5, 0.5))
    with pytest.raises(RuntimeError, match="clamp_: result type float32 can't be cast"):
        ember.tensor([1, 2]).clamp_(min=0.5)


def test_clamp_errors():
    x = ember.ones(3)
    with pytest.raises(RuntimeError, match="clamp: at least one of 'min' or 'max' must not "
                                           "be None"):
        x.clamp()
    with pytest.raises(TypeError, match="clamp: expected min to be a Tensor or a number, got list"):
        x.clamp(min=[0.0])
    with pytest.raises(RuntimeError, match="clamp: not supported for bool tensors"):
        ember.tensor([True]).clamp(min=False)
    with pytest.raises(RuntimeError, match=r"clamp: shapes \[3\] and \[2\] cannot be broadcast"):
        x.clamp(min=ember.zeros(2))


# ---- maximum, minimum, fmax, fmin ---------------------------------------------

@pytest.mark.parametrize("sa,sb", BROADCAST)
@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_max_min_match_torch(name, sa, sb):
    a, b = np.asarray(np.round(rand(sa, 0))), np.asarray(np.round(rand(sb, 1)))  # many ties
    check(lambda x, y: getattr(x, name)(y), a, b)
    check(lambda x, y: getattr(lib(x), name)(x, y), rand(sa, 2), rand(sb, 3))


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_max_min_nan_and_ties_match_torch(name):
    nan = math.nan
    a = np.array([1.0, nan, 2.0, nan, 3.0, -1.0])
    b = np.array([1.0, 2.0, nan, nan, 3.0, 4.0])
    check(lambda x, y: getattr(x, name)(y), a, b)
    i = np.array([1, 5, -3])
    e = getattr(ember, name)(ember.tensor(i), ember.tensor(i[::-1].copy()))
    t = getattr(torch, name)(torch.tensor(i), torch.tensor(i[::-1].copy()))
    same_dtype(e, t)
    close(e, t)


@settings(max_examples=25, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
       st.sampled_from(["where", "clamp", "maximum", "fmin", "isclose"]))
def test_broadcasting_property(shapes, op):
    s0, s1, s2 = shapes.input_shapes
    fns = {"where": (lambda c, x, y: lib(x).where(c > 0, x, y)),
           "clamp": (lambda x, lo, hi: x.clamp(lo, hi)),
           "maximum": (lambda x, y, z: lib(x).maximum(x, y) + z),
           "fmin": (lambda x, y, z: x.fmin(y) * z),
           "isclose": (lambda x, y, z: x.isclose(y + z * 0, atol=0.5))}
    if op == "clamp":  # PyTorch's clamp backward fails when a bound broadcasts x up
        s0 = shapes.result_shape
    out = check(fns[op], rand(s0, 0), rand(s1, 1), rand(s2, 2), second=False)
    assert out.shape == shapes.result_shape


def test_bitwise_refuses_floats():
    x = ember.ones(2)
    with pytest.raises(RuntimeError, match="bitwise_and: expected bool or integer tensors, "
                                           "got ember.float32"):
        x & x
    with pytest.raises(RuntimeError, match="bitwise_or: expected bool or integer tensors, "
                                           "got ember.float32"):
        ember.tensor([1, 2]) | 0.5
    with pytest.raises(RuntimeError, match="bitwise_not: expected a bool or integer tensor, "
                                           "got ember.float32"):
        ~x


def test_isclose_errors():
    x = ember.ones(2)
    with pytest.raises(RuntimeError, match="isclose: expected input and other of one dtype, "
                                           "got ember.float32 and ember.float64"):
        x.isclose(x.double())
    with pytest.raises(RuntimeError, match="isclose: rtol and atol must be >= 0, got rtol=-1"):
        x.isclose(x, rtol=-1)
    with pytest.raises(TypeError, match="isclose: expected other to be a Tensor, got float"):
        x.isclose(1.0)


def test_inplace_comparison_on_graph_tensor_cuts_the_gradient():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    y.eq_(2.0)  # y no longer depends on x: PyTorch's EqBackward gives zeros
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_comparison_errors_name_the_op():
    x = ember.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"lt: shapes \[2, 3\] and \[2\] cannot be broadcast"):
        x < ember.ones(2)
    with pytest.raises(TypeError, match="eq: expected input to be a Tensor, got int"):
        ember.eq(1, x)
    with pytest.raises(TypeError, match="equal: expected other to be a Tensor, got list"):
        ember.equal(x, [1.0])
