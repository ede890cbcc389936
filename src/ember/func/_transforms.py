"""Gradient transforms, as ``torch.func``: ``grad``, ``grad_and_value``, ``vjp``,
``jvp``, ``jacrev``, ``jacfwd``, ``hessian``.

Each takes a function and returns one (or, for ``vjp``/``jvp``, evaluates at
given points), built on ``autograd.grad``. The differentiated arguments enter
``func`` as fresh tensors of their own (aliases of tracked inputs, detached
copies of untracked ones), so a gradient flows through the argument only, not
through the same tensor captured by ``func`` from outside, as in PyTorch. The
results stay differentiable where they depend on anything tracked outside
the transform (a tracked input, a captured parameter), so transforms nest
(``grad(grad(f))``, ``jacrev(jacrev(f))``) and compose with ``backward``;
otherwise they come back detached.

Differs from PyTorch: forward-mode products (``jvp``, ``jacfwd``) use the
double-backward trick (two reverse passes) instead of dual numbers; the
values are the same.
"""

from ember.autograd.grad_mode import enable_grad, is_grad_enabled
from ember.tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]


# ---- pytrees of tensors (tuples, lists, dicts) ------------------------------------------
def tree_flatten(tree):
    """(leaves, rebuild): the leaves of nested tuples/lists/dicts in order, and a
    function making the same structure from a new list of leaves."""
    if isinstance(tree, (tuple, list)):
        parts = [tree_flatten(t) for t in tree]
        leaves = [leaf for p in parts for leaf in p[0]]

        def rebuild(new, kind=type(tree), parts=parts):
            out, at = [], 0
            for sub_leaves, sub_rebuild in parts:
                out.append(sub_rebuild(new[at:at + len(sub_leaves)]))
                at += len(sub_leaves)
            return kind(out) if kind in (tuple, list) else kind(*out)
        return leaves, rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        flat, rebuild_values = tree_flatten([tree[k] for k in keys])
        return flat, lambda new: dict(zip(keys, rebuild_values(new)))
    return [tree], lambda new: new[0]


# ---- shared machinery -----------------------------------------------------------------
def _check_argnums(argnums, n_args, api):
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int) or isinstance(a, bool):
            raise RuntimeError(f"{api}: argnums must be int or Tuple[int, ...], got: "
                               f"{type(a)}")
        if not -n_args <= a < n_args:
            raise RuntimeError(f"Got argnum={a}, but only {n_args} positional inputs")
    return tuple(a % n_args for a in nums)


