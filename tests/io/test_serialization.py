"""ember.io.save / load: nested checkpoints round-trip exactly, atomically, without pickle."""

import io
import json
import math
import os
from collections import OrderedDict

import ml_dtypes
import numpy as np
import pytest
import safetensors
import safetensors.numpy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.io import CheckpointError, load, read_metadata, save
from ember.io import safetensors_io

ALL_DTYPES = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64",
              "uint8", "bool"]


def assert_same_tree(got, want, path="root"):
    """Fail unless ``got`` has exactly the structure, types and bits of ``want``."""
    assert type(got) is type(want), f"{path}: type {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, dict):
        assert [(type(k), k) for k in got] == [(type(k), k) for k in want], f"{path}: keys"
        for k in want:
            assert_same_tree(got[k], want[k], f"{path}[{k!r}]")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same_tree(g, w, f"{path}[{i}]")
    elif isinstance(want, ember.Tensor):
        assert (got.dtype, got.shape) == (want.dtype, want.shape), path
        assert got.device == ember.device("cpu")
        assert got.requires_grad == want.requires_grad, path
        assert_same_bits(got.detach().numpy(), want.detach().numpy(), path)
    elif isinstance(want, np.ndarray):
        assert (got.dtype, got.shape) == (want.dtype, want.shape), path
        assert_same_bits(got, want, path)
    elif isinstance(want, float) and math.isnan(want):
        assert math.isnan(got), path
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


def assert_same_bits(got, want, path="array"):
    """Equal bytes in row-major order: NaN-safe, and tells -0.0 from 0.0."""
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes(), path


def random_tensor(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        a = rng.random(shape) < 0.5
    elif dtype in ("float16", "bfloat16", "float32", "float64"):
        a = rng.standard_normal(shape).astype(np.dtype(ml_dtypes.bfloat16 if dtype == "bfloat16"
                                                       else dtype))
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    return ember.from_numpy(np.asarray(a))  # rng gives numpy scalars for shape ()


def round_trip(obj, tmp_path, **save_kwargs):
    path = tmp_path / "ckpt.safetensors"
    save(obj, path, **save_kwargs)
    return load(path)


# ---- tensors --------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)])
def test_every_dtype_and_shape_round_trips(tmp_path, dtype, shape):
    state = {"w": random_tensor(dtype, shape)}
    out = round_trip(state, tmp_path)
    assert_same_tree(out, state)
    assert out["w"].dtype == getattr(ember, dtype)


def test_special_float_values_keep_their_bits(tmp_path):
    a = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-45, 6e4], np.float32)
    state = {name: ember.from_numpy(a.astype(np.dtype(name))) for name in
             ("float16", ml_dtypes.bfloat16.__name__, "float32", "float64")}
    assert_same_tree(round_trip(state, tmp_path), state)


def test_non_contiguous_tensors_are_saved_as_their_values(tmp_path):
    base = ember.arange(24, dtype=ember.float32).reshape(2, 3, 4)
    state = {"t": base.transpose(0, 2), "step": base[:, ::2, 1:], "T": base[0].T}
    assert not state["t"].is_contiguous()
    out = round_trip(state, tmp_path)
    for k in state:
        np.testing.assert_array_equal(out[k].numpy(), state[k].numpy())
        assert out[k].shape == state[k].shape and out[k].is_contiguous()


def test_loaded_tensors_are_writable_and_independent_of_the_file(tmp_path):
    state = {"w": ember.ones(3)}
    out = round_trip(state, tmp_path)
    out["w"].add_(1)  # in-place: needs writable memory
    np.testing.assert_array_equal(out["w"].numpy(), [2, 2, 2])
    np.testing.assert_array_equal(load(tmp_path / "ckpt.safetensors")["w"].numpy(), [1, 1, 1])


def test_requires_grad_is_kept_and_grad_tensors_save(tmp_path):
    w = ember.randn(2, 2, requires_grad=True)
    out = round_trip({"w": w, "y": w * 2, "d": w.detach()}, tmp_path)
    assert out["w"].requires_grad and out["w"].is_leaf
    assert not out["d"].requires_grad
    assert out["y"].requires_grad and out["y"].is_leaf  # as torch.load gives a saved non-leaf
    np.testing.assert_array_equal(out["y"].detach().numpy(), (w * 2).detach().numpy())


