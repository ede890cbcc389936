"""``CyclicLR``: the cyclical learning-rate policy (Smith, 2017), stepped once per batch."""

import math
import types

from ember.optim.lr_scheduler.base import LRScheduler, cycles_beta1, per_group
from ember.optim.optimizer import Optimizer

__all__ = ["CyclicLR"]

# The built-in policies: each scales the amplitude by a function of the cycle
# number ("cycle") or of the iteration count ("iterations").
_MODES = {"triangular": "cycle", "triangular2": "cycle", "exp_range": "iterations"}


class CyclicLR(LRScheduler):
    r"""Cycle the lr between ``base_lr`` and ``max_lr`` ("Cyclical Learning Rates for
    Training Neural Networks", Smith, 2017); call ``step()`` after every batch.

    With ``up = step_size_up``, ``T = up + step_size_down`` and ``t = last_epoch``::

        cycle = floor(1 + t / T)
        x     = 1 + t / T - cycle                       (position in the cycle, [0, 1))
        s     = x / (up / T)  while rising, else (x - 1) / (up / T - 1)
        lr    = base_lr + (max_lr - base_lr) * s * scale
        momentum = max_momentum - (max_momentum - base_momentum) * s * scale

    where ``scale`` is the policy: ``"triangular"`` 1, ``"triangular2"``
    ``1 / 2**(cycle - 1)`` (amplitude halved each cycle), ``"exp_range"``
    ``gamma**t``; or ``scale_fn(cycle)`` (``scale_mode="cycle"``) or
    ``scale_fn(t)`` (any other ``scale_mode``) when ``scale_fn`` is given.

    Args:
        optimizer: the wrapped optimizer.
        base_lr: lower lr boundary, or one per param group; a fresh run
            (``last_epoch=-1``) sets each group's lr to it.
        max_lr: upper lr boundary, or one per group (reached only when scale is 1).
        step_size_up: iterations in the rising half of a cycle. Default: 2000.
        step_size_down: iterations in the falling half; None means step_size_up.
            Default: None.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``; ignored when
            ``scale_fn`` is given. Default: ``"triangular"``.
        gamma: base of the ``"exp_range"`` scale. Default: 1.0.
        scale_fn: custom scale policy of one argument, with values in [0, 1].
            Default: None.
        scale_mode: ``"cycle"`` or ``"iterations"``: what ``scale_fn`` is given.
            The built-in modes fix their own. Default: ``"cycle"``.
        cycle_momentum: cycle momentum (or Adam's beta1) inversely to the lr,
            between base_momentum and max_momentum. Default: True.
        base_momentum: lower momentum boundary (at max_lr), or one per group. Default: 0.8.
        max_momentum: upper momentum boundary (at base_lr), or one per group. Default: 0.9.
        last_epoch: index of the last batch; see ``LRScheduler``. Default: -1.

    ``state_dict`` leaves out the scale function; a custom one that is a plain
    function (it may be a lambda) is saved as None, a callable object as its
    ``__dict__``, restored into the one given to the new scheduler.

    Differs from PyTorch: ``step_size_up <= 0`` or ``step_size_down < 0`` raise
    ValueError (PyTorch divides by zero, or cycles backwards).
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        base_lrs = per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = per_group("max_lr", optimizer, max_lr)
        if not step_size_up > 0:
            raise ValueError(f"CyclicLR expects step_size_up > 0, but got {step_size_up}")
        if step_size_down is not None and not step_size_down >= 0:
            raise ValueError(f"CyclicLR expects step_size_down >= 0 (or None), but got "
                             f"{step_size_down}")
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in _MODES and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None (CyclicLR expects mode in "
                             f"{sorted(_MODES)} or a scale_fn, but got mode={mode!r})")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = cycles_beta1(optimizer)
            self.base_momentums = per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m_max, m_base, group in zip(self.max_momentums, self.base_momentums,
                                                optimizer.param_groups):
                    self._set_momentum(group, m_max)
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch)
        # As PyTorch: the boundaries given win over a group's recorded initial_lr.
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        # The built-in policy is a bound method, rebuilt on load instead of saved.
        self._scale_fn_ref = None
        if self._scale_fn_custom is None:
            self._scale_fn_ref = getattr(self, "_" + self.mode + "_scale_fn")
            self.scale_mode = _MODES[self.mode]

    @staticmethod
    def _triangular_scale_fn(x):
        return 1.0

    @staticmethod
    def _triangular2_scale_fn(x):
        return 1 / (2.0 ** (x - 1))

    def _exp_range_scale_fn(self, x):
        return self.gamma ** x

    def scale_fn(self, x):
        """The amplitude scale at ``x`` (a cycle number or an iteration count)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def _set_momentum(self, group, momentum):
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self):
        """Lrs at batch ``last_epoch``; also writes the cycled momentum into the groups."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base_lr + (max_lr - base_lr) * scale_factor * scale
               for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, m_base, m_max in zip(self.optimizer.param_groups, self.base_momentums,
                                            self.max_momentums):
                self._set_momentum(group, m_max - (m_max - m_base) * scale_factor * scale)
        return lrs

    def state_dict(self):
        """Every attribute but the optimizer and the scale function (see the class doc)."""
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = fn.__dict__.copy()
        return state

    def load_state_dict(self, state_dict):
        """Restore ``state_dict``; a saved callable object's attributes go into ours."""
        state = dict(state_dict)
        fn_state = state.pop("_scale_fn_custom", None)
        super().load_state_dict(state)
        if fn_state is not None:
            self._scale_fn_custom.__dict__.update(fn_state)
        self._init_scale_fn()
