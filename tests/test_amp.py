"""``ember.amp.GradScaler`` against ``torch.amp.GradScaler("cpu")``, step by step.

Each scenario runs the same training code on Ember and on PyTorch (``lib`` is
the module) with the same initial weights and data, and records the scale,
the growth tracker, what ``step`` returned, the gradients and the weights
after each iteration; the two records must agree.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.amp
from ember.backend.device import cuda_available
from reference import close, to_np

LIBS = pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])


def twin_models(seed=0):
    """The same float32 MLP in Ember and torch."""
    torch.manual_seed(seed)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    ours = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 2))
    with ember.no_grad():
        for p, q in zip(ours.parameters(), ref.parameters()):
            p.copy_(ember.tensor(q.detach().numpy()))
    return {ember: ours, torch: ref}


def batches(n, seed=1):
    r = np.random.default_rng(seed)
    return [(r.normal(size=(5, 4)).astype(np.float32), r.normal(size=(5, 2)).astype(np.float32))
            for _ in range(n)]


def scaler_of(lib, **kw):
    return ember.amp.GradScaler("cpu", **kw) if lib is ember else torch.amp.GradScaler("cpu",
                                                                                        **kw)


def snapshot(model):
    return [to_np(p).copy() for p in model.parameters()]


def assert_same_records(ours, ref):
    assert len(ours) == len(ref)
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert a.keys() == b.keys()
        for key in a:
            what = f"iteration {i}: {key}"
            if isinstance(b[key], list):
                assert len(a[key]) == len(b[key]), what
                for x, y in zip(a[key], b[key]):
                    close(x, y, rtol=1e-5, atol=1e-6, what=what)
            else:
                assert a[key] == b[key], f"{what}: {a[key]!r} != torch's {b[key]!r}"


def train(lib, model, data, scaler, loss_factor=None, clip=None, lr=0.1):
    """A standard scaled loop; the step's closure (positional) returns the iteration."""
    opt = lib.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    records = []
    for i, (x, y) in enumerate(data):
        opt.zero_grad()
        loss = ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
        if loss_factor is not None:
            loss = loss * loss_factor[i]
        scaler.scale(loss).backward()
        rec = {}
        if clip is not None:
            scaler.unscale_(opt)
            rec["norm"] = [lib.nn.utils.clip_grad_norm_(model.parameters(), clip)]
            rec["clipped"] = [p.grad for p in model.parameters()]
        rec["returned"] = scaler.step(opt, lambda: i)
        rec["found_inf"] = float(sum(v.item() for v in scaler._found_inf_per_device(opt)
                                     .values()))
        rec["grads"] = [p.grad for p in model.parameters()]
        scaler.update()
        rec["scale"] = scaler.get_scale()
        rec["tracker"] = scaler._get_growth_tracker()
        rec["weights"] = snapshot(model)
        records.append(rec)
    return records


def run_both(**kw):
    models = twin_models()
    data = batches(kw.pop("n", 12))
    scaler_kw = kw.pop("scaler", {})
    return [train(lib, models[lib], data, scaler_of(lib, **scaler_kw), **kw)
            for lib in (ember, torch)]


def test_overflowing_steps_are_skipped_and_the_scale_backs_off_then_grows():
    # 2**127 times a loss of 100s: the scaled float32 gradients overflow to inf
    # until the scale has backed off enough; growth_interval=3 makes it grow
    # again (and overflow again).
    ours, ref = run_both(n=16, scaler={"init_scale": 2.0**127, "growth_interval": 3},
                         loss_factor=[100.0] * 16, lr=1e-4)
    assert_same_records(ours, ref)
    skipped = [r["returned"] is None for r in ref]
    assert any(skipped) and not all(skipped)
    assert any(ref[i]["scale"] > ref[i - 1]["scale"] for i in range(1, len(ref)))


