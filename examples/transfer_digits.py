"""Transfer learning on the 8x8 digits: features learned on 0-4 help classify 5-9 from few labels.

1. Pretrain ``DigitsCNN`` (from ``cnn_digits.py``) on every training image of
   digits 0-4, and save it as a checkpoint.
2. Transfer: load the checkpoint, freeze the body (``features.requires_grad_(False)``),
   put a fresh 5-class head on it and train only the head on digits 5-9,
   using 10% of their training labels (a seeded random subset).
3. Baseline: the same architecture from scratch, trained on the same 10%
   subset with the same optimizer, batch size, epochs and seed.

Both are scored on every test image of digits 5-9; this repeats over a few
label subsets (``--trials``) and prints the mean.

What to expect: the frozen body learns fast. With the default short budget
(8 epochs of the 73 labels, 40 optimizer steps) transfer wins clearly; given
40 epochs, training from scratch catches up to within about one test image
(these digits are easy), so the pretrained body buys speed and stability
here more than a higher ceiling.
examples/README.md lists the measured numbers for both budgets.

Run from the repository root (``cnn_digits.py`` must sit beside this file):

    .venv/bin/python examples/transfer_digits.py             # about 5-10 s
    .venv/bin/python examples/transfer_digits.py --epochs 40  # the longer budget
"""

import argparse
import os
import tempfile
import time

from threadpoolctl import threadpool_limits  # ships with scikit-learn, which digits need

import ember
from ember import nn
from ember.data import DataLoader, Dataset, random_split

from cnn_digits import DigitsCNN, digits_datasets
from training_loop import evaluate, train_one_epoch

SOURCE_DIGITS, TARGET_DIGITS = range(0, 5), range(5, 10)


class DigitSubset(Dataset):
    """The samples of ``dataset`` whose label is in ``digits``, relabeled 0..len(digits)-1."""

    def __init__(self, dataset, digits):
        digits = list(digits)
        self.dataset = dataset
        self.indices = [i for i, y in enumerate(dataset.targets) if y in digits]
        self.new_label = {d: i for i, d in enumerate(digits)}

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, idx):
        image, label = self.dataset[self.indices[idx]]
        return image, self.new_label[int(label)]


def fit(model, train_set, epochs, args, seed):
    """Train the parameters of ``model`` that require grad, batches shuffled by ``seed``."""
    ember.manual_seed(seed)  # shuffling and dropout: identical for transfer and scratch
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = ember.optim.AdamW(trainable, lr=args.lr, weight_decay=args.weight_decay)
    scheduler = ember.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        loss = train_one_epoch(model, loader, optimizer, loss_fn)
        scheduler.step()
    return loss


def accuracy(model, dataset):
    """Fraction of ``dataset`` that ``model`` classifies correctly."""
    return evaluate(model, DataLoader(dataset, batch_size=256), nn.CrossEntropyLoss())[1]


def pretrain(source_train, source_test, args, checkpoint):
    """Train a 5-class DigitsCNN on digits 0-4 and save its state_dict to ``checkpoint``."""
    ember.manual_seed(args.seed)
    model = DigitsCNN(num_classes=len(SOURCE_DIGITS))
    print(f"pretraining on digits 0-4: {len(source_train)} labelled images")
    loss = fit(model, source_train, args.pretrain_epochs, args, args.seed)
    print(f"  train loss {loss:.4f}  test acc on 0-4 {accuracy(model, source_test):.2%}")
    ember.save(model.state_dict(), checkpoint)


def transfer(checkpoint, few_labels, target_test, args, seed):
    """Frozen pretrained body + new head trained on ``few_labels``; returns the test accuracy."""
    ember.manual_seed(seed)
    model = DigitsCNN(num_classes=len(SOURCE_DIGITS))
    model.load_state_dict(ember.load(checkpoint))
    model.features.requires_grad_(False)
    body_before = {k: v.clone() for k, v in model.features.state_dict().items()}
    # The new head: freshly initialised, and trainable (new Parameters require grad).
    model.classifier = DigitsCNN.head(len(TARGET_DIGITS))
    fit(model, few_labels, args.epochs, args, seed)
    body_after = model.features.state_dict()
    unchanged = all(ember.equal(body_before[k], body_after[k]) for k in body_before)
    if not unchanged:
        raise RuntimeError("transfer: the frozen feature extractor changed during training")
    return accuracy(model, target_test)


def from_scratch(few_labels, target_test, args, seed):
    """The same architecture, randomly initialised, all of it trained on ``few_labels``."""
    ember.manual_seed(seed)
    model = DigitsCNN(num_classes=len(TARGET_DIGITS))
    fit(model, few_labels, args.epochs, args, seed)
    return accuracy(model, target_test)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pretrain-epochs", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=8,
                        help="epochs on the few 5-9 labels, the same for transfer and scratch")
    parser.add_argument("--label-fraction", type=float, default=0.1)
    parser.add_argument("--trials", type=int, default=5,
                        help="label subsets (seeds seed+1, seed+2, ...) to average over")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads; these matrices are tiny, so 1 is fastest")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the comparison; returns ``{"transfer": mean_acc, "scratch": mean_acc, "trials": [...]}``.

    Each entry of ``"trials"`` is ``(seed, n_labels, transfer_acc, scratch_acc)``.
    """
    args = parse_args(argv)
    # The GEMMs here are far too small to split across threads: with several,
    # OpenBLAS spends its time waking them (10-100x slower on a busy machine).
    with threadpool_limits(limits=args.threads, user_api="blas"), \
            tempfile.TemporaryDirectory() as tmp:
        return run(args, os.path.join(tmp, "digits04.safetensors"))


def run(args, checkpoint):
    start = time.perf_counter()
    train_set, test_set = digits_datasets()
    source_train, source_test = (DigitSubset(d, SOURCE_DIGITS) for d in (train_set, test_set))
    target_train, target_test = (DigitSubset(d, TARGET_DIGITS) for d in (train_set, test_set))
    pretrain(source_train, source_test, args, checkpoint)

    print(f"digits 5-9: {args.label_fraction:.0%} of {len(target_train)} training labels, "
          f"{args.epochs} epochs each, tested on {len(target_test)} images")
    trials = []
    for seed in range(args.seed + 1, args.seed + 1 + args.trials):
        n_labels = max(1, round(args.label_fraction * len(target_train)))
        few_labels, _ = random_split(target_train, [n_labels, len(target_train) - n_labels],
                                     generator=ember.Generator().manual_seed(seed))
        transfer_acc = transfer(checkpoint, few_labels, target_test, args, seed)
        scratch_acc = from_scratch(few_labels, target_test, args, seed)
        trials.append((seed, n_labels, transfer_acc, scratch_acc))
        print(f"  seed {seed}: {n_labels} labels  transfer (frozen body) {transfer_acc:.2%}  "
              f"from scratch {scratch_acc:.2%}")

    transfer_mean = sum(t[2] for t in trials) / len(trials)
    scratch_mean = sum(t[3] for t in trials) / len(trials)
    print("frozen feature extractor unchanged after head training: yes (checked each trial)")
    print(f"mean test accuracy on digits 5-9 over {len(trials)} trials: "
          f"transfer {transfer_mean:.2%}  from scratch {scratch_mean:.2%} "
          f"({time.perf_counter() - start:.1f} s)")
    return {"transfer": transfer_mean, "scratch": scratch_mean, "trials": trials}


if __name__ == "__main__":
    main()
