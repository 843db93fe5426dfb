"""What does the Keras range test cost beyond the training steps it runs? Measured, in CPU time.

For two small offline tasks (scikit-learn's digits: an MLP classifier with Adam; a regression MLP with SGD
and momentum on the same inputs), ``model.fit`` runs ``num_iter`` batches twice, interleaved and repeated:

- plain: a callback that only stops training after ``num_iter`` batches (the baseline);
- sweep: ``lrlib.keras.LRRangeTest`` (save the state, set the LR and read the batch's loss every batch,
  restore every model and optimizer variable at the end), with ``Sweep(diverge=None)`` so it runs all steps.

Overhead = sweep / plain - 1, from the least disturbed (minimum) CPU time of each over the repeats; CPU
time, not wall time, because the machine running this may be shared. That difference of two noisy
timings is itself noisy (several % on a busy machine), so the CPU time spent inside the callback's own
hooks is also measured directly and reported as a fraction of the plain run. Both fits reuse the traced train
step. The validation mode (``validation_batches`` extra forward passes per step) and a whole ``lr_find`` call
(which also builds and traces) are timed too, for information: they do more work, not overhead.
Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_keras_lr_find.py`` (about a minute; ``--repeats`` sets
the repetitions).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from lrlib.keras import LRRangeTest, epochs_for_sweep, lr_find  # noqa: E402
from lrlib.lr_finder import Sweep  # noqa: E402


class StopAfter(keras.callbacks.Callback):
    """The baseline: stop training after `steps` batches, nothing else."""

    def __init__(self, steps: int) -> None:
        super().__init__()
        self.steps = steps

    def on_train_begin(self, logs=None):
        self.done = 0

    def on_train_batch_end(self, batch, logs=None):
        self.done += 1
        if self.done >= self.steps:
            self.model.stop_training = True


class TimedRangeTest(LRRangeTest):
    """LRRangeTest that adds up the CPU time spent in its own hooks: its overhead, measured from inside."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hook_time = 0.0

    def _timed(self, hook, *args):
        start = time.process_time()
        try:
            hook(*args)
        finally:
            self.hook_time += time.process_time() - start

    def on_train_begin(self, logs=None):
        self._timed(super().on_train_begin, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._timed(super().on_epoch_begin, epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._timed(super().on_train_batch_begin, batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._timed(super().on_train_batch_end, batch, logs)

    def on_train_end(self, logs=None):
        self._timed(super().on_train_end, logs)


def digits() -> tuple[np.ndarray, np.ndarray]:
    x, y = load_digits(return_X_y=True)
    x = ((x - x.mean(0)) / (x.std(0) + 1e-8)).astype("float32")
    return x, y.astype("int64")


def tasks() -> dict[str, tuple[keras.Model, np.ndarray, np.ndarray]]:
    x, labels = digits()
    keras.utils.set_random_seed(0)
    layers = keras.layers
    classifier = keras.Sequential([keras.Input((64,)), layers.Dense(64, activation="relu"), layers.Dense(10)])
    classifier.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    target = (x @ np.random.default_rng(0).normal(size=(64, 1)) / 8).astype("float32")
    regressor = keras.Sequential([keras.Input((64,)), layers.Dense(32, activation="tanh"), layers.Dense(1)])
    regressor.compile(keras.optimizers.SGD(1e-2, momentum=0.9), "mse")
    return {
        "digits MLP, Adam, cross-entropy": (classifier, x, labels),
        "digits MLP, SGD+momentum, MSE": (regressor, x, target),
    }


def cpu_time(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def measure(model: keras.Model, x: np.ndarray, y: np.ndarray, num_iter: int, repeats: int, batch_size: int = 32):
    epochs = epochs_for_sweep(num_iter, x, batch_size)
    split = len(x) // 5
    val = (x[:split], y[:split])

    def fit(callback):
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[callback])

    fit(StopAfter(2))  # trace the train step once, outside the timings
    names = ["plain", "sweep", "hooks", "sweep, validation mode (5 batches per step)", "lr_find call"]
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeats):  # interleaved, so that a busy spell on the machine hits every variant alike
        times["plain"].append(cpu_time(lambda: fit(StopAfter(num_iter))))
        timed = TimedRangeTest(num_iter=num_iter, sweep=Sweep(diverge=None))
        times["sweep"].append(cpu_time(lambda: fit(timed)))
        times["hooks"].append(timed.hook_time)
        validated = LRRangeTest(num_iter=num_iter, sweep=Sweep(diverge=None), validation_data=val, validation_batches=5)
        times["sweep, validation mode (5 batches per step)"].append(cpu_time(lambda: fit(validated)))
        times["lr_find call"].append(
            cpu_time(lambda: lr_find(model, x, y, batch_size=batch_size, num_iter=num_iter, sweep=Sweep(diverge=None)))
        )
    return {name: min(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--num-iter", type=int, default=100)
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    print(f"keras {keras.__version__}, tensorflow {tf.__version__}; num_iter={args.num_iter}, "
          f"best of {args.repeats} CPU times\n")  # fmt: skip
    print("| task | plain steps (s) | sweep (s) | sweep / plain - 1 | in the callback's hooks (s) | "
          "hooks / plain | validation mode (s) | lr_find call (s) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (model, x, y) in tasks().items():
        t = measure(model, x, y, args.num_iter, args.repeats)
        print(f"| {name} | {t['plain']:.3f} | {t['sweep']:.3f} | {100 * (t['sweep'] / t['plain'] - 1):.1f}% | "
              f"{t['hooks']:.3f} | {100 * t['hooks'] / t['plain']:.1f}% | "
              f"{t['sweep, validation mode (5 batches per step)']:.3f} | {t['lr_find call']:.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