def test_nan_loss_skips_the_step_and_leaves_weights_unchanged():
    factors = [1.0, float("nan"), 1.0, float("inf"), 1.0]
    ours, ref = run_both(n=5, scaler={"init_scale": 8.0, "growth_interval": 2},
                         loss_factor=factors)
    assert_same_records(ours, ref)
    assert [r["returned"] for r in ours] == [0, None, 2, None, 4]
    np.testing.assert_array_equal(ours[1]["weights"][0], ours[0]["weights"][0])
    assert [r["scale"] for r in ours] == [8.0, 4.0, 4.0, 2.0, 2.0]


def test_growth_after_growth_interval_clean_steps():
    ours, ref = run_both(n=9, scaler={"init_scale": 4.0, "growth_factor": 3.0,
                                      "growth_interval": 4})
    assert_same_records(ours, ref)
    assert [r["scale"] for r in ours] == [4.0] * 3 + [12.0] * 4 + [36.0] * 2
    assert [r["tracker"] for r in ours] == [1, 2, 3, 0, 1, 2, 3, 0, 1]


def test_unscale_before_clip_grad_norm():
    ours, ref = run_both(n=8, clip=0.5, scaler={"init_scale": 2.0**127, "growth_interval": 2},
                         loss_factor=[100.0] * 8)
    assert_same_records(ours, ref)
    assert any(r["returned"] is None for r in ref) and any(r["returned"] is not None for r in ref)


def test_unscale_divides_the_gradients_in_place():
    for lib in (ember, torch):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = scaler_of(lib, init_scale=1024.0)
        scaler.scale((w * w).sum()).backward()
        grad = w.grad
        np.testing.assert_array_equal(to_np(grad), [2048.0, -4096.0])
        scaler.unscale_(opt)
        assert w.grad is grad
        np.testing.assert_array_equal(to_np(grad), [2.0, -4.0])


@LIBS
def test_several_optimizers_share_one_scale(lib):
    # Two models, two optimizers, as in PyTorch's AMP example; the second
    # model's gradient overflows on the second iteration: only its step is
    # skipped, and update() backs off once.
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0], requires_grad=True)
    opt_a, opt_b = lib.optim.SGD([a], lr=0.5), lib.optim.SGD([b], lr=0.5)
    scaler = scaler_of(lib, init_scale=16.0, growth_interval=100)
    record = []
    for factor in (1.0, float("inf"), 1.0):
        opt_a.zero_grad()
        opt_b.zero_grad()
        loss_a = (a * a).sum()
        loss_b = (b * b).sum() * factor
        scaler.scale(loss_a).backward(retain_graph=True)
        scaler.scale(loss_a + loss_b).backward()
        scaler.unscale_(opt_a)
        ra = scaler.step(opt_a, lambda: "a")
        rb = scaler.step(opt_b, lambda: "b")
        scaler.update()
        record.append((ra, rb, scaler.get_scale(), a.tolist(), b.tolist()))
    assert record == [("a", "b", 16.0, [-1.0, -2.0], [0.0]),
                      ("a", None, 8.0, [1.0, 2.0], [0.0]),
                      ("a", "b", 8.0, [-1.0, -2.0], [0.0])]


@LIBS
def test_scale_lists_tuples_and_iterables(lib):
    scaler = scaler_of(lib, init_scale=4.0)
    x = lib.tensor([1.0, 2.0])
    y = lib.tensor(3.0, dtype=lib.float64)
    out = scaler.scale([x, (y, [x])])
    assert isinstance(out, list) and isinstance(out[1], tuple) and isinstance(out[1][1], list)
    assert out[0].tolist() == [4.0, 8.0] and out[1][0].item() == 12.0
    assert out[1][0].dtype == lib.float64  # the 0-d float32 scale does not demote
    lazy = scaler.scale(iter([x, x]))
    assert not isinstance(lazy, (list, tuple))
    assert [t.tolist() for t in lazy] == [[4.0, 8.0], [4.0, 8.0]]
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        scaler.scale(3.0)
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        scaler.scale([x, 2])


