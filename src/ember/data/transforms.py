"""Image transforms under torchvision.transforms' names, implemented with NumPy.

Images are Ember tensors ``(..., C, H, W)``, NumPy arrays ``(H, W)`` or
``(H, W, C)``, or PIL images when PIL is installed; a transform returns the
kind it was given (``ToTensor`` excepted). Random transforms draw from
``generator=`` or, by default, Ember's default generator, so
``ember.manual_seed`` makes them reproducible (and DataLoader workers, each
seeded differently, draw differently).

Differs from torchvision: random transforms take an optional ``generator``
keyword; the geometric ones work on data (no autograd through them).
"""

import numbers

import numpy as np

from ember.backend.dtype import get_default_dtype
from ember.backend.random import rng
from ember.data._image import (affine_sample, inverse_affine_matrix, is_pil_image, pad_hw,
                               to_hw_last)
from ember.ops.creation import tensor
from ember.tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "RandomHorizontalFlip", "RandomCrop",
           "RandomAffine", "InterpolationMode"]


class InterpolationMode:
    """Sampling modes of the geometric transforms (strings: "nearest", "bilinear")."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """An image ``(H, W[, C])`` (NumPy array or PIL image) as a ``(C, H, W)`` float tensor.

    uint8 values are scaled to [0, 1] in the default float dtype; other dtypes
    keep their values and dtype, as torchvision does.
    """

    def __call__(self, pic):
        if is_pil_image(pic):
            pic = np.array(pic)
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"ToTensor: pic should be a NumPy array or a PIL image, got "
                            f"{type(pic).__name__}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2 or 3 dimensional, got {pic.ndim} "
                             "dimensions")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        chw = np.ascontiguousarray(pic.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            float_np = get_default_dtype().np
            return tensor(chw.astype(float_np) / float_np.type(255))
        return tensor(chw)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """``(input - mean) / std`` per channel of a float tensor ``(..., C, H, W)``.

    Args:
        mean: one value per channel.
        std: one (non-zero) value per channel.
        inplace: write the result into the input tensor.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace
        self._cache = {}  # dtype -> (mean, std) as (C, 1, 1) tensors, checked once

    def _stats(self, dtype):
        stats = self._cache.get(dtype)
        if stats is None:
            mean = tensor(np.asarray(self.mean, dtype=np.float64), dtype=dtype)
            std = tensor(np.asarray(self.std, dtype=np.float64), dtype=dtype)
            if (std == 0).any():
                raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading "
                                 "to division by zero.")
            stats = self._cache[dtype] = (mean.reshape(-1, 1, 1), std.reshape(-1, 1, 1))
        return stats

    def __call__(self, tensor_img):
        if not isinstance(tensor_img, Tensor):
            raise TypeError(f"Normalize: img should be an ember Tensor, got "
                            f"{type(tensor_img).__name__}")
        if not tensor_img.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor_img.dtype}.")
        if tensor_img.ndim < 3:
            raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tuple(tensor_img.shape)}")
        mean, std = self._stats(tensor_img.dtype)
        channels = tensor_img.shape[-3]
        for name, v in (("mean", mean), ("std", std)):
            if v.numel() not in (1, channels):
                raise ValueError(f"Normalize: {name} has {v.numel()} values, image has "
                                 f"{channels} channels")
        if self.inplace:
            return tensor_img.sub_(mean).div_(std)
        return (tensor_img - mean) / std

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Apply a user function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p``."""

    def __init__(self, p=0.5, *, generator=None):
        self.p = p
        self.generator = generator

    def __call__(self, img):
        arr, back = to_hw_last(img, "RandomHorizontalFlip")
        if rng(self.generator, "RandomHorizontalFlip").random() < self.p:
            return back(arr[..., ::-1])
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


def _pair(size, name, op):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{op}: {name} should be an int or a sequence of 1 or 2 ints, got {size}")
    return int(size[0]), int(size[1])


def _padding_ltrb(padding, op):
    """torchvision's padding forms: p, (lr, tb) or (left, top, right, bottom)."""
    if isinstance(padding, numbers.Number):
        return (int(padding),) * 4
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return tuple(padding * 4)
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(padding)
    raise ValueError(f"{op}: padding must be an int or a 1, 2, or 4 element sequence, got "
                     f"{len(padding)} elements")


