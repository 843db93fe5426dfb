"""The Keras 3 LR range test: per-batch losses, the sweep applied, bit-for-bit restore, data kinds, weight decay.

References: losses recomputed from the model's weights before each step, Keras's own schedules and
``evaluate``, the decoupled weight-decay formula, a twin model that never saw the range test.
"""

import itertools
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from lrlib.batch_log import BatchLog  # noqa: E402
from lrlib.keras import BatchLogger, LRRangeTest, epochs_for_sweep, lr_find, weight_decay_grid  # noqa: E402
from lrlib.keras._lr_find import WeightDecayGrid, _ValidationLoss, _weight_decay  # noqa: E402
from lrlib.lr_finder import RangeTest, Sweep  # noqa: E402

N, BATCH = 40, 16  # 3 batches per epoch: 16, 16 and a short one of 8
RNG = np.random.default_rng(0)
X = RNG.normal(size=(N, 4)).astype("float32")
Y = (X @ RNG.normal(size=(4, 1)) + 0.1 * RNG.normal(size=(N, 1))).astype("float32")


def make_model(optimizer=None, seed=0, with_input=True, dropout=None):
    keras.utils.set_random_seed(seed)
    layers = [keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    if dropout:
        layers.insert(1, keras.layers.Dropout(dropout))  # its random state is part of model.variables
    model = keras.Sequential(([keras.Input((4,))] if with_input else []) + layers)
    model.compile(optimizer or keras.optimizers.SGD(0.01, momentum=0.9), "mse")
    return model


def state(model):
    """Every model variable and every optimizer variable, copied."""
    return [np.array(v.numpy(), copy=True) for v in model.variables + model.optimizer.variables]


def assert_same_state(before, model):
    after = state(model)
    assert len(after) == len(before)
    for a, b in zip(before, after):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def warmed_up(optimizer=None):
    """A model whose optimizer state is built and non-zero, so restoring it is a real test."""
    model = make_model(optimizer)
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0)
    return model


def batches_forever():
    while True:
        for i in range(0, N, BATCH):
            yield X[i : i + BATCH], Y[i : i + BATCH]


class Batches(keras.utils.PyDataset):
    def __len__(self):
        return math.ceil(N / BATCH)

    def __getitem__(self, i):
        return X[i * BATCH : (i + 1) * BATCH], Y[i * BATCH : (i + 1) * BATCH]


def dataset():
    return tf.data.Dataset.from_tensor_slices((X, Y)).batch(BATCH)


class StepCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1


# --------------------------------------------------------------------------- per-batch loss and LR


class LossBeforeStep(keras.callbacks.Callback):
    """Reference: the loss of each batch from the weights it is trained on, and what ``logs`` reports."""

    def __init__(self):
        super().__init__()
        self.losses, self.logged = [], []

    def on_train_batch_begin(self, batch, logs=None):
        xb, yb = X[batch * BATCH : (batch + 1) * BATCH], Y[batch * BATCH : (batch + 1) * BATCH]
        pred = keras.ops.convert_to_numpy(self.model(xb))
        self.losses.append(float(np.mean((pred.astype(np.float64) - yb) ** 2)))

    def on_train_batch_end(self, batch, logs=None):
        self.logged.append(float(logs["loss"]))


def test_batch_logger_records_each_batchs_own_loss_lr_and_momentum():
    model = make_model(keras.optimizers.SGD(0.05, momentum=0.8))
    reference, logger = LossBeforeStep(), BatchLogger()
    model.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0, callbacks=[reference, logger])
    assert len(logger.log) == 6
    np.testing.assert_allclose(logger.log.losses, reference.losses, rtol=1e-5)
    assert not np.allclose(reference.logged, reference.losses, rtol=1e-3)  # logs["loss"] is the running mean
    np.testing.assert_array_equal(logger.log.epochs, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(logger.log.steps, np.arange(6))
    np.testing.assert_allclose(logger.log.lrs, 0.05, rtol=1e-7)
    np.testing.assert_allclose(logger.log.momenta, 0.8, rtol=1e-7)


def test_batch_logger_steps_count_batches_across_fits_and_executions():
    model, logger = make_model(), BatchLogger()
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[logger])
    model.compile(keras.optimizers.SGD(0.01), "mse", steps_per_execution=3)  # one callback per 3 batches
    model.fit(X, Y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[logger])
    np.testing.assert_array_equal(logger.log.steps, [0, 1, 2, 5, 8])
    np.testing.assert_array_equal(logger.log.epochs, [0, 0, 0, 0, 1])


