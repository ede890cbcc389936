"""C1: MLP 784-512-512-10, ReLU, batch 128, cross-entropy, SGD momentum 0.9.

Built from raw tensor ops on both sides (parameters as leaf tensors,
functional linear/relu/cross_entropy, the momentum update written out), so
it measures the tensor/autograd core rather than a module system.
"""

import math

import numpy as np
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from harness import compare, header

SIZES = (784, 512, 512, 10)
BATCH, LR, MOMENTUM = 128, 0.01, 0.9


def init_params(seed=0):
    """NumPy float32 weights and biases, as nn.Linear initialises them."""
    r = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES, SIZES[1:]):
        bound = 1 / math.sqrt(fan_in)
        params.append(r.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(r.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    return params


def make_step(lib, fn, params, x, y):
    """One training step closure for ``lib`` (ember or torch) and its functional module."""
    ps = [lib.tensor(p).requires_grad_() for p in params]
    bufs = [lib.zeros_like(p) for p in ps]

    def step():
        h = x
        for i in range(0, len(ps) - 2, 2):
            h = fn.relu(fn.linear(h, ps[i], ps[i + 1]))
        loss = fn.cross_entropy(fn.linear(h, ps[-2], ps[-1]), y)
        for p in ps:
            p.grad = None
        loss.backward()
        with lib.no_grad():
            for p, b in zip(ps, bufs):
                b.mul_(MOMENTUM).add_(p.grad)
                p.sub_(b, alpha=LR)
        return loss
    return step


def main():
    header("C1 MLP training step (784-512-512-10, batch 128, SGD momentum)")
    r = np.random.default_rng(1)
    xa = r.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    ya = r.integers(0, SIZES[-1], BATCH)
    params = init_params()
    e_step = make_step(ember, F, params, ember.tensor(xa), ember.tensor(ya))
    t_step = make_step(torch, TF, params, torch.tensor(xa), torch.tensor(ya))
    # Same start, same data: the losses must agree before timing means anything.
    le, lt = e_step().item(), t_step().item()
    assert abs(le - lt) < 1e-4 * max(1.0, abs(lt)), f"losses differ: ember {le}, torch {lt}"
    compare("C1", e_step, t_step, warmup=5, rounds=12, inner=10)


if __name__ == "__main__":
    main()
