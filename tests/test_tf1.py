"""lrlib.course.tf1: TF1 schedules read off a graph agree with lrlib's, and the mini-batches are exact epochs."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

import lrlib  # noqa: E402
import lrlib.course.tf1  # noqa: E402


def cond_step(step):
    return tf.cond(step < 7, lambda: 0.1, lambda: 0.01)


def test_lr_values_of_tf1_schedules_match_lrlib():
    def staircase(step):
        return tf.compat.v1.train.exponential_decay(0.1, step, 7, 0.1, staircase=True)

    def smooth(step):
        return tf.compat.v1.train.exponential_decay(0.1, step, 7, 0.1)

    t = np.arange(20)
    np.testing.assert_allclose(lrlib.course.tf1.lr_values(staircase, 20), lrlib.step(0.1, 7)(t), rtol=1e-6)
    np.testing.assert_allclose(lrlib.course.tf1.lr_values(cond_step, 20), lrlib.multistep(0.1, [7])(t), rtol=1e-6)
    np.testing.assert_allclose(lrlib.course.tf1.lr_values(smooth, 20), 0.1 * 0.1 ** (t / 7), rtol=1e-6)


def test_lr_values_reads_a_keras_schedule_and_leaves_eager_mode_on():
    keras = pytest.importorskip("keras")
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([6], [0.1, 0.01])
    np.testing.assert_allclose(lrlib.course.tf1.lr_values(schedule, 20), lrlib.course.tf1.lr_values(cond_step, 20))
    assert tf.executing_eagerly()


def test_batch_indices_cover_each_epoch_once_and_repeat_with_the_seed():
    batches = lrlib.course.tf1.batch_indices(10, 4, 5, seed=3)
    assert [len(b) for b in batches] == [4] * 5
    flat = np.concatenate(batches)
    assert sorted(flat[:10]) == list(range(10)) and sorted(flat[10:20]) == list(range(10))
    again = lrlib.course.tf1.batch_indices(10, 4, 5, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))
    other = lrlib.course.tf1.batch_indices(10, 4, 5, seed=4)
    assert not all(np.array_equal(a, b) for a, b in zip(batches, other))


@pytest.mark.parametrize("name, call", [
    ("steps", lambda: lrlib.course.tf1.lr_values(cond_step, 0)),
    ("n", lambda: lrlib.course.tf1.batch_indices(0, 4, 5)),
    ("batch_size", lambda: lrlib.course.tf1.batch_indices(10, 2.5, 5)),
    ("steps", lambda: lrlib.course.tf1.batch_indices(10, 4, True)),
])
def test_bad_arguments_are_named(name, call):
    with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
        call()
