import warnings
import numpy as np
import pytest
import torch

import ember
from reference import check, close, rand

BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), ())]


@pytest.mark.parametrize("sa,sb", BROADCAST)
@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a.add(b, alpha=2.5), lambda a, b: a.sub(b, alpha=0.5),
    lambda a, b: b - a, lambda a, b: a * b * a,
])
def test_binary_matches_torch(op, sa, sb):
    check(op, rand(sa, 0), rand(sb, 1, positive=True))


@pytest.mark.parametrize("op", [
    lambda a: a + 2, lambda a: 2 + a, lambda a: a - 1.5, lambda a: 3 - a, lambda a: a * 3,
    lambda a: 0.5 * a, lambda a: a / 4, lambda a: 2 / a, lambda a: -a, lambda a: a ** 2,
    lambda a: a ** 3.5, lambda a: 2 ** a, lambda a: a ** -1, lambda a: a % 0.7,
    lambda a: a.fmod(0.7), lambda a: a.div(0.3, rounding_mode="floor"),
    lambda a: a.div(0.3, rounding_mode="trunc"),
])
def test_scalar_ops_match_torch(op):
    check(op, rand((3, 4), 2, positive=True))


def test_floor_divide_values_and_zero_gradient():
    a = rand((3, 4), 2, positive=True)
    check(lambda x: x // 0.3, a, grad_inputs=[])  # torch has no derivative for floor_divide
    x = ember.tensor(a, requires_grad=True)
    (x // 0.3).sum().backward()
    assert not x.grad.numpy().any()


@pytest.mark.parametrize("sa,sb", BROADCAST)
def test_pow_tensor_tensor(sa, sb):
    check(lambda a, b: a ** b, rand(sa, 3, positive=True), rand(sb, 4))


def test_pow_zero_base_and_zero_exponent():
    a = np.array([0.0, 1.0, 2.0])
    b = np.array([0.0, 2.0, 0.0])
    check(lambda x, y: x ** y, a, b, second=False)


def test_remainder_sign_follows_divisor():
    a = rand((4, 5), 5, -5, 5)
    check(lambda x, y: x % y, a, np.full((5,), -1.5))
    check(lambda x, y: x.fmod(y), a, np.full((5,), -1.5))


@pytest.mark.parametrize("da,db", [
    ("int64", "float32"), ("int32", "int64"), ("uint8", "int8"), ("float16", "float32"),
    ("float16", "bfloat16"), ("bool", "int32"), ("bool", "float64"), ("int64", "float16"),
])
def test_promotion_matches_torch(da, db):
    a = np.arange(1, 7).reshape(2, 3)
    for sb in [(2, 3), ()]:
        b = np.full(sb, 2)
        ea = ember.tensor(a).to(getattr(ember, da if da != "bool" else "bool"))
        eb = ember.tensor(b).to(getattr(ember, db if db != "bool" else "bool"))
        ta = torch.tensor(a).to(getattr(torch, da))
        tb = torch.tensor(b).to(getattr(torch, db))
        for f in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x / y):
            assert str(f(ea, eb).dtype).split(".")[1] == str(f(ta, tb).dtype).split(".")[1]
            assert str(f(eb, ea).dtype).split(".")[1] == str(f(tb, ta).dtype).split(".")[1]


@pytest.mark.parametrize("dt", ["int64", "int32", "uint8", "bool", "float16", "float64"])
@pytest.mark.parametrize("s", [2, 2.5, True])
def test_scalar_promotion_matches_torch(dt, s):
    e = ember.ones(3, dtype=getattr(ember, dt))
    t = torch.ones(3, dtype=getattr(torch, dt))
    for f in (lambda x: x + s, lambda x: x * s, lambda x: s * x, lambda x: x / s):
        if dt == "bool" and isinstance(s, bool) and f(t).dtype == torch.bool:
            pass
        assert str(f(e).dtype).split(".")[1] == str(f(t).dtype).split(".")[1]
        close(f(e), f(t))


def test_integer_true_division_gives_float32():
    e = ember.tensor([1, 2, 3]) / ember.tensor([2, 2, 2])
    assert e.dtype == ember.float32
    close(e, torch.tensor([1, 2, 3]) / torch.tensor([2, 2, 2]))


def test_inplace_arithmetic_keeps_dtype_and_refuses_upcast():
    x = ember.tensor([1, 2, 3])
    x += 2
    assert x.dtype == ember.int64 and x.tolist() == [3, 4, 5]
    with pytest.raises(RuntimeError, match="can't be cast"):
        x += 0.5
    y = ember.ones(3)
    y *= ember.tensor([1, 2, 3])
    assert y.dtype == ember.float32 and y.tolist() == [1, 2, 3]


def test_broadcast_mismatch_names_shapes():
    with pytest.raises((RuntimeError, ValueError), match=r"3.*4|4.*3"):
        ember.ones(2, 3) + ember.ones(2, 4)


def test_int_overflow_scalar_raises():
    with pytest.raises(RuntimeError, match="overflow"):
        ember.ones(2, dtype=ember.int8) + 1000


from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       st.sampled_from(["add", "sub", "mul", "div"]))
def test_broadcasting_property(shapes, op):
    sa, sb = shapes.input_shapes
    a, b = rand(sa, 3), rand(sb, 4, positive=True)
    x, y = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    out = getattr(ember, op)(x, y)
    assert out.shape == shapes.result_shape
    out.backward(ember.ones(out.shape, dtype=ember.float64))
    # Each gradient has its input's shape and equals torch's.
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    getattr(torch, op)(tx, ty).backward(torch.ones(shapes.result_shape, dtype=torch.float64))
    assert x.grad.shape == sa and y.grad.shape == sb
    close(x.grad, tx.grad)
    close(y.grad, ty.grad)


