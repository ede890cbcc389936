"""Pooling against PyTorch: max/avg/adaptive pools (functional and layers)."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember import nn
from ember.ops import pool as P
from reference import check, close, rand


def same_call(name, *args, **kwargs):
    def fn(x):
        f = getattr(P, name) if isinstance(x, ember.Tensor) else getattr(TF, name)
        return f(x, *args, **kwargs)
    return fn


@pytest.mark.parametrize("args,kwargs", [
    ((2,), {}),
    ((3, 2, 1), {}),
    (((3, 2), (2, 1), (1, 1), (1, 2)), dict(ceil_mode=True)),
    ((3, 2), dict(ceil_mode=True, return_indices=True)),
    ((2, 1), dict(dilation=2, padding=1)),
])
def test_max_pool2d_matches_torch(args, kwargs):
    check(same_call("max_pool2d", *args, **kwargs), rand((2, 3, 7, 6)))


def test_max_pool2d_unbatched_and_indices():
    out, idx = check(same_call("max_pool2d", 2, return_indices=True), rand((3, 6, 4)))
    assert idx.dtype == ember.int64 and idx.shape == (3, 3, 2)


def test_max_pool2d_gradient_goes_to_first_maximum():
    a = np.zeros((1, 1, 4, 4))
    a[0, 0, 1, 1] = a[0, 0, 0, 1] = 1.0  # a tie inside the first window
    check(same_call("max_pool2d", 2), a)
    check(same_call("max_pool2d", 3, 1), a)  # overlapping windows share the maximum


def test_max_pool2d_propagates_nan():
    a = rand((1, 1, 4, 4))
    a[0, 0, 2, 3] = a[0, 0, 3, 2] = a[0, 0, 0, 0] = np.nan
    y, idx = P.max_pool2d(ember.tensor(a), 2, return_indices=True)
    yt, idx_t = TF.max_pool2d(torch.tensor(a), 2, return_indices=True)
    np.testing.assert_array_equal(np.isnan(y.numpy()), np.isnan(yt.numpy()))
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())  # the last NaN, as PyTorch


@pytest.mark.parametrize("args,kwargs", [
    ((3,), {}), ((3, 2, 1), dict(ceil_mode=True, return_indices=True)), ((2, 1), dict(dilation=3)),
])
def test_max_pool1d_matches_torch(args, kwargs):
    check(same_call("max_pool1d", *args, **kwargs), rand((2, 3, 9)))
    check(same_call("max_pool1d", *args, **kwargs), rand((3, 9)))


@pytest.mark.parametrize("args,kwargs", [
    ((2,), {}),
    ((3, 2, 1), {}),
    ((3, 2, 1), dict(count_include_pad=False)),
    ((3, 2, 1), dict(ceil_mode=True)),
    ((3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
    (((3, 2), (2, 1), (1, 0)), dict(divisor_override=4)),
])
def test_avg_pool2d_matches_torch(args, kwargs):
    check(same_call("avg_pool2d", *args, **kwargs), rand((2, 3, 7, 6)))


def test_avg_pool1d_matches_torch():
    check(same_call("avg_pool1d", 3, 2, 1, ceil_mode=True, count_include_pad=False),
          rand((2, 3, 8)))
    check(same_call("avg_pool1d", 2), rand((3, 8)))


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (4, 5), (7, 6), (None, 4), 2])
def test_adaptive_pools_2d_match_torch(size):
    check(same_call("adaptive_avg_pool2d", size), rand((2, 3, 7, 6)))
    check(same_call("adaptive_max_pool2d", size), rand((2, 3, 7, 6)))


def test_adaptive_pools_1d_match_torch():
    check(same_call("adaptive_avg_pool1d", 3), rand((2, 3, 8)))
    check(same_call("adaptive_avg_pool1d", 5), rand((3, 7)))
    check(same_call("adaptive_max_pool1d", 3, return_indices=True), rand((2, 3, 8)))


def test_adaptive_max_pool2d_indices_match_torch():
    a = rand((2, 3, 7, 5))
    _, idx = P.adaptive_max_pool2d(ember.tensor(a), (3, 4), return_indices=True)
    _, idx_t = TF.adaptive_max_pool2d(torch.tensor(a), (3, 4), return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())


@pytest.mark.parametrize("call,message", [
    (lambda: P.max_pool2d(ember.randn(1, 1, 5, 5), 3, padding=2), "pad should be at most half"),
    (lambda: P.max_pool2d(ember.randn(1, 1, 2, 2), 3), "output size is too small"),
    (lambda: P.max_pool2d(ember.randn(5, 5), 2), "expected a 3-D (unbatched) or 4-D"),
    (lambda: P.avg_pool2d(ember.randn(1, 1, 4, 4), 2, divisor_override=0), "divisor must be"),
    (lambda: P.max_pool1d(ember.randn(1, 1, 2), 3), "max_pool1d: given input size"),
    (lambda: P.adaptive_avg_pool2d(ember.randn(1, 1, 4, 4), (1, 2, 3)), "sequence of 2"),
])
def test_pool_errors(call, message):
    with pytest.raises((RuntimeError, ValueError), match=re.escape(message)):
        call()


# ---- layers ---------------------------------------------------------------------


@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 7, 6)),
    ("MaxPool2d", ((2, 3),), dict(dilation=(1, 2)), (2, 3, 7, 8)),
    ("MaxPool1d", (2,), {}, (2, 3, 7)),
    ("AvgPool2d", (3, 2, 1), dict(count_include_pad=False), (2, 3, 7, 6)),
    ("AvgPool2d", ((2, 3),), dict(divisor_override=2), (2, 3, 7, 6)),
    ("AvgPool1d", (3,), dict(padding=1, ceil_mode=True), (2, 3, 7)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 7, 6)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 7)),
    ("AdaptiveMaxPool2d", (3,), {}, (2, 3, 7, 6)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 7)),
])
def test_pool_layers_match_torch(name, args, kwargs, shape):
    ours, ref = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(ref)
    assert ours.state_dict() == {} and not list(ours.parameters())
    a = rand(shape)
    x, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = ours(x), ref(xt)
    close(y, yt)
    up = rand(tuple(yt.shape), 3)
    y.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    close(x.grad, xt.grad, what="input grad")


def test_max_pool_layer_return_indices():
    a = rand((2, 3, 6, 6))
    y, idx = nn.MaxPool2d(2, return_indices=True)(ember.tensor(a))
    yt, idx_t = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(a))
    close(y, yt)
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())


# ---- max pooling's kernel-position codes: tie rule, padding, NaN, geometry ----------


def _tied(shape, seed=0):
    """Small integers (many ties in every window) with some -inf."""
    r = np.random.default_rng(seed)
    a = r.integers(-2, 2, shape).astype(np.float64)
    a[r.random(shape) < 0.15] = -np.inf
    return a


def _compare_max_pool(name, a, *args, **kwargs):
    """Values, indices and the input gradient (the tie rule decides it) against torch."""
    x = ember.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    y, idx = getattr(P, name)(x, *args, return_indices=True, **kwargs)
    yt, idx_t = getattr(TF, name)(xt, *args, return_indices=True, **kwargs)
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())
    up = rand(tuple(yt.shape), 2)
    y.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    # Overlapping windows sum in another order: equal up to rounding.
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("args,kwargs", [
    ((2,), {}),
    ((3, 2, 1), {}),
    ((2, 2, 1), {}),  # every border window half padding
    ((3, 3, 1), dict(ceil_mode=True)),
    ((3, 1, 1), {}),  # overlapping windows
    ((2, 1), dict(dilation=2, padding=1)),
    (((3, 2), (2, 3), (1, 1)), dict(ceil_mode=True)),
    ((2, 3), dict(dilation=2, ceil_mode=True)),
])
def test_max_pool2d_ties_and_infinities_match_torch(args, kwargs):
    _compare_max_pool("max_pool2d", _tied((2, 3, 7, 8)), *args, **kwargs)


def test_max_pool2d_all_infinite_window_picks_first_real_element():
    # The padding is never the maximum, even when every real element is -inf.
    a = np.full((1, 2, 5, 5), -np.inf)
    for args in ((2, 2, 1), (3, 2, 1), (3, 1, 1)):
        _compare_max_pool("max_pool2d", a, *args)
        _compare_max_pool("max_pool2d", a, *args, ceil_mode=True)


@pytest.mark.parametrize("args", [(2,), (3, 1, 1), (3, 2, 1)])
def test_max_pool2d_nan_windows_match_torch(args):
    a = _tied((2, 2, 6, 6), seed=3)
    r = np.random.default_rng(4)
    a[r.random(a.shape) < 0.2] = np.nan
    a[0, 0, :2, :2] = np.nan  # an all-NaN window
    x, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, idx = P.max_pool2d(x, *args, return_indices=True)
    yt, idx_t = TF.max_pool2d(xt, *args, return_indices=True)
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())  # NaN == NaN here
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("args,kwargs", [
    ((2,), {}), ((3, 2, 1), dict(ceil_mode=True)), ((3, 1, 1), {}), ((2, 1), dict(dilation=3)),
])
def test_max_pool1d_ties_match_torch(args, kwargs):
    _compare_max_pool("max_pool1d", _tied((2, 3, 11)), *args, **kwargs)


@pytest.mark.parametrize("args,kwargs", [
    ((2,), {}), ((3, 1, 1), {}), ((3, 2, 1), dict(ceil_mode=True)), ((2, 1), dict(dilation=2)),
])
def test_max_pool2d_second_derivatives_with_ties(args, kwargs):
    # Double backward runs the scatter / gather pair on the same codes.
    a = rand((2, 2, 6, 7))
    a[:, :, ::2] = a[:, :, 1::2][:, :, :3]  # rows repeated: tied maxima
    check(same_call("max_pool2d", *args, **kwargs), a)


def test_max_pool2d_integer_input_and_large_kernel():
    a = np.random.default_rng(0).integers(-3, 3, (2, 3, 6, 6))
    y, idx = P.max_pool2d(ember.tensor(a), 2, 1, return_indices=True)
    yt, idx_t = TF.max_pool2d(torch.tensor(a), 2, 1, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())
    # 17 * 17 kernel positions: more than a byte of codes.
    _compare_max_pool("max_pool2d", _tied((1, 2, 19, 18)), 17, 1)


@pytest.mark.parametrize("args", [(2,), (3, 1, 1)])
def test_max_pool2d_infinite_gradient_stays_at_the_maximum(args):
    # An inf gradient must not become NaN (inf * 0) at the window's other elements.
    a = rand((1, 2, 6, 6))
    x, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = P.max_pool2d(x, *args), TF.max_pool2d(xt, *args)
    up = rand(tuple(yt.shape), 1)
    up[0, 0, 0, 0], up[0, 1, 1, 1] = np.inf, -np.inf
    y.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
