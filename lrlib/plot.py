"""Plots of learning-rate schedules: several schedules on shared axes, with their momentum if they have one.

Everything works headless (the Agg backend) and returns the matplotlib axes it drew on, so tests and notebooks
can check what is plotted. matplotlib is imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

def lr_values(schedule: Any, steps: int | Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(t, lr)`` arrays for `schedule` over `steps` (a count, meaning 0..steps-1, or explicit step numbers).

    `schedule` is an lrlib schedule (evaluated vectorized), any callable ``t -> lr`` (called once per step, in
    order, so stateful d2l-style schedulers work), or a sequence of precomputed values (then `steps` is ignored).
    """
    if not callable(schedule):
        values = np.asarray(schedule, dtype=float)
        if values.ndim != 1:
            raise TypeError(f"a schedule must be callable or a 1-D sequence of LRs, got shape {values.shape}")
        return np.arange(len(values)), values
    t = _steps(steps)
    if _is_lrlib_schedule(schedule):
        return t, np.asarray(schedule(t), dtype=float)
    return t, np.array([float(schedule(int(step))) for step in t])


def schedules(schedules: Mapping[str, Any] | Sequence[Any], steps: int | Sequence[int] | np.ndarray = 100,
              ax=None, *, title: str | None = None, xlabel: str = "step", logy: bool = False,
              momentum: bool = False):
    """Plot several schedules on shared axes, one labelled line each; returns the axes.

    Args:
        schedules: name -> schedule, or a list of schedules (labelled by their repr). A schedule is anything
            `lr_values` accepts.
        steps: how many steps (0..steps-1) or which step numbers to evaluate.
        ax: axes to draw on; a new figure if None.
        logy: logarithmic LR axis (for exponential and range-test schedules).
        momentum: also plot ``.momentum(t)`` of schedules that have it, dashed, on a right-hand axis.
    """
    import matplotlib.pyplot as plt

    named = _named(schedules)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    twin = ax.twinx() if momentum and any(getattr(s, "has_momentum", False) for s in named.values()) else None
    for name, schedule in named.items():
        t, lr = lr_values(schedule, steps)
        (line,) = ax.plot(t, lr, label=name)
        if twin is not None and getattr(schedule, "has_momentum", False):
            twin.plot(t, schedule.momentum(t), linestyle="--", color=line.get_color(), label=f"{name} momentum")
    if twin is not None:
        twin.set_ylabel("momentum (dashed)")
    ax.set(xlabel=xlabel, ylabel="learning rate", title=title, yscale="log" if logy else "linear")
    ax.grid(alpha=0.3)
    if len(named) > 1:
        ax.legend(fontsize="small")
    return ax


def _steps(steps: int | Sequence[int] | np.ndarray) -> np.ndarray:
    if isinstance(steps, (int, np.integer)):
        if steps < 1:
            raise ValueError(f"steps must be a positive number of steps, got {steps}")
        return np.arange(int(steps))
    t = np.asarray(steps)
    if t.ndim != 1 or not np.issubdtype(t.dtype, np.integer) or (t < 0).any():
        raise ValueError("steps must be a positive count or a 1-D array of integer steps >= 0")
    return t


def _named(schedules: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any]:
    if isinstance(schedules, Mapping):
        return dict(schedules)
    if callable(schedules):
        return {repr(schedules): schedules}
    return {repr(s) if callable(s) else f"schedule {i}": s for i, s in enumerate(schedules)}


def _is_lrlib_schedule(schedule: Callable) -> bool:
    from lrlib.schedules import Schedule

    return isinstance(schedule, Schedule)
