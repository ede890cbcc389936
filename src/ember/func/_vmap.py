"""``vmap``: a function mapped over a dimension of its inputs, as ``torch.func.vmap``.

Ember runs the function once per index of the mapped dimension, on the
inputs' slices (views), and stacks the results: the values, the gradients
through the result and every composition (``vmap(grad(f))``, nested
``vmap``) are those of PyTorch's vmap; the speed is that of the loop.
``chunk_size`` therefore changes nothing. ``randomness`` is honoured:
'error' raises when ``func`` draws random numbers (checked on the default
generator), 'different' lets each slice draw its own, 'same' gives every
slice the same draws.
"""

from ember.backend import random as _random
from ember.func._transforms import tree_flatten
from ember.tensor import Tensor

__all__ = ["vmap"]


def _name(func):
    return getattr(func, "__name__", repr(func))


def _dims_for(dims, tree, where, describe):
    """Broadcast ``dims`` (an int or None, or a tuple/list/dict prefix of
    ``tree``'s structure) to one entry per leaf of ``tree``."""
    if dims is None or isinstance(dims, int) and not isinstance(dims, bool):
        return [dims] * len(tree_flatten(tree)[0])
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) \
            and len(dims) == len(tree):
        return [d for sub_dims, sub in zip(dims, tree)
                for d in _dims_for(sub_dims, sub, where, describe)]
    if isinstance(dims, dict) and isinstance(tree, dict) and set(dims) == set(tree):
        return [d for k in tree for d in _dims_for(dims[k], tree[k], where, describe)]
    raise ValueError(f"{describe}: {where} is not compatible with the structure of "
                     f"`{'inputs' if where == 'in_dims' else 'outputs'}`: {where}={dims!r} for "
                     f"{type(tree).__name__} of {len(tree_flatten(tree)[0])} leaves")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over dimension ``in_dims`` of its inputs, the results
    stacked along ``out_dims``.

    Args:
        func: takes Tensors (or tuples, lists, dicts of them), returns a Tensor
            or such a structure of Tensors.
        in_dims: the mapped dimension of every input (an int), None for an
            input passed whole to every call, or a tuple with one entry per
            positional argument (nested to match tuples, lists or dicts).
            Keyword arguments are passed whole.
        out_dims: where the mapped dimension goes in each output (an int, or a
            structure matching the outputs; None for an output that does not
            depend on the mapped inputs, returned from the first call).
        randomness: 'error' (random draws inside ``func`` raise), 'different'
            or 'same' (every slice sees the same random numbers).
        chunk_size: accepted for compatibility; the calls run one by one.
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got "
                         f"{chunk_size})")
    if not (in_dims is None or isinstance(in_dims, (int, tuple))):
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): expected "
                         f"`in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")

    def wrapped(*args, **kwargs):
        describe = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
        if in_dims is None:
            raise ValueError(f"{describe}: expected `in_dims` to be int or a (potentially "
                             f"nested) tuple matching the structure of inputs, got: "
                             f"{type(in_dims)}.")
        leaves, rebuild = tree_flatten(list(args))
        if isinstance(in_dims, int):
            dims = [in_dims] * len(leaves)
        else:
            if len(in_dims) != len(args):
                raise ValueError(f"{describe}: in_dims is not compatible with the structure of "
                                 f"`inputs`. in_dims has {len(in_dims)} entries but there are "
                                 f"{len(args)} positional inputs.")
            dims = _dims_for(tuple(in_dims), tuple(args), "in_dims", describe)
        size, norm = None, []
        for leaf, d in zip(leaves, dims):
            if d is None:
                norm.append(None)
                continue
            if not isinstance(leaf, Tensor):
                raise ValueError(f"{describe}: Got in_dim={d} for an input but the input is of "
                                 f"type {type(leaf)}. We cannot vmap over non-Tensor arguments, "
                                 "please use None as the respective in_dim")
            if not -max(leaf.ndim, 1) <= d < max(leaf.ndim, 1) or leaf.ndim == 0:
                raise ValueError(f"{describe}: Got in_dim={d} for some input, but that input is "
                                 f"a Tensor of dimensionality {leaf.ndim} so expected in_dim to "
                                 f"satisfy -{leaf.ndim} <= in_dim < {leaf.ndim}.")
            d %= leaf.ndim
            norm.append(d)
            if size is None:
                size = leaf.shape[d]
            elif leaf.shape[d] != size:
                sizes = [lf.shape[dd] for lf, dd in zip(leaves, norm) if dd is not None]
                raise ValueError(f"vmap: Expected all tensors to have the same size in the "
                                 f"mapped dimension, got sizes {sizes} for the mapped dimension")
        if size is None:
            raise ValueError(f"{describe}: At least one of the inputs must be batched (a "
                             "Tensor with an int in_dim)")
        if size == 0:
            raise ValueError(f"{describe}: the mapped dimension has size 0; vmap needs at "
                             "least one slice")
        results = []
        start_state = _random.get_rng_state()
        for i in range(size):
            if randomness == "same":
                _random.set_rng_state(start_state)
            sliced = [leaf if d is None else leaf.select(d, i) for leaf, d in zip(leaves, norm)]
            results.append(func(*rebuild(sliced), **kwargs))
            if randomness == "error" and i == 0 and \
                    _random.get_rng_state()["bit_generator"] != start_state["bit_generator"]:
                raise RuntimeError("vmap: called random operation while in randomness error "
                                   "mode. Please either use the 'same' or 'different' "
                                   "randomness flags on vmap or perform the randomness "
                                   "operation out of vmap")
        return _stack_results(func, results, out_dims, size)

    return wrapped


def _stack_results(func, results, out_dims, size):
    from ember.ops.shape import stack
    first_leaves, rebuild = tree_flatten(results[0]) if results else ([], None)
    per_call = [tree_flatten(r)[0] for r in results]
    dims = _dims_for(out_dims, results[0], "out_dims", f"vmap({_name(func)}, ...)")
    out = []
    for k, d in enumerate(dims):
        column = [leaves[k] for leaves in per_call]
        if d is None:
            out.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return "
                             f"Tensors, got type {type(column[0])}. Did you mean to set "
                             "out_dims= to None for output?")
        ndim = column[0].ndim + 1
        if not -ndim <= d < ndim:
            raise ValueError(f"vmap({_name(func)}, ...): Got out_dim={d} for an output with "
                             f"{ndim - 1} dims, so expected -{ndim} <= out_dim < {ndim}")
        out.append(stack(column, d))
    return rebuild(out)
