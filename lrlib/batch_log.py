"""A per-batch training log: learning rate, loss and momentum at every optimizer step, saved as CSV or JSON.

Epoch-level histories (``model.fit``'s ``History``) hide what a schedule does inside an epoch. A
:class:`BatchLog` keeps one row per batch, so a one-cycle or cyclic run can be plotted and analysed
afterwards, also from a file written by another process. The framework adapters fill it
(``lrlib.torch.BatchLogger``, ``lrlib.keras.BatchLogger``); this module needs only numpy.

Every row has ``step``, ``epoch``, ``lr``, ``loss`` and ``momentum`` (None when the optimizer has none);
extra per-batch metrics (``accuracy=...``) become extra columns. All of lrlib's recorders
(``lrlib.torch.BatchLogger``, ``lrlib.keras.BatchLogger``, the Keras callbacks' ``batch_log``) fill the
columns alike:

- ``step`` is the batch's index among all the training batches the recorder has seen, counted from 0 and
  continuing after the last row already in its log (`next_step`), across ``fit`` calls and recompiles. A
  batch the recorder saw but did not log (Keras's ``steps_per_execution=k`` calls back once per k batches; a
  PyTorch loop may log every other step) leaves a gap: a row stands for the last batch it covers;
- ``epoch`` is the framework's epoch number (Keras's, ``initial_epoch`` included; the one passed in PyTorch);
- ``lr`` and ``momentum`` are the values the batch's optimizer step used; ``loss`` is that batch's own loss,
  not a running mean.
"""

from __future__ import annotations

import csv
import json
import math
import os
from typing import Any, Iterator

import numpy as np

COLUMNS = ("step", "epoch", "lr", "loss", "momentum")
_INT_COLUMNS = ("step", "epoch")
_FORMAT = "lrlib.BatchLog"


