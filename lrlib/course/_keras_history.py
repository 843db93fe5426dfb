"""Keras training histories: join the histories of successive ``fit`` calls, and plot losses and LR per epoch.

keras_one_cycle_clr (psklight) trains one-cycle after one-cycle and joins the runs (its ``concatenate_history`` and
``plot_from_history``); these are the Keras 3 versions, working on ``keras.callbacks.History`` objects (what
``model.fit`` returns) or plain ``{metric: [per-epoch values]}`` dicts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np


def concatenate_histories(histories: Sequence[Any], reindex_epoch: bool = True) -> keras.callbacks.History:
    """One ``History`` holding the epochs of ``histories`` one after the other.

    Every metric any history has becomes a key; a history without it contributes NaN for its epochs (for
    example ``val_loss`` of a run trained without validation data), so all lists keep one value per epoch.
    ``reindex_epoch=True`` numbers the epochs 0, 1, 2, ... across the runs; ``False`` keeps each run's own
    numbers (``History.epoch``, which restart at 0 for each ``fit`` unless it was given ``initial_epoch``).
    """
    if isinstance(histories, (Mapping, str, bytes)) or not isinstance(histories, Sequence) or not histories:
        raise ValueError(f"histories must be a non-empty list of Keras History objects or dicts, got {histories!r}")
    records = [_metrics(history, index) for index, history in enumerate(histories)]
    names = list(dict.fromkeys(name for metrics, _ in records for name in metrics))
    joined = keras.callbacks.History()
    joined.history = {name: [] for name in names}
    joined.epoch = []
    for metrics, epochs in records:
        for name in names:
            joined.history[name].extend(metrics.get(name, [math.nan] * len(epochs)))
        joined.epoch.extend(epochs)
    if reindex_epoch:
        joined.epoch = list(range(len(joined.epoch)))
    return joined


def plot_history(
    history: Any,
    metrics: Sequence[str] = ("loss",),
    lr: bool | None = None,
    axes: Any = None,
    logy: bool = False,
    batch_lr: Sequence[float] | None = None,
) -> Any:
    """Training and validation curves against the epoch, and the learning rate in a second panel.

    Plots each of ``metrics`` and its ``val_`` counterpart when present. ``lr=None`` adds the LR panel when the
    history has a ``learning_rate`` (or ``lr``) entry, as `lrlib.keras.ScheduleCallback` records (one value
    per epoch: the LR of its last batch). ``batch_lr``, the LR of every training batch (for example
    ``callback.batch_log.column("lr")`` of each fit, concatenated), draws the LR panel per batch instead, on
    the same epoch axis (batch ``i`` of ``n`` per epoch at ``i / n``), so warm-ups and restarts within an
    epoch show. ``axes``: one axes, or two when the LR panel is drawn. Returns the axes drawn on.

    Raises:
        ValueError: unknown metrics, ``lr=True`` without LRs, ``batch_lr`` with ``lr=False`` or not a whole
            number of batches per epoch, or the wrong number of axes.
    """
    import matplotlib.pyplot as plt

    values, epochs = _metrics(history, 0)
    missing = [name for name in metrics if name not in values]
    if not metrics or missing:
        raise ValueError(f"metrics must name entries of the history {sorted(values)}, got {list(metrics)!r}")
    lr_name = next((name for name in ("learning_rate", "lr") if name in values), None)
    if batch_lr is not None and lr is False:
        raise ValueError("batch_lr is given but lr=False: pass one or the other")
    if lr and lr_name is None and batch_lr is None:
        raise ValueError("lr=True but the history has no 'learning_rate' or 'lr' entry")
    show_lr = (lr_name is not None or batch_lr is not None) if lr is None else bool(lr)
    lr_x, lr_y = _lr_curve(values, lr_name, epochs, batch_lr) if show_lr else (None, None)
    panels = 2 if show_lr else 1
    if axes is None:
        _, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.2), squeeze=False)
        axes = axes[0]
    axes = np.atleast_1d(axes)
    if len(axes) != panels:
        what = "metrics and learning rate" if show_lr else "metrics"
        raise ValueError(f"axes must hold {panels} axes ({what}), got {len(axes)}")
    for name in metrics:
        for key, label in ((name, f"train {name}"), (f"val_{name}", f"validation {name}")):
            if key in values:
                axes[0].plot(epochs, values[key], marker="." if len(epochs) < 40 else None, label=label)
    axes[0].set(xlabel="epoch", yscale="log" if logy else "linear")
    axes[0].grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    if show_lr:
        axes[1].plot(lr_x, lr_y, color="tab:gray")
        axes[1].set(xlabel="epoch", ylabel="learning rate" + (" (per batch)" if batch_lr is not None else ""))
        axes[1].grid(alpha=0.3)
    return axes


def _lr_curve(
    values: dict[str, list[float]], lr_name: str | None, epochs: list[int], batch_lr: Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, lr)`` for the LR panel: per epoch from the history, or per batch on the epoch axis."""
    if batch_lr is None:
        assert lr_name is not None  # plot_history draws the LR panel only when one of the two is there
        return np.asarray(epochs, dtype=float), np.asarray(values[lr_name], dtype=float)
    lrs = np.asarray(batch_lr, dtype=float).ravel()
    count = len(epochs)
    if count == 0 or len(lrs) == 0 or len(lrs) % count:
        raise ValueError(
            f"batch_lr must hold the same whole number of batches for each of the {count} epochs, "
            f"got {len(lrs)} values"
        )
    per_epoch = len(lrs) // count
    return epochs[0] + np.arange(len(lrs)) / per_epoch, lrs


def _metrics(history: Any, index: int) -> tuple[dict[str, list[float]], list[int]]:
    """``({metric: values}, epochs)`` of a Keras History or a dict; ValueError for anything else."""
    values = getattr(history, "history", history)
    if not isinstance(values, Mapping):
        raise ValueError(f"histories[{index}] must be a Keras History or a dict of per-epoch lists, got {history!r}")
    values = {name: [float(v) for v in series] for name, series in values.items()}
    lengths = {len(series) for series in values.values()}
    if len(lengths) > 1:
        raise ValueError(f"histories[{index}] has metrics of different lengths {sorted(lengths)}")
    count = lengths.pop() if lengths else 0
    epochs = list(getattr(history, "epoch", None) or range(count))
    if len(epochs) != count:
        raise ValueError(f"histories[{index}] has {len(epochs)} epochs but {count} values per metric")
    return values, epochs
