"""Keras's range test on one device and under ``tf.distribute.MirroredStrategy`` on two logical CPUs.

``python tests/_keras_mirrored.py RESULT`` splits the CPU into two logical devices (possible only before
TensorFlow initialises, hence a process of its own), runs ``lrlib.keras.lr_find`` on the same model, data
and sweep without and with the strategy, and writes to RESULT (JSON) each run's losses and suggestion and
whether every replica's copy of every model and optimizer variable came back as it was.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402

import lrlib.course.data  # noqa: E402
import lrlib.keras  # noqa: E402

SWEEP = dict(batch_size=64, start_lr=1e-4, end_lr=30.0, num_iter=50, shuffle=False)


def build() -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)])
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.optimizer.build(model.trainable_variables)
    return model


def replica_values(model: keras.Model) -> list[list[np.ndarray]]:
    """Every copy of every model and optimizer variable (one per replica; one without a strategy)."""
    copies = []
    for variable in list(model.variables) + list(model.optimizer.variables):
        values = getattr(variable.value, "values", (variable.value,))
        copies.append([np.array(keras.ops.convert_to_numpy(v)) for v in values])
    return copies


def run(strategy: tf.distribute.Strategy, data, validation: bool) -> dict:
    with strategy.scope():
        model = build()
    before = replica_values(model)
    result = lrlib.keras.lr_find(model, *data, validation_data=data if validation else None, **SWEEP)
    after = replica_values(model)
    restored = all(np.array_equal(b[0], a) for b, copies in zip(before, after) for a in copies)
    return {"losses": result.losses.tolist(), "suggestion": result.suggestion, "diverged": result.diverged,
            "replicas": len(after[0]), "restored": restored}


def main(out: str) -> None:
    (x, y), _ = lrlib.course.data.arrays("digits")
    data = (x.reshape(len(x), -1)[:1024], y[:1024])
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    runs = {f"{name}-{'val' if validation else 'train'}": run(strategy, data, validation)
            for validation in (False, True)
            for name, strategy in (("single", tf.distribute.get_strategy()), ("mirrored", mirrored))}
    with open(out, "w") as f:
        json.dump(runs, f)


if __name__ == "__main__":
    main(sys.argv[1])
