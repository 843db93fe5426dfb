"""Training results, as the course compares them: histories plotted side by side, tables of final metrics.

Everything works headless (the Agg backend) and returns the matplotlib objects it drew on, so tests and
notebooks can check what is plotted. Histories may be `lrlib.course.History` objects, Keras ``History``
objects (their ``.history`` dict) or plain dicts of per-epoch lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

_LABELS = {
    "train_loss": "train loss", "train_acc": "train acc", "test_loss": "test loss", "test_acc": "test acc",
    "lr": "learning rate", "loss": "train loss", "accuracy": "train acc", "val_loss": "validation loss",
    "val_accuracy": "validation acc", "learning_rate": "learning rate",
}


def history(record: Any, axes=None, *, title: str | None = None):
    """One training run, d2l style: losses and accuracies per epoch on the left, the LR on the right.

    Returns the two axes. `record` is a History, a Keras History or a dict of per-epoch lists.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [2, 1]}, layout="constrained")
    left, right = axes
    for metric in ("train_loss", "train_acc", "test_acc", "loss", "accuracy", "val_accuracy"):
        values = _series(record, metric)
        if values is not None:
            left.plot(_epochs(values), values, marker="." if len(values) < 40 else None, label=_LABELS[metric])
    left.set(xlabel="epoch", title=title)
    left.grid(alpha=0.3)
    left.legend(fontsize="small")
    lr = _series(record, "lr")
    if lr is None:
        lr = _series(record, "learning_rate")
    if lr is not None:
        right.plot(_epochs(lr), lr, color="tab:gray")
    right.set(xlabel="epoch", ylabel="learning rate")
    right.grid(alpha=0.3)
    return axes


def histories(records: Mapping[str, Any], metrics: Sequence[str] = ("train_loss", "train_acc", "test_acc"),
              axes=None, *, logy_loss: bool = False):
    """Several training runs side by side: one panel per metric, one line per run; returns the axes.

    Metric names are History's (train_loss, train_acc, test_loss, test_acc, lr) or Keras's (loss, accuracy,
    val_loss, val_accuracy, learning_rate). A run without a metric is left out of that panel.
    """
    import matplotlib.pyplot as plt

    if not metrics:
        raise ValueError("metrics must name at least one metric")
    if axes is None:
        _, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.2), squeeze=False,
                               layout="constrained")
        axes = axes[0]
    if len(axes) != len(metrics):
        raise ValueError(f"axes must hold one axes per metric ({len(metrics)}), got {len(axes)}")
    for ax, metric in zip(axes, metrics):
        for name, record in records.items():
            values = _series(record, metric)
            if values is not None:
                ax.plot(_epochs(values), values, label=name)
        ax.set(xlabel="epoch", title=_LABELS.get(metric, metric),
               yscale="log" if logy_loss and metric.endswith("loss") else "linear")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    return axes


def results_table(records: Mapping[str, Any]):
    """A pandas DataFrame with one row per run: final train loss, train accuracy, test accuracy, and the gap.

    The gap is train accuracy minus test accuracy at the last epoch (how much the run overfits).
    """
    import pandas as pd

    rows = {}
    for name, record in records.items():
        final = {label: _final(record, keys) for label, keys in _TABLE.items()}
        final["train-test gap"] = final["train acc"] - final["test acc"]
        rows[name] = final
    return pd.DataFrame.from_dict(rows, orient="index")


_TABLE = {"train loss": ("train_loss", "loss"), "train acc": ("train_acc", "accuracy"),
          "test acc": ("test_acc", "val_accuracy")}


def _final(record: Any, keys: Sequence[str]) -> float:
    for key in keys:
        values = _series(record, key)
        if values is not None and len(values):
            return float(values[-1])
    raise ValueError(f"history has none of the metrics {keys}")


def _series(record: Any, metric: str):
    """The per-epoch values of `metric` in a History, Keras History or dict; None when absent or empty."""
    source = getattr(record, "history", record)  # a Keras History keeps its dict in .history
    if isinstance(source, Mapping):
        values = source.get(metric)
    else:
        values = getattr(source, metric, None)
    return None if values is None or len(values) == 0 else np.asarray(values, dtype=float)


def _epochs(values: np.ndarray) -> np.ndarray:
    return np.arange(1, len(values) + 1)


def seed_table(values: Mapping[str, Mapping[str, Sequence[float]]], digits: int = 3):
    """A pandas DataFrame of mean ± spread over seeds: one row per run, one column per metric.

    Each cell reads ``"mean ± std (min to max)"`` of the values measured for each seed; the standard
    deviation is the sample one (``ddof=1``), so a single seed shows no spread.

    Args:
        values: run name -> metric name -> one value per seed (the same seeds for every metric).
        digits: decimals shown.

    Returns:
        The table, indexed by run name, with the metrics as columns in the order first seen.

    Raises:
        ValueError: a metric has no values, or a value is not finite.

    Example:
        >>> seed_table({"constant": {"loss": [0.2, 0.4, 0.3]}}).loc["constant", "loss"]
        '0.300 ± 0.100 (0.200 to 0.400)'
    """
    import pandas as pd

    rows: dict[str, dict[str, str]] = {}
    for run, metrics in values.items():
        rows[run] = {}
        for metric, numbers in metrics.items():
            array = np.asarray(numbers, dtype=float)
            if array.size == 0 or not np.all(np.isfinite(array)):
                raise ValueError(f"values[{run!r}][{metric!r}] must be a non-empty list of finite numbers, "
                                 f"got {list(numbers)!r}")
            spread = float(array.std(ddof=1)) if array.size > 1 else 0.0
            rows[run][metric] = (f"{array.mean():.{digits}f} ± {spread:.{digits}f} "
                                 f"({array.min():.{digits}f} to {array.max():.{digits}f})")
    return pd.DataFrame.from_dict(rows, orient="index")
