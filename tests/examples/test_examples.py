"""The examples in examples/ reach their advertised accuracy, reproducibly.

Each test runs an example's ``main(argv)`` in-process (the examples are
scripts, not a package, so their folder goes on ``sys.path``).
"""

import os
import sys

import pytest

pytest.importorskip("sklearn", reason="the digits data ships with scikit-learn")

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "examples")
sys.path.insert(0, os.path.abspath(EXAMPLES))

import cnn_digits  # noqa: E402
import mlp_digits  # noqa: E402
import transfer_digits  # noqa: E402


def test_mlp_digits_reaches_97_percent(capsys):
    accuracy = mlp_digits.main(["--epochs", "30"])
    out = capsys.readouterr().out
    assert accuracy >= 0.97, out
    assert out.count("train loss") == 30  # one line per epoch
    assert f"final test accuracy: {accuracy:.2%}" in out


def test_mlp_digits_is_reproducible(capsys):
    first = mlp_digits.main(["--epochs", "2", "--seed", "3"])
    first_out = capsys.readouterr().out
    second = mlp_digits.main(["--epochs", "2", "--seed", "3"])
    second_out = capsys.readouterr().out
    assert first == second
    # Per-epoch losses too (the last line holds the wall time, which varies).
    assert first_out.splitlines()[:-1] == second_out.splitlines()[:-1]
    other = mlp_digits.main(["--epochs", "2", "--seed", "4"])
    other_out = capsys.readouterr().out
    assert other_out.splitlines()[:-1] != first_out.splitlines()[:-1], "the seed has no effect"
    assert 0 <= other <= 1


def test_cnn_digits_reaches_98_percent(capsys):
    accuracy = cnn_digits.main([])  # the default 20 epochs, as in the README
    out = capsys.readouterr().out
    assert accuracy >= 0.98, out
    assert out.count("train loss") == 20


def test_digits_cnn_shapes_and_head_replacement():
    import ember
    model = cnn_digits.DigitsCNN(num_classes=10)
    x = ember.zeros(3, 1, 8, 8)
    assert model.features(x).shape == (3, cnn_digits.DigitsCNN.feature_dim)
    assert model(x).shape == (3, 10)
    model.classifier = cnn_digits.DigitsCNN.head(5)
    assert model(x).shape == (3, 5)


def test_transfer_beats_training_from_scratch(capsys):
    result = transfer_digits.main([])
    out = capsys.readouterr().out
    assert result["transfer"] > result["scratch"], out
    assert len(result["trials"]) == 5
    for seed, n_labels, transfer_acc, scratch_acc in result["trials"]:
        assert n_labels == 73  # 10% of the 729 training images of digits 5-9
    assert "unchanged" in out


def test_frozen_body_stays_unchanged_while_the_head_trains():
    import ember
    from ember import nn
    ember.manual_seed(0)
    model = cnn_digits.DigitsCNN(num_classes=5)
    model.features.requires_grad_(False)
    model.classifier = cnn_digits.DigitsCNN.head(5)
    body = {k: v.clone() for k, v in model.features.state_dict().items()}
    head = {k: v.clone() for k, v in model.classifier.state_dict().items()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = ember.optim.AdamW(trainable, lr=1e-2)
    x, y = ember.rand(8, 1, 8, 8), ember.randint(0, 5, (8,))
    for _ in range(3):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    assert all(p.grad is None for p in model.features.parameters())
    assert all(ember.equal(body[k], v) for k, v in model.features.state_dict().items())
    assert not all(ember.equal(head[k], v) for k, v in model.classifier.state_dict().items())
