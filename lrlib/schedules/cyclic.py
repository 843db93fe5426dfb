"""Cyclical schedules: the learning rate rises and falls (SGDR restarts, triangular cycles, one cycle)."""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from lrlib.schedules import _checks as check
from lrlib.schedules._base import Formula, Formulas, constructor
from lrlib.schedules.decay import cosine_curve, linear_curve

_ANNEALS = {"cos": cosine_curve, "linear": linear_curve}
_MODES = ("triangular", "triangular2", "exp_range")


@constructor
def cosine_restarts(lr: float, period: int, period_mult: int = 1, final_lr: float = 0.0) -> Formulas:
    """Cosine annealing from ``lr`` to ``final_lr`` that restarts at ``lr`` (SGDR), each period ``period_mult``
    times longer than the one before:

    ``final_lr + (lr - final_lr) * (1 + cos(pi * t_cur / t_i)) / 2`` where ``t_i = period * period_mult**n``
    is the length of the current period ``n`` and ``t_cur`` the steps since it started.

    Equals torch ``CosineAnnealingWarmRestarts(T_0=period, T_mult=period_mult, eta_min=final_lr)`` stepped once
    per step (it runs forever, so there is nothing to hold). Keras ``CosineDecayRestarts`` differs: it also
    shrinks the peak by ``m_mul`` at each restart.
    """
    check.positive("lr", lr)
    check.integer("period", period, 1)
    check.integer("period_mult", period_mult, 1)
    check.number("final_lr", final_lr, 0.0, lr)

    def period_start(n: Any, xp: Any) -> Any:
        """First step of period ``n`` (a geometric series; exact in floating point for integers)."""
        return period * (xp.power(float(period_mult), n) - 1.0) / (period_mult - 1)

    def position(t: Any, xp: Any) -> tuple[Any, Any]:
        if period_mult == 1:
            return t - period * xp.floor(t / period), float(period)
        estimate = xp.floor(xp.log(t / period * (period_mult - 1) + 1.0) / math.log(period_mult))
        # The logarithm can land a hair on the wrong side of a period boundary: correct it by one.
        n = xp.where(t < period_start(estimate, xp), estimate - 1.0, estimate)
        n = xp.where(t >= period_start(n + 1.0, xp), n + 1.0, n)
        return t - period_start(n, xp), period * xp.power(float(period_mult), n)

    def formula(t: Any, xp: Any) -> Any:
        since_restart, length = position(t, xp)
        return cosine_curve(xp, lr, final_lr, since_restart / length)

    return Formulas(formula)


@constructor
def cyclic(
    base_lr: float,
    max_lr: float,
    step_size: int,
    step_size_down: Optional[int] = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    base_momentum: Optional[float] = None,
    max_momentum: Optional[float] = None,
) -> Formulas:
    """Cyclical learning rate (Smith 2015): up from ``base_lr`` to ``max_lr`` in ``step_size`` steps, back down in
    ``step_size_down`` (default ``step_size``), and again. With ``c`` the cycle's rise-or-fall fraction in [0, 1]:

    ``base_lr + (max_lr - base_lr) * c * scale``, where ``scale`` is 1 (``"triangular"``), halves every cycle
    (``"triangular2"``: ``0.5 ** (cycle - 1)``) or decays every step (``"exp_range"``: ``gamma ** t``).

    Equals torch ``CyclicLR(base_lr, max_lr, step_size_up=step_size, step_size_down, mode, gamma)``. Given
    ``base_momentum`` and ``max_momentum``, the momentum cycles inversely, ``max_momentum - (max_momentum -
    base_momentum) * c * scale``, as torch's ``cycle_momentum=True`` does; without them ``has_momentum`` is False.
    """
    check.positive("base_lr", base_lr)
    check.number("max_lr", max_lr, base_lr, low_open=True)
    check.integer("step_size", step_size, 1)
    if step_size_down is not None:
        check.integer("step_size_down", step_size_down, 1)
    check.choice("mode", mode, _MODES)
    if mode == "exp_range":
        check.number("gamma", gamma, 0.0, 1.0, low_open=True)
    elif gamma != 1.0:
        raise ValueError(f"gamma must be 1.0 unless mode='exp_range' (it is unused by mode={mode!r}), got {gamma!r}")
    cycle_size = float(step_size + (step_size if step_size_down is None else step_size_down))
    rise = step_size / cycle_size

    def amplitude(t: Any, xp: Any) -> Any:
        """How far above the base the cycle is at ``t``, as a fraction of the full range (``c * scale``)."""
        cycle = xp.floor(1.0 + t / cycle_size)
        x = 1.0 + t / cycle_size - cycle
        height = xp.where(x <= rise, x / rise, (x - 1.0) / (rise - 1.0))
        if mode == "triangular2":
            return height * xp.power(0.5, cycle - 1.0)
        if mode == "exp_range":
            return height * xp.power(gamma, t)
        return height

    def lr_formula(t: Any, xp: Any) -> Any:
        return base_lr + (max_lr - base_lr) * amplitude(t, xp)

    if not check.momentum_range(base_momentum, max_momentum):
        return Formulas(lr_formula)
    return Formulas(lr_formula, lambda t, xp: max_momentum - (max_momentum - base_momentum) * amplitude(t, xp))


