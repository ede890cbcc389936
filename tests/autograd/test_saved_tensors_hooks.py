"""``autograd.graph``: hooks on saved tensors, against PyTorch's results."""

import numpy as np
import pytest
import torch

import ember

X = np.array([1.0, 2.0, -0.5])


def _run(lib, pack, unpack, fn, create_graph=False):
    graph = lib.autograd.graph
    x = lib.tensor(X, requires_grad=True)
    with graph.saved_tensors_hooks(pack, unpack):
        y = fn(lib, x)
    if create_graph:
        g, = lib.autograd.grad(y, x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x)
        return g.detach().numpy(), gg.numpy()
    y.backward()
    return x.grad.numpy()


FUNCTIONS = [
    lambda lib, x: (x * x).sum(),
    lambda lib, x: (x ** 3).sum(),
    lambda lib, x: (x.exp() * x.sin()).sum(),  # outputs saved (exp) and inputs (sin)
    lambda lib, x: lib.tanh(x @ lib.ones(3, 2, dtype=lib.float64)).sum(),
]


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_hooks_that_copy_give_torch_gradients_first_and_second_order(fn):
    copy = (lambda t: t.detach().clone(), lambda t: t)
    for create_graph in (False, True):
        ours = _run(ember, *copy, fn, create_graph)
        ref = _run(torch, *copy, fn, create_graph)
        for a, b in zip(ours if create_graph else (ours,), ref if create_graph else (ref,)):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_pack_sees_tensors_and_unpack_gets_what_pack_returned():
    packed, unpacked = [], []

    def pack(t):
        assert isinstance(t, ember.Tensor)
        packed.append(tuple(t.shape))
        return ("boxed", t.detach().numpy().copy())

    def unpack(box):
        unpacked.append(box[0])
        return ember.tensor(box[1])

    np.testing.assert_allclose(_run(ember, pack, unpack, FUNCTIONS[0]), 2 * X)
    assert packed == [(3,), (3,)]  # x * x saves both operands
    assert unpacked == ["boxed", "boxed"]


def test_innermost_hooks_apply_and_hooks_end_with_the_block():
    outer, inner = [], []
    x = ember.tensor(X, requires_grad=True)
    with ember.autograd.graph.saved_tensors_hooks(lambda t: outer.append(1) or t, lambda t: t):
        with ember.autograd.graph.saved_tensors_hooks(lambda t: inner.append(1) or t,
                                                      lambda t: t):
            y = (x * x).sum()
        z = x.sin().sum()
    w = (x * x).sum()
    (y + z + w).backward()
    assert len(inner) == 2 and len(outer) == 1  # sin saves its input
    np.testing.assert_allclose(x.grad.numpy(), 4 * X + np.cos(X))


def test_save_on_cpu_and_disable_match_torch():
    for lib in (ember, torch):
        graph = lib.autograd.graph
        x = lib.tensor(X, requires_grad=True)
        with graph.save_on_cpu():
            y = (x * x.sin()).sum()
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), np.sin(X) + X * np.cos(X), rtol=1e-12)
        with graph.disable_saved_tensors_hooks("no hooks in here"):
            with pytest.raises(RuntimeError, match="no hooks in here"):
                with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
        with graph.saved_tensors_hooks(lambda t: t, lambda t: t):  # allowed again
            with pytest.raises(RuntimeError, match="not while hooks are in force"):
                with graph.disable_saved_tensors_hooks("not while hooks are in force"):
                    pass


def test_in_place_change_after_packing_a_copy_is_fine_and_bad_unpack_refused():
    # PyTorch checks saved versions only without hooks: the hooks kept a copy.
    grads = []
    for lib in (ember, torch):
        x = lib.tensor(X, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
            a = x * 1.0
            y = (a * a).sum()
        a.add_(1.0)
        y.backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], 2 * X)
    x = ember.tensor(X, requires_grad=True)
    with ember.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: 3.0):
        y = (x * x).sum()
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result of "
                                        "type float"):
        y.backward()


def test_increment_version_invalidates_a_saved_tensor_as_in_torch():
    for lib in (ember, torch):
        x = lib.tensor(X, requires_grad=True)
        a = x * 1.0
        y = (a * a).sum()
        lib.autograd.graph.increment_version(a)
        with pytest.raises(RuntimeError):
            y.backward()
    assert ember.autograd.graph.Node is type(ember.tensor([1.0], requires_grad=True).sum().grad_fn)


def test_lossy_hooks_on_a_leaf_use_the_unpacked_values_as_torch():
    """A compressing pack hook: backward sees the rounded values, as in PyTorch."""
    def run(lib, create_graph):
        graph = lib.autograd.graph
        x = lib.tensor([1.23456789, -2.3456789, 0.5], dtype=lib.float64, requires_grad=True)
        with graph.saved_tensors_hooks(lambda t: t.detach().to(lib.float16),
                                       lambda p: p.to(lib.float64)):
            y = (x * x * x).sum()
        if not create_graph:
            y.backward()
            return (x.grad.numpy(),)
        g, = lib.autograd.grad(y, x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x)
        return g.detach().numpy(), gg.numpy()
    for create_graph in (False, True):
        for a, b in zip(run(ember, create_graph), run(torch, create_graph)):
            np.testing.assert_allclose(a, b, rtol=1e-12)
