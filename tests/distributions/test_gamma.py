import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
from dist_helpers import D, assert_moments, both
from reference import check, close

R = np.random.default_rng(0)
C1 = R.uniform(0.5, 3.0, (3, 2))
C2 = R.uniform(0.5, 3.0, (3, 2))
POS = R.uniform(0.2, 3.0, (3, 2))
U01 = R.uniform(0.05, 0.95, (3, 2))
CONC = R.uniform(0.5, 3.0, (2, 4))
CONC2 = R.uniform(0.5, 3.0, (2, 4))
SIMPLEX = R.dirichlet(np.ones(4), 2)


def _props(e, t, names=("mean", "mode", "variance", "stddev")):
    for name in names:
        close(getattr(e, name), getattr(t, name), what=name)


def test_gamma():
    check(lambda c, r, x: D(c).Gamma(c, r).log_prob(x), C1, C2, POS)
    check(lambda c, r: D(c).Gamma(c, r).entropy(), C1, C2)
    check(lambda a, b, c, d: D(a).kl_divergence(D(a).Gamma(a, b), D(a).Gamma(c, d)),
          C1, C2, C2, C1)
    e, t = both(lambda d, c, r: d.Gamma(c, r), C1, C2)
    _props(e, t)
    _props(e.expand((4, 3, 2)), t.expand((4, 3, 2)), ("mean",))
    assert e.batch_shape == (3, 2) and e.has_rsample == t.has_rsample


def test_gamma_sampling():
    ember.manual_seed(0)
    d = ED.Gamma(ember.tensor(C1), ember.tensor(C2))
    for shape in [(), (5,), (2, 2)]:
        s = d.sample(shape)
        assert s.shape == tuple(shape) + (3, 2) and s.dtype == ember.float64
    assert_moments(d.sample((20000,)), C1 / C2, C1 / C2 ** 2, k=6)


def test_beta():
    check(lambda a, b, x: D(a).Beta(a, b).log_prob(x), C1, C2, U01)
    check(lambda a, b: D(a).Beta(a, b).entropy(), C1, C2)
    check(lambda a, b, c, d: D(a).kl_divergence(D(a).Beta(a, b), D(a).Beta(c, d)),
          C1, C2, C2, C1)
    e, t = both(lambda d, a, b: d.Beta(a, b), C1 + 1, C2 + 1)
    _props(e, t)
    _props(e.expand((4, 3, 2)), t.expand((4, 3, 2)), ("mean", "variance"))
    close(e.concentration1, t.concentration1)
    ember.manual_seed(1)
    s = ED.Beta(ember.tensor(C1), ember.tensor(C2)).sample((20000,))
    assert s.shape == (20000, 3, 2)
    total = C1 + C2
    assert_moments(s, C1 / total, C1 * C2 / (total ** 2 * (total + 1)), k=6)


def test_dirichlet():
    check(lambda c, x: D(c).Dirichlet(c).log_prob(x), CONC, SIMPLEX)
    check(lambda c: D(c).Dirichlet(c).entropy(), CONC)
    check(lambda a, b: D(a).kl_divergence(D(a).Dirichlet(a), D(a).Dirichlet(b)), CONC, CONC2)
    e, t = both(lambda d, c: d.Dirichlet(c), CONC + 1)
    assert e.batch_shape == (2,) and e.event_shape == (4,)
    _props(e, t)
    _props(e.expand((3, 2)), t.expand((3, 2)), ("mean",))
    e, t = both(lambda d, c: d.Dirichlet(c), np.array([[0.5, 0.7, 0.9], [2.0, 0.5, 3.0]]))
    _props(e, t, ("mode",))
    ember.manual_seed(2)
    s = ED.Dirichlet(ember.tensor(CONC)).sample((20000,))
    assert s.shape == (20000, 2, 4)
    np.testing.assert_allclose(s.numpy().sum(-1), 1.0, rtol=1e-12)
    c0 = CONC.sum(-1, keepdims=True)
    assert_moments(s, CONC / c0, CONC * (c0 - CONC) / (c0 ** 2 * (c0 + 1)), k=6)


