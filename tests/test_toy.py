"""lrlib.course.toy: SGD on the noisy quadratic against its closed forms."""

import numpy as np
import pytest

import lrlib
from lrlib.course.toy import noise_floor, noisy_quadratic


def test_without_noise_it_is_gradient_descent():
    losses = noisy_quadratic(lambda t: 0.3, 20, copies=3, w0=2.0, noise=0.0)
    np.testing.assert_allclose(losses, 2.0**2 / 2 * 0.7 ** (2 * np.arange(20)), rtol=1e-12)


@pytest.mark.parametrize("lr", [0.05, 0.5, 1.2])
def test_constant_lr_settles_at_the_noise_floor(lr):
    losses = noisy_quadratic(lrlib.constant(lr), 1500, copies=4000, w0=0.0, noise=2.0, seed=1)
    assert losses[500:].mean() == pytest.approx(noise_floor(lr, noise=2.0), rel=0.05)


def test_decay_goes_below_the_floor_of_its_starting_rate():
    losses = noisy_quadratic(lrlib.multistep(0.5, [100], gamma=0.1), 400, seed=2)
    assert losses[-50:].mean() < noise_floor(0.5) / 5


def test_seeded_runs_repeat():
    run = lambda: noisy_quadratic(lrlib.constant(0.1), 30, seed=7)  # noqa: E731
    np.testing.assert_array_equal(run(), run())


@pytest.mark.parametrize("call, word", [
    (lambda: noise_floor(2.0), "lr"), (lambda: noise_floor(0.0), "lr"), (lambda: noise_floor(0.1, -1.0), "noise"),
    (lambda: noisy_quadratic(lrlib.constant(0.1), 0), "steps"),
    (lambda: noisy_quadratic(lrlib.constant(0.1), 5, copies=0), "copies"),
    (lambda: noisy_quadratic(lrlib.constant(0.1), 5, noise=float("nan")), "noise"),
])
def test_bad_arguments_name_themselves(call, word):
    with pytest.raises(ValueError, match=word):
        call()
