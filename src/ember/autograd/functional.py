"""Jacobians, Hessians and their products with vectors, as functions of ``func``.

The API of ``torch.autograd.functional``: the same names, arguments and
return structures (a Tensor for a single Tensor input/output, tuples for
tuples), built on ``autograd.grad``. Everything is reverse mode; products
with the Jacobian from the right (``jvp``, ``hvp``, forward-mode Jacobians)
use the double-backward trick: the vector-Jacobian product ``u -> u^T J``
is linear in ``u``, so differentiating it with respect to ``u`` gives
``J v``.

Differs from PyTorch: ``vectorize=True`` gives the same result row by row
(``func.vmap`` would loop too); ``strategy="forward-mode"`` is computed with the
double-backward trick rather than dual numbers, so it also works without
``vectorize=True``, and returns tuples like reverse mode (PyTorch returns
lists there); the Jacobian of an empty output or input is an empty Tensor
(PyTorch raises).
"""

from ember.autograd.grad_mode import enable_grad
from ember.tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---- argument handling (PyTorch's messages) ---------------------------------
def _as_tuple(value, arg_name, fn_name):
    """(whether ``value`` was a tuple, ``value`` as a tuple of Tensors)."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"{fn_name}: the {arg_name} given to {fn_name} must be either a "
                            f"Tensor or a tuple of Tensors but {where} has type "
                            f"{type(v).__name__}")
    return is_tuple, values


def _unpack(res, to_unpack):
    """Undo ``_as_tuple``: one flag, or (outer, inner) flags for nested results."""
    if isinstance(to_unpack, tuple):
        outer, inner = to_unpack
        if not inner:
            res = tuple(r[0] for r in res)
        return res if outer else res[0]
    return res if to_unpack else res[0]


def _grad_preprocess(inputs, create_graph, need_graph):
    """Fresh Tensor objects for ``inputs``, so that ``func`` capturing the
    originals (as globals) is not mistaken for using the arguments.

    With ``create_graph`` the copies stay connected to the callers' graph (a
    view); otherwise they are detached leaves requiring grad if ``need_graph``.
    """
    if create_graph:
        return tuple(x.view_as(x) if x.requires_grad else x.detach().requires_grad_(need_graph)
                     for x in inputs)
    return tuple(x.detach().requires_grad_(need_graph) for x in inputs)


def _grad_postprocess(results, create_graph):
    """Detach results (nested tuples too) unless the caller wants the graph."""
    if create_graph:
        return results
    return tuple(r.detach() if isinstance(r, Tensor) else _grad_postprocess(r, False)
                 for r in results)


def _validate_v(v, other, other_is_tuple, fn_name):
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(f"{fn_name}: v is a tuple of invalid length: should be "
                               f"{len(other)} but got {len(v)}")
        raise RuntimeError(f"{fn_name}: the given v should contain a single Tensor")
    for i, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.shape != el_other.shape:
            prefix = f"entry {i} in " if other_is_tuple else ""
            raise RuntimeError(f"{fn_name}: {prefix}v has invalid size: should be "
                               f"{list(el_other.shape)} but got {list(el_v.shape)}")


def _vector_arg(v, like, like_is_tuple, create_graph, fn_name, what):
    """Check and preprocess ``v``; None is allowed only for one one-element tensor."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"{fn_name}: the vector v can only be None if the {what} is a "
                               "single Tensor with a single element")
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _grad_preprocess(v, create_graph, need_graph=False)
    _validate_v(v, like, like_is_tuple, fn_name)
    return v


def _call(func, inputs, fn_name, strict, scalar=False):
    """Run ``func``; returns (whether it returned a tuple, outputs as a tuple)."""
    is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                  fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    if scalar:
        if is_tuple:
            raise RuntimeError(f"{fn_name}: the function given to {fn_name} should return a "
                               "single Tensor")
        if outputs[0].numel() != 1:
            raise RuntimeError(f"{fn_name}: the Tensor returned by the function given to "
                               f"{fn_name} should contain a single element, got shape "
                               f"{list(outputs[0].shape)}")
    return is_tuple, outputs


_STRICT_MESSAGES = {
    "outputs": "output {i} of the user-provided function does not require gradients; the "
               "outputs must be computed in a differentiable manner from the input when "
               "running in strict mode",
    "grad_inputs": "the gradient with respect to input {i} is independent of the inputs of "
                   "the user-provided function; this is not allowed in strict mode",
    "jacobian": "while computing the hessian, found that the jacobian of the user-provided "
                "function with respect to input {i} is independent of the input; this is not "
                "allowed in strict mode (is the function linear?)",
}


def _check_requires_grad(tensors, kind, strict):
    """In strict mode, refuse results that are None or cut from the graph."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"the output of the user-provided function is independent of "
                               f"input {i}; this is not allowed in strict mode")
        if not t.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` that skips outputs not requiring grad and allows unused inputs."""
    from ember.autograd import grad
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    used = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not used:
        return (None,) * len(inputs)
    return grad([o for o, _ in used], inputs, [g for _, g in used], retain_graph=retain_graph,
                create_graph=create_graph, allow_unused=True)


