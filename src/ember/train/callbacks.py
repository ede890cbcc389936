"""Callbacks: code the Trainer runs at fixed points of ``fit``.

Hooks, in the order ``fit`` calls them::

    on_fit_start(trainer)
    for each epoch:
        on_epoch_start(trainer, epoch)
        on_batch_end(trainer, batch_idx, loss)      # after each training batch
        on_validation_end(trainer, logs)            # when there is a val_loader
        on_epoch_end(trainer, epoch, logs)          # logs complete, log line written
    on_fit_end(trainer)

``logs`` is a flat dict: ``epoch``, ``train_loss``, ``val_loss``,
``train_<metric>``, ``val_<metric>``, ``lr``. A callback with state worth
resuming implements ``state_dict`` / ``load_state_dict``; the Trainer stores
it in its checkpoints. A callback sets ``trainer.should_stop = True`` to end
``fit`` after the current epoch.
"""

import math
import os

from ember.train.logging import JSONLinesLogger

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "LRMonitor", "ProgressBar",
           "lookup_monitor"]


def lookup_monitor(logs, monitor, owner):
    """``logs[monitor]`` as a float, or a KeyError naming the keys there are."""
    if monitor not in logs:
        available = sorted(k for k in logs if k != "epoch")
        raise KeyError(f"{owner}: monitor {monitor!r} is not among the logged values "
                       f"{available}; pass one of those as monitor=")
    value = logs[monitor]
    if not isinstance(value, (int, float)):
        raise TypeError(f"{owner}: monitor {monitor!r} must be a scalar, got "
                        f"{type(value).__name__}")
    return float(value)


def _check_mode(mode, owner):
    if mode not in ("min", "max"):
        raise ValueError(f"{owner}: expected mode 'min' or 'max', got {mode!r}")


