import numpy as np
import pytest

import ember
import ember.distributions as ED
from dist_helpers import D, both
from reference import check, close, rand

LOC = rand((2, 3, 4), seed=1)
SCALE = rand((2, 3, 4), seed=2, positive=True)
X = rand((2, 3, 4), seed=3)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_independent_normal(n):
    check(lambda m, s, x: D(m).Independent(D(m).Normal(m, s), n).log_prob(x), LOC, SCALE, X)
    check(lambda m, s: D(m).Independent(D(m).Normal(m, s), n).entropy(), LOC, SCALE)
    e, t = both(lambda d, m, s: d.Independent(d.Normal(m, s), n), LOC, SCALE)
    assert e.batch_shape == tuple(t.batch_shape) and e.event_shape == tuple(t.event_shape)
    for name in ("mean", "mode", "variance", "stddev"):
        close(getattr(e, name), getattr(t, name), what=name)
    assert e.has_rsample and repr(e.support) == repr(t.support)
    batch = (5,) + tuple(t.batch_shape)
    close(e.expand(batch).log_prob(ember.tensor(X)), t.expand(batch).log_prob(
        __import__("torch").tensor(X)))
    assert e.expand(batch).batch_shape == batch
    check(lambda a, b, c, d: D(a).kl_divergence(D(a).Independent(D(a).Normal(a, b), n),
                                                D(a).Independent(D(a).Normal(c, d), n)),
          LOC, SCALE, X, SCALE[::-1].copy())


def test_independent_sampling_shapes():
    d = ED.Independent(ED.Normal(ember.tensor(LOC), ember.tensor(SCALE)), 2)
    assert d.sample((7,)).shape == (7, 2, 3, 4)
    assert d.rsample().shape == (2, 3, 4)


def test_independent_enumerate_support():
    probs = ember.tensor(np.full((2, 3), 0.3))
    assert ED.Independent(ED.Bernoulli(probs=probs), 0).has_enumerate_support
    d = ED.Independent(ED.Bernoulli(probs=probs), 1)
    assert not d.has_enumerate_support
    with pytest.raises(NotImplementedError, match="cartesian product"):
        d.enumerate_support()


def test_independent_errors():
    with pytest.raises(ValueError, match=r"Expected reinterpreted_batch_ndims <= "
                                         r"len\(base_distribution.batch_shape\), actual 4 vs 3"):
        ED.Independent(ED.Normal(ember.tensor(LOC), ember.tensor(SCALE)), 4)
    with pytest.raises(TypeError, match="expected base_distribution to be a Distribution"):
        ED.Independent(3, 1)
    n = ED.Normal(ember.tensor(LOC), ember.tensor(SCALE))
    with pytest.raises(NotImplementedError, match="different reinterpreted_batch_ndims"):
        ED.kl_divergence(ED.Independent(n, 1), ED.Independent(n, 2))
    with pytest.raises(ValueError, match="Value is not broadcastable"):
        ED.Independent(n, 2).log_prob(ember.zeros(5, dtype=ember.float64))
