"""C5: per-op autograd overhead.

500 times ``x = x * 1.0001 + 0.0001`` on an 8-element tensor, then
``sum().backward()``; reported per op (1000 ops: 500 mul + 500 add), forward
and backward together.
"""

import torch

import ember
from harness import compare, header

STEPS = 500
OPS = 2 * STEPS


def ember_unit():
    x0 = ember.ones(8, requires_grad=True)
    x = x0
    for _ in range(STEPS):
        x = x * 1.0001 + 0.0001
    x.sum().backward()


def torch_unit():
    x0 = torch.ones(8, requires_grad=True)
    x = x0
    for _ in range(STEPS):
        x = x * 1.0001 + 0.0001
    x.sum().backward()


if __name__ == "__main__":
    header("C5 autograd overhead (us per op, forward + backward)")
    compare("C5", ember_unit, torch_unit, warmup=3, rounds=12, inner=5, per=OPS,
            unit_scale=1e6, unit="us/op")
