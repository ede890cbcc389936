"""Adafactor and Muon: trajectories equal torch.optim's over many steps, in float64."""

import copy
import re

import numpy as np
import pytest
import torch

import ember
import ember.optim as optim

STEPS = 40


def make_problem(shapes, steps, seed=0):
    rng = np.random.default_rng(seed)
    inits = [rng.normal(size=s) for s in shapes]
    targets = [rng.normal(size=s) for s in shapes]
    noise = [[rng.normal(scale=0.3, size=s) for s in shapes] for _ in range(steps)]
    return inits, targets, noise


def train(lib, params, opt, targets, noise, steps):
    """Per-step parameter values while minimizing a noisy quadratic."""
    trajectory = []
    for t in range(steps):
        for p, target, n in zip(params, targets, noise[t]):
            p.grad = lib.tensor((p.detach().numpy() - target) * 1.5 + n)
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def run(lib, name, kwargs, shapes, steps=STEPS, groups=None):
    """(trajectory, params, optimizer) of ``lib.optim.<name>`` on the shared problem."""
    inits, targets, noise = make_problem(shapes, steps)
    params = [lib.tensor(a.copy(), requires_grad=True) for a in inits]
    spec = params if groups is None else [dict(g, params=[p]) for g, p in zip(groups, params)]
    opt = getattr(lib.optim, name)(spec, **kwargs)
    return train(lib, params, opt, targets, noise, steps), params, opt


def assert_same(ours, ref, rtol=1e-10, atol=1e-12):
    for step, (a, b) in enumerate(zip(ours, ref)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=f"step {step}")


def assert_state_like_torch(opt, topt):
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert sd["state"].keys() == tsd["state"].keys()
    for i, tstate in tsd["state"].items():
        assert list(sd["state"][i]) == list(tstate)  # same keys, same order
        for key, tv in tstate.items():
            v = sd["state"][i][key]
            assert isinstance(v, ember.Tensor) and v.shape == tuple(tv.shape), key
            assert str(v.dtype).split(".")[1] == str(tv.dtype).split(".")[1], key
            np.testing.assert_allclose(v.numpy(), tv.numpy(), rtol=1e-10, atol=1e-12)


def round_trip(name, kwargs, shapes, split=15):
    """Train ``split`` steps, checkpoint, rebuild, load and train on; must equal one run."""
    full, _, _ = run(ember, name, kwargs, shapes)
    first, params, opt = run(ember, name, kwargs, shapes, steps=split)
    saved = copy.deepcopy(opt.state_dict())
    fresh = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    opt2 = getattr(optim, name)(fresh, **kwargs)
    opt2.load_state_dict(saved)
    _, targets, noise = make_problem(shapes, STEPS)
    rest = train(ember, fresh, opt2, targets, noise[split:], STEPS - split)
    assert_same(first + rest, full)


# ---- Adafactor -------------------------------------------------------------------------

ADAFACTOR_SHAPES = [(5,), (4, 6), (3, 2, 5), ()]
ADAFACTOR_CASES = [
    dict(),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.2, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, maximize=True),
    dict(lr=0.3, eps=(0.3, 1e-3), weight_decay=0.05, foreach=True),  # eps1 clamps V often
]


@pytest.mark.parametrize("kwargs", ADAFACTOR_CASES)
def test_adafactor_trajectory_matches_torch(kwargs):
    ours, _, opt = run(ember, "Adafactor", kwargs, ADAFACTOR_SHAPES)
    ref, _, topt = run(torch, "Adafactor", kwargs, ADAFACTOR_SHAPES)
    assert_same(ours, ref)
    assert_state_like_torch(opt, topt)


