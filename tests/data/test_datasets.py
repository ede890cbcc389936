"""Dataset readers, each on small files the test writes itself."""

import builtins
import gzip
import json
import pickle
import struct

import numpy as np
import pytest

import ember
from ember.data import DataLoader
from ember.data.datasets import (CIFAR10, MNIST, CSVDataset, Digits, ImageFolder,
                                 JSONLinesDataset, load_digits)
from ember.data.transforms import ToTensor


def test_load_digits_and_fixed_split():
    images, targets = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8 and images.max() == 255
    assert targets.dtype == np.int64 and set(targets.tolist()) == set(range(10))
    train, test = Digits(train=True), Digits(train=False)
    assert (len(train), len(test)) == (1438, 359)
    again = Digits(train=False)
    np.testing.assert_array_equal(test.data, again.data)
    # The two splits partition the whole set.
    both = np.concatenate([train.data, test.data]).reshape(1797, -1)
    assert len(np.unique(both, axis=0)) == len(np.unique(images.reshape(1797, -1), axis=0))
    img, label = Digits(transform=ToTensor())[0]
    assert img.shape == (1, 8, 8) and 0 <= img.min().item() <= img.max().item() <= 1
    assert isinstance(label, int)


def test_load_digits_without_sklearn_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        load_digits()


def write_idx(path, array, compress=False):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + \
        b"".join(struct.pack(">I", s) for s in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files(tmp_path, compress):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", images, compress)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", labels, compress)
    ds = MNIST(str(tmp_path), train=False)
    assert len(ds) == 5 and ds.targets.tolist() == [3, 1, 4, 1, 5]
    img, label = ds[2]
    np.testing.assert_array_equal(img, images[2])
    assert label == 4
    x, y = next(iter(DataLoader(MNIST(str(tmp_path), train=False, transform=ToTensor()),
                                batch_size=5)))
    assert x.shape == (5, 1, 28, 28) and y.tolist() == [3, 1, 4, 1, 5]


def test_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected train-images-idx3-ubyte \\(or "
                                                "train-images-idx3-ubyte.gz\\)"):
        MNIST(str(tmp_path))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="is not an IDX file"):
        MNIST(str(tmp_path))
    with pytest.raises(RuntimeError, match="download=True is not supported"):
        MNIST(str(tmp_path), download=True)


def write_cifar_batch(path, data, labels):
    with open(path, "wb") as f:
        pickle.dump({b"data": data.reshape(len(data), -1), b"labels": labels}, f)


def test_cifar10_reads_pickled_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    chw = rng.integers(0, 256, (10, 3, 32, 32), dtype=np.uint8)
    for i in range(5):
        write_cifar_batch(folder / f"data_batch_{i + 1}", chw[2 * i:2 * i + 2], [i, 9 - i])
    write_cifar_batch(folder / "test_batch", chw[:3], [7, 8, 9])
    train = CIFAR10(str(tmp_path))
    assert len(train) == 10 and train.targets[:4] == [0, 9, 1, 8]
    img, label = train[3]
    assert img.shape == (32, 32, 3) and label == 8
    np.testing.assert_array_equal(img, chw[3].transpose(1, 2, 0))
    test = CIFAR10(str(tmp_path), train=False, transform=ToTensor())
    assert len(test) == 3 and test[0][0].shape == (3, 32, 32) and test.classes[0] == "airplane"


def test_cifar10_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"CIFAR10: expected \['test_batch'\]"):
        CIFAR10(str(tmp_path), train=False)


def test_image_folder_npy(tmp_path):
    for cls, n in (("cat", 2), ("dog", 3)):
        (tmp_path / cls).mkdir()
        for i in range(n):
            np.save(tmp_path / cls / f"{i}.npy", np.full((4, 4, 3), i, np.uint8))
    (tmp_path / "cat" / "notes.txt").write_text("ignored")
    ds = ImageFolder(str(tmp_path), transform=ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert len(ds) == 5 and ds.targets == [0, 0, 1, 1, 1]
    img, label = ds[4]
    assert img.shape == (3, 4, 4) and label == 1
    np.testing.assert_allclose(img.numpy(), 2 / 255, rtol=1e-6)


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(str(tmp_path))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        ImageFolder(str(tmp_path))
    assert len(ImageFolder(str(tmp_path), allow_empty=True)) == 0


def test_csv_dataset_with_header_and_named_columns(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n1,2.5,cat\n3,4,dog\n5,6,cat\n")
    ds = CSVDataset(str(path), target_column="label")
    assert ds.columns == ["a", "b", "label"] and ds.classes == ["cat", "dog"] and len(ds) == 3
    x, y = ds[1]
    assert x.tolist() == [3.0, 4.0] and x.dtype == ember.float32 and y == 1
    xb, yb = next(iter(DataLoader(ds, batch_size=3)))
    assert xb.shape == (3, 2) and yb.tolist() == [0, 1, 0] and yb.dtype == ember.int64
    only_b = CSVDataset(str(path), target_column=0, feature_columns=["b"])
    assert only_b[0][0].tolist() == [2.5] and only_b.targets.dtype == np.int64


def test_csv_dataset_without_header_float_target(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("1;2;0.5\n3;4;1.5\n")
    ds = CSVDataset(str(path), header=False, delimiter=";")
    assert ds.columns is None and ds[1][0].tolist() == [3.0, 4.0]
    assert next(iter(DataLoader(ds, batch_size=2)))[1].dtype == ember.float32


def test_csv_dataset_errors(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,x\n")
    with pytest.raises(ValueError, match="CSVDataset: a feature in .* is not a number"):
        CSVDataset(str(path), target_column="a")
    with pytest.raises(KeyError, match="'z' is not a column"):
        CSVDataset(str(path), target_column="z")
    path.write_text("a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match="row 3 has 1 fields, expected 2"):
        CSVDataset(str(path))


def test_jsonlines_dataset(tmp_path):
    path = tmp_path / "data.jsonl"
    lines = [{"x": [1.0, 2.0], "y": 0, "id": "a"}, {"x": [3.0, 4.0], "y": 1, "id": "b"}]
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n\n")
    ds = JSONLinesDataset(str(path), fields=["x", "y"])
    assert len(ds) == 2 and set(ds[0]) == {"x", "y"}
    batch = next(iter(DataLoader(ds, batch_size=2)))
    assert batch["x"].shape == (2, 2) and batch["x"].dtype == ember.float32
    assert batch["y"].tolist() == [0, 1]
    assert JSONLinesDataset(str(path))[1]["id"] == "b"


def test_jsonlines_errors(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"x": 1}\n{"x": \n')
    with pytest.raises(ValueError, match="line 2 is not valid JSON"):
        JSONLinesDataset(str(path))
    path.write_text('{"x": 1}\n{"y": 2}\n')
    with pytest.raises(KeyError, match=r"line 2 lacks fields \['x'\]"):
        JSONLinesDataset(str(path), fields=["x"])
