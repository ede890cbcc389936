"""Factories from data, filled, ranges: values and dtypes against PyTorch."""

import ml_dtypes
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember

NP_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16,
             np.float32, np.float64]


def same(ours, ref, rtol=0.0, atol=0.0):
    """Same dtype (by name), shape and values (exactly, or within the tolerances)."""
    assert ours.dtype.name == str(ref.dtype)[6:], f"dtype {ours.dtype} vs torch's {ref.dtype}"
    assert tuple(ours.shape) == tuple(ref.shape)
    a, b = np.asarray(ours.detach().double()), ref.detach().double().numpy()
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ---- tensor() ---------------------------------------------------------------------

DATA = [
    [[1, 2], [3, 4]], [1, 2.5], [True, False], [1, True], [1.5, True], 3, 2.5, True, [],
    [[], []], [[1.5], [2]], (1, 2, 3), [np.int32(1), 2], [np.float16(1), 1],
    [np.int8(1), np.uint8(2)], [np.float32(1.5), 2.5], [np.float64(1.5), 1.0], np.float64(2.5),
    np.int32(7), np.bool_(True), [[np.int32(1), np.int32(2)]], range(4),
]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_infers_dtype_and_values_like_torch(data):
    same(ember.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("np_dtype", NP_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (2, 3)])
def test_numpy_arrays_keep_their_dtype(np_dtype, shape):
    a = np.arange(int(np.prod(shape))).reshape(shape).astype(np_dtype)
    same(ember.tensor(a), torch.tensor(a))
    same(ember.as_tensor(a), torch.as_tensor(a))
    same(ember.from_numpy(a), torch.from_numpy(a))


def test_bfloat16_arrays_keep_their_dtype():
    a = np.array([1.5, 2.25], dtype=ml_dtypes.bfloat16)
    assert ember.tensor(a).dtype is ember.bfloat16
    assert ember.tensor(a).tolist() == [1.5, 2.25]


def test_lists_of_zero_d_tensors_promote_like_torch():
    cases = [
        lambda m: [m.tensor(1.0, dtype=m.float64), m.tensor(2.0)],
        lambda m: [m.tensor(1, dtype=m.int32), m.tensor(2, dtype=m.int32)],
        lambda m: [m.tensor(1, dtype=m.int32), 2.5],
        lambda m: [[m.tensor(1.5)], [m.tensor(2.5)]],
        lambda m: [m.ones(1), m.ones(1)],
        lambda m: [m.tensor(1.5, dtype=m.bfloat16)],
    ]
    for make in cases:
        same(ember.tensor(make(ember)), torch.tensor(make(torch)))


def test_tensor_takes_dtype_and_requires_grad():
    same(ember.tensor([1.7, -2.7], dtype=ember.int64), torch.tensor([1.7, -2.7], dtype=torch.int64))
    same(ember.tensor([-1], dtype=ember.uint8), torch.tensor([-1], dtype=torch.uint8))
    same(ember.tensor([1, 2], dtype=ember.float64), torch.tensor([1, 2], dtype=torch.float64))
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad_fn is None
    with pytest.raises(RuntimeError, match="tensor: only floating point tensors can require "
                                           "gradients, got dtype ember.int64"):
        ember.tensor([1, 2], requires_grad=True)


def test_python_floats_keep_float64_precision_when_asked():
    t = ember.tensor([1 / 6, 1e-308, 5e-324, 0.1], dtype=ember.float64)
    same(t, torch.tensor([1 / 6, 1e-308, 5e-324, 0.1], dtype=torch.float64))
    same(ember.tensor(1 / 3, dtype=ember.float64), torch.tensor(1 / 3, dtype=torch.float64))
    same(ember.tensor([[1, 2.5]], dtype=ember.float16), torch.tensor([[1, 2.5]],
                                                                     dtype=torch.float16))


def test_tensor_copies_its_input():
    a = np.array([1.0, 2.0])
    x = ember.tensor(a)
    a[0] = 9
    assert x.tolist() == [1.0, 2.0]
    src = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor(src)
    assert not y.requires_grad and y.grad_fn is None
    src._array[0] = 5
    assert y.tolist() == [1.0, 2.0]
    assert ember.tensor(src * 2).grad_fn is None  # no graph: a copy of the values


def test_tensor_from_array_likes_and_non_native_byte_order():
    ref = torch.tensor([1, 2], dtype=torch.int16)
    same(ember.tensor(ref), ref)
    x = ember.tensor(np.array([1, 2], dtype=">i4"))
    assert x.dtype is ember.int32 and x.tolist() == [1, 2]


