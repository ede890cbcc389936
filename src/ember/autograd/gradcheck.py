"""Check analytical gradients against finite differences: gradcheck, gradgradcheck.

``gradcheck`` builds the Jacobian of ``func`` twice: numerically, by central
differences ``(f(x + eps) - f(x - eps)) / 2 eps`` on one input element at a
time, and analytically, by one backward pass per output element (each pass
gives one row, ``e_k^T J``). The two must agree to ``atol + rtol * |numerical|``
elementwise. ``fast_mode`` compares the scalars ``v^T J u`` for random
``u``, ``v`` instead, at the cost of two passes per input and one per output.
``gradgradcheck`` runs ``gradcheck`` on the function that maps (inputs,
grad_outputs) to the gradients, so it checks the backward of the backward.

Use float64 inputs: with eps = 1e-6 the differences of float32 values are
mostly rounding noise (a warning says so, as in PyTorch).

Differs from PyTorch: Ember has no forward-mode AD, vmap or sparse tensors,
so ``check_forward_ad``, ``check_batched_grad``, ``check_batched_forward_grad``,
``check_fwd_over_rev`` and ``masked`` raise when set to True.
``check_undefined_grad`` is always satisfied by construction: the engine
gives absent output gradients as zeros, and every check differentiates
outputs one at a time and with zero gradients.
"""

import warnings

import numpy as np

