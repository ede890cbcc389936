"""Convolutions against PyTorch: conv1d/2d, conv_transpose1d/2d and their layers."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember import nn
from ember.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from reference import check, close, rand

OURS = {"conv1d": conv1d, "conv2d": conv2d, "conv_transpose1d": conv_transpose1d,
        "conv_transpose2d": conv_transpose2d}


def same_call(name, **kwargs):
    """fn(x, w, b) calling our op on Ember tensors and torch's on torch tensors."""
    def fn(x, w, b=None):
        f = OURS[name] if isinstance(x, ember.Tensor) else getattr(TF, name)
        return f(x, w, b, **kwargs)
    return fn


CONV2D = [  # (input shape, weight shape, kwargs)
    ((2, 3, 6, 5), (4, 3, 3, 3), {}),
    ((1, 2, 7, 7), (3, 2, 3, 2), dict(stride=2, padding=1)),
    ((2, 4, 6, 7), (6, 2, 2, 3), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)),
    ((2, 4, 5, 5), (4, 1, 3, 3), dict(padding=1, groups=4)),  # depthwise
    ((2, 3, 6, 5), (2, 3, 4, 3), dict(padding="same")),  # even kernel: asymmetric padding
    ((1, 3, 7, 6), (2, 3, 3, 2), dict(padding="same", dilation=2)),
    ((2, 3, 5, 6), (2, 3, 2, 2), dict(padding="valid", stride=3)),
    ((6, 5, 4), (4, 3, 3, 3), dict(padding=1, groups=2)),  # unbatched
    # stride 1 runs on full-row columns: wide dilated kernels reach past a row's end
    ((2, 3, 7, 9), (4, 3, 2, 5), dict(padding=(1, 3), dilation=(1, 2))),
    ((2, 3, 4, 5), (5, 3, 1, 1), {}),  # 1x1: no padding, nothing past the row
    # wide columns (conv._pitch): stride 1 on rows at least 8x the kernel's overhang
    ((2, 3, 6, 20), (4, 3, 3, 3), dict(padding=1)),
    ((2, 4, 5, 24), (6, 2, 3, 3), dict(padding=(0, 1), groups=2)),
    ((1, 2, 7, 40), (3, 2, 3, 3), dict(padding=2, dilation=2)),
    ((2, 3, 5, 17), (2, 3, 2, 3), dict(padding="same")),  # asymmetric padding
]


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@pytest.mark.parametrize("xs,ws,kwargs", CONV2D)
def test_conv2d_matches_torch(xs, ws, kwargs):
    check(same_call("conv2d", **kwargs), rand(xs), rand(ws, 1), rand((ws[0],), 2))


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@pytest.mark.parametrize("xs,ws,kwargs", CONV2D)
def test_conv2d_first_order_gradients_match_torch(xs, ws, kwargs):
    # Without create_graph, backward computes from arrays (a separate code path).
    args = rand(xs), rand(ws, 1), rand((ws[0],), 2)
    check(same_call("conv2d", **kwargs), *args, second=False)
    for only in ([1, 2], [1], [2], [0, 2]):  # some of input, weight, bias fixed
        check(same_call("conv2d", **kwargs), *args, second=False, grad_inputs=only)
    check(same_call("conv2d", **kwargs), *args[:2], second=False)  # no bias


def test_conv2d_without_bias_matches_torch():
    check(same_call("conv2d", stride=2), rand((2, 3, 6, 6)), rand((4, 3, 3, 3), 1))


@pytest.mark.parametrize("xs,ws,kwargs", [
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 4, 10), (6, 2, 4), dict(stride=2, padding=2, dilation=2, groups=2)),
    ((2, 3, 8), (2, 3, 4), dict(padding="same")),
    ((3, 7), (2, 3, 3), dict(padding=(1,))),  # unbatched
    ((2, 3, 40), (4, 3, 3), dict(padding=1)),  # wide columns
])
def test_conv1d_matches_torch(xs, ws, kwargs):
    check(same_call("conv1d", **kwargs), rand(xs), rand(ws, 1), rand((ws[0],), 2))


