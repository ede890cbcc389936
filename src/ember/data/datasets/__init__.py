"""Dataset readers for files already on disk (Ember never downloads).

``Digits`` / ``load_digits`` (scikit-learn's bundled 8x8 digits), ``MNIST``
(IDX files), ``CIFAR10`` (python pickle batches), ``ImageFolder`` (one
sub-folder per class), ``CSVDataset`` and ``JSONLinesDataset``. Images come
as uint8 NumPy arrays ``(H, W)`` or ``(H, W, C)``: compose with
``ember.data.transforms.ToTensor`` to get float tensors in [0, 1].
"""

from ember.data.datasets.cifar import CIFAR10
from ember.data.datasets.digits import Digits, load_digits
from ember.data.datasets.folder import ImageFolder
from ember.data.datasets.mnist import MNIST
from ember.data.datasets.tabular import CSVDataset, JSONLinesDataset

__all__ = ["Digits", "load_digits", "MNIST", "CIFAR10", "ImageFolder", "CSVDataset",
           "JSONLinesDataset"]
