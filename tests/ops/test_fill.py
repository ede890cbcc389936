import numpy as np
import pytest
import torch

import ember
from reference import close, rand


def test_zero_fill_copy_match_torch():
    a = rand((2, 3))
    e, t = ember.tensor(a), torch.tensor(a)
    close(e.clone().zero_(), t.clone().zero_())
    close(e.clone().fill_(2.5), t.clone().fill_(2.5))
    close(e.clone().fill_(ember.tensor(4.0)), t.clone().fill_(torch.tensor(4.0)))
    src = rand((3,), 1)
    close(e.clone().copy_(ember.tensor(src)), t.clone().copy_(torch.tensor(src)))


def test_copy_casts_to_destination_dtype():
    e = ember.zeros(3, dtype=ember.int64)
    e.copy_(ember.tensor([1.7, 2.2, -3.9]))
    assert e.dtype == ember.int64 and e.tolist() == [1, 2, -3]


def test_copy_gradient_reaches_source_not_old_value():
    a, s = rand((2, 3)), rand((3,), 1)
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        src = lib.tensor(s, requires_grad=True)
        y = x * 2
        y.copy_(src * 3)
        (y * lib.tensor(a)).sum().backward()
        if lib is ember:
            ex, es = x.grad, src.grad
        else:
            close(ex, x.grad)
            close(es, src.grad)


def test_fill_with_tensor_value_is_differentiable():
    v = ember.tensor(2.0, requires_grad=True)
    y = ember.zeros(4) * v
    y.fill_(v * 3)
    y.sum().backward()
    assert v.grad.item() == pytest.approx(12.0)


def test_fill_leaf_requiring_grad_raises_outside_no_grad():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.fill_(0.0)
    with ember.no_grad():
        w.fill_(0.0)
    assert w.tolist() == [0, 0, 0]


def test_copy_shape_mismatch_names_shapes():
    with pytest.raises(RuntimeError, match=r"copy_: source of shape \[4\].*\[2, 3\]"):
        ember.zeros(2, 3).copy_(ember.ones(4))


def test_fill_with_non_scalar_tensor_raises():
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        ember.zeros(3).fill_(ember.ones(2))


@pytest.mark.parametrize("fill,check", [
    (lambda t: t.uniform_(-2, 3), lambda a: (a >= -2).all() and (a < 3).all()),
    (lambda t: t.normal_(1.0, 0.5),
     lambda a: abs(a.mean() - 1.0) < 0.05 and abs(a.std() - 0.5) < 0.05),
    (lambda t: t.bernoulli_(0.3),
     lambda a: set(np.unique(a)) <= {0.0, 1.0} and abs(a.mean() - 0.3) < 0.05),
    (lambda t: t.random_(0, 5), lambda a: set(np.unique(a)) <= {0, 1, 2, 3, 4}),
    (lambda t: t.exponential_(2.0), lambda a: (a >= 0).all() and abs(a.mean() - 0.5) < 0.05),
])
def test_random_fills_have_the_right_distribution(fill, check):
    t = ember.empty(4000)
    assert fill(t) is t
    assert check(t.numpy())


def test_random_fills_are_reproducible_with_manual_seed():
    ember.manual_seed(7)
    a = ember.empty(5).normal_().tolist()
    ember.manual_seed(7)
    assert ember.empty(5).normal_().tolist() == a
    g = ember.Generator().manual_seed(3)
    b = ember.empty(5).uniform_(generator=g).tolist()
    assert ember.empty(5).uniform_(generator=ember.Generator().manual_seed(3)).tolist() == b


def test_bad_random_fill_arguments_raise():
    with pytest.raises(RuntimeError, match="from <= to"):
        ember.empty(3).uniform_(2, 1)
    with pytest.raises(RuntimeError, match="std >= 0"):
        ember.empty(3).normal_(0, -1)
    with pytest.raises(RuntimeError, match="0 <= p <= 1"):
        ember.empty(3).bernoulli_(1.5)


def test_fills_bump_the_version_counter():
    x = ember.ones(3)
    v = x._version
    x.zero_()
    x.fill_(1.0)
    x.copy_(ember.zeros(3))
    x.normal_()
    assert x._version == v + 4
