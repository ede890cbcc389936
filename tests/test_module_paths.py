"""Module paths PyTorch scripts import from, against torch: ``ember.utils.data`` (the
same objects as ``ember.data``), ``ember.backends`` flags, and the ``ember.cuda``
helpers without a GPU."""

import importlib
import warnings

import pytest
import torch
import torch.backends.cudnn
import torch.utils.data

import ember
import ember.backends.cudnn

NO_CUDA = not ember.cuda.is_available()


# ---- ember.utils.data ------------------------------------------------------------

def test_utils_data_is_ember_data():
    import ember.utils.data
    assert ember.utils.data is ember.data


@pytest.mark.parametrize("name", ["DataLoader", "Dataset", "TensorDataset", "random_split",
                                  "Subset", "ConcatDataset", "ChainDataset", "IterableDataset",
                                  "default_collate", "default_convert", "get_worker_info",
                                  "Sampler", "SequentialSampler", "RandomSampler",
                                  "SubsetRandomSampler", "WeightedRandomSampler",
                                  "BatchSampler"])
def test_utils_data_names_are_ember_datas_and_torch_has_them(name):
    ns = {}
    exec(f"from ember.utils.data import {name} as ours", ns)  # the import statement itself
    assert ns["ours"] is getattr(ember.data, name)
    assert hasattr(torch.utils.data, name)


@pytest.mark.parametrize("sub, names", [
    ("dataloader", ["DataLoader", "default_collate"]),
    ("dataset", ["Dataset", "TensorDataset", "Subset", "random_split"]),
    ("sampler", ["Sampler", "RandomSampler", "BatchSampler", "WeightedRandomSampler"]),
])
def test_utils_data_submodule_paths(sub, names):
    ours = importlib.import_module(f"ember.utils.data.{sub}")
    assert ours is importlib.import_module(f"ember.data.{sub}")
    ref = importlib.import_module(f"torch.utils.data.{sub}")
    for name in names:
        if hasattr(ref, name):  # the name as scripts import it from torch's submodule
            assert getattr(ours, name) is getattr(ember.data, name)


def test_utils_data_runs_a_loader():
    ds = ember.utils.data.TensorDataset(ember.arange(6.0), ember.arange(6))
    batches = list(ember.utils.data.DataLoader(ds, batch_size=4))
    assert [b[0].tolist() for b in batches] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]


# ---- ember.backends -------------------------------------------------------------

@pytest.fixture
def restore_flags():
    cudnn, mm = ember.backends.cudnn, ember.backends.cuda.matmul
    saved = dict(cudnn._flags), ember.backends.mkldnn.enabled, ember.get_float32_matmul_precision()
    yield
    cudnn._flags.update(saved[0])
    ember.backends.mkldnn.enabled = saved[1]
    ember.set_float32_matmul_precision(saved[2])
    assert mm.allow_tf32 == (saved[2] != "highest")


