"""The ``Optimizer`` base class: parameter groups, per-parameter state, checkpoints, hooks.

An optimizer holds ``param_groups`` (a list of dicts, each with its ``params``
and its hyperparameters) and ``state`` (a dict keyed by parameter). Subclasses
implement ``step``; everything else -- grouping, defaults, ``zero_grad``,
``state_dict`` / ``load_state_dict`` in PyTorch's layout, step hooks -- lives here.

Writing your own optimizer (see also docs/optim.md)::

    class SignSGD(Optimizer):
        def __init__(self, params, lr=1e-3):
            if lr < 0:
                raise ValueError(f"Invalid learning rate: {lr}")
            super().__init__(params, dict(lr=lr))

        @ember.no_grad()
        def step(self, closure=None):
            loss = self._run_closure(closure)
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    # in place under no_grad: bumps p's version, as in PyTorch
                    p.add_(p.grad.sign(), alpha=-group["lr"])
            return loss

The built-in optimizers work on the raw arrays (``p._array``) for speed and call
``p._bump_version()`` themselves.
"""

import warnings
from collections import OrderedDict, defaultdict
from itertools import chain

import numpy as np

from ember.autograd.grad_mode import enable_grad
from ember.backend.device import xp_of
from ember.sparse_coo import SparseCooTensor
from ember.tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyperparameter every param group must give (PyTorch's ``required``)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors (leaves), of ``(name, tensor)`` pairs, or
            of dicts, each a param group: ``{"params": [...], "lr": 0.1, ...}``.
            Keys a group leaves out take their value from ``defaults``.
        defaults: default hyperparameters (``lr``, ``momentum``, ...).

    Attributes:
        param_groups: list of dicts, each with ``params`` and hyperparameters.
        state: dict mapping a parameter to its dict of buffers
            (``momentum_buffer``, ``exp_avg``, ``step``...).
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._init_state_dict_hooks()
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k not in ("params", "param_names")):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        """Restore attributes; subclasses override it to add keys newer versions introduced."""
        self.__dict__.update(state)
        if "_optimizer_step_pre_hooks" not in self.__dict__:
            self._optimizer_step_pre_hooks = OrderedDict()
            self._optimizer_step_post_hooks = OrderedDict()
        if "_optimizer_state_dict_pre_hooks" not in self.__dict__:
            self._init_state_dict_hooks()
        self._patch_step_function()

    def _init_state_dict_hooks(self):
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()

    # ---- parameter groups -------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a param group (a dict with ``params``) to ``param_groups``.

        Useful when fine-tuning: unfreeze layers and hand their parameters over
        with their own hyperparameters. Missing hyperparameters take the defaults.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        if params and isinstance(params[0], tuple):  # named parameters: (name, tensor)
            param_group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        param_group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__module__}.{type(p).__name__}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "the duplicates would be updated twice per step", stacklevel=3)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients and steps ------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters.

        Args:
            set_to_none: drop ``.grad`` (None) instead of filling it with zeros;
                saves memory, and optimizers skip parameters whose grad is None.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if type(p.grad) is SparseCooTensor:
                    p.grad.zero_()
                    continue
                if p.grad.grad_fn is not None:
                    p.grad = p.grad.detach()
                else:
                    p.grad.requires_grad = False
                p.grad._array.fill(0)
                p.grad._bump_version()

    def step(self, closure=None):
        """Update every parameter that has a gradient, once.

        Args:
            closure: optional callable that re-evaluates the model and returns
                the loss (run with grad enabled); its result is returned.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def _run_closure(self, closure):
        """The closure's loss (None without one); then, unless this optimizer
        takes sparse gradients, PyTorch's error for a parameter that has one."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        if not self._supports_sparse_grads:
            for group in self.param_groups:
                for p in group["params"]:
                    if type(p.grad) is SparseCooTensor:
                        name = type(self).__name__
                        hint = ", please consider SparseAdam instead" if name in (
                            "Adam", "AdamW") else ""
                        raise RuntimeError(f"{'Adam' if name == 'AdamW' else name} does not "
                                           f"support sparse gradients{hint}")
        return loss

    # SGD, Adagrad and SparseAdam apply sparse gradients (nn.Embedding(sparse=True)).
    _supports_sparse_grads = False

    # ---- hooks --------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` before each ``step``.

        The hook may return ``(new_args, new_kwargs)`` to replace the arguments.
        Returns a handle whose ``remove()`` unregisters the hook.
        """
        return _Handle(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Call ``hook(optimizer, args, kwargs)`` after each ``step``; returns a handle."""
        return _Handle(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """Call ``hook(optimizer)`` before ``state_dict`` builds its dict; returns a handle."""
        return _Handle(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """Call ``hook(optimizer, state_dict)`` on ``state_dict``'s result; it may return a
        replacement dict. Returns a handle."""
        return _Handle(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """Call ``hook(optimizer, state_dict)`` before ``load_state_dict`` loads (on a
        shallow copy of the dict); it may return the dict to load instead."""
        return _Handle(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """Call ``hook(optimizer)`` after ``load_state_dict`` has loaded; returns a handle."""
        return _Handle(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def _patch_step_function(self):
        # Wrap the most derived class's step once (as PyTorch does), so that a
        # subclass calling super().step() does not run the hooks twice.
        cls = type(self)
        if getattr(cls.step, "_hooked", False):
            return
        cls.step = _step_with_hooks(cls.step)

    # ---- checkpoints --------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as a dict, in PyTorch's layout.

        ``{"state": {index: {name: value}}, "param_groups": [{..., "params": [indices]}]}``:
        parameters are numbered in order of appearance across groups. Values are
        references to the live buffers (as in PyTorch): ``copy.deepcopy`` the
        result to keep a snapshot while training goes on.
        """
        for hook in tuple(self._optimizer_state_dict_pre_hooks.values()):
            hook(self)
        index_of = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index_of[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        result = {"state": state, "param_groups": groups}
        for hook in tuple(self._optimizer_state_dict_post_hooks.values()):
            out = hook(self, result)
            if out is not None:
                result = out
        return result

    def load_state_dict(self, state_dict):
        """Load a dict made by ``state_dict`` (ours or one converted from PyTorch).

        Floating state is cast to each parameter's dtype and moved to its device,
        except ``step``, which stays as saved.

        Differs from PyTorch: state tensors are copied, so continuing to train
        never changes the dict that was loaded.
        """
        state_dict = dict(state_dict)  # the hooks may change it, not the caller's
        for hook in tuple(self._optimizer_load_state_dict_pre_hooks.values()):
            out = hook(self, state_dict)
            if out is not None:
                state_dict = out
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(f"{type(self).__name__}.load_state_dict: missing key {key!r}; "
                               f"got keys {sorted(map(str, state_dict))}")
        groups = self.param_groups
        saved_groups = [dict(g) for g in state_dict["param_groups"]]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than the optimizer ({len(groups)})")
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 f"match the size of optimizer's group: group {i} has "
                                 f"{len(s['params'])} saved and {len(g['params'])} parameters")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {name: _copy_like(param, value, name) for name, value in v.items()}
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in tuple(self._optimizer_load_state_dict_post_hooks.values()):
            hook(self)


def _copy_like(param, value, key):
    """A copy of a saved state value on ``param``'s device (and dtype, if floating)."""
    if not isinstance(value, Tensor):
        return value
    arr = value._array
    if key == "step":  # PyTorch keeps step as saved: a float32 scalar on the CPU
        return Tensor._wrap(arr.copy(), False, None, 0)
    xp = xp_of(param._array)
    if type(arr) is not type(param._array) and not isinstance(arr, np.ndarray):
        arr = arr.get()  # CuPy -> host, then on to param's module below
    dtype = param._array.dtype if param._array.dtype.kind == "f" else arr.dtype
    return Tensor._wrap(xp.array(arr, dtype=dtype, copy=True), False, None, 0)


def _step_with_hooks(step):
    def step_with_hooks(self, *args, **kwargs):
        for hook in list(self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError("optimizer step pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result!r}")
                args, kwargs = result
        out = step(self, *args, **kwargs)
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    step_with_hooks.__doc__ = step.__doc__
    step_with_hooks.__name__ = "step"
    step_with_hooks.__wrapped__ = step
    step_with_hooks._hooked = True
    return step_with_hooks


class _Handle:
    """Returned by hook registration; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks, hook, prepend=False):
        self._hooks, self.id = hooks, _Handle._next_id
        _Handle._next_id += 1
        hooks[self.id] = hook
        if prepend:
            hooks.move_to_end(self.id, last=False)

    def remove(self):
        """Unregister the hook (again is harmless)."""
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
