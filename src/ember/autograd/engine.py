"""The backward engine: an iterative walk of the graph in dependency order.

No recursion anywhere, so a chain of any length works. Each node runs once,
after every node that feeds it a gradient; gradients for the same input are
summed; each gradient is summed down to its input's shape (broadcasting)
in this one place.
"""

import numpy as np

from ember.autograd import anomaly_mode
from ember.autograd.anomaly_mode import _Anomaly
from ember.autograd.function import Node
from ember.autograd.grad_mode import _State
from ember.sparse_coo import SparseCooTensor
from ember.tensor import PostAccumulateGradHook, Tensor

__all__ = ["run_backward"]

_sum_to = None  # ember.ops.views.sum_to_size, bound on first use (ops import this layer)


def run_backward(roots, grads, retain_graph=False, create_graph=False, inputs=None,
                 allow_unused=False, accumulate=True):
    """Propagate ``grads`` from ``roots`` back through the graph.

    With ``accumulate``, gradients are added into the ``.grad`` of leaves (all
    leaves, or only ``inputs`` when given). Without it, the gradients of
    ``inputs`` are returned instead, as ``autograd.grad`` does.
    """
    leaf_targets = None  # id(leaf) -> slot, for inputs
    node_targets = None  # (node, nr) -> slot
    captured = None
    if inputs is not None:
        leaf_targets, node_targets = {}, {}
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"inputs[{i}]: expected a Tensor, got {type(t).__name__}")
            if not t.requires_grad:
                raise RuntimeError(f"inputs[{i}] does not require grad, so it has no gradient")
            if t.grad_fn is None:
                leaf_targets.setdefault(id(t), []).append(i)
            else:
                node_targets.setdefault((t.grad_fn, t._output_nr), []).append(i)
        captured = [None] * len(inputs)

    leaves = _Leaves(accumulate, leaf_targets, captured, create_graph, grads)
    # Gradient formulas meet inf and nan as ordinary values (1 / x at 0, inf - inf):
    # PyTorch is silent there, NumPy would warn at every such op.
    with np.errstate(all="ignore"):
        _run(roots, grads, leaves, node_targets, captured, retain_graph, create_graph,
             leaf_targets)
    leaves.flush()
    if captured is not None and accumulate and node_targets:
        # backward(inputs=[non_leaf]): store those gradients in their .grad, once per
        # tensor, and not where retain_grad() has stored this pass's already.
        stored = set()
        for i, t in enumerate(inputs):
            if t.grad_fn is None or captured[i] is None or id(t) in stored:
                continue
            stored.add(id(t))
            retained = t.grad_fn.__dict__.get("_retain")
            if retained is not None and t._output_nr in retained:
                continue
            t.grad = captured[i] if t.grad is None else t.grad + captured[i]
    if captured is not None and not accumulate:
        for i, c in enumerate(captured):
            if c is None and not allow_unused:
                raise RuntimeError(f"inputs[{i}] was not used to compute the outputs; pass "
                                   "allow_unused=True to get None for it")
    return captured


