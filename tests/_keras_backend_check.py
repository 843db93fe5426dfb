"""Every lrlib.keras adapter on a Keras backend other than TensorFlow; run by test_keras_backends.py as
``KERAS_BACKEND=torch python tests/_keras_backend_check.py``. TensorFlow is installed here, so the check is
that nothing imported it: at the end it must not be in ``sys.modules``."""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import keras  # noqa: E402
import numpy as np  # noqa: E402

import lrlib  # noqa: E402
import lrlib.keras  # noqa: E402

STEPS = 24


def model(optimizer):
    # (keras.utils.set_random_seed would import TensorFlow itself, to seed it too, when it is installed)
    seeded = {"kernel_initializer": keras.initializers.GlorotUniform(seed=0)}
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", **seeded),
                            keras.layers.Dense(1, **seeded)])
    net.compile(optimizer=optimizer, loss="mse")
    return net


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(STEPS * 8, 4)).astype("float32")
    return x, (x @ np.arange(1.0, 5.0, dtype="float32"))[:, None]


def main() -> None:
    assert keras.backend.backend() != "tensorflow", keras.backend.backend()
    x, y = data()

    schedule = lrlib.cosine(0.05, STEPS)
    net = model(keras.optimizers.SGD(learning_rate=lrlib.keras.schedule(schedule)))
    net.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert int(net.optimizer.iterations) == STEPS

    one_cycle = lrlib.one_cycle(0.05, STEPS)
    for callback, optimizer in (
        (lrlib.keras.ScheduleCallback(one_cycle), lrlib.keras.SGD(0.01, momentum=0.9)),
        (lrlib.keras.ScheduleCallback(lambda t: 0.01 / (1 + t)), keras.optimizers.SGD(0.01)),
        (lrlib.keras.CyclicLR(0.001, 0.01, 4, base_momentum=0.8, max_momentum=0.9), lrlib.keras.SGD(0.01)),
        (lrlib.keras.OneCycle(0.05), lrlib.keras.Adam(0.01)),
    ):
        history = model(optimizer).fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callback])
        expected = callback.schedule_for(STEPS)(np.arange(STEPS))
        np.testing.assert_allclose(callback.batch_log.lrs, expected, rtol=1e-12)
        if callback.schedule_for(STEPS).has_momentum:
            np.testing.assert_allclose(callback.batch_log.momenta, callback.schedule_for(STEPS).momentum(np.arange(STEPS)))
    lrlib.course.plot_history(lrlib.course.concatenate_histories([history, history]))

    net = model(keras.optimizers.SGD(0.01, momentum=0.9))
    before = [v.numpy().copy() for v in net.variables]
    logger = lrlib.keras.BatchLogger()
    result = lrlib.keras.lr_find(net, x, y, batch_size=8, sweep=lrlib.Sweep(1e-4, 1.0, 20), callbacks=[logger],
                                 validation_data=(x[:32], y[:32]))
    assert 0 < len(result.lrs) <= 20 and len(logger.log) >= len(result.lrs)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, net.variables)), "lr_find did not restore"
    grid = lrlib.keras.weight_decay_grid(net, x, y, weight_decays=(0.0, 1e-3), batch_size=8,
                                         sweep=lrlib.Sweep(1e-4, 1.0, 12))
    assert sorted(grid) == [0.0, 1e-3]
    assert lrlib.keras.epochs_for_sweep(20, x, batch_size=8) == 1

    assert "tensorflow" not in sys.modules, "lrlib.keras imported TensorFlow"
    print("ok")


if __name__ == "__main__":
    main()