def test_a_tensor_saved_twice_is_stored_once_and_loads_as_one(tmp_path):
    w = ember.randn(4, 4)
    out = round_trip({"wte.weight": w, "lm_head.weight": w}, tmp_path)
    assert out["wte.weight"] is out["lm_head.weight"]
    assert list(safetensors.numpy.load_file(tmp_path / "ckpt.safetensors")) == ["wte.weight"]


def test_parameters_save_as_plain_tensors(tmp_path):
    p = ember.nn.Parameter(ember.randn(3))
    out = round_trip({"p": p}, tmp_path)
    assert type(out["p"]) is ember.Tensor and out["p"].requires_grad


# ---- structures -------------------------------------------------------------------

def torch_adamw_state_dict_in_ember():
    """A real torch AdamW state_dict with every tensor converted to Ember, layout kept."""
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99))
    model(torch.randn(4, 3)).sum().backward()
    opt.step()

    def convert(x):
        if isinstance(x, torch.Tensor):
            return ember.from_numpy(x.detach().numpy().copy())
        if isinstance(x, dict):
            return type(x)((k, convert(v)) for k, v in x.items())
        if isinstance(x, (list, tuple)):
            return type(x)(convert(v) for v in x)
        return x
    return convert(model.state_dict()), convert(opt.state_dict())


