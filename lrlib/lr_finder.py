"""The learning-rate range test (Smith 2017, "Cyclical Learning Rates for Training Neural Networks"), framework-free.

Train for a few dozen steps while the learning rate grows from tiny to huge, record the loss at every step,
and read a good learning rate off the loss-versus-LR curve. This module holds everything that does not
need a framework: the LR sweep, the smoothing of the recorded losses, the divergence stop, the rules that
turn a curve into a suggestion, and the result object with its plot. The PyTorch and Keras adapters
(``lrlib.torch.lr_find``, ``lrlib.keras.lr_find``) only run training steps and feed losses to a
:class:`RangeTest`::

    test = RangeTest(start_lr=1e-7, end_lr=10, num_iter=100)
    for i in range(test.num_iter):
        set_lr(test.lr_for(i))
        if test.record(train_one_step()):
            break
    result = test.result()
    result.suggestion, result.plot()
"""

from __future__ import annotations

import bisect
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Optional

import numpy as np

MODES = ("exp", "linear")
_ZERO_LAG_DECADES = 0.4  # time constant of the zero-lag smoothing, in decades of LR
_SPREAD_BETA = 0.98  # EMA factor of the noise estimate behind the divergence stop
Rule = Callable[[np.ndarray, np.ndarray, np.ndarray], "float | None"]  # (lrs, losses, smoothed) -> lr


def sweep_lrs(start_lr: float, end_lr: float, num_iter: int, mode: str = "exp") -> np.ndarray:
    """Return the `num_iter` learning rates of a sweep from `start_lr` to `end_lr`, both included.

    ``mode="exp"`` spaces them evenly in log LR, ``lr_i = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))``
    (torch-lr-finder's ``ExponentialLR``, fastai's ``SchedExp``); ``mode="linear"`` spaces them evenly in LR.
    """
    start_lr, end_lr = float(start_lr), float(end_lr)
    if not (math.isfinite(start_lr) and start_lr > 0):
        raise ValueError(f"start_lr must be a finite number > 0, got {start_lr!r}")
    if not (math.isfinite(end_lr) and end_lr > start_lr):
        raise ValueError(f"end_lr must be a finite number > start_lr={start_lr!r}, got {end_lr!r}")
    if isinstance(num_iter, bool) or not isinstance(num_iter, (int, np.integer)) or num_iter < 10:
        raise ValueError(f"num_iter must be an integer >= 10, got {num_iter!r}")
    if mode == "exp":
        return np.geomspace(start_lr, end_lr, int(num_iter))
    if mode == "linear":
        return np.linspace(start_lr, end_lr, int(num_iter))
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


def debiased_ema(values: np.ndarray, beta: float) -> np.ndarray:
    """Bias-corrected exponential moving average: ``avg_k / (1 - beta ** (k + 1))`` with
    ``avg_k = beta * avg_{k-1} + (1 - beta) * x_k`` and ``avg_{-1} = 0`` (Adam's correction, fastai's
    ``smooth_loss``). Without the correction the first values would be pulled towards 0."""
    out = np.empty(len(values))
    avg = 0.0
    for k, x in enumerate(values):
        avg = beta * avg + (1.0 - beta) * float(x)
        out[k] = avg / (1.0 - beta ** (k + 1))
    return out


# --------------------------------------------------------------------------- suggestion rules


