"""Anomaly detection (``detect_anomaly``, ``set_detect_anomaly``), ``grad(only_inputs=)``
and ``Variable``, each run on Ember and on PyTorch (``lib`` is the module)."""

import inspect
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.autograd import anomaly_mode
from ember.autograd import function as function_module

LIBS = pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])


def is_enabled(lib):
    return ember.autograd.is_anomaly_enabled() if lib is ember else torch.is_anomaly_enabled()


def is_check_nan(lib):
    return (ember.autograd.is_anomaly_check_nan_enabled() if lib is ember
            else torch.is_anomaly_check_nan_enabled())


@pytest.fixture(autouse=True)
def _anomaly_off_after_each_test():
    yield
    ember.autograd.set_detect_anomaly(False)
    torch.autograd.set_detect_anomaly(False)


def line_of(fn, text):
    """The line number of ``text`` in the source of ``fn``."""
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


def anomaly_warnings(record):
    return "\n".join(str(w.message) for w in record if "detected in" in str(w.message)
                     or "Previous calculation" in str(w.message))


def sqrt_at_zero(lib):
    x = lib.tensor([0.0, 4.0], dtype=lib.float64, requires_grad=True)
    y = x.sqrt()  # forward line
    return x, (y * 0).sum()


@LIBS
def test_nan_from_sqrt_at_zero_names_the_node_and_the_forward_line(lib):
    with pytest.warns(UserWarning) as record:
        with lib.autograd.detect_anomaly():
            x, loss = sqrt_at_zero(lib)
            with pytest.raises(RuntimeError) as info:
                loss.backward()
    assert str(info.value) == "Function 'SqrtBackward0' returned nan values in its 0th output."
    text = anomaly_warnings(record)
    assert "Error detected in SqrtBackward0. Traceback of forward call that caused the error:" \
        in text
    assert f'line {line_of(sqrt_at_zero, "# forward line")}, in sqrt_at_zero' in text
    assert "y = x.sqrt()  # forward line" in text
    assert x.grad is None  # the failing pass delivered nothing


@LIBS
def test_log_of_a_negative_number_reports_the_op_that_spreads_the_nan(lib):
    # log(-1) is nan in the forward, but its own gradient 1/x is finite: the
    # first backward to return nan is the one of y * c, for c's gradient (its 1th).
    x = lib.tensor([-1.0, 2.0], dtype=lib.float64, requires_grad=True)
    c = lib.tensor([3.0, 3.0], dtype=lib.float64, requires_grad=True)
    with lib.autograd.set_detect_anomaly(True):
        y = x.log()
        z = (y * c).sum()
        with pytest.warns(UserWarning, match="Error detected in MulBackward0"):
            with pytest.raises(RuntimeError,
                               match=r"^Function 'MulBackward0' returned nan values in its 1th "
                                     r"output\.$"):
                z.backward()


@LIBS
def test_without_check_nan_the_nan_gradient_goes_through(lib):
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = lib.autograd.detect_anomaly(check_nan=False)
    with mode:
        assert is_enabled(lib) and not is_check_nan(lib)
        x, loss = sqrt_at_zero(lib)
        loss.backward()
    assert np.isnan(x.grad[0].item()) and x.grad[1].item() == 0.0
    assert not is_enabled(lib) and is_check_nan(lib)


@LIBS
def test_off_nan_gradients_are_silent(lib):
    x, loss = sqrt_at_zero(lib)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss.backward()
    assert np.isnan(x.grad[0].item())


@LIBS
def test_node_made_before_anomaly_mode_has_no_forward_information(lib):
    x, loss = sqrt_at_zero(lib)
    with pytest.warns(UserWarning) as record:
        with lib.autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match="SqrtBackward0' returned nan"):
                loss.backward()
    assert ("Error detected in SqrtBackward0. No forward pass information available. Enable "
            "detect anomaly during forward pass for more information.") in anomaly_warnings(record)