@LIBS
def test_scale_is_lazily_made_as_float32_and_int32(lib):
    scaler = scaler_of(lib, init_scale=512.0)
    assert scaler._scale is None and scaler.get_scale() == 512.0
    assert scaler._get_growth_tracker() == 0
    scaler.scale(lib.ones(2, dtype=lib.float64))
    assert scaler._scale.dtype == lib.float32 and scaler._scale.shape == ()
    assert scaler._growth_tracker.dtype == lib.int32
    assert scaler.get_scale() == 512.0


@LIBS
def test_misuse_raises_as_torch(lib):
    w = lib.tensor([1.0], requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = scaler_of(lib)
    with pytest.raises(AssertionError, match="Attempted unscale_ but _scale is None"):
        scaler.unscale_(opt)
    with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
        scaler.step(opt)
    with pytest.raises(AssertionError, match="Attempted update but _scale is None"):
        scaler.update()
    scaler.scale(w.sum()).backward()
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0)
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this "
                                           r"optimizer since the last update\(\)"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step\(\)"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last "
                                           r"update\(\)"):
        scaler.step(opt)
    scaler.update()
    with pytest.raises(AssertionError, match="No inf checks were recorded prior to update"):
        scaler.update()
    opt.zero_grad()  # no gradient at all: nothing to check
    with pytest.raises(AssertionError, match="No inf checks were recorded for this optimizer"):
        scaler.step(opt)


@LIBS
def test_bad_factors_and_fp16_gradients(lib):
    with pytest.raises(AssertionError, match="growth factor must be > 1.0"):
        scaler_of(lib, growth_factor=1.0)
    with pytest.raises(AssertionError, match="backoff factor must be < 1.0"):
        scaler_of(lib, backoff_factor=1.0)
    scaler_of(lib, growth_factor=1.0, enabled=False)  # not checked when disabled
    w = lib.tensor([1.0], dtype=lib.float16, requires_grad=True)
    w.grad = lib.tensor([2.0], dtype=lib.float16)
    scaler = scaler_of(lib)
    scaler.scale(lib.ones(1))
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        scaler.unscale_(lib.optim.SGD([w], lr=0.1))


