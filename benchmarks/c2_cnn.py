"""C2: a small CNN on 3x32x32 images, batch 64, Adam: one training step."""

import numpy as np
import torch

import ember
from harness import compare, header
from models import build_cnn, copy_weights, train_step


def main():
    header("C2 CNN training step (batch 64 of 3x32x32, Adam)")
    r = np.random.default_rng(0)
    xa = r.standard_normal((64, 3, 32, 32)).astype(np.float32)
    ya = r.integers(0, 10, 64)
    tm = build_cnn(torch)
    em = build_cnn(ember)
    copy_weights(tm, em, ember)
    t_opt = torch.optim.Adam(tm.parameters(), lr=1e-3)
    e_opt = ember.optim.Adam(em.parameters(), lr=1e-3)
    tx, ty = torch.tensor(xa), torch.tensor(ya)
    ex, ey = ember.tensor(xa), ember.tensor(ya)
    def e_loss(x, y):
        return ember.nn.functional.cross_entropy(em(x), y)

    def t_loss(x, y):
        return torch.nn.functional.cross_entropy(tm(x), y)

    lt = train_step(t_loss, t_opt, tx, ty).item()
    le = train_step(e_loss, e_opt, ex, ey).item()
    assert abs(le - lt) < 1e-4 * max(1.0, abs(lt)), f"losses differ: ember {le}, torch {lt}"
    compare("C2", lambda: train_step(e_loss, e_opt, ex, ey),
            lambda: train_step(t_loss, t_opt, tx, ty), warmup=3, rounds=8, inner=3)


if __name__ == "__main__":
    main()
