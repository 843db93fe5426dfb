"""lrlib.keras.schedule: an lrlib schedule as a Keras LearningRateSchedule, equal to the schedule itself (float32),
inside tf.function and tf.compat.v1 graphs, in a real training run, and through model.save / load_model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

import lrlib  # noqa: E402
from lrlib.keras import KerasSchedule, schedule  # noqa: E402

SCHEDULES = [
    lrlib.constant(0.1),
    lrlib.step(0.1, 7, 0.5),
    lrlib.multistep(0.1, [5, 20, 40]),
    lrlib.exponential(0.1, 0.97),
    lrlib.square_root(0.1),
    lrlib.factor(0.1, 0.9, min_lr=1e-3),
    lrlib.polynomial(0.1, 50, power=2.0, final_lr=1e-3),
    lrlib.cosine(0.1, 50, final_lr=1e-3, warmup_steps=5, warmup_start_lr=0.01),
    lrlib.cosine_restarts(0.1, 10, period_mult=2, final_lr=1e-3),
    lrlib.cyclic(0.01, 0.1, 5, step_size_down=8, mode="exp_range", gamma=0.99),
    lrlib.cyclic(0.01, 0.1, 5, mode="triangular2"),
    lrlib.one_cycle(0.1, 60, three_phase=True),
    lrlib.warmup(lrlib.cosine(0.1, 40, final_lr=1e-3), 10, start_lr=1e-3),
    lrlib.sequence([lrlib.constant(0.05), lrlib.cosine(0.1, 30, final_lr=1e-3)], [10]),
]
STEPS = np.arange(120)
FLOAT32 = dict(rtol=2e-5, atol=1e-8)  # float32 step and arithmetic (KerasSchedule's documented precision)


@pytest.mark.parametrize("s", SCHEDULES, ids=lambda s: s.get_config()["name"])
def test_equals_the_schedule_eagerly_and_in_tf_function(s):
    keras_schedule = schedule(s)
    eager = keras.ops.convert_to_numpy(keras_schedule(tf.constant(STEPS, tf.int64)))
    np.testing.assert_allclose(eager, s(STEPS), **FLOAT32)
    graph_fn = tf.function(lambda step: keras_schedule(step))
    traced = [float(graph_fn(tf.constant(t, tf.int64))) for t in (0, 7, 55, 119)]
    np.testing.assert_allclose(traced, s(np.array([0, 7, 55, 119])), **FLOAT32)
    assert graph_fn.experimental_get_tracing_count() == 1  # one graph serves every step


def test_keras_schedule_config_round_trips_through_keras_serialization():
    s = lrlib.warmup(lrlib.one_cycle(0.1, 50), 5)
    config = keras.optimizers.schedules.serialize(schedule(s))
    json.dumps(config)
    rebuilt = keras.optimizers.schedules.deserialize(json.loads(json.dumps(config)))
    assert isinstance(rebuilt, KerasSchedule) and rebuilt.schedule == s
    assert repr(rebuilt) == f"lrlib.keras.schedule({s!r})"


def test_optimizer_follows_the_schedule_and_the_model_round_trips(tmp_path):
    """One weight, gradient 2: after n SGD steps w = w0 - 2 * sum(lr(0..n-1)); then save, load, continue."""
    s = lrlib.cosine(0.05, 12, warmup_steps=3)
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")]
    )
    model.compile(optimizer=keras.optimizers.SGD(schedule(s)), loss="mean_absolute_error")
    x, y = np.full((6, 1), 2.0, "float32"), np.full((6, 1), -1e4, "float32")
    model.fit(x, y, batch_size=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0].item(), 1.0 - 2.0 * s(np.arange(6)).sum(), rtol=1e-5)

    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    learning_rate = loaded.optimizer._learning_rate
    assert isinstance(learning_rate, KerasSchedule) and learning_rate.schedule == s
    assert int(loaded.optimizer.iterations.numpy()) == 6
    np.testing.assert_allclose(float(loaded.optimizer.learning_rate), s(6), **FLOAT32)
    loaded.fit(x, y, batch_size=1, shuffle=False, verbose=0)  # resumes at step 6
    np.testing.assert_allclose(loaded.get_weights()[0].item(), 1.0 - 2.0 * s(np.arange(12)).sum(), rtol=1e-5)


GRAPH_MODE = textwrap.dedent(
    """
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    import lrlib
    s = lrlib.one_cycle(0.1, 40)
    step = tf.compat.v1.placeholder(tf.int64, shape=[])
    lr = lrlib.keras.schedule(s)(step)
    with tf.compat.v1.Session() as session:
        print(json.dumps([float(session.run(lr, {step: t})) for t in range(40)]))
    """
)


def test_works_in_a_tf_compat_v1_graph():
    """Graph mode is process-wide, so this runs in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", GRAPH_MODE], capture_output=True, text=True, check=True)
    values = json.loads(result.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(values, lrlib.one_cycle(0.1, 40)(np.arange(40)), **FLOAT32)


def test_rejects_what_is_not_an_lrlib_schedule():
    with pytest.raises(TypeError, match="schedule"):
        schedule(lambda t: 0.1)
    with pytest.raises(TypeError, match="schedule"):
        schedule(keras.optimizers.schedules.CosineDecay(0.1, 10))
