"""C2: a small CNN on 3x32x32 images, batch 64, Adam: one training step."""

import numpy as np

from harness import header
from models import build_cnn, compare_training


def main():
    header("C2 CNN training step (batch 64 of 3x32x32, Adam)")
    r = np.random.default_rng(0)
    arrays = (r.standard_normal((64, 3, 32, 32)).astype(np.float32), r.integers(0, 10, 64))
    compare_training("C2", build_cnn, lambda lib, ps: lib.optim.Adam(ps, lr=1e-3), arrays,
                     loss=lambda lib, m, x, y: lib.nn.functional.cross_entropy(m(x), y),
                     tol=1e-4, warmup=3, rounds=8, inner=3)


if __name__ == "__main__":
    main()