def _run(roots, grads, leaves, node_targets, captured, retain_graph, create_graph,
         leaf_targets=None):
    """The walk itself: seed the roots' gradients, then run nodes as they become ready.

    With ``inputs`` (``leaf_targets`` and ``node_targets`` given), only the nodes
    on a path to one of them run, as in PyTorch: the rest of the graph is
    neither computed nor freed.
    """
    # Seed: buffers[node] is a list of per-output gradients.
    buffers = {}
    root_nodes = []
    prev_mode = _State.enabled
    _State.enabled = create_graph
    anomaly = _Anomaly.enabled  # read once per pass: off, it costs each node two tests of a local
    node = None
    try:
        for t, g in zip(roots, grads):
            fn = t.grad_fn
            if fn is None:  # a leaf root: its gradient is g itself
                leaves.deliver(t, g)
                continue
            buf = buffers.get(fn)
            if buf is None:
                buf = buffers[fn] = [None] * fn._n_out
                root_nodes.append(fn)
            nr = t._output_nr
            buf[nr] = g if buf[nr] is None else buf[nr] + g

        needed = relevant = None
        if leaf_targets is not None:
            needed = _needed_nodes(root_nodes, leaf_targets, node_targets)
            relevant = needed.union(n for n, _ in node_targets)  # targets: captured there
            root_nodes = [n for n in root_nodes if n in relevant]
        deps = _count_dependencies(root_nodes, needed, relevant)
        ready = [n for n in root_nodes if n not in deps]
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, None)
            if buf is not None and (node._hooks is not None or node_targets or len(buf) > 1):
                buf = _prepare_grads(node, buf, node_targets, captured, create_graph)
            if needed is not None and node not in needed:
                continue  # a target whose own inputs lead to no other target
            edges = node.edges
            if buf is None:
                in_grads = (None,) * len(edges)
            else:
                if node._freed:
                    node.saved_tensors  # raises the "backward twice" error
                node_hooks = node._hooks
                post_view = None
                if node_hooks is not None and ("pre" in node_hooks or "post" in node_hooks):
                    buf, post_view = _run_prehooks(node, node_hooks.get("pre", ()), buf)
                if anomaly:
                    in_grads = anomaly_mode.run_backward_of(node, buf)
                else:
                    in_grads = node.fn.backward(node, *buf)
                if type(in_grads) is not tuple:
                    in_grads = (in_grads,)
                if len(in_grads) != len(edges):
                    raise RuntimeError(f"{node.name()}: backward returned {len(in_grads)} "
                                       f"gradients, expected {len(edges)}")
                if anomaly:
                    in_grads = _reduced_and_checked(node, in_grads)
                post = node_hooks.get("post") if node_hooks is not None else None
                if post:
                    for h in tuple(post):
                        in_grads = _node_hook_result(h, h(in_grads, post_view), in_grads)
                if not retain_graph and node._saved:
                    # Only what a node saved is freed: one that saved nothing (x + 1,
                    # a dtype cast) can run again, as in PyTorch.
                    node._freed = True
                    node._saved = None
            for edge, g, shape in zip(edges, in_grads, node.shapes):
                if edge is None:
                    continue
                target, nr = edge
                if g is not None and g._array.shape != shape:
                    g = _reduce_checked(node, g, shape, edge)
                if type(target) is Node:
                    if relevant is not None and target not in relevant:
                        continue
                    if g is not None:
                        tb = buffers.get(target)
                        if tb is None:
                            tb = buffers[target] = [None] * target._n_out
                        tb[nr] = g if tb[nr] is None else tb[nr] + g
                    left = deps[target] - 1
                    deps[target] = left
                    if left == 0:
                        ready.append(target)
                elif g is not None:
                    leaves.deliver(target, g)
    except Exception:
        if anomaly and node is not None:
            anomaly_mode.report(node)  # which forward call made the failing node
        raise
    finally:
        _State.enabled = prev_mode


def _reduced_and_checked(node, in_grads):
    """Anomaly mode: each gradient summed to its input's shape, then checked for nan
    (PyTorch checks what a node passes on, after that reduction)."""
    in_grads = tuple(None if g is None or edge is None  # no gradient flows there
                     else g if g._array.shape == shape else _reduce_checked(node, g, shape, edge)
                     for g, edge, shape in zip(in_grads, node.edges, node.shapes))
    anomaly_mode.check_nan(node, in_grads)
    return in_grads


def _reduce_to_shape(g, shape):
    global _sum_to
    if _sum_to is None:
        from ember.ops.views import sum_to_size
        _sum_to = sum_to_size
    return _sum_to(g, shape)


def _reduce_checked(node, g, shape, edge):
    """Sum a broadcast gradient down to its input's shape, or say which op got it wrong."""
    try:
        return _reduce_to_shape(g, shape)
    except RuntimeError:
        i = next(k for k, e in enumerate(node.edges) if e is edge)
        raise RuntimeError(f"{node.name()}: backward returned a gradient of shape "
                           f"{list(g._array.shape)} for input {i}, which has shape "
                           f"{list(shape)}") from None


def _count_dependencies(roots, needed=None, relevant=None):
    """How many edges from reachable nodes enter each node (iteratively); with
    ``needed``, only the edges from needed nodes into ``relevant`` ones."""
    deps = {}
    stack = list(roots)
    seen = set(roots)
    while stack:
        node = stack.pop()
        if needed is not None and node not in needed:
            continue
        for edge in node.edges:
            if edge is not None:
                target = edge[0]
                if type(target) is Node:
                    if relevant is not None and target not in relevant:
                        continue
                    deps[target] = deps.get(target, 0) + 1
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)
    return deps


