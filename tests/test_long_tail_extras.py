"""Bit shifts, the ``*_copy`` views, ``nonzero_static``, callables in place, DLPack,
``binomial``/``poisson``, ``constant_pad_nd`` and ``convolution``, against PyTorch."""

import numpy as np
import pytest
import torch

import ember
from tests.reference import check

R = np.random.default_rng(0)


def both(fn):
    return fn(ember), fn(torch)


def same(ours, ref):
    if isinstance(ref, (tuple, list)):
        assert len(ours) == len(ref)
        for a, b in zip(ours, ref):
            same(a, b)
        return
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.detach().numpy(), ref.detach().numpy())


# ---- shifts -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64"])
def test_shifts_match_torch_including_out_of_range_amounts(dtype):
    a = np.array([1, -8, 5, 3, 127, -128, 0, 7])
    if dtype == "uint8":
        a = np.abs(a)
    b = np.array([0, 1, 3, 7, 8, 9, 70, -1])

    def run(lib):
        x = lib.tensor(a, dtype=getattr(lib, dtype))
        s = lib.tensor(b, dtype=getattr(lib, dtype)) if dtype != "uint8" else \
            lib.tensor(np.abs(b), dtype=lib.uint8)
        return (x << s, x >> s, lib.bitwise_left_shift(x, 2), lib.bitwise_right_shift(x, 1),
                x << 3, x >> 2)
    same(*both(run))


def test_shift_operators_in_place_reflected_and_promotion_match_torch():
    def run(lib):
        x = lib.tensor([1, 2, 3])
        y = x.clone()
        y <<= 2
        z = x.clone()
        z >>= 1
        w = x.clone().bitwise_left_shift_(lib.tensor([1, 0, 2]))
        return y, z, w, 2 << x, 64 >> x, lib.tensor([1, 2], dtype=lib.int8) << 1, \
            lib.tensor([True, False]) << 1
    same(*both(run))


@pytest.mark.parametrize("make", [lambda lib: lib.tensor([1.5]) << 1,
                                  lambda lib: lib.tensor([True]) << lib.tensor([True])])
def test_shifts_refuse_float_and_bool_like_torch(make):
    for lib in (ember, torch):
        with pytest.raises(NotImplementedError):
            make(lib)


# ---- *_copy -----------------------------------------------------------------------------------
X = R.standard_normal((2, 3, 4))


@pytest.mark.parametrize("name,args", [
    ("alias_copy", ()), ("expand_copy", ((3, 2, 3, 4),)), ("permute_copy", ((2, 0, 1),)),
    ("transpose_copy", (0, 2)), ("unsqueeze_copy", (1,)), ("squeeze_copy", ()),
    ("view_copy", ((6, 4),)), ("select_copy", (1, 2)), ("slice_copy", (2, 1, 4, 2)),
    ("split_copy", (2, 2)), ("split_with_sizes_copy", ([1, 3], 2)), ("unbind_copy", (1,)),
    ("diagonal_copy", (0, 1, 2)), ("detach_copy", ()), ("unfold_copy", (2, 2, 1)),
    ("as_strided_copy", ((2, 2), (1, 2))),
])
def test_view_copies_match_torch_and_are_contiguous_copies(name, args):
    def fn(x):
        lib = ember if isinstance(x, ember.Tensor) else torch
        return getattr(lib, name)(x, *args)
    second = name not in ("detach_copy",)
    out = check(fn, X, second=second) if name != "detach_copy" else \
        check(fn, X, grad_inputs=[])
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        assert o.is_contiguous()
        assert not np.shares_memory(o.numpy() if not o.requires_grad else o.detach().numpy(), X)


def test_t_copy_detach_and_alias():
    def run(lib):
        m = lib.tensor(X[0], requires_grad=True)
        return lib.t_copy(m), lib.detach(m).requires_grad, lib.t_copy(m).is_contiguous()
    (et, ed, ec), (tt, td, tc) = both(run)
    same(et, tt)
    assert ed == td and ec == tc
    a = ember.tensor([1.0, 2.0])
    b = ember.alias(a)
    b[0] = 5.0
    assert a[0].item() == 5.0


# ---- nonzero_static, dim_order, callables ------------------------------------------------------
@pytest.mark.parametrize("size,fill", [(5, -1), (2, 7), (0, -1), (3, 9)])
def test_nonzero_static_matches_torch(size, fill):
    same(*both(lambda lib: lib.nonzero_static(lib.tensor([[0, 1, 0], [2, 0, 3]]), size=size,
                                              fill_value=fill)))
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="'size' must be an non-negative integer"):
            lib.nonzero_static(lib.tensor([1]), size=-1)


def test_dim_order_output_nr_and_const_data_ptr_match_torch():
    def run(lib):
        x = lib.ones(2, 3, 4)
        nhwc = lib.ones(1, 3, 4, 4).to(memory_format=lib.channels_last)
        a = lib.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
        return (x.dim_order(), x.permute(2, 0, 1).dim_order(), nhwc.dim_order(),
                [t.output_nr for t in lib.linalg.eigh(a)], a.output_nr,
                x.const_data_ptr() == x.data_ptr())
    assert run(ember) == run(torch)


