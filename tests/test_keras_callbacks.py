"""lrlib.keras callbacks, optimizers and history helpers, checked on tiny Keras 3 models.

The momentum tests train one weight with a constant gradient and compare its whole trajectory with the one the
optimizer's update formula predicts from the schedule: a momentum that stayed baked into the compiled train step
would follow a different trajectory.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

import lrlib  # noqa: E402
from lrlib.keras import (  # noqa: E402
    SGD,
    Adam,
    CyclicLR,
    OneCycle,
    ScheduleCallback,
)
from lrlib.course import concatenate_histories  # noqa: E402

GRADIENT = 2.0  # d loss / d w for the one-weight model below
W0 = 1.0


def one_weight_model(optimizer):
    """``y = w * x`` trained with mean absolute error against far-away targets: the gradient is always ``x``."""
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(W0))]
    )
    model.compile(optimizer=optimizer, loss="mean_absolute_error")
    return model


class WeightTrace(keras.callbacks.Callback):
    """The weight after every batch."""

    def on_train_begin(self, logs=None):
        self.weights = []

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append(float(self.model.layers[0].kernel.numpy().ravel()[0]))


def fit_one_weight(optimizer, callback, steps):
    model = one_weight_model(optimizer)
    x = np.full((steps, 1), GRADIENT, dtype="float32")
    y = np.full((steps, 1), -1e4, dtype="float32")
    trace = WeightTrace()
    model.fit(x, y, batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[callback, trace])
    return np.array(trace.weights)


def sgd_trajectory(lrs, momenta, nesterov=False):
    """Keras's SGD: ``v = m * v - lr * g``; ``w += v`` (Nesterov: ``w += m * v - lr * g``)."""
    w, v, out = W0, 0.0, []
    for lr, m in zip(lrs, momenta):
        v = m * v - lr * GRADIENT
        w += m * v - lr * GRADIENT if nesterov else v
        out.append(w)
    return np.array(out)


def adam_trajectory(lrs, beta1s, beta_2=0.999, epsilon=1e-7):
    """Keras's Adam with the current beta_1 in the bias correction ``1 - beta_1 ** (t + 1)``."""
    w, m, v, out = W0, 0.0, 0.0, []
    for t, (lr, b1) in enumerate(zip(lrs, beta1s)):
        m += (GRADIENT - m) * (1 - b1)
        v += (GRADIENT**2 - v) * (1 - beta_2)
        alpha = lr * np.sqrt(1 - beta_2 ** (t + 1)) / (1 - b1 ** (t + 1))
        w -= alpha * m / (np.sqrt(v) + epsilon)
        out.append(w)
    return np.array(out)


STEPS = 24
ONE_CYCLE = lrlib.one_cycle(0.05, STEPS, base_momentum=0.3, max_momentum=0.95)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_cycling_changes_the_compiled_update(nesterov):
    t = np.arange(STEPS)
    lrs, momenta = ONE_CYCLE(t), ONE_CYCLE.momentum(t)
    weights = fit_one_weight(SGD(0.01, momentum=0.9, nesterov=nesterov), ScheduleCallback(ONE_CYCLE), STEPS)
    expected = sgd_trajectory(lrs, momenta, nesterov)
    baked = sgd_trajectory(lrs, np.full(STEPS, momenta[0]), nesterov)
    assert np.abs(expected - baked).max() > 0.01  # 1000x the tolerance: cycled differs from frozen
    np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-6)


