"""Tensor methods from PyTorch's long tail, each against torch: predicates, in-place
view ops, as_strided, resize_, new, fill_diagonal_, put, index_reduce, memory
placement and post-accumulate-grad hooks."""

import pickle

import numpy as np
import pytest
import torch

import ember
from reference import check, close, lib_of, rand


# ---- predicates and properties -----------------------------------------------------

def test_is_nonzero_matches_torch():
    for v in ([0.0], [2.0], [[0]], True, [False]):
        assert ember.is_nonzero(ember.tensor(v)) == torch.is_nonzero(torch.tensor(v))
    assert ember.tensor([3]).is_nonzero() is True


@pytest.mark.parametrize("n, what", [(0, "no values"), (2, "more than one value")])
def test_is_nonzero_rejects_other_sizes(n, what):
    with pytest.raises(RuntimeError, match=f"is_nonzero: .*{what}"):
        ember.is_nonzero(ember.ones(n))
    with pytest.raises(RuntimeError, match=what):
        torch.is_nonzero(torch.ones(n))


def test_is_same_size_and_is_signed():
    a, b = ember.ones(2, 3), ember.zeros(2, 3)
    assert ember.is_same_size(a, b) and a.is_same_size(b)
    assert not ember.is_same_size(a, ember.ones(3, 2))
    for dt in ("float32", "int8", "uint8", "bool", "bfloat16"):
        assert ember.is_signed(ember.ones(1, dtype=getattr(ember, dt if dt != "bool" else "bool"))) \
            == torch.is_signed(torch.ones(1, dtype=getattr(torch, dt)))
    with pytest.raises(TypeError, match="is_same_size: expected other to be a Tensor"):
        ember.is_same_size(a, [1])


def test_real_dtype_identities_return_the_tensor_as_torch_does():
    x = ember.tensor(rand((2, 3)), requires_grad=True)
    xt = torch.tensor(rand((2, 3)), requires_grad=True)
    for name in ("conj", "resolve_conj", "resolve_neg", "positive"):
        assert getattr(x, name)() is x and getattr(xt, name)() is xt
        assert getattr(ember, name)(x) is x
    assert ember.conj_physical(x) is x and ember.real(x) is x and x.real is x
    assert x.is_conj() is False and x.is_neg() is False and not ember.is_conj(x)
    assert ember.is_neg(x) is False
    close(x.isreal(), xt.isreal())
    assert ember.isreal(x).dtype == ember.bool


def test_imag_and_positive_of_bool_raise_like_torch():
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex"):
        ember.ones(2).imag
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        ember.imag(ember.ones(2))
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        torch.ones(2).imag
    with pytest.raises(RuntimeError, match="positive: the `\\+` operator on a bool tensor"):
        ember.ones(2, dtype=ember.bool).positive()


def test_real_setter_copies_values():
    x, xt = ember.zeros(3), torch.zeros(3)
    x.real, xt.real = ember.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    close(x, xt)


def test_kind_predicates_and_layout():
    x, xt = ember.ones(2, 3), torch.ones(2, 3)
    for name in ("is_cpu", "is_sparse", "is_sparse_csr", "is_quantized", "is_meta", "is_nested",
                 "is_mkldnn"):
        assert getattr(x, name) == getattr(xt, name), name
    assert x.layout is ember.strided and repr(ember.strided) == "ember.strided"
    assert repr(xt.layout) == "torch.strided" and isinstance(ember.strided, ember.layout)
    assert pickle.loads(pickle.dumps(ember.strided)) is ember.strided


@pytest.mark.parametrize("index", [(), (1,), (slice(None), 1), (1, slice(1, None)),
                                   (slice(None, None, 2),)])
def test_storage_offset_matches_torch(index):
    x, xt = ember.arange(24.0).reshape(4, 6), torch.arange(24.0).reshape(4, 6)
    assert x[index].storage_offset() == xt[index].storage_offset()
    assert x[index].t().storage_offset() == xt[index].t().storage_offset() if x[index].ndim == 2 \
        else True


# ---- in-place view ops --------------------------------------------------------------

VIEW_INPLACE = [
    ("squeeze_", (2, 1, 3, 1), ()), ("squeeze_", (2, 1, 3), (1,)), ("squeeze_", (2, 1, 3), (0,)),
    ("unsqueeze_", (2, 3), (1,)), ("unsqueeze_", (2, 3), (-1,)), ("t_", (2, 3), ()),
    ("t_", (3,), ()), ("transpose_", (2, 3, 4), (0, 2)), ("swapaxes_", (2, 3, 4), (1, 2)),
    ("swapdims_", (2, 3, 4), (-1, 0)),
]