@LIBS
def test_update_with_new_scale(lib):
    w = lib.tensor([1.0], requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = scaler_of(lib, init_scale=64.0)
    scaler.scale(w.sum()).backward()
    scaler.step(opt)
    scaler.update(3.0)
    assert scaler.get_scale() == 3.0 and scaler._get_growth_tracker() == 0
    new = lib.tensor(5.0)
    scaler.update(new)  # no optimizer needs to have stepped
    new.fill_(7.0)  # copied, not kept
    assert scaler.get_scale() == 5.0
    for bad in (lib.tensor([1.0, 2.0]), lib.tensor(2.0, requires_grad=True)):
        with pytest.raises(AssertionError, match="new_scale should be a float or a 1-element"):
            scaler.update(bad)


@LIBS
def test_getters_and_setters(lib):
    scaler = scaler_of(lib, init_scale=8.0, growth_factor=4.0, backoff_factor=0.25,
                       growth_interval=7)
    assert (scaler.get_growth_factor(), scaler.get_backoff_factor(),
            scaler.get_growth_interval()) == (4.0, 0.25, 7)
    scaler.set_growth_factor(3.0)
    scaler.set_backoff_factor(0.125)
    scaler.set_growth_interval(2)
    assert (scaler.get_growth_factor(), scaler.get_backoff_factor(),
            scaler.get_growth_interval()) == (3.0, 0.125, 2)
    assert scaler.is_enabled()
    w = lib.tensor([1.0], requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.1)
    for factor in (1.0, 1.0, float("nan")):
        opt.zero_grad()
        scaler.scale(w.sum() * factor).backward()
        scaler.step(opt)
        scaler.update()
    assert scaler.get_scale() == 8.0 * 3.0 * 0.125


def test_growth_that_overflows_float32_matches_torch():
    records = []
    for lib in (ember, torch):
        w = lib.tensor([1.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.0)
        scaler = scaler_of(lib, init_scale=2.0**126, growth_factor=4.0, growth_interval=1)
        rec = []
        for _ in range(3):
            opt.zero_grad()
            scaler.scale(w.sum() * 1e-30).backward()
            scaler.step(opt)
            scaler.update()
            rec.append((scaler.get_scale(), scaler._get_growth_tracker()))
        records.append(rec)
    assert records[0] == records[1]


def test_state_dict_matches_torch_and_round_trips():
    ours, ref = scaler_of(ember, init_scale=32.0, growth_interval=3), \
        scaler_of(torch, init_scale=32.0, growth_interval=3)
    assert ours.state_dict() == ref.state_dict()
    for lib, scaler in ((ember, ours), (torch, ref)):
        w = lib.tensor([1.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        for factor in (1.0, float("inf"), 1.0, 1.0):
            opt.zero_grad()
            scaler.scale(w.sum() * factor).backward()
            scaler.step(opt)
            scaler.update()
    saved = ours.state_dict()
    assert saved == ref.state_dict()
    assert saved == {"scale": 16.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                     "growth_interval": 3, "_growth_tracker": 2}
    fresh = ember.amp.GradScaler("cpu")
    fresh.load_state_dict(saved)
    assert fresh.state_dict() == saved
    fresh.scale(ember.ones(1))  # the lazily made tensors take the loaded values
    assert fresh.get_scale() == 16.0 and fresh._get_growth_tracker() == 2
    used = ember.amp.GradScaler("cpu")
    used.scale(ember.ones(1))
    used.load_state_dict(saved)  # existing tensors are filled
    assert used.get_scale() == 16.0 and used._get_growth_tracker() == 2
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        used.load_state_dict({})


def test_pickle_between_iterations_only():
    scaler = ember.amp.GradScaler("cpu", init_scale=8.0)
    w = ember.tensor([1.0], requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1)
    scaler.scale(w.sum()).backward()
    scaler.step(opt)
    with pytest.raises(AssertionError, match="may only be pickled at the beginning"):
        pickle.dumps(scaler)
    scaler.update(2.0)
    again = pickle.loads(pickle.dumps(scaler))
    assert again._scale is None and again.get_scale() == 2.0
    assert copy.deepcopy(scaler).state_dict() == scaler.state_dict()


@LIBS
def test_disabled_scaler_is_a_pass_through(lib):
    scaler = scaler_of(lib, enabled=False)
    x = lib.tensor([1.0, 2.0])
    assert scaler.scale(x) is x
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0
    assert scaler._get_growth_tracker() == 0 and scaler.state_dict() == {}
    w = lib.tensor([1.0], requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.5)
    (w * float("inf")).sum().backward()
    scaler.unscale_(opt)
    assert scaler.step(opt, closure=lambda: "ran") == "ran"  # closures allowed, inf or not
    assert w.grad.item() == float("inf") and w.item() == float("-inf")
    scaler.update()
    scaler.load_state_dict({})


@pytest.mark.skipif(cuda_available(), reason="a GPU is present")
def test_cuda_without_gpu_disables_with_a_warning():
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling"):
        scaler = ember.amp.GradScaler()
    assert not scaler.is_enabled()
    x = ember.ones(1)
    assert scaler.scale(x) is x
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.amp.GradScaler(enabled=False).is_enabled() is False


def test_factors_not_exact_in_float32_round_as_torch():
    # Products in float64, rounded to the float32 scale.
    records = []
    for lib in (ember, torch):
        w = lib.tensor([1.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.0)
        scaler = scaler_of(lib, init_scale=3.3, growth_factor=1.1, backoff_factor=0.3,
                           growth_interval=1)
        rec = []
        for factor in (1.0, 1.0, 1.0, float("inf"), 1.0, float("inf")):
            opt.zero_grad()
            scaler.scale(w.sum() * factor).backward()
            scaler.step(opt)
            scaler.update()
            rec.append(scaler.get_scale())
        records.append(rec)
    assert records[0] == records[1]
