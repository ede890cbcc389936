"""CyclicLR's lr and momentum sequences equal torch.optim.lr_scheduler.CyclicLR's."""

import copy

import numpy as np
import pytest
import torch

import ember
import ember.optim as optim
from ember.optim import lr_scheduler as sched

STEPS = 75  # several cycles of every case below


def optimizers(name="SGD", lrs=(0.1, 0.03), **kwargs):
    """The same two-group optimizer in ember and torch."""
    ours = getattr(optim, name)([{"params": [ember.zeros(2, requires_grad=True)], "lr": lr}
                                 for lr in lrs], **kwargs)
    ref = getattr(torch.optim, name)([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                                      for lr in lrs], **kwargs)
    return ours, ref


def trace(s, opt, keys, steps=STEPS):
    """Per step: each group's values under ``keys``, then get_last_lr()."""
    seq = []
    for _ in range(steps):
        row = [np.hstack([g[k] for k in keys]) for g in opt.param_groups]
        seq.append(np.hstack(row + [s.get_last_lr()]))
        opt.step()
        s.step()
    return np.array(seq, dtype=float)


def sequences(kwargs, name="SGD", keys=("lr", "momentum"), opt_kwargs=None):
    opt_kwargs = dict(momentum=0.9) if opt_kwargs is None else opt_kwargs
    out = []
    for lib, opt in zip((sched, torch.optim.lr_scheduler), optimizers(name, **opt_kwargs)):
        out.append(trace(lib.CyclicLR(opt, **kwargs), opt, keys))
    return out


class Halving:
    """A picklable scale function with state (saved by state_dict, unlike a lambda)."""

    def __init__(self, base=0.5):
        self.base = base

    def __call__(self, x):
        return self.base ** x


CASES = {
    "triangular": dict(base_lr=0.01, max_lr=0.1, step_size_up=5),
    "triangular-asym": dict(base_lr=[0.01, 0.002], max_lr=[0.1, 0.05], step_size_up=4,
                            step_size_down=7, base_momentum=[0.7, 0.8], max_momentum=[0.95, 0.9]),
    "triangular-down0": dict(base_lr=0.01, max_lr=0.1, step_size_up=6, step_size_down=0),
    "triangular2": dict(base_lr=0.01, max_lr=0.2, step_size_up=3, step_size_down=5,
                        mode="triangular2"),
    "exp_range": dict(base_lr=[0.02, 0.01], max_lr=0.3, step_size_up=6, mode="exp_range",
                      gamma=0.97),
    "scale_fn-cycle": dict(base_lr=0.01, max_lr=0.1, step_size_up=4,
                           scale_fn=lambda c: 1 / (1 + c)),
    "scale_fn-iterations": dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="ignored",
                                scale_fn=Halving(0.98), scale_mode="iterations"),
}


@pytest.mark.parametrize("key", list(CASES))
def test_lr_and_momentum_match_torch(key):
    ours, ref = sequences(CASES[key])
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)
    assert len(np.unique(ours[:, 0])) > 4  # the lr really cycles


@pytest.mark.parametrize("key", ["triangular-asym", "exp_range"])
def test_adam_beta1_cycles_and_beta2_stays(key):
    ours, ref = sequences(CASES[key], name="Adam", keys=("lr", "betas"), opt_kwargs={})
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)
    assert np.all(ours[:, 2] == 0.999) and len(np.unique(ours[:, 1])) > 4


def test_without_momentum_cycling_momentum_is_left_alone():
    kwargs = dict(base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False)
    ours, ref = sequences(kwargs, name="Adagrad", keys=("lr",), opt_kwargs={})
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)
    ours, ref = sequences(kwargs)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)
    assert np.all(ours[:, 1] == 0.9)


