"""Flat safetensors files: PyTorch interop and every way a file can be bad."""

import io
import json
import struct

import ml_dtypes
import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import ember
from ember.io import (CheckpointError, CheckpointNotFoundError, load, load_safetensors,
                      read_metadata, save, save_safetensors)

TORCH_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8,
                torch.int16, torch.int32, torch.int64, torch.uint8, torch.bool]


def bits(a):
    """Raw bytes of an array, row-major (compares bfloat16 and NaN exactly)."""
    return np.ascontiguousarray(a).tobytes()


def torch_bits(t):
    # .numpy() refuses bfloat16: reinterpret as int16 first.
    t = t.contiguous()
    return bits(t.view(torch.int16).numpy() if t.dtype == torch.bfloat16 else t.numpy())


def torch_weights():
    g = torch.Generator().manual_seed(0)
    out = {}
    for i, dt in enumerate(TORCH_DTYPES):
        x = torch.randn(3, 2, generator=g) * 50
        name = f"layers.{i}.{str(dt).split('.')[1]}"
        # Through int64 so uint8 and int8 wrap the same way as the other integers.
        out[name] = x.to(dt) if dt.is_floating_point or dt == torch.bool else x.long().to(dt)
    out["scalar"] = torch.tensor(1.5, dtype=torch.bfloat16)
    out["empty"] = torch.zeros(0, 4, dtype=torch.float16)
    return out


# ---- PyTorch interop ------------------------------------------------------------

@pytest.mark.parametrize("reader", [load_safetensors, load])
def test_reads_pytorch_written_files(tmp_path, reader):
    weights = torch_weights()
    path = tmp_path / "model.safetensors"
    safetensors.torch.save_file(weights, path, metadata={"format": "pt"})
    got = reader(path)
    assert set(got) == set(weights)
    for name, t in weights.items():
        e = got[name]
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], name
        assert e.shape == tuple(t.shape), name
        assert bits(e.numpy()) == torch_bits(t), name
    assert got["scalar"].dtype == ember.bfloat16 and got["scalar"].item() == 1.5
    assert read_metadata(path) == {"format": "pt"}


def test_pytorch_reads_ember_written_files(tmp_path):
    weights = torch_weights()
    ours = {k: ember.from_numpy(v.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
                                if v.dtype == torch.bfloat16 else v.numpy())
            for k, v in weights.items()}
    save_safetensors(ours, tmp_path / "a.st", metadata={"k": "v"})
    save(ours, tmp_path / "b.st")
    for path in (tmp_path / "a.st", tmp_path / "b.st"):
        back = safetensors.torch.load_file(path)
        assert set(back) == set(weights)
        for name, t in weights.items():
            assert back[name].dtype == t.dtype and torch.equal(back[name], t), name


def test_save_and_load_safetensors_round_trip(tmp_path):
    x = ember.arange(12, dtype=ember.float64).reshape(3, 4)
    tensors = {"x.t": x.T, "b": ember.tensor(True), "e": ember.zeros(0, dtype=ember.int8)}
    save_safetensors(tensors, tmp_path / "f.st")
    got = load_safetensors(tmp_path / "f.st")
    for k, t in tensors.items():
        assert got[k].dtype == t.dtype and got[k].shape == t.shape
        assert bits(got[k].numpy()) == bits(t.numpy())
    buf = io.BytesIO()
    save_safetensors(tensors, buf)
    assert buf.getvalue() == (tmp_path / "f.st").read_bytes()
    assert set(load_safetensors(io.BytesIO(buf.getvalue()))) == set(tensors)
    assert read_metadata(tmp_path / "f.st") == {}


def test_save_safetensors_argument_errors():
    with pytest.raises(TypeError, match="save_safetensors: expected a dict .* got list"):
        save_safetensors([ember.ones(1)], io.BytesIO())
    with pytest.raises(TypeError, match="save_safetensors: tensor names must be str, got int 0"):
        save_safetensors({0: ember.ones(1)}, io.BytesIO())
    with pytest.raises(TypeError, match="value for 'w' must be a Tensor, got ndarray"):
        save_safetensors({"w": np.ones(1)}, io.BytesIO())
    with pytest.raises(ValueError, match="'__metadata__' is reserved"):
        save_safetensors({"__metadata__": ember.ones(1)}, io.BytesIO())


