"""Reductions (sum, mean, prod, max/min, median, logsumexp, all/any, nansum) against
PyTorch: values, gradients, second derivatives, ties, zeros, empty inputs, errors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
from reference import check, lib_of, rand


# (input shape, dim): 0-d, one dim, negative dims, tuples and lists of dims
SHAPE_DIMS = [((), None), ((), 0), ((5,), 0), ((3, 4), None), ((3, 4), 1), ((3, 4), -2),
              ((2, 3, 4), (0, 2)), ((2, 3, 4), [1, -1]), ((2, 3, 4), (-1, 0, 1))]
SHAPE_DIM = [((), 0), ((5,), -1), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1)]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", SHAPE_DIMS)
def test_sum_and_mean_match_torch(shape, dim, keepdim):
    a = rand(shape)
    if dim is None:
        check(lambda x: x.sum() * x.mean(), a)
    else:
        check(lambda x: x.sum(dim, keepdim) * x.sum(dim=dim, keepdim=keepdim), a)
        check(lambda x: x.mean(dim, keepdim) ** 2, a)


def test_sum_mean_dtype_and_empty():
    a = rand((3, 4))
    check(lambda x: x.sum(1, dtype=lib_of(x).float32).double() ** 2, a, rtol=1e-6)
    check(lambda x: x.mean(dtype=lib_of(x).float32), a, rtol=1e-6)
    check(lambda x: x.sum(dim=()), a)  # PyTorch: an empty dim list reduces everything
    check(lambda x: x.sum(), np.zeros((0, 3)))
    check(lambda x: x.sum(0), np.zeros((0, 3)))
    check(lambda x: x.mean(1), np.zeros((3, 0)), second=False)  # NaN, as PyTorch
    ints = np.arange(6).reshape(2, 3)
    check(lambda x: x.sum(1), ints)  # int64
    check(lambda x: (x > 2).sum(), ints)
    check(lambda x: x.mean(dtype=lib_of(x).float64), ints)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", [((), None)] + SHAPE_DIM)
def test_prod_matches_torch(shape, dim, keepdim):
    a = rand(shape, positive=True)
    if dim is None:
        check(lambda x: x.prod(), a)
    else:
        check(lambda x: x.prod(dim, keepdim), a)


PROD_ZEROS = [
    np.array([2.0, 0.0, -1.5, 3.0]),  # one zero
    np.array([0.0, 2.0, 0.0, 3.0]),  # two zeros
    np.array([0.0, 0.0, 0.0]),
    np.array([[1.5, 0.0, 2.0], [0.0, 0.0, -1.0], [1.0, 2.0, 3.0], [0.5, -2.0, 0.0]]),
]


@pytest.mark.parametrize("a", PROD_ZEROS, ids=["one_zero", "two_zeros", "all_zeros", "matrix"])
def test_prod_gradient_with_zeros_matches_torch(a):
    check(lambda x: x.prod(), a)
    check(lambda x: x.prod(), a, second=False)  # first derivatives without create_graph
    for dim in range(a.ndim):
        check(lambda x: x.prod(dim), a)
        check(lambda x: x.prod(dim, keepdim=True) * 2, a, second=False)


def test_prod_integers_and_empty():
    check(lambda x: x.prod(), np.arange(1, 6))
    check(lambda x: x.prod(0), np.array([True, False]))
    check(lambda x: x.prod(), np.zeros((0,)))
    check(lambda x: x.prod(1), np.zeros((2, 0)))
    check(lambda x: x.prod(dtype=lib_of(x).float64), np.arange(1, 5).astype(np.int32))


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", SHAPE_DIM)
def test_max_min_along_dim_match_torch(op, shape, dim, keepdim):
    out = check(lambda x: getattr(x, op)(dim, keepdim), rand(shape))
    values, indices = out  # unpacks like torch.return_types
    assert indices.dtype == ember.int64
    named = getattr(ember.tensor(rand(shape)), op)(dim=dim, keepdim=keepdim)
    assert named.values.shape == named.indices.shape == values.shape


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin", "median"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_full_reductions_match_torch(op, shape):
    check(lambda x: getattr(x, op)() ** 2, rand(shape))
    check(lambda x: getattr(lib_of(x), op)(x), rand(shape, seed=3))


def test_ties_share_the_gradient_like_torch():
    a = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, -4.0, 2.0, -4.0]])
    check(lambda x: x.max(), a)  # 3 twice: half each
    check(lambda x: x.min(), a)
    check(lambda x: x.amax(1), a)
    check(lambda x: x.amin(1, keepdim=True), a)
    check(lambda x: x.amax((0, 1)), a)
    check(lambda x: x.max(1).values, a)  # along a dim: the returned index gets it all
    check(lambda x: x.min(1), a)
    check(lambda x: x.median(), np.array([1.0, 2.0, 2.0, 5.0]))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, (), 0, -1, (0, 2), [2, 1]])
def test_amax_amin_dims_match_torch(dim, keepdim):
    a = rand((2, 3, 4), seed=5)
    if dim is None:
        check(lambda x: x.amax() - x.amin(), a)
    else:
        check(lambda x: x.amax(dim, keepdim) * x.amin(dim=dim, keepdim=keepdim), a)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", [((), None), ((4,), None), ((3, 4), None)] + SHAPE_DIM)
def test_argmax_argmin_match_torch(shape, dim, keepdim):
    a = rand(shape, seed=2)
    out = check(lambda x: x.argmax(dim, keepdim), a)
    assert out.dtype == ember.int64
    check(lambda x: lib_of(x).argmin(x, dim=dim, keepdim=keepdim), a)


def test_median_along_dim_matches_torch():
    a = rand((3, 5), seed=4)
    check(lambda x: x.median(1), a)
    check(lambda x: x.median(0, keepdim=True), a)
    check(lambda x: x.median(-1).values * 3, rand((2, 4), seed=6))  # even count: lower median


def test_nan_propagates_through_max_and_median():
    a = np.array([[1.0, np.nan, 3.0], [2.0, 5.0, -1.0]])
    check(lambda x: x.max(1), a, second=False)
    check(lambda x: x.min(dim=1), a, second=False)
    check(lambda x: x.max(), a, second=False)  # the gradient goes to the NaN, as PyTorch
    check(lambda x: x.median(), a, second=False)
    check(lambda x: x.median(1).values, a, second=False)
    check(lambda x: x.argmax(1), a)


def test_max_with_a_tensor_is_maximum():
    a, b = rand((3, 4), 0), rand((4,), 1)
    check(lambda x, y: x.max(y), a, b, second=False)
    check(lambda x, y: lib_of(x).min(x, y), a, b, second=False)
    check(lambda x, y: lib_of(x).max(x, other=y), a, b, second=False)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", [s for s in SHAPE_DIMS if s[1] is not None])
def test_logsumexp_matches_torch(shape, dim, keepdim):
    check(lambda x: x.logsumexp(dim, keepdim), rand(shape, low=-5, high=5))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # -inf - -inf, as in torch
def test_logsumexp_is_stable_and_handles_infinities():
    big = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1002.0]])
    out = check(lambda x: lib_of(x).logsumexp(x, 1), big)
    assert np.isfinite(out.detach().numpy()).all()
    check(lambda x: x.logsumexp(1), np.array([[-np.inf, -np.inf], [-np.inf, 0.0]]), second=False)
    check(lambda x: x.logsumexp(1), np.zeros((2, 0)))  # an empty sum: -inf
    check(lambda x: x.logsumexp(0), np.arange(3))  # integers: promoted to float


@pytest.mark.parametrize("op", ["all", "any"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 1), False),
                                         (-1, False)])
def test_all_any_match_torch(op, dim, keepdim):
    a = np.array([[1, 0, 2], [3, 4, 5]])
    for arr in (a, a.astype(np.float64), a > 0, a.astype(np.uint8)):  # uint8 stays uint8
        out = check(lambda x: getattr(x, op)() if dim is None else getattr(x, op)(dim, keepdim),
                    arr)
        assert out.dtype == (ember.uint8 if arr.dtype == np.uint8 else ember.bool)
    check(lambda x: getattr(x, op)(), np.zeros((0, 2)))  # all(empty) is True, any(empty) False


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), ()])
def test_count_nonzero_matches_torch(dim):
    a = np.array([[0.0, 1.5, 0.0], [2.0, -1.0, 0.0]])
    check(lambda x: lib_of(x).count_nonzero(x, dim) if dim is not None else x.count_nonzero(), a)
    check(lambda x: x.count_nonzero(), np.array(3.0))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # all-NaN rows: 0 / 0
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
def test_nansum_nanmean_match_torch(dim, keepdim):
    a = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [2.0, 5.0, -1.0]])
    if dim is None:
        check(lambda x: x.nansum() * x.nanmean(), a)
    else:
        check(lambda x: x.nansum(dim, keepdim) ** 2, a)
        check(lambda x: x.nanmean(dim, keepdim) ** 2, a)
    check(lambda x: x.nansum(), np.arange(4))  # integers: a plain sum


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_property_reductions_over_random_dims(shape, data):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                              unique_by=lambda d: d % ndim))
    keepdim = data.draw(st.booleans())
    a = rand(tuple(shape), seed=len(dims))
    check(lambda x: x.sum(dims, keepdim) * x.amax(dims, keepdim) + x.logsumexp(dims, keepdim), a)
    check(lambda x: x.mean(dims, keepdim), a, second=False)


def test_methods_and_functions_are_bound():
    x = ember.tensor(rand((3, 4)))
    for name in ["prod", "max", "min", "amax", "amin", "argmax", "argmin", "median", "logsumexp",
                 "all", "any", "count_nonzero", "nansum", "nanmean", "var", "std", "norm",
                 "cumsum", "cumprod"]:
        assert getattr(ember.Tensor, name) is getattr(ember, name), name
    assert x.max(dim=1).indices.shape == (3,)
    assert ember.return_types.max is type(x.max(0))


# ---- errors -----------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda x: x.sum(2), lambda x: x.mean((0, -3)), lambda x: x.prod(5), lambda x: x.max(2),
    lambda x: x.amax(-3), lambda x: x.argmax(2), lambda x: x.logsumexp(3), lambda x: x.all(2),
    lambda x: x.count_nonzero(4), lambda x: x.median(2), lambda x: x.nansum(-4),
])
def test_bad_dim_names_op_and_range(call):
    name = call.__code__.co_names[-1]
    with pytest.raises(IndexError, match=rf"{name}.*range of \[-2, 1\].*got -?\d"):
        call(ember.tensor(rand((2, 3))))


def test_repeated_dim_is_refused():
    with pytest.raises(RuntimeError, match=r"sum: dim \(1, -1\) appears multiple times"):
        ember.tensor(rand((2, 3))).sum((1, -1))


def test_empty_reductions_raise_like_torch():
    e = ember.zeros(0, 3)
    for op in ("max", "min", "median", "argmax", "argmin", "amax"):
        with pytest.raises(RuntimeError, match=rf"{op}\(\): expected a non-empty input"):
            getattr(e, op)()
    with pytest.raises(IndexError, match=r"max\(\): expected reduction dim 0 to have non-zero"):
        e.max(0)
    with pytest.raises(IndexError, match=r"amin\(\): expected reduction dim 0 to have non-zero"):
        e.amin(0)
    assert e.max(1).values.shape == (0,)  # reducing a non-empty dim is fine


def test_bad_arguments_raise_clear_errors():
    x = ember.tensor(rand((2, 3)))
    with pytest.raises(TypeError, match=r"prod\(\): expected dim to be an int"):
        x.prod((0, 1))
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype.*int64"):
        ember.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match=r"nanmean\(\): expected a floating point input"):
        ember.tensor([1, 2]).nanmean()
    with pytest.raises(TypeError, match=r"sum: expected input to be a Tensor, got list"):
        ember.sum([1.0, 2.0])
    with pytest.raises(TypeError, match=r"amax: expected an integer dim, got 1.5"):
        x.amax(1.5)


def test_wrap_dims_rejects_a_float_dim_clearly():
    from ember.ops._util import wrap_dims
    with pytest.raises(TypeError, match=r"op: expected an integer dim, got 1.5"):
        wrap_dims(1.5, 2, "op")
