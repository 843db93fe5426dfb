"""The LR range test for Keras 3: the ``LRRangeTest`` callback, ``lr_find``, a weight-decay grid, a per-batch logger.

The sweep itself (LRs, smoothing, divergence stop, suggestion rules, the result) is
:class:`lrlib.lr_finder.RangeTest`; this module only drives ``model.fit`` and keeps the user's model intact.
Three facts about Keras 3 (checked against keras 3.15's source) shape it:

- In ``on_train_batch_end``, ``logs["loss"]`` is the *running mean* of the loss over the epoch so far (the
  model's loss tracker, a ``Mean`` weighted by batch size), not the loss of the batch. The batch's own loss
  is the change of ``mean * count`` divided by the change of the tracker's ``count`` (:class:`_BatchLoss`).
- The optimizer creates its variables (momentum, Adam's moments) inside the first traced train step, after
  ``on_train_begin``; the callback builds them first so that the state it saves is complete.
- ``model.fit`` traces the train step once. A ``LearningRateSchedule`` and Python floats such as
  ``weight_decay`` are baked into that trace; changing them needs a new trace (``model.train_function = None``).
  The LR itself is a variable the trace reads, so assigning it each batch works.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import keras
import numpy as np

from lrlib.batch_log import BatchLog
from lrlib.lr_finder import RangeTest, RangeTestResult, Sweep

WEIGHT_DECAYS = (0.0, 1e-4, 1e-3, 1e-2)


# --------------------------------------------------------------------------- TensorFlow, only when it is there


def _tensorflow() -> Any:
    """The tensorflow module if something imported it already (Keras on its TensorFlow backend, or data that
    are a ``tf.data.Dataset``), else None. This module never imports TensorFlow itself, so that Keras on the
    JAX or PyTorch backend works without it; TensorFlow is then only a faster path when it is loaded."""
    return sys.modules.get("tensorflow")


def _is_dataset(x: Any) -> bool:
    """True for a ``tf.data.Dataset`` (which exists only if TensorFlow is loaded)."""
    tf = _tensorflow()
    return tf is not None and isinstance(x, tf.data.Dataset)


# --------------------------------------------------------------------------- model and optimizer state


def _tf_variable(variable: keras.Variable) -> Any:
    """The plain TensorFlow resource variable behind a Keras variable, or None (distributed, other backend)."""
    tf = _tensorflow() if keras.backend.backend() == "tensorflow" else None
    if tf is None:
        return None
    tf_variable = getattr(variable, "value", None)
    if isinstance(tf_variable, tf.distribute.DistributedValues):
        return None  # a MirroredVariable's handle is its first replica's copy only: raw ops would miss the rest
    try:
        return tf_variable if isinstance(tf_variable, tf.Variable) and tf_variable.handle is not None else None
    except (AttributeError, ValueError):
        return None


def _reader(variable: keras.Variable) -> Callable[[], np.ndarray]:
    """A fast ``variable.numpy()``: TensorFlow's raw ReadVariableOp costs about a fifth of the Keras path,
    which counts when it runs every batch (measured in ``benchmarks/bench_keras_lr_find.py``)."""
    tf_variable = _tf_variable(variable)
    if tf_variable is None:
        return variable.numpy
    handle, dtype, raw_ops = tf_variable.handle, tf_variable.dtype, _tensorflow().raw_ops
    return lambda: raw_ops.ReadVariableOp(resource=handle, dtype=dtype).numpy()


def _writer(variable: keras.Variable) -> Callable[[Any], Any]:
    """A fast ``variable.assign(value)`` for a numpy `value` of the variable's dtype, or a Python float for a
    float32 variable: TensorFlow's raw AssignVariableOp, skipping Keras's checks and the read-back."""
    tf_variable = _tf_variable(variable)
    if tf_variable is None:
        return variable.assign
    handle, raw_ops = tf_variable.handle, _tensorflow().raw_ops
    return lambda value: raw_ops.AssignVariableOp(resource=handle, value=value)


class _SavedState:
    """An in-memory copy of every model variable (weights, non-trainable state, random seeds) and every
    optimizer variable (iteration count, LR, slots), put back bit for bit by :meth:`restore`."""

    def __init__(self, model: keras.Model) -> None:
        optimizer = model.optimizer
        if not optimizer.built:  # its slots would otherwise appear only inside the first train step
            optimizer.build(model.trainable_variables)
        variables = list(model.variables) + list(optimizer.variables)
        self._values = [np.array(_reader(v)(), copy=True) for v in variables]
        self._writers = [_writer(v) for v in variables]

    def restore(self) -> None:
        for write, value in zip(self._writers, self._values):
            write(value)


def _check_can_sweep(model: keras.Model) -> None:
    """Raise ValueError for a model the range test cannot run on without losing state."""
    if getattr(model, "optimizer", None) is None:
        raise ValueError("the model has no optimizer: compile it (model.compile(optimizer, loss)) first")
    if not model.built:
        raise ValueError(
            "the model is not built, so its initial weights cannot be saved before the first step: give it a "
            "keras.Input, call model.build(input_shape), or use lrlib.keras.lr_find, which builds it from the data"
        )
    if not model.trainable_weights:
        raise ValueError("the model has no trainable weights: the learning rate has nothing to act on")
    if getattr(model, "steps_per_execution", 1) != 1:
        raise ValueError(
            f"steps_per_execution must be 1 for the range test (it sets the LR between batches), "
            f"got {model.steps_per_execution}"
        )


def _inner(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """The optimizer doing the updates: a ``LossScaleOptimizer`` (mixed precision) wraps it."""
    return getattr(optimizer, "inner_optimizer", optimizer)


def _lr_schedule(optimizer: keras.optimizers.Optimizer) -> Any:
    """The optimizer's LR schedule or callable, or None when its LR is a plain variable."""
    return None if isinstance(optimizer.learning_rate, keras.Variable) else _inner(optimizer)._learning_rate


