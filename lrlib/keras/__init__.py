"""Keras 3 adapters: lrlib schedules as Keras schedules and callbacks, the LR range test, history helpers.

Importing this package does not import Keras or TensorFlow; each name imports them on first use.
"""

from lrlib._lazy import lazy_exports

_EXPORTS = {
    "schedule": "_schedule",
    "KerasSchedule": "_schedule",
    "ScheduleCallback": "_callbacks",
    "CyclicLR": "_callbacks",
    "OneCycle": "_callbacks",
    "SGD": "_optimizers",
    "Adam": "_optimizers",
    "concatenate_histories": "_history",
    "plot_history": "_history",
    "LRRangeTest": "_lr_find",
    "lr_find": "_lr_find",
    "weight_decay_grid": "_lr_find",
    "epochs_for_sweep": "_lr_find",
    "BatchLogger": "_lr_find",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
