"""Tabular readers: CSV files (features + target column) and JSON Lines files."""

import csv
import json

import numpy as np

from ember.data.dataset import Dataset
from ember.ops.creation import tensor


def _column_index(column, header, n_columns, name):
    if isinstance(column, str):
        if header is None:
            raise ValueError(f"CSVDataset: {name} {column!r} is a name, but header=False")
        if column not in header:
            raise KeyError(f"CSVDataset: {name} {column!r} is not a column; columns are {header}")
        return header.index(column)
    if not -n_columns <= column < n_columns:
        raise IndexError(f"CSVDataset: {name} {column} out of range for {n_columns} columns")
    return column % n_columns


class CSVDataset(Dataset):
    """Rows of a CSV file as ``(features, target)``.

    Args:
        path: the CSV file.
        target_column: the target's column, by name (needs a header) or index.
            Default: the last column.
        feature_columns: feature columns by name or index; default: every
            column but the target.
        header: the first row holds column names (``columns``).
        delimiter: the field separator.
        dtype: the features' ember dtype (default float32).
        transform: applied to each feature tensor.
        target_transform: applied to each target.

    Targets: integers become int64 values, other numbers float32, and text
    becomes a class index into ``classes`` (the sorted distinct labels).
    Each sample is ``(features tensor, NumPy scalar target)``, so
    ``default_collate`` gives an int64 or float32 batch.
    """

    def __init__(self, path, target_column=-1, feature_columns=None, header=True, delimiter=",",
                 dtype="float32", transform=None, target_transform=None):
        with open(path, newline="") as f:
            rows = [r for r in csv.reader(f, delimiter=delimiter) if r]
        self.columns = rows.pop(0) if header and rows else None
        if not rows:
            raise ValueError(f"CSVDataset: {path} has no data rows")
        n = len(rows[0])
        for i, r in enumerate(rows):
            if len(r) != n:
                raise ValueError(f"CSVDataset: {path} row {i + 1 + bool(header)} has {len(r)} "
                                 f"fields, expected {n}")
        target = _column_index(target_column, self.columns, n, "target_column")
        if feature_columns is None:
            features = [c for c in range(n) if c != target]
        else:
            features = [_column_index(c, self.columns, n, "feature_columns") for c in
                        feature_columns]
        try:
            values = np.array([[float(r[c]) for c in features] for r in rows], dtype=np.float64)
        except ValueError as e:
            raise ValueError(f"CSVDataset: a feature in {path} is not a number ({e})") from None
        self.features = tensor(values, dtype=dtype)
        self.targets, self.classes = _parse_targets([r[target] for r in rows])
        self.transform, self.target_transform = transform, target_transform

    def __getitem__(self, index):
        x, y = self.features[index], self.targets[index]
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def __len__(self):
        return len(self.targets)


def _parse_targets(texts):
    for kind in (np.int64, np.float32):
        try:
            cast = int if kind is np.int64 else float
            return np.array([cast(t) for t in texts], dtype=kind), None
        except ValueError:
            continue
    classes = sorted(set(texts))
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[t] for t in texts], dtype=np.int64), classes


class JSONLinesDataset(Dataset):
    """One JSON object per line of a file; each sample is a dict of (selected) fields.

    Args:
        path: the .jsonl file; blank lines are skipped.
        fields: the keys to keep (every object must have them); default all.
        transform: applied to each sample dict.

    Lists of numbers become NumPy arrays, so ``default_collate`` stacks them
    into one tensor instead of transposing them into a list of tensors.
    """

    def __init__(self, path, fields=None, transform=None):
        self.records = []
        with open(path) as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"JSONLinesDataset: {path} line {line_no} is not valid "
                                     f"JSON ({e})") from None
                if not isinstance(obj, dict):
                    raise ValueError(f"JSONLinesDataset: {path} line {line_no} holds a "
                                     f"{type(obj).__name__}, expected an object")
                if fields is not None:
                    missing = [k for k in fields if k not in obj]
                    if missing:
                        raise KeyError(f"JSONLinesDataset: {path} line {line_no} lacks fields "
                                       f"{missing}")
                    obj = {k: obj[k] for k in fields}
                self.records.append({k: _numeric_lists_to_arrays(v) for k, v in obj.items()})
        self.transform = transform

    def __getitem__(self, index):
        sample = self.records[index]
        return self.transform(sample) if self.transform is not None else dict(sample)

    def __len__(self):
        return len(self.records)


def _numeric_lists_to_arrays(value):
    if isinstance(value, list) and value:
        arr = np.asarray(value)
        if arr.dtype.kind in "biuf":
            return arr.astype(np.float32) if arr.dtype.kind == "f" else arr
    return value