@contextlib.contextmanager
def _settable_lr(model: keras.Model) -> Iterator[keras.Variable]:
    """Yield a variable that sets the optimizer's LR; an LR schedule is replaced by it and put back afterwards.

    Swapping the schedule changes what the traced train step computes, so the train function is retraced
    on entry and dropped on exit (the next ``fit`` traces the original again).
    """
    optimizer = model.optimizer
    schedule = _lr_schedule(optimizer)
    if schedule is None:
        yield optimizer.learning_rate
        return
    variable = keras.Variable(0.0, dtype=keras.config.floatx(), trainable=False, name="range_test_lr")
    optimizer.learning_rate = lambda: variable  # the setter accepts a callable, read inside the trace
    model.make_train_function(force=True)
    try:
        yield variable
    finally:
        optimizer.learning_rate = schedule
        model.train_function = None


def _last_step_lr(optimizer: keras.optimizers.Optimizer) -> float:
    """The LR the optimizer used in the step that just ran (a schedule is read at the previous iteration)."""
    schedule = _lr_schedule(optimizer)
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return float(schedule(optimizer.iterations - 1))
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def _iterations(optimizer: keras.optimizers.Optimizer) -> int:
    """The optimizer's step count (``int()`` of a ``MirroredVariable`` fails, its numpy value does not)."""
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def _momentum(optimizer: keras.optimizers.Optimizer) -> float | None:
    """SGD's and RMSprop's ``momentum``, Adam's ``beta_1`` (its momentum, as fastai treats it), else None."""
    for name in ("momentum", "beta_1"):
        value = getattr(_inner(optimizer), name, None)
        if value is not None and not callable(value):
            return float(keras.ops.convert_to_numpy(value))
    return None


