"""linear_cross_entropy / LinearCrossEntropyLoss (and the chunked path of
LinearCrossEntropyOptions) against PyTorch's."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember import nn
from ember.nn.modules import linear_ce
from reference import check, close, rand

N, H, C = 7, 4, 5


def _target(kind, out=(), seed=0):
    r = np.random.default_rng(seed)
    if kind == "probs":
        p = r.uniform(0.1, 1.0, (N, C, *out))
        return p / p.sum(1, keepdims=True)
    t = r.integers(0, C, (N, *out))
    if kind == "ignore":
        t.flat[::3] = 2  # ignore_index=2 below
    return t


def _call(options, target, class_weight=None, **kwargs):
    """The same call on both libraries; options only on Ember's side (torch: reference)."""
    def run(x, w, b=None):
        ours = isinstance(x, ember.Tensor)
        lib = ember if ours else torch
        f = F.linear_cross_entropy if ours else TF.linear_cross_entropy
        cw = None if class_weight is None else lib.tensor(class_weight)
        return f(x, w, lib.tensor(target), linear_bias=b, weight=cw,
                 options=options if ours else None, **kwargs)
    return run


CHUNKINGS = [None, dict(batch_chunk_size=3), dict(batch_chunk_size=1),
             dict(batch_chunk_size=100), dict(chunking_method="aspect_ratio"),
             dict(chunking_method=None)]


@pytest.mark.parametrize("chunking", CHUNKINGS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kind,smoothing,weighted", [
    ("index", 0.0, False), ("ignore", 0.0, True), ("ignore", 0.3, False), ("index", 0.2, True),
    ("probs", 0.0, False), ("probs", 0.1, True),
])
def test_linear_cross_entropy_matches_torch(chunking, reduction, kind, smoothing, weighted):
    options = None if chunking is None else nn.LinearCrossEntropyOptions(**chunking)
    cw = rand((C,), 9, positive=True) if weighted else None
    fn = _call(options, _target(kind), cw, reduction=reduction, label_smoothing=smoothing,
               ignore_index=2 if kind == "ignore" else None)
    # torch's own second derivatives are there for the reference path only
    check(fn, rand((N, H), 1), rand((C, H), 2), rand((C,), 3), second=options is None)


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("bias_shape", [None, (C, 2, 3)])
@pytest.mark.parametrize("kind", ["index", "probs"])
def test_k_dimensional_weight_matches_torch(chunked, bias_shape, kind):
    options = nn.LinearCrossEntropyOptions(batch_chunk_size=2) if chunked else None
    arrays = [rand((N, H), 1), rand((C, 2, 3, H), 2)]
    if bias_shape is not None:
        arrays.append(rand(bias_shape, 3))
    for reduction in ("mean", "none"):
        check(_call(options, _target(kind, (2, 3)), reduction=reduction), *arrays,
              second=not chunked)


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_unbatched_input_matches_torch(chunked, reduction):
    options = nn.LinearCrossEntropyOptions() if chunked else None
    for target in (np.array(3), _target("probs")[0]):
        check(_call(options, target, reduction=reduction, label_smoothing=0.1),
              rand((H,), 1), rand((C, H), 2), second=not chunked)


def test_all_targets_ignored_gives_nan_like_torch():
    target = np.full(N, 2)
    for options in (None, nn.LinearCrossEntropyOptions(batch_chunk_size=2)):
        check(_call(options, target, ignore_index=2), rand((N, H), 1), rand((C, H), 2),
              second=False)


def test_chunked_path_only_ever_holds_one_chunk_of_logits(monkeypatch):
    shapes = []
    real = linear_ce.linear

    def spy(x, w, b=None):
        out = real(x, w, b)
        shapes.append(tuple(out.shape))
        return out

    monkeypatch.setattr(linear_ce, "linear", spy)
    x = ember.tensor(rand((10, H), 1), requires_grad=True)
    w = ember.tensor(rand((C, H), 2), requires_grad=True)
    t = ember.tensor(_target("index").tolist() + [0, 1, 2])
    loss = F.linear_cross_entropy(x, w, t, options=nn.LinearCrossEntropyOptions(
        batch_chunk_size=4))
    assert shapes == [(4, C), (4, C), (2, C)]
    loss.backward(retain_graph=True)
    assert shapes[3:] == [(4, C), (4, C), (2, C)]  # recomputed chunk by chunk
    first = x.grad.numpy().copy()
    loss.backward()  # the saved inputs suffice for a second backward
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_aspect_ratio_chunk_sizes():
    opts = nn.LinearCrossEntropyOptions
    # 64 rows, 8 input features, 32 classes: 4 times wider logits -> 16 rows, /2 by default
    assert opts().chunk_rows(64, 32, 8) == 8
    assert opts(chunking_method="aspect_ratio").chunk_rows(64, 32, 8) == 16
    assert opts(chunking_method="aspect_ratio:4").chunk_rows(64, 32, 8) == 4
    assert opts(chunking_method="aspect_ratio").chunk_rows(10, 32, 8) == 4  # ceil(10/4)=3 -> 4
    assert opts(chunking_method=None).chunk_rows(64, 32, 8) == 64
    assert opts(batch_chunk_size=5).chunk_rows(64, 32, 8) == 5
    assert opts().chunk_rows(3, 1000, 8) == 1


