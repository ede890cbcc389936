"""Padding, shuffling, upsampling and channel/alpha dropout layers against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF
from reference import check, close, rand

PADS = {1: (1, 2), 2: (1, 0, 2, 1), 3: (1, 1, 0, 2, 1, 0)}


@pytest.mark.parametrize("kind", ["Zero", "Constant", "Reflection", "Replication", "Circular"])
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("batched", [True, False])
def test_padding_layers_match_torch(kind, dims, batched):
    name = f"{kind}Pad{dims}d"
    args = (PADS[dims],) + ((2.5,) if kind == "Constant" else ())
    ours, ref = getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args)
    shape = ((2,) if batched else ()) + (3,) + (4,) * dims
    check(lambda x: (ours if isinstance(x, ember.Tensor) else ref)(x), rand(shape, 0))
    assert repr(ours) == repr(ref)


def test_padding_layer_takes_one_int_and_checks_its_input():
    close(ember.nn.ReplicationPad2d(2)(ember.tensor(rand((1, 2, 3, 3), 0))),
          torch.nn.ReplicationPad2d(2)(torch.tensor(rand((1, 2, 3, 3), 0))))
    with pytest.raises(ValueError, match="expected an int or 4 padding amounts"):
        ember.nn.ZeroPad2d((1, 2, 3))
    with pytest.raises(ValueError, match="expected 3D or 4D input"):
        ember.nn.ReflectionPad2d(1)(ember.zeros(3, 3))
    # Constant padding takes any input with enough dimensions, as PyTorch's.
    assert ember.nn.ZeroPad2d(1)(ember.zeros(4, 5)).shape == (6, 7)
    assert ember.nn.ConstantPad1d(1, 2.0)(ember.zeros(2, 3, 4, 5)).shape == (2, 3, 4, 7)


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 5), 2), ((18, 2, 2), 3), ((2, 1, 4, 3, 3), 2)])
def test_pixel_shuffle_and_unshuffle_match_torch(shape, r):
    check(lambda x: (EF if isinstance(x, ember.Tensor) else TF).pixel_shuffle(x, r),
          rand(shape, 0))
    out_shape = shape[:-3] + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    check(lambda x: (EF if isinstance(x, ember.Tensor) else TF).pixel_unshuffle(x, r),
          rand(out_shape, 1))
    x = ember.tensor(rand(shape, 2))
    close(ember.nn.PixelUnshuffle(r)(ember.nn.PixelShuffle(r)(x)), x)


def test_pixel_shuffle_errors():
    with pytest.raises(RuntimeError, match="divisible by the square of the upscale factor"):
        EF.pixel_shuffle(ember.zeros(1, 6, 2, 2), 2)
    with pytest.raises(RuntimeError, match="divisible by the downscale factor"):
        EF.pixel_unshuffle(ember.zeros(1, 1, 3, 4), 2)


def test_channel_shuffle_matches_torch():
    x = rand((2, 6, 3, 2), 0)
    close(ember.nn.ChannelShuffle(3)(ember.tensor(x)), torch.nn.ChannelShuffle(3)(torch.tensor(x)))
    check(lambda t: (EF.channel_shuffle(t, 2) if isinstance(t, ember.Tensor)
                     else TF.channel_shuffle(t, 2)), x)
    with pytest.raises(ValueError, match="divisible by groups"):
        EF.channel_shuffle(ember.zeros(1, 5, 2), 2)


@pytest.mark.parametrize("name", ["UpsamplingNearest2d", "UpsamplingBilinear2d"])
def test_upsampling_layers_match_torch(name):
    for kwargs in ({"scale_factor": 2}, {"size": (5, 7)}):
        ours, ref = getattr(ember.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
        check(lambda x: (ours if isinstance(x, ember.Tensor) else ref)(x), rand((2, 3, 4, 3), 0))


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_channel_dropout_zeroes_whole_channels(dims):
    ember.manual_seed(0)
    fn = getattr(EF, f"dropout{dims}d")
    x = ember.ones((16, 32) + (3,) * dims)
    y = fn(x, p=0.25).numpy()
    per_channel = y.reshape(16, 32, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 1 / 0.75).all(-1)).all()
    assert 0.15 < (per_channel[..., 0] == 0).mean() < 0.35
    assert fn(x, p=0.5, training=False) is x
    unbatched = fn(ember.ones((32,) + (3,) * dims), p=0.5).numpy().reshape(32, -1)
    assert ((unbatched == 0).all(-1) | (unbatched == 2).all(-1)).all()
    with pytest.raises(RuntimeError, match=f"Expected {dims + 1}D or {dims + 2}D input"):
        fn(ember.ones((2,) * (dims + 3)))
    module = getattr(ember.nn, f"Dropout{dims}d")(0.25)
    assert module(x).shape == x.shape
    module.eval()
    assert module(x) is x


def test_channel_dropout_in_place_and_gradient():
    ember.manual_seed(1)
    x = ember.ones(4, 8, 5, requires_grad=True)
    y = EF.dropout1d(x, p=0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())
    z = ember.ones(4, 8, 5)
    out = EF.dropout1d(z, p=0.5, inplace=True)
    assert out is z and set(np.unique(z.numpy())) <= {0.0, 2.0}


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_mean_and_variance(feature):
    ember.manual_seed(0)
    fn = EF.feature_alpha_dropout if feature else EF.alpha_dropout
    x = ember.tensor(np.random.default_rng(0).standard_normal((256, 64, 16)))
    y = fn(x, p=0.2, training=True).numpy()
    assert abs(y.mean()) < 0.03 and abs(y.var() - 1) < 0.05
    # Dropped units all take one value: a * (SELU's saturation) + b, as PyTorch's.
    p, sat = 0.2, -1.7580993408473766
    a = ((1 - p) * (1 + p * sat ** 2)) ** -0.5
    dropped = a * sat - a * sat * p
    kept = np.isclose(y, a * x.numpy() - a * sat * p)
    assert np.isclose(y[~kept], dropped).all() and 0.15 < (~kept).mean() < 0.25
    if feature:  # whole channels
        assert (kept.reshape(256, 64, -1).all(-1) | (~kept).reshape(256, 64, -1).all(-1)).all()
    assert fn(x, p=0.2) is x  # training defaults to False, as in PyTorch
    assert not fn(x, p=1.0, training=True).numpy().any()
    module = (ember.nn.FeatureAlphaDropout if feature else ember.nn.AlphaDropout)(0.2)
    assert module(x).shape == x.shape
    module.eval()
    assert module(x) is x


def test_alpha_dropout_formula_matches_torch_with_nothing_dropped():
    # With p tiny, almost surely nothing drops: the output is a * x + b, as torch's.
    x = rand((4, 5), 0)
    p, sat = 1e-12, -1.7580993408473766
    a = ((1 - p) * (1 + p * sat ** 2)) ** -0.5
    ours = EF.alpha_dropout(ember.tensor(x), p, training=True).numpy()
    np.testing.assert_allclose(ours, a * x - a * sat * p, rtol=1e-12)
    np.testing.assert_allclose(ours, TF.alpha_dropout(torch.tensor(x), p, True).numpy(),
                               rtol=1e-12)


FOLDS = [dict(kernel_size=3), dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 2),
                                   stride=(2, 1)), dict(kernel_size=2, stride=2)]


@pytest.mark.parametrize("kwargs", FOLDS)
@pytest.mark.parametrize("batched", [True, False])
def test_unfold_and_fold_match_torch(kwargs, batched):
    shape = ((2,) if batched else ()) + (3, 6, 7)
    lib = lambda x: EF if isinstance(x, ember.Tensor) else TF
    cols = check(lambda x: lib(x).unfold(x, **kwargs), rand(shape, 0))
    check(lambda c: lib(c).fold(c, (6, 7), **kwargs), rand(tuple(cols.shape), 1))
    ours, ref = ember.nn.Unfold(**kwargs), torch.nn.Unfold(**kwargs)
    assert repr(ours) == repr(ref)
    folded = ember.nn.Fold((6, 7), **kwargs)
    assert repr(folded) == repr(torch.nn.Fold((6, 7), **kwargs))
    close(folded(ours(ember.tensor(rand(shape, 2)))),
          torch.nn.Fold((6, 7), **kwargs)(ref(torch.tensor(rand(shape, 2)))))


def test_fold_errors():
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        EF.fold(ember.zeros(1, 5, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match="number of sliding blocks"):
        EF.fold(ember.zeros(1, 4, 5), (3, 3), 2)
    with pytest.raises(RuntimeError, match="smaller than the dilated kernel"):
        EF.unfold(ember.zeros(1, 1, 2, 2), 3)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.5])
@pytest.mark.parametrize("ceil", [False, True])
def test_lp_pool_matches_torch(p, ceil):
    lib = lambda x: EF if isinstance(x, ember.Tensor) else TF
    check(lambda x: lib(x).lp_pool1d(x, p, 3, 2, ceil), rand((2, 3, 8), 0, 0.1, 2))
    check(lambda x: lib(x).lp_pool2d(x, p, (2, 3), None, ceil), rand((2, 3, 6, 7), 1, 0.1, 2))
    close(ember.nn.LPPool2d(p, 2)(ember.tensor(rand((1, 2, 4, 4), 2, 0.1, 2))),
          torch.nn.LPPool2d(p, 2)(torch.tensor(rand((1, 2, 4, 4), 2, 0.1, 2))))


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("explicit_size", [False, True])
def test_max_unpool_inverts_max_pool_as_torch(dims, explicit_size):
    # 7 wide needs output_size (the default, 6, cannot hold every index); 6 does not.
    shape = (2, 3) + ((7,) if explicit_size else (6,)) * dims
    x = rand(shape, 0)
    pool = getattr(TF, f"max_pool{dims}d")
    values, indices = pool(torch.tensor(x), 2, 2, return_indices=True)
    size = shape[2:] if explicit_size else None

    def run(v):
        if isinstance(v, ember.Tensor):
            return getattr(EF, f"max_unpool{dims}d")(v, ember.tensor(indices.numpy()), 2,
                                                     output_size=size)
        return getattr(TF, f"max_unpool{dims}d")(v, indices, 2, output_size=size)

    check(run, values.numpy())
    ours = getattr(ember.nn, f"MaxUnpool{dims}d")(2)
    assert repr(ours) == repr(getattr(torch.nn, f"MaxUnpool{dims}d")(2))
    assert ours(ember.tensor(values.numpy()), ember.tensor(indices.numpy()),
                output_size=size).shape == tuple(shape[:2]) + (6 + explicit_size,) * dims
    with pytest.raises(ValueError, match="invalid output_size"):
        ours(ember.tensor(values.numpy()), ember.tensor(indices.numpy()), output_size=(9,) * dims)
    with pytest.raises(ValueError, match=f"should have {dims} or {dims + 2} elements"):
        ours(ember.tensor(values.numpy()), ember.tensor(indices.numpy()),
             output_size=(6,) * (dims + 1))


@pytest.mark.parametrize("shape", [(2, 7, 5), (2, 6, 3, 4), (1, 5, 2, 2, 3)])
@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_local_response_norm_matches_torch(shape, size):
    check(lambda x: (EF if isinstance(x, ember.Tensor) else TF).local_response_norm(
        x, size, alpha=0.3, beta=0.6, k=1.5), rand(shape, 0))
    ours, ref = ember.nn.LocalResponseNorm(size), torch.nn.LocalResponseNorm(size)
    assert repr(ours) == repr(ref)
    close(ours(ember.tensor(rand(shape, 1))), ref(torch.tensor(rand(shape, 1))))


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(align_corners):
    check(lambda t: (EF if isinstance(t, ember.Tensor) else TF).affine_grid(
        t, (2, 3, 5, 4), align_corners=align_corners), rand((2, 2, 3), 0))


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_torch(mode, padding_mode, align_corners):
    grid = np.random.default_rng(1).uniform(-1.4, 1.4, (2, 6, 7, 2))
    # (PyTorch has no second derivative here; nearest has no gradient in the grid.)
    check(lambda x, g: (EF if isinstance(x, ember.Tensor) else TF).grid_sample(
        x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners),
        rand((2, 3, 5, 4), 0), grid, second=False,
        grad_inputs=[0] if mode == "nearest" else [0, 1])


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(1, 1), (2, 3), (5, 4)])
def test_grid_sample_bicubic_far_outside_and_tiny_inputs(padding_mode, align_corners, size):
    # Coordinates several periods outside, where each of the 16 taps is reflected
    # or clipped on its own; one-pixel inputs (a reflection period of 0).
    grid = np.random.default_rng(2).uniform(-4.5, 4.5, (2, 5, 3, 2))
    check(lambda x, g: (EF if isinstance(x, ember.Tensor) else TF).grid_sample(
        x, g, mode="bicubic", padding_mode=padding_mode, align_corners=align_corners),
        rand((2, 2) + size, 0), grid, second=False)


def test_spatial_transformer_pattern():
    # The tutorial's pattern: a predicted affine map resamples the input image.
    theta = ember.tensor(np.array([[[0.8, 0.1, 0.05], [-0.1, 0.9, 0.0]]]), requires_grad=True)
    image = ember.tensor(rand((1, 1, 8, 8), 0))
    warped = EF.grid_sample(image, EF.affine_grid(theta, (1, 1, 8, 8), align_corners=False),
                            align_corners=False)
    warped.sum().backward()
    t_theta = torch.tensor(theta.detach().numpy(), requires_grad=True)
    TF.grid_sample(torch.tensor(image.numpy()), TF.affine_grid(t_theta, (1, 1, 8, 8),
                   align_corners=False), align_corners=False).sum().backward()
    close(theta.grad, t_theta.grad)
    with pytest.raises(ValueError, match="mode must be 'bilinear', 'nearest' or 'bicubic', "
                                         "got 'cubic'"):
        EF.grid_sample(image, ember.zeros(1, 2, 2, 2, dtype=ember.float64), mode="cubic")


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_edge_coordinates_get_torch_gradients(padding_mode):
    # The identity grid with align_corners lands exactly on the edge pixels, where
    # PyTorch's clipped coordinates pass no gradient.
    image = rand((1, 1, 5, 6), 0)
    grads = []
    for lib, fn in ((ember, EF), (torch, TF)):
        theta = lib.tensor(np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]), requires_grad=True)
        fn.grid_sample(lib.tensor(image), fn.affine_grid(theta, (1, 1, 5, 6), align_corners=True),
                       padding_mode=padding_mode, align_corners=True).sum().backward()
        grads.append(theta.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12)