class _BatchSteps:
    """The ``step`` of each logged batch, as `lrlib.batch_log` defines it for every recorder.

    Counting continues after the log's last row; within an epoch the step is the epoch's first step plus
    Keras's batch index, which with ``steps_per_execution=k`` is the index of the last batch of the k. Keras
    reports the end of a short last execution as if it were full (batch 5 of an epoch of batches 0-4 with
    k = 2), so the index is capped at the epoch's last batch when the epoch's length is known.
    """

    def __init__(self, log: BatchLog) -> None:
        self._next = self._epoch_start = log.next_step
        self._last: int | None = None

    def epoch_begin(self, steps_per_epoch: int | None) -> None:
        """Call at the start of each epoch (Keras numbers its batches from 0 again), with ``params["steps"]``."""
        self._epoch_start = self._next
        self._last = steps_per_epoch - 1 if steps_per_epoch else None

    def __call__(self, batch: int) -> int:
        step = self._epoch_start + (batch if self._last is None else min(batch, self._last))
        self._next = step + 1
        return step


class _BatchLoss:
    """The loss of each training batch, recovered from Keras 3's running mean.

    The loss tracker holds ``total = sum(loss_b * n_b)`` and ``count = sum(n_b)`` over the epoch's batches
    so far, and ``logs["loss"] = total / count``. The last batch's loss is the change of ``mean * count``
    divided by the change of ``count``: right for batches of any size (also the short last one), to float32
    rounding of the epoch's running total. Only the count is read (one small read per batch); the mean
    arrives in ``logs``. A model without such a tracker (a custom ``train_step``) is taken to report its
    batch loss in ``logs["loss"]``.
    """

    def __init__(self, model: keras.Model) -> None:
        trackers = [m for m in model.metrics if m.name == "loss" and hasattr(m, "count")]
        self._read_count = _reader(trackers[0].count) if trackers else None
        self.reset()

    def reset(self) -> None:
        """Call at the start of each epoch: ``fit`` has just zeroed its metrics."""
        self._sum, self._count = 0.0, 0.0

    def __call__(self, logs: dict[str, Any]) -> float:
        mean = float(logs["loss"])
        if self._read_count is None:
            return mean
        count = float(self._read_count())
        total = mean * count
        loss = (total - self._sum) / (count - self._count)
        self._sum, self._count = total, count
        return loss


def _lr_writer(variable: keras.Variable) -> Callable[[float], Any]:
    """Assign a Python float to the LR variable, the fast way when its dtype allows (float32)."""
    return _writer(variable) if variable.dtype == "float32" else variable.assign


# --------------------------------------------------------------------------- data


def _is_arrays(x: Any) -> bool:
    """True for a numpy array / tensor, or a list, tuple or dict of them (what ``fit`` batches itself)."""
    leaves = keras.tree.flatten(x)
    return bool(leaves) and all(getattr(leaf, "shape", None) is not None and len(leaf.shape) >= 1 for leaf in leaves)


def _num_samples(x: Any) -> int:
    return int(keras.tree.flatten(x)[0].shape[0])


def _batches_per_epoch(x: Any, batch_size: int | None) -> int:
    """How many batches one pass over `x` gives; ValueError when that cannot be known or is 0."""
    if _is_dataset(x):
        tf = _tensorflow()
        n = int(x.cardinality())
        if n in (int(tf.data.INFINITE_CARDINALITY), int(tf.data.UNKNOWN_CARDINALITY)):
            kind = "infinite" if n == int(tf.data.INFINITE_CARDINALITY) else "of unknown length"
            raise ValueError(f"the tf.data.Dataset is {kind}: pass steps_per_epoch")
    elif isinstance(x, keras.utils.PyDataset):
        n = len(x)
    elif _is_arrays(x):
        size = 32 if batch_size is None else batch_size
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        n = math.ceil(_num_samples(x) / size)
    else:
        raise ValueError(
            f"cannot count the batches of {type(x).__name__} (a generator has no length): pass steps_per_epoch"
        )
    if n == 0:
        raise ValueError("the training data is empty: it gives no batches")
    return n


