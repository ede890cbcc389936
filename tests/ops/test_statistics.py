"""var, std, var_mean, std_mean and norms against PyTorch: values, gradients, second
derivatives, the legacy ``unbiased`` argument, zero spread and zero norms, errors."""

import math

import numpy as np
import pytest
import torch

import ember
from reference import check, lib_of, rand


SHAPE_DIMS = [((5,), None), ((5,), 0), ((3, 4), None), ((3, 4), 1), ((3, 4), -2),
              ((2, 3, 4), (0, 2)), ((2, 3, 4), [1, -1])]


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", SHAPE_DIMS)
def test_var_std_match_torch(op, shape, dim, keepdim):
    a = rand(shape)
    check(lambda x: getattr(x, op)(dim, keepdim=keepdim), a)
    check(lambda x: getattr(x, op)(dim=dim, correction=0, keepdim=keepdim), a)
    check(lambda x: getattr(lib_of(x), op)(x, dim, correction=2, keepdim=keepdim), a)


@pytest.mark.parametrize("op", ["var", "std"])
def test_legacy_unbiased_argument(op):
    a = rand((3, 4), seed=2)
    check(lambda x: getattr(x, op)(False), a)  # var(input, unbiased)
    check(lambda x: getattr(x, op)(1, False), a)  # var(input, dim, unbiased)
    check(lambda x: getattr(x, op)(1, True, True), a)  # ... keepdim
    check(lambda x: getattr(x, op)(0, unbiased=False, keepdim=True), a)


@pytest.mark.parametrize("op", ["var_mean", "std_mean"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, True), ((0, 1), False)])
def test_var_mean_std_mean_match_torch(op, dim, keepdim):
    a = rand((3, 4), seed=3)
    check(lambda x: getattr(lib_of(x), op)(x, dim, keepdim=keepdim), a)
    check(lambda x: getattr(lib_of(x), op)(x, dim, correction=0, keepdim=keepdim), a)


def test_std_gradient_is_zero_where_spread_is_zero():
    a = np.array([[2.0, 2.0, 2.0], [1.0, 3.0, -1.0]])
    check(lambda x: x.std(1), a)
    check(lambda x: x.std(), np.full((4,), 1.5))


@pytest.mark.filterwarnings("ignore:.*degrees of freedom", "ignore:invalid value:RuntimeWarning")
def test_too_few_degrees_of_freedom_give_nan_or_inf_like_torch():
    with pytest.warns(RuntimeWarning, match=r"var\(\): degrees of freedom is <= 0"):
        ember.tensor([1.0]).var()
    check(lambda x: x.var(), np.array([1.5]), second=False)
    check(lambda x: x.std(1), np.zeros((2, 0)), second=False)
    check(lambda x: x.var(0, correction=3), rand((3, 2)), second=False)


P_VALUES = [2, 1, math.inf, -math.inf, 0, 3, 1.5, 0.5, "fro"]


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", [((), None), ((5,), None), ((3, 4), 1), ((3, 4), (0, 1)),
                                       ((2, 3, 4), (0, 2)), ((2, 3, 4), -1)])
def test_norm_matches_torch(p, shape, dim, keepdim):
    a = rand(shape, seed=4)
    check(lambda x: x.norm(p, dim, keepdim), a, second=False)
    check(lambda x: lib_of(x).norm(x, p=p, dim=dim, keepdim=keepdim) ** 2, a)


@pytest.mark.parametrize("ord", [2, 1, math.inf, -math.inf, 0, 3.5, 0.5])
def test_vector_norm_matches_torch_linalg(ord):
    a = rand((3, 4), seed=5)
    for dim in (None, 1, (0, 1)):
        ours = ember.vector_norm(ember.tensor(a), ord, dim)
        ref = torch.linalg.vector_norm(torch.tensor(a), ord, dim)
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12)
    check(lambda x: (ember.vector_norm if lib_of(x) is ember else torch.linalg.vector_norm)(
        x, ord, 1, True) ** 2, a)


@pytest.mark.parametrize("p", [2, 1, math.inf, 3, 1.5, 0.5, "fro"])
def test_norm_gradient_at_zero_like_torch(p):
    # 0 is the 2-norm's subgradient at the origin; rows of zeros next to nonzero rows
    a = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, -2.0]])
    check(lambda x: x.norm(p, 1) ** 2, a, second=p in (1, math.inf))
    check(lambda x: x.norm(p), np.zeros((2, 2)), second=False)


def test_norm_second_derivative_at_zero_is_zero_not_nan():
    # PyTorch's is NaN there (0/0 inside its backward); ours is the limit along the mask: 0
    x = ember.tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
    (g,) = ember.autograd.grad(x.norm(dim=1).sum(), x, create_graph=True)
    (h,) = ember.autograd.grad((g * g).sum(), x)
    np.testing.assert_array_equal(g.detach().numpy()[0], [0.0, 0.0])
    np.testing.assert_array_equal(h.numpy()[0], [0.0, 0.0])
    assert np.isfinite(h.numpy()).all()


def test_norm_ties_share_the_inf_gradient():
    a = np.array([[3.0, -3.0, 1.0], [2.0, 0.5, -2.0]])
    check(lambda x: x.norm(math.inf, 1) ** 2, a)
    check(lambda x: x.norm(-math.inf) ** 2, np.array([-1.0, 1.0, 4.0]))


def test_reference_check_reads_torch_zero_tensor_second_derivatives():
    # d/dx of the 1-norm's gradient sign(x) is zero: ours is None, torch's a ZeroTensor
    check(lambda x: x.norm(1), rand((3,)))


def test_norm_of_empty_and_dtype():
    check(lambda x: x.norm(), np.zeros((0, 3)))
    check(lambda x: x.norm(1, dim=0), np.zeros((0, 3)), second=False)
    check(lambda x: x.float().norm(dtype=lib_of(x).float64), rand((3,)), rtol=1e-6)
    check(lambda x: x.norm(1, dtype=lib_of(x).float64) ** 2, np.arange(3, dtype=np.float32))


def test_statistics_errors():
    x = ember.tensor(rand((2, 3)))
    with pytest.raises(RuntimeError, match=r"var\(\): expected a floating point input, got .*int"):
        ember.tensor([1, 2]).var()
    with pytest.raises(RuntimeError, match=r"std\(\): pass either unbiased .* or correction"):
        x.std(1, True, correction=0)
    with pytest.raises(IndexError, match=r"std.*range of \[-2, 1\].*got 2"):
        x.std(2)
    with pytest.raises(IndexError, match=r"norm.*range of \[-2, 1\].*got -3"):
        x.norm(2, -3)
    with pytest.raises(RuntimeError, match=r"norm\(\): p='nuc'.*matrix norm.*not supported"):
        x.norm("nuc")
    with pytest.raises(RuntimeError, match=r"norm\(\): p='fro' with dim=\(0, 1, 2\)"):
        ember.tensor(rand((2, 3, 4))).norm("fro", (0, 1, 2))
    with pytest.raises(RuntimeError, match=r"norm\(\): expected a floating point input, got .*int"):
        ember.tensor([1, 2]).norm()
    with pytest.raises(RuntimeError, match=r"vector_norm\(\): cannot compute the inf norm of an"):
        ember.vector_norm(ember.zeros(0), math.inf)
    with pytest.raises(RuntimeError, match=r"norm\(\): the input.s dtype .*float64 should be conv"):
        x.norm(dtype=ember.float32)
    with pytest.raises(TypeError, match=r"vector_norm\(\): expected ord to be a number, got 'fro'"):
        ember.vector_norm(x, "fro")
