"""Cyclical schedules: the learning rate rises and falls (SGDR restarts, triangular cycles, one cycle)."""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence

import numpy as np

from lrlib.schedules import _checks as check
from lrlib.schedules._base import SCALAR, Formula, Formulas, constructor
from lrlib.schedules.decay import cosine_curve, linear_curve

_ANNEALS = {"cos": cosine_curve, "linear": linear_curve}
_MODES = ("triangular", "triangular2", "exp_range")
_SCALE_MODES = ("cycle", "iterations")
_DECAY_TYPES = ("exp", "linear")


@constructor
def cosine_restarts(
    lr: float, period: int, period_mult: int = 1, final_lr: float = 0.0, peak_mult: float = 1.0
) -> Formulas:
    """Cosine annealing from ``lr`` to ``final_lr`` that restarts (SGDR), each period ``period_mult`` times
    longer than the one before, and each restart's peak ``peak_mult`` times the one before:

    ``final_lr + (lr - final_lr) * peak_mult**n * (1 + cos(pi * t_cur / t_i)) / 2`` where
    ``t_i = period * period_mult**n`` is the length of the current period ``n`` and ``t_cur`` the steps since
    it started.

    Equals torch ``CosineAnnealingWarmRestarts(T_0=period, T_mult=period_mult, eta_min=final_lr)`` stepped once
    per step when ``peak_mult == 1`` (it runs forever, so there is nothing to hold), and Keras
    ``CosineDecayRestarts(lr, first_decay_steps=period, t_mul=period_mult, m_mul=peak_mult,
    alpha=final_lr / lr)``.

    Args:
        lr: The learning rate at step 0, > 0.
        period: The length of the first period, >= 1.
        period_mult: The factor by which each period is longer than the last, an integer >= 1.
        final_lr: The learning rate each period anneals to, in [0, lr].
        peak_mult: The factor by which each restart's height above ``final_lr`` shrinks, in (0, 1].

    Returns:
        The `Schedule`.

    Raises:
        ValueError: If an argument is out of range.

    Example:
        >>> s = cosine_restarts(0.1, period=10, peak_mult=0.5)
        >>> s(0), s(10), s(20)
        (0.1, 0.05, 0.025)
    """
    check.positive("lr", lr)
    check.integer("period", period, 1)
    check.integer("period_mult", period_mult, 1)
    check.number("final_lr", final_lr, 0.0, lr)
    check.number("peak_mult", peak_mult, 0.0, 1.0, low_open=True)

    def period_start(n: Any, xp: Any) -> Any:
        """First step of period ``n`` (a geometric series; exact in floating point for integers)."""
        return period * (xp.power(float(period_mult), n) - 1.0) / (period_mult - 1)

    def position(t: Any, xp: Any) -> tuple[Any, Any, Any]:
        """The period ``n`` that step ``t`` lies in, the steps since it started, and its length."""
        if period_mult == 1:
            n = xp.floor(t / period)
            return n, t - period * n, float(period)
        estimate = xp.floor(xp.log(t / period * (period_mult - 1) + 1.0) / math.log(period_mult))
        # The logarithm can land a hair on the wrong side of a period boundary: correct it by one.
        n = xp.where(t < period_start(estimate, xp), estimate - 1.0, estimate)
        n = xp.where(t >= period_start(n + 1.0, xp), n + 1.0, n)
        return n, t - period_start(n, xp), period * xp.power(float(period_mult), n)

    def formula(t: Any, xp: Any) -> Any:
        n, since_restart, length = position(t, xp)
        peak = lr if peak_mult == 1.0 else final_lr + (lr - final_lr) * xp.power(peak_mult, n)
        return cosine_curve(xp, peak, final_lr, since_restart / length)

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
    scale_fn: Optional[Callable[[Any], Any]] = None,
    scale_mode: str = "cycle",
    decay_every: Optional[int] = None,
    decay: float = 0.5,
    decay_type: str = "exp",
) -> Formulas:
    """Cyclical learning rate (Smith 2015): up from ``base_lr`` to ``max_lr`` in ``step_size`` steps, back down in
    ``step_size_down`` (default ``step_size``), and again. With ``h`` the cycle's rise-or-fall fraction in [0, 1]
    and ``cycle = floor(1 + t / (step_size + step_size_down))`` the 1-based cycle number:

    ``base_lr + (max_lr - base_lr) * h * scale * peak``, where ``scale`` sets the swing of each cycle:

    - by ``mode``: 1 (``"triangular"``), ``0.5 ** (cycle - 1)`` (``"triangular2"``) or ``gamma ** t``
      (``"exp_range"``);
    - or by ``scale_fn`` (the amplitude function; ``mode`` must then stay ``"triangular"``): ``scale_fn(cycle)``
      for ``scale_mode="cycle"``, ``scale_fn(t)`` for ``"iterations"``, as in torch. It receives floats: one
      float, a float64 array (when it rejects arrays lrlib falls back to ``np.vectorize``), or, built into a
      Keras graph, a tensor. A schedule with a ``scale_fn`` has no JSON config (``get_config`` raises
      `TypeError`) and pickles only if the function does; `lrlib.torch.scheduler` still checkpoints it as
      torch's ``CyclicLR`` does (the state of a callable object, the name of a function).

    and ``peak`` (a decaying max LR after the ``CircularLR`` callback of Drxan/DNN_Learning_Rate, off when
    ``decay_every`` is None) shrinks the swing after every ``decay_every`` cycles. That callback multiplies
    ``max_lr`` itself by ``decay`` and floors it at ``base_lr``; lrlib decays the height above ``base_lr``
    instead, so the cycle never collapses to a constant LR (the two agree when ``base_lr`` is small next to
    ``max_lr``; notebook 06's exercises compare them). After ``k = floor((cycle - 1) / decay_every)`` decays the
    peak of the cycle is

    - ``decay_type="exp"``: ``base_lr + (max_lr - base_lr) * decay ** k``, approaching ``base_lr``;
    - ``decay_type="linear"``: ``max(base_lr, max_lr - (max_lr - base_lr) * decay * k)``, reaching ``base_lr``
      after ``ceil(1 / decay)`` decays and staying there (the LR is then constant).

    Equals torch ``CyclicLR(base_lr, max_lr, step_size_up=step_size, step_size_down, mode, gamma, scale_fn,
    scale_mode)`` without ``decay_every``. Given ``base_momentum`` and ``max_momentum``, the momentum cycles
    inversely, ``max_momentum - (max_momentum - base_momentum) * h * scale * peak``, as torch's
    ``cycle_momentum=True`` does; without them ``has_momentum`` is False.

    Args:
        base_lr: The bottom of each cycle, > 0.
        max_lr: The top of the first cycle, > base_lr.
        step_size: The steps from bottom to top, >= 1.
        step_size_down: The steps from top to bottom (default ``step_size``), >= 1.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: ``exp_range``'s decay per step, in (0, 1]; 1.0 for the other modes.
        base_momentum: The momentum at the top of a cycle, or None (with ``max_momentum``) for no momentum.
        max_momentum: The momentum at the bottom of a cycle.
        scale_fn: A custom amplitude function (see above), or None.
        scale_mode: ``"cycle"`` or ``"iterations"``: what ``scale_fn`` receives.
        decay_every: Decay the peak every this many cycles, or None.
        decay: The peak's decay (see above).
        decay_type: ``"exp"`` or ``"linear"``.

    Returns:
        The `Schedule` (with ``.momentum`` when both momenta are given).

    Raises:
        ValueError: If an argument is out of range or unused by the chosen mode; the message names it.

    Example:
        >>> s = cyclic(0.01, 0.1, step_size=2)
        >>> [round(s(t), 6) for t in range(5)]
        [0.01, 0.055, 0.1, 0.055, 0.01]
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
    scale = _cycle_scale(mode, gamma, scale_fn, scale_mode)
    peak = _decayed_peak(decay_every, decay, decay_type)

    def amplitude(t: Any, xp: Any) -> Any:
        """How far above the base the cycle is at ``t``, as a fraction of the full range (``h * scale * peak``)."""
        cycle = xp.floor(1.0 + t / cycle_size)
        x = 1.0 + t / cycle_size - cycle
        height = xp.where(x <= rise, x / rise, (x - 1.0) / (rise - 1.0))
        return height * scale(cycle, t, xp) * peak(cycle, xp)

    def lr_formula(t: Any, xp: Any) -> Any:
        return base_lr + (max_lr - base_lr) * amplitude(t, xp)

    momenta = check.momentum_range(base_momentum, max_momentum)
    if momenta is None:
        return Formulas(lr_formula)
    low, high = momenta
    return Formulas(lr_formula, lambda t, xp: high - (high - low) * amplitude(t, xp))


def _cycle_scale(
    mode: str, gamma: float, scale_fn: Optional[Callable[[Any], Any]], scale_mode: str
) -> Callable[[Any, Any, Any], Any]:
    """Check ``scale_fn`` and ``scale_mode``; return ``scale(cycle, t, xp)``, each cycle's swing factor."""
    check.choice("scale_mode", scale_mode, _SCALE_MODES)
    if scale_fn is None:
        if scale_mode != "cycle":
            raise ValueError(f"scale_mode must be 'cycle' unless scale_fn is given (it is unused), got {scale_mode!r}")
        if mode == "triangular2":
            return lambda cycle, t, xp: xp.power(0.5, cycle - 1.0)
        if mode == "exp_range":
            return lambda cycle, t, xp: xp.power(gamma, t)
        return lambda cycle, t, xp: 1.0
    if not callable(scale_fn):
        raise ValueError(f"scale_fn must be None or a function of the cycle number or the step, got {scale_fn!r}")
    if mode != "triangular":
        raise ValueError(f"mode must be 'triangular' when scale_fn is given (scale_fn replaces it), got {mode!r}")
    if scale_mode == "cycle":
        return lambda cycle, t, xp: _call_scale_fn(scale_fn, cycle, xp)
    return lambda cycle, t, xp: _call_scale_fn(scale_fn, t, xp)