def epochs_for_sweep(
    num_iter: int, x: Any = None, batch_size: int | None = None, steps_per_epoch: int | None = None
) -> int:
    """The number of epochs ``model.fit`` must run for a range test of `num_iter` batches on `x`.

    ``ceil(num_iter / batches_per_epoch)`` (keras_one_cycle_clr's ``find_n_epoch``), where the batches per epoch are
    `steps_per_epoch` if given, else ``ceil(len(x) / batch_size)`` for arrays (``batch_size`` defaults to
    32, as in ``fit``), the cardinality of a ``tf.data.Dataset``, or ``len(x)`` of a ``keras.utils.PyDataset``.
    A Python generator or an infinite dataset has no length: pass `steps_per_epoch`.
    """
    if isinstance(num_iter, bool) or not isinstance(num_iter, (int, np.integer)) or num_iter < 1:
        raise ValueError(f"num_iter must be an integer >= 1, got {num_iter!r}")
    if steps_per_epoch is None:
        if x is None:
            raise ValueError("give the training data x or steps_per_epoch")
        steps = _batches_per_epoch(x, batch_size)
    elif isinstance(steps_per_epoch, bool) or not isinstance(steps_per_epoch, (int, np.integer)) or steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch must be an integer >= 1, got {steps_per_epoch!r}")
    else:
        steps = int(steps_per_epoch)
    return math.ceil(int(num_iter) / steps)


def _cycled_batches(data: Any, batch_size: int) -> Iterator[Any]:
    """Endless batches of `data`: array tuples are sliced with wrap-around (every batch full), a
    ``tf.data.Dataset`` is repeated, a ``PyDataset`` or any other iterable is cycled (a generator's
    batches are kept in memory after their first use)."""
    if _is_dataset(data):
        return iter(data.repeat())
    if isinstance(data, keras.utils.PyDataset):
        return (data[i] for i in itertools.cycle(range(len(data))))
    if isinstance(data, (tuple, list)) and _is_arrays(data):
        n = _num_samples(data)
        if n == 0:
            raise ValueError("validation_data is empty")
        windows = (np.arange(start, start + batch_size) % n for start in itertools.count(0, batch_size))
        return (keras.tree.map_structure(lambda a: np.take(a, idx, axis=0), data) for idx in windows)
    batches = itertools.cycle(data)
    return itertools.chain([_first(batches)], batches)


def _first(batches: Iterator[Any]) -> Any:
    try:
        return next(batches)
    except StopIteration:
        raise ValueError("validation_data is empty: it gives no batches") from None


class _ValidationLoss:
    """The mean loss over the first `batches` validation batches, weighted by batch size.

    The same batches are evaluated after every step, so that the curve moves only because the weights do
    (``lrlib.torch.lr_find`` does the same), and the data can never run dry. The loss is the model's own
    ``compute_loss`` (compiled loss plus regularization losses) in inference mode, traced once on
    TensorFlow, so it matches ``model.evaluate``.
    """

    def __init__(self, model: keras.Model, data: Any, batches: int, batch_size: int) -> None:
        self._batches = list(itertools.islice(_cycled_batches(data, batch_size), batches))

        def loss(x: Any, y: Any, sample_weight: Any) -> Any:
            y_pred = model(x, training=False)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
            return keras.ops.stop_gradient(loss)  # an evaluation (on PyTorch, no graph to keep)

        tf = _tensorflow() if keras.backend.backend() == "tensorflow" else None
        self._loss = loss if tf is None else tf.function(loss, reduce_retracing=True)  # traced once on TF

    def __call__(self) -> float:
        total = count = 0.0
        for batch in self._batches:
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(tuple(batch))
            n = _num_samples(x)
            total += float(self._loss(x, y, sample_weight)) * n
            count += n
        return total / count


# --------------------------------------------------------------------------- the callback


