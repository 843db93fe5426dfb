"""Schedules built from other schedules: a linear warm-up in front of one, several one after another, or
several multiplied together.

Every schedule argument may be an lrlib schedule or any callable ``step -> lr`` (see `lrlib.from_function`).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from lrlib.schedules import _checks as check
from lrlib.schedules._base import Formula, Formulas, MomentumSchedule, Schedule, ScheduleLike, as_schedule, constructor
from lrlib.schedules.decay import linear_curve


def _shifted(formula: Formula, offset: int) -> Formula:
    """``formula`` restarted at step ``offset``: its value at ``t - offset`` (at 0 before ``offset``)."""
    return lambda t, xp: formula(xp.maximum(t - offset, 0.0), xp)


@constructor
def warmup(schedule: ScheduleLike, steps: int, start_lr: float = 0.0) -> Formulas:
    """A linear warm-up of ``steps`` steps in front of ``schedule``:

    ``start_lr + (schedule(0) - start_lr) * t / steps`` for ``t < steps``, then ``schedule(t - steps)``.

    Equals torch ``SequentialLR([LinearLR(start_factor=start_lr / lr, total_iters=steps), scheduler],
    milestones=[steps])`` (torch needs ``start_lr > 0``) and optax
    ``join_schedules([linear_schedule(start_lr, lr, steps), schedule], [steps])``. During the warm-up a
    momentum schedule holds its step-0 momentum.

    Args:
        schedule: The schedule to warm up into (an lrlib schedule or any callable ``step -> lr``).
        steps: The length of the warm-up, >= 1.
        start_lr: The learning rate at step 0, >= 0.

    Returns:
        The warmed-up `Schedule`.

    Raises:
        ValueError: If ``steps`` or ``start_lr`` is out of range.
        TypeError: If ``schedule`` is not callable.

    Example:
        >>> s = warmup(lambda t: 0.1, steps=4)
        >>> [round(s(t), 6) for t in range(6)]
        [0.0, 0.025, 0.05, 0.075, 0.1, 0.1]
    """
    schedule = as_schedule(schedule)  # already done by @constructor; this tells type checkers
    check.integer("steps", steps, 1)
    check.number("start_lr", start_lr, 0.0)
    target = schedule(0)
    after = _shifted(schedule._lr, steps)

    def lr_formula(t: Any, xp: Any) -> Any:
        return xp.where(t < steps, linear_curve(xp, start_lr, target, t / steps), after(t, xp))

    momentum = _shifted(schedule._momentum, steps) if isinstance(schedule, MomentumSchedule) else None
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
    momenta = [schedule for schedule in schedules if isinstance(schedule, MomentumSchedule)]
    if not momenta:
        return None
    if len(momenta) < len(schedules):
        raise ValueError(
            "schedules must all define momentum or none of them (momentum would be undefined in between), "
            f"got has_momentum={[schedule.has_momentum for schedule in schedules]}"
        )
    return _joined([schedule._momentum for schedule in momenta], boundaries)


@constructor
def sequence(schedules: Sequence[ScheduleLike], boundaries: Sequence[int]) -> Formulas:
    """Schedules one after another, each restarted at its boundary: with ``b_0 = 0 < b_1 < ... < b_k``
    (``boundaries`` holds ``b_1 .. b_k``), ``schedules[i](t - b_i)`` for ``b_i <= t < b_(i+1)``.

    Equals torch ``SequentialLR(schedulers, milestones=boundaries)`` (which restarts each later scheduler at its
    milestone) and optax ``join_schedules(schedules, boundaries)``.

    Args:
        schedules: The schedules (lrlib schedules or callables ``step -> lr``), at least one.
        boundaries: The steps where each later schedule starts: ``len(schedules) - 1`` increasing integers >= 1.

    Returns:
        The joined `Schedule`; it has momentum when every part has.

    Raises:
        ValueError: If ``schedules`` is empty or not a list, ``boundaries`` is not increasing or has the wrong
            length, or only some schedules define momentum.
        TypeError: If a schedule is not callable.

    Example:
        >>> import lrlib
        >>> s = sequence([lrlib.constant(0.1), lambda t: 0.01 * 0.5**t], boundaries=[2])
        >>> [s(t) for t in range(5)]
        [0.1, 0.1, 0.01, 0.005, 0.0025]
    """
    parts = _schedule_list(schedules)
    check.increasing_integers("boundaries", boundaries, 1)
    if len(boundaries) != len(parts) - 1:
        raise ValueError(f"boundaries must have len(schedules) - 1 = {len(parts) - 1} entries, got {len(boundaries)}")
    lr_formula = _joined([schedule._lr for schedule in parts], list(boundaries))
    return Formulas(lr_formula, _joined_momentum(parts, list(boundaries)))


def _schedule_list(schedules: Any) -> list[Schedule]:
    """Check that ``schedules`` is a non-empty list; return it with every item a `Schedule`."""
    if isinstance(schedules, Schedule) or not isinstance(schedules, (list, tuple)) or not schedules:
        raise ValueError(f"schedules must be a non-empty list of schedules, got {schedules!r}")
    return [as_schedule(schedule, f"schedules[{index}]") for index, schedule in enumerate(schedules)]


@constructor
def chain(schedules: Sequence[ScheduleLike]) -> Formulas:
    """Schedules multiplied together, as torch's ``ChainedScheduler`` runs several schedulers on one optimizer:

    ``schedules[0](t) * schedules[1](t) / schedules[1](0) * ... * schedules[k](t) / schedules[k](0)``.

    The first schedule sets the learning rate; every later one multiplies it by its own relative change.
    Build them all with the optimizer's learning rate ``lr`` and ``chain`` equals
    ``ChainedScheduler([s_0, ..., s_k])`` of the matching torch schedulers (each of which scales ``lr`` by its
    factor, so that the factors multiply), e.g. ``chain([lrlib.step(lr, 10, 0.5), lrlib.exponential(lr, 0.99)])``
    equals ``ChainedScheduler([StepLR(opt, 10, 0.5), ExponentialLR(opt, 0.99)])``. (torch multiplies only its
    recursive schedulers this way; a ``LambdaLR`` in a ``ChainedScheduler`` overwrites the others.)

    Args:
        schedules: The schedules (lrlib schedules or callables ``step -> lr``), at least one, without momentum;
            every schedule after the first must be > 0 at step 0.

    Returns:
        The product `Schedule`.

    Raises:
        ValueError: If ``schedules`` is empty or not a list, a later schedule is not > 0 at step 0, or a
            schedule defines momentum (a product of momenta means nothing).
        TypeError: If a schedule is not callable.

    Example:
        >>> import lrlib
        >>> s = chain([lrlib.step(0.1, 2, 0.5), lrlib.exponential(0.1, 0.9)])
        >>> [round(s(t), 6) for t in range(4)]
        [0.1, 0.09, 0.0405, 0.03645]
    """
    parts = _schedule_list(schedules)
    for index, schedule in enumerate(parts):
        if schedule.has_momentum:
            raise ValueError(
                f"schedules[{index}] defines momentum, which chain cannot combine (a product of momenta means "
                f"nothing): build it without momentum, got {schedule!r}"
            )
    starts = [schedule(0) for schedule in parts]
    for index, start in enumerate(starts[1:], 1):
        if not start > 0.0:
            raise ValueError(f"schedules[{index}] must be > 0 at step 0 (chain divides by it), got {start!r}")
    first, *later = [schedule._lr for schedule in parts]
    scales = [1.0 / start for start in starts[1:]]

    def formula(t: Any, xp: Any) -> Any:
        result = first(t, xp)
        for factor, scale in zip(later, scales):
            result = result * (factor(t, xp) * scale)
        return result

    return Formulas(formula)
