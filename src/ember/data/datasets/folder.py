"""ImageFolder: one sub-folder per class, images as .npy arrays (PNG/JPEG with PIL)."""

import os

import numpy as np

from ember.data.dataset import Dataset

PIL_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def _pil_available():
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


def supported_extensions():
    """.npy always; the image formats only when PIL is installed."""
    return (".npy",) + (PIL_EXTENSIONS if _pil_available() else ())


def default_loader(path):
    """A .npy file via ``np.load``; other images via PIL, as an RGB uint8 (H, W, 3) array."""
    if path.lower().endswith(".npy"):
        return np.load(path, allow_pickle=False)
    from PIL import Image
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


class ImageFolder(Dataset):
    """Samples ``(image, class_index)`` from ``root/<class>/<file>``.

    Classes are the sub-folder names in sorted order (``classes``,
    ``class_to_idx``); ``samples`` lists ``(path, class_index)`` sorted by
    class, then by path.

    Args:
        root: the folder of class folders.
        transform: applied to each loaded image.
        target_transform: applied to each class index.
        loader: path -> image (default: ``np.load`` for .npy, PIL for image files).
        is_valid_file: path -> bool, replacing the extension check.
        allow_empty: accept class folders with no valid file.

    Differs from torchvision: .npy arrays are images too, and images load as
    NumPy arrays; PNG/JPEG need PIL (without it they are skipped).
    """

    def __init__(self, root, transform=None, target_transform=None, loader=None,
                 is_valid_file=None, allow_empty=False):
        self.root = os.fspath(root)
        self.transform, self.target_transform = transform, target_transform
        self.loader = loader or default_loader
        self.classes, self.class_to_idx = self.find_classes(self.root)
        extensions = supported_extensions()
        if is_valid_file is None:
            def is_valid_file(path):
                return path.lower().endswith(extensions)
        self.samples = []
        empty = []
        for cls in self.classes:
            found = []
            for dirpath, _, files in sorted(os.walk(os.path.join(self.root, cls),
                                                    followlinks=True)):
                found += [os.path.join(dirpath, f) for f in sorted(files)
                          if is_valid_file(os.path.join(dirpath, f))]
            if not found:
                empty.append(cls)
            self.samples += [(p, self.class_to_idx[cls]) for p in found]
        if empty and not allow_empty:
            raise FileNotFoundError(f"Found no valid file for the classes {', '.join(empty)}. "
                                    f"Supported extensions are: {', '.join(extensions)}")
        self.imgs = self.samples
        self.targets = [t for _, t in self.samples]

    @staticmethod
    def find_classes(directory):
        """Sorted class folder names under ``directory`` and their indices."""
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"ImageFolder: root {directory!r} is not a directory")
        classes = sorted(e.name for e in os.scandir(directory) if e.is_dir())
        if not classes:
            raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
        return classes, {c: i for i, c in enumerate(classes)}

    def __getitem__(self, index):
        path, target = self.samples[index]
        img = self.loader(path)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.samples)
