"""Schedules built from other schedules: a linear warm-up in front of one, or several one after another."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from lrlib.schedules import _checks as check
from lrlib.schedules._base import Formula, Formulas, Schedule, constructor
from lrlib.schedules.decay import linear_curve


def _schedule(name: str, value: Any) -> None:
    if not isinstance(value, Schedule):
        raise TypeError(f"{name} must be an lrlib Schedule (e.g. lrlib.cosine(...)), got {value!r}")


def _shifted(formula: Formula, offset: int) -> Formula:
    """``formula`` restarted at step ``offset``: its value at ``t - offset`` (at 0 before ``offset``)."""
    return lambda t, xp: formula(xp.maximum(t - offset, 0.0), xp)


@constructor
def warmup(schedule: Schedule, steps: int, start_lr: float = 0.0) -> Formulas:
    """A linear warm-up of ``steps`` steps in front of ``schedule``:

    ``start_lr + (schedule(0) - start_lr) * t / steps`` for ``t < steps``, then ``schedule(t - steps)``.

    Equals torch ``SequentialLR([LinearLR(start_factor=start_lr / lr, total_iters=steps), scheduler],
    milestones=[steps])`` (torch needs ``start_lr > 0``) and optax
    ``join_schedules([linear_schedule(start_lr, lr, steps), schedule], [steps])``. During the warm-up a
    momentum schedule holds its step-0 momentum.
    """
    _schedule("schedule", schedule)
    check.integer("steps", steps, 1)
    check.number("start_lr", start_lr, 0.0)
    target = schedule(0)
    after = _shifted(schedule._lr, steps)

    def lr_formula(t: Any, xp: Any) -> Any:
        return xp.where(t < steps, linear_curve(xp, start_lr, target, t / steps), after(t, xp))

    momentum = _shifted(schedule._momentum, steps) if schedule.has_momentum else None
    return Formulas(lr_formula, momentum)


def _joined(formulas: Sequence[Formula], boundaries: Sequence[int]) -> Formula:
    """``formulas[i]`` restarted at ``boundaries[i - 1]`` and used from there until the next boundary."""

    def formula(t: Any, xp: Any) -> Any:
        result = formulas[0](t, xp)
        for later, boundary in zip(formulas[1:], boundaries):
            result = xp.where(t >= boundary, _shifted(later, boundary)(t, xp), result)
        return result

    return formula


def _joined_momentum(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Optional[Formula]:
    with_momentum = [schedule.has_momentum for schedule in schedules]
    if not any(with_momentum):
        return None
    if not all(with_momentum):
        raise ValueError(
            "schedules must all define momentum or none of them (momentum would be undefined in between), "
            f"got has_momentum={with_momentum}"
        )
    return _joined([schedule._momentum for schedule in schedules], boundaries)


@constructor
def sequence(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Formulas:
    """Schedules one after another, each restarted at its boundary: with ``b_0 = 0 < b_1 < ... < b_k``
    (``boundaries`` holds ``b_1 .. b_k``), ``schedules[i](t - b_i)`` for ``b_i <= t < b_(i+1)``.

    Equals torch ``SequentialLR(schedulers, milestones=boundaries)`` (which restarts each later scheduler at its
    milestone) and optax ``join_schedules(schedules, boundaries)``.
    """
    if isinstance(schedules, Schedule) or not isinstance(schedules, (list, tuple)) or not schedules:
        raise ValueError(f"schedules must be a non-empty list of Schedules, got {schedules!r}")
    for index, schedule in enumerate(schedules):
        _schedule(f"schedules[{index}]", schedule)
    check.increasing_integers("boundaries", boundaries, 1)
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(
            f"boundaries must have len(schedules) - 1 = {len(schedules) - 1} entries, got {len(boundaries)}"
        )
    lr_formula = _joined([schedule._lr for schedule in schedules], list(boundaries))
    return Formulas(lr_formula, _joined_momentum(schedules, list(boundaries)))

