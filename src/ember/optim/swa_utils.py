"""Weight averaging, as ``torch.optim.swa_utils``: SWA, EMA, BatchNorm refresh and ``SWALR``.

Stochastic Weight Averaging (Izmailov et al., 2018) keeps the running mean of
the weights a model visits late in training; an exponential moving average
(EMA) weights recent ones more. ``AveragedModel`` holds the averaged copy::

    swa_model = AveragedModel(model)                     # equal weights (SWA)
    ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
    swa_scheduler = SWALR(optimizer, swa_lr=0.05)
    for epoch in range(epochs):
        train_one_epoch(model, optimizer)
        if epoch >= swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
    update_bn(loader, swa_model)     # BatchNorm statistics for the averaged weights
"""

import itertools
import math
import warnings
from copy import deepcopy

import ember
from ember.autograd.grad_mode import no_grad
from ember.nn.module import Module
from ember.nn.modules.normalization import _BatchNorm
from ember.optim.lr_scheduler.base import LRScheduler, per_group

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] "
                         "range.")


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA over lists of tensors, for ``AveragedModel(multi_avg_fn=...)``.

    W_ema <- decay * W_ema + (1 - decay) * W_model, i.e. ``lerp`` towards the
    model by ``1 - decay`` (floating tensors); integer tensors (buffers such
    as ``num_batches_tracked``) get the same formula, truncated.

    Args:
        decay: in [0, 1]. Default: 0.999.
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list, current_param_list, _):
        if ema_param_list[0].is_floating_point() or ema_param_list[0].is_complex():
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                p_ema.lerp_(p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place equal-weight running mean over lists of tensors (SWA), for ``multi_avg_fn``.

    W_avg <- W_avg + (W_model - W_avg) / (n + 1), with ``n`` the number of
    models averaged so far (an int or a 0-d integer tensor). Integer tensors
    raise, as in PyTorch (true division into an integer tensor).
    """

    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        if averaged_param_list[0].is_floating_point() or averaged_param_list[0].is_complex():
            weight = 1 / (num_averaged + 1)  # a 0-d float32 tensor for a tensor count
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                p_avg.lerp_(p_model, weight)
            return
        diffs = [p_model - p_avg for p_avg, p_model in zip(averaged_param_list,
                                                            current_param_list)]
        for p_avg, diff in zip(averaged_param_list, diffs):
            if isinstance(num_averaged, ember.Tensor):
                p_avg.addcdiv_(diff, num_averaged + 1)
            else:
                p_avg.add_(diff, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """EMA of one tensor, for ``AveragedModel(avg_fn=...)``: returns
    ``decay * ema_param + (1 - decay) * current_param``.

    Args:
        decay: in [0, 1]. Default: 0.999.
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """Equal-weight running mean of one tensor, for ``avg_fn``: returns
    ``averaged + (current - averaged) / (num_averaged + 1)``."""

    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose weights are a running average (SWA or EMA) of ``model``'s.

    ``AveragedModel(model, device=None, avg_fn=None, multi_avg_fn=None,
    use_buffers=False)``, as in PyTorch. The first ``update_parameters`` copies
    the weights; each later one averages them in. Calling the averaged model
    runs the copy.

    Args:
        model: the module to average (deep-copied).
        device: where to keep the copy (default: where ``model`` is).
        avg_fn: ``avg_fn(averaged, current, n_averaged) -> new averaged``,
            per tensor. Default: the equal-weight mean.
        multi_avg_fn: ``multi_avg_fn(averaged_list, current_list, n_averaged)``
            updating the lists in place (called once per device and dtype),
            e.g. ``get_ema_multi_avg_fn(0.999)``. Only one of the two may be given.
        use_buffers: average the buffers too (BatchNorm statistics); otherwise
            they are copied from ``model`` at each update. Default: False.

    Attributes:
        module: the averaged copy.
        n_averaged: a 0-d int64 buffer counting the updates (in ``state_dict``
            as ``"n_averaged"``, next to the copy's ``"module.*"`` entries).

    Differs from PyTorch: the default average uses the per-tensor formula on
    every device (PyTorch uses a fused ``lerp`` on GPUs; the two differ in
    the last bits of float32).
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("AveragedModel: only one of avg_fn and multi_avg_fn should be "
                                 "provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", ember.tensor(0, dtype=ember.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Run the averaged copy."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Average ``model``'s current parameters (and buffers, with ``use_buffers``) in."""
        if self.use_buffers:
            ours = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            ours, theirs = self.parameters(), model.parameters()
        averaged, current = [], []
        first = int(self.n_averaged.item()) == 0
        for p_avg, p_model in zip(ours, theirs):
            a, c = p_avg.detach(), p_model.detach().to(p_avg.device)
            averaged.append(a)
            current.append(c)
            if first:
                a.copy_(c)
        if not first:
            if self.multi_avg_fn is not None:
                for group_avg, group_cur in _by_device_and_dtype(averaged, current):
                    self.multi_avg_fn(group_avg, group_cur,
                                      self.n_averaged.to(group_avg[0].device))
            else:
                avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                for a, c in zip(averaged, current):
                    a.copy_(avg_fn(a, c, self.n_averaged.to(a.device)))
        if not self.use_buffers:
            # Buffers are not averaged: keep them in step with the source model.
            for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                b_avg.detach().copy_(b_model.detach().to(b_avg.device))
        with no_grad():
            self.n_averaged.add_(1)


def _by_device_and_dtype(averaged, current):
    """(averaged list, current list) per device and dtype, in order of first appearance."""
    groups = {}
    for a, c in zip(averaged, current):
        lists = groups.setdefault((str(a.device), a.dtype), ([], []))
        lists[0].append(a)
        lists[1].append(c)
    return list(groups.values())


@no_grad()
def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader``.

    Every BatchNorm's statistics are reset and re-estimated as the plain mean
    over the batches (momentum None during the pass, then restored); the model
    runs in training mode and returns to its previous mode. Does nothing when
    the model has no BatchNorm.

    Args:
        loader: an iterable of batches, each a Tensor or a list/tuple whose
            first element is the input Tensor.
        model: the model (e.g. an ``AveragedModel``).
        device: if given, each input is moved there first.
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to ``swa_lr`` over ``anneal_epochs``, then hold it there.

    ``SWALR(optimizer, swa_lr, anneal_epochs=10, anneal_strategy='cos',
    last_epoch=-1)``, as in PyTorch: with alpha(t) = (1 - cos(pi t)) / 2
    (``'cos'``) or t (``'linear'``) and t = min(epoch / anneal_epochs, 1),
    lr = alpha * swa_lr + (1 - alpha) * lr_0, where lr_0 is the lr the
    schedule started from, recovered from the current lr at each step (so
    the schedule is chainable, as PyTorch's).

    Args:
        optimizer: the wrapped optimizer.
        swa_lr: the final lr, one for all groups or one per group (stored as
            ``group["swa_lr"]``).
        anneal_epochs: epochs of the annealing (int >= 0). Default: 10.
        anneal_strategy: ``'cos'`` or ``'linear'``. Default: ``'cos'``.
        last_epoch: see ``LRScheduler``.
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        for lr, group in zip(per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        # Invert lr = alpha * swa_lr + (1 - alpha) * lr_0 for lr_0.
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def get_lr(self):
        """The lrs one annealing step further (use ``get_last_lr`` to read the current ones)."""
        if not getattr(self, "_get_lr_called_within_step", False):
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        groups = self.optimizer.param_groups
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs)]

    def state_dict(self):
        """Every attribute but the optimizer and the anneal function, as in PyTorch."""
        return {key: value for key, value in self.__dict__.items()
                if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        """Restore attributes saved by ``state_dict`` (the anneal function from its name)."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