class RandomCrop:
    """Crop a random ``size`` window, after optional padding.

    Args:
        size: (h, w) of the crop, or an int for a square.
        padding: pad first: p (all sides), (left/right, top/bottom) or
            (left, top, right, bottom).
        pad_if_needed: pad an image smaller than ``size`` (each side of a
            short axis by the shortfall, as torchvision does).
        fill: constant for ``padding_mode="constant"``: a number or one per channel.
        padding_mode: "constant", "edge", "reflect" or "symmetric".
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0,
                 padding_mode="constant", *, generator=None):
        self.size = _pair(size, "size", "RandomCrop")
        self.padding = None if padding is None else _padding_ltrb(padding, "RandomCrop")
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode
        self.generator = generator

    @staticmethod
    def get_params(img, output_size, generator=None):
        """Random ``(top, left, height, width)`` of a crop of ``output_size`` inside ``img``."""
        arr, _ = to_hw_last(img, "RandomCrop")
        h, w = arr.shape[-2:]
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if (h, w) == (th, tw):
            return 0, 0, h, w
        g = rng(generator, "RandomCrop")
        return int(g.integers(0, h - th + 1)), int(g.integers(0, w - tw + 1)), th, tw

    def __call__(self, img):
        arr, back = to_hw_last(img, "RandomCrop")
        if self.padding is not None:
            arr = pad_hw(arr, *self.padding, self.fill, self.padding_mode, "RandomCrop")
        th, tw = self.size
        h, w = arr.shape[-2:]
        if self.pad_if_needed and w < tw:
            arr = pad_hw(arr, tw - w, 0, tw - w, 0, self.fill, self.padding_mode, "RandomCrop")
        if self.pad_if_needed and h < th:
            arr = pad_hw(arr, 0, th - h, 0, th - h, self.fill, self.padding_mode, "RandomCrop")
        h, w = arr.shape[-2:]
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        g = rng(self.generator, "RandomCrop")
        top, left = int(g.integers(0, h - th + 1)), int(g.integers(0, w - tw + 1))
        return back(arr[..., top:top + th, left:left + tw])

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


def _range(value, name, op, center=0.0):
    """A number x -> (center - x, center + x); a pair stays as given."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{op}: if {name} is a single number, it must be positive, got "
                             f"{value}")
        return [center - float(value), center + float(value)]
    if len(value) != 2:
        raise ValueError(f"{op}: {name} should be a number or a sequence of 2 numbers, got "
                         f"{value}")
    return [float(v) for v in value]


class RandomAffine:
    """Random rotation, translation, scale and shear about the image centre.

    Args:
        degrees: rotation range: d -> (-d, d), or (min, max); counter-clockwise
            for positive angles, as torchvision.
        translate: (a, b): horizontal shift drawn in ``(-a*W, a*W)``, vertical in
            ``(-b*H, b*H)``, rounded to whole pixels. None: no shift.
        scale: (min, max) scale factor. None: 1.
        shear: s -> x-shear in (-s, s); (min, max) x-shear; (xmin, xmax, ymin,
            ymax). None: no shear.
        interpolation: "nearest" (default, as torchvision) rounds each
            source coordinate to the nearest pixel (ties to even);
            "bilinear" blends the four neighbouring pixels.
        fill: value for pixels that map outside the image (a number or one per channel).
        center: (x, y) pixel to transform about; default the image centre.

    The warp maps every output pixel back through the inverse affine map
    (torchvision's matrix) and samples the input there, in NumPy.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None, *,
                 generator=None):
        op = "RandomAffine"
        self.degrees = _range(degrees, "degrees", op)
        if translate is not None:
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError(f"{op}: translate should be a pair of values in [0, 1], got "
                                 f"{translate}")
        if scale is not None and (len(scale) != 2 or any(s <= 0 for s in scale)):
            raise ValueError(f"{op}: scale should be a pair of positive values, got {scale}")
        if shear is not None:
            shear = list(shear) if not isinstance(shear, numbers.Number) else shear
            if isinstance(shear, list) and len(shear) == 4:
                shear = [float(s) for s in shear]
            else:
                shear = _range(shear, "shear", op)
        if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
            raise ValueError(f"{op}: interpolation should be 'nearest' or 'bilinear', got "
                             f"{interpolation!r}")
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation, self.fill, self.center = interpolation, fill, center
        self.generator = generator

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size, generator=None):
        """Draw ``(angle, (tx, ty), scale, (shear_x, shear_y))`` for a (W, H) ``img_size``."""
        g = rng(generator, "RandomAffine")
        angle = float(g.uniform(degrees[0], degrees[1]))
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(g.uniform(-max_dx, max_dx))),
                            int(round(g.uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else float(g.uniform(scale_ranges[0],
                                                                 scale_ranges[1]))
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = float(g.uniform(shears[0], shears[1]))
            if len(shears) == 4:
                shear_y = float(g.uniform(shears[2], shears[3]))
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        arr, back = to_hw_last(img, "RandomAffine")
        h, w = arr.shape[-2:]
        angle, translations, scale, shear = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, (w, h), self.generator)
        # Offsets from the image centre; the angle is negated because y points down.
        center = (0.0, 0.0) if self.center is None else \
            (self.center[0] - w * 0.5, self.center[1] - h * 0.5)  # torchvision's offset
        matrix = inverse_affine_matrix(center, -angle, translations, scale, shear)
        return back(affine_sample(arr, matrix, self.interpolation, self.fill, "RandomAffine"))

    def __repr__(self):
        return (f"{type(self).__name__}(degrees={self.degrees}, translate={self.translate}, "
                f"scale={self.scale}, shear={self.shear}, interpolation={self.interpolation})")
