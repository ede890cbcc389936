"""gather / scatter / scatter_reduce, masked ops and take against PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from reference import check, close, rand

X = rand((3, 4))
MASK = X > 0


def lib_of(x):
    return torch if isinstance(x, torch.Tensor) else ember


def t(x, a, dtype=np.int64):
    """``a`` as a tensor of ``x``'s framework (int64 by default)."""
    return lib_of(x).tensor(np.asarray(a, dtype=dtype))


def random_index(shape, high, seed, distinct_dim=None):
    """Random int64 indices in [0, high); distinct along ``distinct_dim`` if given."""
    r = np.random.default_rng(seed)
    if distinct_dim is None:
        return r.integers(0, high, shape)
    distinct_dim %= len(shape)
    idx = np.argsort(r.random(shape[:distinct_dim] + (high,) + shape[distinct_dim + 1:]),
                     axis=distinct_dim)
    return np.take(idx, np.arange(shape[distinct_dim]), axis=distinct_dim)


# ---- gather -------------------------------------------------------------------

@pytest.mark.parametrize("dim,index_shape", [(0, (2, 4)), (1, (3, 6)), (-1, (2, 3)), (0, (5, 1))])
def test_gather_matches_torch(dim, index_shape):
    idx = random_index(index_shape, X.shape[dim], 0)
    check(lambda x: x.gather(dim, t(x, idx)), X)
    check(lambda x: lib_of(x).gather(x, dim, t(x, idx)), X)


def test_gather_0d_and_empty():
    check(lambda x: x.gather(0, t(x, 0)), np.array(1.5))
    check(lambda x: x.gather(0, t(x, 1)), np.array([1.0, 2.0]))
    check(lambda x: x.gather(1, t(x, np.zeros((3, 0)))), X)


def test_gather_int32_index():
    check(lambda x: x.gather(1, t(x, [[0], [3], [1]], np.int32)), X)


# ---- scatter / scatter_add ----------------------------------------------------

@pytest.mark.parametrize("dim,index_shape", [(0, (2, 4)), (1, (3, 2)), (-1, (2, 3)), (0, (0, 4))])
def test_scatter_matches_torch(dim, index_shape):
    idx = random_index(index_shape, X.shape[dim], 1, distinct_dim=dim)
    check(lambda x, s: x.scatter(dim, t(x, idx), s), X, rand(index_shape, 2))


def test_scatter_src_larger_than_index():
    idx = np.array([[0, 1], [2, 0]])
    for op in ("scatter", "scatter_add"):
        check(lambda x, s: getattr(x, op)(0, t(x, idx), s), X, rand((3, 4), 2), grad_inputs=[])
    # PyTorch's backward fails here; Ember gives the unused part zero gradient.
    s = ember.ones(3, 4, dtype=ember.float64, requires_grad=True)
    ember.zeros(3, 4, dtype=ember.float64).scatter_add(0, ember.tensor(idx), s).sum().backward()
    want = np.zeros((3, 4))
    want[:2, :2] = 1.0
    close(s.grad, torch.tensor(want))


@pytest.mark.parametrize("value", [2.5, -1])
def test_scatter_value_matches_torch(value):
    idx = random_index((3, 2), 4, 3, distinct_dim=1)
    check(lambda x: x.scatter(1, t(x, idx), value), X)
    check(lambda x: x.scatter(1, t(x, idx), value=value), X)


@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add_with_repeated_indices(dim):
    idx = random_index((7, 4) if dim == 0 else (3, 7), X.shape[dim], 4)  # many repeats
    src = rand(idx.shape, 5)
    check(lambda x, s: x.scatter_add(dim, t(x, idx), s), X, src)
    check(lambda x, s: lib_of(x).scatter_add(x, dim, t(x, idx), s), X, src)


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_with_reduce_values(reduce):
    idx = random_index((3, 2), 4, 6)
    for make_src in (lambda x: x[:, :2] * 2.0, lambda x: 1.5):
        check(lambda x: x.scatter(1, t(x, idx), make_src(x), reduce=reduce), X, second=False,
              grad_inputs=[])


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_scatter_with_reduce_has_gradients():
    # PyTorch has none; compare with the equivalent scatter_reduce.
    idx = ember.tensor(random_index((3, 2), 4, 6))
    for reduce, name in (("add", "sum"), ("multiply", "prod")):
        x = ember.tensor(X, requires_grad=True)
        s = ember.tensor(rand((3, 2), 7), requires_grad=True)
        g1 = ember.autograd.grad(x.scatter(1, idx, s, reduce=reduce).sum(), (x, s))
        g2 = ember.autograd.grad(x.scatter_reduce(1, idx, s, name).sum(), (x, s))
        for a, b in zip(g1, g2):
            close(a, b)


