"""x[index], x[index] = value and the index_* ops against PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from reference import check, close, rand

A = rand((4, 5, 6))
MASK = A[:, :, 0] > 0  # (4, 5)


def as_index(x, a):
    """``a`` (a NumPy array) as an index tensor of ``x``'s framework."""
    return torch.tensor(a) if isinstance(x, torch.Tensor) else ember.tensor(a)


BASIC = {
    "int": lambda x: x[1],
    "negative int": lambda x: x[-1, -2],
    "slice": lambda x: x[1:3],
    "slice with step": lambda x: x[::2, 1::3, -4:-1:2],
    "none": lambda x: x[None, 1, :, None],
    "ellipsis": lambda x: x[..., 2],
    "ellipsis in the middle": lambda x: x[1, ..., None, 3],
    "empty slice": lambda x: x[2:2],
    "0-d int tensor": lambda x: x[as_index(x, np.array(2)), 1],
    "slice past the end": lambda x: x[2:100, -100:2],
}


@pytest.mark.parametrize("name", BASIC)
def test_basic_indexing_matches_torch(name):
    check(BASIC[name], A)


def test_basic_indexing_is_a_view():
    x = ember.zeros(4, 5)
    x[1:3][:, ::2][0] = 7.0
    t = torch.zeros(4, 5)
    t[1:3][:, ::2][0] = 7.0
    close(x, t)


ADVANCED = {
    "int list": lambda x: x[[0, 2, 3]],
    "list in a later dim": lambda x: x[:, [-1], :],
    "int tensor": lambda x: x[as_index(x, np.array([3, 0, 1]))],
    "repeated indices": lambda x: x[[0, 0, 2, 0]],
    "negative tensor": lambda x: x[as_index(x, np.array([-1, -4]))],
    "2-d index": lambda x: x[as_index(x, np.array([[0, 1], [1, 1]]))],
    "int32 index": lambda x: x[as_index(x, np.array([1, 2], dtype=np.int32))],
    "two arrays": lambda x: x[[0, 1, 1], [2, 2, 3]],
    "arrays broadcast": lambda x: x[as_index(x, np.array([[0], [3]])),
                                    as_index(x, np.array([1, 2, 1]))],
    "arrays around a slice": lambda x: x[[0, 1], :, [1, 5]],
    "arrays after a slice": lambda x: x[:, [0, 1], [2, 3]],
    "array, slice, array with step": lambda x: x[[0, 1], 1::2, [1, 2]],
    "array and int": lambda x: x[1, :, [0, 0, 5]],
    "array, sliced dim, int": lambda x: x[[0, 1], 1:4, 2],
    "int, strided slice, array": lambda x: x[1, ::2, [0, 5]],
    "array and none": lambda x: x[:, None, [0, 1]],
    "0-d tensor and list": lambda x: x[as_index(x, np.array(2)), [1, 1]],
    "empty index": lambda x: x[as_index(x, np.zeros(0, dtype=np.int64))],
}


@pytest.mark.parametrize("name", ADVANCED)
def test_advanced_indexing_matches_torch(name):
    check(ADVANCED[name], A)


@pytest.mark.parametrize("name", ADVANCED)
def test_advanced_indexing_result_is_laid_out_as_torch(name):
    # PyTorch's result is row-major; NumPy's can put the indexed axes outermost.
    e, t = ADVANCED[name](ember.tensor(A)), ADVANCED[name](torch.tensor(A))
    assert e.is_contiguous()
    # (A size-1 axis's stride is arbitrary in both, as is an empty tensor's.)
    assert t.numel() == 0 or [s for s, n in zip(e.stride(), e.shape) if n > 1] == \
        [s for s, n in zip(t.stride(), t.shape) if n > 1]


@pytest.mark.parametrize("dim", range(3))
def test_index_select_result_is_laid_out_as_torch(dim):
    idx = np.array([1, 0, 1])
    e = ember.index_select(ember.tensor(A), dim, ember.tensor(idx))
    t = torch.index_select(torch.tensor(A), dim, torch.tensor(idx))
    assert e.stride() == t.stride()
    close(e, t)


def test_repeated_indices_accumulate_gradient():
    x = ember.tensor(A, requires_grad=True)
    x[[1, 1, 1, 3]].sum().backward()
    assert x.grad.numpy()[1, 0, 0] == 3.0 and x.grad.numpy()[3, 0, 0] == 1.0
    assert x.grad.numpy()[0].sum() == 0.0