def _phases(anneal: str, ends: Sequence[float], values: Sequence[float]) -> Formula:
    """A formula through consecutive phases: phase ``i`` anneals ``values[i] -> values[i + 1]`` over the steps
    up to ``ends[i]`` (phase 0 starts at step 0); the last value holds after the last end."""
    curve = _ANNEALS[anneal]
    starts = [0.0, *ends[:-1]]

    def formula(t: Any, xp: Any) -> Any:
        def phase(i: int) -> Any:
            fraction = xp.clip((t - starts[i]) / (ends[i] - starts[i]), 0.0, 1.0)
            return curve(xp, values[i], values[i + 1], fraction)

        result = phase(len(ends) - 1)
        for i in reversed(range(len(ends) - 1)):
            result = xp.where(t <= ends[i], phase(i), result)
        return result

    return formula


@constructor
def one_cycle(
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
    three_phase: bool = False,
    base_momentum: Optional[float] = 0.85,
    max_momentum: Optional[float] = 0.95,
) -> Formulas:
    """The 1cycle policy (Smith 2018): warm up from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps``, then anneal (``"cos"`` or ``"linear"``) down to
    ``max_lr / div_factor / final_div_factor`` at step ``total_steps - 1``. With ``three_phase`` it anneals back
    to the start value over a second ``pct_start`` and only then to the minimum. Momentum mirrors the learning
    rate between ``max_momentum`` and ``base_momentum`` (pass both as None for no momentum).

    Equals torch ``OneCycleLR(max_lr, total_steps, pct_start, anneal_strategy=anneal, div_factor,
    final_div_factor, three_phase, base_momentum, max_momentum)`` for the LR and (``.momentum(t)``) the cycled
    momentum on steps ``0 .. total_steps - 1``. Torch allows one more step (extrapolating past the minimum) and
    raises after it; lrlib holds the final value from ``total_steps - 1`` on.
    """
    check.positive("max_lr", max_lr)
    check.integer("total_steps", total_steps, 2)
    check.positive("div_factor", div_factor)
    check.positive("final_div_factor", final_div_factor)
    check.choice("anneal", anneal, tuple(_ANNEALS))
    check.flag("three_phase", three_phase)
    check.number("pct_start", pct_start, 0.0, 1.0, low_open=True, high_open=True)
    warm_end = pct_start * total_steps - 1.0
    ends = [warm_end, 2.0 * warm_end, total_steps - 1.0] if three_phase else [warm_end, total_steps - 1.0]
    if min(later - earlier for earlier, later in zip([0.0, *ends], ends)) <= 0.0:  # torch divides by zero
        high = (total_steps + 1) / (2 * total_steps) if three_phase else 1.0
        raise ValueError(
            f"pct_start must leave every phase more than one step, i.e. lie in ({1 / total_steps:g}, {high:g}) "
            f"for total_steps={total_steps} and three_phase={three_phase}, got {pct_start!r}"
        )
    start_lr = max_lr / div_factor
    lr_path = [start_lr, max_lr, start_lr] if three_phase else [start_lr, max_lr]
    lr_formula = _phases(anneal, ends, [*lr_path, start_lr / final_div_factor])
    if not check.momentum_range(base_momentum, max_momentum):
        return Formulas(lr_formula)
    momentum_path = [max_momentum, base_momentum, max_momentum, max_momentum]
    return Formulas(lr_formula, _phases(anneal, ends, momentum_path[: len(ends) + 1]))