def _call_scale_fn(scale_fn: Callable[[Any], Any], x: Any, xp: Any) -> Any:
    """``scale_fn(x)`` in namespace ``xp``: as is for one float; vectorized for numpy (element by element when
    the function only takes scalars); traced for a graph namespace, with a clear error when it cannot be."""
    if xp is SCALAR:
        return scale_fn(x)
    if xp is np:
        try:
            value = np.asarray(scale_fn(x), dtype=np.float64)
            if value.shape in (np.shape(x), ()):
                return value
        except Exception:  # noqa: BLE001 - e.g. math.pow or an `if` on an array: retry one element at a time
            pass
        return np.vectorize(scale_fn, otypes=[np.float64])(x)
    try:
        return scale_fn(x)
    except Exception as error:
        namespace = getattr(xp, "__name__", type(xp).__name__)
        raise TypeError(
            f"scale_fn={scale_fn!r} cannot be evaluated on a {namespace} tensor ({type(error).__name__}: {error}). "
            "To build this schedule into a graph (lrlib.keras.schedule), write scale_fn with arithmetic operators "
            "only, e.g. lambda cycle: 0.5 ** (cycle - 1), or drive training with a callback that evaluates it "
            "in Python (lrlib.keras.CyclicLR)"
        ) from error


def _decayed_peak(decay_every: Optional[int], decay: float, decay_type: str) -> Callable[[Any, Any], Any]:
    """Check the decay arguments; return ``peak(cycle, xp)``, the cycle's peak above ``base_lr`` as a fraction of
    ``max_lr - base_lr`` (the max LR decayed every ``decay_every`` cycles, never below ``base_lr``)."""
    check.choice("decay_type", decay_type, _DECAY_TYPES)
    if decay_every is None:
        if (decay, decay_type) != (0.5, "exp"):
            raise ValueError(
                f"decay and decay_type are used only with decay_every; without it they must keep their defaults "
                f"0.5 and 'exp', got decay={decay!r}, decay_type={decay_type!r}"
            )
        return lambda cycle, xp: 1.0
    check.integer("decay_every", decay_every, 1)
    if decay_type == "exp":
        check.number("decay", decay, 0.0, 1.0, low_open=True, high_open=True)
        return lambda cycle, xp: xp.power(decay, xp.floor((cycle - 1.0) / decay_every))
    check.number("decay", decay, 0.0, 1.0, low_open=True)
    return lambda cycle, xp: xp.maximum(1.0 - decay * xp.floor((cycle - 1.0) / decay_every), 0.0)


