"""Activation checkpointing (``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(function, *args)`` returns what ``function(*args)`` returns but
keeps none of the activations inside it. When the backward pass reaches the
result, ``function`` runs again on the same inputs with grad enabled (and,
by default, from the same random state, so dropout draws the same mask), and
that recomputation is differentiated. A model split into checkpointed blocks
holds only the blocks' inputs during the forward pass; each block's
activations exist again only while its gradient is being computed.

Both of PyTorch's variants are here:

- ``use_reentrant=True`` (PyTorch's default, with a warning, when not given)
  runs ``function`` under ``no_grad``. The recomputation calls
  ``ember.autograd.backward`` inside the backward pass, which accumulates the
  gradients of the parameters ``function`` uses into their ``.grad`` and hands
  back those of the tensor arguments. As in PyTorch, the result requires grad
  only when a tensor argument does, and keyword arguments are refused.
- ``use_reentrant=False`` records ``function``'s graph once to learn which
  tensors it reads (its arguments and every leaf, such as the parameters it
  closes over), then drops that graph, freeing the activations before
  ``checkpoint`` returns. The checkpoint's node has an edge to each of those
  tensors, so their gradients flow through the outer pass like any op's
  (``autograd.grad`` works, and inputs need not require grad).

A tensor the function closes over that was computed outside it with grad
(``z = p.exp()`` used inside) is a boundary of the recorded graph: the
checkpoint's node gets an edge to it (not to ``p`` behind it), and backward
differentiates the recomputation with respect to it, so the outer graph runs
its own part once.
"""

import contextlib
import copy
import warnings

import numpy as np

