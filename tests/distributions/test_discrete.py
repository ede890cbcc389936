import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
from dist_helpers import D, assert_moments, both
from reference import check, close

P = np.random.default_rng(1).uniform(0.05, 0.95, (3, 2))
Q = np.random.default_rng(2).uniform(0.05, 0.95, (3, 2))
LOGITS = np.random.default_rng(3).normal(size=(3, 2))
BITS = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
W = np.random.default_rng(4).uniform(0.1, 1.0, (2, 3, 4))
W2 = np.random.default_rng(5).uniform(0.1, 1.0, (2, 3, 4))
IDX = np.array([[0, 3, 1], [2, 2, 0]])


# ---- Bernoulli ---------------------------------------------------------------------

@pytest.mark.parametrize("param", ["probs", "logits"])
def test_bernoulli_log_prob_entropy(param):
    arr = P if param == "probs" else LOGITS
    check(lambda p: D(p).Bernoulli(**{param: p}).log_prob(torch.tensor(BITS) if isinstance(
        p, torch.Tensor) else ember.tensor(BITS)), arr)
    check(lambda p: D(p).Bernoulli(**{param: p}).entropy(), arr)
    e, t = both(lambda d, p: d.Bernoulli(**{param: p}), arr)
    for name in ("mean", "mode", "variance", "stddev", "probs", "logits"):
        close(getattr(e, name), getattr(t, name), what=name)
    close(e.enumerate_support(), t.enumerate_support())
    close(e.enumerate_support(expand=False), t.enumerate_support(expand=False))
    close(e.expand((4, 3, 2)).log_prob(ember.tensor(BITS)),
          t.expand((4, 3, 2)).log_prob(torch.tensor(BITS)))


def test_bernoulli_mode_at_half():
    e, t = both(lambda d, p: d.Bernoulli(probs=p), np.array([0.2, 0.5, 0.8]))
    close(e.mode, t.mode)


def test_bernoulli_grad_wrt_value():
    check(lambda p, x: D(p).Bernoulli(logits=p, validate_args=False).log_prob(x), LOGITS, P)


def test_bernoulli_sampling():
    ember.manual_seed(0)
    d = ED.Bernoulli(probs=ember.tensor(P))
    for shape in [(), (3,), (2, 2)]:
        s = d.sample(shape)
        assert s.shape == tuple(shape) + (3, 2) and s.dtype == ember.float64
    assert_moments(d.sample((20000,)), P, P * (1 - P))
    assert not ED.Bernoulli(probs=ember.tensor(P)).has_rsample


def test_kl_bernoulli():
    check(lambda a, b: D(a).kl_divergence(D(a).Bernoulli(probs=a), D(a).Bernoulli(probs=b)), P, Q)
    check(lambda a, b: D(a).kl_divergence(D(a).Bernoulli(logits=a), D(a).Bernoulli(logits=b)),
          LOGITS, LOGITS[::-1].copy())
    e, t = both(lambda d, a, b: d.kl_divergence(d.Bernoulli(probs=a), d.Bernoulli(probs=b)),
                np.array([0.0, 1.0, 0.3, 0.0]), np.array([0.0, 0.5, 1.0, 0.2]))
    close(e, t)


def test_bernoulli_errors():
    with pytest.raises(ValueError, match="Bernoulli: either `probs` or `logits` must be "
                                         "specified, but not both"):
        ED.Bernoulli(probs=ember.tensor([0.5]), logits=ember.tensor([0.0]))
    with pytest.raises(ValueError, match=r"Expected parameter probs .*Interval\(lower_bound=0.0, "
                                         r"upper_bound=1.0\)"):
        ED.Bernoulli(probs=ember.tensor([1.5]))


def test_bernoulli_value_outside_support():
    with pytest.raises(ValueError, match=r"within the support \(Boolean\(\)\)"):
        ED.Bernoulli(probs=ember.tensor([0.5])).log_prob(ember.tensor([0.5]))


# ---- Categorical -------------------------------------------------------------------

