"""``ember.optim.swa_utils`` against ``torch.optim.swa_utils``: averaged weights over a
training run, BatchNorm statistics after ``update_bn``, ``SWALR``'s lr sequence."""

import copy
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.optim import swa_utils
from ember.optim import lr_scheduler as sched
from reference import close, to_np

LIBS = pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])


def swa_of(lib):
    return swa_utils if lib is ember else torch.optim.swa_utils


def build(lib, dtype, batchnorm=False):
    nn = lib.nn
    layers = [nn.Linear(3, 6)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(6))
    layers += [nn.Tanh(), nn.Linear(6, 2)]
    return nn.Sequential(*layers).to(getattr(lib, dtype))


def twin_models(dtype="float64", batchnorm=False):
    torch.manual_seed(0)
    ref = build(torch, dtype, batchnorm)
    ours = build(ember, dtype, batchnorm)
    with ember.no_grad():
        for p, q in zip(ours.parameters(), ref.parameters()):
            p.copy_(ember.tensor(q.detach().numpy()))
    return {ember: ours, torch: ref}


def data(n=6, dtype=np.float64, seed=3):
    r = np.random.default_rng(seed)
    return [(r.normal(size=(8, 3)).astype(dtype), r.normal(size=(8, 2)).astype(dtype))
            for _ in range(n)]


def averaged_run(lib, model, batches, make_averaged):
    """Train with SGD, averaging after each step; per-step averaged state (as numpy)."""
    averaged = make_averaged(swa_of(lib), model)
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    trace = []
    for x, y in batches:
        opt.zero_grad()
        ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean().backward()
        opt.step()
        averaged.update_parameters(model)
        trace.append({k: to_np(v).copy() for k, v in averaged.state_dict().items()})
    return averaged, trace


def compare_traces(ours, ref, rtol=1e-12, atol=1e-12):
    assert len(ours) == len(ref)
    for step, (a, b) in enumerate(zip(ours, ref)):
        assert list(a) == list(b), f"step {step}: state_dict keys"
        for key in a:
            assert a[key].dtype == b[key].dtype, f"step {step}: {key} dtype"
            close(a[key], b[key], rtol=rtol, atol=atol, what=f"step {step}: {key}")


