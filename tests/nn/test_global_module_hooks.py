"""Hooks on every module (``nn.modules.module.register_module_*_hook``), against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.modules.module as tmodule

import ember
import ember.nn.modules.module as emodule


def _events(lib, mod):
    """Run a small model with global and per-module hooks; the call order seen."""
    events, handles = [], []
    handles.append(mod.register_module_forward_pre_hook(
        lambda m, a: events.append(("gpre", type(m).__name__))))
    handles.append(mod.register_module_forward_hook(
        lambda m, a, o: events.append(("gpost", type(m).__name__))))
    handles.append(mod.register_module_forward_hook(
        lambda m, a, k, o: events.append(("gkw", type(m).__name__, sorted(k))),
        with_kwargs=True))
    handles.append(mod.register_module_full_backward_pre_hook(
        lambda m, g: events.append(("gbpre", type(m).__name__))))
    handles.append(mod.register_module_full_backward_hook(
        lambda m, gi, go: events.append(("gb", type(m).__name__))))
    try:
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Tanh())
        net[0].register_forward_pre_hook(lambda m, a: events.append(("pre", "Linear")))
        net[0].register_forward_hook(lambda m, a, o: events.append(("post", "Linear")))
        x = lib.ones(1, 2, requires_grad=True)
        net(x).sum().backward()
    finally:
        for h in handles:
            h.remove()
    count = len(events)
    net(lib.ones(1, 2))  # the global hooks are removed: only the module's own run
    return events, events[count:]


def test_call_hooks_run_for_every_module_in_torchs_order():
    assert _events(ember, emodule) == _events(torch, tmodule)


def test_forward_hooks_replace_args_and_outputs_like_torch():
    def run(lib, mod):
        h1 = mod.register_module_forward_pre_hook(
            lambda m, a: (a[0] * 2,) if isinstance(m, lib.nn.Linear) else None)
        h2 = mod.register_module_forward_hook(
            lambda m, a, o: o + 1 if isinstance(m, lib.nn.Tanh) else None)
        try:
            lin = lib.nn.Linear(2, 2)
            with lib.no_grad():
                lin.weight.copy_(lib.tensor([[1.0, 0.0], [0.0, 1.0]]))
                lin.bias.zero_()
            return lib.nn.Sequential(lin, lib.nn.Tanh())(lib.tensor([[0.5, -0.5]])).tolist()
        finally:
            h1.remove()
            h2.remove()
    np.testing.assert_allclose(run(ember, emodule), run(torch, tmodule), rtol=1e-6)


def test_registration_hooks_see_every_registration_like_torch():
    def run(lib, mod):
        seen = []
        hs = [mod.register_module_parameter_registration_hook(
                  lambda m, n, p: seen.append(("param", n))),
              mod.register_module_buffer_registration_hook(
                  lambda m, n, b: seen.append(("buf", n))),
              mod.register_module_module_registration_hook(
                  lambda m, n, s: seen.append(("mod", n)))]
        try:
            lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.BatchNorm1d(1))
        finally:
            for h in hs:
                h.remove()
        return seen
    assert run(ember, emodule) == run(torch, tmodule)


def test_a_registration_hook_may_substitute_the_value():
    replacement = ember.nn.Parameter(ember.zeros(1, 1))
    h = emodule.register_module_parameter_registration_hook(
        lambda m, n, p: replacement if n == "weight" else None)
    try:
        lin = ember.nn.Linear(1, 1)
    finally:
        h.remove()
    assert lin.weight is replacement
    assert ember.nn.Linear(1, 1).weight is not replacement  # removed


def test_always_call_global_forward_hook_runs_when_forward_raises():
    seen = []
    h = emodule.register_module_forward_hook(lambda m, a, o: seen.append(o), always_call=True)

    class Boom(ember.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    try:
        with pytest.raises(ValueError, match="boom"):
            Boom()(1)
    finally:
        h.remove()
    assert seen == [None]


def _always_call_after_failing_pre_hook(lib, mod):
    events = []
    layer = lib.nn.Linear(2, 2)
    layer.register_forward_pre_hook(lambda m, a: 1 / 0)
    layer.register_forward_hook(lambda m, a, o: events.append(("own", o)), always_call=True)
    handle = mod.register_module_forward_hook(lambda m, a, o: events.append(("global", o)),
                                              always_call=True)
    try:
        with pytest.raises(ZeroDivisionError):
            layer(lib.ones(1, 2))
    finally:
        handle.remove()
    return events


def test_always_call_hooks_run_when_a_pre_hook_raises_as_torch():
    assert (_always_call_after_failing_pre_hook(ember, emodule)
            == _always_call_after_failing_pre_hook(torch, tmodule)
            == [("global", None), ("own", None)])


def _registration_events(lib, mod):
    events = []
    handles = [mod.register_module_parameter_registration_hook(
                   lambda m, n, p: events.append(("param", n, p is None))),
               mod.register_module_module_registration_hook(
                   lambda m, n, c: events.append(("module", n, c is None)))]
    try:
        m = lib.nn.Module()
        m.register_parameter("p", None)
        m.c = lib.nn.ReLU()
        m.c = None
        m.add_module("d", None)
    finally:
        for h in handles:
            h.remove()
    return events


def test_registration_hooks_and_none_slots_as_torch():
    assert _registration_events(ember, emodule) == _registration_events(torch, tmodule)