from ember import autograd
from ember.autograd import function as _function
from ember.ops import _autocast
from ember.autograd.function import Function, Node
from ember.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ember.backend.random import default_generator
from ember.tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """Run ``function(*args, **kwargs)`` without keeping its activations; recompute them
    in backward (``torch.utils.checkpoint.checkpoint``).

    Args:
        function: the callable to run (a module, a method, a function).
        *args: its positional arguments; tensors among them (also inside lists,
            tuples and dicts) get gradients.
        use_reentrant: which variant (see the module docstring). ``None`` warns
            and uses True, as PyTorch does.
        preserve_rng_state: restore the random state of the first run for the
            recomputation, so random ops draw the same numbers. Default: True.
        **kwargs: keyword arguments for ``function`` (``use_reentrant=False`` only).

    Returns:
        The output of ``function``: a Tensor, or tensors and other values in
        tuples, lists and dicts.

    Differs from PyTorch: ``context_fn``, ``determinism_check``, ``debug`` and
    ``early_stop`` are not taken. Higher-order gradients through a checkpoint
    (``create_graph=True``) raise. With ``use_reentrant=True`` PyTorch refuses
    ``autograd.grad``; Ember does not detect it, and the parameters' gradients
    then go into their ``.grad`` as with ``backward()``.
    """
    if not callable(function):
        raise TypeError(f"checkpoint: expected function to be callable, got "
                        f"{type(function).__name__}")
    if use_reentrant is None:
        warnings.warn("checkpoint: pass use_reentrant explicitly; without it Ember uses "
                      "use_reentrant=True, as PyTorch does (use_reentrant=False is recommended)",
                      stacklevel=2)
        use_reentrant = True
    if use_reentrant and kwargs:
        raise ValueError(f"checkpoint: unexpected keyword arguments {', '.join(kwargs)} "
                         "(use_reentrant=True takes positional arguments only)")
    if not is_grad_enabled():  # no graph to record, nothing to recompute
        return function(*args, **kwargs)
    run = _Run(function, args, kwargs, preserve_rng_state, use_reentrant)
    return run.forward()


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a ``Sequential`` (or a list of modules/functions) in ``segments`` checkpointed
    chunks (``torch.utils.checkpoint.checkpoint_sequential``).

    Each of the first ``segments - 1`` chunks of ``len(functions) // segments``
    functions runs under :func:`checkpoint`; the rest runs normally, since
    its activations are needed right away by backward.

    Args:
        functions: an ``ember.nn.Sequential`` or a list of callables applied in turn.
        segments: how many chunks to make (``1 <= segments <= len(functions)``).
        input: the input of the first function.
        use_reentrant: as for :func:`checkpoint` (None warns and uses True).
        preserve_rng_state: keyword only, as for :func:`checkpoint`. Default: True.
    """
    if use_reentrant is None:
        warnings.warn("checkpoint_sequential: pass use_reentrant explicitly; without it Ember "
                      "uses use_reentrant=True, as PyTorch does", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError(f"checkpoint_sequential: unexpected keyword arguments "
                         f"{', '.join(kwargs)}")
    from ember.nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    n = len(functions)
    if isinstance(segments, bool) or not isinstance(segments, int) or not 1 <= segments <= n:
        raise ValueError(f"checkpoint_sequential: expected segments to be an int in [1, {n}] "
                         f"(the number of functions), got {segments!r}")
    size = n // segments
    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(_chain(functions[start:end]), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return _chain(functions[end:])(input)


def _chain(functions):
    def run(x):
        for f in functions:
            x = f(x)
        return x
    return run


class _Run:
    """One checkpointed call: what is needed to run it again in backward."""

    def __init__(self, function, args, kwargs, preserve_rng_state, reentrant):
        self.function, self.call = function, (args, kwargs)
        self.reentrant = reentrant
        self.rng_state = default_generator.get_state() if preserve_rng_state else None
        # The recomputation runs under the autocast state of the first run, as PyTorch's.
        self.autocast = {d: (_autocast.is_autocast_enabled(d), _autocast.get_autocast_dtype(d))
                         for d in ("cpu", "cuda")}
        self.inputs = []
        _map_tensors(self.call, self.inputs.append)  # every tensor argument, in order

    def forward(self):
        """The first run; returns its output with the checkpoint's node as their grad_fn."""
        args, kwargs = self.call
        grad_inputs = [t for t in self.inputs if t.requires_grad]
        if self.reentrant:
            with no_grad():
                out = self.function(*args, **kwargs)
            if not grad_inputs:
                warnings.warn("checkpoint: none of the inputs has requires_grad=True; the "
                              "gradients of the parameters inside will be None", stacklevel=3)
                return out
            self.leaves = []
        else:
            # The first run records the graph once, to find what it reads: on detached
            # copies of the arguments, so that a use of an argument through a closure
            # shows as a use of the original, not of the argument.
            created = set()
            copies = [t.detach().requires_grad_(t.requires_grad) for t in self.inputs]
            fresh = iter(copies)
            args, kwargs = _map_tensors(self.call, lambda t: next(fresh))
            with _collecting_nodes(created), _no_cast_cache():
                out = self.function(*args, **kwargs)
            self.leaves = _leaves_reached(out, copies, created)
        outputs = []
        _map_tensors(out, outputs.append)
        if not self.reentrant and not any(t.requires_grad for t in outputs):
            return out
        self.arrays = tuple(t._array for t in outputs)
        self.non_diff = tuple(t._array for t in outputs if not self.reentrant
                              and not t.requires_grad)
        del outputs  # the recorded graph goes with the last reference to its outputs
        results = iter(_Checkpoint.apply(self, *self.inputs, *self.leaves))
        del self.arrays, self.non_diff  # the outputs own them now; the node must not
        return _map_tensors(out, lambda t: next(results))

    def backward(self, grads):
        """Recompute with grad enabled; the gradients of the inputs and then the leaves."""
        if is_grad_enabled():
            raise RuntimeError("checkpoint: higher-order gradients (create_graph=True) through "
                               "a checkpointed function are not supported")
        with _rng_restored(self.rng_state), enable_grad(), self._autocast_restored():
            detached = [t.detach().requires_grad_(t.requires_grad) for t in self.inputs]
            fresh = iter(detached)
            args, kwargs = _map_tensors(self.call, lambda t: next(fresh))
            outputs = []
            _map_tensors(self.function(*args, **kwargs), outputs.append)
        pairs = [(o, g) for o, g in zip(outputs, grads) if g is not None and o.requires_grad]
        if self.reentrant:
            if not pairs:
                raise RuntimeError("checkpoint: none of the outputs has requires_grad=True, "
                                   "this checkpoint() is not necessary")
            autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
            return tuple(d.grad if d.requires_grad else None for d in detached)
        targets = [d for d in detached if d.requires_grad] + self.leaves
        found = iter(autograd.grad([o for o, _ in pairs], targets, [g for _, g in pairs],
                                   allow_unused=True) if pairs and targets else ())
        grads_in = tuple(next(found, None) if d.requires_grad else None for d in detached)
        return grads_in + tuple(next(found, None) for _ in self.leaves)


    @contextlib.contextmanager
    def _autocast_restored(self):
        """The first run's autocast regions again (without the weight-cast cache, so
        that every cast the rerun makes is part of its own graph)."""
        with contextlib.ExitStack() as stack:
            for device, (enabled, dtype) in self.autocast.items():
                if enabled:
                    stack.enter_context(_autocast.autocast(device, dtype=dtype,
                                                           cache_enabled=False))
            stack.enter_context(_no_cast_cache())
            yield


