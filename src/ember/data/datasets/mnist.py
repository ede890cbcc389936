"""MNIST from its IDX files (raw or .gz) on disk."""

import gzip
import os

import numpy as np

from ember.data.datasets._base import VisionDataset, refuse_download

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
               0x0E: ">f8"}


def read_idx(path):
    """The array stored in an IDX file (gzip-compressed if the name ends in .gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (bad magic number "
                         f"{raw[:4].hex()})")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = 4 + 4 * ndim + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"read_idx: {path} holds {len(raw)} bytes, its header {shape} needs "
                         f"{expected}")
    array = np.frombuffer(raw, dtype, offset=4 + 4 * ndim).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # native byte order, writable


class MNIST(VisionDataset):
    """MNIST digits read from IDX files under ``root``.

    Looks for ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` (or
    ``t10k-*`` for the test set), optionally ending in ``.gz``, in ``root``
    or in ``root/MNIST/raw`` (torchvision's layout).

    Args:
        root: the folder holding the files.
        train: training files if True, else the t10k (test) files.
        transform: applied to each image, a uint8 (28, 28) array.
        target_transform: applied to each label (an int).
        download: must be False (Ember never downloads).

    Differs from torchvision: images are NumPy arrays, not PIL images;
    ``data`` and ``targets`` are NumPy arrays.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        refuse_download(download, "MNIST")
        self.train = train
        prefix = "train" if train else "t10k"
        self.data = read_idx(self._find(f"{prefix}-images-idx3-ubyte"))
        self.targets = read_idx(self._find(f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
        if len(self.data) != len(self.targets):
            raise ValueError(f"MNIST: {len(self.data)} images but {len(self.targets)} labels "
                             f"in {root}")

    def _find(self, name):
        folders = [self.root, os.path.join(self.root, "MNIST", "raw")]
        for folder in folders:
            for candidate in (name, name + ".gz"):
                path = os.path.join(folder, candidate)
                if os.path.isfile(path):
                    return path
        raise FileNotFoundError(f"MNIST: expected {name} (or {name}.gz) in one of {folders}; "
                                "download the MNIST files there yourself")
