"""Run directories and JSON Lines logs.

Each ``fit`` with a ``log_dir`` writes into ``log_dir/<run name>/``:
``metrics.jsonl`` (one JSON object per epoch) and, when matplotlib is
installed, PNG curves. JSON Lines keeps a crashed run's log readable up to
its last complete epoch: each line is written and flushed on its own.
"""

import json
import math
import os
import time

__all__ = ["JSONLinesLogger", "make_run_dir", "read_jsonl"]


def make_run_dir(log_dir, run_name=None):
    """Create and return ``log_dir/run_name`` (default ``run-YYYYmmdd-HHMMSS``, made unique)."""
    if run_name is None:
        base = time.strftime("run-%Y%m%d-%H%M%S")
        run_name, n = base, 1
        while os.path.exists(os.path.join(log_dir, run_name)):
            run_name, n = f"{base}-{n}", n + 1
    elif not isinstance(run_name, str) or not run_name or os.sep in run_name:
        raise ValueError(f"make_run_dir: expected run_name to be a non-empty name without "
                         f"{os.sep!r}, got {run_name!r}")
    path = os.path.join(os.fspath(log_dir), run_name)
    os.makedirs(path, exist_ok=True)
    return path


def _json_safe(value):
    """Plain JSON values: NumPy scalars become numbers, NaN and inf become null (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy scalars and arrays
        return _json_safe(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class JSONLinesLogger:
    """Appends one JSON object per ``log(record)`` call to ``path``, flushed at once.

    Args:
        path: the ``.jsonl`` file; its directory must exist. An existing file
            is appended to, so a resumed run continues its log.
    """

    def __init__(self, path):
        self.path = os.fspath(path)

    def log(self, record):
        """Write ``record`` (a dict) as one line."""
        if not isinstance(record, dict):
            raise TypeError(f"JSONLinesLogger.log: expected a dict, got {type(record).__name__}")
        line = json.dumps(_json_safe(record), allow_nan=False)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def read_jsonl(path):
    """The records of a JSON Lines file, as a list of dicts."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
