"""``Trainer``: the training loop, written once.

One epoch of ``fit``::

    model.train()
    for each batch:  inputs, targets = split(batch)
        loss = loss_fn(model(inputs), targets)
        (loss / grad_accum_steps).backward()
        every grad_accum_steps batches (and after the last one):
            clip_grad_norm_ -> optimizer.step() -> zero_grad -> scheduler.step() (per step)
    evaluate(val_loader) under no_grad in eval mode
    scheduler.step() (per epoch) -> log line -> callbacks.on_epoch_end

Checkpoints (``save_checkpoint``; ``fit(resume_from=...)``) are described in
``ember.train.checkpoint``.
"""

import os
import time

import numpy as np

import ember
from ember.nn.utils import clip_grad_norm_
from ember.optim import Optimizer
from ember.optim.lr_scheduler import ReduceLROnPlateau
from ember.tensor import Tensor
from ember.train.batches import batch_size, call_model, concat_outputs, split_batch, to_device
from ember.train.callbacks import Callback, EarlyStopping, ModelCheckpoint, ProgressBar, \
    lookup_monitor
from ember.train.checkpoint import build_checkpoint, restore_checkpoint
from ember.train.logging import JSONLinesLogger, make_run_dir
from ember.train.metrics import MeanLoss
from ember.train.plotting import plot_history

__all__ = ["Trainer"]


def _metric_dict(metrics):
    if metrics is None:
        return {}
    items = metrics.items() if isinstance(metrics, dict) else \
        [(getattr(m, "name", type(m).__name__), m) for m in metrics]
    named = {}
    for name, metric in items:
        if not all(callable(getattr(metric, a, None)) for a in ("update", "compute", "reset")):
            raise TypeError(f"Trainer: metric {name!r} must have update(), compute() and "
                            f"reset(), got {type(metric).__name__}")
        if name in named or name == "loss":
            raise ValueError(f"Trainer: two metrics (or a metric and the loss) are named "
                             f"{name!r}; pass metrics as a dict to name them")
        named[name] = metric
    return named