def test_sets_group_values_like_torch():
    o, to = optimizers(momentum=0.9)
    kwargs = dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, base_momentum=0.7)
    sched.CyclicLR(o, **kwargs), torch.optim.lr_scheduler.CyclicLR(to, **kwargs)
    for g, tg in zip(o.param_groups, to.param_groups):
        assert {k: v for k, v in g.items() if k != "params"} == \
               {k: v for k, v in tg.items() if k != "params"}


@pytest.mark.parametrize("key", ["triangular-asym", "exp_range", "scale_fn-iterations",
                                 "scale_fn-cycle"])
def test_state_dict_round_trip(key):
    o, to = optimizers(momentum=0.9)
    s = sched.CyclicLR(o, **CASES[key])
    for _ in range(13):
        o.step()
        s.step()
    saved, saved_opt = copy.deepcopy(s.state_dict()), copy.deepcopy(o.state_dict())
    expected = trace(s, o, ("lr", "momentum"), steps=30)
    o2, _ = optimizers(momentum=0.9)
    kwargs = dict(CASES[key])
    if "scale_fn" in kwargs and isinstance(kwargs["scale_fn"], Halving):
        kwargs["scale_fn"] = Halving()  # its saved base (0.98) is loaded into it
    s2 = sched.CyclicLR(o2, **kwargs)
    o2.load_state_dict(saved_opt)
    s2.load_state_dict(saved)
    np.testing.assert_allclose(trace(s2, o2, ("lr", "momentum"), steps=30), expected,
                               rtol=1e-12)
    tsd = torch.optim.lr_scheduler.CyclicLR(to, **CASES[key]).state_dict()
    assert set(saved) == set(tsd)
    assert saved["_scale_fn_custom"] == tsd["_scale_fn_custom"]


def test_resume_with_last_epoch_matches_torch():
    kwargs = dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2")
    results = []
    for index, lib in enumerate((sched, torch.optim.lr_scheduler)):
        opt = optimizers(momentum=0.9)[index]
        s = lib.CyclicLR(opt, **kwargs)
        for _ in range(10):
            opt.step()
            s.step()
        again = optimizers(momentum=0.9)[index]
        again.load_state_dict(copy.deepcopy(opt.state_dict()))
        resumed = lib.CyclicLR(again, last_epoch=9, **kwargs)
        results.append(trace(resumed, again, ("lr", "momentum"), steps=20))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


@pytest.mark.parametrize("build,error,match", [
    (lambda o: sched.CyclicLR(object(), 0.1, 1.0), TypeError, "is not an Optimizer"),
    (lambda o: sched.CyclicLR(o, 0.1, 1.0, mode="triangle"), ValueError,
     "mode is invalid and scale_fn is None"),
    (lambda o: sched.CyclicLR(o, [0.1], 1.0), ValueError,
     "base_lr must have the same length as optimizer.param_groups"),
    (lambda o: sched.CyclicLR(o, 0.1, [1.0, 2.0, 3.0]), ValueError, "max_lr must have"),
    (lambda o: sched.CyclicLR(o, 0.1, 1.0, base_momentum=[0.8]), ValueError,
     "base_momentum must have"),
    (lambda o: sched.CyclicLR(optim.Adagrad([ember.zeros(2, requires_grad=True)]), 0.1, 1.0),
     ValueError, r"optimizer must support momentum or beta1 .*\(Adagrad has neither\)"),
    (lambda o: sched.CyclicLR(o, 0.1, 1.0, step_size_up=0), ValueError, "step_size_up > 0"),
    (lambda o: sched.CyclicLR(o, 0.1, 1.0, step_size_down=-2), ValueError,
     "step_size_down >= 0"),
    (lambda o: sched.CyclicLR(optim.SGD([ember.zeros(2, requires_grad=True)]), 0.1, 1.0,
                              last_epoch=3), KeyError, "initial_lr"),
])
def test_invalid_arguments_raise(build, error, match):
    o, _ = optimizers(momentum=0.9)
    with pytest.raises(error, match=match):
        build(o)