def test_adafactor_first_step_is_relative_to_the_parameter_scale():
    # Step 1 on a vector: V = g * g, so U = sign(g) with RMS 1 (no clipping), and
    # the step is max(eps2, RMS(p)) * min(lr, 1): eps2 for zeros, RMS(p) = 2 here.
    tiny = ember.zeros(4, dtype=ember.float64, requires_grad=True)
    big = ember.tensor([2.0, -2.0, 2.0, -2.0], dtype=ember.float64, requires_grad=True)
    opt = optim.Adafactor([{"params": [tiny], "lr": 10.0}, {"params": [big], "lr": 0.3}])
    tiny.grad = ember.tensor([1.0, -2.0, 3.0, -4.0], dtype=ember.float64)
    big.grad = ember.tensor([1e-3, 1e-3, -1e-3, 5.0], dtype=ember.float64)
    opt.step()
    np.testing.assert_allclose(tiny.detach().numpy(), [-1e-3, 1e-3, -1e-3, 1e-3], rtol=1e-12)
    np.testing.assert_allclose(big.detach().numpy(), [1.4, -2.6, 2.6, -2.6], rtol=1e-12)


def test_adafactor_param_groups_and_float32():
    groups = [dict(lr=0.02), dict(weight_decay=0.3, eps=(1e-6, 1e-2)), dict(), dict()]
    ours, _, opt = run(ember, "Adafactor", dict(lr=0.1), ADAFACTOR_SHAPES, groups=groups)
    ref, _, topt = run(torch, "Adafactor", dict(lr=0.1), ADAFACTOR_SHAPES, groups=groups)
    assert_same(ours, ref)
    assert_state_like_torch(opt, topt)
    results = []
    for lib in (ember, torch):  # eps1=None: the float32 machine epsilon
        p = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype=lib.float32,
                       requires_grad=True)
        o = lib.optim.Adafactor([p], lr=0.1)
        for k in range(5):
            p.grad = lib.full((3, 4), 1e-4 * (k + 1), dtype=lib.float32)
            o.step()
        results.append(p.detach().numpy())
    assert results[0].dtype == np.float32
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-7)


def test_adafactor_state_dict_round_trip():
    round_trip("Adafactor", dict(lr=0.05, weight_decay=0.1), ADAFACTOR_SHAPES)


@pytest.mark.parametrize("kwargs,match", [
    (dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
    (dict(beta2_decay=0.1), "beta2_decay should be <= 0 but is: 0.1"),
    (dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0 but is: -1.0"),
    (dict(eps=(None, -1.0)), "epsilon2 should be >= 0 but is: -1.0"),
    (dict(eps=1e-3), r"Invalid eps: 0.001 \(Adafactor expects a pair"),
    (dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
    (dict(weight_decay=-0.1), "weight_decay should be >= 0 but is: -0.1"),
])
def test_adafactor_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.Adafactor([ember.zeros(3, requires_grad=True)], **kwargs)


# ---- Muon --------------------------------------------------------------------------------

MUON_SHAPES = [(4, 6), (6, 4), (5, 5), (3, 8)]
MUON_CASES = [
    dict(),
    dict(lr=0.02, momentum=0.9, nesterov=False, weight_decay=0.0),
    dict(lr=0.05, momentum=0.3, weight_decay=0.2, adjust_lr_fn="original"),
    dict(lr=0.01, adjust_lr_fn="match_rms_adamw", ns_steps=3,
         ns_coefficients=(2.0, -1.5, 0.5)),
    dict(lr=0.05, eps=10.0, ns_steps=0),  # the norm's lower bound takes effect
]


@pytest.mark.parametrize("kwargs", MUON_CASES)
def test_muon_trajectory_matches_torch(kwargs):
    ours, _, opt = run(ember, "Muon", kwargs, MUON_SHAPES)
    ref, _, topt = run(torch, "Muon", kwargs, MUON_SHAPES)
    assert_same(ours, ref)
    assert_state_like_torch(opt, topt)


def test_muon_orthogonalizes_the_update():
    # With no momentum or decay, one step moves p by lr * O, O about semi-orthogonal:
    # its singular values lie near 1 (the quintic pushes them into roughly [0.7, 1.2]).
    rng = np.random.default_rng(1)
    p = ember.tensor(np.zeros((6, 10)), requires_grad=True)
    opt = optim.Muon([p], lr=1.0, momentum=0.0, nesterov=False, weight_decay=0.0)
    p.grad = ember.tensor(rng.normal(size=(6, 10)) * np.logspace(-2, 1, 10))
    opt.step()
    singular = np.linalg.svd(p.detach().numpy(), compute_uv=False)
    assert np.all((singular > 0.6) & (singular < 1.25)), singular


def test_muon_float32_and_param_groups():
    groups = [dict(lr=0.01), dict(adjust_lr_fn="match_rms_adamw"), dict(nesterov=False),
              dict(momentum=0.5)]
    ours, _, opt = run(ember, "Muon", dict(lr=0.03), MUON_SHAPES, groups=groups)
    ref, _, topt = run(torch, "Muon", dict(lr=0.03), MUON_SHAPES, groups=groups)
    assert_same(ours, ref)
    assert_state_like_torch(opt, topt)
    results = []
    for lib in (ember, torch):
        p = lib.tensor(np.linspace(-1, 1, 12).reshape(4, 3), dtype=lib.float32,
                       requires_grad=True)
        o = lib.optim.Muon([p], lr=0.1)
        for k in range(5):
            p.grad = lib.tensor(np.cos(np.arange(12.0) * (k + 1)).reshape(4, 3),
                                dtype=lib.float32)
            o.step()
        results.append(p.detach().numpy())
    assert results[0].dtype == np.float32
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=1e-7)


def test_muon_state_dict_round_trip():
    round_trip("Muon", dict(lr=0.02, momentum=0.9), MUON_SHAPES)


def test_muon_bfloat16_rounding_matches_ml_dtypes():
    import ml_dtypes

    from ember.optim.muon import _round_bf16
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=1000).astype(np.float32) * 10.0 ** rng.integers(
        -30, 30, 1000), [0.0, -0.0, np.inf, -np.inf, 3.4e38, 1e-40, 1 + 2**-8, 1 + 3 * 2**-8]])
    x = x.astype(np.float32)
    expected = x.astype(ml_dtypes.bfloat16).astype(np.float32)
    np.testing.assert_array_equal(_round_bf16(x), expected)
    assert np.isnan(_round_bf16(np.array([np.nan], dtype=np.float32)))[0]


