import numpy as np
import pytest
import sklearn.metrics as skm

import ember
from ember.train import metrics as M

C = 4


def random_data(seed, n=200, num_classes=C):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, num_classes))
    target = rng.integers(0, num_classes, n)
    return logits, target


@pytest.mark.parametrize("seed", [0, 1])
def test_accuracy_and_confusion_match_sklearn(seed):
    logits, target = random_data(seed)
    labels = logits.argmax(1)
    assert M.accuracy(ember.tensor(logits), ember.tensor(target)) == \
        pytest.approx(skm.accuracy_score(target, labels), abs=1e-15)
    assert M.accuracy(labels, target) == pytest.approx(skm.accuracy_score(target, labels))
    np.testing.assert_array_equal(M.confusion_matrix(logits, target, C),
                                  skm.confusion_matrix(target, labels, labels=range(C)))


@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
@pytest.mark.parametrize("name", ["precision", "recall", "f1_score"])
def test_precision_recall_f1_match_sklearn(name, average):
    logits, target = random_data(2, n=60, num_classes=5)
    logits[:, 4] -= 10  # class 4 is never predicted: exercises zero division
    labels = logits.argmax(1)
    ours = getattr(M, name)(logits, target, num_classes=5, average=average)
    ref = getattr(skm, name + ("" if name == "f1_score" else "_score"))(
        target, labels, labels=range(5), average=average, zero_division=0)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cls,kind", [(M.Precision, "precision_score"),
                                      (M.Recall, "recall_score"), (M.F1Score, "f1_score")])
def test_stateful_accumulates_over_batches(cls, kind):
    logits, target = random_data(3, n=90)
    metric = cls(num_classes=C, average="macro")
    for i in range(0, 90, 32):  # uneven batches: the epoch value is exact, not a mean of batches
        metric.update(ember.tensor(logits[i:i + 32]), ember.tensor(target[i:i + 32]))
    ref = getattr(skm, kind)(target, logits.argmax(1), labels=range(C), average="macro",
                             zero_division=0)
    assert metric.compute() == pytest.approx(ref, abs=1e-12)
    metric.reset()
    with pytest.raises(RuntimeError, match="no samples seen"):
        metric.compute()


def test_stateful_accuracy_confusion_topk():
    logits, target = random_data(4, n=100)
    acc, cm, top2 = M.Accuracy(), M.ConfusionMatrix(C), M.TopKAccuracy(k=2)
    for i in range(0, 100, 30):
        for metric in (acc, cm, top2):
            metric.update(logits[i:i + 30], target[i:i + 30])
    assert acc.compute() == pytest.approx(skm.accuracy_score(target, logits.argmax(1)))
    np.testing.assert_array_equal(cm.compute(), skm.confusion_matrix(target, logits.argmax(1)))
    assert top2.compute() == pytest.approx(skm.top_k_accuracy_score(target, logits, k=2))
    assert top2.name == "top2_accuracy"


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy_matches_sklearn(k):
    logits, target = random_data(5)
    assert M.top_k_accuracy(logits, target, k=k) == \
        pytest.approx(skm.top_k_accuracy_score(target, logits, k=k, labels=range(C)))


def test_class_dim_is_dim_1_for_sequences():
    rng = np.random.default_rng(6)
    logits, target = rng.normal(size=(3, C, 5)), rng.integers(0, C, (3, 5))
    labels = logits.argmax(1)
    assert M.accuracy(logits, target) == pytest.approx((labels == target).mean())
    assert M.top_k_accuracy(logits, target, k=1) == pytest.approx((labels == target).mean())


def test_binary_probabilities_are_thresholded():
    probs, target = np.array([0.2, 0.7, 0.5, 0.1]), np.array([0, 1, 0, 1])
    assert M.accuracy(probs, target) == 0.5  # predictions 0, 1, 1, 0


def test_perplexity_matches_torch_cross_entropy():
    import torch
    rng = np.random.default_rng(7)
    logits, target = rng.normal(size=(4, 6, 3)), rng.integers(0, 6, (4, 3))
    target[0, 0] = -100  # ignored, as in cross_entropy
    ce = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(target)).item()
    metric = M.Perplexity()
    metric.update(logits[:2], target[:2])
    metric.update(logits[2:], target[2:])
    assert metric.compute() == pytest.approx(np.exp(ce), rel=1e-12)
    assert M.perplexity(ce) == pytest.approx(np.exp(ce))
    assert M.perplexity(ember.tensor(ce)) == pytest.approx(np.exp(ce))


def test_mean_loss_is_weighted():
    loss = M.MeanLoss()
    loss.update(ember.tensor(1.0), weight=3)
    loss.update(2.0, weight=1)
    assert loss.compute() == pytest.approx(1.25)


def test_bad_inputs_raise_clear_errors():
    logits, target = random_data(8, n=10)
    with pytest.raises(ValueError, match=r"accuracy: expected preds of shape \(10,\)"):
        M.accuracy(logits[:5], target)
    with pytest.raises(TypeError, match="integer class labels"):
        M.accuracy(logits, target.astype(float))
    with pytest.raises(ValueError, match=r"k <= number of classes \(4\), got k=5"):
        M.top_k_accuracy(logits, target, k=5)
    with pytest.raises(ValueError, match="average in"):
        M.precision(logits, target, C, average="samples")
    with pytest.raises(ValueError, match=r"target labels must be in \[0, 3\)"):
        M.confusion_matrix(logits[:, :3], target * 0 + 3, 3)
    with pytest.raises(ValueError, match="num_classes to be a positive int"):
        M.F1Score(num_classes=0)
    with pytest.raises(ValueError, match="TopKAccuracy: expected k"):
        M.TopKAccuracy(k=0)