def _fresh(t):
    """``t`` as a tensor of this transform's own: an alias (a graph node of its
    own) where ``t`` is tracked, else a detached leaf that requires grad."""
    if not isinstance(t, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
    if not t.dtype.is_floating_point:
        raise RuntimeError("only Tensors of floating point dtype can require gradients, got "
                           f"{t.dtype}")
    return t.view_as(t) if t.requires_grad else t.detach().requires_grad_()


def _substitute(args, argnums):
    """``args`` with the trees at ``argnums`` replaced by fresh tensors; also the
    fresh leaves per argnum and each tree's rebuild function."""
    args = list(args)
    fresh, rebuilds = [], []
    for a in argnums:
        leaves, rebuild = tree_flatten(args[a])
        new = [_fresh(t) for t in leaves]
        args[a] = rebuild(new)
        fresh.append(new)
        rebuilds.append(rebuild)
    return args, fresh, rebuilds


def _reaches_outside(tensors, own):
    """Whether the graph of ``tensors`` reaches a tracked leaf that is not one of
    ``own``: then the results must stay differentiable for an outer level."""
    own_ids = {id(t) for t in own}
    seen, stack = set(), [t.grad_fn for t in tensors if t is not None and t.grad_fn is not None]
    for t in tensors:
        if t is not None and t.requires_grad and t.grad_fn is None and id(t) not in own_ids:
            return True
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for target, _ in node.next_functions:
            if target is None:
                continue
            if isinstance(target, Tensor):
                if id(target) not in own_ids:
                    return True
            else:
                stack.append(target)
    return False


def _finish(tensors, own):
    """``tensors`` detached unless they depend on something tracked outside."""
    present = [t for t in tensors if t is not None]
    if any(t.requires_grad for t in present) and _reaches_outside(present, own):
        return list(tensors)
    return [None if t is None else t.detach() for t in tensors]


def _regroup(flat, fresh, rebuilds):
    """The flat per-leaf results back in the structure of each differentiated
    argument (one tree per entry of ``fresh``)."""
    trees, at = [], 0
    for group, rebuild in zip(fresh, rebuilds):
        trees.append(rebuild(flat[at:at + len(group)]))
        at += len(group)
    return trees


def _finish_aux(aux, own):
    """``aux`` with its tensors detached unless they depend on something outside."""
    leaves, rebuild = tree_flatten(aux)
    return rebuild([_finish([t], own)[0] if isinstance(t, Tensor) else t for t in leaves])


def _gradients(outputs, inputs, cotangents, create, retain_graph=None):
    """d(outputs)/d(inputs) contracted with ``cotangents``; zeros for unused inputs.
    With ``create`` (the caller's grad mode) the computation is recorded, so an
    outer level can differentiate it."""
    from ember.autograd import grad as autograd_grad
    from ember.ops.creation import zeros_like
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return [zeros_like(t) for t in inputs]
    grads = autograd_grad([o for o, _ in pairs], inputs, [c for _, c in pairs],
                          retain_graph=True if retain_graph is None else retain_graph,
                          create_graph=create, allow_unused=True)
    return [zeros_like(t) if g is None else g for g, t in zip(grads, inputs)]


# ---- grad ----------------------------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning ``(gradient, value)`` of ``func``, which must return a
    scalar Tensor (with ``has_aux``: a pair ``(scalar, aux)``; then the value is
    ``(scalar, aux)``).

    The gradient is with respect to positional argument ``argnums`` (an int;
    a tuple gives a tuple of gradients), which may be a Tensor or a tuple,
    list or dict of Tensors (the gradient has the same structure).
    """
    def wrapper(*args, **kwargs):
        nums = _check_argnums(argnums, len(args), "grad_and_value(f)(*args)")
        create = is_grad_enabled()
        with enable_grad():
            new_args, fresh, rebuilds = _substitute(args, nums)
            result = func(*new_args, **kwargs)
            if has_aux:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should "
                                       "be a tuple: (output, aux) if has_aux is True")
                output, aux = result
            else:
                output, aux = result, None
            if not isinstance(output, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(output)}")
            if output.ndim != 0:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {output.ndim} dims. Maybe "
                                   "you wanted to use the vjp or jacrev APIs instead?")
            own = [t for group in fresh for t in group]
            from ember.ops.creation import ones_like
            flat = _gradients([output], own, [ones_like(output)], create, retain_graph=create)
        grads = _regroup(_finish(flat, own), fresh, rebuilds)
        g = tuple(grads) if isinstance(argnums, tuple) else grads[0]
        value = _finish([output], own)[0]
        return (g, (value, _finish_aux(aux, own))) if has_aux else (g, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of ``func`` (a scalar Tensor output) with
    respect to positional argument ``argnums``; with ``has_aux`` it returns
    ``(gradient, aux)``. See ``grad_and_value``."""
    inner = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


# ---- vjp / jvp -----------------------------------------------------------------------------
def vjp(func, *primals, has_aux=False):
    """``func(*primals)`` and a function taking cotangents (shaped like the
    output) that returns their vector-Jacobian products, one per primal (a
    tuple); with ``has_aux``, ``func`` returns ``(output, aux)`` and so does
    ``vjp`` after the function: ``(output, vjp_fn, aux)``."""
    with enable_grad():
        new_args, fresh, rebuilds = _substitute(primals, tuple(range(len(primals))))
        result = func(*new_args)
    if has_aux:
        if not (isinstance(result, tuple) and len(result) == 2):
            raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: "
                               "(output, aux) if has_aux is True")
        result, aux = result
    out_leaves, out_rebuild = tree_flatten(result)
    for t in out_leaves:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"vjp(f, *primals): Expected f to be a function that has "
                               f"non-empty output Tensors, got {type(t)}")
    own = [t for group in fresh for t in group]

    def vjp_fn(cotangents):
        cot_leaves, _ = tree_flatten(cotangents)
        if len(cot_leaves) != len(out_leaves):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as "
                               f"pytree structure of outputs to the function: got "
                               f"{len(cot_leaves)} cotangents for {len(out_leaves)} outputs")
        for c, o in zip(cot_leaves, out_leaves):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: cotangent has shape {tuple(c.shape)} "
                                   f"and output has shape {tuple(o.shape)}")
        create = is_grad_enabled()
        with enable_grad():
            flat = _gradients(out_leaves, own, cot_leaves, create, retain_graph=True)
        return tuple(_regroup(_finish(flat, own), fresh, rebuilds))

    output = out_rebuild(_finish(out_leaves, own))
    if has_aux:
        return output, vjp_fn, aux
    return output, vjp_fn


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J v)``: the Jacobian-vector product with ``tangents``
    (one per primal, shaped like it); with ``has_aux`` also ``aux``.

    Computed as the derivative of the linear map ``u -> vjp(u)`` in the
    direction of the tangents (two reverse passes).
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be "
                           "tuples. E.g. jvp(f, (x,), (t,))")
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure")
    from ember.ops.creation import zeros_like
    create = is_grad_enabled()
    with enable_grad():
        new_args, fresh, _ = _substitute(primals, tuple(range(len(primals))))
        result = func(*new_args)
        aux = None
        if has_aux:
            result, aux = result
        out_leaves, out_rebuild = tree_flatten(result)
        own = [t for group in fresh for t in group]
        tan_leaves = [t for tree in tangents for t in tree_flatten(tree)[0]]
        for p, t in zip(own, tan_leaves):
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents "
                                   f"to have the same shape, got {tuple(p.shape)} and "
                                   f"{tuple(t.shape)}")
        # u -> u^T J is linear in u: its value never matters (zeros keep infs out).
        u = [zeros_like(o).requires_grad_() for o in out_leaves]
        from ember.autograd import grad as autograd_grad
        tracked = [(o, v) for o, v in zip(out_leaves, u) if o.requires_grad]
        pulled = (autograd_grad([o for o, _ in tracked], own, [v for _, v in tracked],
                                create_graph=True, allow_unused=True)
                  if tracked else [None] * len(own))
        used = [(p, t) for p, t in zip(pulled, tan_leaves) if p is not None and p.requires_grad]
        if used:
            pushed = autograd_grad([p for p, _ in used], u, [t for _, t in used],
                                   create_graph=create, allow_unused=True)
        else:
            pushed = [None] * len(u)
        pushed = [zeros_like(o) if g is None else g for g, o in zip(pushed, out_leaves)]
    own_all = own + u
    output = out_rebuild(_finish(out_leaves, own_all))
    tangent_out = out_rebuild(_finish(pushed, own_all))
    return (output, tangent_out, aux) if has_aux else (output, tangent_out)


