"""A PyTorch-style DCGAN training program, run unchanged on torch and on Ember.

Written the way the classic DCGAN example is: generator and discriminator as
``nn.Sequential`` stacks of ``ConvTranspose2d`` / ``Conv2d``, ``BatchNorm2d``,
``ReLU`` / ``LeakyReLU(0.2, inplace=True)``, ``Tanh`` and ``Sigmoid``; weights
initialised through ``m.apply`` by class name with ``nn.init.normal_`` and
``constant_``; ``BCELoss`` against ``torch.full`` labels filled in place;
``.detach()`` for the discriminator's step on fakes; two Adam optimizers with
``betas=(0.5, 0.999)``. The framework module is the only import, so the same
source runs on both; the test checks that the two train identically.
"""

import numpy as np
import torch

import ember

NZ, NGF, NDF, NC = 4, 4, 4, 1  # latent size, feature widths, image channels (16 x 16)


def build(lib):
    nn = lib.nn

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(NZ, NGF * 4, 4, 1, 0, bias=False),  # 4 x 4
                nn.BatchNorm2d(NGF * 4),
                nn.ReLU(True),
                nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False),  # 8 x 8
                nn.BatchNorm2d(NGF * 2),
                nn.ReLU(True),
                nn.ConvTranspose2d(NGF * 2, NC, 4, 2, 1, bias=False),  # 16 x 16
                nn.Tanh())

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),  # 8 x 8
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),  # 4 x 4
                nn.BatchNorm2d(NDF * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(NDF * 2, 1, 4, 1, 0, bias=False),  # 1 x 1
                nn.Sigmoid())

        def forward(self, input):
            return self.main(input).view(-1, 1).squeeze(1)

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.constant_(m.bias, 0)

    net_g, net_d = Generator(), Discriminator()
    net_g.apply(weights_init)
    net_d.apply(weights_init)
    return net_g, net_d


def train(lib, net_g, net_d, reals, noises):
    """The classic alternating updates; returns (loss_d, loss_g, D(x)) per step."""
    criterion = lib.nn.BCELoss()
    opt_d = lib.optim.Adam(net_d.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_g = lib.optim.Adam(net_g.parameters(), lr=2e-3, betas=(0.5, 0.999))
    real_label, fake_label = 1.0, 0.0
    history = []
    for real, noise in zip(reals, noises):
        # (1) the discriminator: maximise log(D(x)) + log(1 - D(G(z)))
        net_d.zero_grad()
        label = lib.full((real.size(0),), real_label, dtype=real.dtype)
        output = net_d(real)
        err_d_real = criterion(output, label)
        err_d_real.backward()
        d_x = output.mean().item()
        fake = net_g(noise)
        label.fill_(fake_label)
        output = net_d(fake.detach())
        err_d_fake = criterion(output, label)
        err_d_fake.backward()
        opt_d.step()
        # (2) the generator: maximise log(D(G(z)))
        net_g.zero_grad()
        label.fill_(real_label)
        output = net_d(fake)
        err_g = criterion(output, label)
        err_g.backward()
        opt_g.step()
        history.append(((err_d_real + err_d_fake).item(), err_g.item(), d_x))
    return history


def test_the_same_dcgan_program_trains_identically_on_torch_and_ember():
    torch.manual_seed(0)
    tg, td = (m.double() for m in build(torch))
    eg, ed = (m.double() for m in build(ember))
    for ours, ref in ((eg, tg), (ed, td)):
        assert list(ours.state_dict()) == list(ref.state_dict())
        ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    r = np.random.default_rng(0)
    reals = [np.tanh(r.standard_normal((6, NC, 16, 16))) for _ in range(4)]
    noises = [r.standard_normal((6, NZ, 1, 1)) for _ in range(4)]
    th = train(torch, tg, td, [torch.tensor(a) for a in reals], [torch.tensor(a) for a in noises])
    eh = train(ember, eg, ed, [ember.tensor(a) for a in reals], [ember.tensor(a) for a in noises])
    np.testing.assert_allclose(eh, th, rtol=1e-8)
    for ours, ref in ((eg, tg), (ed, td)):
        for (name, a), b in zip(ours.state_dict().items(), ref.state_dict().values()):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-10,
                                       err_msg=name)