@pytest.mark.parametrize(
    "optimizer, momentum",
    [(lambda: keras.optimizers.Adam(1e-3, beta_1=0.85), 0.85), (lambda: keras.optimizers.Adagrad(0.1), None)],
)
def test_batch_logger_momentum_is_adams_beta_1_and_absent_without_one(optimizer, momentum, tmp_path):
    model, logger = make_model(optimizer()), BatchLogger()
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[logger])
    if momentum is None:
        assert np.isnan(logger.log.momenta).all()
    else:
        np.testing.assert_allclose(logger.log.momenta, momentum, rtol=1e-7)
    for name in ("log.csv", "log.json"):
        logger.save(tmp_path / name)
        assert BatchLog.load(tmp_path / name) == logger.log


def test_batch_logger_follows_a_one_cycle_of_lr_and_momentum():
    """Reference: the lrlib schedule that lrlib.keras.OneCycle drives (momentum held in an lrlib.keras.SGD variable)."""
    from lrlib.keras import SGD, OneCycle

    model, cycle, logger = make_model(SGD(0.01, momentum=0.9)), OneCycle(0.5, base_momentum=0.85, max_momentum=0.95), BatchLogger()
    model.fit(X, Y, batch_size=BATCH, epochs=4, verbose=0, callbacks=[cycle, logger])
    steps = np.arange(12)
    np.testing.assert_allclose(logger.log.lrs, cycle.schedule(steps), rtol=1e-6)
    np.testing.assert_allclose(logger.log.momenta, cycle.schedule.momentum(steps), rtol=1e-6)


def test_range_test_trains_each_batch_at_the_sweeps_lr_and_stops_after_num_iter():
    model = make_model()
    sweep = LRRangeTest(1e-4, 1e-1, 12, sweep=Sweep(diverge=None))
    logger = BatchLogger()
    epochs = epochs_for_sweep(12, X, BATCH)
    model.fit(X, Y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[sweep, logger])
    assert epochs == 4 and len(logger.log) == 12  # stopped inside the last epoch
    np.testing.assert_allclose(logger.log.lrs, RangeTest(1e-4, 1e-1, 12).lrs, rtol=1e-6)
    result = sweep.result()
    np.testing.assert_allclose(result.losses, logger.log.losses, rtol=1e-6)
    assert len(result.lrs) == 12 and result.suggestion is not None
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


# --------------------------------------------------------------------------- restore, per kind of data


@pytest.mark.parametrize("kind", ["arrays", "tf.data", "generator"])
def test_callback_in_fit_restores_every_variable_bit_for_bit(kind):
    model = warmed_up(keras.optimizers.Adam(1e-3))
    before = state(model)
    callback, counter = LRRangeTest(1e-5, 1.0, 10, sweep=Sweep(diverge=None)), StepCounter()
    if kind == "arrays":
        fit_args = dict(x=X, y=Y, batch_size=BATCH, epochs=epochs_for_sweep(10, X, BATCH))
    elif kind == "tf.data":
        fit_args = dict(x=dataset(), epochs=epochs_for_sweep(10, dataset()))
    else:
        fit_args = dict(x=batches_forever(), steps_per_epoch=3, epochs=epochs_for_sweep(10, steps_per_epoch=3))
    model.fit(**fit_args, verbose=0, callbacks=[callback, counter])
    assert counter.steps == 10 and len(callback.result().lrs) == 10
    assert_same_state(before, model)


@pytest.mark.parametrize("kind", ["arrays", "tf.data", "pydataset", "generator"])
def test_lr_find_restores_every_variable_bit_for_bit(kind):
    model = warmed_up()
    before = state(model)
    x = {"arrays": X, "tf.data": dataset(), "pydataset": Batches(), "generator": batches_forever()}[kind]
    y = Y if kind == "arrays" else None
    result = lr_find(model, x, y, batch_size=BATCH, start_lr=1e-5, end_lr=1.0, num_iter=10)
    assert 1 <= len(result.lrs) <= 10 and np.isfinite(result.losses[0])
    assert_same_state(before, model)


def mixed_precision_model():
    keras.utils.set_random_seed(0)
    layers = [keras.Input((4,)), keras.layers.Dense(8, activation="relu", dtype="mixed_float16"), keras.layers.Dense(1)]
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.01, momentum=0.9)), "mse")
    return model


