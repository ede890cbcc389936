"""A PyTorch-style U-Net segmentation program, run unchanged on torch and on Ember.

Written the way the popular U-Net repositories are: ``DoubleConv`` (conv,
``BatchNorm2d``, ``ReLU(inplace=True)`` twice), ``Down`` as ``MaxPool2d(2)``
then ``DoubleConv``, ``Up`` either ``nn.Upsample(scale_factor=2,
mode="bilinear", align_corners=True)`` or ``ConvTranspose2d(k=2, s=2)``, the
skip padded with ``F.pad(x1, [diffX // 2, diffX - diffX // 2, ...])`` computed
from ``x.size()[2]`` and joined by ``torch.cat([x2, x1], dim=1)``; the loss as
cross entropy plus a multiclass Dice loss built from ``F.one_hot(...)
.permute(0, 3, 1, 2)``, ``torch.where(sets_sum == 0, inter, sets_sum)`` and
reductions over ``dim=(-1, -2)``; RMSprop with ``foreach=True``,
``ReduceLROnPlateau("max")`` on the validation Dice, ``clip_grad_norm_``, and
prediction resized with ``F.interpolate(..., mode="bilinear",
align_corners=False)`` before ``argmax(dim=1)``. The test checks that the two
frameworks train identically on images whose odd size forces the padding.
"""

import numpy as np
import pytest
import torch

import ember

N_CHANNELS, N_CLASSES = 1, 3


