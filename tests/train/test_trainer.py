import numpy as np
import pytest
from train_helpers import blobs, loader, mlp

import ember
from ember import nn
from ember.train import Accuracy, Trainer, read_jsonl

data = blobs()  # never modified by the tests, so shared


def params(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_fit_reaches_high_accuracy_on_blobs():
    model = mlp()
    trainer = Trainer(model, ember.optim.Adam(model.parameters(), lr=0.05), nn.CrossEntropyLoss(),
                      metrics=[Accuracy()], progress=False, seed=0)
    history = trainer.fit(loader(data, shuffle=True, seed=0), loader(data, 64), epochs=8)
    assert history[-1]["metrics"]["val_accuracy"] >= 0.9
    assert history[-1]["val_loss"] < history[0]["train_loss"]
    assert trainer.evaluate(loader(data, 50))["accuracy"] >= 0.9
    assert trainer.epoch == 8 and trainer.global_step == 8 * 13
    assert model.training  # evaluate restores train mode


def test_predict_concatenates_in_eval_mode_without_grad():
    model = mlp(dropout=0.5)
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(),
                      progress=False)
    out = trainer.predict(loader(data, 30))  # 200 = 6 * 30 + 20
    assert out.shape == (200, 2) and not out.requires_grad
    model.eval()
    np.testing.assert_array_equal(out.numpy(), model(data.tensors[0]).detach().numpy())
    bare = trainer.predict([data.tensors[0][:7], data.tensors[0][7:10]])  # batches of inputs only
    assert bare.shape == (10, 2)


def sgd_run(dataset, batch_size, accum, epochs=2):
    model = mlp(seed=1, dtype=ember.float64)
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    Trainer(model, opt, nn.CrossEntropyLoss(), grad_accum_steps=accum,
            progress=False).fit(loader(dataset, batch_size), epochs=epochs)
    return params(model)


def test_accumulation_equals_one_big_batch_float64():
    dataset = blobs(n=96, dtype=np.float64)
    big = sgd_run(dataset, batch_size=24, accum=1)
    accumulated = sgd_run(dataset, batch_size=6, accum=4)
    for k in big:
        np.testing.assert_allclose(accumulated[k], big[k], rtol=1e-13, atol=1e-15)
    # And it is really different from stepping after every small batch.
    unaccumulated = sgd_run(dataset, batch_size=6, accum=1)
    assert not np.allclose(unaccumulated["0.weight"], big["0.weight"])


def test_accumulation_steps_on_a_partial_group_at_epoch_end():
    dataset = blobs(n=40, dtype=np.float64)  # 5 batches of 8, accum 2 -> steps at 2, 4, 5
    model = mlp(dtype=ember.float64)
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(),
                      grad_accum_steps=2, progress=False)
    trainer.fit(loader(dataset, 8), epochs=2)
    assert trainer.global_step == 6
    assert all(p.grad is None for p in model.parameters())  # nothing left over


def test_gradient_clipping_is_applied():
    dataset = blobs(n=16, dtype=np.float64)
    model = mlp(dtype=ember.float64)
    before = params(model)
    # The gradient the first step would see, unclipped.
    nn.CrossEntropyLoss()(model(dataset.tensors[0]), dataset.tensors[1]).backward()
    grads = {k: p.grad.numpy().copy() for k, p in model.named_parameters()}
    norm = np.sqrt(sum((g ** 2).sum() for g in grads.values()))
    model.zero_grad()
    max_norm = norm / 10
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=1.0), nn.CrossEntropyLoss(),
                      grad_clip_norm=max_norm, progress=False)
    trainer.fit(loader(dataset, 16), epochs=1)
    assert trainer.last_grad_norm == pytest.approx(norm, rel=1e-12)
    after = params(model)
    for k in grads:  # SGD with lr 1: the step is exactly the clipped gradient
        np.testing.assert_allclose(before[k] - after[k], grads[k] * max_norm / (norm + 1e-6),
                                   rtol=1e-10, atol=1e-14)


