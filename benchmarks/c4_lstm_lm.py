"""C4: LSTM LM (embedding 128, 2-layer LSTM hidden 256, seq 64, batch 32, vocab 512), Adam step."""

import numpy as np
import torch

import ember
from harness import compare, header
from models import build_lstm_lm, copy_weights, train_step


def main():
    header("C4 LSTM LM training step (2 x LSTM 256, seq 64, batch 32, Adam)")
    r = np.random.default_rng(0)
    idx = r.integers(0, 512, (32, 64))
    tgt = r.integers(0, 512, (32, 64))
    torch.manual_seed(0)
    tm = build_lstm_lm(torch)
    em = build_lstm_lm(ember)
    copy_weights(tm, em, ember)
    t_opt = torch.optim.Adam(tm.parameters(), lr=1e-3)
    e_opt = ember.optim.Adam(em.parameters(), lr=1e-3)
    tb = (torch.tensor(idx), torch.tensor(tgt))
    eb = (ember.tensor(idx), ember.tensor(tgt))
    lt, le = train_step(tm, t_opt, *tb).item(), train_step(em, e_opt, *eb).item()
    assert abs(le - lt) < 1e-3 * max(1.0, abs(lt)), f"losses differ: ember {le}, torch {lt}"
    compare("C4", lambda: train_step(em, e_opt, *eb), lambda: train_step(tm, t_opt, *tb),
            warmup=2, rounds=8, inner=2)


if __name__ == "__main__":
    main()
