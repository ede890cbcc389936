import io
import os
import sys

import pytest
from train_helpers import blobs, loader, mlp

import ember
from ember import nn
from ember.train import (Callback, EarlyStopping, LRMonitor, ModelCheckpoint, ProgressBar,
                         Trainer, plot_history)

data = blobs(n=40)


def scripted_trainer(script, callbacks, **kwargs):
    """A Trainer whose validation loss in epoch e is script[e] (training is real)."""
    model = mlp()

    def loss_fn(outputs, targets):
        real = nn.functional.cross_entropy(outputs, targets)
        if ember.is_grad_enabled():
            return real
        return real * 0 + script[trainer.epoch]  # evaluation runs before epoch is bumped

    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), loss_fn,
                      callbacks=callbacks, progress=False, **kwargs)
    return trainer


@pytest.mark.parametrize("min_delta,stop_after", [(0.0, 5), (0.02, 3)])
def test_early_stopping_stops_at_the_right_epoch(min_delta, stop_after):
    script = [1.0, 0.8, 0.85, 0.79, 0.9, 0.95, 0.7, 0.6]
    stopper = EarlyStopping(monitor="val_loss", patience=2, min_delta=min_delta)
    trainer = scripted_trainer(script, [stopper])
    history = trainer.fit(loader(data), loader(data), epochs=len(script))
    assert stopper.stopped_epoch == stop_after
    assert trainer.epoch == stop_after + 1 and len(history) == stop_after + 1
    assert [r["val_loss"] for r in history] == pytest.approx(script[:stop_after + 1])


def test_early_stopping_max_mode_and_state_round_trip():
    stopper = EarlyStopping(monitor="val_accuracy", mode="max", patience=1)

    class FakeTrainer:
        should_stop = False

    fake = FakeTrainer()
    stopper.on_epoch_end(fake, 0, {"val_accuracy": 0.5})
    stopper.on_epoch_end(fake, 1, {"val_accuracy": 0.7})
    assert not fake.should_stop and stopper.best == 0.7
    copy = EarlyStopping(monitor="val_accuracy", mode="max", patience=1)
    copy.load_state_dict(stopper.state_dict())
    copy.on_epoch_end(fake, 2, {"val_accuracy": 0.7})
    assert fake.should_stop and copy.stopped_epoch == 2


def test_unknown_monitor_names_the_available_keys():
    trainer = scripted_trainer([1.0], [EarlyStopping(monitor="val_acc")])
    with pytest.raises(KeyError, match=r"'val_acc' is not among .*\['lr', 'train_loss', "
                                       r"'val_loss'\]"):
        trainer.fit(loader(data), loader(data), epochs=1)


class RecordWeights(Callback):
    def __init__(self):
        self.weights = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.weights.append(trainer.model.state_dict()["0.weight"].numpy().copy())


def test_best_checkpoint_keeps_the_best(tmp_path):
    script = [0.5, 0.3, 0.4, 0.2, 0.6]
    recorder = RecordWeights()
    best = ModelCheckpoint(dirpath=tmp_path / "best", monitor="val_loss", save_last=True)
    top2 = ModelCheckpoint(dirpath=tmp_path / "top2", monitor="val_loss", save_top_k=2)
    trainer = scripted_trainer(script, [recorder, best, top2])
    trainer.fit(loader(data), loader(data), epochs=5)
    assert sorted(os.listdir(tmp_path / "best")) == ["epoch=004-val_loss=0.2000.safetensors",
                                                     "last.safetensors"]
    assert best.best_model_score == pytest.approx(0.2)
    assert sorted(os.listdir(tmp_path / "top2")) == ["epoch=002-val_loss=0.3000.safetensors",
                                                     "epoch=004-val_loss=0.2000.safetensors"]
    checkpoint = ember.load(best.best_model_path)
    assert checkpoint["epoch"] == 4 and checkpoint["best_metric"] == pytest.approx(0.2)
    assert (checkpoint["model"]["0.weight"].numpy() == recorder.weights[3]).all()
    assert ember.load(best.last_model_path)["epoch"] == 5


def test_checkpoint_without_monitor_keeps_the_latest(tmp_path):
    keep = ModelCheckpoint(dirpath=tmp_path, monitor=None, save_top_k=2)
    scripted_trainer([0.0] * 3, [keep]).fit(loader(data), epochs=3)
    assert sorted(os.listdir(tmp_path)) == ["epoch=002.safetensors", "epoch=003.safetensors"]
    assert keep.best_model_path.endswith("epoch=003.safetensors")


def test_checkpoint_needs_a_directory():
    with pytest.raises(ValueError, match="no dirpath given and the Trainer has no log_dir"):
        scripted_trainer([0.0], [ModelCheckpoint()]).fit(loader(data), loader(data), epochs=1)
    with pytest.raises(ValueError, match="save_top_k to be -1 or a positive int, got 0"):
        ModelCheckpoint(save_top_k=0)


def test_lr_monitor_per_step_and_per_epoch(tmp_path):
    model = mlp()
    opt = ember.optim.SGD(model.parameters(), lr=1.0)
    scheduler = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    per_step, per_epoch = LRMonitor("step"), LRMonitor("epoch")
    Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=scheduler, callbacks=[per_step, per_epoch],
            log_dir=tmp_path, run_name="r", progress=False).fit(loader(data, 20), epochs=2)
    assert per_step.history == [{"step": 1, "lr": [1.0]}, {"step": 2, "lr": [1.0]},
                                {"step": 3, "lr": [0.5]}, {"step": 4, "lr": [0.5]}]
    assert per_epoch.history == [{"epoch": 0, "lr": [0.5]}, {"epoch": 1, "lr": [0.25]}]
    assert len(open(tmp_path / "r" / "lr.jsonl").readlines()) == 6
    with pytest.raises(ValueError, match="logging_interval 'epoch' or 'step', got 'batch'"):
        LRMonitor("batch")


def test_progress_bar_writes_to_its_stream_only(capsys):
    stream = io.StringIO()
    model = mlp()
    Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(),
            callbacks=[ProgressBar(disable=False, file=stream)]).fit(loader(data, 20), epochs=2)
    text = stream.getvalue()
    assert "epoch 1" in text and "epoch 2" in text and "train_loss=" in text
    # The default bar (progress=True) stays silent when output is not a terminal.
    Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1),
            nn.CrossEntropyLoss()).fit(loader(data, 20), epochs=1)
    assert capsys.readouterr() == ("", "")


def test_plots_are_skipped_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    for name in [m for m in sys.modules if m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    model = mlp()
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(),
                      log_dir=tmp_path, run_name="r", progress=False)
    history = trainer.fit(loader(data, 20), epochs=1)
    assert plot_history(history, tmp_path) == []
    assert sorted(os.listdir(tmp_path / "r")) == ["metrics.jsonl"]


def test_plots_are_written_with_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    records = [{"epoch": 0, "train_loss": 1.0, "val_loss": 1.1, "metrics": {"val_accuracy": 0.5}},
               {"epoch": 1, "train_loss": 0.5, "val_loss": 0.7, "metrics": {"val_accuracy": 0.8}}]
    written = plot_history(records, tmp_path)
    assert sorted(os.path.basename(p) for p in written) == ["loss.png", "metrics.png"]
    assert all(open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n" for p in written)