@pytest.mark.parametrize("data,err,match", [
    ([[1, 2], [3]], ValueError, "tensor: expected a .*sequence of equal-length sequences"),
    (["a"], TypeError, "tensor: could not infer a dtype for data of type str"),
    ("abc", TypeError, "could not infer a dtype for data of type str"),
    ([2**70], RuntimeError, "tensor: a value in the data overflows ember.int64"),
    (np.zeros(2, np.complex64), TypeError, "tensor: unsupported NumPy dtype complex64"),
    ({1: 2}, TypeError, "could not infer a dtype for data of type dict"),
])
def test_tensor_bad_data(data, err, match):
    with pytest.raises(err, match=match):
        ember.tensor(data)


def test_tensor_rejects_multi_element_tensors_in_lists():
    with pytest.raises(ValueError, match="^tensor: only one-element tensors can be elements of "
                                         "a sequence, got one of shape \\[2\\]$"):
        ember.tensor([ember.ones(2), ember.ones(2)])
    with pytest.raises(ValueError):
        torch.tensor([torch.ones(2), torch.ones(2)])


# ---- as_tensor / from_numpy / asarray -----------------------------------------------

def test_as_tensor_and_from_numpy_share_memory():
    a = np.zeros(3)
    for t in (ember.as_tensor(a), ember.from_numpy(a), ember.asarray(a)):
        a[0] += 1
        assert t[0].item() == a[0]
        t._array[1] = 7
        assert a[1] == 7
    assert ember.as_tensor(a, dtype=ember.float32).dtype is ember.float32  # converts: a copy
    x = ember.ones(2)
    assert ember.as_tensor(x) is x and ember.asarray(x) is x
    assert ember.as_tensor([1, 2]).dtype is ember.int64


def test_as_tensor_conversion_keeps_the_graph():
    x = ember.ones(2, requires_grad=True)
    y = ember.as_tensor(x, dtype=ember.float64)
    assert y.dtype is ember.float64 and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.dtype is ember.float32 and x.grad.tolist() == [1.0, 1.0]


def test_from_numpy_errors():
    with pytest.raises(TypeError, match="from_numpy: expected np.ndarray, got list"):
        ember.from_numpy([1, 2])
    with pytest.raises(ValueError, match="byte order"):
        ember.from_numpy(np.array([1, 2], dtype=">i4"))
    with pytest.raises(TypeError, match="from_numpy: unsupported NumPy dtype uint16"):
        ember.from_numpy(np.zeros(2, np.uint16))


def test_asarray_copy_and_requires_grad_like_torch():
    a = np.zeros(2)
    assert not np.shares_memory(ember.asarray(a, copy=True)._array, a)
    x = ember.ones(2, requires_grad=True)
    c = ember.asarray(x, copy=True)
    assert c is not x and c.grad_fn is not None  # a clone: same history
    assert ember.asarray(x, requires_grad=False).requires_grad is False
    assert ember.asarray(x, dtype=ember.float64).dtype is ember.float64
    y = ember.ones(2)
    assert ember.asarray(y, requires_grad=True) is y and y.requires_grad  # as PyTorch: same tensor
    assert ember.asarray([1.5, 2.0]).dtype is ember.float32
    assert ember.asarray(np.ones(2), requires_grad=True).requires_grad


def test_asarray_copy_false_refuses_to_copy():
    with pytest.raises(ValueError, match="asarray: can't alias list data into a tensor"):
        ember.asarray([1.0, 2.0], copy=False)
    with pytest.raises(ValueError, match="asarray: can't alias ember.float32 data"):
        ember.asarray(ember.ones(2), dtype=ember.float64, copy=False)
    a = np.ones(2)
    assert np.shares_memory(ember.asarray(a, copy=False)._array, a)


# ---- filled -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_zeros_ones_empty_shapes_and_dtypes(name):
    ours, ref = getattr(ember, name), getattr(torch, name)
    for size in [(2, 3), ((2, 3),), ([2, 3],), ((),), (0,), (np.int64(2), 1)]:
        x, xt = ours(*size), ref(*size)
        assert x.shape == tuple(xt.shape) and x.dtype is ember.float32
        if name != "empty":
            same(x, xt)
    assert ours(2, dtype=ember.int32).dtype is ember.int32
    assert ours(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match=f"{name}: trying to create a tensor with negative "
                                           r"dimension in \[2, -1\]"):
        ours(2, -1)
    with pytest.raises(TypeError, match=f"{name}: expected a sequence of ints"):
        ours(2.5)
    with pytest.raises(TypeError, match=f"{name}: missing the size argument"):
        ours()


@pytest.mark.parametrize("value", [True, 3, -2, 2.5, np.float64(1.5), np.int32(4)])
def test_full_infers_dtype_from_the_value_like_torch(value):
    same(ember.full((2, 2), value), torch.full((2, 2), value))
    same(ember.full([3], value, dtype=ember.float64), torch.full([3], value, dtype=torch.float64))