from ember.backend.device import xp_of
from ember.backend.dtype import float64
from ember.tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` and ``gradgradcheck`` when a check fails."""


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """Check the gradients of ``func`` at ``inputs`` against finite differences.

    Gradients are checked with respect to the Tensor inputs that require grad,
    for every output that requires grad.

    Args:
        func: takes the inputs, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments (Tensors and other values).
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance (relative to the numerical value).
        raise_exception: raise ``GradcheckError`` on failure (else return False).
        nondet_tol: how far two backward passes on the same input may differ.
        check_undefined_grad: accepted for PyTorch compatibility (always holds).
        check_grad_dtypes: also require each gradient's dtype to be its input's.
        check_backward_ad: must be True (Ember's only AD mode).
        fast_mode: compare ``v^T J u`` for random ``u``, ``v`` instead of whole
            Jacobians (on failure, the message still shows both Jacobians).
        check_batched_grad, check_batched_forward_grad, check_forward_ad,
        masked: not supported; must be False (or None).

    Returns:
        True when every check passes.

    Raises:
        GradcheckError: a check failed (if ``raise_exception``).
        ValueError: no input requires grad.
    """
    _refuse_unsupported(gradcheck, check_batched_grad=check_batched_grad,
                        check_batched_forward_grad=check_batched_forward_grad,
                        check_forward_ad=check_forward_ad, masked=masked)
    if not check_backward_ad:
        raise ValueError("gradcheck: check_backward_ad=False leaves nothing to check (Ember has "
                         "no forward-mode AD)")
    try:
        return _gradcheck(func, _as_tuple(inputs), eps, atol, rtol, nondet_tol,
                          check_grad_dtypes, fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives of ``func``: gradcheck of its backward pass.

    The gradients ``d(func)/d(inputs)`` contracted with ``grad_outputs`` are
    themselves differentiated, with respect to the inputs and to the
    ``grad_outputs`` that require grad.

    Args:
        func: takes the inputs, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments.
        grad_outputs: one per differentiable output; default: random in
            [-1, 1), requiring grad.
        gen_non_contig_grad_outputs: make the random ``grad_outputs``
            non-contiguous.
        check_rev_over_rev: must be True (Ember's only AD mode).
        Others: as in ``gradcheck``.

    Returns:
        True when every check passes.
    """
    _refuse_unsupported(gradgradcheck, check_batched_grad=check_batched_grad,
                        check_fwd_over_rev=check_fwd_over_rev, masked=masked)
    if not check_rev_over_rev:
        raise ValueError("gradgradcheck: check_rev_over_rev=False leaves nothing to check "
                         "(Ember has no forward-mode AD)")
    from ember.autograd import grad
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable(_as_tuple(func(*inputs)))
        grad_outputs = tuple(_random_grad_output(o, gen_non_contig_grad_outputs)
                             for o in outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    # gradcheck perturbs the data of its arguments in place; func sees them
    # as they are, with their requires_grad flags.
    diff_input_indices = [i for i, x in enumerate(inputs)
                          if isinstance(x, Tensor) and x.requires_grad]

    def grads_of_func(*args):
        ins, gouts = args[:len(args) - n_out], args[len(args) - n_out:]
        outs = _differentiable(_as_tuple(func(*ins)))
        grads = grad(outs, [ins[i] for i in diff_input_indices], gouts, create_graph=True,
                     allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(grads_of_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, fast_mode=fast_mode)


# ---- the checks -------------------------------------------------------------------
def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes, fast_mode):
    diff_inputs = _check_inputs(inputs)
    tensor_outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
    # The numerical side sees every Tensor output; positions[i] is where the
    # i-th differentiable output (the analytical side's i) sits among them.
    positions = [k for k, o in enumerate(tensor_outputs) if o.requires_grad]
    outputs = [tensor_outputs[k] for k in positions]
    if not outputs:
        _check_no_differentiable_outputs(func, inputs, diff_inputs, eps)
    elif fast_mode:
        _fast_check(func, inputs, diff_inputs, outputs, positions, eps, atol, rtol,
                    nondet_tol, check_grad_dtypes)
    else:
        _slow_check(func, inputs, diff_inputs, outputs, positions, eps, atol, rtol,
                    nondet_tol, check_grad_dtypes)
    if outputs:
        _check_zero_grad_outputs(outputs, diff_inputs)
    return True


def _slow_check(func, inputs, diff_inputs, outputs, positions, eps, atol, rtol, nondet_tol,
                check_dtypes):
    # numerical[j][k]: d (Tensor output k) / d diff_inputs[j], shape (numel_in, numel_out)
    numerical = [_numerical_jacobian(func, inputs, x, eps) for x in diff_inputs]
    for i, (out, k) in enumerate(zip(outputs, positions)):
        analytical = _analytical_jacobian(out, diff_inputs, nondet_tol, check_dtypes)
        for j, a in enumerate(analytical):
            n = numerical[j][k]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                raise GradcheckError(_mismatch_message(i, j, n, a))


def _fast_check(func, inputs, diff_inputs, outputs, positions, eps, atol, rtol, nondet_tol,
                check_dtypes):
    rng = np.random.default_rng(0)  # its own generator: the user's RNG state is untouched
    all_u = [_unit_vector(rng, x.numel()) for x in diff_inputs]
    all_v = [_unit_vector(rng, o.numel()) for o in outputs]
    # all_ju[j][k]: J u_j for Tensor output k, by finite differences
    all_ju = [_numerical_directional(func, inputs, x, u, eps) for x, u in zip(diff_inputs, all_u)]
    for i, (out, v, k) in enumerate(zip(outputs, all_v, positions)):
        grad_output = _like(out, v.reshape(out.shape))
        first = _vjp(out, diff_inputs, grad_output, check_dtypes)
        _check_reentrant(first, _vjp(out, diff_inputs, grad_output, check_dtypes), nondet_tol)
        for j, (x, u) in enumerate(zip(diff_inputs, all_u)):
            analytical = first[j] @ u
            numerical = v @ all_ju[j][k]
            # atol applies per Jacobian entry; v^T J u sums |u| |v| of them
            if not np.isclose(analytical, numerical, rtol=rtol, atol=atol * u.sum() * v.sum()):
                a = _analytical_jacobian(out, diff_inputs, float("inf"), False)[j]
                n = _numerical_jacobian(func, inputs, x, eps)[k]
                raise GradcheckError(
                    f"Jacobian mismatch for output {i} with respect to input {j}, in fast mode: "
                    f"v^T J u is {analytical:.6g} analytically, {numerical:.6g} numerically.\n"
                    + _mismatch_message(i, j, n, a))


def _check_no_differentiable_outputs(func, inputs, diff_inputs, eps):
    for j, x in enumerate(diff_inputs):
        for i, n in enumerate(_numerical_jacobian(func, inputs, x, eps)):
            if np.any(n != 0):
                raise GradcheckError(f"Numerical gradient for function expected to be zero: no "
                                     f"output requires grad, but output {i} changes with "
                                     f"input {j}")


def _check_zero_grad_outputs(outputs, diff_inputs):
    """A zero upstream gradient must give zero gradients of the right shape and dtype."""
    from ember.autograd import grad
    from ember.ops.creation import zeros_like
    grads = grad(outputs, diff_inputs, [zeros_like(o) for o in outputs], allow_unused=True)
    for j, (g, x) in enumerate(zip(grads, diff_inputs)):
        if g is None:
            continue
        if g.shape != x.shape:
            raise GradcheckError(f"grad is incorrect size: input {j} has shape {list(x.shape)}, "
                                 f"its gradient {list(g.shape)}")
        if g.dtype != x.dtype:
            raise GradcheckError(f"grad is incorrect type: input {j} is {x.dtype}, its gradient "
                                 f"{g.dtype}")
        if np.any(np.asarray(g.detach()) != 0):
            raise GradcheckError(f"backward not multiplied by grad_output: a zero grad_output "
                                 f"gave a nonzero gradient for input {j}")


def _check_inputs(inputs):
    """The inputs requiring grad; warns for non-float64 ones, refuses overlapping memory."""
    diff_inputs = []
    for idx, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        if x._array.dtype != np.float64:
            warnings.warn(f"Input #{idx} requires gradient and is not a double precision "
                          "floating point. This check will likely fail if all the inputs are "
                          "not of double precision floating point.", stacklevel=4)
        if x.numel() > 1 and any(st == 0 and sz > 1
                                 for st, sz in zip(x._array.strides, x._array.shape)):
            raise RuntimeError(f"gradcheck: input {idx} has a dimension with stride 0 (shape "
                               f"{list(x.shape)}, strides {list(x.stride())}); perturbing one "
                               "element would change others; call .contiguous() on it first")
        diff_inputs.append(x)
    if not diff_inputs:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    return diff_inputs


def _check_reentrant(first, second, nondet_tol):
    """Two backward passes (arrays per input) must agree to ``nondet_tol``."""
    for a, b in zip(first, second):
        if a.size and np.max(np.abs(a - b)) > nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and "
                "grad_output multiple times gives different values, although analytical "
                f"gradient matches numerical gradient. The tolerance for nondeterminism was "
                f"{nondet_tol}.")


# ---- Jacobians ----------------------------------------------------------------------
def _numerical_jacobian(func, inputs, x, eps):
    """d outputs / d x by central differences: one (x.numel(), out.numel()) array per
    output (all outputs, differentiable or not)."""
    data = x._array
    jacobians = [np.zeros((data.size, o.size)) for o in _evaluate(func, inputs)]
    for row, idx in enumerate(np.ndindex(*data.shape)):
        orig = data[idx].item()
        data[idx] = orig - eps
        minus = _evaluate(func, inputs)
        data[idx] = orig + eps
        plus = _evaluate(func, inputs)
        data[idx] = orig
        for jac, p, m in zip(jacobians, plus, minus):
            jac[row] = (p - m).reshape(-1) / (2 * eps)
    return jacobians


def _numerical_directional(func, inputs, x, u, eps):
    """J u for each output by central differences along the unit vector ``u``."""
    data = x._array
    orig = data.copy()
    step = xp_of(data).asarray(u.reshape(data.shape) * eps, dtype=data.dtype)
    data[...] = orig - step
    minus = _evaluate(func, inputs)
    data[...] = orig + step
    plus = _evaluate(func, inputs)
    data[...] = orig
    return [(p - m).reshape(-1) / (2 * eps) for p, m in zip(plus, minus)]


def _evaluate(func, inputs):
    """func's Tensor outputs as float64 host copies (an output may alias an input)."""
    return [np.array(o.detach(), dtype=np.float64) for o in _as_tuple(func(*inputs))
            if isinstance(o, Tensor)]


def _analytical_jacobian(output, diff_inputs, nondet_tol, check_dtypes):
    """d output / d diff_inputs[j] as (numel_in, numel_out) arrays, one backward pass per
    output element; done twice, to catch a non-deterministic backward."""
    def columns():
        cols = [[] for _ in diff_inputs]
        for k in range(output.numel()):
            basis = np.zeros(output.numel())
            basis[k] = 1.0
            rows = _vjp(output, diff_inputs, _like(output, basis.reshape(output.shape)),
                        check_dtypes)
            for c, r in zip(cols, rows):
                c.append(r)
        return [np.stack(c, axis=1) if c else np.zeros((x.numel(), 0))
                for c, x in zip(cols, diff_inputs)]

    first = columns()
    _check_reentrant(first, columns(), nondet_tol)
    return first


def _vjp(output, diff_inputs, grad_output, check_dtypes):
    """grad_output^T J for each input, as flat float64 host arrays (zeros where unused)."""
    from ember.autograd import grad
    grads = grad(output, diff_inputs, grad_output, retain_graph=True, allow_unused=True)
    rows = []
    for j, (g, x) in enumerate(zip(grads, diff_inputs)):
        if g is None:
            rows.append(np.zeros(x.numel()))
            continue
        if g.shape != x.shape:
            raise GradcheckError(f"Analytical gradient has incorrect size: input {j} has shape "
                                 f"{list(x.shape)}, its gradient {list(g.shape)}")
        if check_dtypes and g.dtype != x.dtype:
            raise GradcheckError(f"Gradient has dtype mismatch: input {j} is {x.dtype}, its "
                                 f"gradient {g.dtype}")
        rows.append(np.array(g.detach(), dtype=np.float64).reshape(-1))
    return rows


# ---- helpers --------------------------------------------------------------------------
def _mismatch_message(i, j, numerical, analytical):
    worst = np.max(np.abs(analytical - numerical)) if analytical.size else 0.0
    return (f"Jacobian mismatch for output {i} with respect to input {j},\n"
            f"numerical:{_show(numerical)}\nanalytical:{_show(analytical)}\n"
            f"(rows: input elements, columns: output elements; largest difference {worst:.6g})\n")


def _show(array):
    return repr(Tensor._wrap(array, False, None, 0))


def _like(t, array):
    """``array`` as a Tensor with ``t``'s dtype and device."""
    from ember.ops.creation import tensor
    return tensor(array, dtype=t.dtype, device=t.device)


def _unit_vector(rng, n):
    u = rng.random(n)
    norm = np.linalg.norm(u)
    return u / norm if norm else u


def _random_grad_output(out, non_contiguous):
    """Uniform in [-1, 1), out's dtype (float64 for integer outputs), requiring grad."""
    from ember.ops.creation import rand
    dtype = out.dtype if out.dtype.is_floating_point else float64
    shape = tuple(out.shape) + ((2,) if non_contiguous else ())
    g = rand(shape, dtype=dtype, device=out.device) * 2 - 1
    if non_contiguous:
        g = g[..., 0]  # every other element: a strided view
    return g.detach().requires_grad_()


def _differentiable(outputs):
    return tuple(o for o in outputs if isinstance(o, Tensor) and o.requires_grad)


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _refuse_unsupported(fn, **flags):
    for name, value in flags.items():
        if value:
            raise NotImplementedError(f"{fn.__name__}: {name}=True is not supported (Ember has "
                                      "no forward-mode AD, vmap or sparse tensors)")