@LIBS
def test_error_in_a_custom_backward_reports_its_forward_call(lib):
    class Failing(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2  # an array in Ember, a tensor in torch

        @staticmethod
        def backward(ctx, g):
            raise ValueError("broken backward")

    x = lib.ones(2, requires_grad=True)
    with pytest.warns(UserWarning) as record:
        with lib.autograd.detect_anomaly():
            out = Failing.apply(x)  # the failing call
            with pytest.raises(ValueError, match="broken backward"):
                out.sum().backward()
    text = anomaly_warnings(record)
    assert "Error detected in FailingBackward" in text
    assert "out = Failing.apply(x)  # the failing call" in text


@LIBS
def test_create_graph_backward_names_the_node_that_induced_it(lib):
    # The graph of a first derivative is made by SqrtBackward0; differentiating
    # it again hits 0 * inf in that graph's division.
    x = lib.tensor([0.0, 1.0], dtype=lib.float64, requires_grad=True)
    with pytest.warns(UserWarning) as record:
        with lib.autograd.detect_anomaly():
            y = x.sqrt().sum()  # first forward
            (g,) = lib.autograd.grad(y, x, create_graph=True)  # second forward
            with pytest.raises(RuntimeError,
                               match="Function 'DivBackward0' returned nan values in its 1th"):
                (g * 0).sum().backward()
    text = anomaly_warnings(record)
    assert "Error detected in DivBackward0" in text
    assert "(g,) = lib.autograd.grad(y, x, create_graph=True)  # second forward" in text
    assert ("Previous calculation was induced by SqrtBackward0. Traceback of forward call that "
            "induced the previous calculation:") in text
    assert "y = x.sqrt().sum()  # first forward" in text


@LIBS
def test_set_detect_anomaly_as_function_and_context_manager(lib):
    assert not is_enabled(lib) and is_check_nan(lib)
    lib.autograd.set_detect_anomaly(True, check_nan=False)
    assert is_enabled(lib) and not is_check_nan(lib)
    with lib.autograd.set_detect_anomaly(False):
        assert not is_enabled(lib) and is_check_nan(lib)
        with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
            inner = lib.autograd.detect_anomaly()
        assert not is_enabled(lib)  # detect_anomaly acts on entering only
        with inner:
            assert is_enabled(lib) and is_check_nan(lib)
        assert not is_enabled(lib)
    assert is_enabled(lib) and not is_check_nan(lib)  # restored
    lib.autograd.set_detect_anomaly(False)
    assert not is_enabled(lib)


def test_detect_anomaly_as_a_decorator():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        @ember.autograd.detect_anomaly(check_nan=False)
        def run():
            """Docstring kept."""
            return is_enabled(ember), is_check_nan(ember)

    assert run() == (True, False)
    assert run.__doc__ == "Docstring kept."
    assert not is_enabled(ember) and is_check_nan(ember)


def test_stacks_are_recorded_only_while_on():
    x = ember.ones(2, requires_grad=True)
    plain = function_module._record
    assert (x * 2).grad_fn.__dict__.get("_anomaly_trace") is None
    with ember.autograd.set_detect_anomaly(True):
        assert function_module._record is not plain
        node = (x * 2).grad_fn
        assert node._anomaly_trace[-1].name == "test_stacks_are_recorded_only_while_on"
    assert function_module._record is plain
    assert (x * 2).grad_fn.__dict__.get("_anomaly_trace") is None
    assert anomaly_mode._Anomaly.current_node is None


def test_gradients_under_anomaly_mode_equal_the_plain_ones():
    def run():
        x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ember.float64, requires_grad=True)
        b = ember.tensor([0.5, -1.0], dtype=ember.float64, requires_grad=True)
        y = ((x + b) * x.exp()).sum()  # b broadcast: its gradient is summed down
        (gx, gb) = ember.autograd.grad(y, (x, b), create_graph=True)
        (h,) = ember.autograd.grad(gx.sum() + gb.sum(), x)
        return gx.detach(), gb.detach(), h

    plain = run()
    with ember.autograd.set_detect_anomaly(True):
        checked = run()
    for a, b in zip(plain, checked):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ---- grad(only_inputs=) and Variable ----------------------------------------------------

@LIBS
def test_grad_only_inputs_is_accepted_and_ignored(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (g,) = lib.autograd.grad((x * 3).sum(), x, None, None, False, True)  # positional
    assert g.tolist() == [3.0, 3.0]
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated and is ignored "
                                           "now"):
        (g,) = lib.autograd.grad((x * 3).sum(), x, only_inputs=False)
    assert g.tolist() == [3.0, 3.0] and x.grad is None


@LIBS
def test_variable_wraps_as_a_detached_tensor(lib):
    Variable = lib.autograd.Variable
    t = lib.ones(2)
    v = Variable(t)
    assert type(v) is type(t) and v is not t and not v.requires_grad
    w = Variable(t, requires_grad=True)
    assert w.requires_grad and w.is_leaf and not t.requires_grad
    t.add_(1.0)  # shares t's memory
    assert w.tolist() == [2.0, 2.0]
    assert Variable(t, True).requires_grad
    a = lib.ones(2, requires_grad=True)
    u = Variable(a * 2)
    assert u.grad_fn is None and u.is_leaf and not u.requires_grad
    assert isinstance(t, Variable) and isinstance(u, Variable)
    assert not isinstance(3, Variable) and not isinstance(np.ones(2), Variable)
    assert not issubclass(type(t), Variable)
    assert Variable().tolist() == [] and Variable().dtype == lib.float32
    with pytest.warns(UserWarning, match="volatile was removed and now has no effect"):
        Variable(t, volatile=True)


@LIBS
def test_variable_errors(lib):
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        lib.autograd.Variable([1.0, 2.0])
    with pytest.raises(RuntimeError, match="floating point"):
        lib.autograd.Variable(lib.tensor([1, 2]), requires_grad=True)
    with pytest.raises(TypeError):
        lib.autograd.Variable(lib.ones(1), foo=True)