def test_gamma_family_errors():
    with pytest.raises(ValueError, match=r"Expected parameter concentration .* of distribution "
                                         r"Gamma.*GreaterThan\(lower_bound=0.0\)"):
        ED.Gamma(ember.tensor([-1.0]), ember.tensor([1.0]))
    with pytest.raises(ValueError, match=r"Expected parameter rate .* of distribution Gamma"):
        ED.Gamma(ember.tensor([1.0]), ember.tensor([0.0]))
    with pytest.raises(ValueError, match="Dirichlet: `concentration` parameter must be at least "
                                         "one-dimensional"):
        ED.Dirichlet(ember.tensor(1.0))
    with pytest.raises(ValueError, match=r"IndependentConstraint\(GreaterThan\(lower_bound=0.0\), "
                                         r"1\)"):
        ED.Dirichlet(ember.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"within the support \(Simplex\(\)\)"):
        ED.Dirichlet(ember.tensor([1.0, 1.0])).log_prob(ember.tensor([0.5, 0.6]))
    with pytest.raises(ValueError, match=r"within the support \(Interval\(lower_bound=0.0, "
                                         r"upper_bound=1.0\)\) of the distribution Beta"):
        ED.Beta(1.0, 2.0).log_prob(ember.tensor(1.5))
    with pytest.raises(ValueError, match=r"within the support \(GreaterThanEq"):
        ED.Gamma(1.0, 2.0).log_prob(ember.tensor(-1.0))


def test_gamma_cdf_matches_torch():
    import numpy as np
    import torch
    import ember
    from reference import check
    conc, rate = np.array([0.5, 2.0, 7.5]), np.array([1.5, 0.3, 2.0])
    value = np.array([0.2, 4.0, 3.1])
    check(lambda c, r, v: (ember.distributions if isinstance(c, ember.Tensor)
                           else torch.distributions).Gamma(c.detach(), r).cdf(v),
          conc, rate, value, second=False)


def test_beta_samples_stay_inside_the_open_interval_like_torch():
    import numpy as np
    import ember
    ember.manual_seed(0)
    d = ember.distributions.Beta(ember.tensor([2.0]), ember.tensor([0.2]))
    s = d.sample((20000,))
    assert s.dtype == ember.float32
    assert float(s.max()) < 1.0 and float(s.min()) > 0.0
    assert np.isfinite(d.log_prob(s).numpy()).all()


def test_gamma_log_prob_and_cdf_take_numbers_like_torch():
    import torch
    import ember
    from reference import close
    ours, ref = ember.distributions.Gamma(2.0, 3.0), torch.distributions.Gamma(2.0, 3.0)
    close(ours.log_prob(0.5), ref.log_prob(torch.tensor(0.5)))
    close(ours.cdf(0.5), ref.cdf(torch.tensor(0.5)))
    assert ours.log_prob(0.5).dtype == ember.float32



def test_gamma_family_rsample_gradients():
    # Implicit reparameterisation: the mean of the draws' gradients is the
    # gradient of the mean (Monte Carlo, 40000 draws), and each draw's
    # d x / d alpha matches PyTorch's _standard_gamma_grad (an approximation
    # good to ~5e-4; ours is a central difference of P(alpha, x), ~1e-9).
    ember.manual_seed(1)
    a = ember.tensor([0.5, 2.0, 7.0], requires_grad=True)
    r = ember.tensor([1.0, 0.5, 3.0], requires_grad=True)
    x = ED.Gamma(a, r).rsample((40000,))
    x.mean(0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 1 / np.array([1.0, 0.5, 3.0]), rtol=0.03)
    np.testing.assert_allclose(r.grad.numpy(), -np.array([0.5, 8.0, 7 / 9]), rtol=0.03)
    c1 = ember.tensor([2.0, 0.7], requires_grad=True)
    c0 = ember.tensor([3.0, 1.5], requires_grad=True)
    ED.Beta(c1, c0).rsample((40000,)).mean(0).sum().backward()
    total = np.array([5.0, 2.2])
    np.testing.assert_allclose(c1.grad.numpy(), np.array([3.0, 1.5]) / total ** 2, rtol=0.05)
    np.testing.assert_allclose(c0.grad.numpy(), -np.array([2.0, 0.7]) / total ** 2, rtol=0.05)
    alpha = ember.tensor(np.exp(R.uniform(np.log(0.05), np.log(50), 300)), requires_grad=True)
    draw = ED.Gamma(alpha, ember.ones(300, dtype=ember.float64)).rsample()
    draw.sum().backward()
    ref = torch._standard_gamma_grad(torch.tensor(alpha.detach().numpy()),
                                     torch.tensor(draw.detach().numpy()))
    np.testing.assert_allclose(alpha.grad.numpy(), ref.numpy(), rtol=1e-3)
    d = ED.Dirichlet(ember.tensor([[1.0, 2.0, 3.0]], requires_grad=True))
    s = d.rsample((4,))
    assert s.shape == (4, 1, 3) and s.requires_grad and not d.sample((4,)).requires_grad
