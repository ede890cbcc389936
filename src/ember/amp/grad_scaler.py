"""``GradScaler``: dynamic loss scaling, as ``torch.amp.GradScaler``.

Mixed-precision training multiplies the loss by a large factor (the scale)
before ``backward``, so that small gradients survive in half precision, then
divides the gradients by it again before the optimizer uses them. When the
scaled gradients overflow (inf or nan), that step is skipped and the scale
shrinks; after ``growth_interval`` clean steps in a row it grows again::

    scaler = ember.amp.GradScaler("cpu")
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)            # optional: to clip true gradients
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)                # skipped if a gradient is inf/nan
        scaler.update()

The scale lives in a 0-d float32 tensor (``_scale``) and the count of clean
steps in a 0-d int32 tensor (``_growth_tracker``), both made on the device
of the first tensor given to ``scale``, as in PyTorch.
"""

import warnings
from collections import abc, defaultdict
from enum import Enum

import numpy as np

import ember
from ember.backend.device import cuda_available, xp_of
from ember.tensor import Tensor

__all__ = ["OptState", "GradScaler"]


class OptState(Enum):
    """Where an optimizer is in the current iteration: nothing yet, unscaled, stepped."""

    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_optimizer_state():
    return {"stage": OptState.READY, "found_inf_per_device": {}}


_SCALE_NOT_SET = ("This may indicate your script did not use scaler.scale(loss or outputs) "
                  "earlier in the iteration.")