def test_metrics_jsonl_has_one_line_per_epoch(tmp_path):
    model = mlp()
    sched_opt = ember.optim.SGD(model.parameters(), lr=0.1)
    scheduler = ember.optim.lr_scheduler.StepLR(sched_opt, step_size=1, gamma=0.5)
    trainer = Trainer(model, sched_opt, nn.CrossEntropyLoss(), scheduler=scheduler,
                      metrics={"acc": Accuracy()}, log_dir=tmp_path, run_name="blobs",
                      progress=False)
    trainer.fit(loader(data, 50), loader(data, 100), epochs=3)
    lines = read_jsonl(tmp_path / "blobs" / "metrics.jsonl")
    assert [r["epoch"] for r in lines] == [0, 1, 2]
    assert [r["lr"] for r in lines] == pytest.approx([0.1, 0.05, 0.025])
    assert [r["global_step"] for r in lines] == [4, 8, 12]
    for record in lines:
        assert set(record) == {"epoch", "global_step", "train_loss", "val_loss", "metrics", "lr",
                               "time"}
        assert set(record["metrics"]) == {"train_acc", "val_acc"}
        assert record["time"] > 0
    assert lines == trainer.history
    assert lines[-1]["val_loss"] == pytest.approx(trainer.evaluate(loader(data, 100))["loss"])


def test_step_scheduler_steps_per_optimizer_step():
    model = mlp()
    opt = ember.optim.SGD(model.parameters(), lr=1.0)
    scheduler = ember.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 / (step + 1))
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=scheduler,
                      scheduler_interval="step", grad_accum_steps=2, progress=False)
    trainer.fit(loader(data, 50), epochs=1)  # 4 batches -> 2 optimizer steps
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 / 3)


def test_reduce_on_plateau_gets_the_monitored_value():
    model = mlp()
    opt = ember.optim.SGD(model.parameters(), lr=0.0)  # nothing improves
    scheduler = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=scheduler, scheduler_monitor="train_loss",
            progress=False).fit(loader(data, 100), epochs=2)
    assert scheduler.num_bad_epochs == 0 and scheduler.best < float("inf")


def test_dict_batches_and_batch_fn():
    x, y = data.tensors
    dict_batches = [{"inputs": x[:100], "labels": y[:100]}, {"inputs": x[100:], "labels": y[100:]}]
    odd_batches = [(y[:100], "ignored", x[:100])]
    model = mlp()
    trainer = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(),
                      progress=False)
    trainer.fit(dict_batches, epochs=1)
    assert trainer.global_step == 2
    trainer.batch_fn = lambda b: (b[2], b[0])
    assert trainer.evaluate(odd_batches)["loss"] > 0


def test_bad_configurations_raise_clear_errors():
    model = mlp()
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="scheduler_interval 'epoch' or 'step', got 'batch'"):
        Trainer(model, opt, loss, scheduler_interval="batch")
    with pytest.raises(ValueError, match="grad_accum_steps to be a positive int, got 0"):
        Trainer(model, opt, loss, grad_accum_steps=0)
    with pytest.raises(TypeError, match="expected optimizer to be an ember.optim.Optimizer"):
        Trainer(model, "sgd", loss)
    with pytest.raises(ValueError, match="two metrics .* named 'accuracy'"):
        Trainer(model, opt, loss, metrics=[Accuracy(), Accuracy()])
    with pytest.raises(ValueError, match="ReduceLROnPlateau needs scheduler_interval='epoch'"):
        Trainer(model, opt, loss, scheduler=ember.optim.lr_scheduler.ReduceLROnPlateau(opt),
                scheduler_interval="step")
    trainer = Trainer(model, opt, loss, progress=False)
    with pytest.raises(TypeError, match=r"\(inputs, targets\) or a dict, got tuple of length 3"):
        trainer.fit([(1, 2, 3)], epochs=1)
    with pytest.raises(KeyError, match=r"one target key among .*got keys \['inputs'\]"):
        trainer.fit([{"inputs": data.tensors[0]}], epochs=1)
    with pytest.raises(ValueError, match="train_loader yielded no batches"):
        trainer.fit([], epochs=1)
    bad = Trainer(model, opt, nn.CrossEntropyLoss(reduction="none"), progress=False)
    with pytest.raises(ValueError, match=r"scalar Tensor, got a Tensor of shape \(16,\)"):
        bad.fit(loader(data), epochs=1)
