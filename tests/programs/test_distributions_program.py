"""PyTorch-style programs built on ``torch.distributions``, on torch and on Ember.

* a conditional VAE: the encoder returns ``Independent(Normal(mu, std), 1)``
  with ``std = F.softplus(...)``, the latent comes from ``q.rsample()``, the
  likelihood is ``Independent(Normal(recon, exp(log_sigma)), 1).log_prob(x)``,
  the KL term is ``kl_divergence(q, prior)`` against an ``Independent`` standard
  normal, and the label enters through ``F.one_hot(y, n).to(x.dtype)``;
* a conditional affine flow fitted by maximum likelihood:
  ``TransformedDistribution(base, [AffineTransform(loc, scale, event_dim=1)])``
  with ``loc`` and ``log_scale`` from a conditioner network, trained on
  ``-flow.log_prob(x).mean()``, then sampled with ``rsample``.

Both are trained with Adam. The noise behind ``rsample`` is injected for the
comparison (``loc + scale * eps``, the reparameterisation ``rsample``
computes); everything else is the program's own framework calls.
"""

import numpy as np
import torch

import ember

X_DIM, Z_DIM, N_CLASS, HIDDEN, BATCH = 6, 2, 3, 16, 8


def build_cvae(lib):
    nn, F = lib.nn, lib.nn.functional
    D = lib.distributions

    class CVAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(nn.Linear(X_DIM + N_CLASS, HIDDEN), nn.ReLU(),
                                     nn.Linear(HIDDEN, 2 * Z_DIM))
            self.dec = nn.Sequential(nn.Linear(Z_DIM + N_CLASS, HIDDEN), nn.ReLU(),
                                     nn.Linear(HIDDEN, X_DIM))
            self.log_sigma = nn.Parameter(lib.zeros(1))

        def encode(self, x, c):
            mu, pre_std = self.enc(lib.cat([x, c], dim=-1)).chunk(2, dim=-1)
            return D.Independent(D.Normal(mu, F.softplus(pre_std) + 1e-4), 1)

        def decode(self, z, c):
            recon = self.dec(lib.cat([z, c], dim=-1))
            return D.Independent(D.Normal(recon, self.log_sigma.exp().expand_as(recon)), 1)

        def forward(self, x, y, sample_z):
            c = F.one_hot(y, N_CLASS).to(x.dtype)
            q = self.encode(x, c)
            z = sample_z(q)
            prior = D.Independent(D.Normal(lib.zeros_like(z), lib.ones_like(z)), 1)
            log_lik = self.decode(z, c).log_prob(x)
            kl = D.kl_divergence(q, prior)
            return -(log_lik - kl).mean(), kl.mean()

    return CVAE()


def build_flow(lib):
    nn = lib.nn
    D = lib.distributions

    class ConditionalAffineFlow(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(N_CLASS, HIDDEN), nn.Tanh(),
                                     nn.Linear(HIDDEN, 2 * X_DIM))

        def forward(self, y):
            c = lib.nn.functional.one_hot(y, N_CLASS).to(self.net[0].weight.dtype)
            loc, log_scale = self.net(c).chunk(2, dim=-1)
            base = D.Independent(D.Normal(lib.zeros_like(loc), lib.ones_like(loc)), 1)
            return D.TransformedDistribution(
                base, [D.AffineTransform(loc, log_scale.exp(), event_dim=1)])

    return ConditionalAffineFlow()


def make_data(seed=0, n=3 * BATCH):
    """Class-dependent Gaussian blobs."""
    r = np.random.default_rng(seed)
    y = r.integers(0, N_CLASS, n)
    centres = r.standard_normal((N_CLASS, X_DIM)) * 2
    x = centres[y] + r.standard_normal((n, X_DIM)) * np.array([0.3, 0.5, 1, 1, 2, 0.2])
    return x, y


def train_cvae(lib, model, x, y, sample_z, epochs=3):
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-2)
    x, y = lib.tensor(x), lib.tensor(y)
    losses = []
    for _ in range(epochs):
        for i in range(0, len(x), BATCH):
            loss, kl = model(x[i:i + BATCH], y[i:i + BATCH], sample_z)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((loss.item(), kl.item()))
    return losses


