"""Decaying schedules: the learning rate starts at ``lr`` and falls (or stays) as the step ``t`` grows."""

from __future__ import annotations

import math
from typing import Any, Sequence

from lrlib.schedules import _checks as check
from lrlib.schedules._base import Formulas, constructor


def cosine_curve(xp: Any, start: float, end: float, fraction: Any) -> Any:
    """Half a cosine from ``start`` (fraction 0) to ``end`` (fraction 1), exactly equal to both ends there."""
    weight = (1.0 + xp.cos(math.pi * fraction)) / 2.0
    return start * weight + end * (1.0 - weight)


def linear_curve(xp: Any, start: float, end: float, fraction: Any) -> Any:
    """A straight line from ``start`` (fraction 0) to ``end`` (fraction 1), exactly equal to both ends there."""
    return start * (1.0 - fraction) + end * fraction


@constructor
def constant(lr: float) -> Formulas:
    """The same learning rate at every step: ``lr``.

    Args:
        lr: The learning rate, > 0.

    Returns:
        The `Schedule`.

    Raises:
        ValueError: If an argument is out of range; the message names it and its range.

    Example:
        >>> constant(0.1)(1000)
        0.1
    """
    check.positive("lr", lr)
    return Formulas(lambda t, xp: lr + 0.0 * t)


@constructor
def step(lr: float, step_size: int, gamma: float = 0.1) -> Formulas:
    """Step decay: multiply by ``gamma`` every ``step_size`` steps, ``lr * gamma ** floor(t / step_size)``.

    The name is torch's (``StepLR``): ``lrlib.step`` is this schedule, not an optimizer update. Elsewhere in
    lrlib a "step" ``t`` is one optimizer update, the argument every schedule is evaluated at.

    Equals torch ``StepLR(step_size, gamma)``, Keras ``ExponentialDecay(lr, step_size, gamma, staircase=True)``
    and TF1's ``tf.train.exponential_decay(..., staircase=True)``.

    Args:
        lr: The learning rate at step 0, > 0.
        step_size: The number of steps between two decays, >= 1.
        gamma: The factor applied at each decay, > 0.

    Returns:
        The `Schedule`.

    Raises:
        ValueError: If an argument is out of range.

    Example:
        >>> [step(0.1, step_size=2, gamma=0.5)(t) for t in range(5)]
        [0.1, 0.1, 0.05, 0.05, 0.025]
    """
    check.positive("lr", lr)
    check.integer("step_size", step_size, 1)
    check.positive("gamma", gamma)
    return Formulas(lambda t, xp: lr * xp.power(gamma, xp.floor(t / step_size)))