def test_adam_beta_1_cycling_changes_the_compiled_update():
    t = np.arange(STEPS)
    lrs, beta1s = ONE_CYCLE(t), ONE_CYCLE.momentum(t)
    weights = fit_one_weight(Adam(0.01), ScheduleCallback(ONE_CYCLE), STEPS)
    expected = adam_trajectory(lrs, beta1s)
    baked = adam_trajectory(lrs, np.full(STEPS, 0.9))
    assert np.abs(expected - baked).max() > 0.01
    np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_stock_optimizer_refuses_to_cycle_momentum_but_follows_the_lr(name):
    optimizer = getattr(keras.optimizers, name)(0.01)
    replacement = f"lrlib.keras.{name}"
    with pytest.raises(TypeError, match=replacement):
        fit_one_weight(optimizer, ScheduleCallback(ONE_CYCLE), 4)
    with pytest.raises(TypeError, match="cycle_momentum=False"):
        fit_one_weight(optimizer, OneCycle(0.05, total_steps=4), 4)
    if name == "SGD":
        callback = ScheduleCallback(ONE_CYCLE, cycle_momentum=False)
        weights = fit_one_weight(keras.optimizers.SGD(0.01, momentum=0.9), callback, STEPS)
        np.testing.assert_allclose(weights, sgd_trajectory(ONE_CYCLE(np.arange(STEPS)), [0.9] * STEPS), rtol=1e-5)


def test_lr_schedule_optimizer_is_refused():
    optimizer = keras.optimizers.SGD(lrlib.keras.schedule(lrlib.cosine(0.1, 10)))
    with pytest.raises(TypeError, match="float learning_rate"):
        fit_one_weight(optimizer, ScheduleCallback(lrlib.cosine(0.1, 10)), 2)


# ---------------------------------------------------------------------- data sources

X = np.random.default_rng(0).random((40, 3)).astype("float32")
Y = X.sum(axis=1, keepdims=True)
BATCH, EPOCHS = 8, 3
STEPS_PER_EPOCH = len(X) // BATCH


def small_model(optimizer):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def batches():
    while True:
        for i in range(0, len(X), BATCH):
            yield X[i : i + BATCH], Y[i : i + BATCH]


DATA = {
    "numpy": lambda: ((X, Y), {"batch_size": BATCH}),
    "tf.data": lambda: ((tf.data.Dataset.from_tensor_slices((X, Y)).batch(BATCH),), {"shuffle": False}),
    "generator": lambda: ((batches(),), {"steps_per_epoch": STEPS_PER_EPOCH, "shuffle": False}),
}
CALLBACKS = {
    "schedule": (lambda: ScheduleCallback(lrlib.cosine(0.05, 12, warmup_steps=3)),
                 lrlib.cosine(0.05, 12, warmup_steps=3)),
    "cyclic": (lambda: CyclicLR(0.005, 0.05, 3, mode="triangular2", base_momentum=0.8, max_momentum=0.95),
               lrlib.cyclic(0.005, 0.05, 3, mode="triangular2", base_momentum=0.8, max_momentum=0.95)),
    "one_cycle": (lambda: OneCycle(0.05), lrlib.one_cycle(0.05, EPOCHS * STEPS_PER_EPOCH)),
}


@pytest.mark.parametrize("source", list(DATA))
def test_callbacks_follow_their_schedule_with_every_data_source(source):
    model = small_model(SGD(0.01, momentum=0.9))
    for make_callback, schedule in CALLBACKS.values():
        args, kwargs = DATA[source]()
        callback = make_callback()
        history = model.fit(*args, epochs=EPOCHS, verbose=0, callbacks=[callback], **kwargs)
        check_follows(callback, history, schedule)


