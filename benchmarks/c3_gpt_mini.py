"""C3: GPT-mini (4 pre-LN blocks, d 256, 4 heads, T 128, batch 16, vocab 512), AdamW step."""

import numpy as np
import torch

import ember
from harness import compare, header
from models import build_gpt, copy_weights, train_step


def main():
    header("C3 GPT-mini training step (4 blocks, d 256, T 128, batch 16, AdamW)")
    r = np.random.default_rng(0)
    idx = r.integers(0, 512, (16, 128))
    tgt = r.integers(0, 512, (16, 128))
    torch.manual_seed(0)
    tm = build_gpt(torch)
    em = build_gpt(ember)
    copy_weights(tm, em, ember)
    t_opt = torch.optim.AdamW(tm.parameters(), lr=3e-4)
    e_opt = ember.optim.AdamW(em.parameters(), lr=3e-4)
    tb = (torch.tensor(idx), torch.tensor(tgt))
    eb = (ember.tensor(idx), ember.tensor(tgt))
    lt, le = train_step(tm, t_opt, *tb).item(), train_step(em, e_opt, *eb).item()
    assert abs(le - lt) < 1e-3 * max(1.0, abs(lt)), f"losses differ: ember {le}, torch {lt}"
    compare("C3", lambda: train_step(em, e_opt, *eb), lambda: train_step(tm, t_opt, *tb),
            warmup=2, rounds=6, inner=2)


if __name__ == "__main__":
    main()
