"""3-D convolution and pooling against PyTorch: values, gradients, second derivatives,
layers (names, initial bounds, repr) and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF
from reference import check, close, rand


def lib(x):
    return EF if isinstance(x, ember.Tensor) else TF


CONVS = [dict(), dict(stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1)),
         dict(padding="same"), dict(groups=2, padding=1), dict(padding="valid", stride=2)]


@pytest.mark.parametrize("kwargs", CONVS)
@pytest.mark.parametrize("batched", [True, False])
def test_conv3d_matches_torch(kwargs, batched):
    groups = kwargs.get("groups", 1)
    x = rand(((2,) if batched else ()) + (4, 5, 4, 5), 0)
    check(lambda x, w, b: lib(x).conv3d(x, w, b, **kwargs), x,
          rand((6, 4 // groups, 2, 3, 2), 1), rand((6,), 2))


POOLS = [dict(kernel_size=2), dict(kernel_size=(3, 2, 2), stride=(2, 1, 2), padding=(1, 1, 0),
                                   ceil_mode=True), dict(kernel_size=2, stride=1, dilation=2)]


@pytest.mark.parametrize("kwargs", POOLS)
def test_max_pool3d_matches_torch_with_indices(kwargs):
    check(lambda x: lib(x).max_pool3d(x, **kwargs), rand((2, 3, 5, 6, 7), 0))
    x = rand((2, 3, 5, 6, 7), 1)
    e_val, e_idx = EF.max_pool3d(ember.tensor(x), return_indices=True, **kwargs)
    t_val, t_idx = TF.max_pool3d(torch.tensor(x), return_indices=True, **kwargs)
    close(e_val, t_val)
    np.testing.assert_array_equal(e_idx.numpy(), t_idx.numpy())


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3, 3), padding=1, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3),
])
def test_avg_pool3d_matches_torch(kwargs):
    check(lambda x: lib(x).avg_pool3d(x, **kwargs), rand((2, 3, 5, 6, 7), 0))


@pytest.mark.parametrize("size", [2, (3, None, 4), (5, 6, 7), 1])
def test_adaptive_avg_pool3d_matches_torch(size):
    check(lambda x: lib(x).adaptive_avg_pool3d(x, size), rand((2, 3, 5, 6, 7), 0))
    check(lambda x: lib(x).adaptive_avg_pool3d(x, size), rand((3, 5, 6, 7), 1))


def test_3d_layers_match_torch():
    torch.manual_seed(0)
    ref = torch.nn.Conv3d(4, 6, 3, padding=1, groups=2, padding_mode="replicate").double()
    ours = ember.nn.Conv3d(4, 6, 3, padding=1, groups=2, padding_mode="replicate").double()
    assert repr(ours) == repr(ref) and list(ours.state_dict()) == list(ref.state_dict())
    bound = 1 / np.sqrt(2 * 27)
    assert np.abs(ours.weight.detach().numpy()).max() <= bound
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = rand((2, 4, 4, 5, 6), 0)
    close(ours(ember.tensor(x)), ref(torch.tensor(x)))
    for name, args in (("MaxPool3d", (2,)), ("AvgPool3d", (2,)), ("AdaptiveAvgPool3d", (3,))):
        o, r = getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(o) == repr(r)
        close(o(ember.tensor(x)), r(torch.tensor(x)))


def test_3d_errors():
    with pytest.raises(RuntimeError, match="5-D weight"):
        EF.conv3d(ember.zeros(1, 2, 3, 3, 3), ember.zeros(2, 2, 3, 3))
    with pytest.raises(RuntimeError, match="channels"):
        EF.conv3d(ember.zeros(1, 3, 3, 3, 3), ember.zeros(2, 2, 1, 1, 1))
    with pytest.raises(ValueError, match="not supported for strided"):
        EF.conv3d(ember.zeros(1, 2, 3, 3, 3), ember.zeros(2, 2, 1, 1, 1), padding="same",
                  stride=2)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        EF.max_pool3d(ember.zeros(1, 1, 4, 4, 4), 2, padding=2)


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, output_padding=1),
                                    dict(stride=(1, 2, 2), dilation=(2, 1, 1), groups=2),
                                    dict(groups=4, padding=(1, 0, 0))])
@pytest.mark.parametrize("batched", [True, False])
def test_conv_transpose3d_matches_torch(kwargs, batched):
    groups = kwargs.get("groups", 1)
    x = rand(((2,) if batched else ()) + (4, 3, 4, 2), 0)
    check(lambda x, w, b: lib(x).conv_transpose3d(x, w, b, **kwargs), x,
          rand((4, 2, 2, 3, 2), 1), rand((2 * groups,), 2))


def test_conv_transpose3d_layer_matches_torch():
    torch.manual_seed(0)
    ref = torch.nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, groups=2).double()
    ours = ember.nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, groups=2).double()
    assert repr(ours) == repr(ref)
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = rand((2, 4, 3, 4, 3), 0)
    close(ours(ember.tensor(x), output_size=(6, 8, 6)),
          ref(torch.tensor(x), output_size=(6, 8, 6)))
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        EF.conv_transpose3d(ember.zeros(1, 2, 2, 2, 2), ember.zeros(2, 2, 1, 1, 1),
                            output_padding=1)


@pytest.mark.parametrize("size", [2, (3, None, 4), (5, 6, 7), 1])
def test_adaptive_max_pool3d_matches_torch_with_indices(size):
    check(lambda x: lib(x).adaptive_max_pool3d(x, size), rand((2, 3, 5, 6, 7), 0))
    x = rand((3, 5, 6, 7), 1)
    e_val, e_idx = EF.adaptive_max_pool3d(ember.tensor(x), size, return_indices=True)
    t_val, t_idx = TF.adaptive_max_pool3d(torch.tensor(x), size, return_indices=True)
    close(e_val, t_val)
    np.testing.assert_array_equal(e_idx.numpy(), t_idx.numpy())
    ours, ref = ember.nn.AdaptiveMaxPool3d(size), torch.nn.AdaptiveMaxPool3d(size)
    assert repr(ours) == repr(ref)


def test_lp_pool3d_and_max_unpool3d_match_torch():
    check(lambda x: lib(x).lp_pool3d(x, 2.0, 2), rand((2, 3, 4, 4, 5), 0, 0.1, 2))
    close(ember.nn.LPPool3d(3.0, (2, 2, 1))(ember.tensor(rand((1, 2, 4, 4, 3), 1, 0.1, 2))),
          torch.nn.LPPool3d(3.0, (2, 2, 1))(torch.tensor(rand((1, 2, 4, 4, 3), 1, 0.1, 2))))
    values, indices = TF.max_pool3d(torch.tensor(rand((2, 3, 4, 4, 6), 2)), 2,
                                    return_indices=True)
    check(lambda v: EF.max_unpool3d(v, ember.tensor(indices.numpy()), 2)
          if isinstance(v, ember.Tensor) else TF.max_unpool3d(v, indices, 2), values.numpy())
    assert repr(ember.nn.MaxUnpool3d(2)) == repr(torch.nn.MaxUnpool3d(2))


@pytest.mark.parametrize("shape,kernel,size", [((2, 3, 7, 7), 3, 3), ((1, 2, 9, 8), (2, 3), (5, 4)),
                                                ((3, 8, 8), 2, (4, 7))])
def test_fractional_max_pool2d_matches_torch(shape, kernel, size):
    samples = np.random.default_rng(1).random(((shape[0] if len(shape) == 4 else 1),
                                               shape[-3], 2))
    check(lambda x, s: lib(x).fractional_max_pool2d(x, kernel, output_size=size,
                                                     _random_samples=s),
          rand(shape, 0), samples, grad_inputs=[0])
    e_val, e_idx = EF.fractional_max_pool2d(ember.tensor(rand(shape, 2)), kernel, size,
                                            return_indices=True,
                                            _random_samples=ember.tensor(samples))
    t_val, t_idx = TF.fractional_max_pool2d(torch.tensor(rand(shape, 2)), kernel, size,
                                            return_indices=True,
                                            _random_samples=torch.tensor(samples))
    close(e_val, t_val)
    np.testing.assert_array_equal(e_idx.numpy(), t_idx.numpy())


def test_fractional_max_pool2d_layer_and_errors():
    ember.manual_seed(0)
    pool = ember.nn.FractionalMaxPool2d(2, output_ratio=0.5)
    assert pool(ember.zeros(2, 3, 8, 10)).shape == (2, 3, 4, 5)
    with pytest.raises(ValueError, match="either an output size, or a pooling ratio"):
        ember.nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="does not fit"):
        EF.fractional_max_pool2d(ember.zeros(1, 1, 4, 4), 3, output_size=3)


def test_fractional_max_pool3d_matches_torch():
    samples = np.random.default_rng(1).random((2, 3, 3))
    check(lambda x, s: lib(x).fractional_max_pool3d(x, (2, 3, 2), output_size=(4, 5, 6),
                                                     _random_samples=s),
          rand((2, 3, 7, 8, 9), 0), samples, grad_inputs=[0])
    e_val, e_idx = EF.fractional_max_pool3d(ember.tensor(rand((2, 3, 7, 8, 9), 2)), 2,
                                            (3, 4, 5), return_indices=True,
                                            _random_samples=ember.tensor(samples))
    t_val, t_idx = TF.fractional_max_pool3d(torch.tensor(rand((2, 3, 7, 8, 9), 2)), 2,
                                            (3, 4, 5), return_indices=True,
                                            _random_samples=torch.tensor(samples))
    close(e_val, t_val)
    np.testing.assert_array_equal(e_idx.numpy(), t_idx.numpy())
    assert ember.nn.FractionalMaxPool3d(2, output_ratio=0.5)(ember.zeros(1, 2, 8, 8, 6)).shape \
        == (1, 2, 4, 4, 3)