def _cycle_length(total_steps: Optional[int], epochs: Optional[int], steps_per_epoch: Optional[int]) -> int:
    """``total_steps``, or ``epochs * steps_per_epoch``: exactly one of the two must be given."""
    if total_steps is None:
        if epochs is None or steps_per_epoch is None:
            raise ValueError(
                f"give total_steps, or epochs and steps_per_epoch, got total_steps=None, epochs={epochs!r}, "
                f"steps_per_epoch={steps_per_epoch!r}"
            )
        check.integer("epochs", epochs, 1)
        check.integer("steps_per_epoch", steps_per_epoch, 1)
        total_steps = epochs * steps_per_epoch
    elif epochs is not None or steps_per_epoch is not None:
        raise ValueError(
            f"give total_steps or epochs and steps_per_epoch, not both, got total_steps={total_steps!r}, "
            f"epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r}"
        )
    check.integer("total_steps", total_steps, 2)
    return total_steps


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
    total_steps: Optional[int] = None,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
    three_phase: bool = False,
    base_momentum: Optional[float] = 0.85,
    max_momentum: Optional[float] = 0.95,
    epochs: Optional[int] = None,
    steps_per_epoch: Optional[int] = None,
) -> Formulas:
    """The 1cycle policy (Smith 2018): warm up from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps``, then anneal (``"cos"`` or ``"linear"``) down to
    ``max_lr / div_factor / final_div_factor`` at step ``total_steps - 1``. With ``three_phase`` it anneals back
    to the start value over a second ``pct_start`` and only then to the minimum. Momentum mirrors the learning
    rate between ``max_momentum`` and ``base_momentum`` (pass both as None for no momentum).

    Equals torch ``OneCycleLR(max_lr, total_steps, pct_start, anneal_strategy=anneal, div_factor,
    final_div_factor, three_phase, base_momentum, max_momentum)`` for the LR and (``.momentum(t)``) the cycled
    momentum on steps ``0 .. total_steps - 1``. Torch allows one more step (extrapolating past the minimum) and
    raises after it; lrlib holds the final value from ``total_steps - 1`` on. As in torch, the cycle's length
    is ``total_steps`` or ``epochs * steps_per_epoch``.

    Args:
        max_lr: The peak learning rate, > 0.
        total_steps: The length of the cycle, >= 2 (or give ``epochs`` and ``steps_per_epoch``).
        pct_start: The fraction of the cycle spent warming up, in (0, 1).
        div_factor: The start LR is ``max_lr / div_factor``.
        final_div_factor: The final LR is ``max_lr / div_factor / final_div_factor``.
        anneal: ``"cos"`` or ``"linear"``.
        three_phase: Whether to anneal back to the start LR before the final annealing.
        base_momentum: The momentum at the LR's peak, or None (with ``max_momentum``) for no momentum.
        max_momentum: The momentum at the start and the end.
        epochs: With ``steps_per_epoch``, the cycle's length in epochs (torch's ``OneCycleLR(epochs=...)``).
        steps_per_epoch: The optimizer steps per epoch.

    Returns:
        The `Schedule` (with ``.momentum`` unless both momenta are None).

    Raises:
        ValueError: If an argument is out of range, or the length is given both ways or neither.

    Example:
        >>> s = one_cycle(1.0, epochs=2, steps_per_epoch=5, pct_start=0.5)
        >>> s(0), s(4), round(s(9), 8)
        (0.04, 1.0, 4e-06)
    """
    check.positive("max_lr", max_lr)
    total_steps = _cycle_length(total_steps, epochs, steps_per_epoch)
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
    momenta = check.momentum_range(base_momentum, max_momentum)
    if momenta is None:
        return Formulas(lr_formula)
    low, high = momenta
    momentum_path = [high, low, high, high]
    return Formulas(lr_formula, _phases(anneal, ends, momentum_path[: len(ends) + 1]))
