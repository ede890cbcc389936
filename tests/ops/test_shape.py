"""Copying shape ops (cat, stack, repeat, flip, roll, tril, diag, meshgrid...) against
PyTorch: values, gradients, second derivatives, dtypes and error messages."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
from ember.ops import shape as shape_ops
from reference import assert_grads_differentiable, check, close, lib_of, rand, squared


def check_op(op, *shapes):
    """``check`` on squared outputs (second derivatives) and on the op itself."""
    arrays = [rand(s, i) for i, s in enumerate(shapes)]
    check(lambda *xs: squared(op(*xs)), *arrays)
    assert_grads_differentiable(op, *arrays)
    return check(op, *arrays, second=False)


# ---- joining ------------------------------------------------------------------

@pytest.mark.parametrize("shapes,dim", [
    ([(2, 3), (4, 3)], 0),
    ([(2, 3), (2, 1), (2, 5)], 1),
    ([(2, 3, 4), (2, 3, 1)], -1),
    ([(3,), (2,)], 0),
    ([(2, 0), (2, 3)], 1),
    ([(0, 3), (0, 3)], 0),
    ([(2, 3)], -2),
])
@pytest.mark.parametrize("name", ["cat", "concat", "concatenate"])
def test_cat_matches_torch(shapes, dim, name):
    check_op(lambda *xs: getattr(lib_of(xs[0]), name)(list(xs), dim), *shapes)
    check_op(lambda *xs: getattr(lib_of(xs[0]), name)(xs, dim=dim), *shapes)


@pytest.mark.parametrize("shapes,dim", [
    ([(0,), (2, 3), (0,)], 0),
    ([(2, 3), (0,)], 1),
    ([(0,), (0,)], 0),
])
def test_cat_skips_legacy_empty_tensors(shapes, dim):
    check_op(lambda *xs: lib_of(xs[0]).cat(xs, dim), *shapes)


@pytest.mark.parametrize("da,db", [("int64", "float64"), ("int32", "int64"),
                                   ("float16", "bfloat16"), ("bool", "uint8"),
                                   ("float64", "float32")])
def test_cat_and_stack_promote_dtypes_like_torch(da, db):
    a, b = np.ones((2, 3)), np.zeros((2, 3))
    ea, eb = ember.tensor(a).to(getattr(ember, da)), ember.tensor(b).to(getattr(ember, db))
    ta, tb = torch.tensor(a).to(getattr(torch, da)), torch.tensor(b).to(getattr(torch, db))
    for fn in ("cat", "stack", "hstack", "vstack"):
        e, t = getattr(ember, fn)([ea, eb]), getattr(torch, fn)([ta, tb])
        assert e.dtype.name == str(t.dtype).split(".")[1], fn
        close(e.float(), t.float())
    # a legacy-empty float tensor still takes part in promotion
    e = ember.cat([ember.zeros(0, dtype=ember.float64), ember.ones(2, 3, dtype=ember.float32)])
    assert e.dtype == ember.float64


def test_cat_integer_and_float_mix_gives_float_gradient():
    i, f = rand((2, 3), 0).round(), rand((1, 3), 1)
    check(lambda x, y: lib_of(y).cat([x.long(), y]), i, f, grad_inputs=[1])


@pytest.mark.parametrize("shape,dim", [((2, 3), 0), ((2, 3), 1), ((2, 3), -1), ((), 0),
                                       ((0, 2), 1)])
def test_stack_matches_torch(shape, dim):
    check_op(lambda *xs: lib_of(xs[0]).stack(xs, dim), shape, shape, shape)


@pytest.mark.parametrize("fn", ["hstack", "vstack", "row_stack", "dstack", "column_stack"])
@pytest.mark.parametrize("shapes", [
    [(), ()], [(3,), (3,)], [(2, 3), (2, 3)], [(2, 3, 4), (2, 3, 4)], [(3,), (1, 3)],
])
def test_hstack_vstack_dstack_column_stack_match_torch(fn, shapes):
    def op(*xs):
        return getattr(lib_of(xs[0]), fn)(xs)
    try:
        torch_ok = op(*[torch.zeros(s) for s in shapes]) is not None
    except RuntimeError:
        torch_ok = False
    if torch_ok:
        check_op(op, *shapes)
    else:
        with pytest.raises(RuntimeError):
            op(*[ember.zeros(s) for s in shapes])


@pytest.mark.parametrize("fn", ["atleast_1d", "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (1, 2, 3, 4)])
def test_atleast_nd_matches_torch(fn, shape):
    check_op(lambda x: getattr(lib_of(x), fn)(x), shape)
    e, t = ember.zeros(shape), torch.zeros(shape)
    pair_e, pair_t = getattr(ember, fn)(e, e), getattr(torch, fn)(t, t)
    assert isinstance(pair_e, tuple) and [p.shape for p in pair_e] == [tuple(p.shape)
                                                                         for p in pair_t]
    listed = getattr(ember, fn)([e])
    assert isinstance(listed, tuple) and listed[0].shape == tuple(getattr(torch, fn)([t])[0].shape)


def test_atleast_nd_returns_views():
    x = ember.arange(3.)
    with ember.no_grad():
        ember.atleast_3d(x).mul_(2)
    close(x, torch.arange(3.) * 2)


@pytest.mark.parametrize("op,exc,msg", [
    (lambda: ember.cat([]), RuntimeError, "cat: expected a non-empty list of Tensors"),
    (lambda: ember.cat(ember.zeros(2)), TypeError, "cat: expected a list or tuple of Tensors, "
     "got Tensor"),
    (lambda: ember.cat([ember.zeros(2), 3]), TypeError, "cat: expected a Tensor at position 1, "
     "got int"),
    (lambda: ember.cat([ember.zeros(2), ember.tensor(1.0)]), RuntimeError,
     r"cat: zero-dimensional tensor \(at position 1\) cannot be concatenated"),
    (lambda: ember.cat([ember.zeros(2, 3), ember.zeros(2, 3, 1)]), RuntimeError,
     r"cat: tensors must have the same number of dimensions: got 2 \(tensor 0\) and 3"),
    (lambda: ember.cat([ember.zeros(2, 3), ember.zeros(2, 4)]), RuntimeError,
     r"cat: sizes of tensors must match except in dimension 0: expected size 3 but got size 4 "
     r"in dimension 1 for tensor number 1 in the list \(shapes \[2, 3\] and \[2, 4\]\)"),
    (lambda: ember.cat([ember.zeros(2, 3)], dim=2), IndexError,
     r"cat: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda: ember.stack([ember.zeros(2, 3), ember.zeros(3, 2)]), RuntimeError,
     r"stack: expects each tensor to be equal size, but got \[2, 3\] at entry 0 and \[3, 2\] "
     "at entry 1"),
    (lambda: ember.stack([]), RuntimeError, "stack: expected a non-empty list"),
    (lambda: ember.stack([ember.zeros(2)], dim=2), IndexError, "stack: dimension out of range"),
    (lambda: ember.hstack([]), RuntimeError, "hstack: expects a non-empty list"),
    (lambda: ember.column_stack([ember.zeros(2), "a"]), TypeError,
     "column_stack: expected input to be a Tensor, got str"),
    (lambda: ember.atleast_2d(ember.zeros(2), [1]), TypeError, "atleast_2d: expected input"),
])
def test_joining_errors(op, exc, msg):
    with pytest.raises(exc, match=msg):
        op()


# ---- repeating --------------------------------------------------------------------

@pytest.mark.parametrize("shape,sizes", [
    ((2, 3), (2, 1)), ((2, 3), (1, 3)), ((2, 3), (2, 2, 3)), ((3,), (4, 2)), ((), (3,)),
    ((), ()), ((2, 3), (0, 2)), ((0, 2), (2, 3)), ((2, 1, 3), (1, 4, 1)),
])
def test_repeat_matches_torch(shape, sizes):
    if sizes:  # x.repeat() without sizes is an error in torch
        check_op(lambda x: x.repeat(*sizes), shape)
    check_op(lambda x: x.repeat(sizes), shape)


def test_repeat_returns_a_copy():
    x = ember.ones(2, 3)
    y = x.repeat(1, 1)
    assert y is not x and not np.shares_memory(y._array, x._array)


@pytest.mark.parametrize("shape,dims", [((2, 3), (2,)), ((2, 3), (2, 2)), ((3,), (2, 2)),
                                        ((2, 3, 4), (2, 1)), ((), (3,)), ((2, 3), ())])
def test_tile_matches_torch(shape, dims):
    check_op(lambda x: lib_of(x).tile(x, dims), shape)
    if dims:
        check_op(lambda x: x.tile(*dims), shape)


@pytest.mark.parametrize("shape,repeats,dim", [
    ((2, 3), 2, None), ((2, 3), 3, 0), ((2, 3), 2, -1), ((), 3, None),
    ((2, 3), [1, 0, 2], 1), ((2, 3), [2], 1), ((4,), [1, 2, 0, 3], 0), ((2, 3), 0, 1),
    ((2, 3), [2, 1, 1, 0, 3, 1], None),
])
def test_repeat_interleave_matches_torch(shape, repeats, dim):
    def op(x):
        r = repeats if isinstance(repeats, int) else lib_of(x).tensor(repeats)
        return x.repeat_interleave(r, dim=dim)
    check_op(op, shape)
    check_op(lambda x: lib_of(x).repeat_interleave(x, 2, dim), shape)


def test_repeat_interleave_of_0d_along_dim_0_treats_it_as_1d():
    # PyTorch 2.13 raises an internal "Dimension out of range ... got 1" here.
    x = ember.tensor(2.0, requires_grad=True)
    y = x.repeat_interleave(3, dim=0)
    assert y.shape == (3,)
    y.sum().backward()
    assert x.grad.item() == 3


def test_repeat_interleave_repeats_only_form_and_output_size():
    e = ember.repeat_interleave(ember.tensor([1, 0, 3]))
    close(e, torch.repeat_interleave(torch.tensor([1, 0, 3])))
    assert e.dtype == ember.int64
    close(ember.zeros(2, 3).repeat_interleave(2, dim=0, output_size=4),
          torch.zeros(2, 3).repeat_interleave(2, dim=0, output_size=4))


@pytest.mark.parametrize("op,exc,msg", [
    (lambda x: x.repeat(2), RuntimeError, r"repeat: number of dimensions of repeat dims \(1\) "
     r"can not be smaller than number of dimensions of tensor \(2\)"),
    (lambda x: x.repeat(1, -1), RuntimeError, r"repeat: repeats must be non-negative, got "
     r"\[1, -1\]"),
    (lambda x: x.repeat("a"), TypeError, "repeat: expected a sequence of ints"),
    (lambda x: x.repeat_interleave(-1), RuntimeError, "repeat_interleave: repeats must be "
     "non-negative"),
    (lambda x: x.repeat_interleave(ember.tensor([1, 2]), dim=1), RuntimeError,
     r"repeat_interleave: repeats must have the same size as input along dim, but got "
     r"repeats.size\(0\) = 2 and input size 3"),
    (lambda x: x.repeat_interleave(ember.tensor([1.0])), RuntimeError,
     "repeat_interleave: repeats must be an integer tensor, got ember.float32"),
    (lambda x: x.repeat_interleave(ember.ones(2, 2).long()), RuntimeError,
     "repeat_interleave: repeats must be 0-dim or 1-dim tensor, got 2 dims"),
    (lambda x: x.repeat_interleave(1.5), TypeError, "repeat_interleave: expected repeats to be "
     "an int or an integer Tensor, got float"),
    (lambda x: x.repeat_interleave(2, dim=0, output_size=5), RuntimeError,
     "repeat_interleave: output_size 5 does not match the sum of repeats 4"),
    (lambda x: ember.repeat_interleave(x.long()), RuntimeError, "repeat_interleave: repeats must "
     "be a 1-D tensor, got 2 dims"),
    (lambda x: x.repeat_interleave(2, dim=2), IndexError, "repeat_interleave: dimension out of "
     "range"),
])
def test_repeating_errors(op, exc, msg):
    with pytest.raises(exc, match=msg):
        op(ember.zeros(2, 3))


# ---- flipping and rolling -------------------------------------------------------

@pytest.mark.parametrize("shape,op", [
    ((2, 3, 4), lambda x: x.flip(0)),
    ((2, 3, 4), lambda x: x.flip(0, 2)),
    ((2, 3, 4), lambda x: x.flip([-1, 1])),
    ((2, 3, 4), lambda x: lib_of(x).flip(x, dims=(0, 1, 2))),
    ((2, 3), lambda x: x.flip([])),
    ((), lambda x: x.flip([0])),
    ((0, 3), lambda x: x.flip(1)),
    ((2, 3), lambda x: x.fliplr()),
    ((3,), lambda x: x.flipud()),
    ((2, 3, 4), lambda x: lib_of(x).fliplr(x)),
    ((2, 3, 4), lambda x: lib_of(x).flipud(x)),
])
def test_flip_matches_torch(shape, op):
    check_op(op, shape)


def test_flip_returns_a_copy():
    x = ember.arange(4.)
    y = x.flip(0)
    assert not np.shares_memory(y._array, x._array) and y.is_contiguous()
    y2 = x.flip([])
    assert y2 is not x and not np.shares_memory(y2._array, x._array)


@pytest.mark.parametrize("shape,shifts,dims", [
    ((2, 3), 1, None), ((2, 3), -4, None), ((2, 3), (2,), None), ((2, 3, 4), 1, 0),
    ((2, 3, 4), (1, -2), (2, 0)), ((2, 3, 4), (7, 1), (-1, 1)), ((2, 3), (1, 1), (1, 1)),
    ((0, 3), 2, 1), ((), 1, None), ((3,), 0, 0),
])
def test_roll_matches_torch(shape, shifts, dims):
    check_op(lambda x: x.roll(shifts, dims), shape)
    check_op(lambda x: lib_of(x).roll(x, shifts=shifts, dims=dims), shape)


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("shape,dims", [((3, 4), (0, 1)), ((3, 4), (1, 0)),
                                        ((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, -2))])
def test_rot90_matches_torch(k, shape, dims):
    check_op(lambda x: x.rot90(k, dims), shape)


@pytest.mark.parametrize("op,exc,msg", [
    (lambda x: x.flip(0, 0), RuntimeError, r"flip: dim \(0, 0\) appears multiple times"),
    (lambda x: x.flip(2), IndexError, "flip: dimension out of range"),
    (lambda x: x[0].fliplr(), RuntimeError, "fliplr: input must be >= 2-d, got 1-d"),
    (lambda x: x[0, 0].flipud(), RuntimeError, "flipud: input must be >= 1-d, got a 0-d"),
    (lambda x: x.roll((1, 2)), RuntimeError, "roll: shifts and dimensions must align: got 2 "
     "shifts and no dims"),
    (lambda x: x.roll((1, 2), 0), RuntimeError, "roll: shifts and dimensions must align: got 2 "
     "shifts and 1 dims"),
    (lambda x: x.roll(1, 2), IndexError, "roll: dimension out of range"),
    (lambda x: x[0, 0].roll(1, 0), IndexError, "roll: dimension specified as 0 but tensor has "
     "no dimensions"),
    (lambda x: x.rot90(1, (0, 1, 2)), RuntimeError, "rot90: expected total rotation dims == 2, "
     "but got dims = 3"),
    (lambda x: x[0].rot90(), RuntimeError, "rot90: expected total dims >= 2, but got total "
     "dims = 1"),
    (lambda x: x.rot90(1, (1, -1)), RuntimeError, "rot90: expected rotation dims to be "
     "different, but got dim0 = 1 and dim1 = -1"),
])
def test_flipping_and_rolling_errors(op, exc, msg):
    with pytest.raises(exc, match=msg):
        op(ember.zeros(2, 3))


# ---- triangles and diagonals ---------------------------------------------------

@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape,k", [((4, 4), 0), ((3, 5), 1), ((5, 3), -2), ((2, 3, 4), 0),
                                     ((2, 3, 4), 10), ((3, 3), -10), ((0, 3), 0)])
def test_tril_triu_match_torch(name, shape, k):
    check_op(lambda x: getattr(x, name)(k), shape)
    check_op(lambda x: getattr(lib_of(x), name)(x, diagonal=k), shape)


@pytest.mark.parametrize("name", ["tril_", "triu_"])
def test_tril_triu_inplace_match_torch(name):
    def op(x):
        y = x * 3
        out = getattr(y, name)(1)
        assert out is y  # in-place returns self
        return y * y
    check(op, rand((3, 4)))
    e, t = ember.tensor(rand((3, 4))), torch.tensor(rand((3, 4)))
    getattr(e, name)(-1), getattr(t, name)(-1)
    close(e, t)


def test_tril_of_integers_matches_torch():
    a = np.arange(12).reshape(3, 4)
    close(ember.tensor(a).tril(), torch.tensor(a).tril())
    close(ember.tensor(a > 4).triu(1), torch.tensor(a > 4).triu(1))


@pytest.mark.parametrize("shape,k", [((3,), 0), ((3,), 2), ((3,), -1), ((0,), 1),
                                     ((3, 3), 0), ((3, 5), 1), ((5, 3), -2), ((3, 4), 7),
                                     ((2, 2), -5)])
def test_diag_matches_torch(shape, k):
    check_op(lambda x: x.diag(k), shape)
    check_op(lambda x: lib_of(x).diag(x, diagonal=k), shape)


def test_diag_of_matrix_is_a_copy():
    x = ember.zeros(3, 3)
    d = x.diag()
    assert not np.shares_memory(d._array, x._array)


@pytest.mark.parametrize("shape,offset,d1,d2", [
    ((3,), 0, -2, -1), ((2, 3), 1, -2, -1), ((2, 3), -1, 0, 2), ((2, 3), 0, 2, 0),
    ((2, 3, 4), 2, 1, 3), ((0,), 0, 0, 1),
])
def test_diag_embed_matches_torch(shape, offset, d1, d2):
    check_op(lambda x: x.diag_embed(offset, d1, d2), shape)


@pytest.mark.parametrize("shape,offset", [((3,), 0), ((2, 2), 1), ((2, 3), -2), ((), 0)])
def test_diagflat_matches_torch(shape, offset):
    check_op(lambda x: x.diagflat(offset), shape)


@pytest.mark.parametrize("op,exc,msg", [
    (lambda x: x[0].tril(), RuntimeError, r"tril: input tensor must have at least 2 dimensions, "
     r"got shape \[3\]"),
    (lambda x: x[0].triu(), RuntimeError, "triu: input tensor must have at least 2 dimensions"),
    (lambda x: x.reshape(1, 2, 3).diag(), RuntimeError, "diag: supports 1-D or 2-D tensors, "
     "got 3-D"),
    (lambda x: x[0, 0].diag(), RuntimeError, "diag: supports 1-D or 2-D tensors, got 0-D"),
    (lambda x: x[0, 0].diag_embed(), RuntimeError, "diag_embed: expected a tensor with at least "
     "1 dimension"),
    (lambda x: x.diag_embed(0, 1, -2), RuntimeError, "diag_embed: diagonal dimensions cannot be "
     "identical, got 1 and -2"),
    (lambda x: x.diag_embed(0, 0, 3), IndexError, "diag_embed: dimension out of range"),
])
def test_triangle_and_diagonal_errors(op, exc, msg):
    with pytest.raises(exc, match=msg):
        op(ember.zeros(2, 3))


# ---- broadcasting, grids, ravel ---------------------------------------------------

@pytest.mark.parametrize("shapes", [[(3, 1), (4,)], [(2, 1, 4), (3, 1), ()], [(2, 3)],
                                    [(0, 1), (3,)]])
def test_broadcast_tensors_matches_torch(shapes):
    check_op(lambda *xs: lib_of(xs[0]).broadcast_tensors(*xs), *shapes)
    outs = ember.broadcast_tensors(*[ember.zeros(s) for s in shapes])
    assert isinstance(outs, tuple)


@pytest.mark.parametrize("shapes", [[(3, 1), (4,)], [2, (3, 1)], [(), (2, 3)], [[1, 0], (5, 1)],
                                    []])
def test_broadcast_shapes_matches_torch(shapes):
    got = ember.broadcast_shapes(*shapes)
    assert type(got) is tuple and got == tuple(torch.broadcast_shapes(*shapes))


def test_broadcast_errors():
    with pytest.raises(RuntimeError, match=r"broadcast_shapes: shapes \[2\] and \[3\] cannot be "
                                           "broadcast together"):
        ember.broadcast_shapes((2,), (3,))
    with pytest.raises(RuntimeError, match=r"broadcast_tensors: shapes \[2, 3\] and \[4\] cannot"):
        ember.broadcast_tensors(ember.zeros(2, 3), ember.zeros(4))
    with pytest.raises(TypeError, match="broadcast_tensors: expected input to be a Tensor"):
        ember.broadcast_tensors(ember.zeros(2), [1, 2])


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(3,), (4,)], [(2,), (3,), (4,)], [(3,)], [(), (2,)],
                                    [(0,), (2,)]])
def test_meshgrid_matches_torch(indexing, shapes):
    check_op(lambda *xs: lib_of(xs[0]).meshgrid(*xs, indexing=indexing), *shapes)
    check_op(lambda *xs: lib_of(xs[0]).meshgrid(list(xs), indexing=indexing), *shapes)


def test_meshgrid_defaults_to_ij():
    a, b = ember.arange(3.), ember.arange(4.)
    assert [g.shape for g in ember.meshgrid(a, b)] == [(3, 4), (3, 4)]


@pytest.mark.parametrize("op,exc,msg", [
    (lambda: ember.meshgrid(ember.zeros(2), ember.zeros(2, 2)), RuntimeError,
     r"meshgrid: expected 0D or 1D tensors, got shape \[2, 2\] at position 1"),
    (lambda: ember.meshgrid(ember.zeros(2), ember.arange(3)), RuntimeError,
     "meshgrid: expects all tensors to have the same dtype, got ember.float32 and ember.int64"),
    (lambda: ember.meshgrid(ember.zeros(2), indexing="ji"), ValueError,
     "meshgrid: indexing must be 'ij' or 'xy', got 'ji'"),
    (lambda: ember.meshgrid(), RuntimeError, "meshgrid: expects a non-empty list"),
])
def test_meshgrid_errors(op, exc, msg):
    with pytest.raises(exc, match=msg):
        op()


@pytest.mark.parametrize("shape,op", [((2, 3), lambda x: x.ravel()), ((), lambda x: x.ravel()),
                                      ((2, 3), lambda x: x.t().ravel()),
                                      ((2, 3), lambda x: lib_of(x).ravel(x))])
def test_ravel_matches_torch(shape, op):
    check_op(op, shape)


def test_ravel_is_a_view_when_contiguous_else_a_copy():
    x = ember.zeros(2, 3)
    assert np.shares_memory(x.ravel()._array, x._array)
    assert not np.shares_memory(x.t().ravel()._array, x._array)


def test_methods_and_inplace_variants_exist_with_torch_names():
    for name in shape_ops.__methods__:
        assert hasattr(torch.Tensor, name), name
        assert getattr(ember.Tensor, name) is getattr(shape_ops, name)
    for name in shape_ops.__inplace__:
        assert hasattr(torch.Tensor, name + "_") and hasattr(ember.Tensor, name + "_")
    for name in shape_ops.__all__:
        assert hasattr(torch, name) or hasattr(torch.Tensor, name), name
        assert getattr(ember, name) is getattr(shape_ops, name)


# ---- properties ---------------------------------------------------------------------

small_shapes = st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple)


@settings(max_examples=25, deadline=None)
@given(shape=small_shapes, data=st.data())
def test_cat_and_split_are_inverses(shape, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    parts = [np.random.default_rng(i).standard_normal(shape[:dim] + (s,) + shape[dim + 1:])
             for i, s in enumerate(sizes)]
    whole = ember.cat([ember.tensor(p) for p in parts], dim)
    close(whole, torch.cat([torch.tensor(p) for p in parts], dim))
    for got, want in zip(whole.split(sizes, dim), parts):
        np.testing.assert_array_equal(got.numpy(), want)
    if whole.shape[dim]:
        n = data.draw(st.integers(1, whole.shape[dim]))
        np.testing.assert_array_equal(ember.cat(whole.chunk(n, dim), dim).numpy(), whole.numpy())


@settings(max_examples=25, deadline=None)
@given(shape=small_shapes, n=st.integers(1, 3), data=st.data())
def test_stack_and_unbind_are_inverses(shape, n, data):
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    parts = [np.random.default_rng(i).standard_normal(shape) for i in range(n)]
    stacked = ember.stack([ember.tensor(p) for p in parts], dim)
    close(stacked, torch.stack([torch.tensor(p) for p in parts], dim))
    for got, want in zip(stacked.unbind(dim), parts):
        np.testing.assert_array_equal(got.numpy(), want)


@settings(max_examples=25, deadline=None)
@given(shape=small_shapes, data=st.data())
def test_repeat_roll_flip_match_torch_on_random_shapes(shape, data):
    a = np.random.default_rng(0).standard_normal(shape)
    x, xt = ember.tensor(a), torch.tensor(a)
    reps = tuple(data.draw(st.lists(st.integers(0, 3), min_size=len(shape),
                                    max_size=len(shape) + 2)))
    close(x.repeat(*reps), xt.repeat(*reps))
    dims = tuple(data.draw(st.sets(st.integers(0, len(shape) - 1))))
    shifts = tuple(data.draw(st.integers(-5, 5)) for _ in dims)
    close(x.roll(shifts, dims) if dims else x.roll(3), xt.roll(shifts, dims) if dims
          else xt.roll(3))
    np.testing.assert_array_equal(x.flip(dims).flip(dims).numpy(), a)
