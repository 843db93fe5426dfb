"""PyTorch adapters: lrlib schedules as ``torch.optim.lr_scheduler`` schedulers, training, the LR range test.

Importing this package does not import torch; each name imports it on first use.
"""

from lrlib._lazy import lazy_exports

_EXPORTS = {
    "scheduler": "_scheduler",
    "ScheduleLR": "_scheduler",
    "train": "_train",
    "History": "_train",
    "device": "_train",
    "evaluate": "_train",
    "holdout": "_train",
    "lr_find": "_lr_find",
    "BatchLogger": "_batch_logger",
    "lr_trace": "_trace",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
