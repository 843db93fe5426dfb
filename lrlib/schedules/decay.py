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
    """The same learning rate at every step: ``lr``."""
    check.positive("lr", lr)
    return Formulas(lambda t, xp: lr + 0.0 * t)


@constructor
def step(lr: float, step_size: int, gamma: float = 0.1) -> Formulas:
    """Multiply by ``gamma`` every ``step_size`` steps: ``lr * gamma ** floor(t / step_size)``.

    Equals torch ``StepLR(step_size, gamma)``, Keras ``ExponentialDecay(lr, step_size, gamma, staircase=True)``
    and TF1's ``tf.train.exponential_decay(..., staircase=True)``.
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
    (Keras switches value *after* a boundary step). ``milestones`` must be strictly increasing integers >= 1.
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
    """
    check.positive("lr", lr)
    check.positive("gamma", gamma)
    return Formulas(lambda t, xp: lr * xp.power(gamma, t))


@constructor
def square_root(lr: float) -> Formulas:
    """Inverse square-root decay: ``lr / sqrt(t + 1)``. Equals d2l's ``SquareRootScheduler(lr)``."""
    check.positive("lr", lr)
    return Formulas(lambda t, xp: lr * xp.power(t + 1.0, -0.5))


@constructor
def factor(lr: float, factor: float, min_lr: float = 1e-7) -> Formulas:
    """Multiply by ``factor`` every step, never below ``min_lr``: ``max(min_lr, lr * factor ** (t + 1))``.

    Equals d2l's ``FactorScheduler(factor, stop_factor_lr=min_lr, base_lr=lr)`` called at t = 0, 1, 2, ...
    (d2l multiplies before returning, so even step 0 is already decayed once).
    """
    check.positive("lr", lr)
    check.number("factor", factor, 0.0, 1.0, low_open=True)
    check.number("min_lr", min_lr, 0.0, lr)
    return Formulas(lambda t, xp: xp.maximum(min_lr, lr * xp.power(factor, t + 1.0)))


@constructor
def polynomial(lr: float, total_steps: int, power: float = 1.0, final_lr: float = 0.0) -> Formulas:
    """Polynomial decay to ``final_lr`` at ``total_steps``, then constant:

    ``final_lr + (lr - final_lr) * (1 - min(t, total_steps) / total_steps) ** power``.

    Equals torch ``PolynomialLR(total_iters=total_steps, power)`` when ``final_lr == 0`` (torch also holds 0
    after ``total_iters``), and Keras ``PolynomialDecay(lr, total_steps, final_lr, power)`` (``cycle=False``).
    """
    check.positive("lr", lr)
    check.integer("total_steps", total_steps, 1)
    check.positive("power", power)
    check.number("final_lr", final_lr, 0.0, lr)

    def formula(t: Any, xp: Any) -> Any:
        remaining = 1.0 - xp.minimum(t, float(total_steps)) / total_steps
        return final_lr + (lr - final_lr) * xp.power(remaining, power)

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
