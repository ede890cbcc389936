"""The backward engine: an iterative walk of the graph in dependency order.

No recursion anywhere, so a chain of any length works. Each node runs once,
after every node that feeds it a gradient; gradients for the same input are
summed; each gradient is summed down to its input's shape (broadcasting)
in this one place.
"""

from ember.autograd.function import Node
from ember.autograd.grad_mode import _State
from ember.tensor import Tensor

__all__ = ["run_backward"]

_sum_to = None


def _reduce_to(g, shape):
    global _sum_to
    if _sum_to is None:
        from ember.ops.views import sum_to_size
        _sum_to = sum_to_size
    return _sum_to(g, shape)


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
    # Seed: buffers[node] is a list of per-output gradients.
    buffers = {}
    root_nodes = []
    prev_mode = _State.enabled
    _State.enabled = create_graph
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

        deps = _count_dependencies(root_nodes)
        ready = [n for n in root_nodes if n not in deps]
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, None)
            if buf is not None and (node._hooks is not None or node_targets or len(buf) > 1):
                buf = _prepare_grads(node, buf, node_targets, captured, create_graph)
            edges = node.edges
            if buf is None:
                in_grads = (None,) * len(edges)
            else:
                if node._freed:
                    node.saved_tensors  # raises the "backward twice" error
                in_grads = node.fn.backward(node, *buf)
                if type(in_grads) is not tuple:
                    in_grads = (in_grads,)
                if len(in_grads) != len(edges):
                    raise RuntimeError(f"{node.name()}: backward returned {len(in_grads)} "
                                       f"gradients, expected {len(edges)}")
                post = node.__dict__.get("_post_hooks") if node.__dict__ else None
                if post:
                    for h in post:
                        h(in_grads, tuple(buf))
                if not retain_graph:
                    node._freed = True
                    node._saved = None
            for edge, g, shape in zip(edges, in_grads, node.shapes):
                if edge is None:
                    continue
                target, nr = edge
                if g is not None and g.data.shape != shape:
                    g = _reduce_to(g, shape)
                if type(target) is Node:
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
    finally:
        _State.enabled = prev_mode

    if captured is not None and not accumulate:
        for i, c in enumerate(captured):
            if c is None and not allow_unused:
                raise RuntimeError(f"inputs[{i}] was not used to compute the outputs; pass "
                                   "allow_unused=True to get None for it")
    return captured


def _count_dependencies(roots):
    """How many edges from reachable nodes enter each node (iteratively)."""
    deps = {}
    stack = list(roots)
    seen = set(roots)
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if edge is not None:
                target = edge[0]
                if type(target) is Node:
                    deps[target] = deps.get(target, 0) + 1
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)
    return deps


def _prepare_grads(node, buf, node_targets, captured, create_graph):
    """Fill missing output grads with zeros, run tensor hooks, capture inputs."""
    hooks = node._hooks
    for nr in range(len(buf)):
        g = buf[nr]
        if g is None:
            shape, dtype = node._out_meta[nr]
            buf[nr] = Tensor._wrap(node.xp.zeros(shape, dtype), False, None, 0)
            continue
        if hooks is not None and nr in hooks:
            for h in hooks[nr]:
                r = h(g)
                if r is not None:
                    g = r
            buf[nr] = g
        if node_targets:
            slots = node_targets.get((node, nr))
            if slots:
                for i in slots:
                    captured[i] = g if create_graph else g.detach()
    return buf


class _Leaves:
    """Where gradients reaching leaves go: into ``.grad``, or captured for ``grad()``.

    A gradient array goes into ``.grad`` without a copy the first time; a
    second leaf receiving the same memory (``a + b`` hands one gradient to
    both) gets a copy, so an in-place change to one ``.grad`` never shows in
    another. A borrowed gradient is only added to out of place during the
    pass, since the same memory may still be waiting in a node's buffer.
    """

    def __init__(self, accumulate, targets, captured, create_graph, root_grads):
        self.accumulate, self.targets, self.captured = accumulate, targets, captured
        self.create_graph = create_graph
        self.owners = {id(_owner(g.data)) for g in root_grads}  # the caller holds these
        self.borrowed = set()

    def deliver(self, t, g):
        slots = None
        if self.targets is not None:
            slots = self.targets.get(id(t))
            if slots is None:
                return
        hooks = t._hooks
        if hooks:
            for h in hooks:
                r = h(g)
                if r is not None:
                    g = r
                    self.owners.add(id(_owner(g.data)))  # the hook may keep it
        if slots is not None and not self.accumulate:
            captured = self.captured
            for i in slots:
                captured[i] = g if captured[i] is None else captured[i] + g
            return
        if g.data.dtype != t.data.dtype:
            g = g.to(t.dtype)
        if self.create_graph:
            t.grad = g if t.grad is None else t.grad + g
        elif t.grad is None:
            owner = id(_owner(g.data))
            if owner in self.owners:
                t.grad = Tensor._wrap(g.data.copy(), False, None, 0)
            else:
                self.owners.add(owner)
                self.borrowed.add(id(t))
                t.grad = g
        elif id(t) in self.borrowed:
            self.borrowed.discard(id(t))
            total = g.data.copy()  # (in place on a copy: 0-d stays an array)
            total += t.grad.data
            t.grad = Tensor._wrap(total, False, None, 0)
        else:
            t.grad.data += g.data


def _owner(a):
    """The array that owns ``a``'s memory (NumPy collapses view chains to it)."""
    return a if a.base is None else a.base