def _fill_in_zeros(grads, refs, strict, create_graph, what):
    """Zeros for None gradients (an unused input); in strict mode, raise instead."""
    from ember.ops.creation import zeros_like
    result = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(f"the {what} of the user-provided function is independent "
                                   f"of entry {i}; this is not allowed in strict mode")
            g = zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(f"the {what} of the user-provided function is independent of "
                               f"entry {i}; this is not allowed in strict mode when "
                               "create_graph=True")
        result.append(g)
    return tuple(result)


# ---- public API ---------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The product ``v^T J`` of a vector with the Jacobian of ``func`` at ``inputs``.

    Args:
        func: takes Tensors, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like the outputs; optional when ``func`` returns one
            one-element Tensor.
        create_graph: make the outputs and the result differentiable.
        strict: raise when an input does not affect the outputs, instead of
            returning zeros for it.

    Returns:
        ``(func(*inputs), vjp)``: ``vjp`` is shaped like ``inputs``.
    """
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph, need_graph=True)
        outputs_is_tuple, outputs = _call(func, inputs, "vjp", strict)
        v = _vector_arg(v, outputs, outputs_is_tuple, create_graph, "vjp",
                        "user-provided function's output")
    grads = _grad(outputs, inputs, v, create_graph=create_graph)
    result = _fill_in_zeros(grads, inputs, strict, create_graph, "output")
    return (_unpack(_grad_postprocess(outputs, create_graph), outputs_is_tuple),
            _unpack(_grad_postprocess(result, create_graph), inputs_is_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The product ``J v`` of the Jacobian of ``func`` at ``inputs`` with a vector.

    Computed with the double-backward trick (two reverse passes).

    Args:
        func: takes Tensors, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``inputs``; optional for a single one-element input.
        create_graph: make the outputs and the result differentiable.
        strict: raise when an output does not depend on the inputs.

    Returns:
        ``(func(*inputs), jvp)``: ``jvp`` is shaped like the outputs.
    """
    from ember.ops.creation import zeros_like
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph, need_graph=True)
        v = _vector_arg(v, inputs, inputs_is_tuple, create_graph, "jvp",
                        "input to the user-provided function")
        outputs_is_tuple, outputs = _call(func, inputs, "jvp", strict)
        # u -> u^T J is linear, so the value of u never matters: zeros keep
        # infs and NaNs out of the second pass.
        u = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _grad(outputs, inputs, u, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    grads = _grad(grad_inputs, u, v, create_graph=create_graph)
    result = _fill_in_zeros(grads, outputs, strict, create_graph, "gradient")
    return (_unpack(_grad_postprocess(outputs, create_graph), outputs_is_tuple),
            _unpack(_grad_postprocess(result, create_graph), outputs_is_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``.

    Args:
        func: takes Tensors, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        create_graph: make the Jacobian differentiable (for Hessians and beyond).
        strict: raise when an output does not depend on an input, instead of
            returning zeros for that block.
        vectorize: accepted for PyTorch compatibility; the result is the same
            either way (Ember computes it row by row).
        strategy: ``"reverse-mode"`` (one backward pass per output element) or
            ``"forward-mode"`` (one Jacobian-vector product per input element;
            cheaper when outputs outnumber inputs).

    Returns:
        ``J[i][j]`` of shape ``outputs[i].shape + inputs[j].shape``, as a
        Tensor when ``func`` has one Tensor input and output, a tuple over the
        side that is a tuple, or a tuple of tuples when both are.
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: expected strategy 'reverse-mode' or 'forward-mode', got "
                         f"{strategy!r}")
    if vectorize and strict:
        raise RuntimeError("jacobian: strict=True and vectorize=True are not supported "
                           "together; set one of them to False")
    if strategy == "forward-mode":
        if strict:
            raise RuntimeError("jacobian: strict=True and strategy='forward-mode' are not "
                               "supported together; use strategy='reverse-mode'")
        if create_graph:
            raise NotImplementedError("jacobian: create_graph=True and strategy='forward-mode' "
                                      "are not supported together; use "
                                      "strategy='reverse-mode'")
        return _jacobian_forward(func, inputs)
    from ember.ops.creation import zeros_like
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph, need_graph=True)
        outputs_is_tuple, outputs = _call(func, inputs, "jacobian", strict)
        jac = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]  # rows[j]: d out.flat[k] / d inputs[j], for each k
            flat = out.reshape(-1)
            for k in range(out.numel()):
                grads = _grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
                for j, (g, x) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"jacobian: output {i} of the user-provided "
                                               f"function is independent of input {j}; this "
                                               "is not allowed in strict mode")
                        g = zeros_like(x)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"jacobian: the jacobian of the user-provided "
                                           f"function is independent of input {j}; this is "
                                           "not allowed in strict mode when create_graph=True")
                    rows[j].append(g)
            jac.append(tuple(_assemble(r, out.shape + x.shape, 0, x)
                             for r, x in zip(rows, inputs)))
    return _unpack(_grad_postprocess(tuple(jac), create_graph),
                   (outputs_is_tuple, inputs_is_tuple))


