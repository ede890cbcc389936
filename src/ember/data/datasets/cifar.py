"""CIFAR-10 from its "python version" pickle batches on disk."""

import os
import pickle

import numpy as np

from ember.data.datasets._base import VisionDataset, refuse_download


def _get(entry, key):
    # The batches were pickled by Python 2: keys are bytes when loaded with
    # encoding="bytes", str when a user re-saved them from Python 3.
    if key in entry:
        return entry[key]
    return entry[key.decode()]


class CIFAR10(VisionDataset):
    """CIFAR-10 images read from ``data_batch_1..5`` (train) or ``test_batch``.

    The batches are looked for in ``root/cifar-10-batches-py`` (torchvision's
    layout) or in ``root`` itself; each is a pickle of a dict with ``b'data'``
    (N x 3072 uint8, channel-major) and ``b'labels'``. ``batches.meta``, when
    present, gives the class names.

    Args:
        root: the folder holding the batches (or their folder).
        train: the five training batches if True, else ``test_batch``.
        transform: applied to each image, a uint8 (32, 32, 3) array.
        target_transform: applied to each label (an int).
        download: must be False (Ember never downloads).

    Differs from torchvision: images are NumPy arrays, not PIL images.
    """

    base_folder = "cifar-10-batches-py"
    train_list = [f"data_batch_{i}" for i in range(1, 6)]
    test_list = ["test_batch"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        refuse_download(download, "CIFAR10")
        self.train = train
        folder = os.path.join(root, self.base_folder)
        folder = folder if os.path.isdir(folder) else root
        names = self.train_list if train else self.test_list
        missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
        if missing:
            raise FileNotFoundError(f"CIFAR10: expected {names} in {folder}; missing {missing}")
        data, targets = [], []
        for name in names:
            with open(os.path.join(folder, name), "rb") as f:
                entry = pickle.load(f, encoding="bytes")
            data.append(np.asarray(_get(entry, b"data"), dtype=np.uint8).reshape(-1, 3, 32, 32))
            targets.extend(_get(entry, b"labels"))
        self.data = np.ascontiguousarray(np.concatenate(data).transpose(0, 2, 3, 1))  # HWC
        self.targets = list(int(t) for t in targets)
        self.classes = self._load_classes(folder)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    @staticmethod
    def _load_classes(folder):
        meta = os.path.join(folder, "batches.meta")
        if not os.path.isfile(meta):
            return ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                    "ship", "truck"]
        with open(meta, "rb") as f:
            names = _get(pickle.load(f, encoding="bytes"), b"label_names")
        return [n.decode() if isinstance(n, bytes) else n for n in names]
