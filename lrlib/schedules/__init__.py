"""lrlib's schedules: pure, stateless ``step -> learning rate`` functions, equal to PyTorch's, Keras's and d2l's.

Every constructor returns an immutable `Schedule`; see its docstring for the interface, and each constructor's
docstring for its formula and the framework scheduler it equals.
"""

from lrlib.schedules._base import Schedule, from_config
from lrlib.schedules.compose import sequence, warmup
from lrlib.schedules.cyclic import cosine_restarts, cyclic, one_cycle
from lrlib.schedules.decay import constant, cosine, exponential, factor, multistep, polynomial, square_root, step

__all__ = [
    "Schedule",
    "constant",
    "step",
    "multistep",
    "exponential",
    "square_root",
    "factor",
    "polynomial",
    "cosine",
    "cosine_restarts",
    "cyclic",
    "one_cycle",
    "warmup",
    "sequence",
    "from_config",
]
