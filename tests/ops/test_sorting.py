"""sort, topk, kthvalue, nonzero, unique, searchsorted... against PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from reference import check, close, rand

X = rand((3, 5))


def lib_of(x):
    return torch if isinstance(x, torch.Tensor) else ember


def t(x, a, dtype=None):
    return lib_of(x).tensor(np.asarray(a, dtype=dtype))


def same(fn, *arrays):
    """Compare fn on Ember and torch tensors made from ``arrays`` (no gradients)."""
    ours = fn(*(ember.tensor(a) for a in arrays))
    ref = fn(*(torch.tensor(a) for a in arrays))
    ours, ref = (ours, ref) if isinstance(ref, tuple) else ((ours,), (ref,))
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        close(a, b)


# ---- sort / argsort / msort -------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_torch(dim, descending):
    check(lambda x: x.sort(dim, descending), X)
    check(lambda x: lib_of(x).sort(x, dim=dim, descending=descending, stable=True), X)
    check(lambda x: x.argsort(dim, descending), X)


def test_sort_0d_empty_and_3d():
    check(lambda x: x.sort(), np.array(2.0))
    check(lambda x: x.sort(0), np.zeros((0, 3)))
    check(lambda x: x.sort(1, descending=True), rand((2, 4, 3), 1))


def test_stable_sort_keeps_ties_in_order_and_puts_nan_last():
    a = np.array([1.0, np.nan, 0.0, np.nan, 1.0, 0.0])
    for descending in (False, True):
        same(lambda x: x.sort(descending=descending, stable=True), a)
        same(lambda x: x.argsort(descending=descending, stable=True), a)


def test_sort_gradient_goes_to_the_returned_index_with_ties():
    a = np.array([2.0, 1.0, 2.0, 1.0])
    check(lambda x: x.sort(stable=True)[0] * t(x, [1.0, 2.0, 3.0, 4.0]), a)


def test_sort_integer_and_bool():
    same(lambda x: x.sort(stable=True), np.array([3, -1, 2, -1]))
    same(lambda x: x.sort(descending=True, stable=True), np.array([True, False, True]))


def test_msort_matches_torch():
    check(lambda x: x.msort(), X)
    check(lambda x: lib_of(x).msort(x), X)


def test_results_are_named_pairs():
    x = ember.tensor(X)
    for result in (x.sort(), x.topk(2), x.kthvalue(1)):
        values, indices = result
        assert result.values is values and result.indices is indices
        assert indices.dtype == ember.int64


# ---- topk / kthvalue ----------------------------------------------------------

@pytest.mark.parametrize("k,dim,largest", [(2, -1, True), (3, 0, False), (0, 1, True),
                                           (5, 1, False), (1, 0, True)])
def test_topk_matches_torch(k, dim, largest):
    check(lambda x: x.topk(k, dim, largest), X)
    check(lambda x: lib_of(x).topk(x, k, dim=dim, largest=largest, sorted=True), X)


def test_topk_of_0d_and_with_nan():
    check(lambda x: x.topk(1), np.array(4.0))
    same(lambda x: x.topk(2), np.array([1.0, np.nan, 0.0]))


@pytest.mark.parametrize("k,dim,keepdim", [(1, -1, False), (3, 1, True), (2, 0, False),
                                           (3, 0, True)])
def test_kthvalue_matches_torch(k, dim, keepdim):
    check(lambda x: x.kthvalue(k, dim, keepdim), X)
    check(lambda x: lib_of(x).kthvalue(x, k, dim=dim, keepdim=keepdim), X)


def test_value_outputs_second_derivatives():
    check(lambda x: x.sort(1, True).values ** 2 * x, X)
    check(lambda x: x.topk(2, 0).values ** 3, X)
    check(lambda x: x.kthvalue(2, 1).values ** 2, X)


def test_kthvalue_of_0d():
    check(lambda x: x.kthvalue(1), np.array(3.0))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_sort_and_topk_shapes(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(0, shape[dim]))
    descending = data.draw(st.booleans())
    a = rand(shape, data.draw(st.integers(0, 99)))
    check(lambda x: x.sort(dim, descending), a)
    check(lambda x: x.topk(k, dim, descending), a)


# ---- nonzero / argwhere -------------------------------------------------------

@pytest.mark.parametrize("a", [
    np.array([[0, 1, 0], [2, 0, 3]]), np.array([0.0, -1.5, 0.0]), np.array(5), np.array(0),
    np.zeros((2, 0)), np.array([[True, False], [True, True]]),
])
def test_nonzero_matches_torch(a):
    same(lambda x: x.nonzero(), a)
    same(lambda x: x.nonzero(as_tuple=True), a)
    same(lambda x: lib_of(x).nonzero(x, as_tuple=True), a)
    same(lambda x: x.argwhere(), a)


def test_nonzero_as_tuple_indexes_the_nonzero_entries():
    a = np.array([[0.0, 2.0], [3.0, 0.0]])
    x = ember.tensor(a)
    close(x[x.nonzero(as_tuple=True)], torch.tensor([2.0, 3.0], dtype=torch.float64))


# ---- unique / unique_consecutive ----------------------------------------------

@pytest.mark.parametrize("a", [
    np.array([3, 1, 2, 3, 1]), np.array([[1.5, -1.0], [1.5, 2.0]]), np.array(7),
    np.zeros(0), np.array([np.nan, 1.0, np.nan]),
])
@pytest.mark.parametrize("inverse,counts", [(False, False), (True, False), (False, True),
                                            (True, True)])
def test_unique_matches_torch(a, inverse, counts):
    same(lambda x: x.unique(return_inverse=inverse, return_counts=counts), a)
    same(lambda x: lib_of(x).unique(x, sorted=True, return_inverse=inverse,
                                    return_counts=counts), a)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_along_dim(dim):
    a = np.array([[1, 2, 1], [1, 2, 1], [0, 5, 0]])
    same(lambda x: x.unique(dim=dim, return_inverse=True, return_counts=True), a)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_unique_consecutive_matches_torch(dim):
    a = np.array([[1, 2, 2], [1, 2, 2], [0, 5, 5], [1, 2, 2]])
    same(lambda x: x.unique_consecutive(dim=dim), a)
    same(lambda x: x.unique_consecutive(return_inverse=True, return_counts=True, dim=dim), a)
    same(lambda x: lib_of(x).unique_consecutive(x, return_counts=True), np.zeros(0))


def test_unique_outputs_carry_no_gradient():
    x = ember.tensor([3.0, 1.0, 3.0], requires_grad=True)
    assert not x.unique().requires_grad


# ---- searchsorted / bucketize -------------------------------------------------

SEQ = np.array([1.0, 3.0, 3.0, 5.0, 7.0])
VALUES = np.array([[0.0, 3.0, 6.0], [7.0, 8.0, 3.0]])


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_matches_torch(right):
    same(lambda s, v: torch.searchsorted(s, v, right=right) if isinstance(s, torch.Tensor)
         else ember.searchsorted(s, v, right=right), SEQ, VALUES)
    side = "right" if right else "left"
    same(lambda s, v: lib_of(s).searchsorted(s, v, side=side, out_int32=True), SEQ, VALUES)


def test_searchsorted_scalar_and_rows():
    same(lambda s: lib_of(s).searchsorted(s, 3.5), SEQ)
    rows = np.array([[1, 3, 5], [2, 4, 6]])
    same(lambda s, v: lib_of(s).searchsorted(s, v, right=True), rows, np.array([[3], [6]]))


def test_searchsorted_with_sorter():
    seq = np.array([5.0, 1.0, 3.0])
    same(lambda s, o, v: lib_of(s).searchsorted(s, v, sorter=o), seq, np.argsort(seq),
         np.array([2.0, 5.0]))


@pytest.mark.parametrize("right", [False, True])
def test_bucketize_matches_torch(right):
    same(lambda v, b: lib_of(v).bucketize(v, b, right=right), VALUES, SEQ)
    same(lambda b: lib_of(b).bucketize(3, b, right=right), SEQ)


# ---- errors -------------------------------------------------------------------

def test_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="topk: k .5. is out of range for dimension 1 of size 4"):
        x.topk(5)
    with pytest.raises(RuntimeError, match="kthvalue: k .0. is out of range for dimension 1 of "
                                           "size 4"):
        x.kthvalue(0)
    with pytest.raises(IndexError, match="sort: dimension out of range"):
        x.sort(2)
    with pytest.raises(RuntimeError, match="searchsorted: side and right can't be set to "
                                           "opposites"):
        ember.searchsorted(ember.zeros(3), ember.zeros(2), side="left", right=True)
    with pytest.raises(ValueError, match="searchsorted: side must be 'left' or 'right'"):
        ember.searchsorted(ember.zeros(3), ember.zeros(2), side="middle")
    with pytest.raises(RuntimeError, match=r"searchsorted: the leading dimensions of "
                                           r"sorted_sequence \[2, 3\] and input \[3, 1\] must "
                                           "match"):
        ember.searchsorted(ember.zeros(2, 3), ember.zeros(3, 1))
    with pytest.raises(RuntimeError, match=r"bucketize: boundaries must be 1-D, got shape "
                                           r"\[2, 2\]"):
        ember.bucketize(ember.zeros(3), ember.zeros(2, 2))
    with pytest.raises(TypeError, match="unique: expected input to be a Tensor, got list"):
        ember.unique([1, 2])
