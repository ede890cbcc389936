"""interpolate and Upsample against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember import nn
from ember.ops.interpolate import interpolate
from reference import check, close, rand


def same_call(**kwargs):
    def fn(x):
        f = interpolate if isinstance(x, ember.Tensor) else TF.interpolate
        return f(x, **kwargs)
    return fn


@pytest.mark.parametrize("kwargs", [
    dict(size=(8, 3)),
    dict(scale_factor=2),
    dict(scale_factor=1.7),
    dict(scale_factor=(0.6, 2.3)),
    dict(scale_factor=(0.6, 2.3), recompute_scale_factor=True),
    dict(size=(3, 11), mode="nearest-exact"),
    dict(size=(9, 4), mode="bilinear", align_corners=True),
    dict(size=(9, 4), mode="bilinear", align_corners=False),
    dict(scale_factor=1.3, mode="bilinear"),
    dict(scale_factor=0.5, mode="bilinear", align_corners=True),
    dict(size=(1, 1), mode="bilinear", align_corners=True),
    dict(size=(3, 4), mode="area"),
    dict(size=(9, 4), mode="bicubic"),
    dict(size=(9, 4), mode="bicubic", align_corners=True),
    dict(scale_factor=1.7, mode="bicubic"),
    dict(scale_factor=(0.45, 2.5), mode="bicubic", align_corners=True),
    dict(size=(1, 1), mode="bicubic", align_corners=True),
    dict(size=(2, 2), mode="bicubic"),
])
def test_interpolate_2d_matches_torch(kwargs):
    check(same_call(**kwargs), rand((2, 3, 5, 7)))


@pytest.mark.parametrize("kwargs", [
    dict(size=11, mode="linear"), dict(scale_factor=0.7, mode="linear", align_corners=True),
    dict(scale_factor=3.3), dict(size=4, mode="area"),
])
def test_interpolate_1d_matches_torch(kwargs):
    check(same_call(**kwargs), rand((2, 3, 5)))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kwargs", [
    dict(size=(5, 7)), dict(size=(4, 11)), dict(size=(20, 9)), dict(size=(1, 2)),
    dict(scale_factor=0.37), dict(scale_factor=(0.5, 1.6), align_corners=True),
    dict(size=(6, 6), align_corners=True),
])
def test_interpolate_antialias_matches_torch(mode, kwargs):
    check(same_call(mode=mode, antialias=True, **kwargs), rand((2, 2, 13, 17)))


@pytest.mark.parametrize("kwargs", [
    dict(size=(7, 3, 9), mode="trilinear"),
    dict(scale_factor=1.5, mode="trilinear", align_corners=True),
    dict(scale_factor=(0.6, 1.0, 2.2), mode="trilinear"),
    dict(size=(7, 3, 9)), dict(scale_factor=2, mode="nearest-exact"),
    dict(size=(2, 3, 4), mode="area"),
])
def test_interpolate_3d_matches_torch(kwargs):
    check(same_call(**kwargs), rand((2, 3, 4, 5, 6)))


@pytest.mark.parametrize("kwargs", [
    dict(size=(100, 21)), dict(scale_factor=1.37), dict(scale_factor=0.29),
    dict(size=(64, 30), mode="bilinear"), dict(size=(64, 30), mode="bilinear", align_corners=True),
    dict(size=(64, 30), mode="bicubic"), dict(scale_factor=0.29, mode="bicubic"),
])
def test_interpolate_float32_index_rules_match_torch(kwargs):
    # float32 inputs of awkward sizes: the float32 index arithmetic must agree exactly.
    a = np.random.default_rng(0).standard_normal((1, 2, 37, 53)).astype(np.float32)
    y, yt = interpolate(ember.tensor(a), **kwargs), TF.interpolate(torch.tensor(a), **kwargs)
    assert y.dtype == ember.float32
    close(y, yt, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs,message", [
    (dict(), "exactly one of size and scale_factor"),
    (dict(size=4, scale_factor=2), "exactly one of size and scale_factor"),
    (dict(size=4, mode="cubic"), "mode 'cubic' is not supported"),
    (dict(size=4, mode="linear"), "expects a 3-D input"),
    (dict(size=4, mode="trilinear"), "expects a 5-D input"),
    (dict(size=4, align_corners=True), "align_corners is only for the linear and cubic modes"),
    (dict(size=4, antialias=True), "antialias=True is for the 'bilinear' and 'bicubic' modes"),
    (dict(size=(4, 4, 4)), "expected size with 2 elements"),
])
def test_interpolate_errors(kwargs, message):
    with pytest.raises((ValueError, NotImplementedError), match=message):
        interpolate(ember.randn(1, 1, 3, 3), **kwargs)


@pytest.mark.parametrize("kwargs", [
    dict(scale_factor=2), dict(size=(5, 4), mode="bilinear", align_corners=True),
    dict(scale_factor=(1.5, 2.0), mode="bilinear"),
])
def test_upsample_matches_torch(kwargs):
    ours, ref = nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
    assert repr(ours) == repr(ref)
    a = rand((2, 3, 3, 4))
    x, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = ours(x), ref(xt)
    close(y, yt)
    y.sum().backward()
    yt.sum().backward()
    close(x.grad, xt.grad, what="input grad")
