"""A PyTorch-style domain-adversarial (DANN) training program, on torch and on Ember.

Written the way the DANN re-implementations are: a gradient reversal layer
as a user-defined ``torch.autograd.Function`` (``forward(ctx, x, alpha)``
storing ``ctx.alpha`` and returning ``x.view_as(x)``; ``backward`` returning
``grad_output.neg() * ctx.alpha, None``), a shared feature extractor, a label
classifier and a domain classifier ending in ``LogSoftmax(dim=1)`` with
``NLLLoss``, the reversal strength ramped by ``2. / (1. + np.exp(-10 * p)) - 1``,
and the source and target domain losses summed before one backward.

PyTorch passes Tensors to a custom Function's ``forward``; Ember's
``Function.apply`` passes raw arrays (its own ops are written that way), so
the reversal layer as scripts write it cannot run on Ember: that test is an
expected failure, and the same program with the other common reversal idiom
(a tensor hook negating the gradient) checks everything else.
"""

import numpy as np
import pytest
import torch

import ember


def build(lib, reversal):
    nn = lib.nn

    class ReverseLayerF(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, alpha):
            ctx.alpha = alpha
            return x.view_as(x)

        @staticmethod
        def backward(ctx, grad_output):
            output = grad_output.neg() * ctx.alpha
            return output, None

    def reverse_by_hook(x, alpha):
        y = x.clone()
        if y.requires_grad:
            y.register_hook(lambda grad: grad.neg() * alpha)
        return y

    reverse = ReverseLayerF.apply if reversal == "function" else reverse_by_hook

    class CNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.feature = nn.Sequential()
            self.feature.add_module("f_conv1", nn.Conv2d(1, 4, kernel_size=3))
            self.feature.add_module("f_bn1", nn.BatchNorm2d(4))
            self.feature.add_module("f_pool1", nn.MaxPool2d(2))
            self.feature.add_module("f_relu1", nn.ReLU(True))
            self.class_classifier = nn.Sequential()
            self.class_classifier.add_module("c_fc1", nn.Linear(4 * 3 * 3, 8))
            self.class_classifier.add_module("c_relu1", nn.ReLU(True))
            self.class_classifier.add_module("c_fc2", nn.Linear(8, 3))
            self.class_classifier.add_module("c_softmax", nn.LogSoftmax(dim=1))
            self.domain_classifier = nn.Sequential()
            self.domain_classifier.add_module("d_fc1", nn.Linear(4 * 3 * 3, 8))
            self.domain_classifier.add_module("d_relu1", nn.ReLU(True))
            self.domain_classifier.add_module("d_fc2", nn.Linear(8, 2))
            self.domain_classifier.add_module("d_softmax", nn.LogSoftmax(dim=1))

        def forward(self, input_data, alpha):
            feature = self.feature(input_data)
            feature = feature.view(-1, 4 * 3 * 3)
            reverse_feature = reverse(feature, alpha)
            return self.class_classifier(feature), self.domain_classifier(reverse_feature)

    return CNNModel()


def train(lib, model, source, target, n_epoch=2):
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-2)
    loss_class = lib.nn.NLLLoss()
    loss_domain = lib.nn.NLLLoss()
    len_dataloader = min(len(source), len(target))
    history = []
    for epoch in range(n_epoch):
        for i, ((s_img, s_label), t_img) in enumerate(zip(source, target)):
            p = float(i + epoch * len_dataloader) / n_epoch / len_dataloader
            alpha = 2.0 / (1.0 + np.exp(-10 * p)) - 1
            model.zero_grad()
            batch_size = len(s_label)
            domain_label = lib.zeros(batch_size).long()
            class_output, domain_output = model(input_data=s_img, alpha=alpha)
            err_s_label = loss_class(class_output, s_label)
            err_s_domain = loss_domain(domain_output, domain_label)
            domain_label = lib.ones(len(t_img)).long()
            _, domain_output = model(input_data=t_img, alpha=alpha)
            err_t_domain = loss_domain(domain_output, domain_label)
            err = err_t_domain + err_s_domain + err_s_label
            err.backward()
            optimizer.step()
            history.append((err_s_label.item(), err_s_domain.item(), err_t_domain.item()))
    return history


def data(lib, seed=0):
    r = np.random.default_rng(seed)
    source = [(lib.tensor(r.standard_normal((5, 1, 8, 8))), lib.tensor(r.integers(0, 3, 5)))
              for _ in range(3)]
    target = [lib.tensor(r.standard_normal((5, 1, 8, 8)) + 0.5) for _ in range(3)]
    return source, target


def compare(reversal):
    torch.manual_seed(0)
    tm = build(torch, reversal).double()
    em = build(ember, reversal).double()
    assert list(em.state_dict()) == list(tm.state_dict())  # feature.f_conv1.weight, ...
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    th = train(torch, tm, *data(torch))
    eh = train(ember, em, *data(ember))
    np.testing.assert_allclose(eh, th, rtol=1e-9)
    for (name, a), b in zip(em.state_dict().items(), tm.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-10, err_msg=name)


def test_dann_with_a_reversal_hook_trains_identically_on_torch_and_ember():
    compare("hook")


def test_dann_with_the_custom_function_reversal_layer():
    compare("function")


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_the_reversal_hook_negates_and_scales_the_gradient(lib):
    x = lib.ones(2, 3, requires_grad=True)
    z = (x * 1.0).clone()
    z.register_hook(lambda grad: grad.neg() * 0.25)
    (z * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [[-0.25, -0.5, -0.75]] * 2