MASKS = {
    "full mask": lambda x: x[as_index(x, A > 0)],
    "leading dims": lambda x: x[as_index(x, MASK)],
    "middle dim": lambda x: x[:, as_index(x, MASK[0])],
    "mask then int": lambda x: x[as_index(x, MASK[:, 0]), 2],
    "bool list": lambda x: x[[True, False, True, True]],
    "uint8 mask (legacy)": lambda x: x[as_index(x, np.array([1, 0, 1, 1], dtype=np.uint8))],
    "0-d bool true": lambda x: x[as_index(x, np.array(True))],
    "python true": lambda x: x[True],
    "all false": lambda x: x[as_index(x, np.zeros(4, dtype=bool))],
}


@pytest.mark.parametrize("name", ["repeated indices", "arrays around a slice", "int tensor"])
def test_advanced_indexing_second_derivatives(name):
    # Squared, so that the gradient depends on x and its own backward is compared too.
    check(lambda x: ADVANCED[name](x) ** 2, A)
    check(lambda x: ADVANCED[name](x ** 3), A)


def test_mask_and_basic_indexing_second_derivatives():
    check(lambda x: MASKS["leading dims"](x) ** 2, A)
    check(lambda x: BASIC["slice with step"](x) ** 3, A)


@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8")
@pytest.mark.parametrize("name", MASKS)
def test_boolean_mask_indexing_matches_torch(name):
    check(MASKS[name], A)


@pytest.mark.parametrize("index", [None, Ellipsis, (), True])
def test_indexing_a_0d_tensor(index):
    check(lambda x: x[index], np.array(1.5))


def test_nested_list_is_one_index_array():
    # Differs from PyTorch (documented): NumPy's rule, not the legacy tuple reading.
    x = ember.tensor(A)
    close(x[[[0, 1], [1, 1]]], torch.tensor(A)[torch.tensor([[0, 1], [1, 1]])])


