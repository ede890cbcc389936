"""How many threads the CPU math (BLAS) uses: ``ember.set_num_threads``.

NumPy's BLAS reads its thread count once at start-up; changing it later
needs ``threadpoolctl`` (installed with scikit-learn, or on its own). Without
it, ``set_num_threads`` warns and changes nothing, so a PyTorch script that
calls it still runs.
"""

import os
import warnings

__all__ = ["set_num_threads", "get_num_threads"]


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl


def set_num_threads(num):
    """Use ``num`` threads for BLAS (matrix products) from now on.

    Raises:
        ValueError: ``num`` is not a positive integer.
    """
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {num!r}")
    tpc = _threadpoolctl()
    if tpc is None:
        warnings.warn("set_num_threads: threadpoolctl is not installed, so the BLAS thread "
                      "count is unchanged (pip install threadpoolctl)", RuntimeWarning,
                      stacklevel=2)
        return
    tpc.threadpool_limits(limits=num, user_api="blas")


def get_num_threads():
    """The number of threads BLAS uses (the CPU count when it cannot be read)."""
    tpc = _threadpoolctl()
    if tpc is not None:
        counts = [lib["num_threads"] for lib in tpc.threadpool_info()
                  if lib.get("user_api") == "blas"]
        if counts:
            return max(counts)
    return os.cpu_count() or 1
