"""View ops (reshape, permute, expand, narrow, split...) against PyTorch: values,
gradients, second derivatives, shared storage, in-place changes through views,
and error messages."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
from reference import assert_grads_differentiable, check, close, lib_of, rand, squared


VIEW_OPS = [
    # (id, input shape, op)
    ("reshape", (3, 4), lambda x: x.reshape(2, 6)),
    ("reshape_tuple", (3, 4), lambda x: x.reshape((4, 3))),
    ("reshape_infer", (3, 4), lambda x: x.reshape(-1, 2)),
    ("reshape_flat", (2, 3, 2), lambda x: x.reshape(-1)),
    ("reshape_fn_kw", (3, 4), lambda x: lib_of(x).reshape(x, shape=(6, 2))),
    ("reshape_as", (3, 4), lambda x: x.reshape_as(lib_of(x).zeros(2, 6))),
    ("reshape_0d", (), lambda x: x.reshape(1, 1)),
    ("reshape_to_0d", (1,), lambda x: x.reshape(())),
    ("reshape_empty", (0, 3), lambda x: x.reshape(3, -1, 1)),
    ("view", (3, 4), lambda x: x.view(4, 3)),
    ("view_infer", (2, 3, 4), lambda x: x.view(-1, 4)),
    ("view_noncontig_ok", (4, 6), lambda x: x.t().view(3, 2, 4)),
    ("view_as", (3, 4), lambda x: x.view_as(x.t())),
    ("flatten", (2, 3, 4), lambda x: x.flatten()),
    ("flatten_range", (2, 3, 4, 5), lambda x: x.flatten(1, -2)),
    ("flatten_0d", (), lambda x: x.flatten()),
    ("unflatten", (2, 12), lambda x: x.unflatten(1, (3, -1))),
    ("unflatten_neg", (2, 12), lambda x: x.unflatten(-1, (2, 2, 3))),
    ("squeeze_all", (1, 3, 1, 4), lambda x: x.squeeze()),
    ("squeeze_dim", (1, 3, 1, 4), lambda x: x.squeeze(2)),
    ("squeeze_neg", (1, 3, 1), lambda x: x.squeeze(-1)),
    ("squeeze_tuple", (1, 3, 1, 4), lambda x: x.squeeze((0, 2))),
    ("squeeze_noop", (2, 3), lambda x: x.squeeze(1)),
    ("squeeze_0d", (), lambda x: x.squeeze()),
    ("unsqueeze", (3, 4), lambda x: x.unsqueeze(1)),
    ("unsqueeze_neg", (3, 4), lambda x: x.unsqueeze(-1)),
    ("unsqueeze_0d", (), lambda x: x.unsqueeze(0)),
    ("transpose", (2, 3, 4), lambda x: x.transpose(0, 2)),
    ("transpose_neg", (2, 3, 4), lambda x: x.transpose(-1, -3)),
    ("swapaxes", (2, 3, 4), lambda x: x.swapaxes(1, 2)),
    ("swapdims", (2, 3, 4), lambda x: x.swapdims(0, 1)),
    ("permute", (2, 3, 4), lambda x: x.permute(2, 0, 1)),
    ("permute_tuple", (2, 3, 4), lambda x: x.permute((1, 2, 0))),
    ("permute_neg", (2, 3, 4), lambda x: x.permute(-1, 0, -2)),
    ("movedim", (2, 3, 4), lambda x: x.movedim(0, -1)),
    ("movedim_multi", (2, 3, 4, 5), lambda x: x.movedim((0, 1), (3, 0))),
    ("moveaxis", (2, 3, 4), lambda x: x.moveaxis(-1, 0)),
    ("t", (3, 4), lambda x: x.t()),
    ("t_1d", (3,), lambda x: x.t()),
    ("T", (3, 4), lambda x: x.T),
    ("mT", (2, 3, 4), lambda x: x.mT),
    ("adjoint", (2, 3, 4), lambda x: x.adjoint()),
    ("expand", (3, 1), lambda x: x.expand(2, 3, 4)),
    ("expand_keep", (3, 1), lambda x: x.expand(-1, 5)),
    ("expand_0d", (), lambda x: x.expand(2, 3)),
    ("expand_as", (1, 4), lambda x: x.expand_as(lib_of(x).zeros(3, 4))),
    ("broadcast_to", (4,), lambda x: x.broadcast_to((2, 3, 4))),
    ("narrow", (4, 5), lambda x: x.narrow(1, 1, 3)),
    ("narrow_neg_start", (4, 5), lambda x: x.narrow(-1, -3, 2)),
    ("narrow_empty", (4, 5), lambda x: x.narrow(0, 2, 0)),
    ("select", (3, 4, 5), lambda x: x.select(1, 2)),
    ("select_neg", (3, 4, 5), lambda x: x.select(-1, -1)),
    ("getitem_basic", (3, 4, 5), lambda x: x[1:, None, ::2, 3]),
    ("unbind", (3, 4), lambda x: x.unbind(1)),
    ("split_size", (5, 4), lambda x: x.split(2)),
    ("split_sizes", (5, 4), lambda x: x.split([1, 3], dim=1)),
    ("chunk", (7, 3), lambda x: x.chunk(3)),
    ("chunk_dim", (2, 6), lambda x: x.chunk(4, dim=-1)),
    ("tensor_split_n", (7, 3), lambda x: x.tensor_split(3)),
    ("tensor_split_idx", (7, 3), lambda x: x.tensor_split([1, 5, 9])),
    ("hsplit", (3, 4), lambda x: x.hsplit(2)),
    ("hsplit_1d", (6,), lambda x: x.hsplit([2, 3])),
    ("vsplit", (4, 3), lambda x: x.vsplit(2)),
    ("dsplit", (2, 2, 6), lambda x: x.dsplit([1, 4])),
    ("diagonal", (4, 4), lambda x: x.diagonal()),
    ("diagonal_offset", (3, 5), lambda x: x.diagonal(2)),
    ("diagonal_below", (5, 3), lambda x: x.diagonal(-1)),
    ("diagonal_dims", (2, 3, 4), lambda x: x.diagonal(1, 2, 0)),
    ("unfold", (3, 7), lambda x: x.unfold(1, 3, 2)),
    ("unfold_overlap", (6, 2), lambda x: x.unfold(0, 4, 1)),
    ("unfold_0d", (), lambda x: x.unfold(0, 1, 1)),
    ("sum_to_size", (2, 3, 4), lambda x: x.sum_to_size(3, 1)),
]


@pytest.mark.parametrize("shape,op", [(s, o) for _, s, o in VIEW_OPS],
                         ids=[i for i, _, _ in VIEW_OPS])
def test_view_op_matches_torch(shape, op):
    check(lambda x: squared(op(x)), rand(shape, 0))
    assert_grads_differentiable(op, rand(shape, 0))
    check(op, rand(shape, 1), second=False)


@pytest.mark.parametrize("shape,op", [(s, o) for _, s, o in VIEW_OPS if _ != "sum_to_size"],
                         ids=[i for i, _, _ in VIEW_OPS if i != "sum_to_size"])
def test_view_op_on_integers_matches_torch(shape, op):
    a = np.arange(int(np.prod(shape))).reshape(shape)
    check(op, a)


# ---- shared storage ------------------------------------------------------------

SHARING = [
    ("view", lambda x: x.view(4, 3)),
    ("reshape_contiguous", lambda x: x.reshape(2, 2, 3)),
    ("flatten", lambda x: x.flatten()),
    ("unsqueeze", lambda x: x.unsqueeze(0)),
    ("transpose", lambda x: x.transpose(0, 1)),
    ("T", lambda x: x.T),
    ("permute", lambda x: x.permute(1, 0)),
    ("narrow", lambda x: x.narrow(1, 1, 2)),
    ("select", lambda x: x.select(0, 1)),
    ("split", lambda x: x.split(2, dim=1)[1]),
    ("chunk", lambda x: x.chunk(2)[0]),
    ("unbind", lambda x: x.unbind(1)[2]),
    ("diagonal", lambda x: x.diagonal(1)),
    ("getitem", lambda x: x[1:, ::2]),
    ("chained", lambda x: x.t()[1:].narrow(1, 1, 2).unsqueeze(0)),
    ("rows_reshaped", lambda x: x[1:].reshape(-1)),
    ("ravel", lambda x: x.ravel()),
]


@pytest.mark.parametrize("op", [o for _, o in SHARING], ids=[i for i, _ in SHARING])
def test_inplace_on_view_writes_through_to_base(op):
    x, xt = ember.arange(12.).reshape(3, 4), torch.arange(12.).reshape(3, 4)
    with ember.no_grad():
        op(x).mul_(-2)
    with torch.no_grad():
        op(xt).mul_(-2)
    close(x, xt)
    assert x._version_counter > 0  # the base saw the write


@pytest.mark.parametrize("op", [o for _, o in SHARING], ids=[i for i, _ in SHARING])
def test_view_data_is_the_base_memory(op):
    x = ember.arange(12.).reshape(3, 4)
    v = op(x)
    v._array[...] = -1
    assert np.shares_memory(v._array, x._array)
    assert (x.numpy() == -1).sum() == v.numel()


def test_brief_example_view_mul_changes_base():
    x = ember.arange(6.)
    v = x.view(2, 3)
    with ember.no_grad():
        v.mul_(2)
    close(x, torch.arange(6.) * 2)


def test_view_of_non_contiguous_raises_while_reshape_copies():
    x, xt = ember.tensor(rand((3, 4))), torch.tensor(rand((3, 4)))
    with pytest.raises(RuntimeError, match=r"view: size \[12\] is not compatible .*"
                                           r"\[4, 3\].*use \.reshape"):
        x.t().view(12)
    with pytest.raises(RuntimeError):
        xt.t().view(12)  # torch refuses too
    y = x.t().reshape(12)
    close(y, xt.t().reshape(12))
    assert not np.shares_memory(y._array, x._array)
    with ember.no_grad():
        y.mul_(0)  # a copy: the base is untouched and its version too
    close(x, xt)
    assert x._version_counter == 0


def test_contiguous_copies_only_non_contiguous():
    x = ember.tensor(rand((3, 4)))
    assert x.contiguous() is x
    c = x.t().contiguous()
    assert c.is_contiguous() and not np.shares_memory(c._array, x._array)


# ---- autograd through in-place changes of views ---------------------------------

def _column_mul(x):
    y = x * 1
    y[:, 0].mul_(2)
    return y * y


def _transposed_row_add(x, z):
    y = x * 1
    y.transpose(0, 1)[0].add_(z)
    return y * y


def _view_row_mul(x, z):
    y = x * 1
    y.view(4, 3)[1].mul_(z)
    return y * y


def _diagonal_mul(x):
    y = x * 1
    y.diagonal().mul_(3)
    return y * y


def _chained_views(x, z):
    y = x * 1
    y.t()[1:].narrow(1, 0, 2).mul_(z)
    return y * y * y


def _view_then_use(x):
    y = x * 1
    v = y[1]
    v.mul_(2)
    return (v * v).sum() + y.sum() * 3


def _setitem_then_grad(x, z):
    y = x * 1
    y[1:, 2] = z * z
    return y * y


def _tril_inplace(x):
    y = x * 2
    y.tril_(-1)
    return y * y


@pytest.mark.parametrize("fn,shapes", [
    (_column_mul, [(3, 4)]),
    (_transposed_row_add, [(3, 4), (3,)]),
    (_view_row_mul, [(3, 4), (3,)]),
    (_diagonal_mul, [(3, 4)]),
    (_chained_views, [(3, 4), (2,)]),
    (_view_then_use, [(3, 4)]),
    (_setitem_then_grad, [(3, 4), (2,)]),
    (_tril_inplace, [(3, 4)]),
], ids=lambda v: getattr(v, "__name__", ""))
def test_inplace_on_view_of_non_leaf_matches_torch(fn, shapes):
    check(fn, *[rand(s, i) for i, s in enumerate(shapes)])


def test_brief_example_column_mul_backward():
    a = rand((3, 4))
    x, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for t in (x, xt):
        y = t * 1
        y[:, 0].mul_(2)
        y.sum().backward()
    close(x.grad, xt.grad)


def test_inplace_on_view_of_leaf_requiring_grad_raises():
    x = ember.tensor(rand((3, 4)), requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf tensor that requires grad"):
        x.view(4, 3).mul_(2)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0].add_(ember.tensor(rand((4,)), requires_grad=True))


def test_inplace_on_view_after_save_fails_at_backward():
    x = ember.tensor(rand((3, 4)), requires_grad=True)
    y = x * 1
    z = y * y  # saves y
    y[0].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


def test_views_share_the_version_counter():
    x = ember.zeros(3, 4)
    v, w = x.t(), x[1]
    with ember.no_grad():
        w.add_(1)
    assert x._version_counter == v._version_counter == w._version_counter == 1


def test_sibling_view_sees_inplace_change_in_its_gradient():
    def fn(x, z):
        y = x * 1
        a = y[:, 1:]  # made before the in-place change
        y[0, 1:].add_(z)  # through another view of y
        return a * a * a

    check(fn, rand((3, 4)), rand((3,), 1), second=False)


def test_inplace_on_expanded_view_raises_clearly():
    x = ember.zeros(3, 1).expand(3, 4)
    with pytest.raises(RuntimeError, match="in-place"):
        with ember.no_grad():
            x.add_(1)


# ---- errors ---------------------------------------------------------------------

ERRORS = [
    (lambda x: x.reshape(4, 4), RuntimeError, r"reshape: shape \[4, 4\] is invalid for input of "
     r"size 12 \(input shape \[3, 4\]\)"),
    (lambda x: x.reshape(5, -1), RuntimeError, r"reshape: shape \[5, -1\] is invalid for input "
     r"of size 12"),
    (lambda x: x.view(-1, -1), RuntimeError, "view: only one dimension can be inferred"),
    (lambda x: x.reshape(-2, 6), RuntimeError, r"reshape: invalid shape dimension in \[-2, 6\]"),
    (lambda x: x.reshape("a"), TypeError, "reshape: expected a sequence of ints"),
    (lambda x: x.transpose(0, 2), IndexError, r"transpose: dimension out of range \(expected to "
     r"be in range of \[-2, 1\], but got 2\)"),
    (lambda x: x.unsqueeze(3), IndexError, "unsqueeze: dimension out of range"),
    (lambda x: x.squeeze(-3), IndexError, "squeeze: dimension out of range"),
    (lambda x: x.permute(1, 0, 2), RuntimeError, r"permute: number of dims don't match"),
    (lambda x: x.permute(1, 1), RuntimeError, r"permute: repeated dim in \[1, 1\]"),
    (lambda x: x.expand(3, 5), RuntimeError, r"expand: the expanded size of the tensor \(5\) "
     r"must match the existing size \(4\) at non-singleton dimension 1"),
    (lambda x: x.expand(4), RuntimeError, r"expand: the number of sizes provided \(1\)"),
    (lambda x: x.expand(-1, 3, 4), RuntimeError, "expand: -1 is not allowed in a leading"),
    (lambda x: x.narrow(1, 2, 3), IndexError, r"narrow: start \(2\) \+ length \(3\) exceeds "
     r"dimension size \(4\)"),
    (lambda x: x.select(0, 3), IndexError, "select: index 3 out of range for dimension 0 of "
     "size 3"),
    (lambda x: x.split([1, 1], 0), RuntimeError, r"split: split sizes \[1, 1\] must sum to the "
     "size of dimension 0, which is 3"),
    (lambda x: x.split(0), RuntimeError, "split: split_size must be positive"),
    (lambda x: x.chunk(0), RuntimeError, "chunk: expected chunks > 0, got 0"),
    (lambda x: x.tensor_split(0), RuntimeError, "tensor_split: number of sections must be "
     "larger than 0"),
    (lambda x: x.hsplit(3), RuntimeError, "hsplit: attempted to split along dimension 1, but "
     "the size of the dimension 4 is not divisible by the split_size 3"),
    (lambda x: x.dsplit(2), RuntimeError, "dsplit: requires a tensor with at least 3 "
     "dimensions"),
    (lambda x: x.flatten(1, 0), RuntimeError, r"flatten: start_dim \(1\) cannot come after "),
    (lambda x: x.unflatten(1, (3, 3)), RuntimeError, r"unflatten: shape \[3, 3\] is invalid for "
     r"input of size 4"),
    (lambda x: x.movedim((0, 1), 0), RuntimeError, "movedim: source and destination must have "
     "the same number of dims"),
    (lambda x: x.diagonal(0, 1, -1), RuntimeError, "diagonal: dimensions cannot be identical"),
    (lambda x: x.unfold(1, 5, 1), RuntimeError, r"unfold: expected 0 <= size <= 4 and step > 0"),
    (lambda x: x.unfold(1, 2, 0), RuntimeError, r"unfold: expected 0 <= size <= 4 and step > 0"),
    (lambda x: x.reshape(2, 3, 2).t(), RuntimeError, "t: expects a tensor with <= 2 dimensions, "
     "but got 3"),
    (lambda x: x.sum_to_size(5), RuntimeError, r"sum_to_size: size \[5\] is not expandable to "
     r"size \[3, 4\]"),
    (lambda x: x.sum_to_size(1, 3, 4), RuntimeError, "sum_to_size: size"),
]


@pytest.mark.parametrize("op,exc,msg", ERRORS)
def test_bad_arguments_raise_clear_errors(op, exc, msg):
    x = ember.zeros(3, 4)
    with pytest.raises(exc, match=msg):
        op(x)


@pytest.mark.parametrize("op", [
    lambda x: x.select(0, 0), lambda x: x.narrow(0, 0, 1), lambda x: x.unbind(),
    lambda x: x.split(1), lambda x: x.chunk(2), lambda x: x.tensor_split(2),
])
def test_dim_ops_refuse_0d_tensors(op):
    with pytest.raises(RuntimeError, match="cannot be applied to a 0-dim tensor"):
        op(ember.tensor(1.0))


def test_transpose_of_0d_checks_dims():
    x = ember.tensor(2.0)
    assert x.transpose(0, -1) is x
    with pytest.raises(IndexError, match="transpose: dimension out of range"):
        x.transpose(0, 1)


def test_chunk_of_empty_dim_gives_that_many_pieces():
    parts, ref = ember.zeros(0, 2).chunk(3), torch.zeros(0, 2).chunk(3)
    assert [p.shape for p in parts] == [tuple(r.shape) for r in ref]


# ---- properties -----------------------------------------------------------------

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, data=st.data())
def test_reshape_round_trip(shape, data):
    a = np.random.default_rng(0).standard_normal(shape)
    x = ember.tensor(a)
    n = a.size
    flat = x.reshape(-1)
    assert flat.shape == (n,)
    back = flat.reshape(shape)
    np.testing.assert_array_equal(back.numpy(), a)
    if n:  # a random factorisation of n, one size inferred
        first = data.draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
        y = x.reshape(first, -1)
        assert y.shape == (first, n // first)
        np.testing.assert_array_equal(y.reshape(shape).numpy(), a)


@settings(max_examples=25, deadline=None)
@given(shape=shapes.filter(lambda s: len(s) >= 1), data=st.data())
def test_permute_and_transpose_round_trip(shape, data):
    a = np.random.default_rng(0).standard_normal(shape)
    x, xt = ember.tensor(a), torch.tensor(a)
    perm = data.draw(st.permutations(range(len(shape))))
    inverse = tuple(int(i) for i in np.argsort(perm))
    close(x.permute(perm), xt.permute(perm))
    np.testing.assert_array_equal(x.permute(perm).permute(inverse).numpy(), a)
    d0, d1 = data.draw(st.integers(-len(shape), len(shape) - 1)), \
        data.draw(st.integers(-len(shape), len(shape) - 1))
    close(x.transpose(d0, d1), xt.transpose(d0, d1))
    np.testing.assert_array_equal(x.transpose(d0, d1).transpose(d0, d1).numpy(), a)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, data=st.data())
def test_expand_then_sum_to_size_round_trip(shape, data):
    # Size-1 dims of `small` broadcast to `shape`; leading dims may be added.
    small = tuple(data.draw(st.sampled_from([1, s])) for s in shape)
    lead = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    a = np.random.default_rng(0).standard_normal(small)
    x = ember.tensor(a, requires_grad=True)
    target = lead + shape
    y = x.expand(target)
    close(y, torch.tensor(a).expand(target))
    copies = int(np.prod(target)) // max(a.size, 1) if a.size else 0
    np.testing.assert_allclose(y.sum_to_size(small).detach().numpy(), a * copies)
    (g,) = ember.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(g.numpy(), np.full(small, copies))


def test_split_is_one_node_and_unused_pieces_get_zero_gradient():
    a = rand((4, 6), 3)
    check(lambda x: x.split([1, 3, 2], dim=1)[1] ** 2, a)  # pieces 0 and 2 unused
    x = ember.tensor(a, requires_grad=True)
    pieces = x.split(2, dim=1)
    assert len({id(p.grad_fn) for p in pieces}) == 1  # one Split node for all pieces
    with ember.no_grad():
        pieces[1].mul_(0)  # the pieces are views of x
    assert not x.detach().numpy()[:, 2:4].any()