@pytest.mark.parametrize("variant", ["mixed precision", "lrlib.keras.SGD"])
def test_restores_loss_scaling_and_variable_momentum_optimizers(variant):
    from lrlib.keras import SGD

    model = mixed_precision_model() if variant == "mixed precision" else make_model(SGD(0.01, momentum=0.9))
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0)
    before = state(model)
    callback, logger = LRRangeTest(1e-4, 1e-1, 10, sweep=Sweep(diverge=None)), BatchLogger()
    model.fit(X, Y, batch_size=BATCH, epochs=4, verbose=0, callbacks=[callback, logger])
    np.testing.assert_allclose(logger.log.lrs, callback.result().lrs, rtol=1e-6)
    assert len(callback.result().lrs) == 10
    assert_same_state(before, model)


def test_diverging_sweep_stops_early_and_restores():
    model = warmed_up()
    before = state(model)
    callback, logger = LRRangeTest(1e-3, 1e4, 60), BatchLogger()
    model.fit(X, Y, batch_size=BATCH, epochs=epochs_for_sweep(60, X, BATCH), verbose=0, callbacks=[callback, logger])
    result = callback.result()
    assert result.diverged and len(result.lrs) < 60 and len(logger.log) == len(result.lrs)
    assert_same_state(before, model)


def test_unbuilt_model_and_optimizer_are_left_as_good_as_new():
    """lr_find builds an unbuilt model and its optimizer; afterwards training (with dropout, so the layers'
    random state matters) matches a twin that never swept."""
    swept = make_model(keras.optimizers.Adam(1e-2), with_input=False, dropout=0.5)
    twin = make_model(keras.optimizers.Adam(1e-2), with_input=False, dropout=0.5)
    twin(X[:BATCH])  # built like lr_find builds it, from the first batch
    lr_find(swept, X, Y, batch_size=BATCH, num_iter=10)
    assert int(swept.optimizer.iterations) == 0
    for model in (swept, twin):
        model.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    assert_same_state(state(twin), swept)


def test_lr_schedule_is_swapped_out_for_the_sweep_and_back_afterwards():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5)
    model, twin = make_model(keras.optimizers.SGD(schedule)), make_model(keras.optimizers.SGD(schedule))
    sweep_log = BatchLogger()
    sweep = LRRangeTest(1e-4, 1e-1, 10, sweep=Sweep(diverge=None))
    model.fit(X, Y, batch_size=BATCH, epochs=4, verbose=0, callbacks=[sweep, sweep_log])
    np.testing.assert_allclose(sweep_log.log.lrs, RangeTest(1e-4, 1e-1, 10).lrs, rtol=1e-6)
    after_log = BatchLogger()
    model.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0, callbacks=[after_log])
    twin.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(after_log.log.lrs, [float(schedule(i)) for i in range(6)], rtol=1e-6)
    assert_same_state(state(twin), model)