def test_full_errors_and_tensor_fill():
    same(ember.full((2,), ember.tensor(1.5)), torch.full((2,), torch.tensor(1.5)))
    same(ember.full((), 2), torch.full((), 2))
    for value, dtype in [(-1, "uint8"), (2.7, "int64"), (-2.7, "int8"), (float("inf"), "float16"),
                         (65504.0, "float16"), (True, "float32"), (1e30, "bfloat16")]:
        same(ember.full((2,), value, dtype=getattr(ember, dtype)),
             torch.full((2,), value, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("value,dtype", [(300, "uint8"), (-256, "uint8"), (float("nan"), "int64"),
                                         (1e10, "int32"), (float("inf"), "int32"),
                                         (1e300, "float32"), (65519.0, "float16")])
def test_full_refuses_overflow_like_torch(value, dtype):
    with pytest.raises(RuntimeError, match=f"full: value .* cannot be converted to ember.{dtype} "
                                           "without overflow"):
        ember.full((2,), value, dtype=getattr(ember, dtype))
    with pytest.raises(RuntimeError, match="without overflow"):
        torch.full((2,), value, dtype=getattr(torch, dtype))
    with pytest.raises(TypeError, match="full: expected a number as fill_value, got str"):
        ember.full((2,), "x")
    with pytest.raises(RuntimeError, match="full: trying to create a tensor with negative"):
        ember.full((-1,), 1.0)


def test_like_factories_follow_input():
    x = ember.zeros(2, 3, dtype=ember.int32)
    for name, args in [("zeros_like", ()), ("ones_like", ()), ("empty_like", ()),
                       ("full_like", (2.7,))]:
        ours = getattr(ember, name)(x, *args)
        ref = getattr(torch, name)(torch.zeros(2, 3, dtype=torch.int32), *args)
        assert ours.dtype is ember.int32 and ours.shape == (2, 3) and ours.device == x.device
        if name != "empty_like":
            same(ours, ref)
    assert ember.zeros_like(x, dtype=ember.float64).dtype is ember.float64
    assert ember.ones_like(ember.ones(2), requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="zeros_like: expected input to be a Tensor, got list"):
        ember.zeros_like([1, 2])


def test_scalar_tensor_and_eye_match_torch():
    same(ember.scalar_tensor(3), torch.scalar_tensor(3))
    same(ember.scalar_tensor(True, dtype=ember.bool), torch.scalar_tensor(True, dtype=torch.bool))
    for args in [(3,), (2, 4), (4, 2), (0,)]:
        same(ember.eye(*args), torch.eye(*args))
    same(ember.eye(3, dtype=ember.int64), torch.eye(3, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="eye: n and m must be non-negative, got n=-1"):
        ember.eye(-1)


# ---- ranges -------------------------------------------------------------------------

ARANGE = [(5,), (2, 9), (2, 9, 3), (9, 2, -2), (5, 0, -1), (0, 1, 0.1), (-3.3, 7.9, 0.37),
          (10, 0, -0.3), (0.5,), (1, 2.5), (0, 5, 1.5), (0, 0), (-1.5, 2), (0, -3, -1.0),
          (0, 100, 0.7)]


@pytest.mark.parametrize("args", ARANGE, ids=repr)
def test_arange_matches_torch(args):
    # PyTorch's vectorised kernel may round the last bit differently from
    # start + i * step rounded once; the length and dtype must match exactly.
    same(ember.arange(*args), torch.arange(*args), rtol=3e-7)


@settings(max_examples=25, deadline=None)
@given(start=st.integers(-50, 50), length=st.integers(0, 40), step=st.integers(1, 9),
       as_float=st.booleans(), descending=st.booleans(), jitter=st.floats(0.05, 0.95))
def test_arange_length_rule_matches_torch(start, length, step, as_float, descending, jitter):
    end = start + max(length, 1 if as_float else 0)
    if descending:
        start, end, step = end, start, -step
    if as_float:  # a non-integer start and step: ceil((end - start) / step) elements
        direction = 1 if step > 0 else -1
        start, step = start + direction * jitter / 2, step * (1 + jitter / 10)
    same(ember.arange(start, end, step), torch.arange(start, end, step), rtol=3e-7, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=3),
       kind=st.sampled_from(["int", "float", "bool", "mixed"]), seed=st.integers(0, 2**16))
def test_nested_lists_round_trip_like_torch(shape, kind, seed):
    a = np.random.default_rng(seed).integers(-5, 5, shape)
    data = {"int": a, "float": a * 0.5, "bool": a > 0, "mixed": a}[kind].tolist()
    if kind == "mixed" and a.ndim and a.size:  # one float makes the whole tensor float
        flat = data
        while isinstance(flat[0], list):
            flat = flat[0]
        flat[0] = 0.25
    x, xt = ember.tensor(data), torch.tensor(data)
    same(x, xt)
    assert x.tolist() == xt.tolist()


@pytest.mark.parametrize("args,dtype", [((0, 5, 1.5), "int64"), ((0.5, 5.7), "int64"),
                                        ((-2.5, 3), "int32"), ((0, 10, 3), "float64"),
                                        ((0, 4), "float16"), ((7, 0, -2), "uint8")])
def test_arange_with_explicit_dtype_matches_torch(args, dtype):
    same(ember.arange(*args, dtype=getattr(ember, dtype)),
         torch.arange(*args, dtype=getattr(torch, dtype)), rtol=3e-7)


def test_arange_tensor_and_numpy_arguments():
    same(ember.arange(ember.tensor(4)), torch.arange(torch.tensor(4)))
    same(ember.arange(np.int64(3)), torch.arange(3))
    assert ember.arange(3, requires_grad=False).dtype is ember.int64
    assert ember.arange(3.0, requires_grad=True).requires_grad


@pytest.mark.parametrize("args,kw,match", [
    ((0, 5, 0), {}, "arange: step must be nonzero"),
    ((0, 5, 0.5), {"dtype": ember.int64}, "arange: step must be nonzero"),
    ((5, 0, 1), {}, "upper bound and larger bound inconsistent with step sign"),
    ((0, float("nan")), {}, "arange: unsupported range: 0 -> nan"),
    ((0, float("inf")), {}, "arange: unsupported range"),
])
def test_arange_errors(args, kw, match):
    with pytest.raises(RuntimeError, match=match):
        ember.arange(*args, **kw)


LINSPACE = [(0, 1, 11), (-3.3, 7.9, 37), (10, 0, 1000), (0, 1, 7), (2, 2, 3), (1, 5, 1),
            (1, 5, 0), (-1, 1, 2), (-5, 5, 4), (0, 10, 4)]


# Integers are truncated from float64 points, so a point within rounding of an
# integer may truncate either way: (-3.3, 7.9, 37) has one at 2.0 and is left out.
LINSPACE_CASES = [(args, dtype) for args in LINSPACE
                  for dtype in ("float32", "float64", "float16", "int64")
                  if not (dtype == "int64" and args == (-3.3, 7.9, 37))]


@pytest.mark.parametrize("args,dtype", LINSPACE_CASES, ids=repr)
def test_linspace_matches_torch(args, dtype):
    # PyTorch's vectorised kernel steps from the start of each SIMD block, so
    # the last bit may differ: allow a few units of rounding at the range's scale.
    scale = max(abs(args[0]), abs(args[1]))
    eps = {"float32": 2**-23, "float64": 2**-52, "float16": 2**-10, "int64": 0}[dtype]
    same(ember.linspace(*args, dtype=getattr(ember, dtype)),
         torch.linspace(*args, dtype=getattr(torch, dtype)), atol=4 * eps * scale)
    same(ember.linspace(*args), torch.linspace(*args), atol=4 * 2**-23 * scale)


def test_linspace_float32_points_are_torchs_bit_for_bit():
    # Each point is start + step * i rounded once (PyTorch's kernel fuses the
    # multiply-add); rounding twice differed in the last place for ~60% of grids.
    r = np.random.default_rng(0)
    for _ in range(300):
        a, b = r.uniform(-50, 50, 2)
        n = int(r.integers(2, 600))
        np.testing.assert_array_equal(ember.linspace(a, b, n, dtype=ember.float32).numpy(),
                                      torch.linspace(a, b, n, dtype=torch.float32).numpy())


@pytest.mark.parametrize("args", [(0, 3, 4), (0, 2, 5), (-2, 2, 9, 2.0), (1, 1, 1), (0, 3, 0),
                                  (0, 10, 6, 1.5)], ids=repr)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_logspace_matches_torch(args, dtype):
    same(ember.logspace(*args, dtype=getattr(ember, dtype)),
         torch.logspace(*args, dtype=getattr(torch, dtype)),
         rtol=1e-6 if dtype == "float32" else 1e-14)


def test_linspace_logspace_errors():
    with pytest.raises(RuntimeError, match="linspace: number of steps must be non-negative"):
        ember.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="logspace: expected steps to be an int, got float"):
        ember.logspace(0, 1, 2.0)
    with pytest.raises(TypeError, match="linspace: expected start to be a number, got str"):
        ember.linspace("a", 1, 2)
    same(ember.linspace(ember.tensor(0.0), ember.tensor(1.0), 3), torch.linspace(0, 1, 3))