def test_full_training_checkpoint_round_trips(tmp_path):
    model_state, optim_state = torch_adamw_state_dict_in_ember()
    assert isinstance(optim_state["state"][0]["step"], ember.Tensor)  # torch's layout
    ckpt = {
        "model": model_state,
        "optimizer": optim_state,
        "epoch": 3,
        "best_loss": 0.125,
        "rng": {"ember": ember.get_rng_state(), "numpy": np.random.get_state()},
        "args": {"name": "run-1", "layers": [4, 8], "shape": (2, (3, None)), "flag": False},
    }
    out = round_trip(ckpt, tmp_path)
    assert_same_tree(out, ckpt)
    assert out["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.99)
    assert type(out["model"]) is OrderedDict  # torch's state_dict type is kept
    # Names follow the tree, so other tools see readable keys:
    names = set(safetensors.numpy.load_file(tmp_path / "ckpt.safetensors"))
    assert {"model.weight", "model.bias", "optimizer.state.0.exp_avg",
            "optimizer.state.1.exp_avg_sq", "optimizer.state.0.step", "rng.numpy.1"} <= names


def test_flat_state_dict_keeps_exact_names_in_the_file(tmp_path):
    state = OrderedDict([("encoder.layers.0.attn.in_proj_weight", ember.randn(6, 2)),
                         ("encoder.layers.0.attn.in_proj_bias", ember.zeros(6))])
    assert_same_tree(round_trip(state, tmp_path), state)
    assert set(safetensors.numpy.load_file(tmp_path / "ckpt.safetensors")) == set(state)


def test_colliding_names_are_kept_apart(tmp_path):
    a, b, c = ember.ones(1), ember.zeros(1), ember.full((1,), 2.0)
    ckpt = {"a.b": a, "a": {"b": b}, "x": [c], "x.0": a.clone(), "__metadata__": b.clone()}
    assert_same_tree(round_trip(ckpt, tmp_path), ckpt)


def test_a_bare_tensor_and_plain_values_can_be_saved(tmp_path):
    assert_same_tree(round_trip(ember.arange(3), tmp_path), ember.arange(3))
    for value in (3, None, "x", [1, 2.5], (), {}, {1: {2: "a"}}, float("-inf"), 2 ** 80):
        assert_same_tree(round_trip(value, tmp_path), value)


def test_numpy_arrays_come_back_as_numpy(tmp_path):
    ckpt = {"a": np.arange(5, dtype=np.uint32), "b": np.ones((2, 2), ">f8")[:, 0],
            "c": np.array(2.0, np.float32)}
    out = round_trip(ckpt, tmp_path)
    assert isinstance(out["a"], np.ndarray) and out["a"].dtype == np.uint32
    np.testing.assert_array_equal(out["b"], [1.0, 1.0])
    assert out["c"].shape == ()


def test_key_types_survive_json(tmp_path):
    ckpt = {0: "int", "0": "str", True: "bool", -5: {10 ** 20: (1, [2])}}
    out = round_trip(ckpt, tmp_path)
    assert_same_tree(out, ckpt)


_leaves = (st.none() | st.booleans() | st.integers() | st.text(max_size=5)
           | st.floats(allow_nan=False) | st.sampled_from(ALL_DTYPES).map(
               lambda d: random_tensor(d, (2,))))
_trees = st.recursive(_leaves, lambda children: (
    st.lists(children, max_size=3) | st.lists(children, max_size=3).map(tuple)
    | st.dictionaries(st.text(max_size=4) | st.integers(-3, 3), children, max_size=3)),
    max_leaves=12)


@settings(max_examples=40, deadline=None)
@given(_trees)
def test_any_supported_tree_round_trips(tree):
    buf = io.BytesIO()
    save(tree, buf)
    assert_same_tree(load(io.BytesIO(buf.getvalue())), tree)


# ---- files, metadata, devices ------------------------------------------------------

def test_file_objects_and_pathlike_and_str_paths(tmp_path):
    state = {"w": ember.randn(2, 3, dtype=ember.bfloat16)}
    buf = io.BytesIO()
    save(state, buf)
    buf.seek(0)
    assert_same_tree(load(buf), state)
    save(state, str(tmp_path / "a.st"))
    with open(tmp_path / "a.st", "rb") as fh:
        assert fh.read() == buf.getvalue()  # same bytes whichever way it is written
    with open(tmp_path / "b.st", "wb") as fh:
        save(state, fh)
    assert_same_tree(load(str(tmp_path / "b.st")), state)


def test_written_file_is_plain_safetensors(tmp_path):
    state = {"w": random_tensor("float32", (2, 3)), "h": random_tensor("bfloat16", (4,))}
    save({"model": state, "epoch": 1}, tmp_path / "c.st", metadata={"author": "me"})
    arrays = safetensors.numpy.load_file(tmp_path / "c.st")
    assert_same_bits(arrays["model.w"], state["w"].numpy())
    assert arrays["model.h"].dtype == ml_dtypes.bfloat16
    meta = read_metadata(tmp_path / "c.st")
    assert meta["author"] == "me" and json.loads(meta["ember"])["version"] == 1
    with safetensors.safe_open(tmp_path / "c.st", framework="np") as f:
        assert f.metadata()["author"] == "me"


def test_overwriting_an_existing_checkpoint(tmp_path):
    save({"v": ember.zeros(2)}, tmp_path / "c.st")
    save({"v": ember.ones(3)}, tmp_path / "c.st")
    assert load(tmp_path / "c.st")["v"].shape == (3,)
    assert os.listdir(tmp_path) == ["c.st"]


def test_weights_only_is_accepted(tmp_path):
    save({"v": ember.ones(1)}, tmp_path / "c.st")
    assert load(tmp_path / "c.st", weights_only=True)["v"].shape == (1,)


def test_map_location_cpu_forms(tmp_path):
    save({"v": ember.ones(1)}, tmp_path / "c.st")
    for where in (None, "cpu", ember.device("cpu")):
        assert load(tmp_path / "c.st", map_location=where)["v"].device == ember.device("cpu")


@pytest.mark.cuda
def test_cuda_tensors_save_and_load_to_a_gpu(tmp_path):
    w = ember.randn(3, 2, device="cuda")
    save({"w": w, "t": w.T}, tmp_path / "c.st")
    out = load(tmp_path / "c.st", map_location="cuda")
    assert out["w"].device.type == "cuda"
    np.testing.assert_array_equal(out["t"].cpu().numpy(), w.T.cpu().numpy())
    assert load(tmp_path / "c.st")["w"].device == ember.device("cpu")


# ---- atomic writes -------------------------------------------------------------------

@pytest.mark.parametrize("failure", [OSError("No space left on device"), KeyboardInterrupt()])
def test_a_failed_save_leaves_the_old_checkpoint_and_no_temp_file(tmp_path, monkeypatch, failure):
    path = tmp_path / "model.safetensors"
    save({"w": ember.zeros(4)}, path)
    before = path.read_bytes()

    def crash_midway(arrays, filename, metadata=None):
        with open(filename, "wb") as fh:  # a partial file, as a crash would leave
            fh.write(b"\x40\x00\x00\x00\x00\x00\x00\x00{\"w\":")
        raise failure

    monkeypatch.setattr(safetensors_io.safetensors_numpy, "save_file", crash_midway)
    with pytest.raises(type(failure)):
        save({"w": ember.ones(4)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]
    monkeypatch.undo()
    np.testing.assert_array_equal(load(path)["w"].numpy(), np.zeros(4, np.float32))


def test_a_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    def fail(arrays, filename, metadata=None):
        raise OSError("disk full")
    monkeypatch.setattr(safetensors_io.safetensors_numpy, "save_file", fail)
    with pytest.raises(OSError, match="disk full"):
        save({"w": ember.ones(1)}, tmp_path / "new.st")
    assert os.listdir(tmp_path) == []


# ---- save errors -----------------------------------------------------------------------

@pytest.mark.parametrize("obj, where, typename", [
    ({"model": {"w": {1, 2}}}, "'model.w'", "builtins.set"),
    ({"opt": {"state": {0: {"step": np.int64(3)}}}}, "'opt.state.0.step'", "numpy.int64"),
    ([1, object()], "'1'", "builtins.object"),
    (ember.nn, "the top level", "module"),
    ({"f": lambda: 0}, "'f'", "function"),
])
def test_unsupported_objects_name_key_path_and_type(obj, where, typename):
    with pytest.raises(TypeError, match=f"save: cannot save an object of type .*{typename}.* "
                                        f"at {where}; supported: dict"):
        save(obj, io.BytesIO())


def test_bad_dict_keys_and_array_dtypes():
    with pytest.raises(TypeError, match=r"dict keys must be str or int, got float 1.5 at 'a'"):
        save({"a": {1.5: 0}}, io.BytesIO())
    with pytest.raises(TypeError, match="NumPy array of dtype object"):
        save({"a": np.array([None])}, io.BytesIO())


def test_bad_metadata():
    with pytest.raises(TypeError, match="metadata must map str to str, got str 'epoch' -> int"):
        save({}, io.BytesIO(), metadata={"epoch": 3})
    with pytest.raises(ValueError, match="metadata key 'ember' is reserved"):
        save({}, io.BytesIO(), metadata={"ember": "x"})
    with pytest.raises(TypeError, match="metadata must be a dict"):
        save({}, io.BytesIO(), metadata=[("a", "b")])


def test_bad_destinations(tmp_path):
    with pytest.raises(FileNotFoundError, match="save: cannot write .*no_dir.* does not exist"):
        save({}, tmp_path / "no_dir" / "c.st")
    with pytest.raises(TypeError, match="expected a path .* or a binary file object .* got int"):
        save({}, 3)


def test_bad_map_location(tmp_path):
    save({"v": ember.ones(1)}, tmp_path / "c.st")
    with pytest.raises(TypeError, match="load: map_location must be a device string"):
        load(tmp_path / "c.st", map_location={"cuda:0": "cpu"})
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="load: map_location='cuda' but CUDA is not avail"):
            load(tmp_path / "c.st", map_location="cuda")


# ---- damaged structure records ---------------------------------------------------------

def write_with_record(path, record_text, tensors=None):
    arrays = tensors or {"w": np.zeros(2, np.float32)}
    safetensors.numpy.save_file(arrays, path, metadata={"ember": record_text})


@pytest.mark.parametrize("record, message", [
    ("{not json", "structure record .* is not valid JSON"),
    ('{"format": "other", "tree": 1}', "does not hold an Ember checkpoint record"),
    ('{"format": "ember.checkpoint", "version": 99, "tree": 1}', "format version 99; this Ember"),
    ('{"format": "ember.checkpoint", "version": 1, "tree": {"type": "tensor", "key": "gone"}}',
     "has no tensor 'gone', which its structure record refers to"),
    ('{"format": "ember.checkpoint", "version": 1, "tree": {"type": "set", "items": []}}',
     "unknown node type 'set'"),
    ('{"format": "ember.checkpoint", "version": 1, "tree": {"type": "dict", "items": 5}}',
     "structure record .* is damaged"),
])
def test_damaged_records_raise_checkpoint_error(tmp_path, record, message):
    path = tmp_path / "bad.st"
    write_with_record(path, record)
    with pytest.raises(CheckpointError, match=f"^load: .*{message}") as info:
        load(path)
    assert str(path) in str(info.value)
