"""Modules as functions of their tensors: ``functional_call``, ``stack_module_state``.

``functional_call(module, params, args)`` runs ``module`` as a pure function of
the tensors in ``params``: the named parameters and buffers are swapped for
the given tensors during the call and put back afterwards, so gradients flow
to the tensors passed in (per-sample gradients, meta-learning, ensembling).
"""

from contextlib import contextmanager

from ember.tensor import Tensor

__all__ = ["functional_call", "stack_module_state"]


def stack_module_state(models):
    """The parameters and buffers of same-structured ``models``, stacked along a
    new leading dimension: ``(params, buffers)``, dicts from names to tensors.

    The stacked parameters are new leaves that require grad where the
    models' do; with ``functional_call`` and ``vmap`` they run an ensemble.
    """
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    kinds = [type(m) for m in models]
    if any(k is not kinds[0] for k in kinds):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    from ember.ops.shape import stack

    def stacked(named, grads):
        first = dict(named(models[0]))
        out = {}
        for name, t in first.items():
            s = stack([dict(named(m))[name].detach() for m in models])
            out[name] = s.requires_grad_(t.requires_grad) if grads else s
        return out

    return (stacked(lambda m: m.named_parameters(), True),
            stacked(lambda m: m.named_buffers(), False))


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Call ``module(*args, **kwargs)`` with some parameters and buffers replaced.

    Args:
        module: the Module to call.
        parameter_and_buffer_dicts: a dict from dotted names (``"0.weight"``,
            as in ``named_parameters``/``named_buffers``) to tensors, or a tuple
            or list of such dicts (a name may appear in only one of them).
            Names the module does not have are set as plain attributes for
            the call (unless ``strict``).
        args: positional arguments; a non-tuple is passed as the only one.
        kwargs: keyword arguments.
        tie_weights: a tensor given for one of several names that share one
            parameter or buffer in the module (tied weights) replaces it under
            all of them; giving different tensors for tied names is an error.
            With False only the given names are replaced.
        strict: require the names to be exactly the module's parameters and
            buffers (no missing, no unexpected ones).

    Returns:
        Whatever the module returns. The module's own tensors are restored
        afterwards, also when the call raises.

    Raises:
        ValueError: a name appears in several dicts, or tied names get
            different tensors.
        RuntimeError: with ``strict``, the missing and unexpected names.
        TypeError: a value is not a Tensor.
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = dict(parameter_and_buffer_dicts)
    elif isinstance(parameter_and_buffer_dicts, (tuple, list)):
        tensors = {}
        for d in parameter_and_buffer_dicts:
            repeated = sorted(set(tensors) & set(d))
            if repeated:
                raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous")
            tensors.update(d)
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple "
                         f"of dicts, but got {type(parameter_and_buffer_dicts)}")
    for name, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"functional_call: expected a Tensor for {name!r}, got "
                            f"{type(value).__name__}")
    if tie_weights:
        tensors = _tie(module, tensors)
    if strict:
        _check_strict(module, tensors)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, tensors):
        return module(*args, **(kwargs or {}))


def _tie(module, tensors):
    """Extend ``tensors`` to every name that shares a given name's tensor in ``module``."""
    groups = {}  # id of a parameter or buffer -> all the names it has
    named = list(module.named_parameters(remove_duplicate=False))
    named += list(module.named_buffers(remove_duplicate=False))
    for name, t in named:
        groups.setdefault(id(t), []).append(name)
    out = dict(tensors)
    for names in groups.values():
        given = [n for n in names if n in tensors]
        if len(names) < 2 or not given:
            continue
        if any(tensors[n] is not tensors[given[0]] for n in given[1:]):
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
        for n in names:
            out[n] = tensors[given[0]]
    return out


def _check_strict(module, tensors):
    known = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    known |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
    lines = []
    unexpected, missing = sorted(set(tensors) - known), sorted(known - set(tensors))
    if unexpected:
        lines.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
    if missing:
        lines.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
    if lines:
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                           + "\n\t".join(lines))


def _owner(module, name):
    """The submodule holding dotted ``name``, and the last part of the name."""
    *path, leaf = name.split(".")
    for part in path:
        child = getattr(module, part, None)
        if child is None:
            raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
        module = child
    return module, leaf


@contextmanager
def _swapped(module, tensors):
    # Write into the registries directly: a plain tensor may then stand in a
    # Parameter's slot, which attribute assignment would refuse.
    undo = []
    try:
        for name, value in tensors.items():
            owner, leaf = _owner(module, name)
            for registry in (owner._parameters, owner._buffers):
                if leaf in registry:
                    undo.append((registry, leaf, registry[leaf]))
                    registry[leaf] = value
                    break
            else:
                undo.append((owner.__dict__, leaf, owner.__dict__.get(leaf, _ABSENT)))
                owner.__dict__[leaf] = value
        yield
    finally:
        for registry, leaf, old in reversed(undo):
            if old is _ABSENT:
                del registry[leaf]
            else:
                registry[leaf] = old


_ABSENT = object()
