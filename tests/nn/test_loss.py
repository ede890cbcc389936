"""ember.nn.functional losses against torch.nn.functional (float64)."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as F
from reference import check, rand

REDUCTIONS = ["mean", "sum", "none"]


def loss(name, **kwargs):
    """``F.name(*tensors, **kwargs)`` on Ember tensors, torch's on torch ones.

    Keyword values that are NumPy arrays become tensors of the same kind.
    """
    def call(*tensors):
        is_ember = isinstance(tensors[0], ember.Tensor)
        mod, make = (F, ember.tensor) if is_ember else (TF, torch.tensor)
        kw = {k: make(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        return getattr(mod, name)(*tensors, **kw)
    return call


def targets(shape, classes, seed, ignore=None):
    t = np.random.default_rng(seed).integers(0, classes, shape)
    if ignore is not None and t.size:
        t.reshape(-1)[::3] = ignore  # every third target is ignored
    return t


def probabilities(shape, seed, dim=1):
    e = np.exp(rand(shape, seed))
    return e / e.sum(axis=dim if len(shape) > 1 else 0, keepdims=True)


# --- cross entropy and NLL, class indices -------------------------------------

SHAPES = [((5, 4), (5,)), ((4,), ()), ((2, 4, 3), (2, 3)), ((2, 3, 2, 2), (2, 2, 2)),
          ((0, 4), (0,))]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,tshape", SHAPES)
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_index_losses_match_torch(name, shape, tshape, reduction):
    classes = shape[0] if len(shape) == 1 else shape[1]
    check(loss(name, reduction=reduction), rand(shape, 0), targets(tshape, classes, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,tshape", SHAPES[:4])
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_weights_and_ignore_index_match_torch(name, shape, tshape, reduction):
    classes = shape[0] if len(shape) == 1 else shape[1]
    t = targets(tshape, classes, 2, ignore=-1 if tshape else None)
    w = rand((classes,), 3, positive=True)
    # torch has no gradient for the class weights of nll_loss: compare the input's only.
    check(loss(name, weight=w, ignore_index=-1, reduction=reduction), rand(shape, 4), t,
          grad_inputs=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape,tshape", SHAPES[:4])
def test_label_smoothing_with_class_indices_matches_torch(shape, tshape, weighted, reduction):
    classes = shape[0] if len(shape) == 1 else shape[1]
    t = targets(tshape, classes, 5, ignore=7 if tshape else None)
    w = rand((classes,), 6, positive=True) if weighted else None
    check(loss("cross_entropy", weight=w, ignore_index=7, reduction=reduction,
               label_smoothing=0.3), rand(shape, 7), t, grad_inputs=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_fused_cross_entropy_with_ignored_targets_matches_torch(reduction):
    # (N, C) logits without class weights or smoothing take one fused node.
    t = targets((6,), 4, 11, ignore=-100)
    out = check(loss("cross_entropy", reduction=reduction), rand((6, 4), 12), t, grad_inputs=[0])
    assert out.grad_fn.name() == "SoftmaxCrossEntropyBackward0"


def test_fused_cross_entropy_float32_gradient_matches_torch():
    r = np.random.default_rng(13)
    x = (r.standard_normal((256, 512)) * 3).astype(np.float32)
    t = r.integers(0, 512, 256)
    grads = []
    for mod, fn in ((ember, F.cross_entropy), (torch, TF.cross_entropy)):
        xt = mod.tensor(x, requires_grad=True)
        value = fn(xt, mod.tensor(t))
        value.backward()
        grads.append((value.item(), xt.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-6)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0.0, 80.0, 120.0, 800.0, -120.0, -800.0])
def test_fused_cross_entropy_matches_torch_where_exp_overflows_or_underflows(dtype, offset):
    # Rows are exponentiated unshifted when that is safe; rows whose exp would
    # overflow or vanish (some of them here, per dtype) take the max-shifted path.
    r = np.random.default_rng(14)
    x = (r.standard_normal((64, 40)) * 3 + offset).astype(dtype)
    x[::7] -= offset  # some ordinary rows in every batch
    t = r.integers(0, 40, 64)
    results = []
    for mod, fn in ((ember, F.cross_entropy), (torch, TF.cross_entropy)):
        xt = mod.tensor(x, requires_grad=True)
        value = fn(xt, mod.tensor(t))
        value.backward()
        results.append((value.item(), xt.grad.numpy()))
    assert np.isfinite(results[0][0])
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=rtol)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=rtol, atol=1e-9)


def test_ignore_index_inside_the_class_range():
    t = np.array([0, 2, 2, 1])
    check(loss("cross_entropy", ignore_index=2), rand((4, 3), 8), t)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_every_target_ignored_gives_nan_mean_and_zero_grads_like_torch(name):
    out = check(loss(name), rand((3, 4), 9), np.array([-100, -100, -100]))
    assert np.isnan(out.item())


def test_int32_targets_are_accepted():
    a, t = rand((3, 4), 10), np.array([0, 3, 1], np.int32)
    ours = F.cross_entropy(ember.tensor(a), ember.tensor(t).to(ember.int32))
    ref = TF.cross_entropy(torch.tensor(a), torch.tensor(t).long())
    np.testing.assert_allclose(ours.item(), ref.item())


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 3), classes=st.integers(1, 4),
       extra=st.lists(st.integers(1, 3), max_size=2), reduction=st.sampled_from(REDUCTIONS),
       smoothing=st.sampled_from([0.0, 0.2]), weighted=st.booleans())
def test_k_dim_cross_entropy_property(batch, classes, extra, reduction, smoothing, weighted):
    shape = (batch, classes, *extra)
    t = targets((batch, *extra), classes, 40, ignore=-100)
    w = rand((classes,), 41, positive=True) if weighted else None
    check(loss("cross_entropy", weight=w, reduction=reduction, label_smoothing=smoothing),
          rand(shape, 42), t, grad_inputs=[0], second=False)


def test_float32_logits_give_a_float32_loss():
    x = ember.tensor(rand((4, 3), 43)).to(ember.float32)
    assert F.cross_entropy(x, ember.tensor([0, 1, 2, 0])).dtype == ember.float32


# --- cross entropy, class probabilities ---------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 4, 3)])
def test_probability_targets_match_torch_including_target_and_weight_grads(shape, smoothing,
                                                                          reduction):
    classes = shape[0] if len(shape) == 1 else shape[1]
    p = probabilities(shape, 11)
    check(loss("cross_entropy", reduction=reduction, label_smoothing=smoothing),
          rand(shape, 12), p)
    check(lambda x, t, w: loss("cross_entropy", reduction=reduction,
                               label_smoothing=smoothing)(x, t, w),
          rand(shape, 13), p, rand((classes,), 14, positive=True))


# --- regression losses --------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs", [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}), ("huber_loss", {"delta": 0.4}),
])
@pytest.mark.parametrize("shape", [(), (6,), (3, 4), (0, 2)])
def test_regression_losses_match_torch(name, kwargs, shape, reduction):
    check(loss(name, reduction=reduction, **kwargs), rand(shape, 15), rand(shape, 16))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_elementwise_weights_match_torch(name, reduction):
    w = rand((3, 4), 17, positive=True)
    check(loss(name, reduction=reduction, weight=w), rand((3, 4), 18), rand((3, 4), 19))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_broadcast_targets_warn_and_match_torch(name):
    with pytest.warns(UserWarning, match="different to the input size"):
        check(loss(name), rand((3, 4), 20), rand((4,), 21))


def test_mismatched_regression_shapes_raise():
    with pytest.raises(RuntimeError, match=r"mse_loss: shapes \[3, 4\] and \[3\] cannot be "
                                           "broadcast"):
        F.mse_loss(ember.tensor(rand((3, 4))), ember.tensor(rand((3,))))
    with pytest.raises(ValueError, match=r"l1_loss: expected weight of the input's shape "
                                         r"\[3\], got \[2\]"):
        x = ember.tensor(rand((3,)))
        F.l1_loss(x, x, weight=ember.tensor(rand((2,))))
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be >= 0, got -1"):
        F.smooth_l1_loss(ember.tensor(rand((3,))), ember.tensor(rand((3,))), beta=-1)
    with pytest.raises(ValueError, match="huber_loss: delta must be > 0, got 0"):
        F.huber_loss(ember.tensor(rand((3,))), ember.tensor(rand((3,))), delta=0)


# --- binary cross entropy -----------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,wshape", [((6,), None), ((3, 4), (3, 4)), ((3, 4), (4,)),
                                          ((), None), ((0, 3), None)])
def test_binary_cross_entropy_matches_torch(shape, wshape, reduction):
    x = rand(shape, 22, 0.05, 0.95)
    y = rand(shape, 23, 0.0, 1.0)
    w = None if wshape is None else rand(wshape, 24, positive=True)
    check(loss("binary_cross_entropy", weight=w, reduction=reduction), x, y)


def test_binary_cross_entropy_clamps_log_at_saturated_inputs():
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-50])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3])
    check(loss("binary_cross_entropy", reduction="none"), x, y, grad_inputs=[0], second=False)


def test_binary_cross_entropy_rejects_values_outside_0_1():
    with pytest.raises(RuntimeError, match="binary_cross_entropy: all elements of input should "
                                           "be between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([0.5, 1.5]), ember.tensor([0.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("with_pos_weight", [False, True])
def test_bce_with_logits_matches_torch(with_pos_weight, with_weight, reduction):
    def run(x, y, *extra):
        kw = {}
        if with_pos_weight:
            kw["pos_weight"] = extra[0]
        if with_weight:
            kw["weight"] = extra[-1]
        mod = F if isinstance(x, ember.Tensor) else TF
        return mod.binary_cross_entropy_with_logits(x, y, reduction=reduction, **kw)
    extra = ([rand((4,), 25, positive=True)] if with_pos_weight else []) + \
            ([rand((3, 4), 26, positive=True)] if with_weight else [])
    # torch differentiates neither weight nor pos_weight: compare input and target grads.
    check(run, rand((3, 4), 27, -4, 4), rand((3, 4), 28, 0.0, 1.0), *extra, grad_inputs=[0, 1])


def test_bce_with_logits_is_stable_for_huge_logits():
    x = np.array([-1000.0, -60.0, 60.0, 1000.0])
    out = check(loss("binary_cross_entropy_with_logits", reduction="none"), x,
                np.array([1.0, 0.2, 0.7, 0.0]))
    assert np.isfinite(out.detach().numpy()).all()


# --- KL divergence ------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    p = probabilities((3, 5), 29)
    q = np.log(probabilities((3, 5), 30))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 'mean' warns in both frameworks
        check(loss("kl_div", reduction=reduction, log_target=log_target), q,
              np.log(p) if log_target else p)


def test_kl_div_with_zero_target_probabilities():
    p = np.array([[0.0, 0.4, 0.6], [0.5, 0.5, 0.0]])
    check(loss("kl_div", reduction="batchmean"), rand((2, 3), 31), p, grad_inputs=[0])


# --- errors -------------------------------------------------------------------


def _logits(shape=(3, 5)):
    return ember.tensor(rand(shape, 32))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "mse_loss", "l1_loss",
                                  "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "kl_div"])
def test_bad_reduction_is_a_value_error_naming_it(name):
    if name in ("cross_entropy", "nll_loss"):
        x, t = _logits(), ember.tensor([0, 1, 2])
    else:
        x = t = ember.tensor(rand((3,), 33, 0.1, 0.9))
    with pytest.raises(ValueError, match=f"{name}: reduction must be one of .*got 'avg'"):
        getattr(F, name)(x, t, reduction="avg")


def test_target_shape_mismatch():
    with pytest.raises(ValueError, match=r"cross_entropy: expected target of shape \[3\] \(the "
                                         r"input's \[3, 5\] without class dim 1\), got \[2\]"):
        F.cross_entropy(_logits(), ember.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"nll_loss: expected target of shape \[3, 2\]"):
        F.nll_loss(_logits((3, 5, 2)), ember.tensor(np.zeros((3, 3), np.int64)))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: expected target of the input's "
                                         r"shape \[3\], got \[3, 1\]"):
        F.binary_cross_entropy(ember.tensor([0.5] * 3), ember.tensor([[0.5]] * 3))


def test_class_index_out_of_range_names_value_and_classes():
    with pytest.raises(IndexError, match=r"cross_entropy: target 7 is out of bounds for 5 "
                                         r"classes \(expected values in \[0, 4\]"):
        F.cross_entropy(_logits(), ember.tensor([1, 7, 2]))
    with pytest.raises(IndexError, match="nll_loss: target -3 is out of bounds for 5 classes"):
        F.nll_loss(_logits(), ember.tensor([1, -3, 2]))


def test_float_target_in_class_index_mode():
    with pytest.raises(RuntimeError, match=r"cross_entropy: expected class indices of an "
                                           r"integer dtype, got target of dtype ember.float32"):
        F.cross_entropy(_logits(), ember.tensor([1.0, 2.0, 0.0]))
    with pytest.raises(RuntimeError, match="nll_loss: expected class indices of an integer"):
        F.nll_loss(_logits(), ember.tensor(rand((3, 5), 35)))


def test_other_cross_entropy_errors():
    with pytest.raises(RuntimeError, match=r"cross_entropy: expected weight of shape \[5\] "
                                           r"\(one per class\), got \[4\]"):
        F.cross_entropy(_logits(), ember.tensor([0, 1, 2]), weight=ember.ones(4))
    with pytest.raises(RuntimeError, match="cross_entropy: ignore_index is not supported for "
                                           "class-probability"):
        F.cross_entropy(_logits(), ember.tensor(probabilities((3, 5), 36)), ignore_index=1)
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be in \[0, 1\], "
                                         "got 1.5"):
        F.cross_entropy(_logits(), ember.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="cross_entropy: expected input of shape .* got a 0-d"):
        F.cross_entropy(ember.tensor(1.0), ember.tensor(0))


def test_legacy_size_average_and_reduce_map_to_reduction():
    x, t = rand((3, 4), 37), rand((3, 4), 38)
    for size_average, reduce, reduction in [(False, None, "sum"), (None, False, "none"),
                                            (True, True, "mean")]:
        with pytest.warns(UserWarning, match=f"reduction='{reduction}'"):
            ours = F.mse_loss(ember.tensor(x), ember.tensor(t), size_average, reduce)
        ref = TF.mse_loss(torch.tensor(x), torch.tensor(t), reduction=reduction)
        np.testing.assert_allclose(ours.numpy(), ref.numpy())