class Trainer:
    """Fits a model with an optimizer and a loss, logging, checkpointing and calling callbacks.

    Args:
        model: an ``nn.Module``; moved to ``device``.
        optimizer: an ``ember.optim.Optimizer`` over the model's parameters.
        loss_fn: ``loss_fn(outputs, targets)`` -> scalar Tensor (e.g. ``nn.CrossEntropyLoss()``).
        scheduler: an lr scheduler, stepped per ``scheduler_interval``;
            ``ReduceLROnPlateau`` is stepped per epoch with ``logs[scheduler_monitor]``.
        scheduler_interval: "epoch" or "step" (after each optimizer step).
        scheduler_monitor: logs key for ``ReduceLROnPlateau``. Default: "val_loss".
        metrics: ``Metric`` objects (a list, named by their ``name``, or a dict
            name -> metric), computed on the training and validation batches.
        callbacks: ``Callback`` objects, called in order, except that
            ``ModelCheckpoint``s run after all others.
        grad_clip_norm: clip the total gradient 2-norm to this before each step.
        grad_accum_steps: batches per optimizer step; each loss is scaled by
            1/grad_accum_steps, so with a mean loss k batches of b samples give
            the gradient of one batch of k*b. A partial group at the end of an
            epoch still steps (with its smaller, still 1/k-scaled, gradient).
        device: where the model and batches go. Default: "cpu".
        log_dir: if set, each fit writes ``log_dir/<run_name>/metrics.jsonl``
            (and PNG curves when matplotlib is installed).
        run_name: the run directory's name (default ``run-<timestamp>``; a
            resumed run reuses its checkpoint's).
        progress: add a tqdm ``ProgressBar`` (shown only on a terminal).
        seed: seed ``ember`` and NumPy's global generators now.
        batch_fn: ``batch_fn(batch)`` -> (inputs, targets), for batches that are
            neither (inputs, targets) nor a dict with ``inputs``/``targets`` keys.

    Attributes:
        epoch: epochs completed. global_step: optimizer steps taken.
        history: the per-epoch records. run_dir: the run directory or None.
        should_stop: set by a callback to end fit after this epoch.
        last_grad_norm: total gradient norm before the last clipping.

    Differs from PyTorch: PyTorch has no trainer; names follow PyTorch Lightning
    where one exists (``fit``, ``ModelCheckpoint``, ``EarlyStopping``).
    """

    def __init__(self, model, optimizer, loss_fn, *, scheduler=None, scheduler_interval="epoch",
                 scheduler_monitor="val_loss", metrics=None, callbacks=None,
                 grad_clip_norm=None, grad_accum_steps=1, device="cpu", log_dir=None,
                 run_name=None, progress=True, seed=None, batch_fn=None):
        if not isinstance(model, ember.nn.Module):
            raise TypeError(f"Trainer: expected model to be an nn.Module, got "
                            f"{type(model).__name__}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Trainer: expected optimizer to be an ember.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        if not callable(loss_fn):
            raise TypeError(f"Trainer: expected loss_fn to be callable, got "
                            f"{type(loss_fn).__name__}")
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"Trainer: expected scheduler_interval 'epoch' or 'step', got "
                             f"{scheduler_interval!r}")
        if isinstance(scheduler, ReduceLROnPlateau) and scheduler_interval != "epoch":
            raise ValueError("Trainer: ReduceLROnPlateau needs scheduler_interval='epoch'")
        if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
            raise ValueError("Trainer: the scheduler wraps a different optimizer than the one "
                             "given")
        if not isinstance(grad_accum_steps, int) or grad_accum_steps < 1:
            raise ValueError(f"Trainer: expected grad_accum_steps to be a positive int, got "
                             f"{grad_accum_steps!r}")
        if grad_clip_norm is not None and not grad_clip_norm > 0:
            raise ValueError(f"Trainer: expected grad_clip_norm > 0 or None, got "
                             f"{grad_clip_norm!r}")
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Trainer: expected callbacks to be Callback objects, got "
                                f"{type(cb).__name__}")
        if progress and not any(isinstance(cb, ProgressBar) for cb in callbacks):
            callbacks.append(ProgressBar())
        # Checkpoints go last, so the state they save includes every other
        # callback's update for the epoch (EarlyStopping's counter, say).
        callbacks = [cb for cb in callbacks if not isinstance(cb, ModelCheckpoint)] + \
                    [cb for cb in callbacks if isinstance(cb, ModelCheckpoint)]
        if seed is not None:
            ember.manual_seed(seed)
            np.random.seed(seed)
        self.device = ember.device(device)
        self.model = model.to(self.device)
        self.optimizer, self.loss_fn, self.scheduler = optimizer, loss_fn, scheduler
        self.scheduler_interval, self.scheduler_monitor = scheduler_interval, scheduler_monitor
        self.metrics = _metric_dict(metrics)
        self.callbacks = callbacks
        self.grad_clip_norm, self.grad_accum_steps = grad_clip_norm, grad_accum_steps
        self.log_dir, self.run_name, self.run_dir = log_dir, run_name, None
        self.batch_fn = batch_fn
        self.epoch, self.global_step = 0, 0
        self.history, self.should_stop, self.last_grad_norm = [], False, None
        self.train_loader = self.val_loader = None
        self.num_train_batches = None

    # -- the loop -------------------------------------------------------------------

    def fit(self, train_loader, val_loader=None, epochs=1, resume_from=None):
        """Train until ``epochs`` epochs are complete (counting those before a resume).

        Args:
            train_loader, val_loader: iterables of batches (usually DataLoaders).
            epochs: total epochs; after ``resume_from``, training continues from
                the checkpoint's epoch up to this number.
            resume_from: path of a checkpoint from ``save_checkpoint`` (or
                ``ModelCheckpoint``) to restore first.

        Returns:
            ``history``: one dict per epoch (the records of ``metrics.jsonl``).
        """
        if not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"Trainer.fit: expected epochs to be an int >= 0, got {epochs!r}")
        self.train_loader, self.val_loader = train_loader, val_loader
        try:
            self.num_train_batches = len(train_loader)
        except TypeError:
            self.num_train_batches = None
        if resume_from is not None:
            self.load_checkpoint(resume_from)
        self.should_stop = False
        logger = None
        if self.log_dir is not None:
            self.run_dir = make_run_dir(self.log_dir, self.run_name)
            self.run_name = os.path.basename(self.run_dir)
            logger = JSONLinesLogger(os.path.join(self.run_dir, "metrics.jsonl"))
        self._call("on_fit_start")
        for epoch in range(self.epoch, epochs):
            self._run_epoch(epoch, logger)
            if self.should_stop:
                break
        self._call("on_fit_end")
        if self.run_dir is not None:
            plot_history(self.history, self.run_dir)
        return self.history

    def _run_epoch(self, epoch, logger):
        start = time.perf_counter()
        self._call("on_epoch_start", epoch)
        train = self._train_epoch()
        logs = {"epoch": epoch, "train_loss": train.pop("loss")}
        logs.update({f"train_{k}": v for k, v in train.items()})
        if self.val_loader is not None:
            val = self.evaluate(self.val_loader)
            logs["val_loss"] = val.pop("loss")
            logs.update({f"val_{k}": v for k, v in val.items()})
            self._call("on_validation_end", logs)
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        logs["lr"] = lrs[0] if len(lrs) == 1 else lrs  # the lr this epoch's last step used
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            if isinstance(self.scheduler, ReduceLROnPlateau):
                self.scheduler.step(lookup_monitor(logs, self.scheduler_monitor,
                                                   "Trainer (ReduceLROnPlateau)"))
            else:
                self.scheduler.step()
        self.epoch = epoch + 1
        record = {"epoch": epoch, "global_step": self.global_step,
                  "train_loss": logs["train_loss"], "val_loss": logs.get("val_loss"),
                  "metrics": {k: v for k, v in logs.items()
                              if k not in ("epoch", "train_loss", "val_loss", "lr")},
                  "lr": logs["lr"], "time": time.perf_counter() - start}
        self.history.append(record)
        if logger is not None:
            logger.log(record)
        self._call("on_epoch_end", epoch, logs)

    def _train_epoch(self):
        self.model.train()
        self._reset_metrics()
        mean_loss = MeanLoss()
        self.optimizer.zero_grad()
        pending = 0  # backward passes since the last optimizer step
        for batch_idx, batch in enumerate(self.train_loader):
            inputs, targets = self._prepare(batch)
            outputs = call_model(self.model, inputs)
            loss = self._loss(outputs, targets)
            (loss / self.grad_accum_steps if self.grad_accum_steps > 1 else loss).backward()
            pending += 1
            if pending == self.grad_accum_steps:
                self._optimizer_step()
                pending = 0
            value = loss.item()
            mean_loss.update(value, batch_size(targets))
            self._update_metrics(outputs, targets)
            self._call("on_batch_end", batch_idx, value)
        if pending:
            self._optimizer_step()
        if mean_loss.weight == 0:
            raise ValueError("Trainer.fit: train_loader yielded no batches")
        return {"loss": mean_loss.compute(), **self._compute_metrics()}

    def _optimizer_step(self):
        if self.grad_clip_norm is not None:
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            self.last_grad_norm = float(clip_grad_norm_(params, self.grad_clip_norm))
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.global_step += 1
        if self.scheduler is not None and self.scheduler_interval == "step":
            self.scheduler.step()

    def evaluate(self, loader):
        """Mean loss and metrics over ``loader``, in eval mode without gradients.

        Returns:
            ``{"loss": mean loss (weighted by batch size), <metric name>: value, ...}``.
        """
        was_training = self.model.training
        self.model.eval()
        self._reset_metrics()
        mean_loss = MeanLoss()
        try:
            with ember.no_grad():
                for batch in loader:
                    inputs, targets = self._prepare(batch)
                    outputs = call_model(self.model, inputs)
                    mean_loss.update(self._loss(outputs, targets).item(), batch_size(targets))
                    self._update_metrics(outputs, targets)
        finally:
            self.model.train(was_training)
        if mean_loss.weight == 0:
            raise ValueError("Trainer.evaluate: the loader yielded no batches")
        return {"loss": mean_loss.compute(), **self._compute_metrics()}

    def predict(self, loader):
        """Model outputs over ``loader``, concatenated along dim 0 (eval mode, no gradients).

        A batch may be (inputs, targets), a dict, or bare inputs (a Tensor).
        """
        was_training = self.model.training
        self.model.eval()
        outputs = []
        try:
            with ember.no_grad():
                for batch in loader:
                    if isinstance(batch, Tensor) and self.batch_fn is None:
                        inputs = to_device(batch, self.device)
                    else:
                        inputs, _ = self._prepare(batch)
                    outputs.append(call_model(self.model, inputs))
        finally:
            self.model.train(was_training)
        if not outputs:
            raise ValueError("Trainer.predict: the loader yielded no batches")
        return concat_outputs(outputs)

    # -- checkpoints ----------------------------------------------------------------

    @property
    def best_metric(self):
        """Best monitored value: the first ModelCheckpoint's, else the first EarlyStopping's."""
        for kind in (ModelCheckpoint, EarlyStopping):
            for cb in self.callbacks:
                if isinstance(cb, kind) and getattr(cb, "monitor", None) is not None:
                    return cb.best_model_score if kind is ModelCheckpoint else cb.best
        return None

    def save_checkpoint(self, path):
        """Write all that resuming needs (see ``ember.train.checkpoint``) with ``ember.save``."""
        ember.save(build_checkpoint(self), path)

    def load_checkpoint(self, path):
        """Restore a checkpoint from ``save_checkpoint``; ``fit`` then continues after its epoch."""
        restore_checkpoint(self, ember.load(path, map_location=self.device), path)

    # -- helpers --------------------------------------------------------------------

    def _prepare(self, batch):
        inputs, targets = split_batch(batch, self.batch_fn)
        return to_device(inputs, self.device), to_device(targets, self.device)

    def _loss(self, outputs, targets):
        loss = self.loss_fn(outputs, targets)
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            what = f"a Tensor of shape {tuple(loss.shape)}" if isinstance(loss, Tensor) else \
                type(loss).__name__
            raise ValueError(f"Trainer: loss_fn must return a scalar Tensor, got {what}")
        return loss

    def _reset_metrics(self):
        for metric in self.metrics.values():
            metric.reset()

    def _update_metrics(self, outputs, targets):
        if self.metrics:
            outputs = outputs.detach() if isinstance(outputs, Tensor) else outputs
            for metric in self.metrics.values():
                metric.update(outputs, targets)

    def _compute_metrics(self):
        return {name: metric.compute() for name, metric in self.metrics.items()}

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)