def check_follows(callback, history, schedule):
    t = np.arange(EPOCHS * STEPS_PER_EPOCH)
    log = callback.batch_log
    np.testing.assert_array_equal(log.steps, t)
    np.testing.assert_array_equal(log.epochs, t // STEPS_PER_EPOCH)
    np.testing.assert_allclose(log.lrs, schedule(t), rtol=1e-12)
    assert np.isfinite(log.losses).all()
    last = t[STEPS_PER_EPOCH - 1 :: STEPS_PER_EPOCH]
    np.testing.assert_allclose(history.history["learning_rate"], schedule(last), rtol=1e-12)
    if schedule.has_momentum:
        np.testing.assert_allclose(log.momenta, schedule.momentum(t), rtol=1e-12)
        np.testing.assert_allclose(history.history["momentum"], schedule.momentum(last), rtol=1e-12)
    else:
        assert np.isnan(log.momenta).all() and "momentum" not in history.history


def test_per_epoch_and_resume_with_initial_epoch():
    schedule = lrlib.cosine(0.05, 4)
    callback = ScheduleCallback(schedule, per="epoch")
    model = small_model(SGD(0.01))
    first = model.fit(X, Y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[callback])
    second = model.fit(X, Y, batch_size=BATCH, epochs=4, initial_epoch=2, verbose=0, callbacks=[callback])
    lrs = first.history["learning_rate"] + second.history["learning_rate"]
    np.testing.assert_allclose(lrs, schedule(np.arange(4)), rtol=1e-12)
    np.testing.assert_allclose(callback.batch_log.lrs, np.repeat(schedule(np.arange(4)), STEPS_PER_EPOCH), rtol=1e-12)
    np.testing.assert_allclose(float(model.optimizer.learning_rate.numpy()), schedule(3), rtol=1e-6)

    per_batch = ScheduleCallback(lrlib.cosine(0.05, 20))
    model.fit(X, Y, batch_size=BATCH, epochs=4, initial_epoch=2, verbose=0, callbacks=[per_batch])
    resumed_t = np.arange(10, 20)  # the schedule resumes at epoch * steps_per_epoch + batch
    np.testing.assert_allclose(per_batch.batch_log.lrs, per_batch.schedule(resumed_t), rtol=1e-12)
    np.testing.assert_array_equal(per_batch.batch_log.steps, np.arange(10))  # the batches this callback saw
    np.testing.assert_array_equal(per_batch.batch_log.epochs, np.repeat([2, 3], STEPS_PER_EPOCH))


def test_one_cycle_needs_known_steps_and_restarts_per_fit():
    model = small_model(SGD(0.01, momentum=0.9))
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(batches(), epochs=2, shuffle=False, verbose=0, callbacks=[OneCycle(0.05)])
    callback = OneCycle(0.05, cycle_momentum=False)
    model.fit(X, Y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[callback])
    assert callback.schedule == lrlib.one_cycle(0.05, 2 * STEPS_PER_EPOCH)
    assert np.all(np.isnan(callback.batch_log.momenta[: 2 * STEPS_PER_EPOCH]))  # momentum left alone
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[callback])  # a second, shorter cycle
    assert callback.schedule.get_config()["total_steps"] == STEPS_PER_EPOCH
    np.testing.assert_allclose(callback.batch_log.lrs[-STEPS_PER_EPOCH:], callback.schedule(np.arange(5)))