class GradScaler:
    """Scales the loss up and the gradients back down, skipping steps that overflow.

    ``GradScaler(device="cuda", init_scale=2.**16, growth_factor=2.0,
    backoff_factor=0.5, growth_interval=2000, enabled=True)``, as in PyTorch.

    Args:
        device: the device the scale is meant for. ``"cuda"`` without a GPU
            disables the scaler with a warning, as in PyTorch; pass ``"cpu"``
            to scale on the CPU.
        init_scale: the scale before the first ``update``. Default: 2.**16.
        growth_factor: multiplies the scale after ``growth_interval`` steps in
            a row without inf/nan gradients (must be > 1). Default: 2.0.
        backoff_factor: multiplies the scale after a step with inf/nan
            gradients (must be < 1). Default: 0.5.
        growth_interval: clean steps between two growths. Default: 2000.
        enabled: ``False`` makes every method a pass-through (``scale``
            returns its input, ``step`` just calls ``optimizer.step``), so one
            script runs with and without scaling. Default: True.

    Differs from PyTorch: optimizers that unscale inside their own ``step``
    (PyTorch's fused optimizers, marked ``_step_supports_amp_scaling``) do not
    exist in Ember, so ``step`` always unscales and checks the gradients itself.
    Invalid factors raise ``AssertionError``, the exception PyTorch raises.
    """

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled and not cuda_available():
            warnings.warn("GradScaler(device='cuda') is enabled, but CUDA is not available.  "
                          "Disabling.", UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled:
            self._check_factors(growth_factor, backoff_factor)
        self._init_scale = init_scale
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._init_growth_tracker = 0
        # Made by the first scale() call, on the device of what it scales.
        self._scale = None
        self._growth_tracker = None
        self._per_optimizer_states = defaultdict(_fresh_optimizer_state)

    @staticmethod
    def _check_factors(growth_factor, backoff_factor):
        if not growth_factor > 1.0:
            raise AssertionError(f"GradScaler: the growth factor must be > 1.0, got "
                                 f"{growth_factor}")
        if not backoff_factor < 1.0:
            raise AssertionError(f"GradScaler: the backoff factor must be < 1.0, got "
                                 f"{backoff_factor}")

    def _check_scale_growth_tracker(self, funcname):
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + _SCALE_NOT_SET)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  "
                                 + _SCALE_NOT_SET)
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self, device):
        self._scale = ember.full((), self._init_scale, dtype=ember.float32, device=device)
        self._growth_tracker = ember.full((), self._init_growth_tracker, dtype=ember.int32,
                                          device=device)

    # ---- scaling the loss ----------------------------------------------------------
    def scale(self, outputs):
        """``outputs`` times the current scale (a Tensor, or a list/tuple/iterable of them).

        Lists and tuples come back as lists and tuples; another iterable comes
        back as a lazy ``map``. A disabled scaler returns ``outputs`` unchanged.
        """
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(outputs.device)
            with _overflow_is_expected():
                return outputs * self._scale.to(outputs.device)
        per_device = {}

        def apply_scale(value):
            if isinstance(value, Tensor):
                if self._scale is None:
                    self._lazy_init_scale_growth_tracker(value.device)
                key = str(value.device)
                if key not in per_device:
                    per_device[key] = self._scale.to(value.device)
                with _overflow_is_expected():
                    return value * per_device[key]
            if isinstance(value, abc.Iterable):
                scaled = map(apply_scale, value)
                if isinstance(value, (list, tuple)):
                    return type(value)(scaled)
                return scaled
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply_scale(outputs)

    # ---- unscaling the gradients -------------------------------------------------
    def _unscale_grads_(self, optimizer, inv_scale, allow_fp16):
        """Multiply every gradient by ``inv_scale`` in place; return {device: found_inf}.

        found_inf is a 0-d float32 tensor per device that holds gradients: 1.0
        if any of them had an inf or nan (before unscaling), else 0.0. An
        optimizer without any gradient yields an empty dict.
        """
        found = {}
        for group in optimizer.param_groups:
            for param in group["params"]:
                grad = param.grad
                if grad is None:
                    continue
                if not allow_fp16 and grad.dtype == ember.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                arr = grad._array
                key = str(grad.device)
                flag = found.get(key)
                if flag is None:
                    flag = found[key] = ember.zeros((), dtype=ember.float32, device=grad.device)
                if not bool(xp_of(arr).isfinite(arr).all()):
                    flag._array.fill(1.0)
                if inv_scale != 1.0:
                    # A float32 multiplier, as PyTorch's kernel uses whatever the grad's dtype;
                    # inf and nan stay as they are, silently.
                    with np.errstate(all="ignore"):
                        arr *= arr.dtype.type(inv_scale)
                    grad._bump_version()
        return found

    def unscale_(self, optimizer):
        """Divide ``optimizer``'s gradients by the scale, in place, and record inf/nan.

        Optional: ``step`` unscales if this was not called. Call it before
        changing or reading the gradients between ``backward`` and ``step``
        (``clip_grad_norm_``). Once per optimizer per iteration (per ``update``).
        """
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # The reciprocal in float64, rounded to float32: exact for powers of two.
        inv_scale = float(np.float32(1.0 / float(self._scale.item())))
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, False)
        state["stage"] = OptState.UNSCALED

    def _check_inf_per_device(self, optimizer):
        """Record inf/nan in ``optimizer``'s gradients without unscaling them."""
        self._check_scale_growth_tracker("_check_inf_per_device")
        found = self._unscale_grads_(optimizer, 1.0, True)
        self._per_optimizer_states[id(optimizer)]["found_inf_per_device"] = found
        return found

    def _found_inf_per_device(self, optimizer):
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]

    # ---- stepping and updating the scale ----------------------------------------------
    def step(self, optimizer, *args, **kwargs):
        """Unscale the gradients (unless ``unscale_`` did) and step, unless one is inf/nan.

        Args:
            optimizer: the optimizer to step.
            *args, **kwargs: passed on to ``optimizer.step`` (a ``closure``
                keyword is refused while enabled, as in PyTorch).

        Returns:
            What ``optimizer.step`` returned, or None when the step was skipped.
        """
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if not sum(v.item() for v in state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None):
        """Adjust the scale for the next iteration; call once per iteration, after all steps.

        Without ``new_scale``: if any optimizer met an inf/nan gradient, the
        scale is multiplied by ``backoff_factor`` and the count of clean steps
        restarts; otherwise the count goes up, and on reaching
        ``growth_interval`` the scale is multiplied by ``growth_factor`` (kept
        as it was if that overflows) and the count restarts.

        Args:
            new_scale: a float, or a 0-d tensor on the scaler's device that
                does not require grad, to set the scale to instead (copied).
        """
        if not self._enabled:
            return
        scale, tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                scale.fill_(new_scale)
            else:
                reason = ("new_scale should be a float or a 1-element ember.FloatTensor with "
                          "requires_grad=False.")
                if not isinstance(new_scale, Tensor) or new_scale.device.type != scale.device.type:
                    raise AssertionError(reason)
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise AssertionError(reason)
                scale.copy_(new_scale)
        else:
            found_infs = [f.item() for s in self._per_optimizer_states.values()
                          for f in s["found_inf_per_device"].values()]
            if len(found_infs) == 0:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._update_scale(scale, tracker, sum(found_infs))
        self._per_optimizer_states = defaultdict(_fresh_optimizer_state)

    def _update_scale(self, scale, tracker, found_inf):
        # The factors are Python floats: products are taken in float64 and
        # rounded to the float32 scale, as PyTorch's kernel does; a growth that
        # overflows float32 is dropped.
        if found_inf:
            scale.fill_(np.float32(float(scale.item()) * self._backoff_factor))
            tracker.fill_(0)
            return
        successful = int(tracker.item()) + 1
        if successful == self._growth_interval:
            with np.errstate(over="ignore"):
                grown = np.float32(float(scale.item()) * self._growth_factor)
            if np.isfinite(grown):
                scale.fill_(grown)
            tracker.fill_(0)
        else:
            tracker.fill_(successful)

    # ---- reading and setting the hyperparameters ---------------------------------------
    def get_scale(self):
        """The current scale as a Python float (``init_scale`` before the first ``scale``;
        1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale.item()

    def get_growth_factor(self):
        """The scale growth factor (a Python float)."""
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        """Set the scale growth factor."""
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        """The scale backoff factor (a Python float)."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        """Set the scale backoff factor."""
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        """The number of clean steps between growths (a Python int)."""
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        """Set the number of clean steps between growths."""
        self._growth_interval = new_interval

    def _get_growth_tracker(self):
        if not self._enabled:
            return 0
        if self._growth_tracker is None:
            return self._init_growth_tracker
        return int(self._growth_tracker.item())

    def is_enabled(self):
        """Whether this scaler scales (False when disabled, or for "cuda" without a GPU)."""
        return self._enabled

    # ---- checkpoints ------------------------------------------------------------------
    def state_dict(self):
        """``{"scale", "growth_factor", "backoff_factor", "growth_interval",
        "_growth_tracker"}`` as Python numbers (PyTorch's keys); ``{}`` when disabled.

        Take it after ``update()`` to checkpoint the end of an iteration.
        """
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()`` (a no-op when this scaler is disabled)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self):
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError("A GradScaler instance may only be pickled at the beginning "
                                     "of an iteration, or at the end after scaler.update().")
            # The unpickled scaler remakes its tensors on its first scale() call.
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)


def _overflow_is_expected():
    """A scaled loss may overflow to inf: that is how the scaler finds a scale too
    large (the step is then skipped). NumPy would warn there; PyTorch is silent."""
    return np.errstate(over="ignore", invalid="ignore")
