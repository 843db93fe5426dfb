"""The course's helpers: its datasets, models, training loop, plots of results and the toy problems.

These serve the notebooks and are documented as course-only: the library a practitioner adopts is ``lrlib``
(schedules, composition, the LR range test), ``lrlib.torch`` and ``lrlib.keras``, none of which imports
anything from here. Importing this package imports no framework; each name imports what it needs on first use.

- ``data``: digits offline (the default) and Fashion-MNIST, as DataLoaders or arrays;
- ``models``: LeNet for PyTorch and Keras, a small Keras ResNet;
- ``train``, ``evaluate``, ``holdout``, ``device``, ``History``: a d2l-style PyTorch training loop;
- ``history``, ``histories``, ``results_table``, ``seed_table``: training results as figures and tables;
- ``concatenate_histories``, ``plot_history``: Keras ``History`` objects joined and plotted;
- ``toy``: the noisy quadratic; ``tf1``: TensorFlow 1 graph-mode helpers; ``explorer``: a schedule explorer
  with sliders; ``ddp_warmup``: the distributed appendix's script (``torchrun -m lrlib.course.ddp_warmup``).
"""

from typing import TYPE_CHECKING

from lrlib._lazy import lazy_exports

if TYPE_CHECKING:  # what the lazy loader below resolves at run time, spelled out for type checkers and IDEs
    from lrlib.course import data, ddp_warmup, explorer, models, results, tf1, toy
    from lrlib.course._keras_history import concatenate_histories, plot_history
    from lrlib.course._training import History, device, evaluate, holdout, train
    from lrlib.course.results import histories, history, results_table, seed_table

_SUBMODULES = ["data", "models", "results", "toy", "tf1", "explorer", "ddp_warmup"]
_EXPORTS = {
    **{name: name for name in _SUBMODULES},
    **{name: "_training" for name in ("train", "evaluate", "holdout", "device", "History")},
    **{name: "results" for name in ("history", "histories", "results_table", "seed_table")},
    **{name: "_keras_history" for name in ("concatenate_histories", "plot_history")},
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, requires={"torch": "torch", "keras": "keras"})