@constructor
def multistep(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Formulas:
    """Multiply by ``gamma`` at each milestone: ``lr * gamma ** (number of milestones <= t)``.

    Equals torch ``MultiStepLR(milestones, gamma)``, d2l's multi-factor scheduler, and Keras
    ``PiecewiseConstantDecay(boundaries=[m - 1 for m in milestones], values=[lr * gamma**i ...])``
    (Keras switches value *after* a boundary step).

    Args:
        lr: The learning rate at step 0, > 0.
        milestones: The steps at which to decay, strictly increasing integers >= 1.
        gamma: The factor applied at each milestone, > 0.

    Returns:
        The `Schedule`.

    Raises:
        ValueError: If an argument is out of range; the message names it and its range.

    Example:
        >>> [round(multistep(0.1, milestones=[2, 4], gamma=0.5)(t), 6) for t in range(6)]
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    """
    check.positive("lr", lr)
    check.increasing_integers("milestones", milestones, 1)
    check.positive("gamma", gamma)
    steps = list(milestones)

    def formula(t: Any, xp: Any) -> Any:
        passed = 0.0 * t
        for milestone in steps:
            passed = xp.where(t >= milestone, passed + 1.0, passed)
        return lr * xp.power(gamma, passed)

    return Formulas(formula)


@constructor
def exponential(lr: float, gamma: float) -> Formulas:
    """Multiply by ``gamma`` every step: ``lr * gamma ** t``.

    Equals torch ``ExponentialLR(gamma)`` and Keras ``ExponentialDecay(lr, decay_steps=1, decay_rate=gamma)``.
    ``gamma > 1`` grows the learning rate, as an LR range test does.

    Args:
        lr: The learning rate at step 0, > 0.
        gamma: The factor applied every step, > 0.

    Returns:
        The `Schedule`.

    Raises:
        ValueError: If an argument is out of range; the message names it and its range.

    Example:
        >>> [round(exponential(0.1, gamma=0.5)(t), 6) for t in range(3)]
        [0.1, 0.05, 0.025]
    """
    check.positive("lr", lr)
    check.positive("gamma", gamma)
    return Formulas(lambda t, xp: lr * xp.power(gamma, t))


@constructor
def square_root(lr: float) -> Formulas:
    """Inverse square-root decay: ``lr / sqrt(t + 1)``. Equals d2l's ``SquareRootScheduler(lr)``.

    Args:
        lr: The learning rate at step 0, > 0.

    Returns:
        The `Schedule`.

    Raises:
        ValueError: If an argument is out of range; the message names it and its range.

    Example:
        >>> square_root(0.1)(3)
        0.05
    """
    check.positive("lr", lr)
    return Formulas(lambda t, xp: lr * xp.power(t + 1.0, -0.5))


@constructor
def factor(lr: float, factor: float, min_lr: float = 1e-7) -> Formulas:
    """Multiply by ``factor`` every step, never below ``min_lr``: ``max(min_lr, lr * factor ** (t + 1))``.

    Equals d2l's ``FactorScheduler(factor, stop_factor_lr=min_lr, base_lr=lr)`` called at t = 0, 1, 2, ...
    (d2l multiplies before returning, so even step 0 is already decayed once).

    Args:
        lr: The base learning rate, > 0.
        factor: The factor applied every step, in (0, 1].
        min_lr: The floor, in [0, lr].

    Returns:
        The `Schedule`.

    Raises:
        ValueError: If an argument is out of range; the message names it and its range.

    Example:
        >>> [round(factor(0.1, factor=0.5, min_lr=0.02)(t), 6) for t in range(4)]
        [0.05, 0.025, 0.02, 0.02]
    """
    check.positive("lr", lr)
    check.number("factor", factor, 0.0, 1.0, low_open=True)
    check.number("min_lr", min_lr, 0.0, lr)
    return Formulas(lambda t, xp: xp.maximum(min_lr, lr * xp.power(factor, t + 1.0)))


@constructor
def polynomial(
    lr: float, total_steps: int, power: float = 1.0, final_lr: float = 0.0, cycle: bool = False
) -> Formulas:
    """Polynomial decay to ``final_lr`` at ``total_steps``, then constant (or, with ``cycle``, decay again):

    ``final_lr + (lr - final_lr) * (1 - min(t, total_steps) / total_steps) ** power``.

    With ``cycle=True`` the decay restarts instead of holding: after step ``total_steps`` the horizon grows to
    the next multiple of ``total_steps``, ``T = total_steps * ceil(t / total_steps)`` (``T = total_steps`` at
    ``t = 0``), and the value is ``final_lr + (lr - final_lr) * (1 - t / T) ** power``.

    Equals torch ``PolynomialLR(total_iters=total_steps, power)`` when ``final_lr == 0`` (torch also holds 0
    after ``total_iters``), and Keras ``PolynomialDecay(lr, total_steps, final_lr, power, cycle)``.

    Args:
        lr: The learning rate at step 0, > 0.
        total_steps: The length of the decay, >= 1.
        power: The polynomial's exponent, > 0.
        final_lr: The learning rate at the end of the decay, in [0, lr].
        cycle: Whether to start a longer decay after each horizon instead of holding ``final_lr``.

    Returns:
        The `Schedule`.

    Raises:
        ValueError: If an argument is out of range.

    Example:
        >>> [polynomial(0.1, total_steps=4)(t) for t in (0, 2, 4, 6)]
        [0.1, 0.05, 0.0, 0.0]
        >>> [round(polynomial(0.1, total_steps=4, cycle=True)(t), 6) for t in (4, 5, 6)]
        [0.0, 0.0375, 0.025]
    """
    check.positive("lr", lr)
    check.integer("total_steps", total_steps, 1)
    check.positive("power", power)
    check.number("final_lr", final_lr, 0.0, lr)
    check.flag("cycle", cycle)

    def formula(t: Any, xp: Any) -> Any:
        if cycle:
            horizon = total_steps * xp.maximum(xp.ceil(t / total_steps), 1.0)
            remaining = 1.0 - t / horizon
        else:
            remaining = 1.0 - xp.minimum(t, float(total_steps)) / total_steps
        return final_lr + (lr - final_lr) * xp.power(remaining, power)

    return Formulas(formula)


@constructor
def inverse_time(lr: float, decay_steps: int, decay_rate: float, staircase: bool = False) -> Formulas:
    """Inverse-time decay: ``lr / (1 + decay_rate * t / decay_steps)``; with ``staircase`` the fraction
    ``t / decay_steps`` is floored, so the rate changes every ``decay_steps`` steps.

    Equals Keras ``InverseTimeDecay(lr, decay_steps, decay_rate, staircase)`` and TF1's
    ``tf.train.inverse_time_decay``.

    Args:
        lr: The learning rate at step 0, > 0.
        decay_steps: The steps over which the denominator grows by ``decay_rate``, >= 1.
        decay_rate: How fast the rate falls, >= 0.
        staircase: Whether to decay in steps of ``decay_steps``.

    Returns:
        The `Schedule`.

    Raises:
        ValueError: If an argument is out of range.

    Example:
        >>> [inverse_time(0.1, decay_steps=10, decay_rate=1.0)(t) for t in (0, 10, 30)]
        [0.1, 0.05, 0.025]
        >>> inverse_time(0.1, 10, 1.0, staircase=True)(19)
        0.05
    """
    check.positive("lr", lr)
    check.integer("decay_steps", decay_steps, 1)
    check.number("decay_rate", decay_rate, 0.0)
    check.flag("staircase", staircase)

    def formula(t: Any, xp: Any) -> Any:
        fraction = xp.floor(t / decay_steps) if staircase else t / decay_steps
        return lr / (1.0 + decay_rate * fraction)

    return Formulas(formula)


@constructor
def cosine(
    lr: float, total_steps: int, final_lr: float = 0.0, warmup_steps: int = 0, warmup_start_lr: float = 0.0
) -> Formulas:
    """Cosine annealing from ``lr`` to ``final_lr``, after an optional linear warm-up; ``final_lr`` afterwards.

    With ``w = warmup_steps`` and ``T = total_steps``:

    - ``t < w``: ``warmup_start_lr + (lr - warmup_start_lr) * t / w``
    - ``w <= t <= T``: ``final_lr + (lr - final_lr) * (1 + cos(pi * (t - w) / (T - w))) / 2``
    - ``t > T``: ``final_lr``

    Equals d2l's ``CosineScheduler(max_update=T, base_lr=lr, final_lr, warmup_steps, warmup_begin_lr)``;
    torch ``CosineAnnealingLR(T_max=T, eta_min=final_lr)`` on ``[0, T]`` when ``w == 0`` (past ``T`` torch
    climbs back up along the cosine; lrlib holds ``final_lr``, as d2l and Keras do); Keras
    ``CosineDecay(lr, decay_steps=T, alpha=final_lr / lr)``, or with warm-up
    ``CosineDecay(warmup_start_lr, T - w, alpha=final_lr / lr, warmup_target=lr, warmup_steps=w)``.

    Args:
        lr: The peak learning rate (at step ``w``), > 0.
        total_steps: ``T``, the step at which the annealing ends, >= 1.
        final_lr: The learning rate from step ``T`` on, in [0, lr].
        warmup_steps: ``w``, the length of the linear warm-up, in [0, T - 1].
        warmup_start_lr: The learning rate at step 0 when there is a warm-up, in [0, lr].

    Returns:
        The `Schedule`.

    Raises:
        ValueError: If an argument is out of range; the message names it and its range.

    Example:
        >>> s = cosine(0.1, total_steps=10, warmup_steps=2)
        >>> [round(s(t), 6) for t in (0, 1, 2, 6, 10, 20)]
        [0.0, 0.05, 0.1, 0.05, 0.0, 0.0]
    """
    check.positive("lr", lr)
    check.integer("total_steps", total_steps, 1)
    check.number("final_lr", final_lr, 0.0, lr)
    check.integer("warmup_steps", warmup_steps, 0, total_steps - 1)
    check.number("warmup_start_lr", warmup_start_lr, 0.0, lr)
    decay_steps = float(total_steps - warmup_steps)

    def decay(t: Any, xp: Any) -> Any:
        return cosine_curve(xp, lr, final_lr, xp.clip((t - warmup_steps) / decay_steps, 0.0, 1.0))

    def warm_then_decay(t: Any, xp: Any) -> Any:
        warm = linear_curve(xp, warmup_start_lr, lr, t / warmup_steps)
        return xp.where(t < warmup_steps, warm, decay(t, xp))

    return Formulas(warm_then_decay if warmup_steps else decay)
