"""lrlib under torch.distributed: 2 gloo processes on 127.0.0.1, DistributedDataParallel on digits.

Each job has a hard timeout (:func:`_ddp.launch` kills it and raises ``Hang``), so a deadlock, the failure
this guards against, fails the test instead of stalling CI. Starting a job costs seconds, so each job runs
several scenarios and the tests read its results.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
import _ddp  # noqa: E402

import lrlib  # noqa: E402
from lrlib.torch import _distributed  # noqa: E402

TIMEOUT = 300.0  # seconds per job; a healthy job took 45-65 s on a 2-core machine shared with other work


@pytest.fixture(scope="module")
def sweeps() -> list[dict]:
    return _ddp.launch(_ddp.lr_find_job, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def schedules(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    checkpoint = tmp_path_factory.mktemp("ddp") / "checkpoint.pt"
    return _ddp.launch(_ddp.scheduler_job, str(checkpoint), timeout=TIMEOUT)


def _local_curve(run: dict, val: bool) -> np.ndarray:
    """The loss this rank alone recorded at each step: its training loss, or the mean over its 4 validation
    batches (each step makes 1 training call and, with validation, 4 evaluation calls)."""
    calls = np.array(run["local"]).reshape(run["steps"], 5 if val else 1)
    return calls[:, 1:].mean(axis=1) if val else calls[:, 0]


@pytest.mark.parametrize("mode", ["train", "val"])
def test_lr_find_stops_every_rank_at_the_same_step_with_one_suggestion(sweeps, mode):
    first, second = (rank[mode] for rank in sweeps)
    assert first["diverged"] and second["diverged"], "the sweep is meant to reach the divergence stop"
    assert first["steps"] == second["steps"] < _ddp.SWEEP["num_iter"]
    assert first["suggestion"] is not None
    assert first["suggestions"] == second["suggestions"]
    np.testing.assert_array_equal(first["losses"], second["losses"])


@pytest.mark.parametrize("mode", ["train", "val"])
def test_lr_find_records_the_mean_of_the_ranks_losses(sweeps, mode):
    local = [_local_curve(rank[mode], val=mode == "val") for rank in sweeps]
    assert not np.allclose(local[0], local[1]), "the ranks read different shards, so their losses differ"
    np.testing.assert_allclose(sweeps[0][mode]["losses"], np.mean(local, axis=0), rtol=1e-12)


@pytest.mark.parametrize("mode", ["train", "val", "nan"])
def test_lr_find_restores_model_optimizer_and_rng_bit_for_bit_on_every_rank(sweeps, mode):
    assert [rank[mode]["restored"] for rank in sweeps] == [True, True]


def test_the_ranks_started_from_the_same_weights(sweeps):
    first, second = (rank["train"]["params"] for rank in sweeps)
    assert all(torch.equal(first[name], second[name]) for name in first)


def test_a_nan_on_one_rank_stops_every_rank_at_that_step(sweeps):
    """Rank 1's loss turns NaN at step 20 (0-based); rank 0's stays finite. Both record the NaN mean there."""
    for rank in sweeps:
        assert rank["nan"]["steps"] == 21 and rank["nan"]["diverged"]
        assert math.isnan(rank["nan"]["last_loss"])


def test_scheduler_keeps_lr_momentum_and_weights_identical_across_ranks(schedules):
    first, second = (rank["straight"] for rank in schedules)
    schedule = lrlib.one_cycle(0.5, _ddp.TOTAL_STEPS)
    assert [s["lr"] for s in first] == [s["lr"] for s in second] == [schedule(i) for i in range(_ddp.TOTAL_STEPS)]
    assert [s["momentum"] for s in first] == [s["momentum"] for s in second]
    assert len({s["momentum"] for s in first}) > 1, "one-cycle cycles the momentum"
    for a, b in zip(first, second):
        assert all(torch.equal(p, q) for p, q in zip(a["params"], b["params"]))


def test_a_checkpoint_saved_on_rank_0_resumes_exactly_on_every_rank(schedules):
    for rank in schedules:
        expected = rank["straight"][_ddp.CHECKPOINT_STEP :]
        assert len(rank["resumed"]) == len(expected) == _ddp.TOTAL_STEPS - _ddp.CHECKPOINT_STEP
        for got, want in zip(rank["resumed"], expected):
            assert (got["lr"], got["momentum"]) == (want["lr"], want["momentum"])
            assert all(torch.equal(p, q) for p, q in zip(got["params"], want["params"]))


def test_global_mean_outside_a_process_group_is_the_value_itself():
    assert not _distributed.active() and _distributed.is_main()
    assert _distributed.global_mean(0.25, torch.device("cpu")) == 0.25


def test_a_job_that_hangs_is_killed_and_reported():
    with pytest.raises(_ddp.Hang, match=r"did not finish in 15 s; ranks \[0, 1\] still running"):
        _ddp.launch(_ddp.stuck, 1, timeout=15.0)
