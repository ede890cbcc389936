"""Loss and metric curves as PNG files, drawn only when matplotlib is installed.

matplotlib is optional: ``plot_history`` imports it when called and returns
no files when it is missing, so training never fails for want of a plot.
It draws on ``matplotlib.figure.Figure`` with the Agg canvas, never pyplot,
so no window opens and no global figure state is touched.
"""

import os

__all__ = ["plot_history"]


def _series(records):
    """{curve name: [(epoch, value), ...]} for losses and scalar metrics."""
    curves = {}
    for record in records:
        epoch = record.get("epoch")
        values = {"train_loss": record.get("train_loss"), "val_loss": record.get("val_loss")}
        values.update(record.get("metrics") or {})
        for name, value in values.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                curves.setdefault(name, []).append((epoch, value))
    return curves


def plot_history(records, out_dir):
    """Draw ``loss.png`` (train and val loss) and ``metrics.png`` from per-epoch records.

    Args:
        records: dicts as written to ``metrics.jsonl`` (``epoch``, ``train_loss``,
            ``val_loss``, ``metrics``).
        out_dir: existing directory for the PNG files.

    Returns:
        the paths written: [] when matplotlib is not installed or nothing is plottable.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return []
    curves = _series(records)
    groups = {"loss.png": [n for n in ("train_loss", "val_loss") if n in curves],
              "metrics.png": [n for n in curves if n not in ("train_loss", "val_loss")]}
    written = []
    for filename, names in groups.items():
        if not names:
            continue
        fig = Figure(figsize=(6, 4))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for name in names:
            epochs, values = zip(*curves[name])
            ax.plot(epochs, values, marker="o", label=name)
        ax.set_xlabel("epoch")
        ax.legend()
        path = os.path.join(out_dir, filename)
        fig.savefig(path)
        written.append(path)
    return written
