"""Shared benchmark harness: same workload in Ember and PyTorch, medians, ratio.

Each benchmark builds two closures that run one measured unit (a training
step, a forward+backward) and hands them to ``compare``. Both run in this one
process, interleaved in rounds so drift on a noisy machine hits both alike.
"""

import os
import platform
import statistics
import time


def blas_info():
    """One line naming the BLAS libraries and kernels in use (threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS: unknown (pip install threadpoolctl)"
    parts = []
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            parts.append(f"{lib.get('internal_api')} {lib.get('version')} "
                         f"({lib.get('architecture')}, {lib.get('num_threads')} threads, "
                         f"{os.path.basename(lib.get('filepath', ''))})")
    return "BLAS: " + "; ".join(parts) if parts else "BLAS: none found"


def header(title):
    """Print what runs where: machine, versions, BLAS."""
    import numpy
    import torch
    import ember
    print(f"== {title}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; "
          f"Python {platform.python_version()}; "
          f"numpy {numpy.__version__}; ember {ember.__version__}; torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")
    print(blas_info())
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"note: {var}={os.environ[var]} is set (slows NumPy; unset for benchmarks)")


def _time(fn, n):
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


# Idle BLAS / OpenMP worker threads keep spinning for a while after a call
# (OpenBLAS: about 0.1 s); the other framework's timed calls would then share
# the cores with them. A pause at every switch lets them go to sleep; untimed
# calls after it (at least one, for at least SWITCH_WARMUP seconds) wake the
# framework's own threads, its caches and the CPU's clock again.
SWITCH_PAUSE = 0.3
SWITCH_WARMUP = 0.05


def _time_alone(fn, n):
    """``_time`` after the pause and the untimed warm-up calls (see SWITCH_PAUSE)."""
    time.sleep(SWITCH_PAUSE)
    start = time.perf_counter()
    fn()
    while time.perf_counter() - start < SWITCH_WARMUP:
        fn()
    return _time(fn, n)


def compare(name, ember_fn, torch_fn, warmup=5, rounds=15, inner=1, unit_scale=1e3,
            unit="ms", per=1):
    """Time both closures and print medians and the ratio ember / torch.

    Rounds alternate which framework goes first. Each block of timed calls
    follows a pause of ``SWITCH_PAUSE`` seconds and untimed warm-up calls.

    Args:
        warmup: untimed calls of each first.
        rounds: timed rounds; each round times ``inner`` calls of each, alternating.
        unit_scale, unit: how to print a time (1e3, "ms" or 1e6, "us").
        per: divide each time by this (e.g. ops per unit).
    Returns:
        (ember median, torch median, ratio) in seconds per unit / per.
    """
    for _ in range(warmup):
        ember_fn()
        torch_fn()
    te, tt = [], []
    for r in range(rounds):
        first, second = (ember_fn, torch_fn) if r % 2 == 0 else (torch_fn, ember_fn)
        a = _time_alone(first, inner) / per
        b = _time_alone(second, inner) / per
        (te, tt)[r % 2].append(a)
        (tt, te)[r % 2].append(b)
    me, mt = statistics.median(te), statistics.median(tt)
    print(f"{name}: ember {me * unit_scale:.3f} {unit}, torch {mt * unit_scale:.3f} {unit}, "
          f"ratio {me / mt:.2f}")
    return me, mt, me / mt