def _needed_nodes(roots, leaf_targets, node_targets):
    """The nodes from which some input of ``autograd.grad`` / ``backward(inputs=)``
    can be reached: a leaf in ``leaf_targets`` (by id) or an output in
    ``node_targets``. One depth-first pass, children before parents."""
    reaches = {}  # node -> whether it leads to a target
    for root in roots:
        if root in reaches:
            continue
        stack = [(root, iter(root.edges))]
        found = {root: False}
        while stack:
            node, edges = stack[-1]
            descend = None
            for edge in edges:
                if edge is None:
                    continue
                target, nr = edge
                if type(target) is Node:
                    if (target, nr) in node_targets:
                        found[node] = True
                    done = reaches.get(target)
                    if done is None:
                        descend = target
                        break
                    if done:
                        found[node] = True
                elif id(target) in leaf_targets:
                    found[node] = True
            if descend is not None:
                found[descend] = False
                stack.append((descend, iter(descend.edges)))
                continue
            stack.pop()
            reaches[node] = found.pop(node)
            if stack and reaches[node]:
                found[stack[-1][0]] = True
    return {n for n, r in reaches.items() if r}


def _hooked_outputs(node, buf):
    """The output gradients node hooks see: those of differentiable outputs."""
    index = node.__dict__.get("_diff_out")
    return tuple(buf) if index is None else tuple(buf[i] for i in index)


def _run_prehooks(node, hooks, buf):
    """``buf`` after the node's pre-hooks (each may replace the gradients), with the
    outputs that got no gradient then filled with zeros for the backward; and
    what the post-hooks see as grad_outputs (None for those, as in PyTorch)."""
    grads = _hooked_outputs(node, buf)
    for h in tuple(hooks):
        new = _node_hook_result(h, h(grads), grads)
        if any(g is None and n is not None for g, n in zip(grads, new)):
            raise RuntimeError("can't replace a None gradient with a non-None value")
        grads = new
    index = node.__dict__.get("_diff_out")
    if index is None:
        buf = list(grads)
    else:
        buf = list(buf)
        for i, g in zip(index, grads):
            buf[i] = g
    if node.__dict__.get("materialize_grads", True):
        for nr, g in enumerate(buf):
            if g is None:
                buf[nr] = _zero_grad(node, nr)
    return buf, grads


def _zero_grad(node, nr):
    """Zeros for output ``nr`` of ``node``, which got no gradient."""
    shape, dtype = node._out_meta[nr]
    return Tensor._wrap(node.xp.zeros(shape, dtype), False, None, 0)


def _node_hook_result(hook, result, grads):
    """A node hook's replacement gradients (a tuple as long as ``grads``), or ``grads``
    itself when it returned None; PyTorch's errors otherwise."""
    if result is None:
        return grads
    if not isinstance(result, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(result).__name__}'")
    if len(result) != len(grads):
        raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has returned an incorrect "
                           f"number of values (got {len(result)}, but expected {len(grads)})")
    for g in result:
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"hook '{getattr(hook, '__name__', hook)}' returned a "
                            f"{type(g).__name__} among its gradients (expected Tensors or None)")
    return tuple(result)


def _prepare_grads(node, buf, node_targets, captured, create_graph):
    """Fill missing output grads with zeros, run tensor hooks, capture inputs."""
    hooks = node._hooks
    # Node hooks see None for an output without gradient: zeros come after them.
    defer = hooks is not None and ("pre" in hooks or "post" in hooks)
    for nr in range(len(buf)):
        g = buf[nr]
        if g is None:
            if not defer and node.__dict__.get("materialize_grads", True):
                buf[nr] = _zero_grad(node, nr)
            continue
        if hooks is not None and nr in hooks:
            for h in hooks[nr]:
                g = _run_hook(h, g)
            buf[nr] = g
        retain = node.__dict__.get("_retain") if node.__dict__ else None
        if retain is not None and nr in retain:
            t = retain[nr]()
            if t is not None:
                r = g if create_graph else g.detach()
                t.grad = r if t.grad is None else t.grad + r
        if node_targets:
            slots = node_targets.get((node, nr))
            if slots:
                for i in slots:
                    captured[i] = g if create_graph else g.detach()
    return buf


def _run_hook(hook, g):
    """Call a tensor hook; a replacement gradient must keep the shape."""
    r = hook(g)
    if r is None:
        return g
    if r._array.shape != g._array.shape:
        raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                           f"{list(r._array.shape)}, expected {list(g._array.shape)}")
    return r