@pytest.mark.parametrize("param", ["probs", "logits"])
def test_categorical_log_prob_entropy(param):
    arr = W if param == "probs" else np.log(W)
    check(lambda p: D(p).Categorical(**{param: p}).log_prob(
        torch.tensor(IDX) if isinstance(p, torch.Tensor) else ember.tensor(IDX)), arr)
    check(lambda p: D(p).Categorical(**{param: p}).entropy(), arr)
    e, t = both(lambda d, p: d.Categorical(**{param: p}), arr)
    assert e.batch_shape == (2, 3) and e.event_shape == () and e.param_shape == (2, 3, 4)
    for name in ("mean", "mode", "variance", "probs", "logits"):
        close(getattr(e, name), getattr(t, name), what=name)
    close(e.enumerate_support(), t.enumerate_support())
    close(e.enumerate_support(expand=False), t.enumerate_support(expand=False))
    close(e.expand((5, 2, 3)).log_prob(ember.tensor(IDX)),
          t.expand((5, 2, 3)).log_prob(torch.tensor(IDX)))
    close(e.log_prob(e.enumerate_support()), t.log_prob(t.enumerate_support()))


def test_categorical_entropy_with_zero_probs():
    w = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    check(lambda p: D(p).Categorical(probs=p).entropy(), w, second=False)


def test_categorical_sampling():
    ember.manual_seed(1)
    d = ED.Categorical(probs=ember.tensor(W))
    for shape in [(), (3,), (2, 5)]:
        s = d.sample(shape)
        assert s.shape == tuple(shape) + (2, 3) and s.dtype == ember.int64
    s = d.sample((20000,)).numpy()
    probs = W / W.sum(-1, keepdims=True)
    for k in range(4):
        hits = (s == k).astype(np.float64)
        assert_moments(hits, probs[..., k], probs[..., k] * (1 - probs[..., k]))


def test_kl_categorical():
    check(lambda a, b: D(a).kl_divergence(D(a).Categorical(probs=a), D(a).Categorical(probs=b)),
          W, W2)
    e, t = both(lambda d, a, b: d.kl_divergence(d.Categorical(probs=a), d.Categorical(probs=b)),
                np.array([[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]]), np.array([[0.2, 0.8, 0.0],
                                                                      [0.5, 0.5, 0.0]]))
    close(e, t)


def test_categorical_errors():
    with pytest.raises(ValueError, match="Categorical: either `probs` or `logits`"):
        ED.Categorical()
    with pytest.raises(ValueError, match="one-dimensional"):
        ED.Categorical(probs=ember.tensor(1.0))
    with pytest.raises(ValueError, match=r"Expected parameter probs .*Simplex\(\)"):
        ED.Categorical(probs=ember.tensor([-0.5, 1.0]))
    with pytest.raises(ValueError, match=r"within the support \(IntegerInterval\(lower_bound=0, "
                                         r"upper_bound=3\)\)"):
        ED.Categorical(probs=ember.tensor(W)).log_prob(ember.tensor([4]))


# ---- OneHotCategorical -------------------------------------------------------------

def test_one_hot_categorical():
    onehot = np.eye(4)[IDX]
    check(lambda p: D(p).OneHotCategorical(probs=p).log_prob(
        torch.tensor(onehot) if isinstance(p, torch.Tensor) else ember.tensor(onehot)), W)
    check(lambda p: D(p).OneHotCategorical(logits=p).entropy(), np.log(W))
    e, t = both(lambda d, p: d.OneHotCategorical(probs=p), W)
    assert e.batch_shape == (2, 3) and e.event_shape == (4,)
    for name in ("mean", "mode", "variance", "probs", "logits"):
        close(getattr(e, name), getattr(t, name), what=name)
    close(e.enumerate_support(), t.enumerate_support())
    close(e.expand((5, 2, 3)).mean, t.expand((5, 2, 3)).mean)
    check(lambda a, b: D(a).kl_divergence(D(a).OneHotCategorical(probs=a),
                                          D(a).OneHotCategorical(probs=b)), W, W2)
    ember.manual_seed(2)
    s = e.sample((6,))
    assert s.shape == (6, 2, 3, 4) and s.dtype == ember.float64
    assert np.all(s.numpy().sum(-1) == 1)
    with pytest.raises(ValueError, match=r"within the support \(OneHot\(\)\)"):
        e.log_prob(ember.zeros(2, 3, 4, dtype=ember.float64))
