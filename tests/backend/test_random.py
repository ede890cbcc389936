"""Random numbers: seeding, generators, and the random factories' distributions."""

import numpy as np
import pytest
import torch

import ember


def _stream(**kw):
    return [ember.rand(5, **kw), ember.randn(2, 3, **kw), ember.randint(0, 100, (4,), **kw),
            ember.randperm(7, **kw), ember.normal(0.0, 1.0, (3,), **kw),
            ember.multinomial(ember.ones(10), 4, **kw),
            ember.bernoulli(ember.full((6,), 0.5), **kw)]


def _same(xs, ys):
    return all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(xs, ys))


def test_manual_seed_twice_gives_identical_streams():
    ember.manual_seed(1234)
    first = _stream()
    ember.manual_seed(1234)
    assert _same(first, _stream())
    ember.manual_seed(1235)
    assert not _same(first, _stream())
    assert ember.initial_seed() == 1235


def test_generator_is_independent_of_the_default_one():
    g = ember.Generator().manual_seed(7)
    ember.manual_seed(0)
    ours = _stream(generator=g)
    default_after = ember.rand(4)
    ember.manual_seed(0)
    assert np.array_equal(ember.rand(4).numpy(), default_after.numpy())  # untouched by g
    g2 = ember.Generator().manual_seed(7)
    ember.manual_seed(99)
    assert _same(ours, _stream(generator=g2))


def test_state_round_trip():
    ember.manual_seed(3)
    ember.rand(3)
    state = ember.get_rng_state()
    a = ember.randn(4)
    ember.rand(10)
    ember.set_rng_state(state)
    assert np.array_equal(ember.randn(4).numpy(), a.numpy())
    g = ember.Generator()
    s = g.get_state()
    x = ember.rand(3, generator=g)
    assert np.array_equal(ember.rand(3, generator=g.set_state(s)).numpy(), x.numpy())
    with pytest.raises(TypeError, match="expected a state dict"):
        g.set_state([1, 2])


def test_seed_range_like_torch():
    g, tg = ember.Generator(), torch.Generator()
    assert g.initial_seed() == tg.initial_seed()  # PyTorch's default seed
    assert g.manual_seed(-1).initial_seed() == tg.manual_seed(-1).initial_seed() == 2**64 - 1
    assert g.manual_seed(2**64 - 1).initial_seed() == 2**64 - 1
    with pytest.raises(RuntimeError, match="seed must be in"):
        g.manual_seed(2**64)
    s = g.seed()
    assert g.initial_seed() == s and 0 <= s < 2**64
    assert g.device == ember.Device("cpu") and repr(g.device) == repr(tg.device)


def test_bad_generator_argument():
    with pytest.raises(TypeError, match="rand: expected generator to be an ember.Generator"):
        ember.rand(2, generator=np.random.default_rng(0))


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16, ember.float32, ember.float64])
def test_rand_range_shape_dtype(dtype):
    ember.manual_seed(0)
    x = ember.rand(200, 50, dtype=dtype)
    assert x.shape == (200, 50) and x.dtype is dtype
    v = x.float().numpy()
    assert v.min() >= 0 and v.max() < 1
    assert abs(v.mean() - 0.5) < 0.01 and abs(v.var() - 1 / 12) < 0.005
    assert ember.rand((3,)).shape == (3,) and ember.rand(()).shape == ()


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16, ember.float32, ember.float64])
def test_randn_moments(dtype):
    ember.manual_seed(1)
    v = ember.randn(20000, dtype=dtype).float().numpy()
    assert abs(v.mean()) < 0.03 and abs(v.std() - 1) < 0.03


def test_randint_range_and_dtype():
    ember.manual_seed(2)
    x = ember.randint(3, 7, (1000,))
    assert x.dtype is ember.int64 and set(np.unique(x.numpy())) == {3, 4, 5, 6}
    assert set(np.unique(ember.randint(2, (100,)).numpy())) == {0, 1}
    assert ember.randint(10, size=(2, 2)).shape == (2, 2)
    assert ember.randint(0, 5, (3,), dtype=ember.float32).dtype is ember.float32
    assert ember.randint(-3, 0, (50,), dtype=ember.int8).numpy().min() >= -3
    assert ember.randint_like(ember.zeros(2, 3), 4).shape == (2, 3)
    assert ember.randint_like(ember.zeros(2, dtype=ember.int32), 1, 4).dtype is ember.int32


def test_randint_errors():
    with pytest.raises(RuntimeError, match="expected low < high, got low=5, high=5"):
        ember.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="expected a size tuple"):
        ember.randint(5)
    with pytest.raises(RuntimeError, match="within the range of ember.uint8"):
        ember.randint(0, 300, (2,), dtype=ember.uint8)


def test_randperm():
    ember.manual_seed(3)
    p = ember.randperm(50)
    assert p.dtype is ember.int64 and sorted(p.tolist()) == list(range(50))
    assert ember.randperm(0).shape == (0,)
    assert ember.randperm(4, dtype=ember.float32).dtype is ember.float32
    with pytest.raises(RuntimeError, match="n must be non-negative"):
        ember.randperm(-1)


def test_random_factories_reject_integer_dtypes():
    for fn, name in ((ember.rand, "rand"), (ember.randn, "randn")):
        with pytest.raises(TypeError, match=f"{name}: expected a floating dtype, got ember.int64"):
            fn(2, dtype=ember.int64)
    with pytest.raises(TypeError, match="rand_like: expected a floating dtype"):
        ember.rand_like(ember.zeros(2, dtype=ember.int32))