@pytest.mark.parametrize("kwargs,match", [
    (dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
    (dict(weight_decay=-1.0), "weight decay should be >= 0 but is: -1.0"),
    (dict(momentum=-1.0), "momentum should be >= 0 but is: -1.0"),
    (dict(adjust_lr_fn="rms"), "Adjust learning rate function rms is not supported"),
    (dict(ns_steps=100), "Number of steps must be less than 100"),
    (dict(ns_coefficients=(1.0, 2.0)), "Coefficients must be a tuple of exactly 3 values"),
])
def test_muon_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.Muon([ember.zeros(2, 3, requires_grad=True)], **kwargs)


def test_muon_rejects_non_matrix_parameters():
    for shape in [(3,), (2, 3, 4), ()]:
        with pytest.raises(ValueError, match="Muon only supports 2D parameters whereas we found "
                                             "a parameter with size: " + re.escape(str(shape))):
            optim.Muon([ember.zeros(shape, requires_grad=True)])
    opt = optim.Muon([ember.zeros(2, 3, requires_grad=True)])
    with pytest.raises(ValueError, match="only supports 2D parameters"):
        opt.add_param_group({"params": [ember.zeros(4, requires_grad=True)]})
    assert len(opt.param_groups) == 1
    with pytest.raises(ValueError, match="less than 100"):
        opt.add_param_group({"params": [ember.zeros(4, 4, requires_grad=True)], "ns_steps": 100})
    p = ember.zeros(2, 3, requires_grad=True)
    opt = optim.Muon([p])
    p.grad = ember.zeros(6)
    with pytest.raises(ValueError, match=r"Param gradient must be a 2D matrix .*\(6,\)"):
        opt.step()


@pytest.mark.cuda
@pytest.mark.parametrize("name,shape", [("Adafactor", (4, 3)), ("Adafactor", (5,)),
                                        ("Muon", (4, 3))])
def test_cuda_step_matches_cpu(name, shape):
    rng = np.random.default_rng(0)
    init, grad = rng.normal(size=shape), rng.normal(size=shape)
    results = []
    for device in ("cpu", "cuda"):
        p = ember.tensor(init, device=device, requires_grad=True)
        opt = getattr(optim, name)([p], lr=0.01)
        for _ in range(3):
            p.grad = ember.tensor(grad, device=device)
            opt.step()
        results.append(p.detach().cpu().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-10, atol=1e-12)
