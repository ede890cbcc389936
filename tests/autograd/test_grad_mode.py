"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode.

Every test runs the same code on Ember and on PyTorch (``lib`` is the
module), so the two must agree on each behaviour, not only on the ones
written down here.
"""

import pytest
import torch

import ember

LIBS = pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])


def leaf(lib):
    return lib.ones(3, dtype=lib.float64, requires_grad=True)


@pytest.fixture(autouse=True)
def _restore_grad_mode():
    # A failing test must not leave recording off for the tests after it.
    yield
    ember.set_grad_enabled(True)
    torch.set_grad_enabled(True)


@LIBS
@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_disabling_context_stops_recording_and_restores(lib, mode):
    x = leaf(lib)
    with getattr(lib, mode)():
        assert not lib.is_grad_enabled()
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert lib.is_grad_enabled()
    assert (x * 2).requires_grad


@LIBS
def test_enable_grad_inside_no_grad_records(lib):
    x = leaf(lib)
    with lib.no_grad():
        with lib.enable_grad():
            assert lib.is_grad_enabled()
            y = x * 2
        assert not lib.is_grad_enabled()
        z = x * 2
    assert y.requires_grad and not z.requires_grad


@LIBS
def test_set_grad_enabled_as_function_and_context(lib):
    lib.set_grad_enabled(False)
    assert not lib.is_grad_enabled()
    with lib.set_grad_enabled(True):
        assert lib.is_grad_enabled()
    assert not lib.is_grad_enabled()  # the context restores what was there before it
    lib.set_grad_enabled(True)
    with lib.set_grad_enabled(False):
        assert not (leaf(lib) * 2).requires_grad
    assert lib.is_grad_enabled()


def test_set_grad_enabled_rejects_a_non_bool():
    with pytest.raises(TypeError, match="set_grad_enabled: expected mode to be a bool, got str"):
        ember.set_grad_enabled("no")


@LIBS
@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "inference_mode"])
def test_modes_are_decorators_with_and_without_parentheses(lib, mode):
    expected = mode == "enable_grad"
    make = getattr(lib, mode)

    @make
    def bare(x):
        """Doc."""
        return lib.is_grad_enabled(), (x * 2).requires_grad

    @make()
    def called(x):
        return lib.is_grad_enabled(), (x * 2).requires_grad

    with lib.set_grad_enabled(not expected):
        assert bare(leaf(lib)) == (expected, expected)
        assert called(leaf(lib)) == (expected, expected)
        assert lib.is_grad_enabled() == (not expected)
    assert bare.__name__ == "bare" and bare.__doc__ == "Doc."


@LIBS
def test_set_grad_enabled_decorator_applies_to_calls_only(lib):
    @lib.set_grad_enabled(False)
    def f(x):
        return (x * 2).requires_grad

    assert lib.is_grad_enabled()  # decorating must not switch recording off
    assert f(leaf(lib)) is False
    assert lib.is_grad_enabled()


@LIBS
def test_inference_mode_false_turns_recording_back_on(lib):
    with lib.inference_mode(False):
        assert lib.is_grad_enabled()
        assert (leaf(lib) * 2).requires_grad
    with lib.no_grad():
        with lib.inference_mode(False):
            assert lib.is_grad_enabled()
        assert not lib.is_grad_enabled()


def test_is_inference_mode_enabled():
    assert not ember.is_inference_mode_enabled()
    with ember.inference_mode():
        assert ember.is_inference_mode_enabled()
        with ember.inference_mode(False):
            assert not ember.is_inference_mode_enabled()
        assert ember.is_inference_mode_enabled()
    assert not ember.is_inference_mode_enabled()


@LIBS
def test_decorated_methods_bind_self(lib):
    class Model:
        @lib.no_grad
        def bare(self, x):
            return (x * 2).requires_grad

        @lib.no_grad()
        def called(self, x):
            return (x * 2).requires_grad

        @lib.inference_mode
        def inferred(self, x):
            return (x * 2).requires_grad

    m = Model()
    assert m.bare(leaf(lib)) is False
    assert m.called(leaf(lib)) is False
    assert m.inferred(leaf(lib)) is False


@LIBS
def test_nested_modes_restore_in_order(lib):
    seen = []
    with lib.no_grad():
        seen.append(lib.is_grad_enabled())
        with lib.enable_grad():
            seen.append(lib.is_grad_enabled())
            with lib.set_grad_enabled(False):
                seen.append(lib.is_grad_enabled())
                with lib.inference_mode():
                    seen.append(lib.is_grad_enabled())
                seen.append(lib.is_grad_enabled())
            seen.append(lib.is_grad_enabled())
        seen.append(lib.is_grad_enabled())
    seen.append(lib.is_grad_enabled())
    assert seen == [False, True, False, False, False, True, False, True]


@LIBS
@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "inference_mode"])
def test_state_restored_after_an_exception(lib, mode):
    outer = mode == "no_grad" or mode == "inference_mode"
    with lib.set_grad_enabled(outer):
        with pytest.raises(ValueError, match="boom"):
            with getattr(lib, mode)():
                raise ValueError("boom")
        assert lib.is_grad_enabled() == outer

        @getattr(lib, mode)
        def fails():
            raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            fails()
        assert lib.is_grad_enabled() == outer
    with pytest.raises(ValueError, match="boom"):
        with lib.set_grad_enabled(False):
            raise ValueError("boom")
    assert lib.is_grad_enabled()


@LIBS
def test_recursive_decorated_function_keeps_state_per_call(lib):
    @lib.no_grad()
    def depth(n):
        if n == 0:
            return lib.is_grad_enabled()
        with lib.enable_grad():
            inner = depth(n - 1)
            assert lib.is_grad_enabled()  # the inner call restored *this* level's mode
        return inner

    assert depth(3) is False
    assert lib.is_grad_enabled()


@LIBS
def test_decorated_generator_runs_each_step_in_the_mode(lib):
    @lib.no_grad()
    def steps(x):
        for _ in range(2):
            received = yield lib.is_grad_enabled(), (x * 2).requires_grad
            assert received == "go"

    gen = steps(leaf(lib))
    assert next(gen) == (False, False)
    assert lib.is_grad_enabled()  # between steps, the caller's mode
    assert gen.send("go") == (False, False)
    with pytest.raises(StopIteration):
        gen.send("go")
    assert lib.is_grad_enabled()


@LIBS
def test_leaf_made_in_no_grad_still_requires_grad(lib):
    with lib.no_grad():
        x = lib.zeros(2, dtype=lib.float64, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


@LIBS
def test_backward_inside_no_grad(lib):
    x = leaf(lib)
    y = (x * x).sum()
    with lib.no_grad():
        (g,) = lib.autograd.grad(y, x, create_graph=True)  # create_graph wins over no_grad
    assert g.requires_grad
    s = g.sum()
    with lib.no_grad():
        (g2,) = lib.autograd.grad(s, x)
    assert g2.tolist() == [2.0, 2.0, 2.0]
