"""Hooks on graph nodes (``grad_fn.register_hook`` / ``register_prehook``), against PyTorch."""

import numpy as np
import pytest
import torch

import ember


def _run(lib, pre=None, post=None, tensor_hook=None):
    """x * w summed, with hooks on the product's node; returns (events, x.grad, w.grad)."""
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0], requires_grad=True)
    z = x * w
    events = []
    if tensor_hook:
        z.register_hook(lambda g: events.append(("tensor", g.tolist())) or tensor_hook(g))
    if pre:
        z.grad_fn.register_prehook(
            lambda gout: events.append(("pre", [g.tolist() for g in gout])) or pre(gout))
    if post:
        z.grad_fn.register_hook(lambda gin, gout: events.append(
            ("post", [None if g is None else g.tolist() for g in gin],
             [g.tolist() for g in gout])) or post(gin, gout))
    z.sum().backward()
    grads = [None if t.grad is None else t.grad.tolist() for t in (x, w)]
    return events, grads


@pytest.mark.parametrize("hooks", [
    dict(pre=lambda gout: None, post=lambda gin, gout: None),  # observers only
    dict(pre=lambda gout: (gout[0] + 1,)),
    dict(post=lambda gin, gout: (gin[0] * 0, None)),
    dict(tensor_hook=lambda g: g * 10, pre=lambda gout: (gout[0] + 1,),
         post=lambda gin, gout: (gin[1], gin[0])),
])
def test_node_hooks_run_in_torch_order_and_replace_gradients(hooks):
    assert _run(ember, **hooks) == _run(torch, **hooks)


def test_node_hook_handles_remove_the_hook():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        handle = y.grad_fn.register_prehook(lambda gout: (gout[0] * 100,))
        post = y.grad_fn.register_hook(lambda gin, gout: (gin[0] * 7,))
        handle.remove()
        post.remove()
        post.remove()  # a second remove is a no-op
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


@pytest.mark.parametrize("kind,hook,error,message", [
    ("post", lambda gin, gout: (gin[0],), RuntimeError,
     "hook '<lambda>' has returned an incorrect number of values (got 1, but expected 2)"),
    ("pre", lambda gout: (gout[0], gout[0]), RuntimeError,
     "hook '<lambda>' has returned an incorrect number of values (got 2, but expected 1)"),
    ("pre", lambda gout: gout[0], TypeError, "expected tuple, but hook returned 'Tensor'"),
])
def test_node_hook_errors_match_torch(kind, hook, error, message):
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x * w
        (y.grad_fn.register_hook if kind == "post" else y.grad_fn.register_prehook)(hook)
        with pytest.raises(error) as info:
            y.sum().backward()
        assert message in str(info.value), (lib.__name__, str(info.value))


def test_node_hook_with_a_non_tensor_gradient_is_refused():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.grad_fn.register_prehook(lambda gout: (3.0,))
    with pytest.raises(TypeError, match="returned a float among its gradients"):
        y.sum().backward()


def test_prehook_sees_every_output_gradient_of_a_multi_output_node():
    seen = {}
    for lib in (ember, torch):
        a = lib.tensor([[1.0, 5.0], [4.0, 2.0]], requires_grad=True)
        values, indices = a.max(1)
        values.grad_fn.register_prehook(
            lambda gout, lib=lib: seen.setdefault(lib.__name__, len(gout)) and None)
        (values * lib.tensor([1.0, 2.0])).sum().backward()
        seen[lib.__name__ + " grad"] = a.grad.tolist()
    assert seen["ember"] == seen["torch"]
    assert seen["ember grad"] == seen["torch grad"]


def test_node_metadata_is_a_dict_kept_with_the_node():
    x = ember.tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.grad_fn.metadata == {}
    y.grad_fn.metadata["note"] = "scaled"
    assert y.grad_fn.metadata == {"note": "scaled"}


def test_hooks_see_none_for_outputs_without_gradient_like_torch():
    def run(lib):
        a = lib.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=lib.float64, requires_grad=True)
        values, vectors = lib.linalg.eigh(a)
        seen = []
        values.grad_fn.register_prehook(
            lambda gout: seen.append(("pre", [g is None for g in gout])))
        values.grad_fn.register_hook(
            lambda gin, gout: seen.append(("post", [g is None for g in gout])))
        values.sum().backward()
        return seen, np.round(a.grad.numpy(), 6)

    (ours, og), (ref, tg) = run(ember), run(torch)
    assert ours == ref == [("pre", [False, True]), ("post", [False, True])]
    np.testing.assert_allclose(og, tg)


def test_module_backward_hooks_see_none_for_unused_outputs_like_torch():
    def run(lib):
        class Two(lib.nn.Module):
            def forward(self, x):
                return x * 2, x * 3

        m, seen = Two(), []
        m.register_full_backward_pre_hook(lambda mod, go: seen.append([g is None for g in go]))
        m.register_full_backward_hook(lambda mod, gi, go: seen.append([g is None for g in go]))
        x = lib.ones(2, requires_grad=True)
        first, _ = m(x)
        first.sum().backward()
        return seen, x.grad.tolist()

    assert run(ember) == run(torch)


def test_a_prehook_cannot_replace_a_none_gradient_like_torch():
    for lib in (ember, torch):
        a = lib.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=lib.float64, requires_grad=True)
        values, vectors = lib.linalg.eigh(a)
        values.grad_fn.register_prehook(lambda gout: (gout[0], lib.ones_like(vectors)))
        with pytest.raises(RuntimeError, match="can't replace a None gradient with a non-None"):
            values.sum().backward()