@pytest.mark.parametrize("name, shape, args", VIEW_INPLACE)
def test_inplace_view_ops_match_torch(name, shape, args):
    def f(x):
        y = x * 1.0
        v0 = y._version
        out = getattr(y, name)(*args)
        assert out is y and y._version == v0 + 1  # in place, version bumped (as torch)
        return y * y
    check(f, rand(shape))


def test_inplace_view_of_a_view_still_writes_through_to_the_base():
    def f(x):
        y = x * 1.0
        v = y[0]           # (3, 4) view
        v.transpose_(0, 1)  # now (4, 3), still a view of y
        v.mul_(lib_of(x).arange(3.0))  # broadcast over the last (old first) dimension
        return y
    check(f, rand((2, 3, 4)))


def test_inplace_view_ops_refuse_leaves_that_require_grad():
    x = ember.ones(2, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="squeeze_: a leaf tensor that requires grad"):
        x.squeeze_()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        torch.ones(2, 1, requires_grad=True).squeeze_()


def test_inplace_view_op_makes_earlier_saved_uses_fail():
    w = ember.ones(3, requires_grad=True)
    x = ember.ones(3)
    y = (x * w).sum()
    x.unsqueeze_(0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_inplace_view_ops_check_arguments():
    with pytest.raises(RuntimeError, match="t: expects a tensor with <= 2 dimensions"):
        ember.ones(2, 3, 4).t_()
    with pytest.raises(IndexError, match="unsqueeze: dimension out of range"):
        ember.ones(2).unsqueeze_(3)


# ---- as_strided -----------------------------------------------------------------------

STRIDED = [((2, 2), (1, 2), 1), ((3, 3), (1, 1), 0), ((2, 3), (0, 1), None), ((4,), (3,), 0),
           ((2, 2, 2), (6, 1, 2), 2), ((0, 3), (1, 1), 0), ((), (), 5)]


@pytest.mark.parametrize("size, stride, offset", STRIDED)
def test_as_strided_values_and_gradients_match_torch(size, stride, offset):
    # Overlapping windows (stride 1 in two dims) sum their gradients back.
    check(lambda x: (x * 1.0).as_strided(size, stride, offset), rand((3, 4)))
    check(lambda x: lib_of(x).as_strided(x * 1.0, size, stride, offset), rand((3, 4)))


def test_as_strided_of_a_view_counts_from_the_base_memory():
    check(lambda x: (x * 1.0)[1:, 1:].as_strided((2, 2), (4, 1)), rand((3, 4)))
    check(lambda x: (x * 1.0)[1:].as_strided((3,), (2,), 0), rand((3, 4)))
    check(lambda x: (x * 1.0).t().as_strided((2, 3), (3, 1)), rand((3, 4)))


def test_as_strided_of_an_expanded_input_splits_the_gradient_like_torch():
    check(lambda x: x.expand(2, 3).as_strided((2, 2), (1, 1), 0), rand((3,)))
    check(lambda x: x.expand(3, 2, 4).as_strided((2, 3), (4, 1)), rand((2, 4)))


def test_as_strided_is_a_view_sharing_memory():
    x = ember.zeros(6)
    v = x.as_strided((2, 2), (2, 1), 1)
    v[0, 0] = 5.0
    assert x.tolist() == [0, 5, 0, 0, 0, 0] and v._base is x
    y = x.as_strided((2, 2), (1, 1))  # overlapping: writes would hit two elements
    with pytest.raises(RuntimeError, match="read-only"):
        y.add_(1.0)


def test_as_strided_inplace_matches_torch():
    def f(x):
        y = x * 1.0
        y.as_strided_((2, 3), (1, 2), 1)
        return y * 2
    check(f, rand((3, 4)))


@pytest.mark.parametrize("args, match", [
    (((2, 2), (1, 2), 9), "as_strided: sizes \\[2, 2\\], strides \\[1, 2\\] and storage offset 9 "
                          "need a storage of 13 elements, but the tensor's storage has 12"),
    (((2,), (-1,)), "as_strided: negative strides are not supported"),
    (((2, 2), (1,)), "as_strided: mismatch in length of strides and shape"),
    (((-1,), (1,)), "as_strided: negative sizes"),
    (((2,), (1,), -1), "as_strided: storage offset must be non-negative"),
])
def test_as_strided_errors(args, match):
    with pytest.raises(RuntimeError, match=match):
        ember.ones(3, 4).as_strided(*args)
    with pytest.raises(RuntimeError):
        torch.ones(3, 4).as_strided(*args)


def test_as_strided_rejects_non_int_sizes():
    with pytest.raises(TypeError, match="as_strided: expected size and stride to be sequences"):
        ember.ones(3).as_strided((1.5,), (1,))


# ---- resize_, resize_as_, new ---------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 2), (6,), (3, 2), (2, 5), (0,), (4, 4)])
def test_resize_keeps_existing_values_in_row_major_order(shape):
    x, xt = ember.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
    x.resize_(*shape)
    xt.resize_(*shape)
    assert x.shape == tuple(xt.shape)
    n = min(6, int(np.prod(shape)))
    close(x.reshape(-1)[:n], xt.reshape(-1)[:n])  # beyond the old end: uninitialised


def test_resize_shrink_shares_memory_and_grows_back():
    x = ember.arange(6.0)
    x.resize_(2, 2)
    assert x.is_contiguous() and x.tolist() == [[0, 1], [2, 3]]
    x.resize_(6)  # the memory still holds the old values, as in PyTorch
    assert x.tolist() == [0, 1, 2, 3, 4, 5]
    v = ember.arange(6.0)[2:]
    v.resize_(2)
    assert v.storage_offset() == 2 and v.tolist() == [2, 3]


def test_resize_as_and_same_shape():
    x = ember.arange(4.0)
    assert ember.resize_as_(x, ember.ones(2, 2)) is x and x.shape == (2, 2)
    y = ember.arange(6.0).reshape(2, 3).t()
    assert y.resize_(3, 2) is y and not y.is_contiguous()  # same shape: untouched


def test_resize_errors():
    with pytest.raises(RuntimeError, match="resize_: cannot resize tensors that require grad"):
        ember.ones(2, requires_grad=True).resize_(3)
    with pytest.raises(RuntimeError, match="resize_: negative dimension"):
        ember.ones(2).resize_(-1)
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        torch.ones(2, requires_grad=True).resize_(3)


def test_new_matches_torch_legacy_constructor():
    x, xt = ember.ones(2, dtype=ember.float64), torch.ones(2, dtype=torch.float64)
    assert x.new().shape == tuple(xt.new().shape) == (0,) and x.new().dtype == ember.float64
    assert x.new(2, 3).shape == (2, 3) and x.new(2, 3).dtype == ember.float64
    close(x.new([1, 2]), xt.new([1, 2]))
    assert x.new([1, 2]).dtype == ember.float64
    assert x.new((4, 5)).shape == (4, 5)  # a shape, as torch reads a torch.Size
    assert xt.new(torch.Size((4, 5))).shape == (4, 5)
    other = ember.zeros(3, dtype=ember.float64)
    alias = x.new(other)
    alias[0] = 7.0
    assert other[0].item() == 7.0


def test_new_errors():
    with pytest.raises(TypeError, match="new: expected a tensor of dtype ember.float32, got "
                                        "ember.int64"):
        ember.ones(2).new(ember.tensor([1, 2]))
    with pytest.raises(TypeError):
        torch.ones(2).new(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="new: expected no argument, sizes, a tensor or data"):
        ember.ones(2).new([1], [2])


# ---- fill_diagonal_, put, index_reduce ---------------------------------------------

@pytest.mark.parametrize("shape, wrap", [((3, 3), False), ((5, 3), False), ((5, 3), True),
                                         ((7, 2), True), ((3, 5), True), ((3, 3, 3), False),
                                         ((2, 2, 2, 2), False)])
def test_fill_diagonal_matches_torch(shape, wrap):
    def f(x):
        y = x * 1.0
        y.fill_diagonal_(-2.5, wrap=wrap)
        return y
    check(f, rand(shape))


def test_fill_diagonal_casts_to_the_dtype():
    x, xt = ember.zeros(3, 3, dtype=ember.int64), torch.zeros(3, 3, dtype=torch.int64)
    close(x.fill_diagonal_(7), xt.fill_diagonal_(7))


@pytest.mark.parametrize("shape, match", [((3,), "fill_diagonal_: dimensions must be larger "
                                                  "than 1"),
                                          ((2, 3, 3), "all dimensions of input must be of "
                                                      "equal length")])
def test_fill_diagonal_errors(shape, match):
    with pytest.raises(RuntimeError, match=match):
        ember.zeros(*shape).fill_diagonal_(1)
    with pytest.raises(RuntimeError):
        torch.zeros(*shape).fill_diagonal_(1)


@pytest.mark.parametrize("accumulate", [False, True])
def test_put_matches_torch(accumulate):
    idx = np.array([[0, 5], [-1, 7]])
    idx_rep = np.array([1, 1, -11, 3])  # repeated positions (accumulate only)
    if accumulate:
        check(lambda x, s: lib_of(x).put(x, lib_of(x).tensor(idx_rep), s, accumulate=True),
              rand((3, 4)), rand((4,), 1))
    check(lambda x, s: x.put(lib_of(x).tensor(idx), s, accumulate), rand((3, 4)), rand((2, 2), 1))

    def inplace(x, s):
        y = x * 1.0
        y.put_(lib_of(x).tensor(idx), s, accumulate=accumulate)
        return y
    check(inplace, rand((3, 4)), rand((2, 2), 1))


def test_put_on_non_contiguous_input():
    check(lambda x, s: x.t().put(lib_of(x).tensor([0, 1, 4]), s), rand((3, 4)), rand((3,), 1))


@pytest.mark.parametrize("index, source, exc, match", [
    ([1.0], [1.0], RuntimeError, "put: expected a long \\(int64\\) tensor for index, got "
                                 "ember.float32"),
    ([1, 2], [1.0], IndexError, "put: expected source and index to have the same number of "
                                "elements, but got source.numel\\(\\) = 1, index.numel\\(\\) = 2"),
    ([1, 2], [1, 2], RuntimeError, "put: self and source expected to have the same dtype"),
    ([6], [1.0], IndexError, "put: out of range: tried to access index 6 on a tensor of 6 "
                             "elements"),
    ([-7], [1.0], IndexError, "out of range: tried to access index -7"),
])
def test_put_errors(index, source, exc, match):
    with pytest.raises(exc, match=match):
        ember.zeros(2, 3).put_(ember.tensor(index), ember.tensor(source))
    with pytest.raises(exc):
        torch.zeros(2, 3).put_(torch.tensor(index), torch.tensor(source))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_reduce_matches_torch(reduce, include_self, dim):
    index = np.array([0, 2, 0, 3])
    shape = [4, 4]
    src_shape = list(shape)
    src_shape[dim] = 4
    check(lambda x, s: x.index_reduce(dim, lib_of(x).tensor(index), s, reduce,
                                      include_self=include_self),
          rand(shape, positive=True), rand(src_shape, 1, positive=True),
          second=reduce in ("prod", "mean"))


def test_index_reduce_ties_and_zeros_match_torch():
    # amax ties between input and source share the gradient; prod through zeros.
    x = np.array([[1.0, 2.0], [3.0, 0.0]])
    s = np.array([[1.0, 5.0], [0.0, 0.0], [3.0, 1.0]])
    index = np.array([0, 1, 1])
    for reduce in ("amax", "prod"):
        check(lambda a, b: lib_of(a).index_reduce(a, 0, lib_of(a).tensor(index), b, reduce),
              x, s, second=reduce == "prod")


def test_index_reduce_inplace_and_integer_mean():
    xt = torch.tensor([[4, 9], [1, 2]])
    x = ember.tensor([[4, 9], [1, 2]])
    src = [[1, 2], [3, 5]]
    x.index_reduce_(0, ember.tensor([0, 0]), ember.tensor(src), "mean")
    xt.index_reduce_(0, torch.tensor([0, 0]), torch.tensor(src), "mean")
    close(x, xt)


def test_index_reduce_errors():
    x = ember.ones(2, 3)
    with pytest.raises(RuntimeError, match="index_reduce: expected reduce to be one of prod, "
                                           "mean, amax or amin, got 'sum'"):
        x.index_reduce(0, ember.tensor([0]), ember.ones(1, 3), "sum")
    with pytest.raises(RuntimeError, match="index_reduce: expected source of shape"):
        x.index_reduce(0, ember.tensor([0]), ember.ones(2, 3), "prod")
    with pytest.raises(RuntimeError, match="index_reduce: expected dtype int32 or int64 for "
                                           "index"):
        x.index_reduce(0, ember.tensor([0.0]), ember.ones(1, 3), "prod")


# ---- memory placement ---------------------------------------------------------------

def test_pinning_and_sharing_on_a_machine_without_cuda():
    x = ember.ones(2)
    assert x.is_pinned() is False and x.is_shared() is False
    assert x.share_memory_() is x and x.is_shared() is True  # tests/test_multiprocessing.py
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="pin_memory: cannot access accelerator device "
                                               "when none is available"):
            x.pin_memory()
    else:  # pragma: no cover - GPU machines
        p = x.pin_memory()
        assert p.is_pinned() and p.tolist() == [1.0, 1.0] and p.pin_memory() is p


