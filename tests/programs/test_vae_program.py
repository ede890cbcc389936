"""A PyTorch-style variational autoencoder program, run unchanged on torch and on Ember.

Written the way the classic MNIST VAE example is: ``fc1`` / ``fc21`` /
``fc22`` / ``fc3`` / ``fc4`` layers, ``reparameterize`` with
``torch.exp(0.5 * logvar)`` and ``torch.randn_like``, the input flattened with
``x.view(-1, 784)``, the loss as ``F.binary_cross_entropy(..., reduction="sum")``
plus the KL term ``-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())``,
Adam, a ``DataLoader`` over a ``TensorDataset``, a test pass under
``torch.no_grad()`` building the comparison grid with ``torch.cat`` and
sampling from the prior through ``decode``. The noise source is injected so
that both frameworks draw the same numbers; everything else is the program's
own framework calls.
"""

import numpy as np
import torch

import ember

LATENT, HIDDEN, BATCH = 4, 32, 8


def build(lib, randn_like):
    nn, F = lib.nn, lib.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, HIDDEN)
            self.fc21 = nn.Linear(HIDDEN, LATENT)
            self.fc22 = nn.Linear(HIDDEN, LATENT)
            self.fc3 = nn.Linear(LATENT, HIDDEN)
            self.fc4 = nn.Linear(HIDDEN, 784)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = lib.exp(0.5 * logvar)
            eps = randn_like(std)
            return mu + eps * std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return lib.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 784))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
        # KL(q(z|x) || N(0, I)), Appendix B of Kingma and Welling (2014)
        KLD = -0.5 * lib.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    return VAE(), loss_function


def run(lib, model, loss_function, images, prior, epochs=2):
    """Train and test per epoch as the example does; returns losses and outputs."""
    D = lib.utils.data  # the path scripts import the loaders from
    dataset = D.TensorDataset(lib.tensor(images))
    train_loader = D.DataLoader(dataset, batch_size=BATCH, shuffle=False)
    test_loader = D.DataLoader(dataset, batch_size=BATCH, shuffle=False)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        train_loss, step_losses = 0.0, []
        for batch_idx, (data,) in enumerate(train_loader):
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = loss_function(recon_batch, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
            step_losses.append(loss.item() / len(data))
        model.eval()
        test_loss = 0.0
        with lib.no_grad():
            for i, (data,) in enumerate(test_loader):
                recon_batch, mu, logvar = model(data)
                test_loss += loss_function(recon_batch, data, mu, logvar).item()
                if i == 0:
                    n = min(data.size(0), 4)
                    comparison = lib.cat([data[:n],
                                          recon_batch.view(BATCH, 1, 28, 28)[:n]])
        test_loss /= len(test_loader.dataset)
        with lib.no_grad():
            sample = model.decode(lib.tensor(prior)).cpu()
        history.append((train_loss / len(train_loader.dataset), step_losses, test_loss,
                        comparison.numpy(), sample.view(len(prior), 1, 28, 28).numpy()))
    return history


class FixedNoise:
    """Stands in for ``randn_like``: the same standard normals for both frameworks."""

    def __init__(self, lib, seed=0):
        self.lib, self.rng = lib, np.random.default_rng(seed)

    def __call__(self, like):
        return self.lib.tensor(self.rng.standard_normal(tuple(like.shape)), dtype=like.dtype)


def test_the_same_vae_program_trains_identically_on_torch_and_ember():
    torch.manual_seed(0)
    tm, tloss = build(torch, FixedNoise(torch))
    em, eloss = build(ember, FixedNoise(ember))
    tm, em = tm.double(), em.double()
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    r = np.random.default_rng(1)
    images = r.uniform(0, 1, (3 * BATCH, 1, 28, 28)) ** 3  # mostly dark, in [0, 1]
    prior = r.standard_normal((5, LATENT))
    th = run(torch, tm, tloss, images, prior)
    eh = run(ember, em, eloss, images, prior)
    for (e_avg, e_steps, e_test, e_cmp, e_smp), (t_avg, t_steps, t_test, t_cmp, t_smp) in \
            zip(eh, th):
        np.testing.assert_allclose(e_steps, t_steps, rtol=1e-10)
        np.testing.assert_allclose([e_avg, e_test], [t_avg, t_test], rtol=1e-10)
        assert e_cmp.shape == t_cmp.shape == (8, 1, 28, 28)
        np.testing.assert_allclose(e_cmp, t_cmp, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(e_smp, t_smp, rtol=1e-8, atol=1e-12)
    for (name, p), q in zip(em.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)


def test_reparameterize_with_the_frameworks_own_randn_like():
    ember.manual_seed(0)
    model, loss_function = build(ember, ember.randn_like)
    mu, logvar = ember.zeros(2000, LATENT), ember.full((2000, LATENT), np.log(4.0))
    z = model.reparameterize(mu, logvar)  # N(0, 2^2)
    assert z.shape == (2000, LATENT) and z.dtype == ember.float32
    assert abs(float(z.std()) - 2.0) < 0.1 and abs(float(z.mean())) < 0.1
    x = ember.rand(3, 1, 28, 28)
    recon, mu, logvar = model(x)
    loss = loss_function(recon, x, mu, logvar)
    loss.backward()
    assert model.fc1.weight.grad.shape == (HIDDEN, 784)


def test_torch_utils_data_path():
    import ember.utils.data  # noqa: F401
    assert ember.utils.data.DataLoader is ember.data.DataLoader