def _jacobian_forward(func, inputs):
    """Column by column: ``J e_k`` for each basis vector ``e_k`` of the inputs."""
    from ember.ops.creation import zeros_like
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    outputs_is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                          "jacobian")
    columns = [[[] for _ in inputs] for _ in outputs]  # columns[i][j]: J[i][j] e_k, each k
    for j, x in enumerate(inputs):
        for k in range(x.numel()):
            basis = tuple(zeros_like(y) for y in inputs)
            basis[j]._array.reshape(-1)[k] = 1  # zeros_like is contiguous: reshape is a view
            _, jv = jvp(func, inputs, basis)
            for i, col in enumerate(jv if outputs_is_tuple else (jv,)):
                columns[i][j].append(col)
    jac = tuple(tuple(_assemble(c, out.shape + x.shape, -1, out)
                      for c, x in zip(columns[i], inputs))
                for i, out in enumerate(outputs))
    return _unpack(jac, (outputs_is_tuple, inputs_is_tuple))


def _assemble(parts, shape, dim, like):
    """Stack per-element gradients along ``dim`` into a Jacobian block of ``shape``.

    ``like`` gives the dtype and device when there is nothing to stack (an
    empty input or output; PyTorch raises there).
    """
    from ember.ops.creation import zeros
    from ember.ops.shape import stack
    if not parts:
        return zeros(shape, dtype=like.dtype, device=like.device)
    return stack(parts, dim=dim).reshape(shape)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs``.

    Args:
        func: takes Tensors, returns a Tensor with a single element.
        inputs: a Tensor or a tuple of Tensors.
        create_graph: make the Hessian differentiable.
        strict: raise when the output (or its gradient) does not depend on an input.
        vectorize: accepted for PyTorch compatibility (see ``jacobian``).
        outer_jacobian_strategy: the ``strategy`` of the outer ``jacobian``;
            the inner one is always reverse mode.

    Returns:
        ``H[i][j]`` of shape ``inputs[i].shape + inputs[j].shape``: a Tensor for
        a single Tensor input, else a tuple of tuples.
    """
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar_func(*inp):
        _, (out,) = _call(func, inp, "hessian", strict, scalar=True)
        return out.squeeze()

    def jac_func(*inp):
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _unpack(res, (inputs_is_tuple, inputs_is_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The product ``v^T H`` of a vector with the Hessian of the scalar ``func``.

    Args:
        func: takes Tensors, returns a Tensor with a single element.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``inputs``; optional for a single one-element input.
        create_graph: make the output and the result differentiable.
        strict: raise when the output (or its gradient) does not depend on an input.

    Returns:
        ``(func(*inputs), vhp)``: ``vhp`` is shaped like ``inputs``.
    """
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _grad_preprocess(inputs, create_graph, need_graph=True)
        v = _vector_arg(v, inputs, inputs_is_tuple, create_graph, "vhp",
                        "input to the user-provided function")
        outputs_is_tuple, outputs = _call(func, inputs, "vhp", strict, scalar=True)
        jac = _grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    grads = _grad(jac, inputs, v, create_graph=create_graph)
    result = _fill_in_zeros(grads, inputs, strict, create_graph, "jacobian")
    return (_unpack(_grad_postprocess(outputs, create_graph), outputs_is_tuple),
            _unpack(_grad_postprocess(result, create_graph), inputs_is_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The product ``H v`` of the Hessian of the scalar ``func`` with a vector.

    Equals ``vhp`` for twice continuously differentiable functions (H is
    symmetric); this one takes an extra backward pass (the double-backward
    trick), so prefer ``vhp`` when that holds.

    Args:
        func: takes Tensors, returns a Tensor with a single element.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``inputs``; optional for a single one-element input.
        create_graph: make the output and the result differentiable.
        strict: raise when the output (or its gradient) does not depend on an input.

    Returns:
        ``(func(*inputs), hvp)``: ``hvp`` is shaped like ``inputs``.
    """
    from ember.ops.creation import zeros_like
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _grad_preprocess(inputs, create_graph, need_graph=True)
        v = _vector_arg(v, inputs, inputs_is_tuple, create_graph, "hvp",
                        "input to the user-provided function")
        outputs_is_tuple, outputs = _call(func, inputs, "hvp", strict, scalar=True)
        jac = _grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        u = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        double_back = _grad(jac, inputs, u, create_graph=True)
    grads = _grad(double_back, u, v, create_graph=create_graph)
    result = _fill_in_zeros(grads, inputs, strict, create_graph, "hessian")
    return (_unpack(_grad_postprocess(outputs, create_graph), outputs_is_tuple),
            _unpack(_grad_postprocess(result, create_graph), inputs_is_tuple))
