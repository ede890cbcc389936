"""Layers PyTorch programs wrap their models in: DataParallel and SyncBatchNorm
(and its convert_sync_batchnorm), against PyTorch."""

import numpy as np
import pytest
import torch

import ember
from ember import nn
from reference import close, rand


def load_from(ours, ref):
    """Copy a torch module's state into the matching Ember one (float64)."""
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in
                          ref.state_dict().items()})
    return ours


def both(a):
    return ember.tensor(a), torch.tensor(a)


# ---------------------------------------------------------------- DataParallel

def _mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(),
                             lib.nn.Linear(4, 2)).double()


def test_data_parallel_on_cpu_runs_the_module_like_torch():
    ref = torch.nn.DataParallel(_mlp(torch))
    dp = nn.DataParallel(load_from(_mlp(ember), ref.module))
    assert dp.device_ids == ref.device_ids == []
    assert dp.module is dp._modules["module"]
    assert repr(dp).replace("ember.", "") == repr(ref).replace("torch.", "")
    x, xt = both(rand((5, 3), 1))
    y, yt = dp(x), ref(xt)
    close(y, yt)
    params = list(dp.parameters())
    params_t = list(ref.parameters())
    up = rand((5, 2), 2)
    for g, gt in zip(ember.autograd.grad(y, params, ember.tensor(up)),
                     torch.autograd.grad(yt, params_t, torch.tensor(up))):
        close(g, gt)
    close(dp.module[1].running_mean, ref.module[1].running_mean)  # training-mode side effects
    dp.eval()
    assert not dp.module[1].training


def test_data_parallel_checkpoints_load_both_ways():
    ref = torch.nn.DataParallel(_mlp(torch))
    dp = nn.DataParallel(_mlp(ember))
    assert list(dp.state_dict()) == list(ref.state_dict())
    assert all(k.startswith("module.") for k in dp.state_dict())
    # torch's checkpoint into ours, and ours into a fresh torch DataParallel
    load_from(dp, ref)
    for (k, v), (kt, vt) in zip(dp.state_dict().items(), ref.state_dict().items()):
        assert k == kt
        close(v, vt)
    back = torch.nn.DataParallel(_mlp(torch))
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in dp.state_dict().items()})
    x, xt = both(rand((5, 3), 3))
    dp.eval()
    back.eval()
    close(dp(x), back(xt))
    # the unwrapped model's keys have no prefix: what a plain model loads
    plain = load_from(_mlp(ember), ref.module)
    assert list(plain.state_dict()) == list(dp.module.state_dict())
    with pytest.raises(RuntimeError, match="Missing key"):
        _mlp(ember).load_state_dict(dp.state_dict())


def test_data_parallel_passes_kwargs_and_nested_outputs():
    class Two(nn.Module):
        def forward(self, a, b=None, *, scale=1.0):
            return {"sum": (a + b) * scale, "pair": (a, b)}

    dp = nn.DataParallel(Two(), dim=1)
    a, b = ember.ones(2, 3), ember.zeros(2, 3)
    out = dp(a, b=b, scale=2.0)
    assert out["pair"][0] is a and float(out["sum"].sum()) == 12.0
    assert dp.dim == 1


def test_data_parallel_gpu_paths_without_a_gpu(monkeypatch):
    # Pretend CUDA is present to exercise the device bookkeeping.
    monkeypatch.setattr(ember.cuda, "is_available", staticmethod(lambda: True))
    monkeypatch.setattr(ember.cuda, "device_count", staticmethod(lambda: 2))
    with pytest.raises(NotImplementedError, match=r"DataParallel: running on 2 GPUs \[0, 1\] "
                                                  r"is not supported yet"):
        nn.DataParallel(nn.Linear(2, 2))
    dp = nn.DataParallel(nn.Linear(2, 2), device_ids=["cuda:1"])
    assert dp.device_ids == [1] and dp.output_device == 1
    with pytest.raises(RuntimeError, match=r"module must have its parameters and buffers on "
                                           r"device cuda:1 \(device_ids\[0\]\) but found one of "
                                           r"them on device: cpu"):
        dp(ember.zeros(1, 2))
    with pytest.raises(ValueError, match="DataParallel: expected a cuda device or a GPU index, "
                                         "got 'cpu'"):
        nn.DataParallel(nn.Linear(2, 2), device_ids=["cpu"])


def test_data_parallel_rejects_a_non_module():
    with pytest.raises(TypeError, match="DataParallel: expected module to be an "
                                        "ember.nn.Module, got int"):
        nn.DataParallel(3)


# ---------------------------------------------------------------- SyncBatchNorm

@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 2), (2, 3, 2, 2, 3),
                                   (2, 3, 2, 1, 2, 2)])
