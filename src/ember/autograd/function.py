"""``Function``: an op's forward and backward in one class, and its graph node.

Ember's own ops (``Function`` subclasses defined inside the ``ember``
package) take arrays: ``Function.apply(*args)`` unwraps Tensor arguments,
runs ``forward(ctx, *arrays)`` and wraps the result. Every other subclass,
such as a user's custom Function, follows PyTorch's convention: ``forward``
receives the Tensors themselves, runs with grad mode off, and returns
Tensors (``array_forward`` on a class chooses explicitly). When grad mode is
on and an input requires grad, the ``ctx`` becomes the output's ``grad_fn``:
a graph node holding the edges to the inputs' nodes and what forward saved.

``backward(ctx, *grads)`` receives Tensors and returns one gradient (a
Tensor or None) per argument of forward. It is written with Ember ops, so
when the engine runs it with ``create_graph=True`` the backward itself is
recorded and can be differentiated again. Gradients may come back with the
broadcast shape; the engine sums them down to each input's shape.
"""

import weakref

import numpy as np

from ember.autograd.grad_mode import _State
from ember.backend.device import device_of, xp_of
from ember.tensor import Tensor, _HookHandle

__all__ = ["Function", "Node", "once_differentiable"]

def _differentiable_dtype(a):
    k = a.dtype.kind
    return k == "f" or (k == "V" and a.dtype.name == "bfloat16")


class _SavedOutput:
    """An output saved by its own node; rebuilt on unpack to avoid a cycle."""

    __slots__ = ("_array", "nr", "version", "base")

    def __init__(self, t):
        self._array, self.nr = t._array, t._output_nr
        self.base = t._base if t._base is not None else t
        self.version = self.base._version


# saved_tensors_hooks (autograd.graph): the (pack, unpack) pairs in force, innermost
# last, and the message of a disable_saved_tensors_hooks in force (None: allowed).
_SAVED_HOOKS = []
_SAVED_HOOKS_DISABLED = [None]


class _HookedSaved:
    """A saved tensor handed to a pack hook: what it returned, the unpack hook,
    and what rebuilds the tensor's place in the graph on unpack. The tensor's
    base is held weakly, so a hook that moves the data elsewhere frees it here
    (versions are not checked on unpack, as in PyTorch)."""

    __slots__ = ("packed", "unpack", "kind", "grad_fn", "nr", "leaf", "base_ref", "version")

    def __init__(self, packed, unpack, kind, grad_fn=None, nr=0, leaf=None, base=None,
                 version=0):
        self.packed, self.unpack, self.kind = packed, unpack, kind
        self.grad_fn, self.nr, self.leaf, self.version = grad_fn, nr, leaf, version
        self.base_ref = None if base is None else weakref.ref(base)


def _hook_saved(entry, pack, unpack):
    """A ``_saved`` entry passed through ``pack``."""
    if type(entry) is tuple:  # an input: (tensor, its version)
        t, version = entry
        base = t._base if t._base is not None else t
        leaf = t if t.grad_fn is None and t.requires_grad else None
        return _HookedSaved(pack(t), unpack, "input", t.grad_fn, t._output_nr, leaf, base,
                            version)
    if type(entry) is _SavedOutput:
        t = Tensor._wrap(entry._array, False, None, 0)
        return _HookedSaved(pack(t), unpack, "output", None, entry.nr, None, entry.base,
                            entry.version)
    if isinstance(entry, Tensor):
        return _HookedSaved(pack(entry), unpack, "constant")
    return entry


