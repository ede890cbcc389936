"""Margin, ranking and embedding losses, Poisson and Gaussian NLL, and the distance
modules, against PyTorch: values, gradients and second derivatives, every reduction."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF
from reference import check, close, rand

REDUCTIONS = ["mean", "sum", "none"]
N, C = 5, 4


def F(x):
    """The functional module of the framework ``x`` belongs to."""
    return EF if isinstance(x, ember.Tensor) else TF


def signs(shape, seed):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss(reduction):
    check(lambda a, b, y: F(a).margin_ranking_loss(a, b, y, margin=0.3, reduction=reduction),
          rand((N,), 0), rand((N,), 1), signs((N,), 2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss(reduction):
    target = signs((N, C), 3)
    target[0, 0] = 0.0  # neither 1 nor -1: both terms, as in PyTorch
    check(lambda x, y: F(x).hinge_embedding_loss(x, y, margin=0.7, reduction=reduction),
          rand((N, C), 0, -1, 2), target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    # (PyTorch refuses a target that requires grad here; Ember differentiates it.)
    check(lambda x, y: F(x).soft_margin_loss(x, y, reduction=reduction),
          rand((N, C), 0, -3, 3), signs((N, C), 1), grad_inputs=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss(reduction, weighted):
    labels = (np.random.default_rng(1).random((N, C)) < 0.5).astype(float)
    arrays = [rand((N, C), 0, -3, 3), labels] + ([rand((C,), 2, 0.5, 2)] if weighted else [])
    check(lambda x, y, *w: F(x).multilabel_soft_margin_loss(x, y, weight=w[0] if w else None,
                                                            reduction=reduction), *arrays)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("batched", [True, False])
def test_cosine_embedding_loss(reduction, batched):
    shape = (N, 3) if batched else (3,)
    y = signs((N,) if batched else (), 2)
    check(lambda a, b, t: F(a).cosine_embedding_loss(a, b, t, margin=0.2, reduction=reduction),
          rand(shape, 0), rand(shape, 1), np.asarray(y), grad_inputs=[0, 1])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(reduction, p, weighted):
    y = np.random.default_rng(3).integers(0, C, N)
    arrays = [rand((N, C), 0), y] + ([rand((C,), 2, 0.5, 2)] if weighted else [])
    # (PyTorch has no second derivative for the two multi-class hinge losses.)
    check(lambda x, t, *w: F(x).multi_margin_loss(x, t, p=p, margin=0.8,
                                                  weight=w[0] if w else None,
                                                  reduction=reduction), *arrays,
          second=False, grad_inputs=[0])


def test_multi_margin_loss_single_sample():
    check(lambda x, t: F(x).multi_margin_loss(x, t), rand((C,), 0), np.array(2), second=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction):
    target = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 2, 2, 2], [1, 1, -1, 0], [2, -1, 0, 0]])
    check(lambda x, t: F(x).multilabel_margin_loss(x, t, reduction=reduction),
          rand((N, C), 0), target, second=False)


def test_multilabel_margin_loss_single_sample():
    check(lambda x, t: F(x).multilabel_margin_loss(x, t), rand((C,), 0), np.array([2, 0, -1, 3]),
          second=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p", [1, 2])
def test_triplet_margin_loss(reduction, swap, p):
    check(lambda a, b, c: F(a).triplet_margin_loss(a, b, c, margin=0.5, p=p, swap=swap,
                                                   reduction=reduction),
          rand((N, 3), 0), rand((N, 3), 1), rand((N, 3), 2))


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss(swap):
    def run(a, b, c):
        cos = lambda x, y: 1 - F(x).cosine_similarity(x, y)
        return F(a).triplet_margin_with_distance_loss(a, b, c, distance_function=cos,
                                                      margin=0.4, swap=swap)

    check(run, rand((N, 3), 0), rand((N, 3), 1), rand((N, 3), 2))
    check(lambda a, b, c: F(a).triplet_margin_with_distance_loss(a, b, c, reduction="none"),
          rand((N, 3), 0), rand((N, 3), 1), rand((N, 3), 2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_loss(reduction, log_input, full):
    target = np.random.default_rng(1).poisson(2.0, (N, C)).astype(float)
    x = rand((N, C), 0, -1, 1) if log_input else rand((N, C), 0, 0.2, 3)
    # With full=True, PyTorch's gradient in the target is nan where the target is
    # 0 (0 * log'(0) behind its mask); Ember's is 0 there, so compare the input's.
    check(lambda x, t: F(x).poisson_nll_loss(x, t, log_input=log_input, full=full,
                                             reduction=reduction), x, target,
          grad_inputs=[0] if full else None)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(N, C), (N,), (N, 1)])
def test_gaussian_nll_loss(reduction, full, var_shape):
    var = rand(var_shape, 2, 0.1, 2)
    var.flat[0] = 1e-8  # below eps: clamped for the value, not for the gradient
    check(lambda x, t, v: F(x).gaussian_nll_loss(x, t, v, full=full, reduction=reduction),
          rand((N, C), 0), rand((N, C), 1), var)


@pytest.mark.parametrize("var", [0.5, "row", "column"])
def test_gaussian_nll_loss_takes_torch_var_forms(var):
    # A number, or one dimension of size 1 anywhere (PyTorch 2.13's rule).
    v = {"row": rand((1, C), 2, 0.1, 2), "column": rand((N, 1), 2, 0.1, 2)}.get(var, var)
    if isinstance(v, float):
        check(lambda x, t: F(x).gaussian_nll_loss(x, t, v), rand((N, C), 0), rand((N, C), 1))
    else:
        check(lambda x, t, w: F(x).gaussian_nll_loss(x, t, w), rand((N, C), 0), rand((N, C), 1), v)


def test_gaussian_nll_loss_errors():
    x = ember.zeros(3, 2)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        EF.gaussian_nll_loss(x, x, ember.ones(2, 3))
    with pytest.raises(ValueError, match="negative"):
        EF.gaussian_nll_loss(x, x, -ember.ones(3, 2))


def test_errors_name_the_problem():
    x = ember.zeros(3, 4)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        EF.multi_margin_loss(x, ember.tensor([0, 1, 2]), p=3)
    with pytest.raises(IndexError, match="out of range for 4 classes"):
        EF.multi_margin_loss(x, ember.tensor([0, 1, 4]))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        EF.triplet_margin_loss(x, x, x, margin=0)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        EF.margin_ranking_loss(x, x, ember.ones(3))
    with pytest.raises(ValueError, match="reduction must be one of"):
        EF.soft_margin_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"expected a target of shape \(3,\), got shape \[3, 1\]"):
        EF.multi_margin_loss(x, ember.zeros(3, 1, dtype=ember.long))


MODULES = [
    ("MarginRankingLoss", {"margin": 0.1}, 3),
    ("HingeEmbeddingLoss", {"margin": 0.5}, 2),
    ("SoftMarginLoss", {}, 2),
    ("MultiLabelSoftMarginLoss", {}, 2),
    ("CosineEmbeddingLoss", {"margin": 0.1}, 3),
    ("MultiMarginLoss", {"p": 2}, 2),
    ("MultiLabelMarginLoss", {}, 2),
    ("TripletMarginLoss", {"swap": True}, 3),
    ("TripletMarginWithDistanceLoss", {"margin": 0.5}, 3),
    ("PoissonNLLLoss", {"full": True}, 2),
    ("GaussianNLLLoss", {"full": True}, 3),
    ("CosineSimilarity", {"dim": 1}, 2),
    ("PairwiseDistance", {"p": 1.0}, 2),
]


def _module_inputs(name):
    r = np.random.default_rng(0)
    x, z = r.standard_normal((N, C)), r.standard_normal((N, C))
    if name in ("MarginRankingLoss",):
        return [x[:, 0], z[:, 0], signs((N,), 1)]
    if name in ("HingeEmbeddingLoss", "SoftMarginLoss"):
        return [x, signs((N, C), 1)]
    if name == "MultiLabelSoftMarginLoss":
        return [x, (x > 0).astype(float)]
    if name == "CosineEmbeddingLoss":
        return [x, z, signs((N,), 1)]
    if name == "MultiMarginLoss":
        return [x, r.integers(0, C, N)]
    if name == "MultiLabelMarginLoss":
        return [x, np.array([[1, -1, 0, 0]] * N)]
    if name == "PoissonNLLLoss":
        return [x, r.poisson(2.0, (N, C)).astype(float)]
    if name == "GaussianNLLLoss":
        return [x, z, np.abs(z) + 0.1]
    return [x, z, r.standard_normal((N, C))]


@pytest.mark.parametrize("name,kwargs,count", MODULES, ids=[m[0] for m in MODULES])
def test_loss_and_distance_modules_match_torch(name, kwargs, count):
    arrays = _module_inputs(name)[:count]
    ours, ref = getattr(ember.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    close(ours(*[ember.tensor(a) for a in arrays]), ref(*[torch.tensor(a) for a in arrays]))
    assert repr(ours).startswith(name)


def test_nll_loss_2d_is_nll_loss():
    assert issubclass(ember.nn.NLLLoss2d, ember.nn.NLLLoss)


@pytest.mark.parametrize("name", ["multi_margin_loss", "multilabel_margin_loss"])
def test_hinge_losses_second_derivatives_by_finite_differences(name):
    # PyTorch has none to compare with: Ember's come from its ops.
    x = ember.tensor(rand((N, C), 0), requires_grad=True)
    if name == "multi_margin_loss":
        t = ember.tensor(np.random.default_rng(3).integers(0, C, N))
        fn = lambda x: EF.multi_margin_loss(x, t, p=2, margin=0.8)
    else:
        t = ember.tensor(np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 2, 2, 2], [1, 1, -1, 0],
                                   [2, -1, 0, 0]]))
        fn = lambda x: EF.multilabel_margin_loss(x, t) ** 2
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


def _ctc_case(seed=0, steps=12, n=3, classes=5, width=4):
    r = np.random.default_rng(seed)
    targets = r.integers(1, classes, (n, width))
    targets[1, 1] = targets[1, 0]  # a repeated label: needs a blank between
    return (r.standard_normal((steps, n, classes)), targets, np.array([steps, 10, 7]),
            np.array([width, 2, 3]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc_loss_matches_torch_through_log_softmax(reduction, concatenated):
    logits, targets, in_len, tl = _ctc_case()
    if concatenated:
        targets = np.concatenate([row[:k] for row, k in zip(targets, tl)])

    def run(x, t, il, tlen):
        f = F(x)
        return f.ctc_loss(f.log_softmax(x, -1), t, il, tlen, reduction=reduction)

    # (Compared through log_softmax, where both gradients are the loss's; and
    # PyTorch has no second derivative.)
    check(run, logits, targets, in_len, tl, second=False)


def test_ctc_loss_blank_unbatched_and_module():
    logits, targets, in_len, tl = _ctc_case(1)
    targets = np.where(targets == 2, 0, targets)  # blank 2: no label may be 2
    lp = torch.log_softmax(torch.tensor(logits), -1)
    ours = ember.nn.CTCLoss(blank=2, reduction="sum")
    ref = torch.nn.CTCLoss(blank=2, reduction="sum")
    args = (targets, in_len, tl)
    close(ours(ember.tensor(lp.numpy()), *[ember.tensor(a) for a in args]),
          ref(lp, *[torch.tensor(a) for a in args]))
    single = lp[:, 0]
    close(EF.ctc_loss(ember.tensor(single.numpy()), ember.tensor(targets[0]), [12], [4],
                      reduction="none"),
          TF.ctc_loss(single, torch.tensor(targets[0]), [12], [4], reduction="none"))


def test_ctc_loss_impossible_alignments():
    # Three labels with a repeat need 4 frames; 2 frames cannot align them.
    lp = ember.tensor(np.log(np.full((2, 1, 3), 1 / 3)), requires_grad=True)
    target = ember.tensor([[1, 1, 2]])
    loss = EF.ctc_loss(lp, target, [2], [3], reduction="sum")
    assert np.isinf(loss.item())
    zeroed = EF.ctc_loss(lp, target, [2], [3], reduction="sum", zero_infinity=True)
    assert zeroed.item() == 0.0
    zeroed.backward()
    assert not lp.grad.numpy().any()
    ref = TF.ctc_loss(torch.tensor(lp.detach().numpy()), torch.tensor([[1, 1, 2]]), [2], [3],
                      reduction="sum", zero_infinity=True)
    assert ref.item() == 0.0


def test_ctc_loss_errors():
    lp = ember.zeros(5, 2, 4)
    with pytest.raises(ValueError, match="blank must be a class index"):
        EF.ctc_loss(lp, ember.ones(2, 3, dtype=ember.long), [5, 5], [3, 3], blank=4)
    with pytest.raises(ValueError, match="input lengths must be in"):
        EF.ctc_loss(lp, ember.ones(2, 3, dtype=ember.long), [6, 5], [3, 3])
    with pytest.raises(ValueError, match="2 integer lengths"):
        EF.ctc_loss(lp, ember.ones(2, 3, dtype=ember.long), [5], [3, 3])
    with pytest.raises(ValueError, match="1-D concatenation"):
        EF.ctc_loss(lp, ember.ones(5, dtype=ember.long), [5, 5], [3, 3])


def test_ctc_loss_ignores_padding_past_each_target_length():
    logits, _, in_len, _ = _ctc_case(2)
    targets = np.array([[1, 2, 2], [3, -1, -1], [4, 4, 99]])  # padding out of range
    lengths = np.array([3, 1, 2])
    lp = torch.log_softmax(torch.tensor(logits), -1)
    close(EF.ctc_loss(ember.tensor(lp.numpy()), ember.tensor(targets), in_len, lengths,
                      reduction="none"),
          TF.ctc_loss(lp, torch.tensor(targets), torch.tensor(in_len), torch.tensor(lengths),
                      reduction="none"))
    with pytest.raises(ValueError, match="target label 7 is not a class index"):
        EF.ctc_loss(ember.tensor(lp.numpy()), ember.tensor([[1, 7, 2]] * 3), in_len, [3, 3, 3])
