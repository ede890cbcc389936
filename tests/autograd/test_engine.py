"""The backward engine: accumulation, retain/create graph, autograd.grad, hooks.

Reference results come from PyTorch running the same code in float64
(``both`` builds the same leaves in each library).
"""

import time

import numpy as np
import pytest
import torch
from reference import check, close, rand

import ember

LIBS = pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])


def both(*arrays):
    """The same float64 leaves requiring grad, in Ember and in PyTorch."""
    e = [ember.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    return e, t


def leaf(lib, values):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


# ---- backward and .grad -------------------------------------------------------------
@LIBS
def test_backward_accumulates_into_leaf_grad_across_calls(lib):
    x = leaf(lib, [1.0, 2.0, 3.0])
    (x * x).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0, 12.0]
    assert first is x.grad  # accumulated in place, as PyTorch does
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0]


@LIBS
def test_non_leaf_grad_is_none_without_retain_grad(lib):
    x = leaf(lib, [1.0, 2.0])
    y = x * 2
    with pytest.warns(UserWarning) if lib is torch else _no_warning():
        (y * y).sum().backward()
        assert y.grad is None
    assert not y.is_leaf and x.is_leaf


def _no_warning():
    import contextlib
    return contextlib.nullcontext()


def test_backward_with_gradient_matches_torch():
    a = rand((2, 3))
    up = rand((2, 3), seed=1)
    (x,), (xt,) = both(a)
    (x * x * 3).backward(ember.tensor(up))
    (xt * xt * 3).backward(torch.tensor(up))
    close(x.grad, xt.grad)


def test_backward_gradient_shape_mismatch_is_refused():
    x = leaf(ember, [1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"mismatch in shape: grad_output\[0\] has a shape of "
                                           r"\[2\] and output\[0\] has a shape of \[3\]"):
        (x * 2).backward(ember.ones(2, dtype=ember.float64))


def test_backward_gradient_of_another_dtype_is_cast():
    x = leaf(ember, [1.0, 2.0])
    (x * 2).backward(ember.tensor([1, 1]))
    assert x.grad.dtype == ember.float64 and x.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("shape", [(3,), (2, 2), (0,)])
def test_backward_on_non_scalar_without_gradient_names_the_shape(shape):
    x = ember.zeros(shape, dtype=ember.float64, requires_grad=True)
    listed = ", ".join(map(str, shape))
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar "
                                           rf"outputs; got an output of shape \[{listed}\]"):
        (x * 2).backward()


def test_backward_on_a_one_element_tensor_needs_no_gradient():
    x = leaf(ember, [[2.0]])
    (x * x).backward()
    assert x.grad.tolist() == [[4.0]]


def test_backward_without_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        ember.ones(2).sum().backward()


def test_backward_of_a_leaf_root_gives_the_gradient_itself():
    x = leaf(ember, [1.0, 2.0])
    x.backward(ember.tensor([3.0, 4.0], dtype=ember.float64))
    assert x.grad.tolist() == [3.0, 4.0]


def test_autograd_backward_with_several_roots_matches_torch():
    a, b = rand((3,)), rand((3,), seed=1)
    (x, y), (xt, yt) = both(a, b)
    g1, g2 = rand((3,), seed=2), rand((3,), seed=3)
    ember.autograd.backward([x * y, x * x], [ember.tensor(g1), ember.tensor(g2)])
    torch.autograd.backward([xt * yt, xt * xt], [torch.tensor(g1), torch.tensor(g2)])
    close(x.grad, xt.grad)
    close(y.grad, yt.grad)