def test_unsupported_dtype_in_a_foreign_file(tmp_path):
    safetensors.numpy.save_file({"ids": np.arange(3, dtype=np.uint32)}, tmp_path / "u.st")
    for reader in (load_safetensors, load):  # load: a foreign file's arrays become tensors
        with pytest.raises(CheckpointError, match=f"{reader.__name__}: tensor 'ids' in .*u.st' "
                                                  "has dtype uint32, which Ember tensors cannot"):
            reader(tmp_path / "u.st")
    (tmp_path / "f8.st").write_bytes(
        raw_file({"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}, b"\0\0"))
    for f in (tmp_path / "f8.st", io.BytesIO((tmp_path / "f8.st").read_bytes())):
        with pytest.raises(CheckpointError, match="load: tensor 'w' in .* has dtype F8_E4M3, "
                                                  "which Ember cannot hold .supported: F16, BF16"):
            load(f)


# ---- bad files ---------------------------------------------------------------------

def valid_bytes():
    buf = io.BytesIO()
    save({"w": ember.arange(4, dtype=ember.float32), "epoch": 2}, buf)
    return buf.getvalue()


def raw_file(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


BAD_FILES = {
    "truncated": (lambda: valid_bytes()[:-3],
                  r"not fully covered\); the header places tensor data up to byte \d+ but the "
                  r"file has \d+ bytes \(truncated or padded\?\)"),
    "truncated header": (lambda: valid_bytes()[:40],
                         r"invalid header length\); the header claims \d+ bytes but the file "
                         r"has 32 after its length"),
    "shorter than 8 bytes": (lambda: b"\x10\x00", "shorter than the 8-byte header length"),
    "empty": (lambda: b"", "the file is 0 bytes long"),
    "corrupt header": (lambda: valid_bytes()[:8] + b"#" * (len(valid_bytes()) - 8),
                       "invalid JSON in header"),
    "text file": (lambda: b"this is not a checkpoint at all\n" * 4, "header too large"),
    "torch.save zip": (lambda: b"PK\x03\x04" + b"\x00" * 60, "torch.save\\(\\) file"),
    "bytes don't match shape": (
        lambda: raw_file({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8),
        r"tensor 'w' has shape \[3\] and dtype F32 \(12 bytes\) but its data_offsets "
        r"\[0, 8\] hold 8 bytes"),
    "offsets past the data": (
        lambda: raw_file({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4),
        r"up to byte 77 but the file has 73 bytes"),
    "unknown dtype code": (
        lambda: raw_file({"w": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
        "unknown variant `Q9`"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
@pytest.mark.parametrize("reader", [load, load_safetensors])
def test_bad_files_raise_checkpoint_error_naming_the_file(tmp_path, case, reader):
    make, detail = BAD_FILES[case]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(make())
    with pytest.raises(CheckpointError, match=f"^{reader.__name__}: .*bad.safetensors.* is not a "
                                              f"valid safetensors file .*({detail})") as info:
        reader(path)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    # The same content from a file object gives the same diagnosis:
    with pytest.raises(CheckpointError, match=f"is not a valid safetensors file .*({detail})"):
        reader(io.BytesIO(make()))


def test_missing_file_is_a_checkpoint_and_file_not_found_error(tmp_path):
    path = tmp_path / "nope.safetensors"
    for reader in (load, load_safetensors, read_metadata):
        with pytest.raises(CheckpointNotFoundError, match=f"no such file: '{path}'") as info:
            reader(path)
        assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, CheckpointError)


def test_directory_and_wrong_argument_types(tmp_path):
    with pytest.raises(CheckpointError, match="is a directory, not a safetensors file"):
        load(tmp_path)
    with pytest.raises(TypeError, match="load: expected a path .* got list"):
        load([1])
    with pytest.raises(TypeError, match="returned str from read\\(\\); open the file in binary"):
        load(io.StringIO("abc"))
    with pytest.raises(TypeError, match="load_safetensors: device must be a device string"):
        load_safetensors(tmp_path / "x.st", device=0.5)
