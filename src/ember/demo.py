"""The built-in demo: fit y = sin(3x) + noise with a 2-layer network.

Everything here is raw Ember tensors and autograd: parameters are leaf
tensors, the model is two matmuls and a tanh, and the optimiser is
mini-batch SGD with momentum written out by hand. It prints the training loss falling and
the final test error against the noise-free function.
"""

import math
import time

import ember


def make_data(n, generator, noise=0.1):
    """n points x ~ U(-2, 2) with y = sin(3x) + N(0, noise^2)."""
    x = ember.rand(n, 1, generator=generator) * 4 - 2
    y = ember.sin(3 * x) + noise * ember.randn(n, 1, generator=generator)
    return x, y


def run(steps=1500, seed=0, hidden=64, batch=32, lr=0.05, momentum=0.9, log_every=250):
    """Train and report; returns the final test mean squared error."""
    g = ember.Generator().manual_seed(seed)
    x_train, y_train = make_data(1024, g)
    x_test = ember.linspace(-2, 2, 200).reshape(200, 1)
    y_test = ember.sin(3 * x_test)

    # Parameters, initialised as nn.Linear would (uniform, 1/sqrt(fan_in)).
    w1 = (ember.rand(1, hidden, generator=g) * 2 - 1).requires_grad_()
    b1 = ember.zeros(hidden, requires_grad=True)
    bound = 1 / math.sqrt(hidden)
    w2 = ((ember.rand(hidden, 1, generator=g) * 2 - 1) * bound).requires_grad_()
    b2 = ember.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    velocity = [ember.zeros_like(p) for p in params]

    def model(x):
        return ember.tanh(x @ w1 + b1) @ w2 + b2

    print(f"Ember {ember.__version__} demo: fit y = sin(3x) + noise with a 1-{hidden}-1 tanh "
          f"network, mini-batch SGD (batch {batch}, lr {lr}, momentum {momentum}), {steps} steps")
    start = time.perf_counter()
    running = None
    for step in range(1, steps + 1):
        idx = ember.randint(0, x_train.shape[0], (batch,), generator=g)
        loss = ((model(x_train[idx]) - y_train[idx]) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with ember.no_grad():  # SGD with momentum: v = m v + g; p = p - lr v
            for p, v in zip(params, velocity):
                v.mul_(momentum).add_(p.grad)
                p -= lr * v
        running = loss.item() if running is None else 0.9 * running + 0.1 * loss.item()
        if step % log_every == 0 or step == 1:
            print(f"  step {step:5d}  loss {running:.4f}")
    with ember.no_grad():
        test_mse = ((model(x_test) - y_test) ** 2).mean().item()
    print(f"done in {time.perf_counter() - start:.2f}s; test MSE against sin(3x): {test_mse:.4f} "
          f"(noise variance 0.0100)")
    return test_mse
