"""Hook machinery of ``Module``: removable handles and full backward hooks."""

import weakref

from ember.autograd.function import Function
from ember.tensor import Tensor

__all__ = []  # internal: Module's register_*_hook methods are the public face


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook.

    Also a context manager that removes the hook on exit.
    """

    _next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self.extra_dict_ref = tuple(weakref.ref(d) for d in (extra_dict or ()))

    def remove(self):
        """Unregister the hook (a no-op if already removed)."""
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


# ---- global hooks (every module's calls and registrations) ------------------------------
class _GlobalHooks:
    """The hooks ``register_module_*_hook`` install for all modules; ``active`` says
    whether any call hook is set, which ``Module.__call__`` checks first."""

    def __init__(self):
        from collections import OrderedDict
        self.forward_pre, self.forward, self.backward, self.backward_pre = (
            OrderedDict(), OrderedDict(), OrderedDict(), OrderedDict())
        self.forward_with_kwargs, self.forward_always_called = set(), set()
        self.parameter, self.buffer, self.module = OrderedDict(), OrderedDict(), OrderedDict()
        self.active = False

    def add(self, registry, hook):
        handle = _GlobalHandle(registry, self)
        registry[handle.id] = hook
        self.refresh()
        return handle

    def refresh(self):
        self.active = bool(self.forward_pre or self.forward or self.backward or
                           self.backward_pre)


class _GlobalHandle(RemovableHandle):
    """A handle whose ``remove()`` also updates ``GLOBAL_HOOKS.active``."""

    def __init__(self, registry, owner):
        super().__init__(registry)
        self._owner = owner

    def remove(self):
        """Unregister the hook (a no-op if already removed)."""
        super().remove()
        self._owner.forward_with_kwargs.discard(self.id)
        self._owner.forward_always_called.discard(self.id)
        self._owner.refresh()


GLOBAL_HOOKS = _GlobalHooks()


def register_module_forward_pre_hook(hook):
    """Call ``hook(module, args)`` before every module's forward (before its own
    pre-hooks); it may return new args. Returns a removable handle."""
    return GLOBAL_HOOKS.add(GLOBAL_HOOKS.forward_pre, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """Call ``hook(module, args, output)`` (with ``with_kwargs``: ``(module, args,
    kwargs, output)``) after every module's forward, before its own forward hooks;
    it may return a new output. ``always_call``: also when forward raises."""
    handle = GLOBAL_HOOKS.add(GLOBAL_HOOKS.forward, hook)
    if with_kwargs:
        GLOBAL_HOOKS.forward_with_kwargs.add(handle.id)
    if always_call:
        GLOBAL_HOOKS.forward_always_called.add(handle.id)
    return handle


def register_module_full_backward_hook(hook):
    """A full backward hook (``hook(module, grad_input, grad_output)``) on every
    module, run before each module's own."""
    return GLOBAL_HOOKS.add(GLOBAL_HOOKS.backward, hook)


def register_module_full_backward_pre_hook(hook):
    """A full backward pre-hook (``hook(module, grad_output)``) on every module,
    run before each module's own."""
    return GLOBAL_HOOKS.add(GLOBAL_HOOKS.backward_pre, hook)


def register_module_parameter_registration_hook(hook):
    """Call ``hook(module, name, param)`` whenever a module registers a parameter;
    it may return the parameter to register instead."""
    return GLOBAL_HOOKS.add(GLOBAL_HOOKS.parameter, hook)


def register_module_buffer_registration_hook(hook):
    """Call ``hook(module, name, buffer)`` whenever a module registers a buffer;
    it may return the buffer to register instead."""
    return GLOBAL_HOOKS.add(GLOBAL_HOOKS.buffer, hook)


def register_module_module_registration_hook(hook):
    """Call ``hook(module, name, submodule)`` whenever a module registers a child;
    it may return the module to register instead."""
    return GLOBAL_HOOKS.add(GLOBAL_HOOKS.module, hook)


def run_registration_hooks(registry, module, name, value):
    """``value`` after the global registration hooks of ``registry``."""
    for hook in tuple(registry.values()):
        out = hook(module, name, value)
        if out is not None:
            value = out
    return value


class _Identity(Function):
    """Identity on several tensors; its backward hands the gradients to ``on_grads``."""

    @staticmethod
    def forward(ctx, on_grads, *arrays):
        ctx.on_grads = on_grads
        # Outputs that get no gradient reach the hooks as None, as in PyTorch.
        ctx.set_materialize_grads(False)
        return arrays if len(arrays) > 1 else arrays[0]

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.on_grads(grads))


class BackwardHook:
    """Runs a module's full backward hooks: ``hook(module, grad_input, grad_output)``.

    The module's tensor inputs and outputs pass through an identity node
    each side; the output node's backward runs the full backward pre-hooks
    (``hook(module, grad_output)``, which may replace ``grad_output``) and
    records ``grad_output``; the input node's backward (run once all
    gradients w.r.t. the inputs are summed) calls the hooks, which may return
    replacement input gradients.
    """

    def __init__(self, module, hooks, pre_hooks=()):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_output = None
        self.n_args = 0
        self.input_positions = []

    def _wrap(self, values, on_grads):
        # Every floating tensor goes through the node once one needs a gradient: PyTorch
        # then reports gradients even for the ones that did not require grad.
        positions = [i for i, v in enumerate(values)
                     if isinstance(v, Tensor) and v.is_floating_point()]
        if not any(values[i].requires_grad for i in positions):
            return values, []
        wrapped = _Identity.apply(on_grads, *(values[i] for i in positions))
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        values = list(values)
        for i, w in zip(positions, wrapped):
            values[i] = w
        return tuple(values), positions

    def setup_input_hook(self, args):
        """Route the tensor arguments through the input identity node."""
        self.n_args = len(args)
        args, self.input_positions = self._wrap(args, self._on_grad_input)
        return args

    def setup_output_hook(self, result):
        """Route the tensor outputs through the output identity node."""
        single = isinstance(result, Tensor)
        if not (single or isinstance(result, tuple)):
            return result
        out, _ = self._wrap((result,) if single else result, self._on_grad_output)
        return out[0] if single else out

    def _run_hooks(self, grad_input):
        for hook in self.hooks:
            res = hook(self.module, grad_input, self.grad_output)
            if res is not None:
                res = res if isinstance(res, tuple) else (res,)
                if len(res) != len(grad_input):
                    raise RuntimeError(f"backward hook returned {len(res)} gradients, expected "
                                       f"{len(grad_input)}")
                grad_input = res
        return grad_input

    def _on_grad_output(self, grads):
        for hook in self.pre_hooks:
            res = hook(self.module, grads)
            if res is None:
                continue
            if not isinstance(res, tuple):
                raise RuntimeError(f"backward pre-hook must return None or a tuple of "
                                   f"grad_output, got {type(res).__name__}")
            if len(res) != len(grads):
                raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                   f"grad_output, got {len(res)}, but expected {len(grads)}")
            grads = res
        self.grad_output = grads
        if self.hooks and not self.input_positions:  # no input needs a gradient: Nones
            self._run_hooks((None,) * self.n_args)
        return grads

    def _on_grad_input(self, grads):
        # One entry per positional argument, None where no gradient flows (as PyTorch).
        full = [None] * self.n_args
        for i, g in zip(self.input_positions, grads):
            full[i] = g
        full = self._run_hooks(tuple(full))
        return tuple(full[i] for i in self.input_positions)