@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros(4, 1, 2).transpose(0, 2),          # equal strides: larger size outside
    lambda lib: lib.zeros(2, 1, 4).permute(0, 2, 1),         # size-1 dim of a contiguous layout
    lambda lib: lib.zeros(1, 3).expand(4, 3),                # stride 0
    lambda lib: lib.zeros(2, 1, 3).expand(2, 5, 3).transpose(0, 2),
    lambda lib: lib.zeros(1, 3, 1, 1).contiguous(memory_format=lib.channels_last),
    lambda lib: lib.zeros(6, 8)[::2, 1::3],
])
def test_dim_order_of_ambiguous_layouts_matches_torch(make):
    assert tuple(make(ember).dim_order()) == tuple(make(torch).dim_order())


def test_apply_map_map2_match_torch():
    def run(lib):
        t = lib.arange(4.0).reshape(2, 2)
        t.apply_(lambda v: v * 10 + 1)
        t.map_(lib.tensor([1.0, 2.0]), lambda a, b: a - b)
        t.map2_(lib.ones(2, 2), lib.tensor([[2.0], [3.0]]), lambda a, b, c: a * b * c)
        return t
    same(*both(run))
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Can't call apply_\\(\\) on Variable that "
                                               "requires grad"):
            lib.ones(2, requires_grad=True).apply_(lambda v: v)


# ---- DLPack -------------------------------------------------------------------------------------
def test_dlpack_shares_memory_with_numpy_and_torch_both_ways():
    e = ember.arange(4.0)
    n = np.from_dlpack(e)
    t = torch.from_dlpack(e)
    n[0] = 7.0
    assert e[0].item() == 7.0 and t[0].item() == 7.0
    src = torch.arange(3.0)
    back = ember.from_dlpack(src)
    src[1] = -1.0
    assert back.tolist() == [0.0, -1.0, 2.0]
    assert ember.from_dlpack(np.arange(2)).tolist() == [0, 1]
    assert e.__dlpack_device__() == (1, 0)
    with pytest.raises(RuntimeError, match="Can't export tensors that require gradient"):
        np.from_dlpack(ember.ones(2, requires_grad=True))


# ---- random draws -------------------------------------------------------------------------------
def test_binomial_and_poisson_draws_have_the_right_law_dtype_and_errors():
    ember.manual_seed(0)
    counts = ember.full((20000,), 10.0)
    draws = ember.binomial(counts, ember.full((20000,), 0.3))
    assert draws.dtype == ember.float32
    assert abs(draws.mean().item() - 3.0) < 0.05 and abs(draws.var().item() - 2.1) < 0.1
    assert ember.binomial(ember.tensor([0.0, 5.0]), ember.tensor([0.5, 1.0])).tolist() == \
        [0.0, 5.0]
    lam = ember.poisson(ember.full((20000,), 4.0, dtype=ember.float64))
    assert lam.dtype == ember.float64
    assert abs(lam.mean().item() - 4.0) < 0.06 and abs(lam.var().item() - 4.0) < 0.2
    assert ember.poisson(ember.zeros(3)).tolist() == [0.0, 0.0, 0.0]
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="binomial only supports floating-point dtypes for "
                                             "count"):
            lib.binomial(lib.tensor([10]), lib.tensor([0.5]))
    rates = ember.tensor([1.0, 2.0], requires_grad=True)
    drawn = ember.poisson(rates)
    drawn.sum().backward()
    assert rates.grad.tolist() == [0.0, 0.0]  # as PyTorch: sampling is not differentiable


# ---- constant_pad_nd, convolution ----------------------------------------------------------------
def test_constant_pad_nd_matches_torch():
    check(lambda x: (ember if isinstance(x, ember.Tensor) else torch).constant_pad_nd(
        x, (1, 2, -1, 0), 0.5), X)


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,transposed,out_pad,groups", [
    ((2, 3, 9), (4, 3, 3), [2], [1], [1], False, [0], 1),
    ((2, 4, 6, 6), (6, 2, 3, 3), [1, 1], [1, 1], [1, 1], False, [0, 0], 2),
    ((2, 3, 5, 5), (3, 4, 3, 3), [2, 2], [1, 1], [1, 1], True, [1, 1], 1),
    ((1, 2, 4, 4, 4), (3, 2, 2, 2, 2), [1, 1, 1], [0, 0, 0], [1, 1, 1], False, [0, 0, 0], 1),
])
def test_convolution_matches_torch(xs, ws, stride, padding, dilation, transposed, out_pad,
                                   groups):
    out_channels = ws[1] * groups if transposed else ws[0]

    def fn(x, w, b):
        lib = ember if isinstance(x, ember.Tensor) else torch
        return lib.convolution(x, w, b, stride, padding, dilation, transposed, out_pad, groups)
    check(fn, R.standard_normal(xs), R.standard_normal(ws), R.standard_normal(out_channels),
          second=False)


def test_utils_dlpack_capsules_both_ways_with_torch():
    from ember.utils.dlpack import from_dlpack, to_dlpack
    e = ember.arange(3.0)
    t = torch.utils.dlpack.from_dlpack(to_dlpack(e))
    t[0] = 9.0
    assert e.tolist() == [9.0, 1.0, 2.0]
    src = torch.arange(4.0)
    back = from_dlpack(torch.utils.dlpack.to_dlpack(src))
    src[3] = -1.0
    assert back.tolist() == [0.0, 1.0, 2.0, -1.0]
    assert from_dlpack(np.ones(2)).dtype == ember.float64
    with pytest.raises(TypeError, match="to_dlpack: expected a Tensor, got list"):
        to_dlpack([1.0])