class Callback:
    """Base class; every hook does nothing until overridden."""

    def on_fit_start(self, trainer):
        """Called once before the first epoch (after a resume has been restored)."""

    def on_fit_end(self, trainer):
        """Called once after the last epoch, including after an early stop."""

    def on_epoch_start(self, trainer, epoch):
        """Called before the first training batch of ``epoch`` (0-based)."""

    def on_batch_end(self, trainer, batch_idx, loss):
        """Called after each training batch with its (unscaled) loss as a float."""

    def on_validation_end(self, trainer, logs):
        """Called after validation with the epoch's logs so far."""

    def on_epoch_end(self, trainer, epoch, logs):
        """Called at the end of ``epoch`` with its complete logs."""

    def state_dict(self):
        """State to keep in a checkpoint (a dict of plain values)."""
        return {}

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict`` returned."""


class EarlyStopping(Callback):
    """Stop ``fit`` when ``monitor`` has not improved for ``patience`` epochs.

    An epoch improves when its value beats the best so far by more than
    ``min_delta`` (below ``best - min_delta`` in "min" mode, above
    ``best + min_delta`` in "max" mode); NaN never improves.

    Args:
        monitor: a key of the epoch logs. Default: "val_loss".
        mode: "min" or "max". Default: "min".
        patience: epochs without improvement before stopping. Default: 3.
        min_delta: smallest change that counts as improvement, >= 0. Default: 0.0.

    Attributes:
        best: the best value seen. wait: epochs since it was seen.
        stopped_epoch: the epoch after which fit stopped, or None.
    """

    def __init__(self, monitor="val_loss", mode="min", patience=3, min_delta=0.0):
        _check_mode(mode, "EarlyStopping")
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: expected patience to be an int >= 0, got "
                             f"{patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: expected min_delta >= 0, got {min_delta!r}")
        self.monitor, self.mode, self.patience, self.min_delta = monitor, mode, patience, min_delta
        self.best = math.inf if mode == "min" else -math.inf
        self.wait = 0
        self.stopped_epoch = None

    def improved(self, value):
        """True if ``value`` beats the best so far by more than ``min_delta``."""
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer, epoch, logs):
        value = lookup_monitor(logs, self.monitor, "EarlyStopping")
        if self.improved(value):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.should_stop = True

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state_dict):
        self.best, self.wait = state_dict["best"], state_dict["wait"]
        self.stopped_epoch = state_dict["stopped_epoch"]


class ModelCheckpoint(Callback):
    """Save full training checkpoints (``Trainer.save_checkpoint``) and keep the best ones.

    Args:
        dirpath: directory for the files; default ``<run dir>/checkpoints``
            (needs the Trainer's ``log_dir``).
        monitor: logs key ranking the checkpoints; None keeps the most recent ones.
            Default: "val_loss".
        mode: "min" or "max". Default: "min".
        save_top_k: how many to keep: 1 keeps only the best, -1 keeps all. Default: 1.
        save_last: also write ``last.safetensors`` every epoch, for resuming. Default: False.

    Files are named ``epoch=003-val_loss=0.1234.safetensors`` (epoch 1-based,
    as a count of completed epochs). Attributes: ``best_model_path``,
    ``best_model_score``, ``last_model_path``.
    """

    def __init__(self, dirpath=None, monitor="val_loss", mode="min", save_top_k=1,
                 save_last=False):
        _check_mode(mode, "ModelCheckpoint")
        if not isinstance(save_top_k, int) or save_top_k < -1 or save_top_k == 0:
            raise ValueError(f"ModelCheckpoint: expected save_top_k to be -1 or a positive int, "
                             f"got {save_top_k!r}")
        self.dirpath = None if dirpath is None else os.fspath(dirpath)
        self.monitor, self.mode = monitor, mode
        self.save_top_k, self.save_last = save_top_k, save_last
        self.kept = []  # [(score, path)]; score is the epoch number when monitor is None
        self.best_model_path, self.best_model_score, self.last_model_path = None, None, None

    def _directory(self, trainer):
        if self.dirpath is None:
            if trainer.run_dir is None:
                raise ValueError("ModelCheckpoint: no dirpath given and the Trainer has no "
                                 "log_dir; pass dirpath= or log_dir=")
            self.dirpath = os.path.join(trainer.run_dir, "checkpoints")
        os.makedirs(self.dirpath, exist_ok=True)
        return self.dirpath

    def _rank(self, score):
        # Sort key: best first.
        return score if self.mode == "min" or self.monitor is None else -score

    def on_epoch_end(self, trainer, epoch, logs):
        directory = self._directory(trainer)
        completed = epoch + 1
        if self.monitor is None:
            score, name = -completed, f"epoch={completed:03d}.safetensors"  # newest ranks best
        else:
            score = lookup_monitor(logs, self.monitor, "ModelCheckpoint")
            name = f"epoch={completed:03d}-{self.monitor}={score:.4f}.safetensors"
        path = os.path.join(directory, name)
        candidates = sorted(self.kept + [(score, path)], key=lambda sp: self._rank(sp[0]))
        # NaN scores sort unpredictably; they never count as best.
        candidates = [sp for sp in candidates if not math.isnan(sp[0])] + \
                     [sp for sp in candidates if math.isnan(sp[0])]
        keep = candidates if self.save_top_k == -1 else candidates[:self.save_top_k]
        evicted = [p for _, p in self.kept if p not in {q for _, q in keep}]
        self.kept = keep
        self.best_model_score, self.best_model_path = keep[0]
        if self.monitor is None:
            self.best_model_score = None
        if (score, path) in keep:
            trainer.save_checkpoint(path)  # state above is already updated, so it is saved too
        if self.save_last:
            self.last_model_path = os.path.join(directory, "last.safetensors")
            trainer.save_checkpoint(self.last_model_path)
        for p in evicted:
            if p != path and os.path.exists(p):
                os.remove(p)

    def state_dict(self):
        return {"kept": [[s, p] for s, p in self.kept], "dirpath": self.dirpath,
                "best_model_path": self.best_model_path,
                "best_model_score": self.best_model_score}

    def load_state_dict(self, state_dict):
        self.kept = [(s, p) for s, p in state_dict["kept"]]
        self.dirpath = state_dict["dirpath"]
        self.best_model_path = state_dict["best_model_path"]
        self.best_model_score = state_dict["best_model_score"]


class LRMonitor(Callback):
    """Record each param group's learning rate per optimizer step or per epoch.

    Args:
        logging_interval: "epoch" (after each epoch's scheduler step: the lr
            the next epoch uses) or "step" (after each optimizer step). Default: "epoch".

    ``history`` holds ``{"epoch" or "step": n, "lr": [lr per group]}`` records;
    with a Trainer ``log_dir`` they are also appended to ``lr.jsonl`` in the run dir.
    """

    def __init__(self, logging_interval="epoch"):
        if logging_interval not in ("epoch", "step"):
            raise ValueError(f"LRMonitor: expected logging_interval 'epoch' or 'step', got "
                             f"{logging_interval!r}")
        self.logging_interval = logging_interval
        self.history = []
        self._last_step = None

    def _record(self, trainer, key, value):
        record = {key: value, "lr": [g["lr"] for g in trainer.optimizer.param_groups]}
        self.history.append(record)
        if trainer.run_dir is not None:
            JSONLinesLogger(os.path.join(trainer.run_dir, "lr.jsonl")).log(record)

    def on_batch_end(self, trainer, batch_idx, loss):
        if self.logging_interval == "step" and trainer.global_step != self._last_step:
            self._last_step = trainer.global_step
            self._record(trainer, "step", trainer.global_step)

    def on_epoch_end(self, trainer, epoch, logs):
        if self.logging_interval == "epoch":
            self._record(trainer, "epoch", epoch)


class ProgressBar(Callback):
    """A tqdm bar over each epoch's training batches, showing the running loss.

    Args:
        disable: True hides it; None (default) shows it only on a terminal, so
            logs and captured test output stay clean.
        file: stream to draw on (default: stderr).
        leave: keep each finished epoch's bar on screen. Default: True.
    """

    def __init__(self, disable=None, file=None, leave=True):
        self.disable, self.file, self.leave = disable, file, leave
        self.bar = None

    def on_epoch_start(self, trainer, epoch):
        from tqdm.auto import tqdm
        self.bar = tqdm(total=trainer.num_train_batches, desc=f"epoch {epoch + 1}",
                        disable=self.disable, file=self.file, leave=self.leave, unit="batch")

    def on_batch_end(self, trainer, batch_idx, loss):
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, trainer, epoch, logs):
        if self.bar is not None:
            shown = {k: f"{v:.4g}" for k, v in logs.items()
                     if k.endswith("loss") and isinstance(v, float)}
            self.bar.set_postfix(shown, refresh=True)
            self.bar.close()
            self.bar = None

    def on_fit_end(self, trainer):
        if self.bar is not None:  # an exception or stop left a bar open
            self.bar.close()
            self.bar = None