AVERAGES = {
    "swa": lambda swa, m: swa.AveragedModel(m),
    "swa_multi": lambda swa, m: swa.AveragedModel(m, multi_avg_fn=swa.get_swa_multi_avg_fn()),
    "ema_multi": lambda swa, m: swa.AveragedModel(m, multi_avg_fn=swa.get_ema_multi_avg_fn(0.7)),
    "ema": lambda swa, m: swa.AveragedModel(m, avg_fn=swa.get_ema_avg_fn(0.8)),
    "custom": lambda swa, m: swa.AveragedModel(m, avg_fn=lambda a, c, n: a * 0.25 + c * 0.75),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", list(AVERAGES))
def test_averaged_weights_follow_torch(kind, dtype):
    models = twin_models(dtype)
    batches = data(dtype=np.dtype(dtype))
    (ours, ot), (ref, rt) = [averaged_run(lib, models[lib], batches, AVERAGES[kind])
                             for lib in (ember, torch)]
    tol = 1e-6 if dtype == "float32" else 1e-12
    compare_traces(ot, rt, rtol=tol, atol=tol)
    assert [int(t["n_averaged"]) for t in ot] == list(range(1, len(batches) + 1))
    # The average is not the last weights (it was really averaged).
    last = to_np(models[ember][0].weight)
    assert not np.allclose(ot[-1]["module.0.weight"], last)


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("kind", ["swa", "ema_multi", "ema"])
def test_batchnorm_buffers_averaged_or_copied(kind, use_buffers):
    # With use_buffers the running statistics (and the int64 num_batches_tracked,
    # which the EMA truncates) are averaged; without, they are copied.
    def make(swa, m):
        fn = AVERAGES[kind](swa, m)
        return swa.AveragedModel(m, avg_fn=fn.avg_fn, multi_avg_fn=fn.multi_avg_fn,
                                 use_buffers=use_buffers)

    models = twin_models(batchnorm=True)
    batches = data()
    (ours, ot), (ref, rt) = [averaged_run(lib, models[lib], batches, make)
                             for lib in (ember, torch)]
    compare_traces(ot, rt)
    source_mean = to_np(models[ember][1].running_mean)
    if use_buffers:
        assert not np.allclose(ot[-1]["module.1.running_mean"], source_mean)
    else:
        np.testing.assert_array_equal(ot[-1]["module.1.running_mean"], source_mean)
        assert int(ot[-1]["module.1.num_batches_tracked"]) == len(batches)


def test_swa_multi_avg_fn_on_integer_buffers_raises_as_torch():
    for lib in (ember, torch):
        models = twin_models(batchnorm=True)
        averaged = swa_of(lib).AveragedModel(models[lib], use_buffers=True,
                                             multi_avg_fn=swa_of(lib).get_swa_multi_avg_fn())
        averaged.update_parameters(models[lib])
        with pytest.raises(RuntimeError):
            averaged.update_parameters(models[lib])


def test_state_dict_layout_and_round_trip():
    models = twin_models(batchnorm=True)
    ours, ref = swa_utils.AveragedModel(models[ember]), \
        torch.optim.swa_utils.AveragedModel(models[torch])
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert list(ours.state_dict())[:2] == ["n_averaged", "module.0.weight"]
    assert ours.n_averaged.dtype == ember.int64 and ours.n_averaged.shape == ()
    ours.update_parameters(models[ember])
    ours.update_parameters(models[ember])
    again = swa_utils.AveragedModel(build(ember, "float64", batchnorm=True))
    again.load_state_dict(ours.state_dict())
    assert again.n_averaged.item() == 2
    for (k, a), b in zip(again.state_dict().items(), ours.state_dict().values()):
        np.testing.assert_array_equal(to_np(a), to_np(b), err_msg=k)
    # Buffers of AveragedModel: n_averaged, then the copy's; parameters: the copy's only.
    assert len(list(ours.parameters())) == len(list(models[ember].parameters()))


def test_the_copy_is_independent_and_forward_runs_it():
    models = twin_models()
    model = models[ember]
    averaged = swa_utils.AveragedModel(model, device="cpu")
    assert averaged.n_averaged.device.type == "cpu"
    x = ember.tensor(data(1)[0][0])
    close(averaged(x), model(x))
    with ember.no_grad():
        model[0].weight.add_(1.0)
    assert not np.allclose(to_np(averaged(x)), to_np(model(x)))
    averaged.update_parameters(model)  # the first update copies
    close(averaged(x), model(x))


@LIBS
def test_errors(lib):
    swa = swa_of(lib)
    model = build(lib, "float64")
    with pytest.raises(AssertionError, match="[Oo]nly one of avg_fn and multi_avg_fn"):
        swa.AveragedModel(model, avg_fn=swa.get_swa_avg_fn(),
                          multi_avg_fn=swa.get_swa_multi_avg_fn())
    for fn in (swa.get_ema_avg_fn, swa.get_ema_multi_avg_fn):
        with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided. Please provide "
                                             r"a value in \[0,1\] range."):
            fn(1.5)
        with pytest.raises(ValueError, match="Invalid decay value -0.1"):
            fn(-0.1)


def test_swa_multi_avg_fn_with_a_python_count():
    for lib in (ember, torch):
        a = [lib.tensor([1.0, 2.0], dtype=lib.float64), lib.tensor([3, 4])]
        c = [lib.tensor([4.0, 8.0], dtype=lib.float64), lib.tensor([6, 10])]
        swa_of(lib).get_swa_multi_avg_fn()(a[:1], c[:1], 2)
        assert a[0].tolist() == [2.0, 4.0]
        with pytest.raises(RuntimeError):
            swa_of(lib).get_swa_multi_avg_fn()(a[1:], c[1:], 2)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_update_bn_matches_torch(momentum):
    models = twin_models(batchnorm=True)
    batches = data(5, seed=7)
    states = []
    for lib in (ember, torch):
        model = models[lib]
        model[1].momentum = momentum
        model.eval()
        loader = [(lib.tensor(x), lib.tensor(y)) for x, y in batches[:3]] + \
            [lib.tensor(x) for x, _ in batches[3:]]  # tuples (input first) and bare tensors
        swa_of(lib).update_bn(loader, model, device="cpu")
        assert not model.training and model[1].momentum == momentum
        states.append({k: to_np(v) for k, v in model.state_dict().items()})
    for key in states[1]:
        close(states[0][key], states[1][key], what=key)
    # One pass with momentum None: the plain mean of the batch means of BN's input.
    lin = models[ember][0]
    expected = np.mean([(x @ to_np(lin.weight).T + to_np(lin.bias)).mean(0)
                        for x, _ in batches], axis=0)
    close(states[0]["1.running_mean"], expected, rtol=1e-12, atol=1e-12)


