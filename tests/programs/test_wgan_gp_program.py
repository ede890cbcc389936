"""A PyTorch-style WGAN-GP training program, run unchanged on torch and on Ember.

Written the way the common WGAN with gradient penalty scripts are: a
convolutional critic without batch norm (``LeakyReLU(0.2)``, a final
``Linear``), a generator from ``Linear`` + ``view`` + ``ConvTranspose2d``,
``n_critic`` critic steps per generator step, the penalty computed on random
interpolates ``(alpha * real + (1 - alpha) * fake).requires_grad_(True)``
through ``torch.autograd.grad(outputs=d_interpolates, inputs=interpolates,
grad_outputs=torch.ones_like(...), create_graph=True, retain_graph=True)``
and ``((gradients.norm(2, dim=1) - 1) ** 2).mean()`` (a double backward
through the convolutions), and Adam with ``betas=(0.5, 0.9)``. The random
``alpha`` and noise are fed in so both frameworks see the same numbers.
"""

import numpy as np
import torch

import ember

LATENT, LAMBDA_GP, N_CRITIC = 6, 10.0, 2


def build(lib):
    nn = lib.nn

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Sequential(nn.Linear(LATENT, 8 * 4 * 4), nn.ReLU(True))
            self.deconv = nn.Sequential(
                nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1),  # 8 x 8
                nn.ReLU(True),
                nn.Conv2d(4, 1, 3, padding=1),
                nn.Tanh())

        def forward(self, z):
            return self.deconv(self.fc(z).view(-1, 8, 4, 4))

    class Critic(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(1, 4, 4, stride=2, padding=1),  # 4 x 4
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(4, 8, 4, stride=2, padding=1),  # 2 x 2
                nn.LeakyReLU(0.2, inplace=True))
            self.fc = nn.Linear(8 * 2 * 2, 1)

        def forward(self, img):
            return self.fc(self.main(img).view(img.shape[0], -1))

    return Generator(), Critic()


def compute_gradient_penalty(lib, D, real_samples, fake_samples, alpha):
    """The WGAN-GP term on points between real and fake samples."""
    interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
    d_interpolates = D(interpolates)
    fake = lib.ones_like(d_interpolates, requires_grad=False)
    gradients = lib.autograd.grad(outputs=d_interpolates, inputs=interpolates,
                                  grad_outputs=fake, create_graph=True, retain_graph=True)[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


def train(lib, generator, critic, reals, noises, alphas):
    optimizer_G = lib.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
    optimizer_D = lib.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    history = []
    for i, real_imgs in enumerate(reals):
        optimizer_D.zero_grad()
        fake_imgs = generator(noises[i])
        real_validity = critic(real_imgs)
        fake_validity = critic(fake_imgs)
        gradient_penalty = compute_gradient_penalty(lib, critic, real_imgs.data,
                                                    fake_imgs.data, alphas[i])
        d_loss = -lib.mean(real_validity) + lib.mean(fake_validity) + LAMBDA_GP * gradient_penalty
        d_loss.backward()
        optimizer_D.step()
        optimizer_G.zero_grad()
        g_loss = None
        if i % N_CRITIC == 0:  # the generator trains every n_critic steps
            fake_imgs = generator(noises[i])
            g_loss = -lib.mean(critic(fake_imgs))
            g_loss.backward()
            optimizer_G.step()
        history.append((d_loss.item(), gradient_penalty.item(),
                        None if g_loss is None else g_loss.item()))
    return history


def inputs(lib, steps=4, batch=5, seed=0):
    r = np.random.default_rng(seed)
    reals = [lib.tensor(np.tanh(r.standard_normal((batch, 1, 8, 8)))) for _ in range(steps)]
    noises = [lib.tensor(r.standard_normal((batch, LATENT))) for _ in range(steps)]
    alphas = [lib.tensor(r.uniform(0, 1, (batch, 1, 1, 1))) for _ in range(steps)]
    return reals, noises, alphas


def test_the_same_wgan_gp_program_trains_identically_on_torch_and_ember():
    torch.manual_seed(0)
    tg, td = (m.double() for m in build(torch))
    eg, ed = (m.double() for m in build(ember))
    for ours, ref in ((eg, tg), (ed, td)):
        assert list(ours.state_dict()) == list(ref.state_dict())
        ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    th = train(torch, tg, td, *inputs(torch))
    eh = train(ember, eg, ed, *inputs(ember))
    assert [h[2] is None for h in eh] == [False, True, False, True]
    for (ed_loss, egp, egl), (td_loss, tgp, tgl) in zip(eh, th):
        np.testing.assert_allclose([ed_loss, egp], [td_loss, tgp], rtol=1e-9)
        assert (egl is None) == (tgl is None)
        if egl is not None:
            np.testing.assert_allclose(egl, tgl, rtol=1e-9)
    for ours, ref in ((eg, tg), (ed, td)):
        for (name, a), b in zip(ours.state_dict().items(), ref.state_dict().values()):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-10,
                                       err_msg=name)


def test_gradient_penalty_with_only_inputs():
    x = ember.ones(2, 3, requires_grad=True)
    out = (x ** 2).sum(1)
    g = ember.autograd.grad(outputs=out, inputs=x, grad_outputs=ember.ones(out.size()),
                            create_graph=True, retain_graph=True, only_inputs=True)[0]
    assert g.tolist() == [[2.0] * 3] * 2
