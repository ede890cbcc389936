"""Every scheduler's lr sequence equals torch.optim.lr_scheduler's."""

import copy
import math

import numpy as np
import pytest
import torch

import ember
import ember.optim as optim
from ember.optim import lr_scheduler as sched

EPOCHS = 60


def optimizers(name="SGD", lrs=(0.1, 0.03), **kwargs):
    """The same two-group optimizer in ember and torch."""
    ours = getattr(optim, name)([{"params": [ember.zeros(2, requires_grad=True)], "lr": lr}
                                 for lr in lrs], **kwargs)
    ref = getattr(torch.optim, name)([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                                      for lr in lrs], **kwargs)
    return ours, ref


def sequences(build, epochs=EPOCHS, name="SGD", keys=("lr",), metrics=None, **kw):
    """Per-epoch group values (and get_last_lr) for ember and torch."""
    out = []
    for lib, opt in zip((sched, torch.optim.lr_scheduler), optimizers(name, **kw)):
        s = build(lib, opt)
        seq = []
        for epoch in range(epochs):
            seq.append([np.hstack([g[k] for k in keys]).tolist() for g in opt.param_groups]
                       + [list(s.get_last_lr())])
            opt.step()
            s.step(metrics[epoch]) if metrics is not None else s.step()
        out.append(seq)
    return out


BUILDERS = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=17, eta_min=0.001),
    "CosineWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2,
                                                                      eta_min=0.002),
    "CosineWarmRestarts1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=13),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.4, total_iters=9),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=40, power=1.7),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lr_lambda=[lambda e: 0.97 ** e, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.95),
    "OneCycleLR-cos": lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=EPOCHS),
    "OneCycleLR-linear3": lambda m, o: m.OneCycleLR(o, max_lr=0.4, epochs=6, steps_per_epoch=10,
                                                    anneal_strategy="linear", three_phase=True,
                                                    pct_start=0.25),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20),
            m.ExponentialLR(o, gamma=0.9)], milestones=[5, 30]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ExponentialLR(o, gamma=0.95), m.StepLR(o, step_size=10, gamma=0.5)]),
}


@pytest.mark.parametrize("key", list(BUILDERS))
def test_lr_sequence_matches_torch(key):
    ours, ref = sequences(BUILDERS[key], name="SGD", momentum=0.9)
    np.testing.assert_allclose(flat(ours), flat(ref), rtol=1e-12, atol=1e-15)


def flat(seq):
    return np.array([np.hstack(step) for step in seq], dtype=float)


def test_one_cycle_cycles_momentum_and_adam_beta1():
    for name, keys in (("SGD", ("lr", "momentum")), ("Adam", ("lr", "betas"))):
        kw = dict(momentum=0.9) if name == "SGD" else {}
        build = lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=EPOCHS, base_momentum=0.8)
        ours, ref = sequences(build, name=name, keys=keys, **kw)
        np.testing.assert_allclose(flat(ours), flat(ref), rtol=1e-12)
        assert len({tuple(step[0]) for step in ours}) > EPOCHS // 2  # it really moves


@pytest.mark.parametrize("kw", [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.05, threshold_mode="abs", cooldown=3,
         min_lr=[0.01, 0.02]),
    dict(patience=0, threshold_mode="abs", cooldown=1, min_lr=0.005, factor=0.7),
    dict(mode="max", patience=1),
])
def test_reduce_lr_on_plateau_matches_torch(kw):
    rng = np.random.default_rng(0)
    metrics = list(np.concatenate([np.linspace(1, 0.5, 15), 0.5 + rng.normal(0, 0.02, 45)]))
    build = lambda m, o: m.ReduceLROnPlateau(o, **kw)
    ours, ref = sequences(build, metrics=metrics)
    assert flat(ours).tolist() == flat(ref).tolist()


def test_warmup_cosine_formula_and_hf_equivalence():
    o, to = optimizers(lrs=(0.1, 0.05))
    s = sched.WarmupCosineLR(o, warmup_steps=10, total_steps=50, min_lr=0.0)
    # Hugging Face's get_cosine_schedule_with_warmup, held at 0 after total_steps
    hf = lambda t: t / 10 if t < 10 else 0.5 * (1 + math.cos(math.pi * (min(t, 50) - 10) / 40))
    ts = torch.optim.lr_scheduler.LambdaLR(to, hf)
    for _ in range(60):
        assert s.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12, abs=1e-15)
        o.step(), to.step(), s.step(), ts.step()
    o, _ = optimizers(lrs=(1.0,))
    s = sched.WarmupCosineLR(o, warmup_steps=0, total_steps=4, min_lr=0.2)
    lrs = []
    for _ in range(6):
        lrs.append(s.get_last_lr()[0])
        s.step()
    assert lrs == pytest.approx([1.0, 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2, 0.6,
                                 0.2 + 0.8 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.2, 0.2])


@pytest.mark.parametrize("key", ["StepLR", "CosineAnnealingLR", "SequentialLR", "LambdaLR",
                                 "OneCycleLR-cos", "CosineWarmRestarts"])
def test_scheduler_state_dict_round_trip(key):
    o, _ = optimizers()
    s = BUILDERS[key](sched, o)
    for _ in range(12):
        s.step()
    saved, saved_opt = copy.deepcopy(s.state_dict()), copy.deepcopy(o.state_dict())
    expected = []
    for _ in range(20):
        s.step()
        expected.append(s.get_last_lr())
    o2, to = optimizers()
    s2 = BUILDERS[key](sched, o2)
    o2.load_state_dict(saved_opt)
    s2.load_state_dict(saved)
    got = []
    for _ in range(20):
        s2.step()
        got.append(s2.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    tsd = BUILDERS[key](torch.optim.lr_scheduler, to).state_dict()
    assert set(saved) == set(tsd)


def test_resume_with_last_epoch_needs_initial_lr():
    o, _ = optimizers()
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(o, step_size=3, last_epoch=4)


@pytest.mark.parametrize("build,match", [
    (lambda o: sched.StepLR(object(), 3), "is not an Optimizer"),
    (lambda o: sched.ConstantLR(o, factor=1.5), "between 0 and 1"),
    (lambda o: sched.LinearLR(o, start_factor=0), "greater than 0"),
    (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=0), "positive integer T_0"),
    (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), "T_mult >= 1"),
    (lambda o: sched.OneCycleLR(o, max_lr=1.0), "total_steps OR"),
    (lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="x"), "'cos'"),
    (lambda o: sched.OneCycleLR(o, max_lr=[1.0], total_steps=10), "same length"),
    (lambda o: sched.ReduceLROnPlateau(o, factor=1.0), "Factor should be < 1.0"),
    (lambda o: sched.ReduceLROnPlateau(o, mode="mid"), "mode mid is unknown"),
    (lambda o: sched.ReduceLROnPlateau(o, min_lr=[0.1]), "expected 2 min_lrs"),
    (lambda o: sched.LambdaLR(o, [lambda e: 1.0]), "Expected 2 lr_lambdas"),
    (lambda o: sched.SequentialLR(o, [sched.StepLR(o, 2)], milestones=[3]), "one more"),
    (lambda o: sched.WarmupCosineLR(o, warmup_steps=10, total_steps=10), "total_steps >"),
])
def test_invalid_arguments_raise(build, match):
    o, _ = optimizers()
    with pytest.raises((ValueError, TypeError), match=match):
        build(o)


def test_one_cycle_past_total_steps_raises():
    o, _ = optimizers()
    s = sched.OneCycleLR(o, max_lr=1.0, total_steps=3)
    for _ in range(2):
        s.step()
    s.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        s.step()