def _trim(lrs: np.ndarray, losses: np.ndarray, skip_start: int, skip_end: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop `skip_start` points at the start and `skip_end` at the end, as the reference implementations do."""
    stop = len(lrs) - skip_end
    return lrs[skip_start:stop], losses[skip_start:stop]


def steepest(lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray) -> float | None:
    """The LR where the smoothed loss falls fastest against log LR (torch-lr-finder's ``suggest_lr``).

    Like torch-lr-finder, the first 10 and last 5 points are skipped and ``np.gradient`` gives the slope;
    the slope is taken against ``log(lr)`` so that linear sweeps are treated like exponential ones.
    """
    lrs, losses = _trim(lrs, smoothed, 10, 5)
    if len(lrs) < 2:
        return None
    slope = np.gradient(losses, np.log(lrs))
    return float(lrs[int(np.argmin(slope))])


def min_div_10(lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray) -> float | None:
    """One tenth of the LR at the smoothed loss's minimum (fastai's ``minimum``, with its trimming of the
    first tenth and the last 5 points)."""
    lrs, losses = _trim(lrs, smoothed, len(lrs) // 10, 5)
    if len(lrs) < 1:
        return None
    return float(lrs[int(np.argmin(losses))]) / 10.0


def valley(lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray) -> float | None:
    """fastai's ``valley`` rule (fastai/callback/schedule.py), ported step by step.

    After fastai's trimming (first tenth and last 5 points), find the longest strictly decreasing
    subsequence of the smoothed losses (the "valley"; ties resolved like fastai: the first longest one
    wins) and return the LR at ``start + int(length / 3) + int(length / 6)`` of it, about half-way down
    the valley's upper two thirds. fastai's start index is ``end - length`` (one before the valley's first
    point); that is kept. The one deviation: fastai's index can be -1 for a valley shorter than 3 points
    that begins at the first point, which Python reads as the *last* point; here it is 0.
    """
    lrs, losses = _trim(lrs, smoothed, len(lrs) // 10, 5)
    n = len(losses)
    if n < 1:
        return None
    lds = _decreasing_run_lengths(losses)
    max_start, max_end = 0, 0
    for i in range(1, n):
        if lds[max_end] < lds[i]:
            max_end = i
            max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[max(idx, 0)])


def zero_lag_smooth(lrs: np.ndarray, losses: np.ndarray, decades: float = _ZERO_LAG_DECADES) -> np.ndarray:
    """Smooth a sweep's raw losses without shifting them along the LR axis.

    The online EMA a sweep records lags: with ``smooth=0.98`` a point averages the last ~50 steps, which
    in a default sweep (100 steps over 8 decades) reaches 4 decades back, so its features sit far to the
    right of where the loss really changed. Afterwards nothing forces causality: run the bias-corrected
    EMA forwards, then backwards over the result (a forward-backward filter, like ``scipy.signal.filtfilt``),
    and the lags cancel. Its time constant spans `decades` of LR (0.4: five steps of a default sweep),
    so the smoothing means the same on short and long sweeps.
    """
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    if len(losses) < 2:
        return losses.copy()
    points_per_decade = (len(lrs) - 1) / max(np.log10(lrs[-1] / lrs[0]), 1e-12)
    beta = max(0.0, 1.0 - 1.0 / (decades * points_per_decade))
    return debiased_ema(debiased_ema(losses, beta)[::-1], beta)[::-1]


def half_descent(lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray) -> float | None:
    """The LR at which the loss is half-way down its final descent: lrlib's rule, chosen by measurement.

    On the zero-lag smoothed curve (:func:`zero_lag_smooth`; the recorded EMA lags too much to locate
    anything), the starting level is the median over the first third of the sweep. The final descent is
    the stretch after the curve last stood at that level, ending where it last was below it (before the
    final rise); its bottom is its minimum (after fastai's trimming of the first tenth). Earlier dips
    below the starting level are noise in the plateau, not the descent the LR causes. The suggestion is
    the first LR after the last point above the level half-way between start and bottom.

    Unlike the steepest slope it reads a level, not a derivative, so noise moves it little; unlike
    "minimum / 10" it needs no fixed factor, which is wrong for curves whose descent is short (the best
    LR close to the minimum) or long. On ``benchmarks/bench_lr_find.py`` it lands closer to the best
    constant LR than the other rules. Returns None when there is no descent: the curve never goes below
    its starting level, or only within the first third.
    """
    n = len(losses)
    if n < 10:
        return None
    curve = zero_lag_smooth(lrs, losses)
    top = float(np.median(curve[: n // 3]))
    lrs, curve = _trim(lrs, curve, n // 10, 0)
    below = np.flatnonzero(curve < top)
    if not len(below):
        return None
    end = int(below[-1])
    at_start_level = np.flatnonzero(curve[:end] >= top)
    start = int(at_start_level[-1]) + 1 if len(at_start_level) else 0
    bottom = start + int(np.argmin(curve[start : end + 1]))
    if bottom + n // 10 < n // 3:
        return None  # the descent lies in the starting region
    above = np.flatnonzero(curve[: bottom + 1] > top - 0.5 * (top - curve[bottom]))
    first_below = above[-1] + 1 if len(above) else 0
    return float(lrs[min(first_below, bottom)])


def _decreasing_run_lengths(values: np.ndarray) -> list[int]:
    """For each i, the length of the longest strictly decreasing subsequence ending at ``values[i]``.

    fastai computes it with an O(n^2) double loop; patience sorting (binary search in the list of the
    smallest tails of increasing subsequences of ``-values``) gives the same lengths in O(n log n).
    """
    tails: list[float] = []
    lengths = []
    for v in -np.asarray(values, dtype=float):
        k = bisect.bisect_left(tails, v)
        tails[k : k + 1] = [v]
        lengths.append(k + 1)
    return lengths


RULES: dict[str, Rule] = {
    "half_descent": half_descent,
    "steepest": steepest,
    "min_div_10": min_div_10,
    "valley": valley,
}
DEFAULT_RULE = "half_descent"


def suggest(lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray, rule: str = DEFAULT_RULE) -> float | None:
    """Apply the rule named `rule` (a key of :data:`RULES`) to the finite start of a sweep's curve."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {sorted(RULES)}, got {rule!r}")
    n = _finite_length(np.asarray(losses, float), np.asarray(smoothed, float))
    curve = (np.asarray(a, float)[:n] for a in (lrs, losses, smoothed))
    return RULES[rule](*curve) if n else None


def _finite_length(losses: np.ndarray, smoothed: np.ndarray) -> int:
    """The number of points before the first non-finite loss (a diverged sweep ends with inf or NaN)."""
    bad = np.flatnonzero(~(np.isfinite(losses) & np.isfinite(smoothed)))
    return int(bad[0]) if len(bad) else len(losses)


# --------------------------------------------------------------------------- the result


@dataclass
class RangeTestResult:
    """What a range test measured and what it suggests.

    `lrs`, `losses` (raw, as recorded) and `smoothed` (bias-corrected EMA) have one entry per step run;
    a diverged sweep may end with a non-finite loss. `suggestion` is the LR chosen by `rule` (None, with
    `reason` saying why, when the rule cannot decide); `suggestions` holds every rule's answer. `upper_lr` is
    where the loss stops improving: the upper bound of a cyclical LR, and one-cycle's peak.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    rule: str = DEFAULT_RULE
    diverged: bool = False
    suggestions: dict[str, float | None] = field(init=False)
    suggestion: float | None = field(init=False)
    reason: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.lrs = np.asarray(self.lrs, dtype=float)
        self.losses = np.asarray(self.losses, dtype=float)
        self.smoothed = np.asarray(self.smoothed, dtype=float)
        if not (len(self.lrs) == len(self.losses) == len(self.smoothed)):
            raise ValueError(
                f"lrs, losses and smoothed must have the same length, got "
                f"{len(self.lrs)}, {len(self.losses)} and {len(self.smoothed)}"
            )
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {sorted(RULES)}, got {self.rule!r}")
        self.suggestions = {name: suggest(self.lrs, self.losses, self.smoothed, name) for name in RULES}
        self.suggestion = self.suggestions[self.rule]
        self.reason = None if self.suggestion is not None else self._why_no_suggestion()

    @property
    def upper_lr(self) -> float | None:
        """The upper end of the useful range: the LR at the lowest point of the zero-lag smoothed loss.

        Past it the loss stops improving. Smith reads the upper bound of a cyclical LR there (the lower bound
        a third or a quarter of it) and puts one-cycle's peak there; a constant LR, the `suggestion`, lies
        below it. The curve is :func:`zero_lag_smooth` over the finite part of the sweep (the recorded EMA
        lags, so its minimum comes later). None for a sweep of fewer than 10 finite points.

        Example:
            >>> lrs = np.geomspace(1e-3, 10, 50)
            >>> losses = (np.log10(lrs) - np.log10(0.3)) ** 2 + 1  # lowest at LR 0.3
            >>> result = RangeTestResult(lrs, losses, losses)
            >>> round(result.upper_lr, 1)
            0.3
        """
        n = _finite_length(self.losses, self.smoothed)
        if n < 10:
            return None
        curve = zero_lag_smooth(self.lrs[:n], self.losses[:n])
        return float(self.lrs[int(np.argmin(curve))])

    def _why_no_suggestion(self) -> str:
        finite = _finite_length(self.losses, self.smoothed)
        return (
            f"rule {self.rule!r} found no learning rate in {finite} finite loss value(s) "
            f"({len(self.lrs)} step(s) run{', diverged' if self.diverged else ''}): the curve shows no clear "
            "descent; run a longer sweep (num_iter) over a wider range (smaller start_lr, larger end_lr)"
        )

    def __repr__(self) -> str:
        lr = "None" if self.suggestion is None else f"{self.suggestion:.3g}"
        return (
            f"RangeTestResult(steps={len(self.lrs)}, rule={self.rule!r}, suggestion={lr}, "
            f"diverged={self.diverged})"
        )

    def with_rule(self, rule: str) -> RangeTestResult:
        """The same measurements with `rule` as the suggestion rule."""
        return RangeTestResult(self.lrs, self.losses, self.smoothed, rule=rule, diverged=self.diverged)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (non-finite losses become None) that :meth:`from_dict` reads back."""

        def floats(a: np.ndarray) -> list[float | None]:
            return [float(x) if math.isfinite(x) else None for x in a]

        return {
            "lrs": floats(self.lrs),
            "losses": floats(self.losses),
            "smoothed": floats(self.smoothed),
            "rule": self.rule,
            "diverged": self.diverged,
            "suggestion": self.suggestion,
            "suggestions": dict(self.suggestions),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RangeTestResult:
        """Rebuild a result saved with :meth:`to_dict` (suggestions are recomputed from the curve)."""

        def floats(xs: list[float | None]) -> np.ndarray:
            return np.array([np.nan if x is None else x for x in xs], dtype=float)

        return cls(
            floats(d["lrs"]),
            floats(d["losses"]),
            floats(d["smoothed"]),
            rule=d.get("rule", DEFAULT_RULE),
            diverged=bool(d.get("diverged", False)),
        )

    def plot(self, ax: Any = None, *, raw: bool = True, all_rules: bool = False, title: str | None = None) -> Any:
        """Plot loss against LR on a log x axis with the suggestion marked; return the matplotlib Axes.

        The thick line is the zero-lag smoothed loss (:func:`zero_lag_smooth`), the dashed one the online
        EMA recorded during the sweep (note its lag); ``raw=True`` also draws the recorded losses faintly.
        ``all_rules=True`` marks every rule's suggestion, not only the chosen one. The y axis stops a little
        above the starting level, so that a final explosion does not flatten the interesting part.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        n = _finite_length(self.losses, self.smoothed)
        lrs, curve = self.lrs[:n], zero_lag_smooth(self.lrs[:n], self.losses[:n])
        if raw:
            ax.plot(self.lrs, self.losses, color="0.8", lw=1, label="loss")
        ax.plot(self.lrs, self.smoothed, color="C0", lw=1, ls="--", label="online EMA (as recorded)")
        ax.plot(lrs, curve, color="C0", lw=2, label="smoothed, zero-lag")
        shown = {name: lr for name, lr in self.suggestions.items() if all_rules or name == self.rule}
        for k, (name, lr) in enumerate(shown.items()):
            if lr is not None:
                y = np.interp(np.log(lr), np.log(lrs), curve)
                ax.axvline(lr, color=f"C{k + 1}", ls=":", lw=1)
                ax.plot([lr], [y], "o", color=f"C{k + 1}", label=f"{name}: {lr:.2g}")
        if n >= 2:
            low, high = float(curve.min()), float(curve[: int(np.argmin(curve)) + 1].max())
            margin = 0.15 * (high - low) or 1.0
            ax.set_ylim(low - margin, high + margin)
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("loss")
        ax.set_title(title or ("LR range test" + (" (stopped: diverged)" if self.diverged else "")))
        ax.legend(loc="best", fontsize="small")
        return ax


# --------------------------------------------------------------------------- the sweep and its driver


@dataclass(frozen=True)
class Sweep:
    """What an LR range test sweeps and how it reads the curve: the one object both ``lr_find`` take.

    Args:
        start_lr: The first learning rate, > 0.
        end_lr: The last learning rate, > ``start_lr``.
        num_iter: The number of optimizer steps, >= 10.
        mode: ``"exp"`` (evenly spaced in log LR, as torch-lr-finder and fastai) or ``"linear"``.
        smooth: The factor of the bias-corrected EMA recorded as the smoothed loss, in [0, 1).
        diverge: The divergence stop (see `RangeTest`), > 0, or None for no stop.
        rule: The suggestion rule, a key of `RULES`.

    Raises:
        ValueError: If a field is out of range; the message names it.

    Example:
        >>> sweep = Sweep(1e-4, 1.0, num_iter=20)
        >>> sweep.lrs()[[0, -1]]
        array([1.e-04, 1.e+00])
        >>> sweep.with_shortcuts(num_iter=50).num_iter
        50
    """

    start_lr: float = 1e-7
    end_lr: float = 10.0
    num_iter: int = 100
    mode: str = "exp"
    smooth: float = 0.98
    diverge: Optional[float] = 1.0
    rule: str = DEFAULT_RULE

    def __post_init__(self) -> None:
        sweep_lrs(self.start_lr, self.end_lr, self.num_iter, self.mode)
        if isinstance(self.smooth, bool) or not (0.0 <= float(self.smooth) < 1.0):
            raise ValueError(f"smooth must be in [0, 1), got {self.smooth!r}")
        if self.diverge is not None and not (math.isfinite(self.diverge) and self.diverge > 0):
            raise ValueError(f"diverge must be a finite number > 0 or None, got {self.diverge!r}")
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {sorted(RULES)}, got {self.rule!r}")

    def lrs(self) -> np.ndarray:
        """The ``num_iter`` learning rates of the sweep (see `sweep_lrs`)."""
        return sweep_lrs(self.start_lr, self.end_lr, self.num_iter, self.mode)

    def with_shortcuts(
        self, start_lr: Optional[float] = None, end_lr: Optional[float] = None, num_iter: Optional[int] = None
    ) -> Sweep:
        """This sweep with the torch-lr-finder keywords that are given (not None) put in."""
        given: dict[str, Any] = {"start_lr": start_lr, "end_lr": end_lr, "num_iter": num_iter}
        return replace(self, **{name: value for name, value in given.items() if value is not None})

    def range_test(self) -> RangeTest:
        """A fresh `RangeTest` that runs this sweep."""
        return RangeTest(**asdict(self))



class RangeTest:
    """The sweep, step by step: ask :meth:`lr_for` which LR to train step `i` with, :meth:`record` the loss.

    `smooth` is the factor beta of the bias-corrected EMA recorded as the smoothed loss (0 disables it;
    fastai's 0.98 by default). `rule` names the suggestion rule of :data:`RULES` (default
    ``"half_descent"``, the most accurate on ``benchmarks/bench_lr_find.py``).

    `diverge` is the divergence stop. It is free of the loss's offset and scale, so that it works for
    negative or near-zero losses: the sweep stops once the smoothed loss has climbed back above its lowest
    value by more than ``diverge`` times the drop it had achieved (the highest smoothed value before the
    minimum, minus the minimum); ``diverge=1`` stops when the loss is back where it started. The drop is
    floored by the noise (six standard deviations of the smoothed loss, estimated from the spread of the
    raw losses at the minimum, not later, where an explosion would inflate it), so that a flat noisy curve
    does not stop itself; and the minimum is tracked only after a warm-up of a tenth of the sweep (at least
    5 steps), when the smoothed loss rests on enough values. ``diverge=None`` disables the stop. A
    non-finite loss always stops the sweep.
    """

    def __init__(
        self,
        start_lr: float = 1e-7,
        end_lr: float = 10.0,
        num_iter: int = 100,
        mode: str = "exp",
        smooth: float = 0.98,
        diverge: float | None = 1.0,
        rule: str = DEFAULT_RULE,
    ) -> None:
        self.sweep = Sweep(start_lr, end_lr, num_iter, mode, smooth, diverge, rule)  # checks every argument
        self.lrs = self.sweep.lrs()
        self.start_lr, self.end_lr, self.num_iter, self.mode = float(start_lr), float(end_lr), int(num_iter), mode
        self.smooth, self.diverge, self.rule = float(smooth), diverge, rule
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.diverged = False
        self._avg = 0.0  # EMA of the losses, before bias correction
        self._spread = 0.0  # EMA of |loss - smoothed|, before bias correction
        self._best = math.inf  # lowest smoothed loss so far
        self._highest = -math.inf  # highest smoothed loss so far
        self._peak = -math.inf  # highest smoothed loss up to the lowest one
        self._noise = 0.0  # chance excursions of the smoothed loss, measured at the minimum
        self._check_from = max(5, self.num_iter // 10)

    def __repr__(self) -> str:
        return (
            f"RangeTest(start_lr={self.start_lr!r}, end_lr={self.end_lr!r}, num_iter={self.num_iter}, "
            f"mode={self.mode!r}, smooth={self.smooth!r}, diverge={self.diverge!r}, rule={self.rule!r})"
        )

    @property
    def step(self) -> int:
        """The number of losses recorded so far (the index of the next step)."""
        return len(self.losses)

    @property
    def done(self) -> bool:
        """True once every planned step is recorded or the loss has diverged."""
        return self.diverged or self.step >= self.num_iter

    def lr_for(self, i: int) -> float:
        """The learning rate of step `i` (0 <= i < num_iter)."""
        if not 0 <= i < self.num_iter:
            raise ValueError(f"step i must be in [0, {self.num_iter}), got {i!r}")
        return float(self.lrs[i])

    def record(self, loss: float) -> bool:
        """Record the loss of the current step; return True when the sweep must stop (done or diverged).

        A non-finite loss ends the sweep as diverged, except at the very first step, where it means the
        model or data are broken before any LR has had an effect: that raises ``ValueError``.
        """
        if self.done:
            raise RuntimeError(
                f"the sweep is finished ({self.step} steps, diverged={self.diverged}); start a new RangeTest"
            )
        loss = float(loss)
        if not math.isfinite(loss):
            if self.step == 0:
                raise ValueError(
                    f"the loss is {loss} at the first step (lr={self.lrs[0]:.3g}), before the LR could matter: "
                    "check the model, the data and the loss function"
                )
            self.losses.append(loss)
            self.smoothed.append(math.nan)
            self.diverged = True
            return True
        self.losses.append(loss)
        self.smoothed.append(self._smoothed_after(loss))
        self.diverged = self._has_diverged()
        return self.done

    def _smoothed_after(self, loss: float) -> float:
        k = self.step  # already includes this loss
        correction = 1.0 - self.smooth**k
        previous = self.smoothed[-1] if self.smoothed else loss
        self._spread = _SPREAD_BETA * self._spread + (1.0 - _SPREAD_BETA) * abs(loss - previous)
        self._avg = self.smooth * self._avg + (1.0 - self.smooth) * loss
        return self._avg / correction

    def _has_diverged(self) -> bool:
        current = self.smoothed[-1]
        self._highest = max(self._highest, current)
        if self.step < self._check_from:
            return False  # warm-up: the first smoothed values rest on too few losses to set a minimum
        if current < self._best:
            self._best, self._peak = current, self._highest
            self._noise = self._smoothed_noise()
        drop = max(self._peak - self._best, self._noise)
        return self.diverge is not None and current - self._best > self.diverge * drop

    def _smoothed_noise(self) -> float:
        """A generous bound (6 standard deviations) on how far the smoothed loss strays by chance.

        The raw losses' standard deviation is estimated from their mean absolute deviation from the smoothed
        curve (averaged by a bias-corrected EMA with factor 0.98 whatever `smooth` is, times sqrt(pi/2),
        exact for Gaussian noise); the bias-corrected EMA of k values with factor beta has the variance
        ``sigma**2 * (1 - beta) / (1 + beta) * (1 - beta**(2k)) / (1 - beta**k)**2``.
        """
        beta, k = self.smooth, self.step
        sigma = self._spread / (1.0 - _SPREAD_BETA**k) * math.sqrt(math.pi / 2)
        shrink = (1.0 - beta) / (1.0 + beta) * (1.0 - beta ** (2 * k)) / (1.0 - beta**k) ** 2
        return 6.0 * sigma * math.sqrt(shrink)

    def result(self, rule: str | None = None) -> RangeTestResult:
        """The measurements so far as a :class:`RangeTestResult`, suggesting with `rule` (default: this test's)."""
        n = self.step
        return RangeTestResult(
            self.lrs[:n].copy(),
            np.array(self.losses),
            np.array(self.smoothed),
            rule=self.rule if rule is None else rule,
            diverged=self.diverged,
        )
