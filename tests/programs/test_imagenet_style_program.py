"""A PyTorch-style image classification script (ImageNet-example shape), on torch and on Ember.

Written the way the reference ImageNet training script is: ``AverageMeter``
objects fed with ``loss.item()`` and with the 0-d tensors of an
``accuracy(output, target, topk=(1, 5))`` built from
``output.topk(maxk, 1, True, True)``, ``pred.t()``,
``target.view(1, -1).expand_as(pred)`` and
``correct[:k].reshape(-1).float().sum(0, keepdim=True).mul_(100.0 /
batch_size)``; ``best_acc1 = max(acc1, best_acc1)`` on tensors; SGD with
momentum and weight decay under ``StepLR``; a checkpoint dictionary written
with ``torch.save`` (and copied with ``shutil.copyfile`` when best) and a
resume through ``torch.load(..., map_location=...)`` restoring model,
optimizer and scheduler. The test trains straight through on torch and with
a save/resume in the middle on Ember, and checks the two histories agree.
The script's CUDA/AMP switches are in separate tests below.
"""

import os
import shutil

import numpy as np
import torch

import ember

NUM_CLASSES = 10


def build(lib):
    nn = lib.nn

    class SmallNet(nn.Module):
        def __init__(self, num_classes=NUM_CLASSES, dropout=0.0):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 6, kernel_size=3, stride=1, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=2, stride=2),
                nn.Conv2d(6, 8, kernel_size=3, padding=1),
                nn.ReLU(inplace=True))
            self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
            self.classifier = nn.Sequential(
                nn.Dropout(p=dropout),
                nn.Linear(8 * 2 * 2, 16),
                nn.ReLU(inplace=True),
                nn.Linear(16, num_classes))

        def forward(self, x):
            x = self.features(x)
            x = self.avgpool(x)
            x = lib.flatten(x, 1)
            return self.classifier(x)

    return SmallNet()


class AverageMeter:
    """Computes and stores the average and current value."""

    def __init__(self, name, fmt=":f"):
        self.name, self.fmt = name, fmt
        self.reset()

    def reset(self):
        self.val = self.avg = self.sum = self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count

    def __str__(self):
        fmtstr = "{name} {val" + self.fmt + "} ({avg" + self.fmt + "})"
        return fmtstr.format(**self.__dict__)


def accuracy(lib, output, target, topk=(1,)):
    """Computes the accuracy over the k top predictions for the specified values of k."""
    with lib.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res


