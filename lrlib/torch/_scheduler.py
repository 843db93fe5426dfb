"""lrlib schedules as a PyTorch learning-rate scheduler.

`ScheduleLR` is a regular ``torch.optim.lr_scheduler.LRScheduler``: it sets ``schedule(0)`` when built,
``schedule(t)`` after the t-th ``step()``, and checkpoints through ``state_dict()`` /
``load_state_dict()``. Schedules are stored in the state dict as their configs (plain dicts), so a checkpoint
loads with ``torch.load(..., weights_only=True)`` in a fresh process and resumes with identical values.

A schedule may hold Python callables (a plain function ``step -> lr``, ``cyclic``'s ``scale_fn``), which a
config cannot hold. For those the state dict does what torch's ``LambdaLR`` and ``CyclicLR`` do: it keeps
the state (``__dict__``) of a callable object and only the name of a plain function, and
``load_state_dict`` restores that state into the callables of the scheduler it is called on, which must
have been built with the same schedule.
"""

from __future__ import annotations

import types
from typing import Any, Callable, Optional, Sequence, Union, cast

from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from lrlib.schedules import MomentumSchedule, Schedule, ScheduleLike, as_schedule, from_config

Schedules = Union[ScheduleLike, Sequence[ScheduleLike]]


def _per_group(optimizer: Optimizer, schedules: Schedules) -> list[Schedule]:
    """One schedule per param group: a single schedule is shared by all groups."""
    groups = len(optimizer.param_groups)
    if isinstance(schedules, (list, tuple)):
        listed = [as_schedule(schedule, f"schedule[{index}]") for index, schedule in enumerate(schedules)]
    else:
        listed = [as_schedule(cast(ScheduleLike, schedules), "schedule")]
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

    The schedule is closed-form: every ``step()`` sets ``schedule(t)``, whatever another scheduler did to the
    LR since. So ``ReduceLROnPlateau`` (which cuts the current LR when the loss stalls) and ``SWALR`` (which
    anneals from the current LR) cannot run at the same time on the same optimizer, as their changes would
    be overwritten; run them after it, handing the optimizer over (stop stepping this scheduler), which
    gives the same LRs as after the matching torch scheduler. To multiply schedules, use `lrlib.chain`.
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

    def get_lr(self) -> list[float | Tensor]:
        """The learning rates at ``last_epoch``; sets the momenta for it too (as torch's cyclic schedulers do)."""
        step = self.last_epoch
        if self.momentum_key is not None:
            self._set_momenta(step)
        values: list[float | Tensor] = []
        previous, value = None, 0.0
        for schedule in self.schedules:
            if schedule is not previous:  # a schedule shared by all groups (the usual case) is evaluated once
                previous, value = schedule, schedule(step)
            values.append(value)
        return values

    _get_closed_form_lr = get_lr  # the schedules are closed-form: step(epoch) needs no other formula

    def _set_momenta(self, step: int) -> None:
        for group, schedule in zip(self.optimizer.param_groups, self.schedules):
            if not isinstance(schedule, MomentumSchedule):
                continue
            momentum = schedule.momentum(step)
            if self.momentum_key == "betas":
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state, with each schedule as its config (no pickled code).

        A Python callable inside a schedule is stored as ``{"callable": its qualified name, "state": a copy
        of its ``__dict__``}`` (``"state"`` is None for a plain function), as torch's ``LambdaLR`` does.
        """
        state = super().state_dict()
        state["schedules"] = [_checkpoint(schedule._config(portable=False)) for schedule in self.schedules]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from `state_dict`, rebuilding the schedules from their configs.

        Raises:
            ValueError: If the state holds Python callables and this scheduler's schedules differ from the
                saved ones (build it with the same schedule, callables included, before loading).
        """
        saved = state_dict["schedules"]
        if len(saved) != len(self.schedules):
            raise ValueError(f"the state holds {len(saved)} schedules, this scheduler has {len(self.schedules)}")
        schedules = [
            _restored(config, schedule, index) for index, (config, schedule) in enumerate(zip(saved, self.schedules))
        ]
        super().load_state_dict({**state_dict, "schedules": schedules})


_MARKER = frozenset({"callable", "state"})