class _Leaves:
    """Gradients reaching leaves: summed over the pass, then hooks, then ``.grad``.

    Each leaf's gradients are added up first, so its hooks run once on the
    total, as in PyTorch. A gradient array goes into ``.grad`` without a copy
    when nothing else holds it; a second leaf receiving the same memory
    (``a + b`` hands one gradient to both), a caller's own gradient or a
    read-only broadcast gets a copy, so an in-place change to one ``.grad``
    never shows anywhere else.
    """

    def __init__(self, accumulate, targets, captured, create_graph, root_grads):
        self.accumulate, self.targets, self.captured = accumulate, targets, captured
        self.create_graph = create_graph
        self.owners = {id(_owner(g._array)) for g in root_grads}  # the caller holds these
        self.pending = {}  # id(leaf) -> [leaf, summed gradient, whether we own its array]

    def deliver(self, t, g):
        if self.targets is not None and id(t) not in self.targets:
            return
        entry = self.pending.get(id(t))
        if entry is None:
            self.pending[id(t)] = [t, g, False]
        elif type(g) is SparseCooTensor or type(entry[1]) is SparseCooTensor:
            entry[1], entry[2] = _summed(entry[1], g), True
        elif self.create_graph:
            entry[1] = entry[1] + g
        elif entry[2]:
            entry[1]._array += g._array
        else:
            total = g._array.copy()  # a fresh array (in place on a copy: 0-d stays an array)
            total += entry[1]._array
            entry[1], entry[2] = Tensor._wrap(total, False, None, 0), True

    def flush(self):
        prev = _State.enabled
        _State.enabled = self.create_graph
        try:
            for t, g, owned in self.pending.values():
                post = None
                if t._hooks:
                    for h in t._hooks:
                        if type(h) is PostAccumulateGradHook:
                            post = True
                            continue
                        r = _run_hook(h, g)
                        if r is not g:
                            g, owned = r, False
                            if type(r) is not SparseCooTensor:
                                self.owners.add(id(_owner(r._array)))  # the hook may keep it
                if g._array.dtype != t._array.dtype:
                    g, owned = g.to(t.dtype), True
                self._store(t, g, owned)
                if post and self.accumulate:  # after .grad is updated; never for autograd.grad
                    for h in list(t._hooks):
                        if type(h) is PostAccumulateGradHook:
                            h(t)
        finally:
            _State.enabled = prev

    def _store(self, t, g, owned):
        if self.targets is not None and not self.accumulate:
            for i in self.targets[id(t)]:
                self.captured[i] = g
            return
        if type(g) is SparseCooTensor or type(t.grad) is SparseCooTensor:
            # A sparse gradient (nn.Embedding(sparse=True)) is its own arrays.
            if t.grad is None:
                t.grad = g
            elif type(t.grad) is SparseCooTensor and type(g) is SparseCooTensor:
                t.grad.add_(g)  # in place: a reference to .grad sees the sum, as PyTorch's
            elif type(t.grad) is SparseCooTensor:
                t.grad = _summed(t.grad, g)
            else:  # into a dense .grad, in place, as PyTorch's accumulation
                np.add.at(t.grad._array, tuple(g._idx), g._val.astype(t.grad._array.dtype))
        elif self.create_graph:
            # A differentiable copy: .grad must not alias another leaf's.
            t.grad = g.clone() if t.grad is None else t.grad + g
        elif t.grad is None:
            owner = id(_owner(g._array))
            if not owned and (owner in self.owners or not g._array.flags.writeable):
                g = Tensor._wrap(g._array.copy(), False, None, 0)
            else:
                self.owners.add(owner)
            t.grad = g
        else:
            t.grad._array += g._array


def _summed(a, b):
    """The sum of two gradients of a leaf, one of them (at least) sparse: sparse
    plus sparse stays sparse (entries concatenated), with a dense one it is dense."""
    if type(a) is SparseCooTensor and type(b) is SparseCooTensor:
        return a.add(b)
    dense, sparse = (a, b) if type(b) is SparseCooTensor else (b, a)
    return Tensor._wrap(sparse.added_to(dense), False, None, 0)


def _owner(a):
    """The array that owns ``a``'s memory (NumPy collapses view chains to it)."""
    return a if a.base is None else a.base