def train_one_epoch(lib, loader, model, criterion, optimizer):
    losses, top1, top5 = AverageMeter("Loss", ":.4e"), AverageMeter("Acc@1", ":6.2f"), \
        AverageMeter("Acc@5", ":6.2f")
    model.train()
    for images, target in loader:
        output = model(images)
        loss = criterion(output, target)
        acc1, acc5 = accuracy(lib, output, target, topk=(1, 5))
        losses.update(loss.item(), images.size(0))
        top1.update(acc1[0], images.size(0))
        top5.update(acc5[0], images.size(0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses, top1, top5


def validate(lib, loader, model, criterion):
    losses, top1 = AverageMeter("Loss", ":.4e"), AverageMeter("Acc@1", ":6.2f")
    model.eval()
    with lib.no_grad():
        for images, target in loader:
            output = model(images)
            loss = criterion(output, target)
            acc1, = accuracy(lib, output, target, topk=(1,))
            losses.update(loss.item(), images.size(0))
            top1.update(acc1[0], images.size(0))
    return top1.avg, losses.avg


def save_checkpoint(lib, state, is_best, directory, filename="checkpoint.pth.tar"):
    path = os.path.join(directory, filename)
    lib.save(state, path)
    if is_best:
        shutil.copyfile(path, os.path.join(directory, "model_best.pth.tar"))


def main_worker(lib, train_loader, val_loader, start_epoch, epochs, directory, resume=None,
                model=None):
    """The script's main loop: optional resume, then train / validate / checkpoint."""
    model = model if model is not None else build(lib).double()
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), 0.05, momentum=0.9, weight_decay=1e-4)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
    best_acc1 = 0
    if resume:
        checkpoint = lib.load(resume, map_location="cpu")
        start_epoch = checkpoint["epoch"]
        best_acc1 = checkpoint["best_acc1"]
        model.load_state_dict(checkpoint["state_dict"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
    log = []
    for epoch in range(start_epoch, epochs):
        losses, top1, top5 = train_one_epoch(lib, train_loader, model, criterion, optimizer)
        acc1, val_loss = validate(lib, val_loader, model, criterion)
        scheduler.step()
        is_best = acc1 > best_acc1
        best_acc1 = max(acc1, best_acc1)
        save_checkpoint(lib, {"epoch": epoch + 1, "arch": "smallnet",
                              "state_dict": model.state_dict(), "best_acc1": best_acc1,
                              "optimizer": optimizer.state_dict(),
                              "scheduler": scheduler.state_dict()}, is_best, directory)
        log.append((losses.avg, float(top1.avg), float(top5.avg), float(acc1), val_loss,
                    float(best_acc1), scheduler.get_last_lr()[0], str(top1)))
    return model, log


def loaders(lib, seed):
    r = np.random.default_rng(seed)

    def batches(n):
        return [(lib.tensor(r.standard_normal((8, 3, 8, 8))),
                 lib.tensor(r.integers(0, NUM_CLASSES, 8))) for _ in range(n)]
    return batches(3), batches(2)


def test_the_same_classification_script_runs_identically_and_resumes_on_ember(tmp_path):
    torch.manual_seed(0)
    tm = build(torch).double()
    em = build(ember).double()
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tdir, edir = tmp_path / "torch", tmp_path / "ember"
    tdir.mkdir()
    edir.mkdir()
    tm, tlog = main_worker(torch, *loaders(torch, 0), 0, 4, str(tdir), model=tm)
    _, elog = main_worker(ember, *loaders(ember, 0), 0, 2, str(edir), model=em)
    # a fresh process would start here: nothing but the checkpoint carries over
    em2, elog2 = main_worker(ember, *loaders(ember, 0), 0, 4, str(edir),
                             resume=str(edir / "checkpoint.pth.tar"))
    elog += elog2
    assert len(elog) == len(tlog) == 4
    for ours, ref in zip(elog, tlog):
        np.testing.assert_allclose(ours[:7], ref[:7], rtol=1e-9)
        assert ours[7] == ref[7]  # "Acc@1  12.50 ( 8.33)": format() of 0-d tensors
    assert [round(r[6], 12) for r in elog] == [0.05, 0.005, 0.005, 0.0005]
    for (name, a), b in zip(em2.state_dict().items(), tm.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-10, err_msg=name)
    assert (edir / "model_best.pth.tar").exists() == (tdir / "model_best.pth.tar").exists()


def test_topk_accuracy_matches_torch():
    r = np.random.default_rng(1)
    out, tgt = r.standard_normal((7, NUM_CLASSES)), r.integers(0, NUM_CLASSES, 7)
    t = accuracy(torch, torch.tensor(out), torch.tensor(tgt), topk=(1, 3, 5))
    e = accuracy(ember, ember.tensor(out), ember.tensor(tgt), topk=(1, 3, 5))
    assert [v.shape for v in e] == [(1,)] * 3 and e[0].dtype == ember.float32
    np.testing.assert_allclose([v.item() for v in e], [v.item() for v in t], rtol=1e-6)


def test_the_scripts_backend_switches():
    saved = ember.backends.cudnn.benchmark, ember.backends.cudnn.deterministic
    try:
        ember.backends.cudnn.benchmark = True
        ember.backends.cudnn.deterministic = True
        assert ember.backends.cudnn.benchmark and ember.backends.cudnn.deterministic
        assert not ember.backends.mps.is_available()
    finally:  # process-wide flags: leave them as the other tests expect
        ember.backends.cudnn.benchmark, ember.backends.cudnn.deterministic = saved


def test_the_scripts_seeding():
    ember.manual_seed(0)
    ember.cuda.manual_seed(0)
    ember.cuda.manual_seed_all(0)


def amp_step(lib, model, images, target, use_amp):
    """The mixed-precision recipe as scripts write it, switched off by a flag."""
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), 0.05, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", enabled=use_amp)
    with lib.autocast(device_type="cpu", dtype=lib.bfloat16, enabled=use_amp):
        loss = criterion(model(images), target)
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()


def test_the_amp_recipe_switched_off():
    torch.manual_seed(0)
    tm = build(torch).double()
    em = build(ember).double()
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    (timg, ttgt), (eimg, etgt) = loaders(torch, 0)[0][0], loaders(ember, 0)[0][0]
    tl = amp_step(torch, tm, timg, ttgt, use_amp=False)
    el = amp_step(ember, em, eimg, etgt, use_amp=False)
    np.testing.assert_allclose(el, tl, rtol=1e-10)
    np.testing.assert_allclose(em.classifier[3].weight.detach().numpy(),
                               tm.classifier[3].weight.detach().numpy(), rtol=1e-9)


def test_the_amp_recipe_switched_on():
    """The same recipe in float32 with bfloat16 autocast: convolutions and linears run in
    bfloat16, the loss in float32; losses and weights agree with torch's within
    bfloat16's precision over a few steps."""
    torch.manual_seed(0)
    tm, em = build(torch), build(ember)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tl, el = [], []
    for (timg, ttgt), (eimg, etgt) in zip(loaders(torch, 0)[0], loaders(ember, 0)[0]):
        tl.append(amp_step(torch, tm, timg.float(), ttgt, use_amp=True))
        el.append(amp_step(ember, em, eimg.float(), etgt, use_amp=True))
    np.testing.assert_allclose(el, tl, rtol=2e-2)
    for lib, model, img in ((torch, tm, timg), (ember, em, eimg)):
        with lib.autocast(device_type="cpu", dtype=lib.bfloat16):
            assert model(img.float()).dtype == lib.bfloat16
    for (name, a), b in zip(em.state_dict().items(), tm.state_dict().values()):
        assert a.dtype == ember.float32, name
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=3e-2, atol=3e-3, err_msg=name)
