"""The range test inside a ``torch.distributed`` process group: one loss curve shared by every rank.

Under ``DistributedDataParallel`` each rank trains on its own shard of the data, so each sees its own loss.
A range test that read only its local loss would stop its sweep, smooth its curve and suggest an LR on its
own: ranks that stop at different steps deadlock in DDP's next gradient all-reduce, and ranks that finish
suggest different LRs. ``lrlib.torch.lr_find`` therefore feeds :func:`global_mean` of every step's loss to
its :class:`~lrlib.lr_finder.RangeTest`: one all-reduce of one scalar per step, after which every rank holds
the same curve and takes the same decisions. Outside a process group nothing changes.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def active() -> bool:
    """True when ``torch.distributed`` is available and its default process group is initialised."""
    return dist.is_available() and dist.is_initialized()


def is_main() -> bool:
    """True on rank 0 of the default process group, and in a process that is not in one."""
    return not active() or dist.get_rank() == 0


def global_mean(value: float, device: torch.device) -> float:
    """The mean of `value` over every rank of the default process group; `value` itself outside one.

    Every rank must call it at the same point (it is a collective). A non-finite value on any rank makes
    the mean non-finite on every rank, so that a loss turning NaN on one rank stops the sweep everywhere.
    The reduction is in float64, so the mean is the same on every rank bit for bit.

    Args:
        value: this rank's number (a loss).
        device: where the model lives; the scalar is reduced on the CPU unless the process group has no
            CPU backend (NCCL alone), then on `device`.

    Returns:
        The mean over the ranks, as a Python float.

    Example:
        >>> global_mean(0.25, torch.device("cpu"))  # no process group: the value itself
        0.25
    """
    if not active():
        return float(value)
    backend = str(dist.get_backend())
    where = torch.device("cpu") if device.type == "cpu" or "gloo" in backend else device
    total = torch.tensor(float(value), dtype=torch.float64, device=where)
    dist.all_reduce(total, op=dist.ReduceOp.SUM)  # gloo has no ReduceOp.AVG
    return float(total) / dist.get_world_size()