# ---- floating-point warnings and integer division by zero ------------------------
# (add, sub and mul stay without np.errstate, which would cost them ~0.7 us a
# call: inf - inf or an overflowing product still warns there.)

_IEEE_CASES = {
    "div by zero": lambda x: x / 0,
    "reciprocal of zero": lambda x: 1 / x,
    "negative power of zero": lambda x: x ** -1,
    "exp overflow": lambda x: (x * 1000).exp(),
    "float floor_divide by zero": lambda x: x // 0,
    "fmod by zero": lambda x: ember.fmod(x, 0.0),
    "sinh overflow": lambda x: (x * 1000).sinh(),
    "softmax of all -inf": lambda x: ember.tensor([[-float("inf")] * 2]).softmax(-1),
}


@pytest.mark.parametrize("case", sorted(_IEEE_CASES))
def test_ieee_results_come_without_numpy_warnings(case):
    """PyTorch returns inf/nan silently; so does Ember (forward and backward),
    while the caller's own NumPy code keeps warning."""
    x = ember.tensor([0.0, 1.0, -1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _IEEE_CASES[case](x)
        if out.requires_grad:
            out.backward(ember.ones_like(out))
        np.true_divide(np.ones(1), 0)  # the caller's NumPy: still warns
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert messages == ["divide by zero encountered in divide"]
    if case in _SAME_IN_TORCH:  # the lambda runs on a torch tensor as it is
        expected = _IEEE_CASES[case](torch.tensor([0.0, 1.0, -1.0], requires_grad=True))
        np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())


_SAME_IN_TORCH = {"div by zero", "reciprocal of zero", "negative power of zero", "exp overflow",
                  "float floor_divide by zero", "sinh overflow"}


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod"])
def test_integer_division_by_zero_raises_as_in_pytorch(name):
    op = getattr(ember, name)
    for divisor in (0, ember.tensor([0, 1])):
        with pytest.raises(RuntimeError, match=f"{name}: integer division by zero"):
            op(ember.tensor([1, 2]), divisor)
        torch_divisor = divisor if isinstance(divisor, int) else torch.tensor([0, 1])
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            getattr(torch, name)(torch.tensor([1, 2]), torch_divisor)
    # Non-zero integer divisors and float zero divisors are fine.
    assert op(ember.tensor([7, -7]), 3).tolist() == getattr(torch, name)(torch.tensor([7, -7]), 3).tolist()
    assert np.isnan(op(ember.tensor([0.0]), 0.0).item()) or name == "floor_divide"


def test_integer_division_by_zero_operator_inplace_and_rounding_modes():
    x = ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="floor_divide: integer division by zero"):
        x // 0
    with pytest.raises(RuntimeError, match="remainder: integer division by zero"):
        x % ember.tensor([1, 0])
    with pytest.raises(RuntimeError, match="floor_divide: integer division by zero"):
        x //= 0
    assert x.tolist() == [1, 2]  # left unchanged
    for mode in ("trunc", "floor"):
        with pytest.raises(RuntimeError, match="div: integer division by zero"):
            ember.div(x, 0, rounding_mode=mode)
    # True division of integers by zero is float inf, as in PyTorch.
    assert ember.div(x, 0).tolist() == [float("inf")] * 2