def test_steps_per_execution_and_loss_scale_optimizer():
    """Keras calls back once per execution of k steps; a LossScaleOptimizer is looked through."""
    callback = OneCycle(0.05)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.LossScaleOptimizer(SGD(0.01, momentum=0.9)), loss="mse",
                  steps_per_execution=2)
    model.fit(X, Y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[callback])
    starts = np.arange(0, 2 * STEPS_PER_EPOCH, 2)
    starts = np.concatenate([starts[starts < STEPS_PER_EPOCH], STEPS_PER_EPOCH + starts[starts < STEPS_PER_EPOCH]])
    lasts = np.minimum(starts + 1, starts // STEPS_PER_EPOCH * STEPS_PER_EPOCH + STEPS_PER_EPOCH - 1)
    np.testing.assert_array_equal(callback.batch_log.steps, lasts)  # a row stands for the last batch of the two
    np.testing.assert_allclose(callback.batch_log.lrs, callback.schedule(starts), rtol=1e-12)  # set at the first
    inner = model.optimizer.inner_optimizer
    np.testing.assert_allclose(float(inner.momentum.numpy()), callback.schedule.momentum(starts[-1]), rtol=1e-6)


# ---------------------------------------------------------------------- CyclicLR formulas

def test_amplitude_function_reproduces_the_torch_modes():
    """scale_fn follows torch's convention (1-based cycle, or the step): the built-in modes are special cases."""
    momentum = dict(base_momentum=0.8, max_momentum=0.9)
    pairs = [
        (CyclicLR(0.01, 0.1, 5, scale_fn=lambda c: 0.5 ** (c - 1), base_momentum=0.8, max_momentum=0.9),
         lrlib.cyclic(0.01, 0.1, 5, mode="triangular2", **momentum)),
        (CyclicLR(0.02, 0.3, 4, 7, scale_fn=lambda t: 0.99**t, scale_mode="iterations", base_momentum=0.8, max_momentum=0.9),
         lrlib.cyclic(0.02, 0.3, 4, 7, mode="exp_range", gamma=0.99, **momentum)),
    ]
    t = np.arange(200)
    for callback, reference in pairs:
        run = callback.dry_run(200)
        np.testing.assert_allclose(run["lr"], reference(t), rtol=1e-12)
        np.testing.assert_allclose(run["momentum"], reference.momentum(t), rtol=1e-12)
        assert [callback.schedule(int(step)) for step in t[:30]] == pytest.approx(run["lr"][:30], rel=1e-12)


def test_amplitude_function_scales_each_cycle():
    """keras_one_cycle_clr's README example: each cycle's swing a third of the one before."""
    run = CyclicLR(0.01, 0.1, 5, scale_fn=lambda c: (1 / 3) ** (c - 1), base_momentum=0.85, max_momentum=0.95).dry_run(60)
    swing = np.arange(6)
    np.testing.assert_allclose(run["lr"][5::10] - 0.01, 0.09 / 3.0**swing, rtol=1e-12)
    np.testing.assert_allclose(0.95 - run["momentum"][5::10], 0.1 / 3.0**swing, rtol=1e-12)
    np.testing.assert_allclose(run["lr"][::10], 0.01, rtol=1e-12)


@pytest.mark.parametrize("decay_type", ["exp", "linear"])
def test_cyclic_decaying_max_lr_is_lrlib_cyclic(decay_type):
    """The decaying max LR is lrlib.cyclic's (its formula is tested in test_schedules_cyclic_scale.py)."""
    arguments = dict(decay_every=2, decay=0.4, decay_type=decay_type)
    callback = CyclicLR(0.01, 0.1, 4, base_momentum=0.85, max_momentum=0.95, **arguments)
    reference = lrlib.cyclic(0.01, 0.1, 4, base_momentum=0.85, max_momentum=0.95, **arguments)
    assert callback.schedule == reference
    run = callback.dry_run(80)
    np.testing.assert_allclose(run["lr"], reference(np.arange(80)), rtol=1e-12)
    np.testing.assert_allclose(run["momentum"], reference.momentum(np.arange(80)), rtol=1e-12)


def test_plain_cyclic_is_lrlib_cyclic():
    callback = CyclicLR(0.01, 0.1, 5, mode="exp_range", gamma=0.99)
    assert callback.schedule == lrlib.cyclic(0.01, 0.1, 5, mode="exp_range", gamma=0.99)


def test_dry_run_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    callback = OneCycle(0.1, base_momentum=0.85, max_momentum=0.95)
    run = callback.dry_run(100)
    reference = lrlib.one_cycle(0.1, 100)
    np.testing.assert_allclose(run["lr"], reference(np.arange(100)))
    np.testing.assert_allclose(run["momentum"], reference.momentum(np.arange(100)))
    ax = callback.plot(100)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), run["lr"])
    momentum_axes = [other for other in ax.figure.axes if other is not ax]
    np.testing.assert_allclose(momentum_axes[0].get_lines()[0].get_ydata(), run["momentum"])
    with pytest.raises(ValueError, match="steps"):
        callback.dry_run()
    assert len(OneCycle(0.1, total_steps=50).dry_run()["lr"]) == 50


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: ScheduleCallback(lrlib.cosine(0.1, 10), per="step"), "per"),
        (lambda: CyclicLR(0.1, 0.01, 5), "max_lr"),
        (lambda: CyclicLR(0.01, 0.1, 0), "step_size"),
        (lambda: CyclicLR(0.01, 0.1, 5, mode="sine"), "mode"),
        (lambda: CyclicLR(0.01, 0.1, 5, mode="triangular2", scale_fn=lambda c: 1.0), "mode"),
        (lambda: CyclicLR(0.01, 0.1, 5, scale_fn=0.5), "scale_fn"),
        (lambda: CyclicLR(0.01, 0.1, 5, scale_fn=lambda c: 1.0, scale_mode="epoch"), "scale_mode"),
        (lambda: CyclicLR(0.01, 0.1, 5, decay_every=0), "decay_every"),
        (lambda: CyclicLR(0.01, 0.1, 5, decay_every=1, decay=1.5), "decay"),
        (lambda: CyclicLR(0.01, 0.1, 5, decay_every=1, decay_type="log"), "decay_type"),
        (lambda: CyclicLR(0.01, 0.1, 5, base_momentum=0.9, max_momentum=0.8), "momentum"),
        (lambda: CyclicLR(0.01, 0.1, 5, base_momentum=0.9), "momentum"),
        (lambda: OneCycle(-0.1), "max_lr"),
        (lambda: OneCycle(0.1, total_steps=1), "total_steps"),
        (lambda: OneCycle(0.1, pct_start=1.5), "pct_start"),
        (lambda: OneCycle(0.1, base_momentum=0.85, max_momentum=1.2), "momentum"),
        (lambda: OneCycle(0.1).dry_run(0), "steps"),
        (lambda: SGD(0.1, momentum=1.5), "momentum"),
        (lambda: Adam(0.1, beta_1=1.0), "beta_1"),
    ],
)
def test_bad_arguments_name_the_argument(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize("flag", ["yes", None, 1])
def test_cycle_momentum_must_be_a_bool_as_in_the_torch_scheduler(flag):
    with pytest.raises(TypeError, match="cycle_momentum must be a bool"):
        ScheduleCallback(ONE_CYCLE, cycle_momentum=flag)


def test_cycle_momentum_true_on_a_schedule_without_momentum_drives_the_lr_only_as_in_torch():
    callback = ScheduleCallback(lrlib.cosine(0.1, 10), cycle_momentum=True)
    fit_one_weight(keras.optimizers.SGD(0.01), callback, 6)  # a stock SGD: no momentum is asked of it
    np.testing.assert_allclose(callback.batch_log.lrs, lrlib.cosine(0.1, 10)(np.arange(6)))


@pytest.mark.parametrize("not_a_schedule", [0.1, None])
def test_schedule_must_be_callable(not_a_schedule):
    with pytest.raises(TypeError, match=r"schedule must be a schedule: .* any callable step -> lr"):
        ScheduleCallback(not_a_schedule)


# ---------------------------------------------------------------------- optimizers

def test_lrlib_optimizers_save_and_load_with_their_momentum(tmp_path):
    for optimizer, name in [(SGD(0.05, momentum=0.9, nesterov=True), "momentum"), (Adam(0.01, beta_1=0.9), "beta_1")]:
        model = small_model(optimizer)
        model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0)
        setattr(optimizer, name, 0.7)
        model.save(tmp_path / "model.keras")
        loaded = keras.models.load_model(tmp_path / "model.keras")
        assert type(loaded.optimizer) is type(optimizer)
        assert float(getattr(loaded.optimizer, name).numpy()) == pytest.approx(0.7)
        assert loaded.optimizer.get_config() == optimizer.get_config()
        for ours, theirs in zip(optimizer.variables, loaded.optimizer.variables):
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_assigning_momentum_after_compilation_is_real():
    optimizer = SGD(0.1, momentum=0.0)
    model = one_weight_model(optimizer)
    x, y = np.full((4, 1), GRADIENT, "float32"), np.full((4, 1), -1e4, "float32")
    model.fit(x[:1], y[:1], batch_size=1, verbose=0)  # traces the train step with momentum 0
    optimizer.momentum = 0.5
    trace = WeightTrace()
    model.fit(x, y, batch_size=1, shuffle=False, verbose=0, callbacks=[trace])
    # velocity after the first step is -0.1 * g; then v = 0.5 v - 0.1 g
    v, w, expected = -0.1 * GRADIENT, W0 - 0.1 * GRADIENT, []
    for _ in range(4):
        v = 0.5 * v - 0.1 * GRADIENT
        w += v
        expected.append(w)
    np.testing.assert_allclose(trace.weights, expected, rtol=1e-5)