def test_update_bn_on_an_averaged_model_and_without_batchnorm():
    models = twin_models(batchnorm=True)
    batches = data(3)
    states = []
    for lib in (ember, torch):
        averaged = swa_of(lib).AveragedModel(models[lib])
        averaged.update_parameters(models[lib])
        swa_of(lib).update_bn([lib.tensor(x) for x, _ in batches], averaged)
        states.append({k: to_np(v) for k, v in averaged.state_dict().items()})
    for key in states[1]:
        close(states[0][key], states[1][key], what=key)
    plain = build(ember, "float64")
    before = {k: to_np(v).copy() for k, v in plain.state_dict().items()}
    swa_utils.update_bn([ember.tensor(x) for x, _ in batches], plain)
    assert plain.training
    for k, v in plain.state_dict().items():
        np.testing.assert_array_equal(to_np(v), before[k])


# ---- SWALR ------------------------------------------------------------------------------

def lr_sequences(make, epochs=25, lrs=(0.1, 0.03), before=None):
    """Per-epoch lrs (and get_last_lr) of ember and torch under the same schedule;
    ``before``: epochs of CosineAnnealingLR first, then SWALR takes over (the SWA recipe)."""
    out = []
    for lib in (ember, torch):
        params = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
        opt = lib.optim.SGD(params, lr=0.1)
        seq = []
        if before:
            first = (sched if lib is ember else torch.optim.lr_scheduler).CosineAnnealingLR(
                opt, T_max=10)
            for _ in range(before):
                opt.step()
                first.step()
                seq.append([g["lr"] for g in opt.param_groups] + list(first.get_last_lr()))
        s = make(swa_of(lib), opt)
        for _ in range(epochs):
            seq.append([g["lr"] for g in opt.param_groups] + list(s.get_last_lr()))
            opt.step()
            s.step()
        out.append(seq)
    return out


SWALRS = {
    "cos": lambda swa, o: swa.SWALR(o, swa_lr=0.05, anneal_epochs=5),
    "linear": lambda swa, o: swa.SWALR(o, swa_lr=[0.01, 0.2], anneal_epochs=7,
                                       anneal_strategy="linear"),
    "no_anneal": lambda swa, o: swa.SWALR(o, swa_lr=0.02, anneal_epochs=0),
    "one_epoch": lambda swa, o: swa.SWALR(o, swa_lr=0.02, anneal_epochs=1, anneal_strategy="cos"),
    "default": lambda swa, o: swa.SWALR(o, 0.005),
}


@pytest.mark.parametrize("before", [None, 6])
@pytest.mark.parametrize("name", list(SWALRS))
def test_swalr_lr_sequence_equals_torch(name, before):
    ours, ref = lr_sequences(SWALRS[name], before=before)
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=1e-15)
    assert ours[-1][:2] == pytest.approx(ours[-2][:2])  # settled at swa_lr


def test_swalr_state_dict_and_resume():
    for lib in (ember, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.5)
        s = swa_of(lib).SWALR(opt, swa_lr=0.1, anneal_epochs=6, anneal_strategy="linear")
        for _ in range(3):
            opt.step()
            s.step()
        saved = copy.deepcopy(s.state_dict())
        assert "anneal_func" not in saved and "optimizer" not in saved
        assert saved["_anneal_strategy"] == "linear" and saved["anneal_epochs"] == 6
        rest = []
        for _ in range(4):
            opt.step()
            s.step()
            rest.append(opt.param_groups[0]["lr"])
        opt2 = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.5)
        s2 = swa_of(lib).SWALR(opt2, swa_lr=0.3, anneal_strategy="cos")
        s2.load_state_dict(saved)
        opt2.param_groups[0]["lr"] = saved["_last_lr"][0]
        opt2.param_groups[0]["swa_lr"] = 0.1
        again = []
        for _ in range(4):
            opt2.step()
            s2.step()
            again.append(opt2.param_groups[0]["lr"])
        assert again == pytest.approx(rest, rel=1e-13)
        assert s2.anneal_func(0.5) == 0.5  # linear again


@LIBS
def test_swalr_errors_and_get_lr_warning(lib):
    swa = swa_of(lib)
    opt = lib.optim.SGD([{"params": [lib.zeros(1, requires_grad=True)]},
                         {"params": [lib.zeros(1, requires_grad=True)]}], lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', "
                                         "instead got cosine"):
        swa.SWALR(opt, 0.05, anneal_strategy="cosine")
    for bad in (-1, 2.5):
        with pytest.raises(ValueError, match=f"anneal_epochs must be equal or greater than 0, "
                                             f"got {bad}"):
            swa.SWALR(opt, 0.05, anneal_epochs=bad)
    with pytest.raises(ValueError, match="swa_lr must have the same length as "
                                         "optimizer.param_groups"):
        swa.SWALR(opt, [0.1, 0.2, 0.3])
    s = swa.SWALR(opt, 0.05)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        s.step()
