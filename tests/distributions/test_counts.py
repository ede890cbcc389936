import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
from dist_helpers import D, assert_moments, both
from reference import check, close

R = np.random.default_rng(0)
RATE = R.uniform(0.5, 5.0, (3, 2))
RATE2 = R.uniform(0.5, 5.0, (3, 2))
K = R.integers(0, 8, (3, 2)).astype(np.float64)
P = R.uniform(0.05, 0.95, (3, 2))
P2 = R.uniform(0.05, 0.95, (3, 2))
N = np.array([[5.0, 7.0], [10.0, 10.0], [8.0, 9.0]])


def test_poisson():
    check(lambda r, k: D(r).Poisson(r).log_prob(k), RATE, K, grad_inputs=[0])
    check(lambda a, b: D(a).kl_divergence(D(a).Poisson(a), D(a).Poisson(b)), RATE, RATE2)
    e, t = both(lambda d, r: d.Poisson(r), RATE)
    for name in ("mean", "mode", "variance", "stddev"):
        close(getattr(e, name), getattr(t, name), what=name)
    close(e.expand((2, 3, 2)).log_prob(ember.tensor(K)),
          t.expand((2, 3, 2)).log_prob(torch.tensor(K)))
    ember.manual_seed(0)
    for shape in [(), (4,), (2, 3)]:
        s = e.sample(shape)
        assert s.shape == tuple(shape) + (3, 2) and s.dtype == ember.float64
    assert_moments(e.sample((20000,)), RATE, RATE, k=6)


@pytest.mark.parametrize("param", ["probs", "logits"])
def test_binomial(param):
    arr = P if param == "probs" else np.log(P / (1 - P))
    check(lambda n, p, k: D(p).Binomial(n, **{param: p}).log_prob(k), N, arr, K,
          grad_inputs=[1])
    e, t = both(lambda d, n, p: d.Binomial(n, **{param: p}), N, arr)
    for name in ("mean", "mode", "variance", "stddev", "probs", "logits"):
        close(getattr(e, name), getattr(t, name), what=name)
    close(e.expand((2, 3, 2)).log_prob(ember.tensor(K)),
          t.expand((2, 3, 2)).log_prob(torch.tensor(K)))


def test_binomial_scalar_count_entropy_support():
    check(lambda p: D(p).Binomial(6, probs=p).entropy(), P)
    e, t = both(lambda d, p: d.Binomial(6, probs=p), P)
    close(e.enumerate_support(), t.enumerate_support())
    close(e.enumerate_support(expand=False), t.enumerate_support(expand=False))
    ember.manual_seed(1)
    for shape in [(), (4,)]:
        s = e.sample(shape)
        assert s.shape == tuple(shape) + (3, 2) and s.dtype == ember.float64
    assert_moments(e.sample((20000,)), 6 * P, 6 * P * (1 - P), k=6)


def test_kl_binomial():
    check(lambda a, b: D(a).kl_divergence(D(a).Binomial(10, probs=a),
                                          D(a).Binomial(10, probs=b)), P, P2)
    e, t = both(lambda d, a, b: d.kl_divergence(d.Binomial(torch.tensor([10., 12.]) if d is
                                                           torch.distributions else
                                                           ember.tensor([10., 12.]), probs=a),
                                                d.Binomial(10, probs=b)),
                np.array([0.3, 0.4]), np.array([0.5, 0.6]))
    close(e, t)


def test_count_errors():
    with pytest.raises(ValueError, match=r"Expected parameter rate .* of distribution Poisson.*"
                                         r"GreaterThanEq\(lower_bound=0.0\)"):
        ED.Poisson(ember.tensor([-1.0]))
    with pytest.raises(ValueError, match=r"within the support \(IntegerGreaterThan\(lower_bound"
                                         r"=0\)\)"):
        ED.Poisson(ember.tensor([1.0])).log_prob(ember.tensor([0.5]))
    with pytest.raises(ValueError, match="Binomial: either `probs` or `logits`"):
        ED.Binomial(3)
    with pytest.raises(ValueError, match=r"Expected parameter total_count .*IntegerGreaterThan"):
        ED.Binomial(ember.tensor([1.5]), probs=ember.tensor([0.5]))
    with pytest.raises(ValueError, match=r"within the support \(IntegerInterval"):
        ED.Binomial(3, probs=ember.tensor([0.5])).log_prob(ember.tensor([4.0]))
    d = ED.Binomial(ember.tensor([3.0, 4.0]), probs=ember.tensor([0.5, 0.5]))
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count"):
        d.entropy()
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        ED.kl_divergence(ED.Binomial(3, probs=ember.tensor([0.5])),
                         ED.Binomial(4, probs=ember.tensor([0.5])))