@pytest.mark.parametrize("kwargs", [{}, dict(affine=False), dict(momentum=None),
                                    dict(track_running_stats=False, eps=1e-3)])
def test_sync_batch_norm_matches_torch(shape, kwargs):
    ref = torch.nn.SyncBatchNorm(3, **kwargs).double()
    ours = load_from(nn.SyncBatchNorm(3, **kwargs).double(), ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert repr(ours) == repr(ref)
    for step in range(2):
        a = rand(shape, step)
        x, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, yt = ours(x), ref(xt)
        close(y, yt)
        up = rand(shape, 10 + step)
        close(ember.autograd.grad(y, x, ember.tensor(up))[0],
              torch.autograd.grad(yt, xt, torch.tensor(up))[0])
    for (k, v), vt in zip(ours.state_dict().items(), ref.state_dict().values()):
        close(v, vt, what=k)
    ours.eval()
    ref.eval()
    x, xt = both(rand(shape, 5))
    close(ours(x), ref(xt))


def test_sync_batch_norm_is_batch_norm_in_one_process():
    a = rand((4, 3, 5), 0)
    sync, plain = nn.SyncBatchNorm(3).double(), nn.BatchNorm1d(3).double()
    close(sync(ember.tensor(a)), plain(ember.tensor(a)).detach().numpy())
    close(sync.running_var, plain.running_var.numpy())


def test_sync_batch_norm_errors():
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        nn.SyncBatchNorm(3)(ember.zeros(3))
    with pytest.raises(NotImplementedError, match="SyncBatchNorm: process groups are not "
                                                  "supported yet"):
        nn.SyncBatchNorm(3, process_group=object())


def _model(lib):
    return lib.nn.Sequential(
        lib.nn.Conv2d(2, 3, 1), lib.nn.BatchNorm2d(3),
        lib.nn.Sequential(lib.nn.Flatten(), lib.nn.BatchNorm1d(12, affine=False, momentum=0.3)),
        lib.nn.InstanceNorm1d(2)).double()  # (C=2, L=12) unbatched


def test_convert_sync_batchnorm_matches_torch():
    ref = _model(torch)
    ref[2][1].eval()
    ours = load_from(_model(ember), ref)
    ours[2][1].eval()
    old_weight, old_mean = ours[1].weight, ours[1].running_mean
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(ours)
    conv_t = torch.nn.SyncBatchNorm.convert_sync_batchnorm(ref)
    assert conv is ours  # converted in place below the top
    assert repr(conv).replace("ember.", "") == repr(conv_t).replace("torch.", "")
    assert type(conv[1]) is nn.SyncBatchNorm and type(conv[2][1]) is nn.SyncBatchNorm
    assert type(conv[3]) is nn.InstanceNorm1d
    assert conv[1].weight is old_weight and conv[1].running_mean is old_mean
    assert [m.training for m in conv.modules()] == [m.training for m in conv_t.modules()]
    assert list(conv.state_dict()) == list(conv_t.state_dict())
    x, xt = both(rand((2, 2, 2, 2), 1))
    close(conv(x), conv_t(xt))
    for (k, v), vt in zip(conv.state_dict().items(), conv_t.state_dict().values()):
        close(v, vt, what=k)


def test_convert_sync_batchnorm_of_a_bare_batch_norm():
    bn = nn.BatchNorm3d(2, eps=1e-3, track_running_stats=False)
    bn.eval()
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(bn)
    assert type(sync) is nn.SyncBatchNorm and sync is not bn
    assert sync.eps == 1e-3 and not sync.training and sync.running_mean is None
    assert nn.SyncBatchNorm.convert_sync_batchnorm(sync) is sync
    assert np.array_equal(sync.weight.detach().numpy(), bn.weight.detach().numpy())


# ---------------------------------------------------------------- Container

def test_container_is_deprecated_and_registers_its_modules():
    with pytest.warns(FutureWarning, match=r"`nn.Container` is deprecated. All of its "
                                           r"functionality is now implemented in `nn.Module`"):
        c = nn.Container(a=nn.Linear(2, 3), b=nn.ReLU())
    with pytest.warns(FutureWarning):
        ref = torch.nn.Container(a=torch.nn.Linear(2, 3), b=torch.nn.ReLU())
    assert repr(c) == repr(ref)
    assert list(c.state_dict()) == list(ref.state_dict())
    assert isinstance(c, nn.Module) and c.a is c._modules["a"]
    with pytest.raises(NotImplementedError, match="missing the required \"forward\" function"):
        c(ember.zeros(2))
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        with pytest.warns(FutureWarning):
            nn.Container(a=3)