def test_every_keras_recorder_numbers_batches_alike_across_fits_and_executions():
    from lrlib.keras import BatchLogger

    model = small_model(SGD(0.01))
    callback, logger = ScheduleCallback(lrlib.constant(0.01)), BatchLogger()
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[callback, logger])
    model.compile(SGD(0.01), "mse", steps_per_execution=3)  # one callback per 3 batches
    model.fit(X, Y, batch_size=BATCH, epochs=3, initial_epoch=1, verbose=0, callbacks=[callback, logger])
    expected = [0, 1, 2, 3, 4, 7, 9, 12, 14]  # 5 batches, then per epoch the last of batches 0-2 and 3-4
    np.testing.assert_array_equal(logger.log.steps, expected)
    np.testing.assert_array_equal(callback.batch_log.steps, expected)
    np.testing.assert_array_equal(callback.batch_log.epochs, logger.log.epochs)


# ------------------------------------------- histories of successive fits, joined (a course helper)

def test_concatenate_histories():
    model = small_model(SGD(0.01))
    first = model.fit(X, Y, batch_size=BATCH, epochs=2, verbose=0, validation_data=(X, Y))
    second = model.fit(X, Y, batch_size=BATCH, epochs=5, initial_epoch=2, verbose=0,
                       callbacks=[ScheduleCallback(lrlib.constant(0.01), per="epoch")])
    joined = concatenate_histories([first, second])
    assert joined.epoch == [0, 1, 2, 3, 4]
    assert joined.history["loss"] == first.history["loss"] + second.history["loss"]
    assert joined.history["val_loss"][:2] == first.history["val_loss"]
    assert np.isnan(joined.history["val_loss"][2:]).all() and np.isnan(joined.history["learning_rate"][:2]).all()
    assert concatenate_histories([first, second], reindex_epoch=False).epoch == [0, 1, 2, 3, 4]
    assert concatenate_histories([second, second], reindex_epoch=False).epoch == [2, 3, 4, 2, 3, 4]
    assert concatenate_histories([{"loss": [3.0, 2.0]}, {"loss": [1.0]}]).history == {"loss": [3.0, 2.0, 1.0]}
    for bad in ([], first, [first, 3], [{"loss": [1.0], "val_loss": []}]):
        with pytest.raises(ValueError, match="histories"):
            concatenate_histories(bad)


