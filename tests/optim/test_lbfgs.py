"""LBFGS against torch.optim.LBFGS: parameter trajectories, evaluation counts and
stopping, with fixed steps and with the strong-Wolfe line search."""

import numpy as np
import pytest
import torch

import ember


def rosenbrock(lib, params):
    """A 2-D Rosenbrock valley per pair, plus a quadratic bowl: a curved problem."""
    x, w = params
    valley = ((1 - x[0::2]) ** 2 + 10 * (x[1::2] - x[0::2] ** 2) ** 2).sum()
    return valley + ((w - 0.5) ** 2 * lib.arange(1.0, 4.0, dtype=lib.float64)).sum()


def run(lib, steps, **kwargs):
    params = [lib.tensor(np.array([-1.2, 1.0, 0.3, -0.5]), requires_grad=True),
              lib.tensor(np.array([2.0, -1.0, 0.0]), requires_grad=True)]
    opt = lib.optim.LBFGS(params, **kwargs)
    calls = []

    def closure():
        opt.zero_grad()
        loss = rosenbrock(lib, params)
        loss.backward()
        calls.append(loss.item())
        return loss

    trajectory = []
    for _ in range(steps):
        first = opt.step(closure)
        trajectory.append([p.detach().numpy().copy() for p in params] + [first.item()])
    state = opt.state[params[0]]
    return trajectory, calls, (state["func_evals"], state["n_iter"])


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(lr=0.5, max_iter=5, history_size=3),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", max_iter=4, history_size=2, lr=0.8),
    dict(max_iter=3, max_eval=2),
    dict(tolerance_grad=1e-3, tolerance_change=1e-4, line_search_fn="strong_wolfe"),
    dict(max_iter=1, lr=0.1, line_search_fn="strong_wolfe"),  # the search gets 24 evaluations
    dict(max_iter=4, max_eval=5, line_search_fn="strong_wolfe"),
])
def test_trajectory_matches_torch(kwargs):
    ours, our_calls, our_counts = run(ember, 4, **kwargs)
    ref, ref_calls, ref_counts = run(torch, 4, **kwargs)
    assert our_counts == ref_counts
    np.testing.assert_allclose(our_calls, ref_calls, rtol=1e-9, atol=1e-12)
    for step, (a, b) in enumerate(zip(ours, ref)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12, err_msg=f"step {step}")


def test_converges_on_the_valley():
    trajectory, _, _ = run(ember, 10, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(trajectory[-1][0], [1, 1, 1, 1], atol=1e-4)
    np.testing.assert_allclose(trajectory[-1][1], [0.5, 0.5, 0.5], atol=1e-4)


def test_errors():
    p = [ember.zeros(2, requires_grad=True)]
    with pytest.raises(RuntimeError, match="requires a closure"):
        ember.optim.LBFGS(p).step(None)
    with pytest.raises(ValueError, match="'strong_wolfe'"):
        ember.optim.LBFGS(p, line_search_fn="backtracking")
    with pytest.raises(ValueError, match="parameter groups"):
        ember.optim.LBFGS([{"params": p}, {"params": [ember.zeros(1, requires_grad=True)]}])


def test_state_holds_tensors_and_a_checkpoint_resumes_the_trajectory():
    import copy
    full, _, _ = run(ember, 4, history_size=3, max_iter=5)
    params = [ember.tensor(np.array([-1.2, 1.0, 0.3, -0.5]), requires_grad=True),
              ember.tensor(np.array([2.0, -1.0, 0.0]), requires_grad=True)]

    def make(ps):
        opt = ember.optim.LBFGS(ps, history_size=3, max_iter=5)

        def closure():
            opt.zero_grad()
            loss = rosenbrock(ember, ps)
            loss.backward()
            return loss
        return opt, closure

    opt, closure = make(params)
    opt.step(closure), opt.step(closure)
    assert isinstance(opt.state[params[0]]["d"], ember.Tensor)
    saved = copy.deepcopy(opt.state_dict())
    fresh = [ember.tensor(p.detach().numpy(), requires_grad=True) for p in params]
    opt2, closure2 = make(fresh)
    opt2.load_state_dict(saved)
    opt2.step(closure2), opt2.step(closure2)
    for a, b in zip(fresh, full[-1]):
        np.testing.assert_allclose(a.detach().numpy(), b, rtol=1e-12)


def test_a_linear_objective_does_not_break_the_line_search():
    # Equal trial steps make the cubic fit divide by zero; PyTorch's tensors give
    # inf/nan there, which the clipping resolves, and so do Ember's floats.
    results = []
    for lib in (ember, torch):
        p = lib.tensor(np.array([-1.5, 2.0]), requires_grad=True)
        opt = lib.optim.LBFGS([p], line_search_fn="strong_wolfe", max_iter=3)

        def closure():
            opt.zero_grad()
            loss = p.sum() * 1.0
            loss.backward()
            return loss
        results.append((opt.step(closure).item(), p.detach().numpy().tolist()))
    assert results[0] == results[1]
