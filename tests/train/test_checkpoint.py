import shutil

import numpy as np
import pytest
from train_helpers import blobs, loader, mlp

import ember
from ember import nn
from ember.io import CheckpointError
from ember.train import Accuracy, EarlyStopping, ModelCheckpoint, Trainer

data = blobs(n=64)


def make_trainer(model_seed, loader_seed, tmp_path, **kwargs):
    """Adam + StepLR on an MLP with dropout, shuffled by a loader generator (or the default one)."""
    model = mlp(seed=model_seed, dropout=0.3)
    opt = ember.optim.Adam(model.parameters(), lr=0.02)
    scheduler = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    # The checkpoint callback is listed first, yet must save EarlyStopping's updated state.
    callbacks = [ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True),
                 EarlyStopping(patience=100, min_delta=10.0)]  # counts every epoch after the first
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=scheduler,
                      metrics=[Accuracy()], callbacks=callbacks, progress=False, **kwargs)
    train = loader(data, 16, shuffle=True, seed=loader_seed)
    return trainer, train, loader(data, 32)


@pytest.mark.parametrize("loader_generator", [True, False])
def test_resume_gives_the_same_parameters_as_training_straight_through(tmp_path, loader_generator):
    seed = 0 if loader_generator else None  # None: shuffling draws from ember's default generator
    ember.manual_seed(42)
    straight, train, val = make_trainer(1, seed, tmp_path / "a")
    straight.fit(train, val, epochs=4)

    ember.manual_seed(42)
    first, train, val = make_trainer(1, seed, tmp_path / "b")
    first.fit(train, val, epochs=2)
    half = tmp_path / "half.safetensors"
    shutil.copy(first.callbacks[-1].last_model_path, half)  # ModelCheckpoint(save_last=True)
    first.fit(train, val, epochs=3)  # draws more random numbers: the resume must undo them

    # A fresh process's view: other weights, other seeds, a fresh loader generator.
    ember.manual_seed(7)
    np.random.seed(7)
    resumed, train, val = make_trainer(2, None if seed is None else 99, tmp_path / "c")
    resumed.fit(train, val, epochs=4, resume_from=half)

    assert resumed.epoch == 4 and resumed.global_step == straight.global_step
    for (name, a), b in zip(straight.model.state_dict().items(),
                            resumed.model.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    for a, b in zip(straight.history, resumed.history):
        assert {k: v for k, v in a.items() if k != "time"} == \
            {k: v for k, v in b.items() if k != "time"}
    assert resumed.optimizer.param_groups[0]["lr"] == straight.optimizer.param_groups[0]["lr"]
    assert resumed.callbacks[0].wait == straight.callbacks[0].wait == 3
    assert resumed.callbacks[0].best == straight.callbacks[0].best
    assert resumed.best_metric == straight.best_metric


def test_checkpoint_contents(tmp_path):
    trainer, train, val = make_trainer(1, 0, tmp_path)
    trainer.fit(train, val, epochs=1)
    trainer.save_checkpoint(tmp_path / "c.safetensors")
    checkpoint = ember.load(tmp_path / "c.safetensors")
    assert set(checkpoint) == {"model", "optimizer", "scheduler", "rng", "epoch", "global_step",
                               "best_metric", "callbacks", "history", "run_name"}
    assert checkpoint["epoch"] == 1 and checkpoint["global_step"] == 4
    assert set(checkpoint["rng"]) == {"ember", "numpy", "train_loader", "val_loader"}
    assert checkpoint["rng"]["ember"] == ember.get_rng_state()
    assert checkpoint["rng"]["train_loader"] == train.generator.get_state()
    assert checkpoint["scheduler"]["last_epoch"] == 1
    assert set(checkpoint["callbacks"]) == {"EarlyStopping", "ModelCheckpoint"}
    np.random.seed(3)
    trainer.load_checkpoint(tmp_path / "c.safetensors")
    assert np.random.get_state()[1].tolist() == checkpoint["rng"]["numpy"][1].tolist()


def test_resume_errors_are_clear(tmp_path):
    trainer, train, val = make_trainer(1, 0, tmp_path)
    trainer.fit(train, val, epochs=1)
    trainer.save_checkpoint(tmp_path / "c.safetensors")
    ember.save({"model": trainer.model.state_dict()}, tmp_path / "weights.safetensors")
    with pytest.raises(CheckpointError, match="not a Trainer checkpoint: missing keys"):
        trainer.fit(train, val, epochs=2, resume_from=tmp_path / "weights.safetensors")
    model = mlp(dropout=0.3)
    plain = Trainer(model, ember.optim.Adam(model.parameters()), nn.CrossEntropyLoss(),
                    progress=False)
    with pytest.raises(CheckpointError, match="has scheduler state, but the Trainer's scheduler "
                                              "is NoneType"):
        plain.fit(train, val, epochs=2, resume_from=tmp_path / "c.safetensors")