# ---- Jacobians and Hessians ------------------------------------------------------------------
def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _api="jacrev"):
    """A function returning the Jacobian of ``func`` with respect to argument
    ``argnums``: for an output of shape O and an input of shape I, a tensor of
    shape O + I (tuples where the output or ``argnums`` is a tuple; with
    ``has_aux``, ``(jacobian, aux)``). One reverse pass per output element.
    ``chunk_size`` is accepted for compatibility (the rows are computed one
    at a time either way)."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"{_api}: `chunk_size` should be greater than 0, got {chunk_size}")

    def wrapper(*args, **kwargs):
        from ember.ops.creation import zeros_like
        from ember.ops.shape import stack
        nums = _check_argnums(argnums, len(args), f"{_api}(f, ...)(*args)")
        create = is_grad_enabled()
        with enable_grad():
            new_args, fresh, rebuilds = _substitute(args, nums)
            result = func(*new_args, **kwargs)
            aux = None
            if has_aux:
                result, aux = result
            out_leaves, out_rebuild = tree_flatten(result)
            own = [t for group in fresh for t in group]
            # blocks[k][j]: d out_k / d own_j, shape out_k.shape + own_j.shape
            blocks = []
            for o in out_leaves:
                flat = o.reshape(-1)
                rows = []
                for i in range(flat.shape[0]):
                    unit = zeros_like(flat)
                    unit[i] = 1.0
                    rows.append(_gradients([flat], own, [unit], create, retain_graph=True))
                per_input = []
                for j, t in enumerate(own):
                    if rows:
                        block = stack([r[j] for r in rows]).reshape(tuple(o.shape) + tuple(t.shape))
                    else:
                        block = zeros_like(t).expand(0, *t.shape).reshape(
                            tuple(o.shape) + tuple(t.shape))
                    if _api == "jacfwd" and block.dtype != o.dtype:
                        # forward mode carries tangents in the output's dtype
                        block = block.to(o.dtype)
                    per_input.append(block)
                blocks.append(per_input)
        flat_all = _finish([b for per in blocks for b in per], own)
        n, per_output = len(own), []
        for k in range(len(out_leaves)):  # one row of blocks per output
            grads = _regroup(flat_all[k * n:(k + 1) * n], fresh, rebuilds)
            per_output.append(tuple(grads) if isinstance(argnums, tuple) else grads[0])
        jac = out_rebuild(per_output)
        return (jac, _finish_aux(aux, own)) if has_aux else jac

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian as ``jacrev`` gives it (same shapes and values): Ember has no
    forward-mode AD, so it is computed in reverse mode. ``randomness`` is
    accepted for compatibility ('error', 'different' or 'same')."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    return jacrev(func, argnums, has_aux=has_aux, _api="jacfwd")


def hessian(func, argnums=0):
    """A function returning the Hessian of scalar-valued ``func`` with respect to
    argument ``argnums``: shape I + I for an input of shape I."""
    return jacfwd(jacrev(func, argnums), argnums)
