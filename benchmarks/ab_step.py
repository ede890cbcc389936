"""Compare two versions of one Ember module inside one process (an A/B test).

On a shared machine, separate runs of a benchmark drift by 5-10%, more than
most single changes are worth. This script loads two versions of a module
from files, builds one Ember training step (C2, C3 or C4), and alternates:
version A for a few steps, then version B, many times. Both see the same
machine state, so the median of the paired differences is steadier than
comparing separate runs. Run an A/A first (the same file twice): its
difference is the noise floor (0.1-0.9 ms on C4 here, depending on how busy
the host is); trust only differences well above it, seen twice.

    git show HEAD:src/ember/ops/lstm_layer.py > /tmp/old.py
    .venv/bin/python benchmarks/ab_step.py c4 ember.ops.lstm_layer /tmp/old.py \\
        src/ember/ops/lstm_layer.py LSTMLayer.forward LSTMLayer.backward

Names are attributes of the module, or ``Class.attribute``; the swapped
function runs with its own file's module globals, so it must not share
state with the other version (a Function's forward and backward: swap both).
"""

import argparse
import importlib
import importlib.util
import statistics
import sys
import time

import numpy as np

from models import build_cnn, build_gpt, build_lstm_lm, train_step


def _workload(name, ember):
    r = np.random.default_rng(0)
    if name == "c2":
        net = build_cnn(ember)
        batch = (ember.tensor(r.standard_normal((64, 3, 32, 32), dtype=np.float32)),
                 ember.tensor(r.integers(0, 10, 64)))
        loss = lambda x, y: ember.nn.functional.cross_entropy(net(x), y)
        return net, loss, batch, ember.optim.Adam
    if name == "c3":
        net = build_gpt(ember)
        batch = tuple(ember.tensor(r.integers(0, 512, (16, 128))) for _ in range(2))
        return net, net, batch, ember.optim.AdamW
    if name == "c4":
        net = build_lstm_lm(ember)
        batch = tuple(ember.tensor(r.integers(0, 512, (32, 64))) for _ in range(2))
        return net, net, batch, ember.optim.Adam
    raise SystemExit(f"unknown workload {name!r}: expected c2, c3 or c4")


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _resolve(module, dotted):
    owner, attr = module, dotted
    if "." in dotted:
        cls, attr = dotted.split(".", 1)
        owner = getattr(module, cls)
    return owner, attr


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", choices=["c2", "c3", "c4"])
    parser.add_argument("module", help="dotted name of the module to swap, e.g. ember.ops.conv")
    parser.add_argument("a", help="file of version A")
    parser.add_argument("b", help="file of version B")
    parser.add_argument("names", nargs="+", help="attributes to swap (name or Class.name)")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per block")
    args = parser.parse_args()

    import ember
    target = importlib.import_module(args.module)
    versions = {"A": _load(args.a, "ab_version_a"), "B": _load(args.b, "ab_version_b")}
    net, loss, batch, optimizer = _workload(args.workload, ember)
    opt = optimizer(net.parameters(), lr=1e-3)

    def use(version):
        for dotted in args.names:
            src_owner, attr = _resolve(versions[version], dotted)
            dst_owner, _ = _resolve(target, dotted)
            setattr(dst_owner, attr, src_owner.__dict__[attr] if isinstance(src_owner, type)
                    else getattr(src_owner, attr))

    times = {"A": [], "B": []}
    for r in range(args.rounds):
        for version in ("A", "B") if r % 2 == 0 else ("B", "A"):
            use(version)
            train_step(loss, opt, *batch)  # untimed: the switch's cold caches
            start = time.perf_counter()
            for _ in range(args.steps):
                train_step(loss, opt, *batch)
            times[version].append((time.perf_counter() - start) / args.steps * 1e3)
    for version in "AB":
        print(f"{version}: median {statistics.median(times[version]):.2f} ms "
              f"(min {min(times[version]):.2f})")
    diffs = [a - b for a, b in zip(times["A"], times["B"])]
    print(f"A - B: median {statistics.median(diffs):.2f} ms over {args.rounds} pairs")


if __name__ == "__main__":
    sys.exit(main())
