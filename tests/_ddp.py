"""Run a function on 2 gloo processes on 127.0.0.1 with a hard timeout, and the DDP jobs the tests run.

:func:`launch` starts `world_size` processes with ``torch.multiprocessing`` (spawn), each joining a gloo
process group on 127.0.0.1, runs ``worker(rank, world_size, *args)`` in each and returns the
per-rank results. A job that does not end within `timeout` seconds is killed and :class:`Hang` is raised,
so a deadlock fails a test instead of stalling CI.

The workers below are DDP jobs on scikit-learn's digits (offline): each rank trains on its own shard,
as a ``DistributedSampler`` would give it.
"""

from __future__ import annotations

import copy
import datetime
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

import lrlib
import lrlib.course.data
import lrlib.torch

BATCH = 32
SWEEP = dict(start_lr=1e-4, end_lr=30.0, num_iter=50, progress=False)  # diverges after ~40 steps


class Hang(TimeoutError):
    """The distributed job did not finish in time (some rank is blocked in a collective)."""


def launch(worker: Callable[..., Any], *args: Any, world_size: int = 2, timeout: float = 60.0) -> list[Any]:
    """``[worker(rank, world_size, *args) for rank in range(world_size)]``, each rank in its own process.

    This process serves the ranks' rendezvous store on a port the OS picks while binding it, so there is
    no window in which another program could take the port (as with picking a free port and passing it on).
    """
    store = dist.TCPStore("127.0.0.1", 0, is_master=True, wait_for_workers=False,
                          timeout=datetime.timedelta(seconds=timeout))
    with tempfile.TemporaryDirectory() as out:
        context = mp.start_processes(
            _run_rank, args=(worker, args, world_size, store.port, out, timeout), nprocs=world_size, join=False,
            start_method="spawn",
        )
        deadline = time.monotonic() + timeout
        try:
            while not context.join(timeout=max(0.1, deadline - time.monotonic())):
                if time.monotonic() >= deadline:
                    alive = [rank for rank, p in enumerate(context.processes) if p.is_alive()]
                    raise Hang(f"{worker.__name__} did not finish in {timeout:g} s; ranks {alive} still running")
        finally:
            for p in context.processes:
                if p.is_alive():
                    p.kill()
        return [torch.load(Path(out) / f"{rank}.pt", weights_only=False) for rank in range(world_size)]


def _run_rank(rank: int, worker, args, world_size: int, port: int, out: str, timeout: float) -> None:
    torch.set_num_threads(1)
    limit = datetime.timedelta(seconds=timeout)
    store = dist.TCPStore("127.0.0.1", port, is_master=False, timeout=limit)
    dist.init_process_group("gloo", store=store, rank=rank, world_size=world_size, timeout=limit)
    try:
        torch.save(worker(rank, world_size, *args), Path(out) / f"{rank}.pt")
        dist.barrier()  # like a real job, a rank goes on only with the others
    finally:
        dist.destroy_process_group()


# --------------------------------------------------------------------------- a small DDP job


def shard(rank: int, world_size: int, batch: int = BATCH) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """This rank's batches of the digits training set (every `world_size`-th example, as DistributedSampler)."""
    (x, y), _ = lrlib.course.data.arrays("digits")
    x = torch.from_numpy(np.ascontiguousarray(x[rank::world_size])).flatten(1)
    y = torch.from_numpy(np.ascontiguousarray(y[rank::world_size]))
    n = len(y) // batch * batch
    return list(zip(x[:n].split(batch), y[:n].split(batch)))


def ddp_model(seed: int = 0) -> nn.parallel.DistributedDataParallel:
    torch.manual_seed(seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)
    return nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10)))