def test_grad_outputs_count_mismatch_is_refused():
    x = leaf(ember, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad: got 1 gradients for 2 outputs"):
        ember.autograd.grad([x * 2, x * 3], x, [ember.ones(2, dtype=ember.float64)])


# ---- retain_graph / create_graph ------------------------------------------------------
def test_second_backward_without_retain_graph_raises_clearly():
    x = leaf(ember, [1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*"
                                           "retain_graph=True"):
        y.backward()


@LIBS
def test_retain_graph_allows_a_second_backward(lib):
    x = leaf(lib, [1.0, 2.0])
    y = (x * x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [9.0, 36.0]


def test_third_derivative_of_a_product_matches_torch():
    a, b = np.array([1.5, -0.5, 2.0]), np.array([2.0, 3.0, -1.0])
    results = []
    for lib in (ember, torch):
        x, y = leaf(lib, a), leaf(lib, b)
        f = (x ** 4 * y * y).sum()
        (g1,) = lib.autograd.grad(f, x, create_graph=True)
        (g2,) = lib.autograd.grad(g1.sum(), x, create_graph=True)
        g3 = lib.autograd.grad(g2.sum(), [x, y])
        results.append(g3)
    for ours, ref in zip(*results):
        close(ours, ref)
    close(results[0][0], 24 * a * b * b)  # d3/dx3 of x^4 y^2


def test_create_graph_backward_gives_differentiable_grad():
    a = rand((4,))
    (x,), (xt,) = both(a)
    (x ** 3).sum().backward(create_graph=True)
    with pytest.warns(UserWarning):  # PyTorch warns about the grad <-> graph cycle
        (xt ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (gg,) = ember.autograd.grad(x.grad.sum(), x)
    (ggt,) = torch.autograd.grad(xt.grad.sum(), xt)
    close(gg, ggt)


def test_create_graph_grads_of_two_leaves_are_independent():
    x, y = leaf(ember, [1.0, 2.0]), leaf(ember, [3.0, 4.0])
    (x + y).sum().backward(create_graph=True)
    assert x.grad is not y.grad
    (x + y).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and y.grad.tolist() == [2.0, 2.0]


# ---- autograd.grad ------------------------------------------------------------------
def test_grad_returns_without_accumulating():
    x = leaf(ember, [1.0, 2.0])
    (g,) = ember.autograd.grad((x * x).sum(), x)
    assert g.tolist() == [2.0, 4.0] and x.grad is None and not g.requires_grad


def test_grad_allow_unused():
    x, z = leaf(ember, [1.0, 2.0]), leaf(ember, [5.0])
    with pytest.raises(RuntimeError, match=r"inputs\[1\] was not used.*allow_unused=True"):
        ember.autograd.grad((x * x).sum(), [x, z])
    gx, gz = ember.autograd.grad((x * x).sum(), [x, z], allow_unused=True)
    assert gx.tolist() == [2.0, 4.0] and gz is None


@LIBS
def test_grad_materialize_grads_gives_zeros(lib):
    x, z = leaf(lib, [1.0, 2.0]), leaf(lib, [5.0])
    gx, gz = lib.autograd.grad((x * x).sum(), [x, z], materialize_grads=True)
    assert gx.tolist() == [2.0, 4.0] and gz.tolist() == [0.0]


def test_grad_materialize_grads_with_allow_unused_false_is_refused():
    x, z = leaf(ember, [1.0, 2.0]), leaf(ember, [5.0])
    with pytest.raises(ValueError, match="allow_unused"):
        ember.autograd.grad((x * x).sum(), [x, z], allow_unused=False, materialize_grads=True)


def test_grad_with_respect_to_non_leaf_tensors_matches_torch():
    a = rand((3,))
    results = []
    for lib in (ember, torch):
        x = leaf(lib, a)
        h = x * 3
        k = h * h
        out = (k * x).sum()
        results.append(lib.autograd.grad(out, [k, h, x]))
    for ours, ref in zip(*results):
        close(ours, ref)


def test_grad_with_respect_to_an_unused_non_leaf():
    x = leaf(ember, [1.0, 2.0])
    a, b = x * 2, x * 3
    assert ember.autograd.grad(b.sum(), [a], allow_unused=True, retain_graph=True) == (None,)
    with pytest.raises(RuntimeError, match=r"inputs\[0\] was not used"):
        ember.autograd.grad(b.sum(), [a])


def test_grad_of_input_not_requiring_grad_is_refused():
    x = leaf(ember, [1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        ember.autograd.grad((x * 2).sum(), [ember.ones(2)])


def test_grad_outputs_may_hold_none_for_scalar_outputs():
    x = leaf(ember, [1.0, 2.0])
    ones = ember.ones(2, dtype=ember.float64)
    (g,) = ember.autograd.grad([(x * x).sum(), x * 3], x, [None, ones])
    assert g.tolist() == [5.0, 7.0]


def test_backward_inputs_accumulates_only_into_those():
    x, y = leaf(ember, [1.0, 2.0]), leaf(ember, [3.0, 4.0])
    (x * y).sum().backward(inputs=[y])
    assert x.grad is None and y.grad.tolist() == [1.0, 2.0]
    (x * y).sum().backward(inputs=[x, y])
    assert x.grad.tolist() == [3.0, 4.0] and y.grad.tolist() == [2.0, 4.0]


def test_backward_inputs_may_be_non_leaf():
    x = leaf(ember, [1.0, 2.0])
    a = x * 2
    (a * a).sum().backward(inputs=[a])
    assert a.grad is not None and a.grad.tolist() == [4.0, 8.0]
    assert x.grad is None


# ---- graph shapes ---------------------------------------------------------------------
def test_long_chain_backward_has_no_recursion_limit():
    x = leaf(ember, 1.0)
    y = x
    start = time.perf_counter()
    for _ in range(50_000):  # 100,000 ops
        y = y * 1.0001 + 0.0001
    y.backward()
    assert time.perf_counter() - start < 30
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 50_000, rtol=1e-9)


def test_diamond_graph_matches_torch():
    def diamond(x, y):
        a = x * y
        b = a * a + a * 3  # a feeds both branches
        c = b / (a * a + 1)
        return c * a - b

    check(diamond, rand((2, 3)), rand((3,), seed=1))


def test_tensor_used_many_times_matches_torch():
    check(lambda x: x * x * x + x @ x + (x / (x * x + 1)).sum(), rand((4,)))


def test_several_outputs_sharing_a_graph_match_torch():
    def f(x, y):
        h = x @ y
        return h * 2, (h * h).sum(1), h - x.sum()

    check(f, rand((2, 3)), rand((3, 4), seed=1))


def test_broadcast_gradient_reduced_to_input_shape():
    check(lambda x, y, z: x * y + z, rand((4, 1, 3)), rand((2, 1)), rand(()))


def test_empty_tensors_backward():
    x = ember.zeros((0, 3), dtype=ember.float64, requires_grad=True)
    (x * 2).sum().backward()
    assert x.grad.shape == (0, 3)


# ---- hooks and retain_grad --------------------------------------------------------------
@LIBS
def test_leaf_hook_modifies_gradient_and_handle_removes_it(lib):
    x = leaf(lib, [1.0, 2.0])
    handle = x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [30.0, 30.0]
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


@LIBS
def test_non_leaf_hook_changes_what_flows_upstream(lib):
    x = leaf(lib, [1.0, 2.0])
    a = x * 3
    seen = []
    a.register_hook(lambda g: seen.append(g.tolist()))  # returns None: gradient unchanged
    a.register_hook(lambda g: g + 1)
    (a * a).sum().backward()
    assert seen == [[6.0, 12.0]]
    assert x.grad.tolist() == [21.0, 39.0]


def test_leaf_hook_sees_the_summed_gradient_once():
    x = leaf(ember, [1.0, 2.0])
    calls = []
    x.register_hook(lambda g: (calls.append(g.tolist()), g * g)[1])
    (x * x).sum().backward()
    assert calls == [[2.0, 4.0]]
    assert x.grad.tolist() == [4.0, 16.0]


def test_hook_on_tensor_not_requiring_grad_is_refused():
    with pytest.raises(RuntimeError, match="register_hook: cannot register a hook on a tensor "
                                           "that doesn't require gradient"):
        ember.ones(2).register_hook(lambda g: g)


def test_hook_changing_the_gradient_shape_is_refused():
    x = leaf(ember, [1.0, 2.0])
    x.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="hook"):
        (x * 2).sum().backward()


@LIBS
def test_retain_grad_keeps_and_accumulates_non_leaf_grad(lib):
    x = leaf(lib, [1.0, 2.0])
    a = x * 2
    a.retain_grad()
    assert a.retains_grad
    s = (a * a).sum()
    s.backward(retain_graph=True)
    assert a.grad.tolist() == [4.0, 8.0]
    s.backward()
    assert a.grad.tolist() == [8.0, 16.0]


def test_retain_grad_sees_hooks_registered_later():
    x = leaf(ember, [1.0, 2.0])
    a = x * 2
    a.retain_grad()
    a.register_hook(lambda g: g * 10)
    a.sum().backward()
    assert a.grad.tolist() == [10.0, 10.0]


def test_node_post_hook_sees_gradients():
    x, y = leaf(ember, [1.0, 2.0]), leaf(ember, [3.0, 4.0])
    z = x * y
    seen = []
    z.grad_fn.register_hook(lambda gin, gout: seen.append((gin[0].tolist(), gin[1].tolist(),
                                                           gout[0].tolist())))
    z.sum().backward()
    assert seen == [([3.0, 4.0], [1.0, 2.0], [1.0, 1.0])]


# ---- detach / requires_grad_ ------------------------------------------------------------
@LIBS
def test_detach_cuts_the_graph_and_shares_data(lib):
    x = leaf(lib, [1.0, 2.0])
    a = x * 2
    d = a.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    with lib.no_grad():
        d.mul_(10)
    assert a.tolist() == [20.0, 40.0]  # same storage


@LIBS
def test_detach_in_place(lib):
    x = leaf(lib, [1.0, 2.0])
    a = x * 2
    assert a.detach_() is a
    assert not a.requires_grad and a.grad_fn is None and a.is_leaf


def test_detach_in_place_on_a_view_is_refused():
    x = leaf(ember, [1.0, 2.0])
    v = (x * 1)[0:1]
    with pytest.raises(RuntimeError, match="view"):
        v.detach_()


@LIBS
def test_requires_grad_toggles_on_leaves(lib):
    z = lib.zeros(2, dtype=lib.float64)
    assert z.requires_grad_() is z and z.requires_grad
    assert not z.requires_grad_(False).requires_grad


def test_requires_grad_on_integer_tensors_is_refused():
    with pytest.raises(RuntimeError, match="requires_grad_: only floating point tensors can "
                                           "require gradients, got dtype ember.int64"):
        ember.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        ember.zeros(2, dtype=ember.int32, requires_grad=True)


def test_requires_grad_false_on_non_leaf_is_refused():
    a = leaf(ember, [1.0]) * 2
    with pytest.raises(RuntimeError, match="only leaf tensors can stop requiring grad"):
        a.requires_grad_(False)


def test_grad_fn_names_follow_torch():
    x = leaf(ember, [1.0, 2.0])
    xt = leaf(torch, [1.0, 2.0])
    for f in (lambda t: t * 2, lambda t: t + 2, lambda t: t.sum(), lambda t: t ** 2,
              lambda t: t / 2):
        assert f(x).grad_fn.name() == type(f(xt).grad_fn).__name__