class BatchLog:
    """Rows of ``step, epoch, lr, loss, momentum`` (plus any extra metrics), one per training batch.

    >>> log = BatchLog()
    >>> log.append(step=0, epoch=0, lr=0.1, loss=2.3, momentum=0.9)
    >>> log.lrs
    array([0.1])
    """

    def __init__(self, rows: list[dict[str, Any]] | None = None) -> None:
        self._rows: list[dict[str, Any]] = []
        self._extra: list[str] = []
        for row in rows or []:
            self.append(**row)

    def append(
        self, *, step: int, epoch: int, lr: float, loss: float, momentum: float | None = None, **metrics: float
    ) -> None:
        """Add the row of one batch. Losses may be non-finite (a diverging run is worth logging)."""
        if isinstance(step, bool) or int(step) != step or step < 0:
            raise ValueError(f"step must be an integer >= 0, got {step!r}")
        if isinstance(epoch, bool) or int(epoch) != epoch or epoch < 0:
            raise ValueError(f"epoch must be an integer >= 0, got {epoch!r}")
        if not (math.isfinite(float(lr)) and float(lr) >= 0):
            raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
        self._extra += [name for name in metrics if name not in self._extra]
        row: dict[str, float | None] = {"step": int(step), "epoch": int(epoch), "lr": float(lr), "loss": float(loss)}
        row["momentum"] = None if momentum is None else float(momentum)
        row.update({name: None if v is None else float(v) for name, v in metrics.items()})
        self._rows.append(row)

    @property
    def columns(self) -> tuple[str, ...]:
        """The standard columns followed by the extra metrics, in order of first appearance."""
        return COLUMNS + tuple(self._extra)

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (dict(row) for row in self._rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BatchLog):
            return NotImplemented
        if self.columns != other.columns or len(self) != len(other):
            return False
        return all(_same(a.get(c), b.get(c)) for a, b in zip(self._rows, other._rows) for c in self.columns)

    def __repr__(self) -> str:
        return f"BatchLog({len(self)} rows, columns={list(self.columns)})"

    def column(self, name: str) -> np.ndarray:
        """One column as an array: int64 for step and epoch, float64 otherwise (None becomes NaN)."""
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; columns are {list(self.columns)}")
        if name in _INT_COLUMNS:
            return np.array([row[name] for row in self._rows], dtype=np.int64)
        return np.array([_nan_if_none(row.get(name)) for row in self._rows], dtype=float)

    @property
    def next_step(self) -> int:
        """The step a recorder gives the next batch it sees: one past the last row's, 0 for an empty log."""
        return int(self._rows[-1]["step"]) + 1 if self._rows else 0

    steps = property(lambda self: self.column("step"), doc="The global batch index of each row.")
    epochs = property(lambda self: self.column("epoch"), doc="The epoch of each row.")
    lrs = property(lambda self: self.column("lr"), doc="The learning rate each batch was trained with.")
    losses = property(lambda self: self.column("loss"), doc="The training loss of each batch.")
    momenta = property(
        lambda self: self.column("momentum"), doc="The momentum (Adam: beta_1) of each batch, NaN if none."
    )

    # ----------------------------------------------------------------------- files

    def to_dict(self) -> dict[str, Any]:
        """Column-oriented JSON-able dict: ``{"format": ..., "columns": {name: [values]}}``; NaN/inf become None."""
        return {
            "format": _FORMAT,
            "version": 1,
            "columns": {c: [_none_if_not_finite(row.get(c)) for row in self._rows] for c in self.columns},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BatchLog:
        """Read a dict written by :meth:`to_dict`."""
        if d.get("format") != _FORMAT:
            raise ValueError(f"not a BatchLog dict: format is {d.get('format')!r}, expected {_FORMAT!r}")
        columns = d["columns"]
        missing = [c for c in COLUMNS if c not in columns]
        if missing:
            raise ValueError(f"BatchLog dict lacks the columns {missing}")
        n = len(columns["step"])
        rows = [{c: values[i] for c, values in columns.items()} for i in range(n)]
        return cls([{**row, "loss": _nan_if_none(row["loss"])} for row in rows])

    def save(self, path: str | os.PathLike) -> None:
        """Write to `path` as CSV (``.csv``) or JSON (``.json``), chosen by the suffix."""
        kind = _kind(path)
        with open(path, "w", newline="", encoding="utf-8") as f:
            if kind == "json":
                json.dump(self.to_dict(), f)
            else:
                writer = csv.writer(f)
                writer.writerow(self.columns)
                for row in self._rows:
                    writer.writerow(["" if row.get(c) is None else repr(row[c]) for c in self.columns])

    @classmethod
    def load(cls, path: str | os.PathLike) -> BatchLog:
        """Read a file written by :meth:`save` (CSV or JSON, by the suffix)."""
        with open(path, newline="", encoding="utf-8") as f:
            if _kind(path) == "json":
                return cls.from_dict(json.load(f))
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{os.fspath(path)!r} lacks the BatchLog columns {missing}")
            return cls([_parse_csv_row(row) for row in reader])

    def plot(self, axes: Any = None) -> Any:
        """Plot LR, momentum (when logged) and loss against the step, one panel each; return the axes."""
        import matplotlib.pyplot as plt

        names = ["lr"] + (["momentum"] if np.isfinite(self.momenta).any() else []) + ["loss"]
        if axes is None:
            _, axes = plt.subplots(len(names), 1, sharex=True, figsize=(6, 2 * len(names)))
        for ax, name in zip(np.atleast_1d(axes), names):
            ax.plot(self.steps, self.column(name))
            ax.set_ylabel(name)
        np.atleast_1d(axes)[-1].set_xlabel("step (batch)")
        return axes


def _kind(path: str | os.PathLike) -> str:
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in (".csv", ".json"):
        raise ValueError(f"path must end in .csv or .json, got {os.fspath(path)!r}")
    return suffix[1:]


def _parse_csv_row(row: dict[str, str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for name, text in row.items():
        if name in _INT_COLUMNS:
            parsed[name] = int(text)
        else:
            parsed[name] = None if text == "" else float(text)
    parsed["loss"] = _nan_if_none(parsed["loss"])
    return parsed


def _nan_if_none(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _none_if_not_finite(x: float | int | None) -> float | int | None:
    return x if x is None or isinstance(x, int) or math.isfinite(x) else None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