@pytest.mark.parametrize("xs,ws,kwargs", [
    ((2, 3, 4, 5), (3, 2, 3, 3), {}),
    ((1, 4, 3, 4), (4, 3, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                      groups=2)),
    ((2, 2, 3, 3), (2, 3, 2, 3), dict(stride=2, dilation=(2, 1), output_padding=1)),
    ((3, 4, 4), (3, 2, 3, 3), dict(padding=1)),  # unbatched
    ((2, 4, 5, 20), (4, 3, 3, 3), dict(padding=1)),  # wide columns
    ((2, 2, 4, 48), (2, 3, 3, 3), dict(dilation=2, output_padding=1)),  # wide, output padding
])
def test_conv_transpose2d_matches_torch(xs, ws, kwargs):
    c_out = ws[1] * kwargs.get("groups", 1)
    check(same_call("conv_transpose2d", **kwargs), rand(xs), rand(ws, 1), rand((c_out,), 2))


def test_conv_transpose1d_matches_torch():
    check(same_call("conv_transpose1d", stride=2, padding=1, output_padding=1),
          rand((2, 3, 5)), rand((3, 2, 3), 1), rand((2,), 2))


def test_wide_columns_only_for_stride_1_with_small_overhang():
    from ember.ops.conv import Geometry, _pitch
    one = Geometry((1, 1), ((1, 1), (1, 1)), (1, 1))
    assert _pitch(18, 16, one) == 18  # 3x3 'same' on 16 wide: rows of the padded input
    assert _pitch(6, 4, one) == 4  # overhang 2 on 4: too much extra GEMM work
    assert _pitch(130, 128, one) == 128  # rows long enough as they are
    assert _pitch(18, 8, Geometry((2, 2), ((1, 1), (1, 1)), (1, 1))) == 8  # strided


def test_conv2d_float32_stays_float32():
    x = ember.randn(2, 3, 8, 8, requires_grad=True)
    w = ember.randn(4, 3, 3, 3, requires_grad=True)
    y = conv2d(x, w, padding=1)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == ember.float32


@pytest.mark.parametrize("call,message", [
    (lambda: conv2d(ember.randn(1, 4, 5, 5), ember.randn(2, 3, 3, 3)),
     "expected input to have 3 channels, but got 4"),
    (lambda: conv2d(ember.randn(1, 3, 2, 2), ember.randn(2, 3, 3, 3)),
     "kernel size can't be greater than actual input size"),
    (lambda: conv2d(ember.randn(1, 3, 5, 5), ember.randn(2, 3, 3, 3), padding="full"),
     "invalid padding string 'full'"),
    (lambda: conv2d(ember.randn(1, 3, 5, 5), ember.randn(3, 1, 3, 3), groups=2),
     "divisible by 2 at dimension 0"),
    (lambda: conv2d(ember.randn(1, 3, 5, 5), ember.randn(2, 3, 3, 3), stride=2, padding="same"),
     "not supported for strided"),
    (lambda: conv2d(ember.randn(1, 3, 5, 5), ember.randn(2, 3, 3, 3), ember.randn(3)),
     "expected bias of size [2]"),
    (lambda: conv2d(ember.randn(3, 5, 5), ember.randn(2, 3, 3)), "4-D weight"),
    (lambda: conv1d(ember.randn(1, 2, 5), ember.randn(2, 3, 3)),
     "conv1d: given groups=1"),
    (lambda: conv_transpose2d(ember.randn(1, 3, 4, 4), ember.randn(3, 2, 3, 3), stride=2,
                              output_padding=2), "output padding must be smaller"),
])
def test_conv_errors(call, message):
    with pytest.raises((RuntimeError, ValueError), match=_escape(message)):
        call()


def _escape(text):
    import re
    return re.escape(text)


# ---- layers ---------------------------------------------------------------------