def test_chunked_gradients_are_first_order_like_torch():
    x = ember.tensor(rand((N, H), 1), requires_grad=True)
    w = ember.tensor(rand((C, H), 2), requires_grad=True)
    loss = F.linear_cross_entropy(x, w, ember.tensor(_target("index")),
                                  options=nn.LinearCrossEntropyOptions(batch_chunk_size=2))
    (g,) = ember.autograd.grad(loss, x, create_graph=True)
    xt = torch.tensor(rand((N, H), 1), requires_grad=True)
    lt = TF.linear_cross_entropy(xt, torch.tensor(rand((C, H), 2)),
                                 torch.tensor(_target("index")),
                                 options=torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2))
    (gt,) = torch.autograd.grad(lt, xt, create_graph=True)
    close(g, gt)
    assert g.requires_grad == gt.requires_grad == False  # noqa: E712


@pytest.mark.parametrize("kwargs", [
    dict(bias=True), dict(bias=False, weight="w", ignore_index=1, label_smoothing=0.1),
    dict(out_features=(2, 3), bias=True, reduction="sum"),
])
def test_linear_cross_entropy_loss_module_matches_torch(kwargs):
    kw_t, kw_e = dict(kwargs), dict(kwargs)
    if kwargs.get("weight") == "w":
        cw = rand((C,), 4, positive=True)
        kw_t["weight"], kw_e["weight"] = torch.tensor(cw), ember.tensor(cw)
    ref = torch.nn.LinearCrossEntropyLoss(H, C, dtype=torch.float64, **kw_t)
    ours = nn.LinearCrossEntropyLoss(H, C, dtype=ember.float64, **kw_e)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [tuple(v.shape) for v in ours.state_dict().values()] == \
        [tuple(v.shape) for v in ref.state_dict().values()]
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    target = _target("index", tuple(kwargs.get("out_features", ())))
    x, xt = ember.tensor(rand((N, H), 5)), torch.tensor(rand((N, H), 5))
    for options in (None, dict(batch_chunk_size=3)):
        ours.options = None if options is None else nn.LinearCrossEntropyOptions(**options)
        loss, loss_t = ours(x, ember.tensor(target)), ref(xt, torch.tensor(target))
        close(loss, loss_t)
        ours.zero_grad()
        ref.zero_grad()
        loss.backward()
        loss_t.backward()
        for (n, p), pt in zip(ours.named_parameters(), ref.parameters()):
            close(p.grad, pt.grad, what=n)


def test_options_validation_as_torch():
    opts = nn.LinearCrossEntropyOptions
    for bad, msg in [(dict(acc_policy="x"), "invalid acc_policy: 'x'"),
                     (dict(batch_chunk_size=0), "batch_chunk_size must be positive int or "
                                                "None, got 0"),
                     (dict(chunking_method="foo"), "invalid chunking_method: 'foo'"),
                     (dict(chunking_method="aspect_ratio:0.5"), "invalid chunking_method"),
                     (dict(acc_dtype=ember.int64), "acc_dtype must be a floating dtype")]:
        with pytest.raises(ValueError, match=re.escape(msg)):
            opts(**bad)
    opts(acc_policy="compact", acc_dtype=ember.float32, chunking_method="aspect_ratio:3")


def test_linear_cross_entropy_errors():
    x, w, t = ember.zeros(6, 4), ember.zeros(5, 4), ember.zeros(6, dtype=ember.int64)
    chunked = nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    with pytest.raises(RuntimeError, match=re.escape(
            "linear_cross_entropy: expected equal input and linear_weight last dimensions "
            "(in_features), got 4 and 3, respectively")):
        F.linear_cross_entropy(x, ember.zeros(5, 3), t)
    with pytest.raises(RuntimeError, match="K-dimensional loss defined by linear_weight shape "
                                           r"\[5, 2, 4\] requires batched input"):
        F.linear_cross_entropy(ember.zeros(4), ember.zeros(5, 2, 4), t[:2])
    with pytest.raises(ValueError, match=re.escape(
            "linear_cross_entropy: expected target (class indices) of shape [6], got [4]")):
        F.linear_cross_entropy(x, w, t[:4], options=chunked)
    with pytest.raises(TypeError, match="linear_cross_entropy: expected options to be a "
                                        "LinearCrossEntropyOptions or None, got int"):
        F.linear_cross_entropy(x, w, t, options=3)
    with pytest.raises(ValueError, match="linear_cross_entropy: reduction must be one of"):
        F.linear_cross_entropy(x, w, t, reduction="bad", options=chunked)
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.linear_cross_entropy(x, w, t, reduction="bad")
    with pytest.raises(RuntimeError, match=re.escape(
            "linear_cross_entropy: expected linear_bias shape [5], got [4]")):
        F.linear_cross_entropy(x, w, t, linear_bias=ember.zeros(4))
    with pytest.raises(RuntimeError, match=re.escape(
            "linear_cross_entropy: expected linear_bias shape [5, 2, 3], got [5]")):
        F.linear_cross_entropy(x, ember.zeros(5, 2, 3, 4), ember.zeros(6, 2, 3, dtype=ember.int64),
                               linear_bias=ember.zeros(5))
    with pytest.raises(TypeError, match="linear_cross_entropy: expected target to be a Tensor"):
        F.linear_cross_entropy(x, w, [0, 1])
