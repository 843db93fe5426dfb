"""An lrlib schedule as a Keras ``LearningRateSchedule``: evaluated in the train graph, saved with the model.

The schedule's formula is written once against an array namespace (see `lrlib.schedules`); here it is
evaluated with ``keras.ops`` on the optimizer's step counter, so it runs inside Keras's compiled train step,
inside any ``tf.function`` and in a ``tf.compat.v1`` graph, with no Python callback per step.
"""

from __future__ import annotations

from typing import Any

import keras

from lrlib.schedules import Schedule, ScheduleLike, as_schedule, from_config
from lrlib.schedules.custom import python_functions


@keras.saving.register_keras_serializable(package="lrlib")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A Keras learning-rate schedule that evaluates an lrlib `Schedule` on the optimizer's step.

    ``KerasSchedule(lrlib.cosine(0.1, 1000))(step)`` equals ``lrlib.cosine(0.1, 1000)(step)`` up to float32
    rounding: the step and the arithmetic are float32 (Keras's own schedules do the same), so the relative
    error is about 1e-6, and steps above 2**24 (16.7 million) are no longer exact. Pass it to any Keras
    optimizer as ``learning_rate``; ``get_config`` stores the lrlib schedule's config, so a compiled model
    round-trips through ``model.save`` / ``keras.models.load_model``.
    """

    def __init__(self, schedule: ScheduleLike) -> None:
        schedule = as_schedule(schedule)
        functions = python_functions(schedule)
        if functions:
            raise TypeError(
                f"schedule follows the Python function {functions[0]!r}, which Keras cannot evaluate inside its "
                "compiled train step (the step there is a graph tensor, not an int). Pass it to "
                "lrlib.keras.ScheduleCallback instead, which calls it in Python before each batch, or write the "
                "formula with array operations under @lrlib.constructor"
            )
        self.schedule = schedule

    def __call__(self, step: Any) -> Any:
        """The learning rate at ``step`` (an int, or an integer tensor such as ``optimizer.iterations``)."""
        return self.schedule.lr(step, keras.ops)

    def get_config(self) -> dict[str, Any]:
        return {"schedule": self.schedule.get_config()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> KerasSchedule:
        return cls(from_config(config["schedule"]))

    def __repr__(self) -> str:
        return f"lrlib.keras.schedule({self.schedule!r})"


def schedule(schedule: ScheduleLike) -> KerasSchedule:
    """Wrap an lrlib schedule for Keras: ``keras.optimizers.SGD(learning_rate=lrlib.keras.schedule(s))``.

    The optimizer then evaluates ``s`` at its own step counter (``optimizer.iterations``) inside the compiled
    train step. For momentum schedules only the learning rate is used this way; to cycle momentum too, use
    `lrlib.keras.ScheduleCallback` with `lrlib.keras.SGD` / `lrlib.keras.Adam`.
    """
    return KerasSchedule(schedule)
