"""A small convolutional network on scikit-learn's 8x8 handwritten digits, trained PyTorch-style.

The model follows torchvision's layout: ``features`` (convolutions and
pooling, ending in a flat vector) then ``classifier`` (the head), so that
``transfer_digits.py`` can reuse the body and swap the head.

Run from the repository root:

    .venv/bin/python examples/cnn_digits.py            # 20 epochs, about 5-10 s
    .venv/bin/python examples/cnn_digits.py --epochs 10 --seed 1
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


class DigitsCNN(nn.Module):
    """Two conv/ReLU/max-pool stages on (1, 8, 8) images, then a two-layer head.

    Args:
        num_classes: size of the head's output. Default: 10.
        hidden: width of the head's hidden layer. Default: 128.
        dropout: dropout probability in the head. Default: 0.25.

    Shape:
        - Input: (N, 1, 8, 8)
        - Output: (N, num_classes)
    """

    feature_dim = 64 * 4 * 4  # channels x height x width of the last feature map

    def __init__(self, num_classes=10, hidden=128, dropout=0.25):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1),   # (N, 32, 8, 8)
            nn.ReLU(),
            nn.MaxPool2d(2),                              # (N, 32, 4, 4)
            nn.Conv2d(32, 64, kernel_size=3, padding=1),  # (N, 64, 4, 4)
            nn.ReLU(),
            nn.Flatten(),                                 # (N, 1024)
        )
        self.classifier = self.head(num_classes, hidden, dropout)

    @classmethod
    def head(cls, num_classes, hidden=128, dropout=0.25):
        """A freshly initialised head: features -> ``hidden`` -> ``num_classes`` scores."""
        return nn.Sequential(
            nn.Linear(cls.feature_dim, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def digits_datasets():
    """The fixed training and test splits of ``Digits`` as (1, 8, 8) float images in [0, 1]."""
    return Digits(train=True, transform=T.ToTensor()), Digits(train=False, transform=T.ToTensor())


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads; these matrices are tiny, so 1 is fastest")
    return parser.parse_args(argv)


def main(argv=None):
    """Train the CNN, print per-epoch loss/accuracy; returns the final test accuracy."""
    args = parse_args(argv)
    # The GEMMs here are far too small to split across threads: with several,
    # OpenBLAS spends its time waking them (10-100x slower on a busy machine).
    with threadpool_limits(limits=args.threads, user_api="blas"):
        return run(args)


def run(args):
    ember.manual_seed(args.seed)  # weights, dropout masks and shuffling
    train_set, test_set = digits_datasets()
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)
    model = DigitsCNN()
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
