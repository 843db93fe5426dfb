"""lrlib's schedules: pure, stateless ``step -> learning rate`` functions, equal to PyTorch's, Keras's and d2l's.

Every constructor returns an immutable `Schedule`; see its docstring for the interface, and each constructor's
docstring for its formula and the framework scheduler it equals.
"""

from lrlib import _SCHEDULES
from lrlib.schedules._base import Formulas, MomentumSchedule, Schedule, ScheduleLike, as_schedule, constructor, from_config
from lrlib.schedules.compose import chain, sequence, warmup
from lrlib.schedules.custom import from_function
from lrlib.schedules.cyclical import cosine_restarts, cyclic, one_cycle
from lrlib.schedules.decay import (
    constant,
    cosine,
    exponential,
    factor,
    inverse_time,
    multistep,
    polynomial,
    square_root,
    step,
)

__all__ = list(_SCHEDULES)  # exactly the names `lrlib` exports lazily from this package
