"""What a training checkpoint holds, and putting it back.

A checkpoint (one safetensors file written by ``ember.save``) is::

    {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
     "scheduler": scheduler.state_dict() or None,
     "rng": {"ember": ember.get_rng_state(), "numpy": numpy.random.get_state(),
             "train_loader": <its Generator's state> or None,
             "val_loader": <its Generator's state> or None},
     "epoch": completed epochs, "global_step": optimizer steps so far,
     "best_metric": best monitored value or None,
     "callbacks": {name: callback.state_dict()}, "history": per-epoch records,
     "run_name": run directory name or None}

Restoring all of it at an epoch boundary makes a resumed run continue
exactly as an uninterrupted one: same shuffling order (from the loader's
generator, or from the default generator when it has none), same dropout
masks, same optimizer moments and learning rates.
"""

import numpy as np

import ember
from ember.io import CheckpointError

__all__ = ["callback_keys", "build_checkpoint", "restore_checkpoint"]

REQUIRED = ("model", "optimizer", "scheduler", "rng", "epoch", "global_step")


def callback_keys(callbacks):
    """Stable names for callbacks: the class name, with ``#i`` for repeats."""
    keys, seen = [], {}
    for cb in callbacks:
        name = type(cb).__name__
        seen[name] = seen.get(name, -1) + 1
        keys.append(name if seen[name] == 0 else f"{name}#{seen[name]}")
    return keys


def _generator_state(loader):
    generator = getattr(loader, "generator", None)
    return generator.get_state() if isinstance(generator, ember.Generator) else None


def build_checkpoint(trainer):
    """The checkpoint dict for ``trainer``'s current state."""
    scheduler = trainer.scheduler
    return {
        "model": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": {"ember": ember.get_rng_state(), "numpy": np.random.get_state(),
                "train_loader": _generator_state(trainer.train_loader),
                "val_loader": _generator_state(trainer.val_loader)},
        "epoch": trainer.epoch,
        "global_step": trainer.global_step,
        "best_metric": trainer.best_metric,
        "callbacks": {key: cb.state_dict()
                      for key, cb in zip(callback_keys(trainer.callbacks), trainer.callbacks)},
        "history": trainer.history,
        "run_name": trainer.run_name,
    }


def _restore_generator(loader, state, which, path):
    if state is None:
        return
    generator = getattr(loader, "generator", None)
    if not isinstance(generator, ember.Generator):
        raise CheckpointError(f"Trainer.load_checkpoint: {path} holds the {which}'s generator "
                              f"state, but the {which} given has no ember.Generator; build it "
                              "with generator= as in the saved run")
    generator.set_state(state)


def restore_checkpoint(trainer, checkpoint, path):
    """Load ``checkpoint`` (as ``build_checkpoint`` made it) into ``trainer``."""
    missing = [k for k in REQUIRED if k not in checkpoint]
    if missing:
        raise CheckpointError(f"Trainer.load_checkpoint: {path} is not a Trainer checkpoint: "
                              f"missing keys {missing}, has {sorted(checkpoint)}")
    trainer.model.load_state_dict(checkpoint["model"])
    trainer.optimizer.load_state_dict(checkpoint["optimizer"])
    if (checkpoint["scheduler"] is None) != (trainer.scheduler is None):
        has = "has" if checkpoint["scheduler"] is not None else "has no"
        raise CheckpointError(f"Trainer.load_checkpoint: {path} {has} scheduler state, but "
                              f"the Trainer's scheduler is {type(trainer.scheduler).__name__}")
    if trainer.scheduler is not None:
        trainer.scheduler.load_state_dict(checkpoint["scheduler"])
    rng = checkpoint["rng"]
    ember.set_rng_state(rng["ember"])
    np.random.set_state(rng["numpy"])
    _restore_generator(trainer.train_loader, rng.get("train_loader"), "train_loader", path)
    _restore_generator(trainer.val_loader, rng.get("val_loader"), "val_loader", path)
    trainer.epoch = int(checkpoint["epoch"])
    trainer.global_step = int(checkpoint["global_step"])
    trainer.history = list(checkpoint.get("history") or [])
    states = checkpoint.get("callbacks") or {}
    for key, cb in zip(callback_keys(trainer.callbacks), trainer.callbacks):
        if key in states:  # a callback added since the save starts fresh
            cb.load_state_dict(states[key])
    if trainer.run_name is None:
        trainer.run_name = checkpoint.get("run_name")