def _layer_pair(ours_cls, torch_cls, *args, **kwargs):
    """Our layer in float64 carrying the float64 torch layer's weights."""
    torch.manual_seed(0)
    ref = torch_cls(*args, **kwargs).double()
    ours = ours_cls(*args, **kwargs, dtype=ember.float64)
    theirs = {k: v.detach().numpy() for k, v in ref.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: v.shape for k, v in theirs.items()}
    ours.load_state_dict({k: ember.tensor(v) for k, v in theirs.items()})
    return ours, ref


def _compare_layer(ours, ref, x_shape, **forward_kwargs):
    a = rand(x_shape)
    x, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = ours(x, **forward_kwargs), ref(xt, **forward_kwargs)
    close(y, yt)
    up = rand(tuple(yt.shape), 5)
    y.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    close(x.grad, xt.grad, what="input grad")
    for (name, p), (_, pt) in zip(ours.named_parameters(), ref.named_parameters()):
        close(p.grad, pt.grad, what=f"{name} grad")
    assert repr(ours) == repr(ref)


@pytest.mark.parametrize("args,kwargs,x_shape", [
    ((3, 4, 3), {}, (2, 3, 6, 6)),
    ((4, 6, (3, 2)), dict(stride=2, padding=1, groups=2, bias=False), (2, 4, 7, 6)),
    ((3, 3, 4), dict(padding="same", dilation=2), (1, 3, 8, 7)),
    ((2, 4, 3), dict(padding=2, padding_mode="reflect"), (2, 2, 5, 6)),
    ((2, 4, 2), dict(padding=1, padding_mode="circular", stride=2), (2, 2, 5, 6)),
    ((2, 4, 4), dict(padding="same", padding_mode="replicate"), (2, 2, 5, 6)),
])
def test_conv2d_layer_matches_torch(args, kwargs, x_shape):
    _compare_layer(*_layer_pair(nn.Conv2d, torch.nn.Conv2d, *args, **kwargs), x_shape)


def test_conv1d_layer_matches_torch():
    _compare_layer(*_layer_pair(nn.Conv1d, torch.nn.Conv1d, 3, 4, 3, stride=2, padding=1),
                   (2, 3, 9))
    _compare_layer(*_layer_pair(nn.Conv1d, torch.nn.Conv1d, 2, 2, 3, padding="same",
                                padding_mode="reflect", groups=2), (2, 2, 6))


@pytest.mark.parametrize("cls,torch_cls,args,kwargs,x_shape", [
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (4, 6, 3),
     dict(stride=2, padding=1, output_padding=1, groups=2), (2, 4, 3, 4)),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (3, 2, (2, 3)), dict(bias=False, dilation=2),
     (1, 3, 3, 3)),
    (nn.ConvTranspose1d, torch.nn.ConvTranspose1d, (3, 2, 3), dict(stride=3), (2, 3, 4)),
])
def test_conv_transpose_layer_matches_torch(cls, torch_cls, args, kwargs, x_shape):
    _compare_layer(*_layer_pair(cls, torch_cls, *args, **kwargs), x_shape)


def test_conv_transpose2d_output_size_picks_output_padding():
    ours, ref = _layer_pair(nn.ConvTranspose2d, torch.nn.ConvTranspose2d, 2, 3, 3, stride=2)
    _compare_layer(ours, ref, (1, 2, 4, 4), output_size=[10, 9])
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        ours(ember.randn(1, 2, 4, 4, dtype=ember.float64), output_size=(12, 9))


def test_conv2d_default_init_follows_torch_bounds():
    ember.manual_seed(0)
    layer = nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)  # kaiming_uniform_(a=sqrt(5)) gives 1 / sqrt(fan_in) too
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(b).max() <= bound
    assert layer.weight.requires_grad and layer.weight.dtype == ember.float32
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_conv_layer_constructor_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="invalid padding string"):
        nn.Conv2d(4, 3, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(4, 3, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="only \"zeros\" padding mode"):
        nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect")
