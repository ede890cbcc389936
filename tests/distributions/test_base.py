import warnings

import pytest

import ember
import ember.distributions as ED
from ember.distributions import constraints as C


def t(x):
    return ember.tensor(x, dtype=ember.float64)


@pytest.mark.parametrize("constraint, good, bad", [
    (C.real, [0.0, -1e300], [float("nan")]),
    (C.positive, [1e-9], [0.0]),
    (C.nonnegative, [0.0], [-1e-9]),
    (C.unit_interval, [0.0, 1.0], [1.01]),
    (C.boolean, [0.0, 1.0], [0.5]),
    (C.nonnegative_integer, [0.0, 7.0], [1.5]),
    (C.positive_integer, [1.0], [0.0]),
    (C.integer_interval(0, 3), [0.0, 3.0], [4.0]),
    (C.interval(-1.0, 1.0), [-1.0, 1.0], [2.0]),
    (C.half_open_interval(-1.0, 1.0), [-1.0], [1.0]),
    (C.greater_than(2.0), [3.0], [2.0]),
    (C.greater_than_eq(2.0), [2.0], [1.0]),
    (C.less_than(2.0), [1.0], [2.0]),
])
def test_elementwise_constraints(constraint, good, bad):
    assert bool(constraint.check(t(good)).all())
    assert not bool(constraint.check(t(bad)).any())


def test_event_constraints():
    assert C.simplex.check(t([[0.25, 0.75], [0.5, 0.6]])).tolist() == [True, False]
    assert C.simplex.event_dim == 1
    lc = t([[[1.0, 0.0], [2.0, 3.0]], [[1.0, 1.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]]])
    assert C.lower_cholesky.check(lc).tolist() == [True, False, False]
    pd = t([[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5], [0.0, 1.0]]])
    assert C.positive_definite.check(pd).tolist() == [True, False, False]
    assert C.real_vector.check(t([[0.0, float("nan")], [1.0, 2.0]])).tolist() == [False, True]
    assert C.independent(C.positive, 2).event_dim == 2
    assert C.one_hot.check(t([[0.0, 1.0], [1.0, 1.0]])).tolist() == [True, False]


def test_constraint_reprs_match_torch():
    import torch.distributions.constraints as TC
    for name in ("real", "positive", "nonnegative", "unit_interval", "simplex", "boolean",
                 "nonnegative_integer", "lower_cholesky", "positive_definite", "real_vector",
                 "one_hot"):
        assert repr(getattr(C, name)) == repr(getattr(TC, name)), name
    assert repr(C.integer_interval(0, 3)) == repr(TC.integer_interval(0, 3))
    assert C.boolean.is_discrete and not C.real.is_discrete
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        C.dependent.check(t([1.0]))


def test_extended_shape_and_sample_n():
    d = ED.Normal(t([0.0, 1.0]), t([1.0, 1.0]))
    assert d._extended_shape((3, 4)) == (3, 4, 2)
    assert d._extended_shape(5) == (5, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert d.sample_n(3).shape == (3, 2)
    assert d.perplexity().shape == (2,)


def test_set_default_validate_args():
    try:
        ED.Distribution.set_default_validate_args(False)
        d = ED.Normal(t([0.0]), t([-1.0]))  # no error
        assert not d._validate_args
    finally:
        ED.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="Expected parameter scale"):
        ED.Normal(t([0.0]), t([-1.0]))
    with pytest.raises(ValueError, match="set_default_validate_args: expected True or False, "
                                         "got 'yes'"):
        ED.Distribution.set_default_validate_args("yes")


def test_base_not_implemented():
    d = ED.Distribution((2,), validate_args=False)
    for name in ("mean", "variance", "support"):
        with pytest.raises(NotImplementedError):
            getattr(d, name)
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        d.mode
    with pytest.raises(NotImplementedError, match="does not implement rsample"):
        d.rsample()


def test_kl_dispatch_most_specific_and_missing():
    class MyNormal(ED.Normal):
        pass

    class MyOtherNormal(ED.Normal):
        pass

    p, q = MyNormal(t(0.0), t(1.0)), MyOtherNormal(t(1.0), t(2.0))
    ref = ED.kl_divergence(ED.Normal(t(0.0), t(1.0)), ED.Normal(t(1.0), t(2.0)))
    assert abs(ED.kl_divergence(p, q).item() - ref.item()) < 1e-12  # falls back to the base pair

    @ED.register_kl(MyNormal, ED.Normal)
    def _kl_mine(p, q):
        return t(42.0)

    assert ED.kl_divergence(p, q).item() == 42.0  # more specific wins
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p "
                                                  "type Normal and q type Bernoulli"):
        ED.kl_divergence(ED.Normal(t(0.0), t(1.0)), ED.Bernoulli(probs=t(0.5)))
    with pytest.raises(TypeError, match="register_kl: expected type_p to be a subclass of "
                                        "Distribution"):
        ED.register_kl(int, ED.Normal)


def test_kl_ambiguous_warns():
    class A(ED.Normal):
        pass

    class B(ED.Normal):
        pass

    @ED.register_kl(A, ED.Normal)
    def _a(p, q):
        return t(1.0)

    @ED.register_kl(ED.Normal, B)
    def _b(p, q):
        return t(2.0)

    with pytest.warns(RuntimeWarning, match="Ambiguous kl_divergence"):
        ED.kl_divergence(A(t(0.0), t(1.0)), B(t(0.0), t(1.0)))


def test_expand_requires_override_for_custom_init():
    class Shifted(ED.Normal):
        def __init__(self, loc):
            super().__init__(loc, 1.0)

    with pytest.raises(NotImplementedError, match="Subclass Shifted of Normal that defines a "
                                                  "custom __init__ method must also define a "
                                                  "custom .expand\\(\\) method"):
        Shifted(t([0.0])).expand((3, 1))
