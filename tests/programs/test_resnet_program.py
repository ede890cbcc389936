"""A PyTorch-style ResNet training program for CIFAR-like images, on torch and on Ember.

Written the way the torchvision ResNet and the classic CIFAR training scripts
are: a ``BasicBlock`` with a ``downsample`` ``nn.Sequential`` (1x1 conv and
``BatchNorm2d``) when the shape changes, ``nn.AdaptiveAvgPool2d((1, 1))`` and
``torch.flatten(x, 1)``, ``kaiming_normal_(mode="fan_out",
nonlinearity="relu")`` applied by walking ``self.modules()`` with
``isinstance``, the last BN's gamma of each residual branch zeroed, SGD with
momentum, Nesterov and weight decay stepped by ``MultiStepLR``, train/eval
switching, and accuracy counted through ``.argmax(1).eq(y).sum().item()``.
The framework module is the program's only import, so the same source runs on
both; the test checks the two train identically.
"""

import numpy as np
import pytest
import torch

import ember

NUM_CLASSES = 5


def build(lib, layers=(1, 1), zero_init_residual=True):
    """A two-stage ResNet for 3 x 8 x 8 images: every name is looked up on ``lib``."""
    nn = lib.nn

    def conv3x3(in_planes, out_planes, stride=1):
        return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1,
                         bias=False)

    def conv1x1(in_planes, out_planes, stride=1):
        return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = conv3x3(inplanes, planes, stride)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = conv3x3(planes, planes)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample
            self.stride = stride

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class ResNet(nn.Module):
        def __init__(self, block, layers, num_classes=NUM_CLASSES):
            super().__init__()
            self.inplanes = 4
            self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=3, stride=1, padding=1,
                                   bias=False)
            self.bn1 = nn.BatchNorm2d(self.inplanes)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = self._make_layer(block, 4, layers[0])
            self.layer2 = self._make_layer(block, 8, layers[1], stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(8 * block.expansion, num_classes)

            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
            if zero_init_residual:
                for m in self.modules():
                    if isinstance(m, BasicBlock) and m.bn2.weight is not None:
                        nn.init.constant_(m.bn2.weight, 0)

        def _make_layer(self, block, planes, blocks, stride=1):
            downsample = None
            if stride != 1 or self.inplanes != planes * block.expansion:
                downsample = nn.Sequential(
                    conv1x1(self.inplanes, planes * block.expansion, stride),
                    nn.BatchNorm2d(planes * block.expansion))
            layers = [block(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes * block.expansion
            for _ in range(1, blocks):
                layers.append(block(self.inplanes, planes))
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.avgpool(x)
            x = lib.flatten(x, 1)
            return self.fc(x)

    return ResNet(BasicBlock, list(layers))


def run(lib, model, train_set, test_set, epochs=3):
    """Train and evaluate per epoch as the CIFAR scripts do; returns the history."""
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                              weight_decay=5e-4)
    scheduler = lib.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 2], gamma=0.1)
    history = []
    for epoch in range(epochs):
        model.train()
        train_loss, correct, total = 0.0, 0, 0
        for inputs, targets in train_set:
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()
        scheduler.step()
        model.eval()
        test_loss, test_correct = 0.0, 0
        with lib.no_grad():
            for inputs, targets in test_set:
                outputs = model(inputs)
                test_loss += criterion(outputs, targets).item()
                test_correct += outputs.argmax(1).eq(targets).sum().item()
        history.append((train_loss, correct, test_loss, test_correct,
                        optimizer.param_groups[0]["lr"]))
    return history


def data(lib, n, seed):
    r = np.random.default_rng(seed)
    return [(lib.tensor(r.standard_normal((6, 3, 8, 8))),
             lib.tensor(r.integers(0, NUM_CLASSES, 6))) for _ in range(n)]


def test_the_same_resnet_program_trains_identically_on_torch_and_ember():
    torch.manual_seed(0)
    tm = build(torch).double()
    em = build(ember).double()
    assert list(em.state_dict()) == list(tm.state_dict())  # incl. num_batches_tracked
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    th = run(torch, tm, data(torch, 3, 0), data(torch, 2, 1))
    eh = run(ember, em, data(ember, 3, 0), data(ember, 2, 1))
    assert [h[4] for h in eh] == pytest.approx([0.01, 0.001, 0.001])
    np.testing.assert_allclose(eh, th, rtol=1e-9)
    for (name, a), b in zip(em.state_dict().items(), tm.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-10, err_msg=name)


def test_resnet_init_on_ember():
    ember.manual_seed(0)
    model = build(ember, layers=(2, 2))
    block = model.layer2[0]
    assert isinstance(block.downsample, ember.nn.Sequential)
    assert model.layer1[0].downsample is None
    w = block.conv1.weight  # fan_out = 8 * 3 * 3: std = sqrt(2 / 72)
    assert abs(float(w.std()) - (2 / 72) ** 0.5) < 0.04
    assert not block.bn2.weight.detach().numpy().any()  # zero-init residual gamma
    assert (model.bn1.weight.detach().numpy() == 1).all()
    x = ember.randn(2, 3, 8, 8)
    model.eval()
    assert model(x).shape == (2, NUM_CLASSES)
    assert int(model.layer1[0].bn1.num_batches_tracked) == 0
    model.train()
    model(x)
    assert int(model.layer1[0].bn1.num_batches_tracked) == 1
