"""lrlib: learning-rate schedules as plain ``step -> lr`` functions, with adapters for PyTorch and Keras 3.

The core (``lrlib.schedules``, ``lrlib.lr_finder``) needs only numpy. Framework adapters live in
``lrlib.torch`` and ``lrlib.keras`` and import their framework when first used, so ``import lrlib``
never imports torch, TensorFlow or Keras. ``lrlib.course`` holds the course's own helpers (datasets, models,
a training loop, plots of results), kept apart: nothing in the library imports it.
"""

from typing import TYPE_CHECKING

from lrlib._lazy import lazy_exports

if TYPE_CHECKING:  # what the lazy loader below resolves at run time, spelled out for type checkers and IDEs
    from lrlib import batch_log, course, keras, lr_finder, plot, schedules, torch
    from lrlib.lr_finder import RangeTest, RangeTestResult, Sweep
    from lrlib.schedules import (
        Formulas,
        MomentumSchedule,
        Schedule,
        ScheduleLike,
        as_schedule,
        chain,
        constant,
        constructor,
        cosine,
        cosine_restarts,
        cyclic,
        exponential,
        factor,
        from_config,
        from_function,
        inverse_time,
        multistep,
        one_cycle,
        polynomial,
        sequence,
        square_root,
        step,
        warmup,
    )

__version__ = "0.1.0"

_SCHEDULES = [
    "Schedule",
    "MomentumSchedule",
    "ScheduleLike",
    "Formulas",
    "constructor",
    "from_function",
    "as_schedule",
    "constant",
    "step",
    "multistep",
    "exponential",
    "square_root",
    "factor",
    "polynomial",
    "inverse_time",
    "cosine",
    "cosine_restarts",
    "cyclic",
    "one_cycle",
    "warmup",
    "sequence",
    "chain",
    "from_config",
]
_RANGE_TEST = ["Sweep", "RangeTest", "RangeTestResult"]
_SUBMODULES = ["schedules", "lr_finder", "batch_log", "plot", "torch", "keras", "course"]

__all__ = _SCHEDULES + _RANGE_TEST + _SUBMODULES
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **{name: "schedules" for name in _SCHEDULES},
        **{name: "lr_finder" for name in _RANGE_TEST},
        **{name: name for name in _SUBMODULES},
    },
)
