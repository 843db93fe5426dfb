"""lrlib schedules as a PyTorch learning-rate scheduler.

`ScheduleLR` is a regular ``torch.optim.lr_scheduler.LRScheduler``: it sets ``schedule(0)`` when built,
``schedule(t)`` after the t-th ``step()``, and checkpoints through ``state_dict()`` /
``load_state_dict()``. Schedules are stored in the state dict as their configs (plain dicts), so a checkpoint
loads with ``torch.load(..., weights_only=True)`` in a fresh process and resumes with identical values.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from lrlib.schedules import Schedule, from_config

Schedules = Union[Schedule, Sequence[Schedule]]


def _per_group(optimizer: Optimizer, schedules: Schedules) -> list[Schedule]:
    """One schedule per param group: a single schedule is shared by all groups."""
    groups = len(optimizer.param_groups)
    if not isinstance(schedules, (Schedule, list, tuple)):
        raise TypeError(f"schedule must be an lrlib Schedule or a list of them, got {schedules!r}")
    listed = [schedules] if isinstance(schedules, Schedule) else list(schedules)
    for index, schedule in enumerate(listed):
        if not isinstance(schedule, Schedule):
            raise TypeError(f"schedule[{index}] must be an lrlib Schedule (e.g. lrlib.cosine(...)), got {schedule!r}")
    if len(listed) == 1:
        return listed * groups
    if len(listed) != groups:
        raise ValueError(
            f"schedule must be one Schedule or a list of {groups} (one per param group), got {len(listed)}"
        )
    return listed


def _momentum_key(optimizer: Optimizer) -> str:
    """The param-group entry that holds momentum: ``betas`` (its first item) or ``momentum``, as torch's
    ``OneCycleLR`` and ``CyclicLR`` choose it."""
    if "betas" in optimizer.defaults:
        return "betas"
    if "momentum" in optimizer.defaults:
        return "momentum"
    raise ValueError(
        f"optimizer {type(optimizer).__name__} has neither 'momentum' nor 'betas', but the schedule defines "
        "momentum; use an optimizer with momentum (SGD, RMSprop, the Adam family) or pass cycle_momentum=False"
    )


class ScheduleLR(LRScheduler):
    """A ``torch.optim.lr_scheduler.LRScheduler`` that follows lrlib schedules, one per param group.

    Like torch's ``OneCycleLR`` / ``CyclicLR``, when a group's schedule has momentum and ``cycle_momentum`` is
    True, every step also sets that group's ``momentum`` (SGD, RMSprop) or ``betas[0]`` (Adam family), even if
    the optimizer was built with ``momentum=0``. Build it with `scheduler`.
    """

    def __init__(
        self, optimizer: Optimizer, schedules: Schedules, last_epoch: int = -1, cycle_momentum: bool = True
    ) -> None:
        if not isinstance(cycle_momentum, bool):
            raise TypeError(f"cycle_momentum must be a bool, got {cycle_momentum!r}")
        self.schedules = _per_group(optimizer, schedules)
        self.cycle_momentum = cycle_momentum
        drives_momentum = cycle_momentum and any(schedule.has_momentum for schedule in self.schedules)
        self.momentum_key: Optional[str] = _momentum_key(optimizer) if drives_momentum else None
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The learning rates at ``last_epoch``; sets the momenta for it too (as torch's cyclic schedulers do)."""
        step = self.last_epoch
        if self.momentum_key is not None:
            self._set_momenta(step)
        values: list[float] = []
        previous, value = None, 0.0
        for schedule in self.schedules:
            if schedule is not previous:  # a schedule shared by all groups (the usual case) is evaluated once
                previous, value = schedule, schedule(step)
            values.append(value)
        return values

    _get_closed_form_lr = get_lr  # the schedules are closed-form: step(epoch) needs no other formula

    def _set_momenta(self, step: int) -> None:
        for group, schedule in zip(self.optimizer.param_groups, self.schedules):
            if not schedule.has_momentum:
                continue
            momentum = schedule.momentum(step)
            if self.momentum_key == "betas":
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state, with each schedule as its config (no pickled callables)."""
        state = super().state_dict()
        state["schedules"] = [schedule.get_config() for schedule in self.schedules]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from `state_dict`, rebuilding the schedules from their configs."""
        schedules = [from_config(config) for config in state_dict["schedules"]]
        super().load_state_dict({**state_dict, "schedules": schedules})


def scheduler(
    optimizer: Optimizer, schedule: Schedules, *, last_epoch: int = -1, cycle_momentum: bool = True
) -> ScheduleLR:
    """A PyTorch scheduler that sets ``optimizer``'s learning rates (and momenta) from lrlib schedules.

    ``schedule`` is one `Schedule` for every param group or a list with one per group. Use it like any
    built-in scheduler: call ``step()`` after ``optimizer.step()``; ``get_last_lr()`` returns the rates in use.
    ``last_epoch`` and ``cycle_momentum`` mean what they mean for torch's ``OneCycleLR``.

    >>> sched = scheduler(torch.optim.SGD(model.parameters(), lr=0.1), lrlib.cosine(0.1, total_steps=1000))
    """
    return ScheduleLR(optimizer, schedule, last_epoch=last_epoch, cycle_momentum=cycle_momentum)