# ---- scatter_reduce -----------------------------------------------------------

@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_matches_torch(reduce, include_self):
    idx = random_index((5, 3), 3, 8)  # repeats; column 3 is untouched
    check(lambda x, s: x.scatter_reduce(0, t(x, idx), s, reduce, include_self=include_self),
          X, rand((5, 3), 9, positive=reduce == "prod"))


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_with_zeros(include_self):
    x = rand((2, 3), 10)
    x[0, 1] = 0.0
    src = rand((3, 3), 11)
    src[0, 0] = 0.0  # a single zero at target (0, 0)
    idx = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 0]])
    check(lambda a, s: a.scatter_reduce(0, t(a, idx), s, "prod", include_self=include_self),
          x, src)


def test_scatter_reduce_prod_two_zeros_refuses_double_backward():
    src = ember.tensor([0.0, 0.0, 2.0], dtype=ember.float64, requires_grad=True)
    x = ember.ones(1, dtype=ember.float64)
    out = x.scatter_reduce(0, ember.tensor([0, 0, 0]), src, "prod")
    (g,) = ember.autograd.grad(out.sum(), src, create_graph=True)
    close(g, torch.zeros(3, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="double backward is unsupported for src when more "
                                           "than one zero"):
        ember.autograd.grad(g.sum(), src)


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_ties_share_the_gradient(reduce):
    x = np.array([1.0, 5.0])
    src = np.array([1.0, 1.0, 5.0, 0.0])
    idx = np.array([0, 0, 1, 1])
    check(lambda a, s: a.scatter_reduce(0, t(a, idx), s, reduce), x, src)


def test_scatter_reduce_integer_mean_rounds_down():
    e = ember.arange(6).reshape(2, 3).scatter_reduce(0, ember.tensor([[0, 0, 1]]),
                                                      ember.tensor([[3, 4, 5]]), "mean")
    r = torch.arange(6).reshape(2, 3).scatter_reduce(0, torch.tensor([[0, 0, 1]]),
                                                      torch.tensor([[3, 4, 5]]), "mean")
    close(e, r)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_scatter_reduce_shapes(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    dim = data.draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(data.draw(st.integers(0, n)) if d != dim else data.draw(st.integers(0, 5))
                        for d, n in enumerate(shape))
    reduce = data.draw(st.sampled_from(["sum", "mean", "amax", "amin"]))
    include_self = data.draw(st.booleans())
    idx = random_index(index_shape, shape[dim], data.draw(st.integers(0, 99)))
    check(lambda x, s: x.scatter_reduce(dim, t(x, idx), s, reduce, include_self=include_self),
          rand(shape, 1), rand(index_shape, 2))
    check(lambda x: x.gather(dim, t(x, idx)), rand(shape, 3))


NONLINEAR = {
    "gather": lambda x, s: x.gather(1, t(x, [[0, 0], [3, 1], [2, 2]])) ** 2 * s,
    "scatter": lambda x, s: x.scatter(1, t(x, [[0, 1], [3, 1], [2, 0]]), s * s) * x,
    "scatter_add": lambda x, s: x.scatter_add(0, t(x, [[0, 0], [2, 0], [0, 1]]), s ** 3) * x,
    "scatter_reduce mean": lambda x, s: x.scatter_reduce(
        1, t(x, [[0, 0], [3, 3], [1, 1]]), s * s, "mean", include_self=False) * x,
    "scatter_reduce amax": lambda x, s: x.scatter_reduce(
        1, t(x, [[0, 0], [3, 3], [1, 1]]), s * s, "amax") * x,
    "masked_fill": lambda x, s: x.masked_fill(t(x, MASK, bool), 2.0) * x * s.sum(),
    "masked_select": lambda x, s: x.masked_select(t(x, MASK, bool)) ** 2 * s.sum(),
    "masked_scatter": lambda x, s: x.masked_scatter(t(x, MASK, bool), s.repeat(2, 2) ** 2) * x,
    "take": lambda x, s: x.take(t(x, [[0, 11], [5, 5]])) ** 2 * s[:2, :2],
    "take_along_dim": lambda x, s: x.take_along_dim(t(x, [[1], [0], [3]]), 1) ** 2 * s,
}


@pytest.mark.parametrize("name", NONLINEAR)
def test_second_derivatives_match_torch(name):
    check(NONLINEAR[name], X, rand((3, 2), 15))


# ---- in-place -------------------------------------------------------------------

def test_in_place_variants_match_torch():
    idx = np.array([[0, 1], [2, 0]])

    def run(lib):
        x = lib.zeros(3, 4, dtype=lib.float64)
        i = lib.tensor(idx)
        x.scatter_(0, i, lib.ones(2, 2, dtype=lib.float64))
        x.scatter_(1, i, 3.0)
        x.scatter_add_(0, i, lib.full((2, 2), 2.0, dtype=lib.float64))
        x.scatter_reduce_(1, i, lib.full((2, 2), 9.0, dtype=lib.float64), "amax")
        x.masked_fill_(lib.tensor([True, False, False, True]), -1.0)
        x.masked_scatter_(lib.tensor(MASK), lib.arange(12, dtype=lib.float64))
        return x
    close(run(ember), run(torch))


def test_in_place_on_non_leaf_keeps_gradients():
    def f(x, s):
        y = x * 1.0
        y.scatter_add_(1, t(x, [[0, 0], [1, 3], [2, 2]]), s)
        y.masked_fill_(t(x, [True, False, True, False], bool), 0.0)
        return y
    check(f, X, rand((3, 2), 12))


# ---- masked ops ---------------------------------------------------------------


@pytest.mark.parametrize("mask_shape", [(3, 4), (4,), (3, 1), ()])
@pytest.mark.parametrize("value", [0.5, -3])
def test_masked_fill_matches_torch(mask_shape, value):
    m = np.random.default_rng(2).random(mask_shape) > 0.5
    check(lambda x: x.masked_fill(t(x, m, bool), value), X)


def test_masked_fill_broadcasts_input_out_of_place():
    m = np.random.default_rng(0).random((2, 3, 4)) > 0.5
    check(lambda x: x.masked_fill(t(x, m, bool), 1.0), X)


def test_masked_fill_tensor_value_gets_gradient():
    check(lambda x, v: x.masked_fill(t(x, MASK, bool), v), X, np.array(0.25))


def test_masked_fill_integer_input_truncates_value():
    e = ember.arange(4).masked_fill(ember.tensor([True, False, True, False]), 2.7)
    r = torch.arange(4).masked_fill(torch.tensor([True, False, True, False]), 2.7)
    close(e, r)


@pytest.mark.parametrize("mask_shape", [(3, 4), (4,), (2, 3, 4)])
def test_masked_select_matches_torch(mask_shape):
    m = np.random.default_rng(1).random(mask_shape) > 0.4
    check(lambda x: x.masked_select(t(x, m, bool)), X)


@pytest.mark.parametrize("src_shape", [(12,), (4, 5), (3, 4)])
def test_masked_scatter_matches_torch(src_shape):
    check(lambda x, s: x.masked_scatter(t(x, MASK, bool), s), X, rand(src_shape, 13))


def test_masked_scatter_broadcasts_mask():
    check(lambda x, s: x.masked_scatter(t(x, [True, False, True, True], bool), s), X,
          rand((9,), 14))


# ---- take / take_along_dim ----------------------------------------------------

def test_take_matches_torch():
    check(lambda x: x.take(t(x, [[0, 11], [-1, 5], [5, 5]])), X)
    check(lambda x: x.take(t(x, 3)), X)
    check(lambda x: x.take(t(x, [0, 0])), np.array(2.0))


@pytest.mark.parametrize("dim,index", [
    (1, [[0, 3], [1, 1], [-1, 2]]), (0, [[2, 0, 1, -3]]), (1, [[1], [0], [3]]),
    (1, [[0, 1]]), (0, [[1], [2]]), (None, [[0, 11], [2, 4]]),
])
def test_take_along_dim_matches_torch(dim, index):
    check(lambda x: x.take_along_dim(t(x, index), dim), X)
    check(lambda x: lib_of(x).take_along_dim(x, t(x, index), dim=dim), X)


def test_take_along_dim_with_argsort():
    check(lambda x: x.take_along_dim(x.argsort(1), 1), X)


# ---- errors -------------------------------------------------------------------

def test_index_dtype_errors():
    x = ember.zeros(3)
    for op in ("gather", "scatter_add"):
        args = (ember.ones(2),) if op != "gather" else ()
        with pytest.raises(RuntimeError, match=rf"{op}\(\): Expected dtype int32/int64 for "
                                               "index, got float32"):
            getattr(x, op)(0, ember.tensor([0.0, 1.0]), *args)
    with pytest.raises(RuntimeError, match="take: expected index of dtype int64, got int32"):
        x.take(ember.tensor([0], dtype=ember.int32))
    with pytest.raises(RuntimeError, match="take_along_dim: expected index of dtype int64"):
        x.take_along_dim(ember.tensor([0], dtype=ember.int32), 0)


def test_shape_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"gather\(\): index tensor must have the same number "
                                           r"of dimensions as input tensor, got index of shape "
                                           r"\[2\] and input of shape \[3, 4\]"):
        x.gather(0, ember.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"gather\(\): expected index \[2, 5\] to be no larger "
                                           r"than input \[3, 4\] apart from dimension 0"):
        x.gather(0, ember.zeros(2, 5, dtype=ember.int64))
    with pytest.raises(RuntimeError, match=r"scatter\(\): expected index \[2, 3\] to be no "
                                           r"larger than src \[1, 4\]"):
        x.scatter(0, ember.zeros(2, 3, dtype=ember.int64), ember.zeros(1, 4))
    with pytest.raises(RuntimeError, match=r"scatter_add\(\): expected src dtype float64 to equal "
                                           "the input's, float32"):
        x.scatter_add(0, ember.zeros(1, 1, dtype=ember.int64),
                      ember.zeros(1, 1, dtype=ember.float64))
    with pytest.raises(RuntimeError, match=r"take_along_dim: input and indices should have the "
                                           "same number of dimensions, got 2 and 1"):
        x.take_along_dim(ember.tensor([0]), 0)
    with pytest.raises(RuntimeError, match=r"masked_select: shapes \[3, 4\] and \[2\] cannot be "
                                           "broadcast"):
        x.masked_select(ember.tensor([True, False]))


def test_out_of_range_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(IndexError, match=r"gather\(\): index 5 is out of bounds for dimension 0 "
                                         "with size 3"):
        x.gather(0, ember.tensor([[0, 5]]))
    with pytest.raises(IndexError, match=r"scatter\(\): index -1 is out of bounds for dimension "
                                         "1 with size 4"):
        x.scatter(1, ember.tensor([[-1]]), 1.0)
    with pytest.raises(IndexError, match="take: index 12 is out of bounds for the flattened input "
                                         "with size 12"):
        x.take(ember.tensor([12]))
    with pytest.raises(IndexError, match="take_along_dim: index -5 is out of bounds for dimension "
                                         "1 with size 4"):
        x.take_along_dim(ember.tensor([[-5]]), 1)
    with pytest.raises(IndexError, match="gather: dimension out of range"):
        x.gather(2, ember.tensor([[0]]))


def test_argument_errors():
    x = ember.zeros(3, 4)
    i = ember.zeros(1, 1, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="scatter_reduce: reduce argument must be either sum, "
                                           "prod, mean, amax or amin, got 'max'"):
        x.scatter_reduce(0, i, ember.ones(1, 1), "max")
    with pytest.raises(RuntimeError, match="scatter: reduce argument must be either 'add' or "
                                           "'multiply', got 'mean'"):
        x.scatter(0, i, 1.0, reduce="mean")
    with pytest.raises(TypeError, match="scatter: expected exactly one of src"):
        x.scatter(0, i)
    with pytest.raises(RuntimeError, match="masked_fill: expected a bool mask, got a mask of "
                                           "dtype int64"):
        x.masked_fill(ember.tensor([1, 0, 1, 0]), 1.0)
    with pytest.raises(RuntimeError, match=r"masked_fill: only supports a 0-dim value tensor, got "
                                           r"a tensor of shape \[1\]"):
        x.masked_fill(ember.tensor([True, False, True, False]), ember.ones(1))
    with pytest.raises(RuntimeError, match="masked_scatter: source has 5 elements, fewer than the "
                                           "12 True entries"):
        x.masked_scatter(ember.ones(3, 4, dtype=ember.bool), ember.ones(5))
    with pytest.raises(RuntimeError, match="masked_scatter: expected input and source of the same "
                                           "dtype, got float32 and float64"):
        x.masked_scatter(ember.ones(3, 4, dtype=ember.bool), ember.ones(12, dtype=ember.float64))