def _is_marker(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == _MARKER


def _checkpoint(config: Any) -> Any:
    """A schedule's config with every Python callable replaced by its name and (for an object) its state."""
    if isinstance(config, dict):
        return {key: _checkpoint(value) for key, value in config.items()}
    if isinstance(config, list):
        return [_checkpoint(value) for value in config]
    if not callable(config):
        return config
    plain = isinstance(config, (types.FunctionType, types.BuiltinFunctionType, types.MethodType))
    state = dict(vars(config)) if not plain and hasattr(config, "__dict__") else None
    name = getattr(config, "__qualname__", type(config).__qualname__)
    return {"callable": f"{getattr(config, '__module__', None) or type(config).__module__}.{name}", "state": state}


def _map_markers(config: Any, action: Callable[[dict[str, Any], Any], Any], live: Any = None) -> Any:
    """``config`` with ``action(marker, live counterpart)`` applied to each callable marker in it."""
    if _is_marker(config):
        return action(config, live)
    if isinstance(config, dict):
        return {key: _map_markers(value, action, None if live is None else live[key]) for key, value in config.items()}
    if isinstance(config, list):
        return [_map_markers(value, action, None if live is None else live[i]) for i, value in enumerate(config)]
    return config


def _without_states(config: Any) -> Any:
    return _map_markers(config, lambda marker, live: marker["callable"])


def _load_state(marker: dict[str, Any], live: Any) -> None:
    if marker["state"] is not None:
        vars(live).update(marker["state"])


def _restored(saved: dict[str, Any], schedule: Schedule, index: int) -> Schedule:
    """The schedule a saved config describes: rebuilt from it, or, when it holds callables, ``schedule``
    itself (the code lives there) with the callables' saved states loaded."""
    if _without_states(saved) == saved:  # no callables: the config is the whole schedule
        return from_config(saved)
    live = schedule._config(portable=False)
    if _without_states(saved) != _without_states(_checkpoint(live)):
        raise ValueError(
            f"schedule {index} of the state holds Python callables, which a state dict cannot hold, and this "
            f"scheduler's schedule differs from it: build the scheduler with the same schedule (the same "
            f"functions) before load_state_dict. Saved: {_without_states(saved)!r}; this scheduler: {schedule!r}"
        )
    _map_markers(saved, _load_state, live)
    return schedule


def scheduler(
    optimizer: Optimizer, schedule: Schedules, *, last_epoch: int = -1, cycle_momentum: bool = True
) -> ScheduleLR:
    """A PyTorch scheduler that sets ``optimizer``'s learning rates (and momenta) from lrlib schedules.

    Use it like any built-in scheduler: call ``step()`` after ``optimizer.step()``; ``get_last_lr()`` returns
    the rates in use. A plain callable ``f`` gives torch's ``LambdaLR`` without the multiplication:
    ``scheduler(opt, lambda t: base_lr * f(t))`` equals ``LambdaLR(opt, f)``.

    Args:
        optimizer: The optimizer whose param groups it drives.
        schedule: One schedule (an lrlib schedule or any callable ``step -> lr``) for every param group, or a
            list with one per group.
        last_epoch: The index of the last step taken, -1 for a fresh start (as for every torch scheduler).
        cycle_momentum: Whether a schedule's momentum also sets each group's ``momentum`` / ``betas[0]``
            (torch's ``OneCycleLR`` meaning); False leaves the optimizer's momentum alone.

    Returns:
        The `ScheduleLR` scheduler, already at step 0 (``schedule(0)`` is set).

    Raises:
        TypeError: If a schedule is not callable or ``cycle_momentum`` is not a bool.
        ValueError: If the list does not hold one schedule per param group, or a momentum schedule meets an
            optimizer without momentum.

    Example:
        >>> import torch, lrlib
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = scheduler(opt, lrlib.cosine(0.1, total_steps=4))
        >>> for _ in range(2):
        ...     opt.step()
        ...     sched.step()
        >>> [round(lr, 6) for lr in sched.get_last_lr()]
        [0.05]
    """
    return ScheduleLR(optimizer, schedule, last_epoch=last_epoch, cycle_momentum=cycle_momentum)
