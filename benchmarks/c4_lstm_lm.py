"""C4: LSTM LM (embedding 128, 2-layer LSTM hidden 256, seq 64, batch 32, vocab 512), Adam step."""

import numpy as np

from harness import header
from models import build_lstm_lm, compare_training


def main():
    header("C4 LSTM LM training step (2 x LSTM 256, seq 64, batch 32, Adam)")
    r = np.random.default_rng(0)
    arrays = (r.integers(0, 512, (32, 64)), r.integers(0, 512, (32, 64)))
    compare_training("C4", build_lstm_lm, lambda lib, ps: lib.optim.Adam(ps, lr=1e-3), arrays,
                     warmup=2, rounds=8, inner=2)


if __name__ == "__main__":
    main()
