"""clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_ against torch."""

import math

import numpy as np
import pytest
import torch

import ember
from ember.nn.utils import (clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_,
                            get_total_norm)


def pair(scale=1.0, seed=0, shapes=((3, 4), (5,), (2, 1, 3))):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(scale=scale, size=s) for s in shapes]
    ours = [ember.zeros(s, dtype=ember.float64, requires_grad=True) for s in shapes]
    ref = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for p, t, g in zip(ours, ref, grads):
        p.grad, t.grad = ember.tensor(g.copy()), torch.tensor(g.copy())
    return ours, ref


def same_grads(ours, ref):
    for p, t in zip(ours, ref):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])  # clipping, and a no-op
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, ref = pair(scale=2.0)
    nt = float(norm_type)
    total = clip_grad_norm_(ours, max_norm, norm_type=nt)
    ttotal = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type=nt)
    assert isinstance(total, ember.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-12)
    same_grads(ours, ref)


def test_single_tensor_and_params_without_grad():
    ours, ref = pair()
    extra, textra = ember.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    total = clip_grad_norm_(ours + [extra], 0.1)
    ttotal = torch.nn.utils.clip_grad_norm_(ref + [textra], 0.1)
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-12)
    same_grads(ours, ref)
    assert extra.grad is None
    total = clip_grad_norm_(ours[0], 0.01)
    torch.nn.utils.clip_grad_norm_(ref[0], 0.01)
    same_grads(ours, ref)
    assert clip_grad_norm_([extra], 1.0).item() == 0.0


def test_error_if_nonfinite():
    ours, ref = pair()
    ours[1].grad._array[0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    assert np.isinf(ours[1].grad.numpy()[0])  # left unchanged
    ours[1].grad._array[0] = np.nan
    ref[1].grad[0] = np.nan
    total = clip_grad_norm_(ours, 1.0)  # no error: gradients scaled by nan, as torch
    ttotal = torch.nn.utils.clip_grad_norm_(ref, 1.0)
    assert math.isnan(total.item()) and math.isnan(ttotal.item())
    same_grads(ours, ref)


@pytest.mark.parametrize("clip_value", [0.3, 5])
def test_clip_grad_value_matches_torch(clip_value):
    ours, ref = pair(scale=1.0)
    clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(ref, clip_value)
    same_grads(ours, ref)


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    ours, ref = pair(scale=3.0)
    total = get_total_norm([p.grad for p in ours], norm_type=1.0)
    ttotal = torch.nn.utils.get_total_norm([t.grad for t in ref], norm_type=1.0)
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-12)
    clip_grads_with_norm_(ours, 2.0, total)
    torch.nn.utils.clip_grads_with_norm_(ref, 2.0, ttotal)
    same_grads(ours, ref)


def test_float32_grads_stay_float32():
    p = ember.ones(4, requires_grad=True)
    p.grad = ember.full((4,), 3.0)
    total = clip_grad_norm_([p], 1.0)
    assert total.dtype == ember.float32 and p.grad.dtype == ember.float32
    np.testing.assert_allclose(np.linalg.norm(p.grad.numpy()), 1.0, rtol=1e-5)
