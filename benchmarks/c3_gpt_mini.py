"""C3: GPT-mini (4 pre-LN blocks, d 256, 4 heads, T 128, batch 16, vocab 512), AdamW step."""

import numpy as np

from harness import header
from models import build_gpt, compare_training


def main():
    header("C3 GPT-mini training step (4 blocks, d 256, T 128, batch 16, AdamW)")
    r = np.random.default_rng(0)
    arrays = (r.integers(0, 512, (16, 128)), r.integers(0, 512, (16, 128)))
    compare_training("C3", build_gpt, lambda lib, ps: lib.optim.AdamW(ps, lr=3e-4), arrays,
                     warmup=2, rounds=6, inner=2)


if __name__ == "__main__":
    main()
