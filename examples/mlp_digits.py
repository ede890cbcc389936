"""A multilayer perceptron on scikit-learn's 8x8 handwritten digits, trained PyTorch-style.

Swap ``ember`` for ``torch`` (and ``ember.data`` for ``torch.utils.data`` /
``torchvision``) and this is a PyTorch script: a Dataset with transforms, a
DataLoader, an ``nn.Sequential`` model, Adam with a cosine schedule, and the
usual ``zero_grad`` / ``backward`` / ``step`` loop.

Run from the repository root:

    .venv/bin/python examples/mlp_digits.py            # 30 epochs, about 2-5 s
    .venv/bin/python examples/mlp_digits.py --epochs 10 --seed 1
"""

import argparse
import time

from threadpoolctl import threadpool_limits  # ships with scikit-learn, which digits need

import ember
from ember import nn
from ember.data import DataLoader
from ember.data import transforms as T
from ember.data.datasets import Digits
from training_loop import evaluate, train_one_epoch


def digits_loaders(batch_size):
    """Training (shuffled) and test DataLoaders over ``Digits`` with (1, 8, 8) float images."""
    # ToTensor: uint8 (8, 8) -> float (1, 8, 8) in [0, 1]. No Normalize: [0, 1] inputs
    # train just as well here, and a per-sample Normalize would double the epoch time.
    train_set = Digits(train=True, transform=T.ToTensor())
    test_set = Digits(train=False, transform=T.ToTensor())
    # Shuffling draws from ember's default generator, so manual_seed fixes the order.
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)
    return train_loader, test_loader


def build_mlp(hidden=256, dropout=0.2):
    """64 pixels -> ``hidden`` -> ``hidden // 2`` -> 10 class scores."""
    return nn.Sequential(
        nn.Flatten(),                      # (N, 1, 8, 8) -> (N, 64)
        nn.Linear(64, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, hidden // 2),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden // 2, 10),
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads; these matrices are tiny, so 1 is fastest")
    return parser.parse_args(argv)


def main(argv=None):
    """Train the MLP, print per-epoch loss/accuracy; returns the final test accuracy."""
    args = parse_args(argv)
    # A 32x64 @ 64x256 product is far too small to split across threads: with
    # several, OpenBLAS spends its time waking them (10-100x slower on a busy machine).
    with threadpool_limits(limits=args.threads, user_api="blas"):
        return run(args)


def run(args):
    ember.manual_seed(args.seed)  # weights, dropout masks and shuffling
    train_loader, test_loader = digits_loaders(args.batch_size)
    model = build_mlp()
    optimizer = ember.optim.AdamW(model.parameters(), lr=args.lr,
                                  weight_decay=args.weight_decay)
    scheduler = ember.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train_loss = train_one_epoch(model, train_loader, optimizer, loss_fn)
        scheduler.step()
        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        print(f"epoch {epoch:3d}  train loss {train_loss:.4f}  "
              f"test loss {test_loss:.4f}  test acc {test_acc:.2%}")
    print(f"final test accuracy: {test_acc:.2%} "
          f"({time.perf_counter() - start:.1f} s, seed {args.seed})")
    return test_acc


if __name__ == "__main__":
    main()
