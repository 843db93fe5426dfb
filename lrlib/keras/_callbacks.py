"""Keras callbacks that drive the optimizer from an lrlib schedule: `ScheduleCallback`, `CyclicLR`, `OneCycle`.

Before every batch (or epoch) the callback evaluates the schedule and assigns the optimizer's learning-rate
variable and, for schedules with momentum, the momentum (SGD) or ``beta_1`` (Adam) variable of an
`lrlib.keras.SGD` / `lrlib.keras.Adam`. Both are variables read by the compiled train step, so every change is
real; stock Keras optimizers bake momentum into the graph, and the callback refuses to "cycle" it there.

Each callback keeps a per-batch record (`lrlib.batch_log.BatchLog`: step, epoch, lr, loss, momentum and the
batch metrics) in ``callback.batch_log`` and adds ``learning_rate`` (and ``momentum``) to the epoch logs, so
they appear in ``model.fit(...).history``.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, cast

import keras
import numpy as np

from lrlib.batch_log import COLUMNS, BatchLog
from lrlib.keras._lr_find import _BatchLoss, _BatchSteps
from lrlib.keras._optimizers import momentum_variable, scalar_setter
from lrlib.schedules import MomentumSchedule, Schedule, ScheduleLike, as_schedule, cyclic, one_cycle
from lrlib.schedules import _checks as check

_PER = ("batch", "epoch")


class ScheduleCallback(keras.callbacks.Callback):
    """Set the optimizer's learning rate (and momentum) from an lrlib schedule before each batch or epoch.

    Args:
        schedule: an lrlib schedule (``lrlib.cosine(...)``, ``lrlib.one_cycle(...)``, ...) or any callable
            ``step -> lr``, evaluated in Python before each batch (or epoch), so it gives exactly its values.
        per: ``"batch"``: ``t`` is the global batch index, ``epoch * steps_per_epoch + batch``, so a fit with
            ``initial_epoch`` resumes the schedule where it left off (when the steps per epoch are unknown, as
            for a generator without ``steps_per_epoch``, batches are counted from 0 in each ``fit``).
            ``"epoch"``: ``t`` is the epoch index, as for Keras's ``LearningRateScheduler``.
        cycle_momentum: whether a schedule's momentum also drives the optimizer's (as in
            ``lrlib.torch.scheduler`` and torch's ``OneCycleLR``: True by default, and nothing to do for a
            schedule without momentum). This needs an `lrlib.keras.SGD` or `lrlib.keras.Adam` optimizer; a
            stock one raises `TypeError` at the start of ``fit``. ``False`` leaves the optimizer's momentum alone.

    The optimizer must have been compiled with a float learning rate (it is a variable the callback assigns).
    With ``steps_per_execution=k`` Keras calls callbacks every ``k`` steps, so the values change every ``k``
    steps. After ``fit`` the optimizer keeps the last values set.

    ``batch_log`` gains one row per training batch (per execution with ``steps_per_execution > 1``), across all
    fits: the step and epoch as `lrlib.batch_log` numbers them for every recorder (the batches this callback
    saw, which is not the schedule's ``t`` after ``initial_epoch``), the LR and momentum the batch was trained
    with, the batch's own loss (Keras 3 reports the running mean over the epoch so far, from which it is
    recovered) and the other metrics as Keras reports them after the batch.
    """

    total_steps: Optional[int] = None
    """The default number of steps for `dry_run` and `plot` (None: they need ``steps``)."""

    def __init__(self, schedule: ScheduleLike, per: str = "batch", cycle_momentum: bool = True) -> None:
        super().__init__()
        check.choice("per", per, _PER)
        schedule = as_schedule(schedule)
        if not isinstance(cycle_momentum, bool):
            raise TypeError(f"cycle_momentum must be a bool, got {cycle_momentum!r}")
        self.schedule: Optional[Schedule] = schedule
        self.per = per
        self.cycle_momentum = cycle_momentum
        self.batch_log = BatchLog()
        self._active: Optional[Schedule] = None
        self._set_lr: Optional[Callable[[float], None]] = None
        self._set_momentum: Optional[Callable[[float], None]] = None
        self._lr: Optional[float] = None
        self._momentum_value: Optional[float] = None
        self._epoch = 0
        self._epoch_start = 0
        self._batch_step = 0
        self._steps_done = 0

    # ------------------------------------------------------------------ what to run

    def schedule_for(self, total_steps: Optional[int] = None) -> Schedule:
        """The schedule a fit (or a dry run) of ``total_steps`` steps follows; here always `schedule`."""
        if self.schedule is None:
            raise ValueError(f"{type(self).__name__} has no schedule yet")
        return self.schedule

    def dry_run(self, steps: Optional[int] = None) -> dict[str, np.ndarray]:
        """The learning rates (and momenta) the callback would set over ``steps`` steps, without training.

        Returns ``{"step": ..., "lr": ..., "momentum": ...}`` arrays (momentum only when it is cycled); the steps
        are batches for ``per="batch"`` and epochs for ``per="epoch"``. keras_one_cycle_clr's ``test_run``.
        """
        steps = self._dry_run_steps(steps)
        schedule = self.schedule_for(steps)
        t = np.arange(steps)
        run = {"step": t, "lr": schedule(t)}
        if self._cycles_momentum(schedule) and isinstance(schedule, MomentumSchedule):
            run["momentum"] = schedule.momentum(t)
        return run

    def plot(self, steps: Optional[int] = None, ax: Any = None) -> Any:
        """Plot `dry_run` (LR, and momentum dashed on a right-hand axis); return the axes."""
        from lrlib.plot import schedules

        steps = self._dry_run_steps(steps)
        schedule = self.schedule_for(steps)
        name = type(self).__name__
        xlabel = "step (batch)" if self.per == "batch" else "epoch"
        return schedules({name: schedule}, steps, ax=ax, xlabel=xlabel, momentum=self._cycles_momentum(schedule))

    def _dry_run_steps(self, steps: Optional[int]) -> int:
        steps = self.total_steps if steps is None else steps
        check.integer("steps", steps, 1)
        return int(steps)  # type: ignore[arg-type]  # checked: an int

    def _cycles_momentum(self, schedule: Schedule) -> bool:
        return self.cycle_momentum and schedule.has_momentum

    # ------------------------------------------------------------------ Keras hooks

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            raise ValueError(f"{type(self).__name__} needs a compiled model (model.compile(optimizer=...))")
        inner = getattr(optimizer, "inner_optimizer", optimizer)
        if not isinstance(inner._learning_rate, keras.Variable):
            raise TypeError(
                f"{type(self).__name__} sets the optimizer's learning rate, but this optimizer was created with "
                f"learning_rate={inner._learning_rate!r}, which cannot be assigned. Compile with a float "
                "learning_rate, or pass lrlib.keras.schedule(...) as the learning_rate instead of this callback."
            )
        self._active = self.schedule_for(self._fit_steps())
        self._set_lr = scalar_setter(inner._learning_rate)
        self._set_momentum = None
        if self._cycles_momentum(self._active):
            self._set_momentum = scalar_setter(momentum_variable(optimizer, "pass cycle_momentum=False"))
        self._steps_done = 0
        self._batch_loss = _BatchLoss(self.model)
        self._log_steps = _BatchSteps(self.batch_log)

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        self._batch_loss.reset()
        steps = self.params.get("steps") if self.params else None
        self._log_steps.epoch_begin(steps)
        self._epoch = epoch
        self._epoch_start = epoch * steps if steps else self._steps_done
        if self.per == "epoch":
            self._apply(epoch)

    def on_train_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        self._batch_step = self._epoch_start + batch
        if self.per == "batch":
            self._apply(self._batch_step)

    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        # With steps_per_execution > 1, `batch` is the last step of the execution that began at _batch_step.
        logs = logs or {}
        metrics = {name: value for name, value in logs.items() if name not in COLUMNS}
        loss = self._batch_loss(logs) if "loss" in logs else float("nan")
        self.batch_log.append(
            step=self._log_steps(batch), epoch=self._epoch, lr=cast(float, self._lr), loss=loss, momentum=self._momentum_value, **metrics
        )
        self._steps_done = self._epoch_start + batch + 1

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        if logs is None:
            return
        logs["learning_rate"] = self._lr
        if self._set_momentum is not None:
            logs["momentum"] = self._momentum_value

    # ------------------------------------------------------------------ helpers

    def _fit_steps(self) -> Optional[int]:
        """Total steps of this fit (epochs x steps per epoch), None when the steps per epoch are unknown."""
        params = self.params or {}
        steps, epochs = params.get("steps"), params.get("epochs")
        if not steps or not epochs:
            return None
        return int(steps) * int(epochs) if self.per == "batch" else int(epochs)

    def _apply(self, t: int) -> None:
        """Assign the schedule's values at step ``t`` to the optimizer's variables."""
        active, set_lr = self._active, self._set_lr
        if active is None or set_lr is None:
            raise RuntimeError(f"{type(self).__name__} was called back before on_train_begin")
        self._lr = active(int(t))
        set_lr(self._lr)
        if self._set_momentum is not None and isinstance(active, MomentumSchedule):
            self._momentum_value = active.momentum(int(t))
            self._set_momentum(self._momentum_value)


class CyclicLR(ScheduleCallback):
    """Cyclical learning rates (Smith 2015) as a callback, stepped per batch: ``lrlib.cyclic`` with its two classic
    extensions, keras_one_cycle_clr's amplitude function and Drxan/DNN_Learning_Rate's decaying max LR.

    The LR rises from ``base_lr`` to ``max_lr`` over ``step_size`` batches, falls back over ``step_size_down``
    (default ``step_size``) and repeats. Each cycle's swing is scaled by ``mode`` (``"triangular"``,
    ``"triangular2"``, ``"exp_range"`` with ``gamma``) or by ``scale_fn`` (a function of the 1-based cycle number
    for ``scale_mode="cycle"``, of the batch step for ``"iterations"``, exactly as torch ``CyclicLR``), and with
    ``decay_every`` the peak shrinks every ``decay_every`` cycles by ``decay`` (``decay_type`` ``"exp"`` or
    ``"linear"``, never below ``base_lr``); `lrlib.cyclic` gives the formulas.

    Given ``base_momentum`` and ``max_momentum`` (torch's names), the momentum cycles inversely, from
    ``max_momentum`` at ``base_lr`` to ``base_momentum`` at the peak, with the same scaling, unless
    ``cycle_momentum`` is False. ``callback.schedule`` is the ``lrlib.cyclic`` schedule.
    """

    def __init__(
        self,
        base_lr: float,
        max_lr: float,
        step_size: int,
        step_size_down: Optional[int] = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Optional[Callable[[Any], Any]] = None,
        scale_mode: str = "cycle",
        decay_every: Optional[int] = None,
        decay: float = 0.5,
        decay_type: str = "exp",
        base_momentum: Optional[float] = None,
        max_momentum: Optional[float] = None,
        cycle_momentum: bool = True,
    ) -> None:
        schedule = cyclic(
            base_lr, max_lr, step_size, step_size_down, mode, gamma, base_momentum=base_momentum,
            max_momentum=max_momentum, scale_fn=scale_fn, scale_mode=scale_mode, decay_every=decay_every,
            decay=decay, decay_type=decay_type,
        )  # fmt: skip
        super().__init__(schedule, per="batch", cycle_momentum=cycle_momentum)


class OneCycle(ScheduleCallback):
    """The 1cycle policy (Smith 2018) as a callback: ``lrlib.one_cycle`` with the cycle spanning the whole fit.

    The LR warms up from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of the cycle and
    anneals to ``max_lr / div_factor / final_div_factor``; the momentum (SGD) or ``beta_1`` (Adam) moves the
    opposite way, from ``max_momentum`` down to ``base_momentum`` at the peak and back, unless
    ``cycle_momentum`` is False. Equals torch ``OneCycleLR`` with the same arguments and defaults.

    ``total_steps`` (batches) defaults to the fit's ``epochs * steps_per_epoch``, read when training starts (as
    keras_one_cycle_clr's ``OneCycle`` takes the fit's epochs as the cycle length); fitting the same callback
    again starts a new cycle. When the steps per epoch are unknown (a generator, or a dataset of unknown
    length, without ``steps_per_epoch``), ``fit`` raises `ValueError`. ``dry_run(n)`` / ``plot(n)`` show the
    cycle over ``n`` steps before training.
    """

    def __init__(
        self,
        max_lr: float,
        total_steps: Optional[int] = None,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        anneal: str = "cos",
        three_phase: bool = False,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
        cycle_momentum: bool = True,
    ) -> None:
        self._arguments: dict[str, Any] = dict(
            max_lr=max_lr, pct_start=pct_start, div_factor=div_factor, final_div_factor=final_div_factor,
            anneal=anneal, three_phase=three_phase, base_momentum=base_momentum, max_momentum=max_momentum,
        )
        if total_steps is not None:
            check.integer("total_steps", total_steps, 2)
        # Validate every argument now, with a provisional cycle length until fit supplies the real one.
        provisional = one_cycle(total_steps=total_steps or 1000, **self._arguments)
        super().__init__(provisional, per="batch", cycle_momentum=cycle_momentum)
        self.total_steps = total_steps
        if total_steps is None:
            self.schedule = None  # known once fit starts

    def schedule_for(self, total_steps: Optional[int] = None) -> Schedule:
        """``lrlib.one_cycle`` over ``self.total_steps`` if given, else over ``total_steps`` (the fit's)."""
        steps = self.total_steps or total_steps
        if steps is None:
            raise ValueError(
                "OneCycle needs the cycle length: fit did not know its steps per epoch (a generator or dataset "
                "of unknown length), so pass steps_per_epoch to fit, or total_steps to OneCycle"
            )
        return one_cycle(total_steps=steps, **self._arguments)

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        super().on_train_begin(logs)
        self.schedule = self._active