# ---- post-accumulate-grad hooks -------------------------------------------------------

def test_post_accumulate_grad_hook_sees_accumulated_grad_like_torch():
    seen = {}
    for lib in (ember, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        calls = []
        w.register_post_accumulate_grad_hook(lambda p: calls.append(p.grad.clone()))
        (w * 3).sum().backward()
        (w * w).sum().backward()
        seen[lib] = calls
    assert len(seen[ember]) == len(seen[torch]) == 2
    for a, b in zip(seen[ember], seen[torch]):
        close(a, b)


def test_post_accumulate_grad_hook_can_step_in_backward_and_be_removed():
    w = ember.tensor([1.0, 2.0], requires_grad=True)

    def step(p):
        with ember.no_grad():
            p -= 0.5 * p.grad
        p.grad = None
    handle = w.register_post_accumulate_grad_hook(step)
    (w * w).sum().backward()
    assert w.tolist() == [0.0, 0.0] and w.grad is None
    handle.remove()
    (w + 1).sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_post_accumulate_grad_hook_runs_after_gradient_hooks_and_not_for_autograd_grad():
    w = ember.tensor([1.0], requires_grad=True)
    order = []
    w.register_post_accumulate_grad_hook(lambda p: order.append(("post", p.grad.item())))
    w.register_hook(lambda g: order.append(("grad", g.item())) or g * 10)
    (w * 2).sum().backward()
    assert order == [("grad", 2.0), ("post", 20.0)]
    order.clear()
    ember.autograd.grad((w * 2).sum(), w)
    assert order == [("grad", 2.0)]


def test_post_accumulate_grad_hook_errors():
    with pytest.raises(RuntimeError, match="register_post_accumulate_grad_hook: cannot register "
                                           "a hook on a tensor that doesn't require gradient"):
        ember.ones(2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on "
                                           "non-leaf tensors"):
        (ember.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on "
                                           "non-leaf tensors"):
        (torch.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print)


# ---- small aliases -----------------------------------------------------------------

def test_split_and_copy_aliases_match_torch():
    check(lambda x: x.split_with_sizes([1, 2], 1), rand((2, 3)))
    check(lambda x: lib_of(x).split_with_sizes(x, [2, 2], 0), rand((4, 3)))
    check(lambda x: x.unsafe_split(2, 1), rand((2, 3)))
    check(lambda x: lib_of(x).unsafe_split_with_sizes(x, [1, 3], 0), rand((4, 3)))
    check(lambda x: x.unsafe_chunk(2, 1), rand((2, 3)))
    check(lambda x: lib_of(x).narrow_copy(x, 1, 1, 2), rand((2, 3)))
    assert ember.ones(2, 3).narrow_copy(1, 0, 2)._base is None  # a copy, not a view
    with pytest.raises(RuntimeError, match="split sizes \\[1, 1\\] must sum to the size of "
                                           "dimension 1"):
        ember.ones(2, 3).split_with_sizes([1, 1], 1)


def test_dense_and_conj_identities_and_new_empty_strided():
    x, xt = ember.ones(2, 3), torch.ones(2, 3)
    assert x.to_dense() is x and xt.to_dense() is xt
    assert x.to_dense(ember.float64).dtype == ember.float64
    assert x.conj_physical_() is x and ember.conj_physical_(x) is x
    e = ember.ones(2, dtype=ember.float64).new_empty_strided((2, 2), (1, 2))
    t = torch.ones(2, dtype=torch.float64).new_empty_strided((2, 2), (1, 2))
    assert e.stride() == t.stride() and e.dtype == ember.float64


def test_as_strided_and_resize_on_memory_laid_out_in_another_order_like_torch():
    # NumPy lays an elementwise result of a permuted tensor out in the input's
    # order: dense memory, neither C- nor F-ordered.
    for lib in (ember, torch):
        t = lib.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1) * 2
        assert t.stride() == (1, 12, 4) and t.storage_offset() == 0
        assert t.as_strided((3,), (1,)).tolist() == [0.0, 2.0, 4.0]
        assert t.as_strided((2, 2), (12, 1), 1).tolist() == [[2.0, 4.0], [26.0, 28.0]]
        assert t.resize_(5).tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
