"""Schedules against Keras's own schedules (evaluated eagerly, float32), and ``s.lr(t, keras.ops)`` against numpy.

Keras computes in float32, so the tolerance is float32's (relative 1e-5, absolute 1e-7 of the peak).
"""

from __future__ import annotations

import numpy as np
import pytest

import lrlib

keras = pytest.importorskip("keras")
from keras.optimizers import schedules as keras_schedules  # noqa: E402

STEPS = np.arange(300)
SEEDS = range(4)


def assert_float32_close(actual, expected):
    expected = np.asarray(expected, dtype=np.float64)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-7 * np.max(np.abs(expected)))


def keras_values(keras_schedule, steps=STEPS):
    return np.array([float(keras_schedule(int(t))) for t in steps])


@pytest.fixture(params=SEEDS)
def rng(request):
    return np.random.default_rng(request.param)


def test_cosine_equals_keras_cosine_decay(rng):
    lr, total, final_lr = rng.uniform(0.01, 1.0), int(rng.integers(10, 250)), 0.0
    final_lr = lr * rng.uniform(0.0, 0.5)
    expected = keras_values(keras_schedules.CosineDecay(lr, total, alpha=final_lr / lr))
    assert_float32_close(lrlib.cosine(lr, total, final_lr)(STEPS), expected)


def test_cosine_with_warmup_equals_keras_cosine_decay_with_warmup(rng):
    lr, total = rng.uniform(0.01, 1.0), int(rng.integers(10, 250))
    warmup_steps, start_lr, final_lr = int(rng.integers(1, total)), lr * rng.uniform(0.0, 1.0), lr * 0.1
    keras_schedule = keras_schedules.CosineDecay(
        start_lr, total - warmup_steps, alpha=0.1, warmup_target=lr, warmup_steps=warmup_steps
    )
    schedule = lrlib.cosine(lr, total, final_lr, warmup_steps=warmup_steps, warmup_start_lr=start_lr)
    assert_float32_close(schedule(STEPS), keras_values(keras_schedule))


def test_polynomial_equals_keras_polynomial_decay(rng):
    lr, total, power = rng.uniform(0.01, 1.0), int(rng.integers(10, 250)), rng.uniform(0.5, 3.0)
    final_lr = lr * rng.uniform(0.0, 0.5)
    expected = keras_values(keras_schedules.PolynomialDecay(lr, total, final_lr, power))
    assert_float32_close(lrlib.polynomial(lr, total, power, final_lr)(STEPS), expected)


def test_exponential_equals_keras_exponential_decay_every_step(rng):
    lr, gamma = rng.uniform(0.01, 1.0), rng.uniform(0.95, 1.0)
    expected = keras_values(keras_schedules.ExponentialDecay(lr, decay_steps=1, decay_rate=gamma))
    assert_float32_close(lrlib.exponential(lr, gamma)(STEPS), expected)


def test_step_equals_keras_staircase_exponential_decay(rng):
    lr, size, gamma = rng.uniform(0.01, 1.0), int(rng.integers(1, 60)), rng.uniform(0.1, 0.9)
    expected = keras_values(keras_schedules.ExponentialDecay(lr, size, gamma, staircase=True))
    assert_float32_close(lrlib.step(lr, size, gamma)(STEPS), expected)


def test_multistep_equals_keras_piecewise_constant_decay_one_step_earlier(rng):
    lr, gamma = rng.uniform(0.01, 1.0), rng.uniform(0.1, 0.9)
    milestones = sorted(int(m) for m in rng.choice(np.arange(1, 300), size=3, replace=False))
    values = [lr * gamma**i for i in range(len(milestones) + 1)]
    expected = keras_values(keras_schedules.PiecewiseConstantDecay([m - 1 for m in milestones], values))
    assert_float32_close(lrlib.multistep(lr, milestones, gamma)(STEPS), expected)


EVERY_CONSTRUCTOR = [
    lrlib.constant(0.1),
    lrlib.step(0.1, 7, 0.5),
    lrlib.multistep(0.1, [30, 100, 200], 0.3),
    lrlib.exponential(0.1, 0.99),
    lrlib.square_root(0.1),
    lrlib.factor(0.1, 0.98, 1e-3),
    lrlib.polynomial(0.1, 150, 2.0, 0.01),
    lrlib.cosine(0.1, 200, 0.001, warmup_steps=20, warmup_start_lr=0.01),
    lrlib.cosine_restarts(0.1, 10, 2, 0.001),
    lrlib.cosine_restarts(0.1, 25),
    lrlib.cyclic(0.01, 0.1, 20, 30, "triangular2", base_momentum=0.8, max_momentum=0.95),
    lrlib.cyclic(0.01, 0.1, 20, mode="exp_range", gamma=0.995),
    lrlib.one_cycle(0.1, 250, three_phase=True),
    lrlib.one_cycle(0.1, 250, anneal="linear"),
    lrlib.warmup(lrlib.one_cycle(0.1, 200), 30, 0.001),
    lrlib.sequence([lrlib.constant(0.05), lrlib.cosine(0.1, 100), lrlib.constant(0.001)], [50, 150]),
]


@pytest.mark.parametrize("schedule", EVERY_CONSTRUCTOR, ids=repr)
def test_keras_ops_evaluation_equals_numpy(schedule):
    """The formulas run unchanged on keras.ops tensors (what the Keras adapter builds graphs from)."""
    steps = keras.ops.convert_to_tensor(STEPS, dtype="int64")
    assert_float32_close(keras.ops.convert_to_numpy(schedule.lr(steps, keras.ops)), schedule(STEPS))
    if schedule.has_momentum:
        momenta = keras.ops.convert_to_numpy(schedule.momentum_at(steps, keras.ops))
        assert_float32_close(momenta, schedule.momentum(STEPS))


@pytest.mark.parametrize("schedule", EVERY_CONSTRUCTOR, ids=repr)
def test_tf_numpy_evaluation_inside_tf_function_keeps_float32(schedule):
    """Inside a traced graph with tf.experimental.numpy (which types Python floats as float64), every formula
    keeps the step's float32 and equals numpy."""
    tf = pytest.importorskip("tensorflow")
    evaluate = tf.function(lambda steps: schedule.lr(steps, tf.experimental.numpy))
    values = evaluate(tf.constant(STEPS, dtype=tf.int64))
    assert values.dtype == tf.float32
    assert_float32_close(values.numpy(), schedule(STEPS))
