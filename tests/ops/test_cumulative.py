"""cumsum and cumprod against PyTorch: values, gradients and second derivatives,
including cumprod with zeros (first order with and without create_graph)."""

import numpy as np
import pytest
import torch

import ember
from reference import check, lib_of, rand


SHAPE_DIM = [((), 0), ((), -1), ((5,), 0), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1),
             ((2, 3, 4), 1), ((0, 3), 0), ((3, 0), 1)]


@pytest.mark.parametrize("shape,dim", SHAPE_DIM)
def test_cumsum_cumprod_match_torch(shape, dim):
    check(lambda x: x.cumsum(dim) ** 2, rand(shape))
    check(lambda x: lib_of(x).cumprod(x, dim=dim), rand(shape, seed=1, positive=True))
    check(lambda x: x.cumprod(dim), rand(shape, seed=2))  # negative values, no zeros


CUMPROD_ZEROS = [
    np.array([2.0, 0.0, -1.5, 3.0, 0.5]),  # one zero
    np.array([0.0, 2.0, 0.0, 3.0, -1.0]),  # zeros first and later
    np.array([1.5, -2.0, 3.0, 0.0]),  # zero last
    np.array([0.0, 0.0, 0.0]),
    np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, -1.0, 2.0], [1.0, 2.0, 3.0, 0.5]]),
]


@pytest.mark.parametrize("a", CUMPROD_ZEROS, ids=["one", "first_and_later", "last", "all",
                                                  "matrix"])
def test_cumprod_gradient_with_zeros_matches_torch(a):
    for dim in range(a.ndim):
        check(lambda x: x.cumprod(dim), a)  # create_graph: the differentiable O(n^2) form
        check(lambda x: x.cumprod(dim) * 3, a, second=False)  # first order only: the O(n) form


def test_integer_inputs_accumulate_in_int64_and_dtype_casts():
    ints = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
    assert check(lambda x: x.cumsum(1), ints).dtype == ember.int64
    assert check(lambda x: x.cumprod(0), ints).dtype == ember.int64
    check(lambda x: x.cumsum(0), np.array([True, False, True]))
    check(lambda x: x.cumsum(1, dtype=lib_of(x).float64), ints)
    check(lambda x: x.float().cumprod(1, dtype=lib_of(x).float64), rand((2, 3)), rtol=1e-5)


def test_in_place_methods():
    x, xt = ember.tensor(rand((3, 4))), torch.tensor(rand((3, 4)))
    assert x.cumsum_(1) is x
    xt.cumsum_(1)
    np.testing.assert_allclose(x.numpy(), xt.numpy())
    x.cumprod_(0)
    xt.cumprod_(0)
    np.testing.assert_allclose(x.numpy(), xt.numpy())


def test_cumulative_errors():
    x = ember.tensor(rand((2, 3)))
    with pytest.raises(IndexError, match=r"cumsum.*range of \[-2, 1\].*got 2"):
        x.cumsum(2)
    with pytest.raises(IndexError, match=r"cumprod.*range of \[-1, 0\].*got 1"):
        ember.tensor(2.0).cumprod(1)
    with pytest.raises(TypeError, match=r"cumsum.*expected an integer dim, got None"):
        x.cumsum(None)
    with pytest.raises(TypeError, match=r"cumprod: expected input to be a Tensor, got list"):
        ember.cumprod([1.0, 2.0], 0)