def test_gradient_accumulation_makes_a_step_of_k_batches():
    model = make_model(keras.optimizers.SGD(0.01, momentum=0.9, gradient_accumulation_steps=2))
    model.fit(X, Y, batch_size=BATCH, epochs=2, verbose=0)  # 6 batches: 3 whole steps, accumulators empty
    before = state(model)
    callback, logger = LRRangeTest(1e-4, 1e-1, 10, sweep=Sweep(diverge=None)), BatchLogger()
    model.fit(X, Y, batch_size=BATCH, epochs=7, shuffle=False, verbose=0, callbacks=[callback, logger])
    result = callback.result()
    assert len(result.lrs) == 10 and len(logger.log) == 20
    pairs = logger.log.losses.reshape(10, 2)
    np.testing.assert_allclose(result.losses, pairs.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(logger.log.lrs.reshape(10, 2), np.repeat(result.lrs[:, None], 2, axis=1), rtol=1e-6)
    assert_same_state(before, model)


# --------------------------------------------------------------------------- validation mode


def test_validation_loss_reads_the_same_first_batches_every_time_and_matches_evaluate():
    """As lrlib.torch.lr_find: fixed batches, so the curve moves only because the weights do."""
    model = make_model()
    x_val, y_val = X[:20], Y[:20]
    loss = _ValidationLoss(model, (x_val, y_val), batches=2, batch_size=8)
    expected = model.evaluate(x_val[:16], y_val[:16], batch_size=16, verbose=0)
    assert loss() == pytest.approx(expected, rel=1e-5) and loss() == pytest.approx(expected, rel=1e-5)
    model.layers[-1].kernel.assign(model.layers[-1].kernel * 0.5)
    assert loss() == pytest.approx(model.evaluate(x_val[:16], y_val[:16], batch_size=16, verbose=0), rel=1e-5)


@pytest.mark.parametrize("kind", ["arrays", "tf.data", "generator"])
def test_lr_find_validation_mode_never_runs_dry(kind):
    model = make_model()  # no momentum left over: the first step at a tiny LR barely moves the weights
    model.optimizer.build(model.trainable_variables)
    before = state(model)
    x_val, y_val = X[:16], Y[:16]  # 2 batches of 8, while the sweep needs 12 * 3
    val = {
        "arrays": (x_val, y_val),
        "tf.data": tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(8),
        "generator": ((x_val[i : i + 8], y_val[i : i + 8]) for i in (0, 8)),
    }[kind]
    result = lr_find(model, X, Y, batch_size=8, start_lr=1e-5, end_lr=1e-2, num_iter=12, sweep=Sweep(diverge=None),
                     validation_data=val, validation_batches=3)  # fmt: skip
    assert len(result.lrs) == 12
    assert_same_state(before, model)
    # The first point: the loss on batches 0, 1, 0 after one step at the smallest LR, about the starting loss.
    idx = np.arange(24) % 16
    assert result.losses[0] == pytest.approx(model.evaluate(x_val[idx], y_val[idx], verbose=0), rel=1e-3)


# --------------------------------------------------------------------------- weight decay


def test_weight_decay_changes_the_trained_weights_by_the_decoupled_formula():
    """Keras 3: ``w <- w - lr * wd * w`` then the gradient step; a baked-in trace would ignore the change."""
    lr, wd = 0.1, 0.5
    decayed, plain = make_model(keras.optimizers.SGD(lr)), make_model(keras.optimizers.SGD(lr))
    for model in (decayed, plain):
        model.fit(X, Y, batch_size=N, epochs=1, verbose=0)  # trace the train step without decay first
    w0 = [v.numpy() for v in decayed.trainable_weights]
    with _weight_decay(decayed, wd):
        decayed.fit(X, Y, batch_size=N, epochs=1, verbose=0)
    plain.fit(X, Y, batch_size=N, epochs=1, verbose=0)
    for a, b, w in zip(decayed.trainable_weights, plain.trainable_weights, w0):
        np.testing.assert_allclose(a.numpy(), b.numpy() - lr * wd * w, rtol=1e-5, atol=1e-7)
    assert decayed.optimizer.weight_decay is None
    plain.set_weights(decayed.get_weights())  # and without it again: the same step as a model without decay
    for model in (decayed, plain):
        model.fit(X, Y, batch_size=N, epochs=1, verbose=0)
    for a, b in zip(decayed.trainable_weights, plain.trainable_weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_weight_decay_grid_sweeps_with_the_real_weight_decay_and_restores():
    import matplotlib

    matplotlib.use("Agg")
    model = warmed_up(keras.optimizers.SGD(0.01, momentum=0.9, weight_decay=1e-5))
    before = state(model)
    options = dict(batch_size=BATCH, start_lr=1e-3, end_lr=1.0, num_iter=12, sweep=Sweep(diverge=None), shuffle=False,
                   validation_data=(X[:16], Y[:16]), validation_batches=2)  # fmt: skip
    grid = weight_decay_grid(model, X, Y, weight_decays=[0, 0.3], **options)
    assert isinstance(grid, WeightDecayGrid) and list(grid) == [0, 0.3]
    assert not np.allclose(grid[0].losses[4:], grid[0.3].losses[4:], rtol=1e-3)
    assert model.optimizer.weight_decay == 1e-5
    assert_same_state(before, model)
    # Reference: the same sweep on a copy, in the same state, compiled with weight_decay=0.3.
    reference = make_model(keras.optimizers.SGD(0.01, momentum=0.9, weight_decay=0.3))
    reference.optimizer.build(reference.trainable_variables)
    for variable, value in zip(reference.variables + reference.optimizer.variables, before, strict=True):
        variable.assign(value)
    np.testing.assert_allclose(lr_find(reference, X, Y, **options).losses, grid[0.3].losses, rtol=1e-5)
    ax = grid.plot()
    assert len(ax.get_lines()) >= 2 and ax.get_xscale() == "log"


# --------------------------------------------------------------------------- epochs for a sweep


@pytest.mark.parametrize("kind", ["arrays", "tf.data", "pydataset"])
def test_epochs_for_sweep_counts_the_batches_fit_runs(kind):
    x = {"arrays": X, "tf.data": dataset(), "pydataset": Batches()}[kind]
    counter = StepCounter()
    make_model().fit(x, Y if kind == "arrays" else None, batch_size=BATCH if kind == "arrays" else None,
                     epochs=1, verbose=0, callbacks=[counter])  # fmt: skip
    for num_iter in (1, counter.steps, counter.steps + 1, 100):
        assert epochs_for_sweep(num_iter, x, BATCH) == math.ceil(num_iter / counter.steps)


def test_epochs_for_sweep_needs_steps_per_epoch_without_a_length():
    with pytest.raises(ValueError, match="steps_per_epoch"):
        epochs_for_sweep(10, batches_forever())
    with pytest.raises(ValueError, match="steps_per_epoch"):
        epochs_for_sweep(10, dataset().repeat())
    assert epochs_for_sweep(10, batches_forever(), steps_per_epoch=4) == 3
    assert epochs_for_sweep(10, X, batch_size=None) == math.ceil(10 / math.ceil(N / 32))  # fit's default 32
    with pytest.raises(ValueError, match="empty"):
        epochs_for_sweep(10, X[:0])
    with pytest.raises(ValueError, match="num_iter"):
        epochs_for_sweep(0, X)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args, match",
    [
        ((1.0, 0.1, 20), "end_lr"),
        ((0.1, 0.1, 20), "end_lr"),
        ((1e-5, 1.0, 9), "num_iter"),
        ((0.0, 1.0, 20), "start_lr"),
    ],
)
def test_bad_sweep_arguments_fail_before_touching_the_model(args, match):
    with pytest.raises(ValueError, match=match):
        LRRangeTest(*args)
    model = make_model()
    model.optimizer.build(model.trainable_variables)
    before = state(model)
    with pytest.raises(ValueError, match=match):
        lr_find(model, X, Y, start_lr=args[0], end_lr=args[1], num_iter=args[2])
    assert_same_state(before, model)


def test_empty_data_is_an_error_naming_it():
    model = warmed_up()
    before = state(model)
    with pytest.raises(ValueError, match="empty"):
        lr_find(model, X[:0], Y[:0], num_iter=10)
    with pytest.raises(ValueError, match="empty"):
        lr_find(model, dataset().take(0), num_iter=10)
    with pytest.raises(ValueError, match="no batches"):  # fit itself runs zero steps on empty arrays
        model.fit(X[:0], Y[:0], epochs=1, verbose=0, callbacks=[LRRangeTest(num_iter=10)])
    assert_same_state(before, model)


def test_model_without_trainable_weights_is_an_error():
    model = warmed_up()
    model.trainable = False
    model.compile(keras.optimizers.SGD(0.01), "mse")
    before = state(model)
    with pytest.raises(ValueError, match="no trainable weights"):
        lr_find(model, X, Y, num_iter=10)
    assert_same_state(before, model)


def test_nan_loss_at_the_first_step_is_an_error_and_restores():
    model = warmed_up()
    before = state(model)
    y_nan = Y.copy()
    y_nan[:] = np.nan
    with pytest.raises(ValueError, match="first step"):
        lr_find(model, X, y_nan, batch_size=BATCH, num_iter=10)
    assert_same_state(before, model)


class Interrupt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 1:
            raise KeyboardInterrupt


def test_interrupt_or_error_mid_sweep_restores_and_propagates():
    def failing():
        yield from itertools.islice(batches_forever(), 5)
        raise RuntimeError("broken data")

    model = warmed_up()
    before = state(model)
    with pytest.raises(KeyboardInterrupt):
        lr_find(model, X, Y, batch_size=BATCH, num_iter=20, callbacks=[Interrupt()])
    assert_same_state(before, model)
    with pytest.raises(Exception, match="broken data"):  # TF wraps the generator's error
        lr_find(model, failing(), num_iter=20)
    assert_same_state(before, model)


def test_unbuilt_model_with_a_generator_and_steps_per_execution_are_errors():
    unbuilt = make_model(with_input=False)
    with pytest.raises(ValueError, match="not built"):
        lr_find(unbuilt, batches_forever(), num_iter=10)
    model = make_model()
    model.compile(keras.optimizers.SGD(0.01), "mse", steps_per_execution=2)
    with pytest.raises(ValueError, match="steps_per_execution"):
        lr_find(model, X, Y, num_iter=10)