def draw_index(data, shape):
    """A random tuple of ints, slices, lists and None for a tensor of ``shape``."""
    index = []
    for n in shape:
        kind = data.draw(st.sampled_from(["int", "slice", "list", "none"]))
        if kind == "int":
            index.append(data.draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start, stop = data.draw(st.integers(-n, n)), data.draw(st.integers(-n, n))
            index.append(slice(start, stop, data.draw(st.integers(1, 3))))
        elif kind == "list":
            index.append(data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3)))
        else:
            index.extend([None, slice(None)])
    lists = [i for i in index if isinstance(i, list)]
    if len(lists) > 1:  # several lists must broadcast: make them one long
        index = [i[:1] * len(lists[0]) if isinstance(i, list) else i for i in index]
    return tuple(index)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_indices_match_torch(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    index = draw_index(data, shape)
    check(lambda x: x[index], rand(shape, 3))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_setitem_matches_torch(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    index = draw_index(data, shape)
    region = torch.zeros(shape)[index].shape
    value_shape = region[data.draw(st.integers(0, len(region))):]  # broadcasts
    check(assigned(index), rand(shape, 3), rand(tuple(value_shape), 4))


# ---- setitem ------------------------------------------------------------------

def assigned(index, value_is_input=True, value=None):
    """``y = x * 1; y[index] = v; return y`` with v the second input (or ``value``)."""
    def f(x, v=None):
        y = x * 1.0
        idx = index(x) if callable(index) else index
        y[idx] = v if value_is_input else value
        return y
    return f


SETITEM = {
    "int": (1, (5, 6)),
    "int, broadcast value": (1, (6,)),
    "strided slice": (slice(None, None, 2), (2, 5, 6)),
    "strided slices in two dims": ((slice(1, None, 2), slice(None, None, 3)), (2, 2, 6)),
    "ellipsis": ((Ellipsis, 1), (5,)),
    "broadcast over a slice": (slice(1, 3), (1, 6)),
    "int list": ([0, 2], (2, 5, 6)),
    "repeated list": ([3, 3], (5, 6)),
    "mixed advanced": ((slice(None), [1, 3], 2), (4, 2)),
    "int, slice, list (PyTorch's order)": ((1, slice(None), [0, 0, 5]), (5, 3)),
    "bool mask": (lambda x: as_index(x, MASK), (6,)),
    "full bool mask": (lambda x: as_index(x, A > 0), (int((A > 0).sum()),)),
    "0-d value": ((0, 0, 0), ()),
}


@pytest.mark.parametrize("name", SETITEM)
def test_setitem_tensor_value_matches_torch(name):
    index, value_shape = SETITEM[name]
    check(assigned(index), A, rand(value_shape, 4))


def test_setitem_second_derivatives():
    def f(x, v):
        y = x * x
        y[[0, 2], 1:4] = v ** 2
        return y * x
    check(f, A, rand((2, 3, 6), 4))


@pytest.mark.parametrize("index", [1, slice(None, None, 3), [0, 0, 1], (Ellipsis, -1)])
def test_setitem_scalar_matches_torch(index):
    check(assigned(index, False, 2.5), A)


def test_setitem_scalar_through_mask_matches_torch():
    check(assigned(lambda x: as_index(x, MASK), False, -1.0), A)


def test_setitem_through_a_view_of_a_non_leaf():
    def f(x, v):
        y = x * 1.0
        y[1:3][:, 0] = v
        return y
    check(f, A, rand((2, 6), 5))


def test_setitem_advanced_through_a_view_returns_both():
    def f(x, v):
        y = x * 1.0
        z = y[1:3]
        z[:, [0, 0]] = v
        return y, z
    check(f, A, rand((2, 6), 5))


def test_setitem_value_into_a_tensor_without_grad():
    def f(v):
        y = (v * 0.0).detach()
        y[1] = v[0]
        return y
    check(f, rand((3, 4), 6))


def test_setitem_without_grad_matches_torch():
    def fill(lib):
        x = lib.zeros(3, 4)
        x[1] = 5
        x[:, ::2] = lib.ones(2)
        x[[0, 0], [3, 1]] = 9
        x[lib.tensor([True, False, True]), 1] = -1
        return x
    close(fill(ember), fill(torch))


def test_setitem_integer_tensor_matches_torch():
    e, t = ember.zeros(2, 3, dtype=ember.int64), torch.zeros(2, 3, dtype=torch.int64)
    e[0] = 2.7  # truncated, as in PyTorch
    t[0] = 2.7
    close(e, t)


def test_setitem_bumps_version_so_saved_values_are_protected():
    x = ember.tensor(A, requires_grad=True)
    y = x * 1.0
    z = y * y
    y[0] = 1.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


# ---- errors -------------------------------------------------------------------

@pytest.mark.parametrize("index,match", [
    (3, "index 3 is out of bounds for dimension 0 with size 3"),
    ((slice(None), 4), "index 4 is out of bounds for dimension 1 with size 4"),
    (-4, "index -4 is out of bounds for dimension 0 with size 3"),
    ([0, 5], "index 5 is out of bounds for dimension 0 with size 3"),
    ((slice(None), [0, -5]), "index -5 is out of bounds for dimension 1 with size 4"),
])
def test_out_of_bounds_names_dim_and_size(index, match):
    x = ember.zeros(3, 4)
    with pytest.raises(IndexError, match="getitem: " + match):
        x[index]
    with pytest.raises(IndexError, match="setitem: " + match):
        x[index] = 1.0


def test_wrong_mask_shape():
    with pytest.raises(IndexError, match=r"shape of the mask \[2\] does not match .* \[3\] at "
                                         "dimension 0"):
        ember.zeros(3, 4)[ember.tensor([True, False])]


def test_float_index_tensor():
    with pytest.raises(IndexError, match="getitem: tensors used as indices must be long, int, "
                                         "byte or bool tensors, got float32"):
        ember.zeros(3)[ember.tensor([1.0])]


@pytest.mark.parametrize("index", [1.0, "a", {0}])
def test_invalid_index_type(index):
    with pytest.raises(IndexError, match="getitem: invalid index of type"):
        ember.zeros(3)[index]


def test_too_many_indices():
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2 "
                                         r"\(got 3\)"):
        ember.zeros(3, 4)[0, 0, 0]


def test_int_index_of_0d_tensor():
    with pytest.raises(IndexError, match=r"invalid index of a 0-dim tensor; use tensor.item"):
        ember.tensor(1.0)[0]


def test_negative_step():
    with pytest.raises(ValueError, match="slice step must be positive, got -1"):
        ember.zeros(3)[::-1]


def test_setitem_on_leaf_requiring_grad():
    x = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem: a leaf tensor that requires grad"):
        x[0] = 1.0
    with pytest.raises(RuntimeError, match="setitem: a view of a leaf tensor that requires grad"):
        x[0:2][0] = 1.0
    with ember.no_grad():
        x[0] = 1.0  # allowed outside the graph, as in PyTorch
    assert x.detach().numpy()[0] == 1.0


@pytest.mark.parametrize("requires_grad", [False, True])
def test_setitem_value_shape_mismatch(requires_grad):
    x = ember.zeros(3, 4) * 1.0
    v = ember.ones(3, 4, requires_grad=requires_grad)
    with pytest.raises(RuntimeError, match=r"setitem: shape mismatch: value tensor of shape "
                                           r"\[3, 4\] cannot be broadcast to indexing result of "
                                           r"shape \[2, 4\]"):
        x[0:2] = v


# ---- index_select / index_add / index_copy / index_fill ----------------------

def long(x, values):
    return as_index(x, np.array(values, dtype=np.int64))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select_matches_torch(dim):
    check(lambda x: x.index_select(dim, long(x, [1, 0, 1, 3])), A)
    check(lambda x: torch.index_select(x, dim, long(x, 2)) if isinstance(x, torch.Tensor)
          else ember.index_select(x, dim, long(x, 2)), A)


def test_index_select_of_0d_and_empty():
    check(lambda x: x.index_select(0, long(x, [0])), np.array(2.5))
    check(lambda x: x.index_select(1, long(x, [])), A)


@pytest.mark.parametrize("dim,alpha", [(0, 1), (1, 2.5), (-1, -1)])
def test_index_add_matches_torch(dim, alpha):
    n = 3
    src_shape = list(A.shape)
    src_shape[dim] = n
    check(lambda x, s: x.index_add(dim, long(x, [2, 0, 2]), s, alpha=alpha), A,
          rand(tuple(src_shape), 7))


def test_index_copy_matches_torch():
    check(lambda x, s: x.index_copy(1, long(x, [4, 0]), s), A, rand((4, 2, 6), 8))


@pytest.mark.parametrize("value", [2.5, -1])
def test_index_fill_matches_torch(value):
    check(lambda x: x.index_fill(2, long(x, [0, -1, 0]), value), A)


def test_index_fill_tensor_value_gets_gradient():
    check(lambda x, v: x.index_fill(0, long(x, [1, 3]), v), A, np.array(0.5))


def test_index_ops_second_derivatives():
    i = [2, 0, 2]
    check(lambda x, s: x.index_add(0, long(x, i), s ** 2) * x, A, rand((3, 5, 6), 7))
    check(lambda x, s: x.index_copy(1, long(x, [4, 0]), s * s) ** 2, A, rand((4, 2, 6), 8))
    check(lambda x, v: (x.index_fill(0, long(x, i), v * v) * x).index_select(2, long(x, i)),
          A, np.array(0.5))


def test_index_ops_in_place():
    def fill(lib):
        x = lib.zeros(3, 2, dtype=lib.float64)
        x.index_add_(0, lib.tensor([0, 0]), lib.ones(2, 2, dtype=lib.float64))
        x.index_copy_(1, lib.tensor([1]), lib.full((3, 1), 5.0, dtype=lib.float64))
        x.index_fill_(0, lib.tensor([2]), -1.0)
        return x
    close(fill(ember), fill(torch))


def test_index_ops_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="index_select: expected dtype int32 or int64 for "
                                           "index, got float32"):
        x.index_select(0, ember.tensor([0.0]))
    with pytest.raises(IndexError, match="index_select: index is supposed to be a vector"):
        x.index_select(0, ember.tensor([[0]]))
    with pytest.raises(IndexError, match="index_select: index 3 is out of bounds for dimension "
                                         "0 with size 3"):
        x.index_select(0, ember.tensor([3]))
    with pytest.raises(IndexError, match="index_add: index -1 is out of bounds"):
        x.index_add(0, ember.tensor([-1]), ember.ones(1, 4))
    with pytest.raises(RuntimeError, match=r"index_add: expected source of shape \[2, 4\] .*got "
                                           r"\[3, 4\]"):
        x.index_add(0, ember.tensor([0, 1]), ember.ones(3, 4))
    with pytest.raises(RuntimeError, match="index_copy: self .float32. and source .float64. "
                                           "must have the same dtype"):
        x.index_copy(0, ember.tensor([0]), ember.ones(1, 4, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="index_fill: only supports a 0-dim value tensor"):
        x.index_fill(0, ember.tensor([0]), ember.ones(1))
    with pytest.raises(IndexError, match="index_select: dimension out of range"):
        x.index_select(2, ember.tensor([0]))
