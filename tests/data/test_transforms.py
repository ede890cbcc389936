"""Image transforms: shapes, value ranges, flips, crops and affine warps."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember.data._image import affine_sample, inverse_affine_matrix
from ember.data.transforms import (Compose, Lambda, Normalize, RandomAffine, RandomCrop,
                                   RandomHorizontalFlip, ToTensor)


def hwc_image(h=5, w=6, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def test_to_tensor_uint8_hwc_to_chw_in_unit_range():
    img = hwc_image()
    t = ToTensor()(img)
    assert t.shape == (3, 5, 6) and t.dtype == ember.float32
    np.testing.assert_allclose(t.numpy(), img.transpose(2, 0, 1).astype(np.float32) / 255)
    assert 0.0 <= t.min().item() and t.max().item() <= 1.0


def test_to_tensor_grayscale_and_float_input_keeps_values():
    assert ToTensor()(np.zeros((4, 5), np.uint8)).shape == (1, 4, 5)
    f = np.full((2, 2, 1), 7.5, np.float64)
    t = ToTensor()(f)
    assert t.dtype == ember.float64 and t.numpy().max() == 7.5  # no scaling for non-uint8


def test_to_tensor_errors():
    with pytest.raises(TypeError, match="ToTensor: pic should be a NumPy array or a PIL image, "
                                        "got list"):
        ToTensor()([[1]])
    with pytest.raises(ValueError, match="should be 2 or 3 dimensional, got 4"):
        ToTensor()(np.zeros((1, 1, 1, 1), np.uint8))


def test_normalize_matches_formula_and_is_differentiable():
    x = ember.rand(3, 4, 4, requires_grad=True)
    out = Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.5])(x)
    expected = (x.detach().numpy() - np.array([0.5, 0.4, 0.3], np.float32)[:, None, None]) / \
        np.array([0.2, 0.25, 0.5], np.float32)[:, None, None]
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[:, 0, 0], [5, 4, 2], rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got ember.uint8"):
        Normalize([0], [1])(ember.zeros(1, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        Normalize([0], [0])(ember.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="Normalize: mean has 2 values, image has 3 channels"):
        Normalize([0, 0], [1])(ember.zeros(3, 2, 2))


def test_compose_and_lambda():
    t = Compose([ToTensor(), Lambda(lambda x: x * 2)])
    assert t(np.full((2, 2), 255, np.uint8)).tolist() == [[[2.0, 2.0], [2.0, 2.0]]]
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        Lambda(3)


def test_horizontal_flip_always_and_never():
    img = hwc_image()
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(img), img[:, ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(img), img)
    t = ember.tensor(img.transpose(2, 0, 1))
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(t).numpy(),
                                  img.transpose(2, 0, 1)[..., ::-1])


def test_random_transforms_reproducible_with_manual_seed_and_generator():
    img = np.arange(100, dtype=np.float32).reshape(10, 10)
    crop = RandomCrop(4)
    ember.manual_seed(0)
    first = [crop(img) for _ in range(5)]
    ember.manual_seed(0)
    assert all((a == b).all() for a, b in zip(first, [crop(img) for _ in range(5)]))
    assert any((a != first[0]).any() for a in first[1:])
    flips = [RandomHorizontalFlip(generator=ember.Generator().manual_seed(3))(img)
             for _ in range(2)]
    np.testing.assert_array_equal(flips[0], flips[1])


def test_random_crop_shape_and_content():
    img = np.arange(48, dtype=np.int64).reshape(6, 8)
    out = RandomCrop((3, 5), generator=ember.Generator().manual_seed(1))(img)
    assert out.shape == (3, 5)
    top, left = np.argwhere(img == out[0, 0])[0]
    np.testing.assert_array_equal(out, img[top:top + 3, left:left + 5])


def test_random_crop_with_padding_constant_fill():
    img = np.ones((2, 2, 3), np.uint8)
    crop = RandomCrop(4, padding=1, fill=(7, 8, 9))
    out = crop(img)  # the padded image is exactly 4x4: the crop is all of it
    assert out.shape == (4, 4, 3)
    np.testing.assert_array_equal(out[0, 0], [7, 8, 9])
    np.testing.assert_array_equal(out[1:3, 1:3], img)


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric"])
def test_random_crop_padding_modes_match_numpy_pad(mode):
    t = ember.arange(12, dtype=ember.float32).reshape(1, 3, 4)
    out = RandomCrop((5, 6), padding=1, padding_mode=mode)(t)
    np.testing.assert_array_equal(out.numpy(), np.pad(t.numpy(), [(0, 0), (1, 1), (1, 1)],
                                                      mode=mode))


def test_random_crop_pad_if_needed_and_errors():
    out = RandomCrop((3, 3), pad_if_needed=True)(np.zeros((2, 2), np.float32))
    assert out.shape == (3, 3)
    with pytest.raises(ValueError, match=r"Required crop size \(3, 3\) is larger than input "
                                         r"image size \(2, 2\)"):
        RandomCrop(3)(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="padding_mode should be one of"):
        RandomCrop(2, padding=1, padding_mode="wrap")(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="RandomCrop: expected an ember Tensor, a NumPy array"):
        RandomCrop(2)([[0]])


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_identity_returns_input(interpolation):
    img = hwc_image(7, 9)
    out = RandomAffine(0, interpolation=interpolation)(img)
    np.testing.assert_array_equal(out, img)
    t = ember.rand(2, 3, 5, 5)
    np.testing.assert_allclose(RandomAffine(0, interpolation=interpolation)(t).numpy(),
                               t.numpy(), atol=1e-6)


@pytest.mark.parametrize("size", [4, 5])
def test_affine_rotation_by_90_equals_rot90_for_nearest(size):
    img = np.arange(size * size * 2, dtype=np.float32).reshape(size, size, 2)
    out = RandomAffine(degrees=(90, 90))(img)
    np.testing.assert_array_equal(out, np.rot90(img, 1, axes=(0, 1)))
    t = ember.tensor(img.transpose(2, 0, 1))
    np.testing.assert_array_equal(RandomAffine(degrees=(-90, -90))(t).numpy(),
                                  np.rot90(img.transpose(2, 0, 1), -1, axes=(1, 2)))


def test_affine_translation_shifts_and_fills():
    img = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
    shifts = set()
    for seed in range(60):
        affine = RandomAffine(0, translate=(0.5, 0.0), fill=-1,
                              generator=ember.Generator().manual_seed(seed))
        _, (tx, ty), _, _ = RandomAffine.get_params(affine.degrees, affine.translate, None, None,
                                                    (4, 4), ember.Generator().manual_seed(seed))
        out = affine(img)
        expected = np.full_like(img, -1)
        if tx >= 0:
            expected[:, tx:] = img[:, :4 - tx]
        else:
            expected[:, :tx] = img[:, -tx:]
        assert ty == 0
        np.testing.assert_array_equal(out, expected)
        shifts.add(tx)
    assert {-2, -1, 1, 2} <= shifts


def torchvision_tensor_affine(img, matrix, mode, fill):
    """torchvision's tensor path, spelled out with torch: affine grid + grid_sample + fill mask."""
    c, h, w = img.shape
    theta = torch.tensor(matrix, dtype=torch.float64).reshape(1, 2, 3)
    xs = torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w, dtype=torch.float64)
    ys = torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h, dtype=torch.float64)
    ones = torch.ones(h, w, dtype=torch.float64)
    base = torch.stack([xs.expand(h, w), ys[:, None].expand(h, w), ones], dim=-1)
    grid = base.view(1, h * w, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h],
                                                                            dtype=torch.float64))
    x = torch.cat([torch.from_numpy(img)[None], torch.ones(1, 1, h, w, dtype=torch.float64)], 1)
    out = TF.grid_sample(x, grid.view(1, h, w, 2), mode=mode, padding_mode="zeros",
                         align_corners=False)[0]
    sampled, mask = out[:-1], out[-1:].expand(c, h, w)
    if mode == "nearest":
        return torch.where(mask < 0.5, torch.full_like(sampled, fill), sampled).numpy()
    return (sampled * mask + (1 - mask) * fill).numpy()


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_affine_sampling_matches_torch_grid_sample(mode, seed):
    rng = np.random.default_rng(seed)
    img = rng.uniform(0, 1, (2, 6, 7))
    angle, scale = rng.uniform(-40, 40), rng.uniform(0.8, 1.2)
    translate, shear = tuple(rng.integers(-2, 3, 2)), tuple(rng.uniform(-10, 10, 2))
    matrix = inverse_affine_matrix((0.0, 0.0), -angle, translate, scale, shear)
    ours = affine_sample(img, matrix, mode, 0.25, "test")
    np.testing.assert_allclose(ours, torchvision_tensor_affine(img, matrix, mode, 0.25),
                               atol=1e-10)


def test_affine_argument_errors():
    with pytest.raises(ValueError, match="degrees is a single number, it must be positive"):
        RandomAffine(-5)
    with pytest.raises(ValueError, match="translate should be a pair of values in"):
        RandomAffine(0, translate=(2, 0))
    with pytest.raises(ValueError, match="scale should be a pair of positive values"):
        RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match="interpolation should be 'nearest' or 'bilinear'"):
        RandomAffine(0, interpolation="cubic")