def _state(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    return {
        "params": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "optimizer": copy.deepcopy(optimizer.state_dict()),
        "rng": torch.random.get_rng_state(),
    }


def _bytes(t: torch.Tensor) -> torch.Tensor:
    return t.detach().contiguous().view(-1).view(torch.uint8)


def _same(a: Any, b: Any) -> bool:
    """Bit for bit: every tensor has the same dtype and bytes (NaNs included), every other value is equal."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(_bytes(a), _bytes(b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def sweep(rank: int, world_size: int, diverge: float | None = 1.0, val: bool = False,
          options: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ``lr_find`` of a DDP model on this rank's shard; what it found and whether the state came back."""
    model = ddp_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    batches = shard(rank, world_size)
    # one step first, so that a gradient and a momentum buffer exist and their restore is tested too
    nn.functional.cross_entropy(model(batches[0][0]), batches[0][1]).backward()
    optimizer.step()
    torch.manual_seed(100 + rank)
    before = _state(model, optimizer)
    val_loader = batches[-4:] if val else None  # each rank validates on its own batches
    local = []  # every loss this rank computes, training and validation

    def loss_fn(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        loss = nn.functional.cross_entropy(outputs, targets)
        local.append(float(loss.detach()))
        return loss

    result = lrlib.torch.lr_find(model, loss_fn, optimizer, batches[:-4], sweep=lrlib.Sweep(diverge=diverge),
                                 validation_data=val_loader, **{**SWEEP, **(options or {})})
    return {
        "suggestion": result.suggestion,
        "suggestions": result.suggestions,
        "steps": len(result.losses),
        "diverged": result.diverged,
        "losses": result.losses,
        "local": local,
        "restored": _same(before, _state(model, optimizer)),
        "params": before["params"],
    }


def nan_sweep(rank: int, world_size: int, nan_rank: int, nan_step: int) -> dict[str, Any]:
    """``lr_find`` where only rank `nan_rank` sees a NaN loss, from step `nan_step` (0-based) on."""
    model = ddp_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    calls = []

    def step_fn(net: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        loss = nn.functional.cross_entropy(net(batch[0]), batch[1])
        calls.append(None)
        return loss * float("nan") if rank == nan_rank and len(calls) > nan_step else loss

    before = _state(model, optimizer)
    result = lrlib.torch.lr_find(model, None, optimizer, shard(rank, world_size), sweep=lrlib.Sweep(diverge=None),
                                 step_fn=step_fn, **SWEEP)
    return {"steps": len(result.losses), "diverged": result.diverged, "last_loss": result.losses[-1],
            "restored": _same(before, _state(model, optimizer))}


def lr_find_job(rank: int, world_size: int) -> dict[str, Any]:
    """The range-test scenarios of the tests, in one job (a job costs seconds of process start-up)."""
    return {
        "train": sweep(rank, world_size),
        "val": sweep(rank, world_size, val=True),
        "nan": nan_sweep(rank, world_size, nan_rank=1, nan_step=20),
    }


# --------------------------------------------------------------------------- scheduler checkpoints

TOTAL_STEPS, CHECKPOINT_STEP = 30, 12


def _scheduled(seed: int, schedule: lrlib.Schedule):
    model = ddp_model(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, optimizer, lrlib.torch.scheduler(optimizer, schedule)


def _train(model, optimizer, sched, batches, start: int, stop: int) -> list[dict[str, Any]]:
    """Train steps ``start .. stop - 1``; before each, record the LR, the momentum and the weights."""
    seen = []
    for step in range(start, stop):
        group = optimizer.param_groups[0]
        seen.append({"lr": group["lr"], "momentum": group["momentum"],
                     "params": [p.detach().clone() for p in model.parameters()]})
        inputs, targets = batches[step % len(batches)]
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(inputs), targets).backward()
        optimizer.step()
        sched.step()
    return seen


def scheduler_job(rank: int, world_size: int, checkpoint: str) -> dict[str, Any]:
    """A one-cycle DDP run that rank 0 checkpoints at CHECKPOINT_STEP, then the same run resumed from that
    file on every rank by a fresh model, optimizer and scheduler (other weights, a placeholder schedule)."""
    batches = shard(rank, world_size)
    model, optimizer, sched = _scheduled(0, lrlib.one_cycle(0.5, TOTAL_STEPS))
    straight = _train(model, optimizer, sched, batches, 0, CHECKPOINT_STEP)
    if rank == 0:
        torch.save({"model": model.module.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": sched.state_dict()}, checkpoint)
    dist.barrier()  # the file is complete before any rank reads it
    straight += _train(model, optimizer, sched, batches, CHECKPOINT_STEP, TOTAL_STEPS)

    model, optimizer, sched = _scheduled(1, lrlib.constant(1.0))
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model.module.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    resumed = _train(model, optimizer, sched, batches, CHECKPOINT_STEP, TOTAL_STEPS)
    return {"straight": straight, "resumed": resumed}


def stuck(rank: int, world_size: int, stuck_rank: int) -> int:
    """Rank `stuck_rank` never returns; the others wait for it in the harness's final barrier."""
    if rank == stuck_rank:
        time.sleep(3600)
    return rank
