"""Optimizer base behaviour (groups, zero_grad, closure, hooks, errors) and Lion."""

import numpy as np
import pytest

import ember
import ember.optim as optim
from ember.backend.device import xp_of


def lion_reference(p, grads, lr, betas, weight_decay):
    """Lion, Algorithm 2 of Chen et al. (2023), in plain NumPy."""
    m = np.zeros_like(p)
    out = []
    for g in grads:
        c = betas[0] * m + (1 - betas[0]) * g
        p = p - lr * (np.sign(c) + weight_decay * p)
        m = betas[1] * m + (1 - betas[1]) * g
        out.append(p.copy())
    return out


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=1e-2, betas=(0.8, 0.95), weight_decay=0.5)])
def test_lion_matches_numpy_reference(kwargs):
    rng = np.random.default_rng(0)
    init = rng.normal(size=(4, 3))
    grads = [rng.normal(size=(4, 3)) for _ in range(50)]
    full = dict(dict(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0), **kwargs)
    expected = lion_reference(init, grads, **full)
    p = ember.tensor(init, requires_grad=True)
    opt = optim.Lion([p], **kwargs)
    for g, e in zip(grads, expected):
        p.grad = ember.tensor(g)
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-12, atol=1e-14)
    assert list(opt.state[p]) == ["exp_avg"]


@pytest.mark.parametrize("build,match", [
    (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda p: optim.SGD(p, weight_decay=-1e-3), "Invalid weight_decay value"),
    (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    (lambda p: optim.Adam(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value"),
    (lambda p: optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value"),
    (lambda p: optim.RAdam(p, weight_decay=-1), "Invalid weight_decay value"),
    (lambda p: optim.Adamax(p, lr=-0.1), "Invalid learning rate"),
    (lambda p: optim.Lion(p, betas=(0.9, 1.5)), "Invalid beta parameter at index 1"),
    (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: optim.Rprop(p, etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    (lambda p: optim.ASGD(p, weight_decay=-1), "Invalid weight_decay value"),
    (lambda p: optim.Adam(p, differentiable=True), "differentiable=True is not supported"),
    (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: optim.SGD(p[0], lr=0.1), "should be an iterable of Tensors"),
    (lambda p: optim.SGD([np.zeros(2)], lr=0.1), "can only optimize Tensors"),
    (lambda p: optim.SGD([p[0] * 2], lr=0.1), "can't optimize a non-leaf Tensor"),
    (lambda p: optim.SGD([{"params": {p[0]}}], lr=0.1), "ordered collections"),
    (lambda p: optim.SGD([{"params": p}, {"params": p}], lr=0.1), "more than one parameter group"),
])
def test_invalid_arguments_raise(build, match):
    params = [ember.zeros(3, requires_grad=True)]
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=match):
        build(params)


def test_required_hyperparameter_and_add_param_group():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(2, requires_grad=True)

    class NeedsLR(optim.Optimizer):
        def __init__(self, params, lr=optim.required):
            super().__init__(params, dict(lr=lr))

    with pytest.raises(ValueError, match="didn't specify a value of required"):
        NeedsLR([a])
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([b])


def test_named_parameters_record_param_names():
    a = ember.zeros(2, requires_grad=True)
    opt = optim.Adam([("layer.weight", a)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["layer.weight"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["layer.weight"]


def test_zero_grad_and_parameters_without_grad_are_skipped():
    a, b = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=0.5)
    a.grad = ember.ones(2)
    opt.step()
    assert a.detach().numpy().tolist() == [0.5, 0.5] and b.detach().numpy().tolist() == [1.0, 1.0]
    opt.zero_grad(set_to_none=False)
    assert a.grad.detach().numpy().tolist() == [0.0, 0.0] and b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_step_on_real_backward_with_closure_bumps_version():
    w = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    version = w._version_counter

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.detach().numpy(), [0.8, -1.6])
    assert w._version_counter > version and w.grad_fn is None


def test_step_hooks_run_once_and_can_be_removed():
    p = ember.zeros(2, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    p.grad = ember.ones(2)
    opt.step()
    assert calls == ["pre", "post"]
    pre.remove(), post.remove()
    opt.step()
    assert calls == ["pre", "post"]


def test_custom_optimizer_from_the_guide():
    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=1e-3):
            if lr < 0:
                raise ValueError(f"Invalid learning rate: {lr}")
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            loss = self._run_closure(closure)
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    xp = xp_of(p._array)
                    p._array -= group["lr"] * xp.sign(p.grad._array)
                    p._bump_version()
            return loss

    p = ember.tensor([1.0, -1.0, 0.0], requires_grad=True)
    opt = SignSGD([p], lr=0.25)
    p.grad = ember.tensor([3.0, -0.1, 0.0])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.75, -0.75, 0.0])
    assert opt.state_dict()["param_groups"] == [{"lr": 0.25, "params": [0]}]


def test_state_dict_hooks_match_torch():
    import copy
    import torch

    def run(lib):
        m = lib.nn.Linear(2, 1)
        opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        events = []
        opt.register_state_dict_pre_hook(lambda o: events.append("sd_pre"))
        opt.register_state_dict_post_hook(
            lambda o, sd: events.append("sd_post") or {**sd, "extra": 1})
        first = opt.register_state_dict_pre_hook(lambda o: events.append("sd_pre_first"),
                                                 prepend=True)

        def load_pre(o, sd):
            events.append(("ld_pre", sorted(sd)))
            sd = dict(sd)
            sd.pop("extra", None)
            sd["param_groups"] = copy.deepcopy(sd["param_groups"])
            sd["param_groups"][0]["lr"] = 0.5
            return sd

        opt.register_load_state_dict_pre_hook(load_pre)
        opt.register_load_state_dict_post_hook(
            lambda o: events.append(("ld_post", o.param_groups[0]["lr"])))
        sd = opt.state_dict()
        opt.load_state_dict(sd)
        first.remove()
        opt.state_dict()
        return sorted(sd), events

    assert run(ember) == run(torch)