# --- the open schedule contract ---------------------------------------------------------------------------------


def test_schedule_callback_follows_a_plain_callable_exactly():
    function = lambda t: 0.01 * 0.9**t if t % 2 else 0.002  # noqa: E731
    callback = ScheduleCallback(function)
    fit_one_weight(keras.optimizers.SGD(0.1), callback, 12)
    assert callback.batch_log.lrs.tolist() == [function(t) for t in range(12)]


def test_keras_schedule_refuses_a_python_step_function_and_says_what_to_use():
    from lrlib.keras import schedule

    with pytest.raises(TypeError, match=r"Python function .* cannot evaluate inside its compiled train step.*"
                                        r"lrlib\.keras\.ScheduleCallback"):
        schedule(lrlib.warmup(lambda t: 0.1, 5))


def test_schedule_callback_logs_each_batchs_own_loss_like_the_batch_logger():
    from lrlib.keras import BatchLogger

    model = small_model(keras.optimizers.SGD(0.01))
    callback, logger = ScheduleCallback(lrlib.cosine(0.05, 3 * STEPS_PER_EPOCH)), BatchLogger()
    model.fit(X, Y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0, callbacks=[callback, logger])
    np.testing.assert_allclose(callback.batch_log.losses, logger.log.losses, rtol=1e-6)
    np.testing.assert_allclose(callback.batch_log.lrs, logger.log.lrs, rtol=1e-6)
