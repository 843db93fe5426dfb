"""PyTorch adapters: lrlib schedules as ``torch.optim.lr_scheduler`` schedulers, the LR range test, logging.

Importing this package does not import torch; each name imports it on first use.
"""

from typing import TYPE_CHECKING

from lrlib._lazy import lazy_exports

if TYPE_CHECKING:  # what the lazy loader below resolves at run time, spelled out for type checkers and IDEs
    from lrlib.torch._batch_logger import BatchLogger
    from lrlib.torch._lr_find import lr_find
    from lrlib.torch._scheduler import ScheduleLR, scheduler
    from lrlib.torch._trace import lr_trace

_EXPORTS = {
    "scheduler": "_scheduler",
    "ScheduleLR": "_scheduler",
    "lr_find": "_lr_find",
    "BatchLogger": "_batch_logger",
    "lr_trace": "_trace",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, requires={"torch": "torch"})
