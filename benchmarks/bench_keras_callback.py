"""Cost of lrlib.keras.ScheduleCallback setting the LR and momentum before every batch (target: <= 1.5x).

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_keras_callback.py

For two models on the offline digits (a tiny MLP, where Keras's per-step overhead dominates and the callback
costs the most relative to the step; and the course's LeNet), the same model and optimizer (lrlib.keras.SGD)
are fitted with and without a one-cycle ScheduleCallback that assigns the LR and the momentum variables every
batch. Fits alternate, after a warm-up fit that traces the train step; the script prints the median wall and
CPU seconds per fit of each and their ratios (CPU time is less disturbed by other processes on a shared
machine), and the time the callback's hooks take per step on their own.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import lrlib  # noqa: E402

EPOCHS, BATCH, ROUNDS = 2, 64, 7


def mlp() -> keras.Model:
    layers = keras.layers
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(32, activation="relu"),
                             layers.Dense(10)])


def timed_fit(model: keras.Model, x: np.ndarray, y: np.ndarray, callbacks: list) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one fit."""
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0, callbacks=callbacks)
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(name: str, model: keras.Model, x: np.ndarray, y: np.ndarray) -> None:
    model.compile(optimizer=lrlib.keras.SGD(0.01, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    steps = EPOCHS * -(-len(x) // BATCH)
    timed_fit(model, x, y, [])  # warm-up: traces the train step
    plain, scheduled = [], []
    for _ in range(ROUNDS):
        plain.append(timed_fit(model, x, y, []))
        callback = lrlib.keras.ScheduleCallback(lrlib.one_cycle(0.1, steps))  # LR and momentum every batch
        scheduled.append(timed_fit(model, x, y, [callback]))
        assert len(callback.batch_log) == steps
    for index, clock in enumerate(("wall", "CPU")):
        a = statistics.median(run[index] for run in plain)
        b = statistics.median(run[index] for run in scheduled)
        print(f"{name:6s} {clock:4s} {steps} steps/fit: without callback {a:.3f} s ({1e3 * a / steps:.2f} ms/step), "
              f"with ScheduleCallback (LR + momentum per step) {b:.3f} s ({1e3 * b / steps:.2f} ms/step), "
              f"ratio {b / a:.2f}x (target <= 1.5x)")
    hooks = min(hook_seconds(model, steps) for _ in range(ROUNDS))
    print(f"{name:6s} the callback's own hooks: {1e6 * hooks:.0f} us per step (best of {ROUNDS})")


def hook_seconds(model: keras.Model, steps: int) -> float:
    """Seconds per step spent in the callback's hooks alone (assign LR and momentum, log the batch)."""
    callback = lrlib.keras.ScheduleCallback(lrlib.one_cycle(0.1, steps))
    callback.set_model(model)
    callback.set_params({"epochs": 1, "steps": steps, "verbose": 0})
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    start = time.perf_counter()
    for batch in range(steps):
        callback.on_train_batch_begin(batch)
        callback.on_train_batch_end(batch, {"loss": 1.0, "accuracy": 0.5})
    return (time.perf_counter() - start) / steps


def main() -> None:
    (x, y), _ = lrlib.course.data.arrays("digits")
    x = np.asarray(x)[..., None]
    y = np.asarray(y)
    print(f"data: offline digits, {len(x)} training images, batch {BATCH}, {EPOCHS} epochs per fit, median of {ROUNDS}")
    keras.utils.set_random_seed(0)
    compare("MLP", mlp(), x, y)
    compare("LeNet", lrlib.course.models.lenet_keras(seed=0), x, y)


if __name__ == "__main__":
    main()
