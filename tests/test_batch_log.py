"""lrlib.batch_log.BatchLog: rows, columns, and CSV / JSON files that read back identically."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from lrlib.batch_log import COLUMNS, BatchLog


def _log() -> BatchLog:
    log = BatchLog()
    for step in range(6):
        log.append(step=step, epoch=step // 3, lr=0.1 * (step + 1), loss=1.0 / (step + 1), momentum=0.95 - 0.01 * step)
    log.append(step=6, epoch=2, lr=0.7, loss=math.nan)  # no momentum, a diverged loss
    log.append(step=7, epoch=2, lr=0.8, loss=math.inf, accuracy=0.25)
    return log


def test_columns_and_arrays():
    log = _log()
    assert log.columns == COLUMNS + ("accuracy",) and len(log) == 8
    np.testing.assert_array_equal(log.steps, np.arange(8))
    assert log.steps.dtype == np.int64 and log.lrs.dtype == np.float64
    np.testing.assert_allclose(log.lrs, 0.1 * np.arange(1, 9))
    assert np.isnan(log.momenta[6]) and np.isnan(log.column("accuracy")[0]) and log.column("accuracy")[7] == 0.25
    with pytest.raises(KeyError, match="columns"):
        log.column("nope")


def test_csv_round_trip_is_exact(tmp_path):
    log = _log()
    path = tmp_path / "log.csv"
    log.save(path)
    with open(path, newline="") as f:
        header = next(csv.reader(f))
    assert header == list(log.columns)
    again = BatchLog.load(path)
    assert again == log
    assert math.isinf(again.losses[7])  # CSV keeps inf


def test_json_round_trip_is_plain_json(tmp_path):
    log = _log()
    path = tmp_path / "log.json"
    log.save(path)
    data = json.loads(path.read_text())  # strict JSON: no NaN literals
    assert data["columns"]["loss"][6] is None
    again = BatchLog.load(path)
    np.testing.assert_array_equal(again.lrs, log.lrs)
    assert np.isnan(again.losses[6]) and np.isnan(again.losses[7])  # JSON has no inf: read back as NaN
    np.testing.assert_array_equal(again.losses[:6], log.losses[:6])


@pytest.mark.parametrize(
    "row, match",
    [({"step": -1}, "step"), ({"step": 1.5}, "step"), ({"epoch": 1.5}, "epoch"), ({"lr": -0.1}, "lr"),
     ({"lr": math.nan}, "lr")],
)
def test_append_validates(row, match):
    with pytest.raises(ValueError, match=match):
        BatchLog().append(**{"step": 0, "epoch": 0, "lr": 0.1, "loss": 1.0, **row})


def test_save_needs_a_csv_or_json_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.csv or \.json"):
        _log().save(tmp_path / "log.txt")


def test_load_rejects_foreign_files(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="lacks"):
        BatchLog.load(path)
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"format": "something"}))
    with pytest.raises(ValueError, match="format"):
        BatchLog.load(path)