def train_flow(lib, model, x, y, epochs=4):
    optimizer = lib.optim.Adam(model.parameters(), lr=2e-2)
    x, y = lib.tensor(x), lib.tensor(y)
    losses = []
    for _ in range(epochs):
        for i in range(0, len(x), BATCH):
            loss = -model(y[i:i + BATCH]).log_prob(x[i:i + BATCH]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


class FixedNoise:
    """Stands in for ``q.rsample()``: ``loc + scale * eps`` with the same ``eps`` on both."""

    def __init__(self, lib, seed=0):
        self.lib, self.rng = lib, np.random.default_rng(seed)

    def __call__(self, q):
        eps = self.lib.tensor(self.rng.standard_normal(tuple(q.mean.shape)), dtype=q.mean.dtype)
        return q.mean + q.stddev * eps


def copy_into(em, tm):
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})


def assert_same_parameters(em, tm, rtol):
    for (name, p), q in zip(em.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=rtol,
                                   atol=1e-13, err_msg=name)


def test_the_same_cvae_program_trains_identically_on_torch_and_ember():
    torch.manual_seed(0)
    tm, em = build_cvae(torch).double(), build_cvae(ember).double()
    copy_into(em, tm)
    x, y = make_data()
    tl = train_cvae(torch, tm, x, y, FixedNoise(torch))
    el = train_cvae(ember, em, x, y, FixedNoise(ember))
    assert len(el) == len(tl) == 9
    np.testing.assert_allclose(el, tl, rtol=1e-9)
    assert tl[-1][0] < tl[0][0]
    assert_same_parameters(em, tm, 1e-8)


def test_the_same_affine_flow_program_fits_identically_on_torch_and_ember():
    torch.manual_seed(0)
    tm, em = build_flow(torch).double(), build_flow(ember).double()
    copy_into(em, tm)
    x, y = make_data(1)
    tl = train_flow(torch, tm, x, y)
    el = train_flow(ember, em, x, y)
    np.testing.assert_allclose(el, tl, rtol=1e-10)
    assert tl[-1] < tl[0]
    assert_same_parameters(em, tm, 1e-9)
    # the fitted flows agree on densities, means and on samples pushed through
    probe = np.random.default_rng(2).standard_normal((5, X_DIM))
    labels = [0, 1, 2, 0, 1]
    with torch.no_grad(), ember.no_grad():
        tf, ef = tm(torch.tensor(labels)), em(ember.tensor(labels))
        np.testing.assert_allclose(ef.log_prob(ember.tensor(probe)).numpy(),
                                   tf.log_prob(torch.tensor(probe)).numpy(), rtol=1e-12)
        np.testing.assert_allclose(ef.transforms[0](ember.tensor(probe)).numpy(),
                                   tf.transforms[0](torch.tensor(probe)).numpy(), rtol=1e-12)
        assert ef.batch_shape == tuple(tf.batch_shape) == (5,)
        assert ef.event_shape == tuple(tf.event_shape) == (X_DIM,)


def test_own_rsample_is_differentiable_and_has_the_right_moments():
    ember.manual_seed(0)
    model = build_cvae(ember).double()
    x, y = make_data()
    loss, kl = model(ember.tensor(x), ember.tensor(y), lambda q: q.rsample())
    loss.backward()
    assert model.enc[0].weight.grad is not None and float(kl) > 0
    D = ember.distributions
    q = D.Independent(D.Normal(ember.tensor([1.0, -2.0]), ember.tensor([0.5, 2.0])), 1)
    z = q.rsample((20000,))
    assert z.shape == (20000, 2)
    np.testing.assert_allclose(z.mean(0).numpy(), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(z.std(0).numpy(), [0.5, 2.0], rtol=0.03)
    flow = build_flow(ember)
    s = flow(ember.tensor([0, 1, 2])).rsample()
    assert s.shape == (3, X_DIM) and s.requires_grad
