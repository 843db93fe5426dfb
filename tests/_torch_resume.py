"""A tiny deterministic PyTorch training run, split at a checkpoint; run as a script it resumes in a fresh process.

``python tests/_torch_resume.py CHECKPOINT RESULT`` builds a fresh model, optimizer and scheduler (with a
placeholder schedule, so only the checkpoint can supply the real one), loads CHECKPOINT with
``weights_only=True``, trains to the end and saves what it saw to RESULT. ``test_torch_scheduler.py`` runs the
same training uninterrupted in its own process and compares.
"""

from __future__ import annotations

import sys

import torch

import lrlib
import lrlib.torch

TOTAL_STEPS = 60
CHECKPOINT_STEP = 23


def schedules() -> list[lrlib.Schedule]:
    """One schedule per param group: one with momentum, one without."""
    return [lrlib.one_cycle(0.2, TOTAL_STEPS, three_phase=True), lrlib.warmup(lrlib.cosine(0.05, 40), 10, 0.001)]


def build(group_schedules: list[lrlib.Schedule]):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias]}], lr=0.1, momentum=0.9)
    return model, optimizer, lrlib.torch.scheduler(optimizer, group_schedules)


def train(model, optimizer, sched, start: int, stop: int) -> list[list[float]]:
    """Train steps ``start .. stop - 1`` on fixed data; return the (lr, momentum) of each group at each step."""
    inputs = torch.linspace(-1.0, 1.0, 24).reshape(8, 3)
    targets = inputs.sum(dim=1, keepdim=True) * 0.5
    seen = []
    for _ in range(start, stop):
        seen.append([value for group in optimizer.param_groups for value in (group["lr"], group["momentum"])])
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        optimizer.step()
        sched.step()
    return seen


def checkpoint(model, optimizer, sched) -> dict:
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": sched.state_dict()}


def resume(state: dict):
    """A fresh model/optimizer/scheduler (placeholder schedule) restored from ``state``."""
    model, optimizer, sched = build([lrlib.constant(1.0)] * 2)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    return model, optimizer, sched


def main(checkpoint_path: str, result_path: str) -> None:
    model, optimizer, sched = resume(torch.load(checkpoint_path, weights_only=True))
    seen = train(model, optimizer, sched, CHECKPOINT_STEP, TOTAL_STEPS)
    torch.save({"seen": seen, "model": model.state_dict(), "last_lr": sched.get_last_lr()}, result_path)


if __name__ == "__main__":
    main(*sys.argv[1:])
