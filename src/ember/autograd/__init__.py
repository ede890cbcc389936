"""Reverse-mode automatic differentiation: ``backward``, ``grad``, grad modes, anomaly mode."""

import warnings

from ember.autograd import functional, graph  # noqa: F401 - graph: autograd.graph path
from ember.autograd.anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled,
                                         is_anomaly_enabled, set_anomaly_enabled,
                                         set_detect_anomaly)
from ember.autograd.engine import run_backward
from ember.autograd.function import Function, Node, once_differentiable
from ember.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from ember.autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                                      set_grad_enabled)
from ember.tensor import Tensor

__all__ = ["backward", "grad", "Function", "Node", "once_differentiable", "functional",
           "gradcheck", "gradgradcheck", "GradcheckError", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled", "Variable"]


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _root_grads(outputs, grad_outputs, op):
    grads = []
    given = _as_list(grad_outputs) or [None] * len(outputs)
    if len(given) != len(outputs):
        raise RuntimeError(f"{op}: got {len(given)} gradients for {len(outputs)} outputs")
    for i, (out, g) in enumerate(zip(outputs, given)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}: outputs[{i}] is a {type(out).__name__}, expected a Tensor")
        if not out.requires_grad:
            raise RuntimeError(f"{op}: element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if g is None:
            if out._array.size != 1:
                raise RuntimeError(f"{op}: grad can be implicitly created only for scalar "
                                   f"outputs; got an output of shape {list(out.shape)}; pass "
                                   "gradient= (for backward) or grad_outputs= (for grad)")
            xp = __import__("ember").backend.device.xp_of(out._array)
            g = Tensor._wrap(xp.ones(out._array.shape, out._array.dtype), False, None, 0)
        else:
            if not isinstance(g, Tensor):
                from ember.ops._util import as_operand
                g = as_operand(g, out)
            if g._array.shape != out._array.shape:
                raise RuntimeError(f"{op}: mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{list(g.shape)} and output[{i}] has a shape of "
                                   f"{list(out.shape)}")
            if g._array.dtype != out._array.dtype:
                g = g.to(out.dtype)
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into the ``.grad`` of leaves.

    Args:
        tensors: a Tensor or sequence of Tensors to differentiate.
        grad_tensors: the gradient w.r.t. each (optional for one-element tensors).
        retain_graph: keep the graph for another pass (default: ``create_graph``).
        create_graph: record the backward pass, for higher-order derivatives.
        inputs: if given, accumulate only into these tensors.
    """
    outputs = _as_list(tensors)
    inputs = _as_list(inputs)
    if inputs is not None and not inputs:
        raise RuntimeError("backward: the inputs argument cannot be empty (leave it out to "
                           "accumulate into every leaf)")
    grads = _root_grads(outputs, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, materialize_grads=False):
    """The gradients of ``outputs`` w.r.t. ``inputs``, returned (not accumulated).

    Args:
        outputs: Tensor(s) to differentiate.
        inputs: Tensor(s) to differentiate with respect to.
        grad_outputs: the gradient w.r.t. each output (optional for one-element outputs).
        retain_graph: keep the graph for another pass (default: ``create_graph``).
        create_graph: record this computation so its result can be differentiated again.
        only_inputs: deprecated and ignored, as in PyTorch (False warns): only the
            gradients of ``inputs`` are computed; use ``backward`` to accumulate others.
        allow_unused: return None for inputs the outputs do not depend on, instead of raising.
        materialize_grads: return zeros instead of None for unused inputs.

    Returns:
        A tuple with one gradient per input.
    """
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). "
                      "To accumulate gradient for other parts of the graph, please use "
                      "ember.autograd.backward.", FutureWarning, stacklevel=2)
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    if not ins:
        raise RuntimeError("grad: the inputs argument cannot be empty")
    grads = _root_grads(outs, grad_outputs, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: expected allow_unused to be True or not passed when "
                         "materialize_grads=True")
    if allow_unused is None:
        allow_unused = materialize_grads
    result = run_backward(outs, grads, retain_graph, create_graph, inputs=ins,
                          allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        from ember.ops.creation import zeros_like
        result = [zeros_like(x) if g is None else g for g, x in zip(result, ins)]
    return tuple(result)


class _VariableMeta(type):
    # Every Tensor is a Variable, as in PyTorch, where the two were merged.
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """PyTorch's deprecated tensor wrapper: ``Variable(data, requires_grad=False, volatile=False)``.

    Tensors and Variables are one thing now: ``Variable(t)`` returns ``t``
    detached (a new leaf sharing ``t``'s memory), requiring grad if asked, and
    ``isinstance(t, Variable)`` is true for every Tensor. ``Variable()`` is an
    empty float tensor. ``volatile=True`` only warns (use ``no_grad``).
    """

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with ember.no_grad():` "
                          "instead.", UserWarning, stacklevel=2)
        if data is None:
            from ember.ops.creation import empty
            data = empty(0)
        elif not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out