def test_like_factories_keep_shape_and_dtype():
    x = ember.zeros(2, 3, dtype=ember.float64)
    for fn in (ember.rand_like, ember.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype is ember.float64
    assert ember.randn_like(x, requires_grad=True).requires_grad


def test_normal_overloads():
    ember.manual_seed(4)
    x = ember.normal(2.0, 3.0, (20000,))
    assert x.dtype is ember.float32
    assert abs(x.numpy().mean() - 2) < 0.1 and abs(x.numpy().std() - 3) < 0.1
    mean = ember.tensor([[0.0], [100.0]], dtype=ember.float64)
    y = ember.normal(mean, ember.full((1, 3000), 0.5, dtype=ember.float64))
    assert y.shape == (2, 3000) and y.dtype is ember.float64
    np.testing.assert_allclose(y.numpy().mean(axis=1), [0, 100], atol=0.05)
    assert ember.normal(mean).shape == (2, 1)
    assert ember.normal(1.0, ember.ones(4)).shape == (4,)


def test_normal_errors():
    with pytest.raises(RuntimeError, match="expected std >= 0.0, got std -1.0"):
        ember.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match="all elements of std >= 0.0"):
        ember.normal(ember.zeros(2), ember.tensor([1.0, -1.0]))
    with pytest.raises(TypeError, match="expected a size argument"):
        ember.normal(0.0, 1.0)
    with pytest.raises(TypeError, match="expected mean of a floating dtype"):
        ember.normal(ember.zeros(2, dtype=ember.int64), 1.0)


def test_samples_from_parameters_have_zero_gradient_like_torch():
    m = ember.zeros(3, requires_grad=True)
    s = ember.ones(3, requires_grad=True)
    out = ember.normal(m, s)
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), np.zeros(3))
    np.testing.assert_array_equal(s.grad.numpy(), np.zeros(3))
    p = ember.full((3,), 0.5, requires_grad=True)
    ember.bernoulli(p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(3))


def test_bernoulli():
    ember.manual_seed(5)
    p = ember.tensor([0.0, 1.0, 0.3], dtype=ember.float64)
    draws = np.stack([ember.bernoulli(p).numpy() for _ in range(2000)])
    assert draws.dtype == np.float64
    np.testing.assert_allclose(draws.mean(axis=0), [0, 1, 0.3], atol=0.04)
    assert ember.bernoulli(ember.zeros(4), 1.0).tolist() == [1.0] * 4
    with pytest.raises(RuntimeError, match=r"expected all probabilities in \[0, 1\]"):
        ember.bernoulli(ember.tensor([1.5]))
    with pytest.raises(TypeError, match="bernoulli: expected a floating point tensor"):
        ember.bernoulli(ember.tensor([1]))


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_frequencies(replacement):
    ember.manual_seed(6)
    w = np.array([1.0, 0.0, 3.0, 6.0])
    counts = np.zeros(4)
    for _ in range(3000):
        counts += np.bincount(ember.multinomial(ember.tensor(w), 1, replacement).numpy(),
                              minlength=4)
    np.testing.assert_allclose(counts / counts.sum(), w / w.sum(), atol=0.03)
    assert counts[1] == 0


def test_multinomial_without_replacement_draws_distinct_categories():
    ember.manual_seed(7)
    w = ember.tensor([[1.0, 2.0, 3.0, 4.0, 5.0], [5.0, 0.0, 1.0, 1.0, 1.0]])
    out = ember.multinomial(w, 4)
    assert out.shape == (2, 4) and out.dtype is ember.int64
    for row in out.tolist():
        assert len(set(row)) == 4
    assert 1 not in out[1].tolist()
    # first draws follow the weights: category 4 first in row 0 with probability 1/3
    firsts = np.array([ember.multinomial(w[0], 2)[0].item() for _ in range(3000)])
    np.testing.assert_allclose(np.bincount(firsts, minlength=5) / 3000,
                               np.arange(1, 6) / 15, atol=0.03)


def test_multinomial_with_replacement_shapes_and_zero_tail():
    ember.manual_seed(8)
    w = ember.tensor([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]], dtype=ember.float64)
    out = ember.multinomial(w, 500, replacement=True)
    assert out.shape == (2, 500)
    assert set(out[0].tolist()) == {1} and set(out[1].tolist()) == {0, 1}


@pytest.mark.parametrize("weights,n,replacement,err,match", [
    ([1.0, 2.0], 3, False, RuntimeError, "cannot sample 3 > 2 categories without replacement"),
    ([1.0, 0.0, 0.0], 2, False, RuntimeError, "fewer than num_samples=2 categories"),
    ([1.0, -1.0], 1, True, RuntimeError, "finite and non-negative"),
    ([1.0, float("nan")], 1, True, RuntimeError, "finite and non-negative"),
    ([0.0, 0.0], 1, True, RuntimeError, "positive sum"),
    ([1.0, 1.0], 0, True, RuntimeError, "num_samples=0 <= 0"),
    ([[[1.0]]], 1, True, RuntimeError, "expected 1-D or 2-D weights, got 3-D"),
])
def test_multinomial_errors(weights, n, replacement, err, match):
    with pytest.raises(err, match=match):
        ember.multinomial(ember.tensor(weights), n, replacement)


def test_multinomial_rejects_integer_weights():
    with pytest.raises(TypeError, match="expected a floating point tensor of weights, got "
                                        "ember.int64"):
        ember.multinomial(ember.tensor([1, 2]), 1)
