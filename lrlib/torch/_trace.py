"""The learning rates a PyTorch scheduler produces, read off without training anything.

`lr_trace` builds a throw-away optimizer over one dummy parameter, hands it to the factory you give, and
records the learning rate in force at each step. It is how the course plots any scheduler (built-in or
lrlib's) before using it, and how it checks that two schedulers agree. Your own model and optimizer are never
touched.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import torch
from torch.optim import Optimizer

Rates = Union[float, Sequence[float]]


def _check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    return int(steps)


def _dummy_optimizer(lr: Rates, optimizer: str, momentum: float) -> Optimizer:
    """SGD (or Adam) with one single-element parameter per requested learning rate (one param group each)."""
    rates = [lr] if isinstance(lr, (int, float)) else list(lr)
    if not rates or any(isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0
                        for rate in rates):
        raise ValueError(f"lr must be a positive number or a non-empty list of them, got {lr!r}")
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": float(rate)} for rate in rates]
    if optimizer == "sgd":
        return torch.optim.SGD(groups, lr=float(rates[0]), momentum=momentum)
    if optimizer == "adam":
        return torch.optim.Adam(groups, lr=float(rates[0]))
    raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")


def lr_trace(
    make_scheduler: Callable[[Optimizer], Any],
    steps: int,
    lr: Rates = 0.1,
    *,
    metrics: Optional[Sequence[float]] = None,
    optimizer: str = "sgd",
    momentum: float = 0.9,
    with_momentum: bool = False,
) -> Union[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The learning rate used at steps 0, 1, ..., steps - 1 by the scheduler ``make_scheduler(optimizer)``.

    Each step does what a training loop does, in the right order: read the rates in force, call
    ``optimizer.step()`` (a no-op: the dummy parameter has no gradient), then ``scheduler.step()``; so entry
    ``t`` is the rate the ``t``-th optimizer step used, the convention lrlib schedules follow (``s(t)``).

    Args:
        make_scheduler: builds the scheduler from the optimizer it is given, e.g.
            ``lambda opt: StepLR(opt, step_size=10)`` or ``lambda opt: lrlib.torch.scheduler(opt, s)``.
        steps: how many steps to record (>= 1).
        lr: the optimizer's initial learning rate, or a list of them (one param group each).
        metrics: for ``ReduceLROnPlateau``: the value passed to ``scheduler.step(metric)`` after each step
            (at least ``steps`` values).
        optimizer: "sgd" (with ``momentum``) or "adam": cyclic schedulers that cycle momentum need one.
        momentum: the SGD momentum to start from.
        with_momentum: also return the momentum (SGD) or beta1 (Adam) in force at each step.

    Returns:
        float64 array of shape (steps,) for one param group, (steps, groups) for several; with
        ``with_momentum``, a pair (rates, momenta) of equal shapes.
    """
    steps = _check_steps(steps)
    if metrics is not None and len(metrics) < steps:
        raise ValueError(f"metrics must hold at least steps={steps} values, got {len(metrics)}")
    opt = _dummy_optimizer(lr, optimizer, momentum)
    scheduler = make_scheduler(opt)
    rates, momenta = [], []
    for t in range(steps):
        rates.append([group["lr"] for group in opt.param_groups])
        momenta.append([group["betas"][0] if "betas" in group else group["momentum"] for group in opt.param_groups])
        opt.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[t])
    shape = (steps,) if len(opt.param_groups) == 1 else (steps, len(opt.param_groups))
    rates_array = np.asarray(rates, dtype=np.float64).reshape(shape)
    if with_momentum:
        return rates_array, np.asarray(momenta, dtype=np.float64).reshape(shape)
    return rates_array