class _Checkpoint(Function):
    """The graph node of a checkpointed call: its outputs are the first run's, its
    backward recomputes the call and differentiates that."""

    @staticmethod
    def forward(ctx, run, *arrays):
        ctx.run = run
        ctx.materialize_grads = False  # an output nobody used sends None: skipped in backward
        ctx.mark_non_differentiable(*run.non_diff)
        ctx.save_for_backward(*arrays)  # for the check that no input changed in place since
        return run.arrays

    @staticmethod
    def backward(ctx, *grads):
        ctx.saved_tensors  # raises if an input was modified in place: the rerun would differ
        return (None,) + ctx.run.backward(grads)


def _leaves_reached(out, inputs, created):
    """What ``out``'s recorded graph reads besides ``inputs`` (which have their own
    edges), in the order found: the leaves requiring grad (parameters), and for
    each edge from a node ``created`` by the call to an older node (a tensor
    computed outside and closed over), a stand-in tensor with that edge."""
    stop = {(t.grad_fn, t._output_nr) for t in inputs if t.grad_fn is not None}
    own = {id(t) for t in inputs}
    tensors = []
    _map_tensors(out, tensors.append)
    found = {id(t): t for t in tensors if t.requires_grad and t.grad_fn is None}
    stack = [t.grad_fn for t in tensors if t.grad_fn is not None and t.grad_fn in created]
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for edge, shape in zip(node.edges, node.shapes):
            if edge is None or edge in stop:
                continue
            target = edge[0]
            if type(target) is not Node:  # a leaf's edge holds the leaf itself
                if id(target) not in own:
                    found.setdefault(id(target), target)
            elif target in created:
                stack.append(target)
            elif edge not in found:  # the boundary: an output of the outer graph
                # No values needed, only the edge and the shape (a broadcast scalar).
                found[edge] = Tensor._wrap(np.broadcast_to(np.zeros((), np.float32), shape),
                                           True, target, edge[1])
    return list(found.values())


@contextlib.contextmanager
def _no_cast_cache():
    """Autocast's weight casts made fresh inside the block: a cast cached before the
    checkpoint would be a node outside its graph, and hide the weight behind it."""
    before = _autocast.is_autocast_cache_enabled()
    _autocast.set_autocast_cache_enabled(False)
    try:
        yield
    finally:
        _autocast.set_autocast_cache_enabled(before)


@contextlib.contextmanager
def _collecting_nodes(created):
    """Collect into ``created`` every graph node recorded inside the block."""
    observe = created.add
    _function.add_record_observer(observe)
    try:
        yield
    finally:
        _function.remove_record_observer(observe)


def _map_tensors(obj, fn):
    """``obj`` with each Tensor inside (nested tuples, lists, dicts) replaced by ``fn(t)``,
    visited in a fixed order."""
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, tuple):
        items = [_map_tensors(o, fn) for o in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)  # namedtuples
    if isinstance(obj, list):
        return [_map_tensors(o, fn) for o in obj]
    if isinstance(obj, dict):
        new = copy.copy(obj)  # keeps the mapping's type (OrderedDict, defaultdict...)
        for k, v in obj.items():
            new[k] = _map_tensors(v, fn)
        return new
    return obj


@contextlib.contextmanager
def _rng_restored(state):
    """Run the block from random ``state`` (None: as things are), then go back."""
    if state is None:
        yield
        return
    now = default_generator.get_state()
    default_generator.set_state(state)
    try:
        yield
    finally:
        default_generator.set_state(now)
