"""Keras 3 adapters: lrlib schedules as Keras schedules and callbacks, momentum-cycling optimizers, the LR range test.

Importing this package does not import Keras or TensorFlow; each name imports them on first use.
"""

from typing import TYPE_CHECKING

from lrlib._lazy import lazy_exports

if TYPE_CHECKING:  # what the lazy loader below resolves at run time, spelled out for type checkers and IDEs
    from lrlib.keras._callbacks import CyclicLR, OneCycle, ScheduleCallback
    from lrlib.keras._lr_find import BatchLogger, LRRangeTest, epochs_for_sweep, lr_find, weight_decay_grid
    from lrlib.keras._optimizers import SGD, Adam
    from lrlib.keras._schedule import KerasSchedule, schedule

_EXPORTS = {
    "schedule": "_schedule",
    "KerasSchedule": "_schedule",
    "ScheduleCallback": "_callbacks",
    "CyclicLR": "_callbacks",
    "OneCycle": "_callbacks",
    "SGD": "_optimizers",
    "Adam": "_optimizers",
    "LRRangeTest": "_lr_find",
    "lr_find": "_lr_find",
    "weight_decay_grid": "_lr_find",
    "epochs_for_sweep": "_lr_find",
    "BatchLogger": "_lr_find",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, requires={"keras": "keras"})