class Node:
    """A recorded op: the ``ctx`` of forward and the ``grad_fn`` of its outputs.

    Forward may set any attribute on it (``ctx.dim = dim``) for backward to read.
    """

    __slots__ = ("fn", "xp", "edges", "shapes", "needs_input_grad", "_saved", "_to_save",
                 "_n_out", "_out_meta", "_hooks", "_non_diff", "_freed", "__dict__", "__weakref__")

    def save_for_backward(self, *arrays):
        """Keep inputs, outputs or other arrays (or scalars) for backward.

        Inputs and outputs come back in ``saved_tensors`` as the graph's own
        tensors, so a backward that uses them is differentiable again.
        """
        self._to_save = arrays

    def mark_non_differentiable(self, *arrays):
        """Declare outputs (such as indices) that never require grad."""
        self._non_diff = arrays

    def set_materialize_grads(self, value):
        """Whether backward gets zeros (the default, as PyTorch) or None for the
        gradients of outputs that did not take part in the loss."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        """PyTorch's way for a custom forward to declare inputs it changed in
        place; not supported: Ember's in-place ops go through ``inplace``."""
        fn = self.__dict__.get("_user_fn", self.fn)
        raise NotImplementedError(
            f"{fn.__name__}: ctx.mark_dirty is not supported; return a new tensor from "
            "forward instead of modifying an input in place")

    @property
    def saved_tensors(self):
        """What forward saved, as Tensors; raises if the graph was freed or modified."""
        if self._freed:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to read "
                "saved tensors after they were freed); pass retain_graph=True to the first "
                "backward() or autograd.grad() to keep them")
        out = []
        for s in self._saved:
            if type(s) is tuple:  # (input tensor, version it had when saved)
                t, version = s
                current = (t._base if t._base is not None else t)._version
                if current != version:
                    self._modified(t, version, current)
                out.append(t)
            elif type(s) is _SavedOutput:
                if s.base._version != s.version:
                    self._modified(s, s.version, s.base._version)
                t = Tensor._wrap(s._array, True, self, s.nr)
                out.append(t)
            elif type(s) is _HookedSaved:
                out.append(self._unpacked(s))
            else:
                out.append(s)
        return tuple(out)

    def _unpacked(self, s):
        """A tensor saved through a pack hook, back from its unpack hook, in its
        place in the graph (so double backward still works)."""
        t = s.unpack(s.packed)
        if not isinstance(t, Tensor):
            raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        # No version check: with hooks the saved content is what the hooks keep, and
        # PyTorch checks versions only without them (an in-place change after
        # packing a copy is fine).
        if s.kind == "output":
            return Tensor._wrap(t._array, True, self, s.nr)
        if s.leaf is not None:
            if t is s.leaf:
                return t
            if not _State.enabled:  # first order: the backward reads the values only
                return Tensor._wrap(t._array, False, None, 0)
            # create_graph: the unpacked values, with gradients still reaching the leaf
            return s.leaf + (t - s.leaf).detach()
        if s.grad_fn is not None:
            return Tensor._wrap(t._array, True, s.grad_fn, s.nr)
        return Tensor._wrap(t._array, False, None, 0)

    def _modified(self, t, expected, got):
        raise RuntimeError(
            f"one of the tensors needed for gradient computation has been modified by an "
            f"in-place operation: the tensor of shape {tuple(t._array.shape)} saved by "
            f"{self.name()} is at version {got}; expected version {expected} instead")

    def name(self):
        """``MulBackward0``-style name, as PyTorch prints it (a user's Function:
        ``MyOpBackward``)."""
        user = self.fn is _UserFunctionNode
        return (self._user_fn.__name__ + "Backward") if user else self.fn.__name__ + "Backward0"

    @property
    def next_functions(self):
        """((node or AccumulateGrad-like leaf, output index), ...) per forward argument."""
        return tuple(e if e is not None else (None, 0) for e in self.edges)

    def register_hook(self, hook):
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward.

        ``grad_inputs`` holds one gradient per forward input (None where there
        is none), ``grad_outputs`` one per output. The hook may return a tuple
        of as many replacement ``grad_inputs``. Returns a handle whose
        ``remove()`` unregisters it.
        """
        hooks = self._node_hooks("post")
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def register_prehook(self, hook):
        """Call ``hook(grad_outputs)`` before this node's backward.

        Runs after the hooks registered on the node's output tensors. The hook
        may return a tuple of as many replacement ``grad_outputs``, which the
        backward then receives. Returns a handle whose ``remove()`` unregisters it.
        """
        hooks = self._node_hooks("pre")
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def _node_hooks(self, kind):
        # Kept in _hooks beside the output tensors' hooks (keyed by output number),
        # which the engine reads anyway: a node without hooks costs it nothing more.
        if self._hooks is None:
            self._hooks = {}
        return self._hooks.setdefault(kind, [])

    @property
    def metadata(self):
        """A dict kept with this node, for the user's own annotations."""
        return self.__dict__.setdefault("_metadata", {})

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"