def build(lib, bilinear):
    nn, F = lib.nn, lib.nn.functional

    class DoubleConv(nn.Module):
        """(convolution => [BN] => ReLU) * 2"""

        def __init__(self, in_channels, out_channels, mid_channels=None):
            super().__init__()
            if not mid_channels:
                mid_channels = out_channels
            self.double_conv = nn.Sequential(
                nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(mid_channels),
                nn.ReLU(inplace=True),
                nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True))

        def forward(self, x):
            return self.double_conv(x)

    class Down(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2),
                                              DoubleConv(in_channels, out_channels))

        def forward(self, x):
            return self.maxpool_conv(x)

    class Up(nn.Module):
        def __init__(self, in_channels, out_channels, bilinear=True):
            super().__init__()
            if bilinear:
                self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
                self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
            else:
                self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2,
                                             stride=2)
                self.conv = DoubleConv(in_channels, out_channels)

        def forward(self, x1, x2):
            x1 = self.up(x1)
            diffY = x2.size()[2] - x1.size()[2]  # input is CHW
            diffX = x2.size()[3] - x1.size()[3]
            x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
            x = lib.cat([x2, x1], dim=1)
            return self.conv(x)

    class UNet(nn.Module):
        def __init__(self, n_channels, n_classes, bilinear=False):
            super().__init__()
            self.n_channels, self.n_classes, self.bilinear = n_channels, n_classes, bilinear
            factor = 2 if bilinear else 1
            self.inc = DoubleConv(n_channels, 4)
            self.down1 = Down(4, 8)
            self.down2 = Down(8, 16 // factor)
            self.up1 = Up(16, 8 // factor, bilinear)
            self.up2 = Up(8, 4, bilinear)
            self.outc = nn.Conv2d(4, n_classes, kernel_size=1)

        def forward(self, x):
            x1 = self.inc(x)
            x2 = self.down1(x1)
            x3 = self.down2(x2)
            x = self.up1(x3, x2)
            x = self.up2(x, x1)
            return self.outc(x)

    return UNet(N_CHANNELS, N_CLASSES, bilinear)


def dice_coeff(lib, input, target, reduce_batch_first=False, epsilon=1e-6):
    # Average of the Dice coefficient over all batches, or over all images
    assert input.size() == target.size()
    assert input.dim() == 3 or not reduce_batch_first
    sum_dim = (-1, -2) if input.dim() == 2 or not reduce_batch_first else (-1, -2, -3)
    inter = 2 * (input * target).sum(dim=sum_dim)
    sets_sum = input.sum(dim=sum_dim) + target.sum(dim=sum_dim)
    sets_sum = lib.where(sets_sum == 0, inter, sets_sum)
    dice = (inter + epsilon) / (sets_sum + epsilon)
    return dice.mean()


def multiclass_dice_coeff(lib, input, target, reduce_batch_first=False, epsilon=1e-6):
    return dice_coeff(lib, input.flatten(0, 1), target.flatten(0, 1), reduce_batch_first,
                      epsilon)


def dice_loss(lib, input, target):
    return 1 - multiclass_dice_coeff(lib, input, target, reduce_batch_first=True)


def evaluate(lib, net, dataloader):
    F = lib.nn.functional
    net.eval()
    dice_score = 0
    with lib.no_grad():
        for image, mask_true in dataloader:
            mask_pred = net(image)
            mask_true = F.one_hot(mask_true, net.n_classes).permute(0, 3, 1, 2).float()
            mask_pred = F.one_hot(mask_pred.argmax(dim=1), net.n_classes).permute(0, 3, 1, 2)
            # the background class is left out of the score
            dice_score += multiclass_dice_coeff(lib, mask_pred[:, 1:], mask_true[:, 1:],
                                                reduce_batch_first=False)
    net.train()
    return dice_score / max(len(dataloader), 1)


def train(lib, model, train_set, val_set, epochs=3):
    F = lib.nn.functional
    optimizer = lib.optim.RMSprop(model.parameters(), lr=1e-3, weight_decay=1e-8,
                                  momentum=0.9, foreach=True)
    scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, "max", patience=0)
    criterion = lib.nn.CrossEntropyLoss()
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        epoch_loss = 0
        for images, true_masks in train_set:
            masks_pred = model(images)
            loss = criterion(masks_pred, true_masks)
            loss += dice_loss(lib, F.softmax(masks_pred, dim=1),
                              F.one_hot(true_masks, model.n_classes).permute(0, 3, 1, 2).float())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            epoch_loss += loss.item()
        val_score = evaluate(lib, model, val_set)
        scheduler.step(val_score)
        history.append((epoch_loss, float(val_score), optimizer.param_groups[0]["lr"]))
    return history


def predict_img(lib, net, img, out_size):
    F = lib.nn.functional
    net.eval()
    with lib.no_grad():
        output = net(img).cpu()
        output = F.interpolate(output, out_size, mode="bilinear", align_corners=False)
        return output, output.argmax(dim=1)


def data(lib, n, seed, size=10):
    """Blobs: class 1 where a smooth field is high, class 2 where it is low."""
    r = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        img = r.standard_normal((2, N_CHANNELS, size, size))
        field = img[:, 0] + np.roll(img[:, 0], 1, axis=-1)
        mask = np.where(field > 0.8, 1, np.where(field < -0.8, 2, 0))
        out.append((lib.tensor(img), lib.tensor(mask)))
    return out


@pytest.mark.parametrize("bilinear", [True, False], ids=["upsample", "conv_transpose"])
def test_the_same_unet_program_trains_identically_on_torch_and_ember(bilinear):
    torch.manual_seed(0)
    tm = build(torch, bilinear).double()
    em = build(ember, bilinear).double()
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    th = train(torch, tm, data(torch, 3, 0), data(torch, 1, 1))
    eh = train(ember, em, data(ember, 3, 0), data(ember, 1, 1))
    np.testing.assert_allclose(eh, th, rtol=1e-9)
    for (name, a), b in zip(em.state_dict().items(), tm.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-10, err_msg=name)
    (timg, _), (eimg, _) = data(torch, 1, 2, size=9)[0], data(ember, 1, 2, size=9)[0]
    tout, tmask = predict_img(torch, tm, timg, (13, 11))
    eout, emask = predict_img(ember, em, eimg, (13, 11))
    assert eout.shape == (2, N_CLASSES, 13, 11)
    np.testing.assert_allclose(eout.numpy(), tout.numpy(), rtol=1e-9, atol=1e-12)
    assert emask.tolist() == tmask.tolist()


def test_dice_idioms_match_torch():
    r = np.random.default_rng(0)
    probs = r.uniform(0, 1, (2, 3, 4, 5))
    labels = r.integers(0, 3, (2, 4, 5))
    labels[1] = 0  # classes 1 and 2 absent from the second image: sets_sum == 0
    values = []
    for lib in (torch, ember):
        F = lib.nn.functional
        target = F.one_hot(lib.tensor(labels), 3).permute(0, 3, 1, 2).float()
        pred = F.one_hot(lib.tensor(probs).argmax(dim=1), 3).permute(0, 3, 1, 2)
        assert pred.dtype == lib.int64 and target.dtype == lib.float32
        values.append([float(multiclass_dice_coeff(lib, pred[:, 1:], target[:, 1:])),
                       float(dice_loss(lib, lib.tensor(probs), target))])
    np.testing.assert_allclose(values[1], values[0], rtol=1e-6)