def test_cudnn_defaults_match_torch():
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(ember.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert ember.backends.cudnn.is_available() is False
    assert ember.backends.cudnn.version() is None


def test_cudnn_flags_are_settable_and_module_import_works(restore_flags):
    import ember.backends.cudnn as cudnn  # the ImageNet example's import
    cudnn.benchmark = True
    cudnn.deterministic = True
    assert ember.backends.cudnn.benchmark is True and ember.backends.cudnn.deterministic is True
    cudnn.enabled = False
    assert cudnn.enabled is False


@pytest.mark.parametrize("name", ["enabled", "benchmark", "deterministic", "allow_tf32"])
def test_cudnn_flags_refuse_non_bools_like_torch(name, restore_flags):
    with pytest.raises(RuntimeError, match=f"backends.cudnn.{name}: expected a bool, got int"):
        setattr(ember.backends.cudnn, name, 1)
    with pytest.raises(RuntimeError):
        setattr(torch.backends.cudnn, name, 1)
    assert getattr(ember.backends.cudnn, name) == getattr(torch.backends.cudnn, name)


def test_cudnn_flags_context_restores(restore_flags):
    with ember.backends.cudnn.flags(enabled=False, benchmark=True):
        assert ember.backends.cudnn.enabled is False and ember.backends.cudnn.benchmark is True
        assert ember.backends.cudnn.allow_tf32 is True
    assert ember.backends.cudnn.enabled is True and ember.backends.cudnn.benchmark is False
    with pytest.raises(RuntimeError, match="expected a bool"):
        with ember.backends.cudnn.flags(benchmark="yes"):
            pass
    assert ember.backends.cudnn.benchmark is False


def test_matmul_allow_tf32_follows_the_float32_precision_like_torch(restore_flags):
    mm, tmm = ember.backends.cuda.matmul, torch.backends.cuda.matmul
    assert mm.allow_tf32 is tmm.allow_tf32 is False
    for precision in ("high", "medium", "highest"):
        ember.set_float32_matmul_precision(precision)
        torch.set_float32_matmul_precision(precision)
        assert mm.allow_tf32 == tmm.allow_tf32, precision
    mm.allow_tf32 = True
    assert ember.get_float32_matmul_precision() == "high"
    mm.allow_tf32 = False
    assert ember.get_float32_matmul_precision() == "highest"
    assert mm.allow_fp16_reduced_precision_reduction is tmm.allow_fp16_reduced_precision_reduction
    mm.allow_bf16_reduced_precision_reduction = False
    assert mm.allow_bf16_reduced_precision_reduction is False
    mm.allow_bf16_reduced_precision_reduction = True


def test_matmul_refuses_unknown_attributes_and_non_bools_like_torch():
    mm = ember.backends.cuda.matmul
    for lib_mm in (mm, torch.backends.cuda.matmul):
        with pytest.raises(AttributeError, match="Unknown attribute foo"):
            lib_mm.foo = True
        with pytest.raises(AttributeError, match="Unknown attribute bar"):
            lib_mm.bar
    with pytest.raises(RuntimeError, match="backends.cuda.matmul.allow_tf32: expected a bool, "
                                           "got int"):
        mm.allow_tf32 = 1
    with pytest.raises(RuntimeError):
        torch.backends.cuda.matmul.allow_tf32 = 1


def test_other_backends_answer_like_a_cpu_build(restore_flags):
    b = ember.backends
    assert b.mps.is_available() is torch.backends.mps.is_available() is False
    assert b.mps.is_built() is torch.backends.mps.is_built() is False
    # Ember has no oneDNN kernels nor OpenMP code of its own (torch has both)
    assert b.mkldnn.is_available() is False and b.openmp.is_available() is False
    assert b.mkldnn.enabled is torch.backends.mkldnn.enabled is True
    b.mkldnn.enabled = False
    assert b.mkldnn.enabled is False
    with pytest.raises(RuntimeError, match="backends.mkldnn.enabled: expected a bool, got int"):
        b.mkldnn.enabled = 3
    assert b.cuda.is_built() in (True, False)
    if NO_CUDA:
        assert b.cuda.is_built() == (importlib.util.find_spec("cupy") is not None)


# ---- ember.cuda without a GPU ---------------------------------------------------

needs_no_cuda = pytest.mark.skipif(not NO_CUDA, reason="behaviour without a GPU")


@needs_no_cuda
def test_cuda_no_ops_like_torch():
    for lib in (ember, torch):
        assert lib.cuda.manual_seed_all(0) is None
        assert lib.cuda.manual_seed(0) is None
        assert lib.cuda.empty_cache() is None
        assert lib.cuda.memory_allocated() == 0 and lib.cuda.memory_allocated(0) == 0
        assert lib.cuda.max_memory_allocated() == 0
        assert lib.cuda.memory_reserved() == 0
        assert lib.cuda.is_bf16_supported() is False
        assert lib.cuda.set_device(-1) is None
        assert lib.cuda.device_count() == 0
        assert lib.cuda.seed() is None and lib.cuda.seed_all() is None


@needs_no_cuda
def test_cuda_seeding_without_a_gpu_leaves_the_cpu_stream_alone():
    ember.manual_seed(1)
    a = ember.rand(3)
    ember.manual_seed(1)
    ember.cuda.manual_seed(2)
    ember.cuda.manual_seed_all(3)
    assert ember.rand(3).tolist() == a.tolist()


def test_cuda_manual_seed_takes_ints_only_like_torch():
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="invalid literal"):
            lib.cuda.manual_seed_all("a")


@needs_no_cuda
@pytest.mark.parametrize("call", [lambda c: c.current_device(), lambda c: c.get_device_name(),
                                  lambda c: c.get_device_name(0),
                                  lambda c: c.get_device_capability()])
def test_cuda_queries_raise_without_a_gpu_like_torch(call):
    with pytest.raises(AssertionError):  # torch's CPU build; its CUDA build raises RuntimeError
        call(torch.cuda)
    with pytest.raises(AssertionError, match="CUDA is not available"):
        call(ember.cuda)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        call(ember.cuda)


@needs_no_cuda
@pytest.mark.parametrize("call", [lambda c: c.set_device(0), lambda c: c.set_device("cuda:0"),
                                  lambda c: c.reset_peak_memory_stats()])
def test_cuda_calls_that_need_a_gpu_raise(call):
    # torch's CPU build fails here on a missing binding (AttributeError); a CUDA
    # build without a GPU raises RuntimeError, which Ember's error also is.
    with pytest.raises(AttributeError):
        call(torch.cuda)
    with pytest.raises(RuntimeError, match=r"ember\.cuda\.\w+: CUDA is not available"):
        call(ember.cuda)


def test_cuda_set_device_refuses_a_cpu_device_like_torch():
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        torch.cuda.set_device("cpu")
    with pytest.raises(ValueError, match="set_device: expected a cuda device, got cpu"):
        ember.cuda.set_device("cpu")


def test_cuda_is_a_module_with_pytorchs_amp_path_and_anomaly_names_at_top_level():
    assert importlib.import_module("ember.cuda") is ember.cuda
    with pytest.warns(FutureWarning, match=r"ember.cuda.amp.GradScaler\(args...\) is deprecated"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "CUDA is not available"
        scaler = ember.cuda.amp.GradScaler(init_scale=8.0)
    # Disabled (with a warning) without CUDA, as PyTorch's.
    assert isinstance(scaler, ember.amp.GradScaler)
    assert scaler.is_enabled() == ember.cuda.is_available()
    assert ember.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"), \
            ember.autograd.detect_anomaly():
        assert ember.is_anomaly_enabled() and ember.is_anomaly_check_nan_enabled()