class Function:
    """Base class of every differentiable op; subclass and define forward/backward.

    ``row_major = True`` on a subclass makes its outputs row-major contiguous
    (copied when the forward's are not): PyTorch allocates the results of
    reductions, scans, softmax, cat and the like contiguous whatever its input's
    layout, where NumPy's follow the input's memory order, and scripts rely on
    it (``.view``).
    """

    row_major = False
    # Whether forward takes and returns arrays (Ember's op convention) or, as in
    # PyTorch, Tensors. Unset on a subclass: inherited from its parent, and for a
    # direct subclass of Function, True inside the ember package (its ops) and
    # False elsewhere (a user's custom Function).
    array_forward = True
    # For each entry of save_for_backward, the forward argument whose gradient
    # is the only use of that entry (None: always kept). Entries whose argument
    # needs no gradient are not kept, as PyTorch's: ``y * 2`` does not hold on
    # to ``y``, so changing ``y`` in place later is no error.
    saved_for = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "array_forward" not in cls.__dict__:
            parent = cls.__mro__[1]
            cls.array_forward = (parent.array_forward if parent is not Function
                                 else cls.__module__.partition(".")[0] == "ember")
        # The convention is chosen here, once, so that the ops' apply checks nothing.
        if "apply" not in cls.__dict__:
            cls.apply = Function.__dict__["apply"] if cls.array_forward else \
                classmethod(_apply_tensors)

    @staticmethod
    def forward(ctx, *args):
        """Compute the outputs from arrays (Ember's ops) or Tensors (other subclasses),
        and plain Python arguments."""
        raise NotImplementedError

    @staticmethod
    def setup_context(ctx, inputs, output):
        """PyTorch's other style: ``forward(*args)`` without ctx, then this fills ctx
        (save_for_backward, attributes) from the inputs and the output."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        """Gradients of the inputs (Tensors or None, one per forward argument)."""
        raise NotImplementedError(f"{ctx.name()}: backward is not implemented")

    @classmethod
    def apply(cls, *args):
        """Run forward on ``args``, recording the graph when gradients are needed."""
        arrays = []
        needs = False
        xp = np
        for a in args:
            if isinstance(a, Tensor):
                d = a._array
                if type(d) is not np.ndarray:
                    xp = _check_same_device(cls, args)
                if a.requires_grad:
                    needs = True
                arrays.append(d)
            else:
                arrays.append(a)
        ctx = Node()
        ctx.fn = cls
        ctx.xp = xp
        ctx._to_save = ()
        ctx._non_diff = ()
        out = pre = cls.forward(ctx, *arrays)
        if cls.row_major:
            out = _row_major(out, xp)
        if not (needs and _State.enabled):
            if type(out) is tuple:
                return tuple(Tensor._wrap(_as_array(o, xp), False, None, 0) for o in out)
            data = out if type(out) is np.ndarray else _as_array(out, xp)
            return Tensor._wrap(data, False, None, 0)
        return _record(ctx, cls, args, out, xp, pre)


def _apply_tensors(cls, *args, **kwargs):
    """``apply`` with PyTorch's convention: forward sees the Tensors, under no_grad.

    Outputs that are not Tensors (None, numbers) come back as they are; an
    output that shares memory with an input (``return x``, ``x.view_as(x)``) is
    copied, so that an in-place change of it cannot alter what the graph saved.
    """
    setup_style = cls.setup_context is not Function.setup_context
    if kwargs or setup_style:
        args = _bind_positionally(cls, args, kwargs, defaults=setup_style)
    xp = np
    for a in args:
        if isinstance(a, Tensor) and type(a._array) is not np.ndarray:
            xp = _check_same_device(cls, args)
            break
    requires = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    needs = _State.enabled and any(requires)
    ctx = Node()
    ctx.fn = _UserFunctionNode
    ctx._user_fn = cls
    ctx._tensor_args = tuple(isinstance(a, Tensor) for a in args)
    ctx._input_dtypes = tuple(a.dtype if isinstance(a, Tensor) else None for a in args)
    ctx.xp = xp
    ctx._to_save = ()
    ctx._non_diff = ()
    ctx.needs_input_grad = requires  # as PyTorch: whether each input requires grad
    prev = _State.enabled
    _State.enabled = False
    try:
        if setup_style:
            out = cls.forward(*args)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args)
    finally:
        _State.enabled = prev
    multi = isinstance(out, (tuple, list))
    items = tuple(out) if multi else (out,)
    slots = tuple(i for i, o in enumerate(items) if isinstance(o, Tensor))
    if not multi and not slots:
        return out  # not a Tensor: nothing to record (PyTorch returns it as well)
    inputs = [a._array for a in args if isinstance(a, Tensor)]
    arrays = tuple(_unaliased(items[i]._array, inputs, xp) for i in slots)
    unwrap = lambda o: o._array if isinstance(o, Tensor) else o  # noqa: E731
    # What forward saved or marked refers to its outputs as returned: point those
    # at the arrays that become the outputs.
    swap = {id(items[i]._array): a for i, a in zip(slots, arrays)}
    ctx._to_save = tuple(swap.get(id(u), u) for u in map(unwrap, ctx._to_save))
    ctx._non_diff = tuple(swap.get(id(u), u) for u in map(unwrap, ctx._non_diff))
    ctx._out_slots = (slots, len(items)) if multi else None
    if not needs:
        wrapped = tuple(Tensor._wrap(a, False, None, 0) for a in arrays)
    else:
        wrapped = _record(ctx, cls, args, arrays, xp)
    if not multi:
        return wrapped[0]
    result = list(items)
    for i, t in zip(slots, wrapped):
        result[i] = t
    return tuple(result)


def _bind_positionally(cls, args, kwargs, defaults=False):
    """PyTorch passes keyword arguments of ``apply`` to forward by position (so
    backward returns a gradient, or None, for each); keyword-only ones fail.
    With ``defaults`` (the setup_context style), omitted arguments are filled
    in, so that ``setup_context`` sees every input."""
    with_ctx = cls.setup_context is Function.setup_context
    signature = _signatures.get(cls)
    if signature is None:
        import inspect
        signature = _signatures[cls] = inspect.signature(cls.forward)
    bound = signature.bind(*((None,) if with_ctx else ()), *args, **kwargs)
    if defaults:
        bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(f"forward() got an unexpected keyword argument "
                        f"'{next(iter(bound.kwargs))}'")
    return bound.args[1:] if with_ctx else bound.args


_signatures = {}  # a user Function's class -> the signature of its forward


def _unaliased(array, inputs, xp):
    """``array``, or a copy of it when it shares memory with one of ``inputs``."""
    for a in inputs:
        if xp.may_share_memory(array, a):
            return array.copy()
    return array


class _UserFunctionNode:
    """The ``fn`` of a user Function's node: calls its backward with a gradient (or
    None) per forward output, and checks what comes back, as PyTorch does."""

    @staticmethod
    def backward(ctx, *grads):
        user = ctx._user_fn
        if ctx._out_slots is not None:
            slots, n = ctx._out_slots
            full = [None] * n
            for i, g in zip(slots, grads):
                full[i] = g
            grads = full
        result = user.backward(ctx, *grads)
        result = result if type(result) is tuple else (result,)
        tensor_args = ctx._tensor_args
        if len(result) > len(tensor_args) and all(g is None for g in result[len(tensor_args):]):
            result = result[:len(tensor_args)]  # surplus Nones are allowed, as in PyTorch
        for i, (g, is_tensor) in enumerate(zip(result, tensor_args)):
            if g is not None and not is_tensor:
                raise RuntimeError(f"function {user.__name__}Backward returned a gradient "
                                   f"different than None at position {i + 1}, but the "
                                   "corresponding forward input was not a Tensor")
        # Each gradient in its input's dtype, as PyTorch casts what a backward returns.
        return tuple(g.to(dt) if isinstance(g, Tensor) and dt is not None and g.dtype != dt
                     else g for g, dt in zip(result, ctx._input_dtypes))


def _row_major(out, xp):
    """``out`` (an array or a tuple of them) with each array row-major contiguous."""
    if type(out) is tuple:
        return tuple(_row_major(o, xp) for o in out)
    if getattr(out, "ndim", 0) and not out.flags.c_contiguous:
        return xp.ascontiguousarray(out)
    return out


# Observers of recording (anomaly mode keeps each node's forward stack, a
# checkpoint collects the nodes of its call): called with each new node. While
# there are none, ``_record`` is the plain function, so recording pays nothing.
_observers = []


def add_record_observer(observer):
    """Call ``observer(node)`` for every graph node recorded until removed."""
    global _record
    _observers.append(observer)
    _record = _record_observed


def remove_record_observer(observer):
    """Stop calling ``observer`` (added with ``add_record_observer``)."""
    global _record
    _observers.remove(observer)
    if not _observers:
        _record = _record_plain


def _record_observed(ctx, *args, **kwargs):
    for observer in _observers:
        observer(ctx)
    return _record_plain(ctx, *args, **kwargs)


def _record(ctx, cls, args, out, xp, pre=None):
    """Make ctx a graph node: edges to inputs, saved tensors, wrapped outputs."""
    edges = []
    shapes = []
    for a in args:
        if isinstance(a, Tensor):
            if a._base is not None and a._version != a._base._version:
                _refresh_view(a)
            if a.requires_grad:
                fn = a.grad_fn
                edges.append((fn, a._output_nr) if fn is not None else (a, 0))
                shapes.append(a._array.shape)
                continue
        edges.append(None)
        shapes.append(None)
    ctx.edges = tuple(edges)
    ctx.shapes = tuple(shapes)
    ctx.needs_input_grad = tuple([e is not None for e in edges])
    ctx._freed = False
    ctx._hooks = None
    if type(out) is tuple:
        result = _wrap_outputs(ctx, out, xp)
        outs = result
    else:
        o = out if type(out) is np.ndarray else _as_array(out, xp)
        diff = o.dtype.kind == "f" or _differentiable_dtype(o)
        result = Tensor._wrap(o, diff, ctx if diff else None, 0)
        outs = (result,)
        ctx._n_out = 1
        ctx._out_meta = None
    to_save = ctx._to_save
    if to_save:
        raw = out if type(out) is tuple else (out,)  # forward's own objects, before wrapping
        # ... and before a row-major copy (``row_major``): forward saved those.
        first = raw if pre is None or pre is out else (pre if type(pre) is tuple else (pre,))
        keep = cls.saved_for
        if keep is None:  # the common case: keep everything
            ctx._saved = tuple([_pack(s, args, outs, raw, first, xp) for s in to_save])
        else:
            need = ctx.needs_input_grad
            ctx._saved = tuple([None if k is not None and not need[k]
                                else _pack(s, args, outs, raw, first, xp)
                                for s, k in zip(to_save, keep)])
        ctx._to_save = None
        if _SAVED_HOOKS:
            pack, unpack = _SAVED_HOOKS[-1]
            ctx._saved = tuple([_hook_saved(e, pack, unpack) for e in ctx._saved])
    else:
        ctx._saved = ()
    return result


_record_plain = _record


def _refresh_view(view):
    """Rebuild a view's grad_fn from its base after an in-place change of the base.

    An in-place op through one view (or on the base) moves the base to a new
    graph node; other views made earlier still point at the old one.
    """
    base = view._base
    if view._view_fn is not None and base.requires_grad:
        fresh = view._view_fn(base)
        view.grad_fn, view._output_nr, view.requires_grad = fresh.grad_fn, fresh._output_nr, True
    view._version = base._version


def _wrap_outputs(ctx, out, xp):
    non_diff = ctx._non_diff
    outs, differentiable = [], []
    for i, o in enumerate(out):
        o = _as_array(o, xp)
        diff = _differentiable_dtype(o) and not any(o is nd for nd in non_diff)
        outs.append(Tensor._wrap(o, diff, ctx if diff else None, i))
        if diff:
            differentiable.append(i)
    if len(differentiable) < len(outs):
        # The outputs node hooks see, as PyTorch's (which has no others).
        ctx.__dict__["_diff_out"] = tuple(differentiable)
    ctx._n_out = len(outs)
    ctx._out_meta = tuple((o._array.shape, o._array.dtype) for o in outs)
    return tuple(outs)


def _pack(s, args, outs, raw, first, xp):
    if s is None or not hasattr(s, "shape"):
        return s  # None or a Python scalar: kept as is
    for a in args:
        if isinstance(a, Tensor) and a._array is s:
            return (a, (a._base if a._base is not None else a)._version)
    for o, r, f in zip(outs, raw, first):
        if o._array is s or r is s or f is s:  # r: a NumPy scalar the output wraps as 0-d
            return _SavedOutput(o)
    return Tensor._wrap(_as_array(s, xp), False, None, 0)  # an intermediate: a constant


def _as_array(o, xp):
    if type(o) is np.ndarray:
        return o
    if xp is np or isinstance(o, (bool, int, float, np.generic)):
        return np.asarray(o) if xp is np else xp.asarray(o)
    return o


def _check_same_device(cls, args):
    devs = {device_of(a._array) for a in args if isinstance(a, Tensor)}
    if len(devs) > 1:
        raise RuntimeError(f"{cls.__name__.lower()}: expected all tensors on the same device, "
                           f"got {', '.join(sorted(str(d) for d in devs))}")
    return xp_of(next(a._array for a in args if isinstance(a, Tensor)))


def once_differentiable(backward):
    """Mark a backward written with raw arrays: it runs without graph recording,
    so its result is correct for first derivatives only."""
    import functools

    from ember.autograd.grad_mode import no_grad

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            return backward(ctx, *grads)
    return wrapper
