"""The 8x8 handwritten digits that scikit-learn ships with its package (no download)."""

import numpy as np

from ember.data.datasets._base import VisionDataset

# The train/test split is fixed: a permutation from this seed, last 20% held out.
SPLIT_SEED = 0
TEST_FRACTION = 0.2


def load_digits():
    """All 1797 digits as ``(images, targets)``.

    Returns:
        images: uint8 array (1797, 8, 8), scikit-learn's 0..16 intensities
            rescaled to 0..255 (``round(v * 255 / 16)``), so ``ToTensor``
            gives [0, 1].
        targets: int64 array (1797,) of labels 0..9.

    Raises:
        ImportError: scikit-learn is not installed.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn, which ships the digits data: "
                          "pip install scikit-learn") from None
    bunch = sklearn_load_digits()
    images = np.rint(bunch.images * (255 / 16)).astype(np.uint8)
    return images, bunch.target.astype(np.int64)


class Digits(VisionDataset):
    """scikit-learn's 8x8 digits as an (image, label) dataset with a fixed train/test split.

    The 1797 samples are permuted with ``np.random.default_rng(0)``; the first
    1438 (80%, rounded) are the training set, the remaining 359 the test set, the
    same on every machine and run.

    Args:
        train: the training split if True, else the test split.
        transform: applied to each image (a uint8 (8, 8) array).
        target_transform: applied to each label (an int).
    """

    classes = [str(i) for i in range(10)]

    def __init__(self, train=True, transform=None, target_transform=None):
        super().__init__(None, transform, target_transform)
        images, targets = load_digits()
        order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
        n_train = len(images) - int(round(len(images) * TEST_FRACTION))
        keep = order[:n_train] if train else order[n_train:]
        self.train = train
        self.data, self.targets = images[keep], targets[keep]