class LRRangeTest(keras.callbacks.Callback):
    """Run an LR range test inside ``model.fit``: each batch trains with the next LR of the sweep.

    The LR follows the `~lrlib.Sweep` ``sweep`` (``start_lr``, ``end_lr``, ``num_iter`` are shortcuts for its
    fields, as in `lr_find`); the loss of each step is recorded (the batch's own loss, or with
    `validation_data` the mean loss on the same first `validation_batches` validation batches, as
    ``lrlib.torch.lr_find`` does). Training stops when the sweep is done or diverged, then
    every model variable and every optimizer variable is put back exactly as it was when training began
    (kept in memory). An LR schedule on the optimizer is swapped out for the sweep and restored.
    Read the outcome with :meth:`result`. With ``gradient_accumulation_steps=k`` on the optimizer, a step
    is k batches and its loss their mean.

    Run ``fit`` for at least :func:`epochs_for_sweep` epochs; :func:`lr_find` does all of this in one call.
    The model must be compiled and built. If ``fit`` raises, call :meth:`restore` (``lr_find`` does).
    """

    def __init__(
        self,
        start_lr: float | None = None,
        end_lr: float | None = None,
        num_iter: int | None = None,
        *,
        sweep: Sweep | None = None,
        validation_data: Any = None,
        validation_batches: int = 5,
        val_batch_size: int = 32,
    ) -> None:
        super().__init__()
        self._plan = (sweep or Sweep()).with_shortcuts(start_lr, end_lr, num_iter)  # checked now, not at fit
        self.sweep: RangeTest = self._plan.range_test()
        for name, value in (("validation_batches", validation_batches), ("val_batch_size", val_batch_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        self.validation_data = validation_data
        self.validation_batches = int(validation_batches)
        self.val_batch_size = int(val_batch_size)
        self._exit: contextlib.ExitStack | None = None

    @property
    def num_iter(self) -> int:
        return self.sweep.num_iter

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        _check_can_sweep(self.model)
        self.restore()  # a callback reused without finishing its last run
        self.sweep = self._plan.range_test()
        self._exit = contextlib.ExitStack()
        saved = _SavedState(self.model)  # before the LR swap, so the original LR variable is the one saved
        self._exit.callback(saved.restore)
        self._set_lr = _lr_writer(self._exit.enter_context(_settable_lr(self.model)))
        self._batch_loss = _BatchLoss(self.model)
        self._val_loss = (
            None
            if self.validation_data is None
            else _ValidationLoss(self.model, self.validation_data, self.validation_batches, self.val_batch_size)
        )
        self._pending: list[float] = []  # batch losses of the current (accumulated) step
        optimizer = self.model.optimizer
        # A batch is a step unless gradients are accumulated or a loss-scaling step is skipped (overflow):
        # then count the optimizer's updates (one read per batch, saved in the common case).
        self._count_updates = bool(optimizer.gradient_accumulation_steps) or optimizer is not _inner(optimizer)
        self._updates = _iterations(optimizer)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._batch_loss.reset()

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._set_lr(self.sweep.lr_for(self.sweep.step))

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._val_loss is None:
            self._pending.append(self._batch_loss(logs or {}))
        if self._count_updates:
            updates = _iterations(self.model.optimizer)
            if updates == self._updates:
                return
            self._updates = updates
        loss = sum(self._pending) / len(self._pending) if self._val_loss is None else self._val_loss()
        self._pending = []
        try:
            stop = self.sweep.record(loss)
        except ValueError:  # a non-finite loss at the first step: the model or data are broken
            self.restore()
            raise
        if stop:
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.restore()
        if self.sweep.step == 0:
            raise ValueError("the range test ran no optimizer step: the training data gave no batches")
        if not self.sweep.done:
            warnings.warn(
                f"the sweep stopped after {self.sweep.step} of {self.num_iter} steps: training ended first "
                "(too few epochs or the data ran out); see lrlib.keras.epochs_for_sweep",
                stacklevel=2,
            )

    def restore(self) -> None:
        """Put back the model and optimizer state saved when training began, and the LR schedule if one
        was swapped out. Does nothing when there is nothing to restore (it is idempotent)."""
        if self._exit is not None:
            exit_stack, self._exit = self._exit, None
            exit_stack.close()

    def result(self, rule: str | None = None) -> RangeTestResult:
        """The measurements of the last run, suggesting with `rule` (default: the one given at construction)."""
        return self.sweep.result(rule)


# --------------------------------------------------------------------------- one-call helpers


def _build_from_data(model: keras.Model, x: Any, batch_size: int) -> None:
    """Build an unbuilt model by calling it on the first inputs of `x`, without consuming a generator."""
    if model.built:
        return
    if _is_dataset(x):
        sample = next(iter(x.take(1)))
        inputs = keras.utils.unpack_x_y_sample_weight(tuple(sample))[0] if isinstance(sample, (tuple, list)) else sample
    elif isinstance(x, keras.utils.PyDataset):
        inputs = keras.utils.unpack_x_y_sample_weight(tuple(x[0]))[0]
    elif _is_arrays(x):
        inputs = keras.tree.map_structure(lambda a: a[:batch_size], x)
    else:
        return  # a generator: LRRangeTest explains that the model must be built
    model(inputs, training=False)


def lr_find(
    model: keras.Model,
    x: Any,
    y: Any = None,
    batch_size: int = 32,
    start_lr: float | None = None,
    end_lr: float | None = None,
    num_iter: int | None = None,
    *,
    sweep: Sweep | None = None,
    validation_data: Any = None,
    validation_batches: int = 5,
    steps_per_epoch: int | None = None,
    shuffle: bool = True,
    verbose: int | str = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> RangeTestResult:
    """Run an LR range test on a compiled Keras model and return its :class:`~lrlib.lr_finder.RangeTestResult`.

    `x`, `y`, `batch_size`, `steps_per_epoch`, `shuffle`, `verbose` and `callbacks` (extra ones, e.g. a
    :class:`BatchLogger`) mean what they mean in ``model.fit`` (arrays,
    a ``tf.data.Dataset``, a ``keras.utils.PyDataset`` or a Python generator). ``fit`` runs for
    :func:`epochs_for_sweep` epochs with an :class:`LRRangeTest` callback (the other arguments are its
    own); a generator without `steps_per_epoch` is read for one epoch of `num_iter` steps and must yield
    that many batches. An unbuilt model is built from the first inputs of arrays or datasets. Afterwards
    the model and optimizer are exactly as before, also when ``fit`` raises or is interrupted.

    Under ``tf.distribute.MirroredStrategy`` (one process, several devices; build and compile the model
    in ``strategy.scope()``), ``fit`` reports the loss of the global batch, so the sweep reads one curve,
    and the LR and the restore reach every replica's copy of the variables: the result equals the
    single-device sweep (tested on two logical CPUs). Multi-worker strategies are not tested.
    """
    callback = LRRangeTest(
        start_lr, end_lr, num_iter, sweep=sweep, validation_data=validation_data,
        validation_batches=validation_batches, val_batch_size=batch_size,
    )  # fmt: skip
    if getattr(model, "optimizer", None) is None:
        raise ValueError("the model has no optimizer: compile it (model.compile(optimizer, loss)) before lr_find")
    batches = callback.num_iter * (model.optimizer.gradient_accumulation_steps or 1)
    arrays = _is_arrays(x)
    if steps_per_epoch is None and not (arrays or _is_dataset(x) or isinstance(x, keras.utils.PyDataset)):
        steps_per_epoch = batches  # a generator: one long epoch
    epochs = epochs_for_sweep(batches, x, batch_size, steps_per_epoch)
    _build_from_data(model, x, batch_size)
    try:
        model.fit(
            x, y, batch_size=batch_size if arrays else None, epochs=epochs, steps_per_epoch=steps_per_epoch,
            callbacks=[callback, *callbacks], shuffle=shuffle and arrays, verbose=verbose,
        )  # fmt: skip
    finally:
        callback.restore()
    return callback.result()


# --------------------------------------------------------------------------- weight decay


@contextlib.contextmanager
def _weight_decay(model: keras.Model, weight_decay: float) -> Iterator[None]:
    """Train `model` with the optimizer's ``weight_decay`` set to `weight_decay`, then put the original back.

    ``weight_decay`` is a Python float read while the train step is traced, so the train function is
    dropped on entry and on exit: the next ``fit`` traces it with the value in force.
    """
    optimizer = _inner(model.optimizer)
    original = optimizer.weight_decay
    optimizer.weight_decay = float(weight_decay) if weight_decay else None
    model.train_function = None
    try:
        yield
    finally:
        optimizer.weight_decay = original
        model.train_function = None


class WeightDecayGrid(dict):
    """``{weight_decay: RangeTestResult}`` from :func:`weight_decay_grid`, with a joint :meth:`plot`."""

    def plot(self, ax: Any = None, *, title: str | None = None) -> Any:
        """Plot each weight decay's smoothed loss against LR on one log-x axes, suggestions marked."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        for k, (wd, result) in enumerate(self.items()):
            color = f"C{k}"
            ax.plot(result.lrs, result.smoothed, color=color, lw=2, label=f"weight_decay={wd:g}")
            if result.suggestion is not None:
                y = np.interp(np.log(result.suggestion), np.log(result.lrs), result.smoothed)
                ax.plot([result.suggestion], [y], "o", color=color, label=f"{result.rule}: {result.suggestion:.2g}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("smoothed loss")
        ax.set_title(title or "LR range test per weight decay")
        ax.legend(loc="best")
        return ax


def weight_decay_grid(
    model: keras.Model,
    x: Any,
    y: Any = None,
    weight_decays: Sequence[float] = WEIGHT_DECAYS,
    **lr_find_options: Any,
) -> WeightDecayGrid:
    """One LR range test per weight decay, each from the same starting state; ``{wd: result}``.

    Each sweep trains with the optimizer's real decoupled ``weight_decay`` (``w -= lr * wd * w`` every
    step, Keras 3's implementation for every optimizer; keras_one_cycle_clr's grid set Keras 2's ``decay``, which is
    LR decay). The optimizer's own ``weight_decay`` is put back afterwards. `lr_find_options` go to
    :func:`lr_find` (e.g. ``validation_data`` and ``validation_batches``: weight decay shows on held-out loss;
    ``shuffle=False`` makes the sweeps see the same batches).
    """
    if getattr(model, "optimizer", None) is None:
        raise ValueError("the model has no optimizer: compile it before weight_decay_grid")
    weight_decays = list(weight_decays)
    if not weight_decays:
        raise ValueError("weight_decays must hold at least one value")
    for wd in weight_decays:
        if not (isinstance(wd, (int, float, np.floating, np.integer)) and math.isfinite(wd) and wd >= 0):
            raise ValueError(f"every weight decay must be a finite number >= 0, got {wd!r}")
    grid = WeightDecayGrid()
    for wd in weight_decays:
        with _weight_decay(model, wd):
            grid[wd] = lr_find(model, x, y, **lr_find_options)
    return grid


# --------------------------------------------------------------------------- per-batch logging


class BatchLogger(keras.callbacks.Callback):
    """Record the LR, the batch's own loss and the momentum of every training batch into a
    :class:`~lrlib.batch_log.BatchLog` (``self.log``), in any ``fit``; :meth:`save` writes CSV or JSON.

    The loss is the batch's loss, not the running mean ``fit`` reports; the LR is the one the step used
    (also under an LR schedule); the momentum is SGD's/RMSprop's ``momentum`` or Adam's ``beta_1``
    (None for optimizers without one). `step` counts batches across ``fit`` calls, as `lrlib.batch_log`
    describes. With ``steps_per_execution=k`` Keras calls back once per k batches: a row then stands for the
    last batch of the k (its step, LR and momentum) with the mean loss of all k.
    """

    def __init__(self, log: BatchLog | None = None) -> None:
        super().__init__()
        self.log = BatchLog() if log is None else log

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._batch_loss = _BatchLoss(self.model)
        self._steps = _BatchSteps(self.log)
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._batch_loss.reset()
        self._steps.epoch_begin(self.params.get("steps") if self.params else None)
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        optimizer = self.model.optimizer
        self.log.append(
            step=self._steps(batch), epoch=self._epoch, lr=_last_step_lr(optimizer),
            loss=self._batch_loss(logs or {}), momentum=_momentum(optimizer),
        )  # fmt: skip

    def save(self, path: Any) -> None:
        """Write the log to `path` (``.csv`` or ``.json``); read it back with ``lrlib.batch_log.BatchLog.load``."""
        self.log.save(path)
