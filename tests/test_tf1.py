"""lrlib.tf1: TF1-style graph training in TF 2 (placeholder and tf.cond schedules agree with lrlib's)."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

import lrlib  # noqa: E402
import lrlib.tf1  # noqa: E402


def toy_data(n=64, dim=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0).astype(np.int64)
    return x, y


def cond_step(step):
    return tf.cond(step < 7, lambda: 0.1, lambda: 0.01)


ONE_DECAY = lrlib.multistep(0.1, [7], gamma=0.1)  # what cond_step computes


def placeholder(step):
    return tf.compat.v1.placeholder(tf.float32, [])


def test_lr_values_of_tf1_schedules_match_lrlib():
    staircase = lambda step: tf.compat.v1.train.exponential_decay(0.1, step, 7, 0.1, staircase=True)  # noqa: E731
    np.testing.assert_allclose(lrlib.tf1.lr_values(staircase, 20), lrlib.step(0.1, 7)(np.arange(20)), rtol=1e-6)
    np.testing.assert_allclose(lrlib.tf1.lr_values(cond_step, 20), ONE_DECAY(np.arange(20)), rtol=1e-6)


def test_placeholder_fed_training_equals_in_graph_schedule():
    data = toy_data()
    kwargs = dict(steps=20, batch_size=8, log_every=5, seed=3)
    in_graph = lrlib.tf1.train(lrlib.tf1.momentum_graph(cond_step, 12, num_classes=4, seed=1), data, data, **kwargs)
    fed = lrlib.tf1.train(lrlib.tf1.momentum_graph(placeholder, 12, num_classes=4, seed=1), data, data,
                          lr_feed=ONE_DECAY, **kwargs)
    np.testing.assert_allclose(in_graph["lr"], ONE_DECAY(np.arange(20)), rtol=1e-6)
    np.testing.assert_allclose(fed["lr"], in_graph["lr"], rtol=1e-6)
    np.testing.assert_allclose(fed["train_loss"], in_graph["train_loss"], rtol=1e-6)
    np.testing.assert_array_equal(in_graph["step"], [5, 10, 15, 20])


def test_training_lowers_the_loss():
    data = toy_data()
    log = lrlib.tf1.train(lrlib.tf1.momentum_graph(lambda s: tf.constant(0.05), 12, num_classes=4), data, data,
                          steps=60, batch_size=16, log_every=10)
    assert log["train_loss"][-1] < 0.7 * log["train_loss"][0]


def test_same_seed_same_run_and_other_seed_differs():
    data = toy_data()
    runs = [lrlib.tf1.train(lrlib.tf1.momentum_graph(cond_step, 12, num_classes=4, seed=s), data, data,
                            steps=10, log_every=5, seed=s) for s in (0, 0, 1)]
    np.testing.assert_array_equal(runs[0]["val_loss"], runs[1]["val_loss"])
    assert not np.array_equal(runs[0]["val_loss"], runs[2]["val_loss"])


def test_bad_arguments_are_named():
    data = toy_data()
    with pytest.raises(ValueError, match="lr_feed"):
        lrlib.tf1.train(lrlib.tf1.momentum_graph(placeholder, 12, num_classes=4), data, data, steps=5)
    with pytest.raises(ValueError, match="lr_feed"):
        lrlib.tf1.train(lrlib.tf1.momentum_graph(cond_step, 12, num_classes=4), data, data, steps=5,
                        lr_feed=lrlib.constant(0.1))
    with pytest.raises(ValueError, match="steps"):
        lrlib.tf1.train(lrlib.tf1.momentum_graph(cond_step, 12, num_classes=4), data, data, steps=0)
    with pytest.raises(ValueError, match="momentum"):
        lrlib.tf1.momentum_graph(cond_step, 12, momentum=1.0)
    with pytest.raises(ValueError, match="input_dim"):
        lrlib.tf1.momentum_graph(cond_step, 0)
    with pytest.raises(ValueError, match="steps"):
        lrlib.tf1.lr_values(cond_step, 0)
