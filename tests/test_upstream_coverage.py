"""The framework schedules lrlib covers beyond the basics, each against its reference.

PyTorch: ``ChainedScheduler`` (lrlib.chain), ``OneCycleLR(epochs=, steps_per_epoch=)``, and ``ReduceLROnPlateau``
and ``SWALR`` taking over an optimizer from lrlib's scheduler. Its schedulers are recursive, hence relative
1e-6. Keras (float32, relative 1e-5): ``InverseTimeDecay`` (with staircase), ``PolynomialDecay(cycle=True)``,
``CosineDecayRestarts`` with ``m_mul``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler, swa_utils

import lrlib
import lrlib.torch

STEPS = 300
TORCH_RTOL = 1e-6
SEEDS = range(4)


@pytest.fixture(params=SEEDS)
def rng(request):
    return np.random.default_rng(request.param)


def optimizer(lr=0.1):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)


def lrs_under(sched, opt, steps, step=None):
    """The LR of each of ``steps`` optimizer steps, stepping ``sched`` after each (``step(sched, i)`` if given)."""
    seen = []
    for i in range(steps):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step() if step is None else step(sched, i)
    return np.array(seen)


# --- PyTorch ------------------------------------------------------------------------------------------------


def test_chain_equals_chained_scheduler(rng):
    lr, size, gamma, decay = rng.uniform(0.01, 1.0), int(rng.integers(5, 40)), rng.uniform(0.2, 0.9), rng.uniform(0.98, 1.0)
    milestones = sorted(int(m) for m in rng.choice(np.arange(1, STEPS), 3, replace=False))
    opt = optimizer(lr)
    builtin = lrs_under(
        lr_scheduler.ChainedScheduler(
            [lr_scheduler.StepLR(opt, size, gamma), lr_scheduler.ExponentialLR(opt, decay),
             lr_scheduler.MultiStepLR(opt, milestones, 0.5)]
        ),
        opt,
        STEPS,
    )  # fmt: skip
    chained = lrlib.chain([lrlib.step(lr, size, gamma), lrlib.exponential(lr, decay), lrlib.multistep(lr, milestones, 0.5)])
    np.testing.assert_allclose(chained(np.arange(STEPS)), builtin, rtol=TORCH_RTOL)
    opt = optimizer(lr)
    np.testing.assert_allclose(lrs_under(lrlib.torch.scheduler(opt, chained), opt, STEPS), builtin, rtol=TORCH_RTOL)


def test_chain_with_constant_lr_and_a_plain_callable_equals_chained_scheduler():
    """torch chains only its multiplicative schedulers (``LambdaLR`` would overwrite the others): here
    ``ConstantLR`` and ``MultiplicativeLR``, the latter given to lrlib as a plain callable."""
    opt = optimizer(0.1)
    factor = lambda t: 0.99 if t % 2 else 0.999  # noqa: E731
    builtin = lrs_under(
        lr_scheduler.ChainedScheduler(
            [lr_scheduler.ConstantLR(opt, 0.25, 20), lr_scheduler.MultiplicativeLR(opt, factor)]
        ),
        opt,
        STEPS,
    )
    products = np.cumprod([1.0] + [factor(t) for t in range(1, STEPS)])
    constant_lr = lrlib.sequence([lrlib.constant(0.025), lrlib.constant(0.1)], [20])
    chained = lrlib.chain([constant_lr, lambda t: 0.1 * products[t]])
    np.testing.assert_allclose(chained(np.arange(STEPS)), builtin, rtol=TORCH_RTOL)


@pytest.mark.parametrize(
    ("schedules", "message"),
    [
        ([], r"schedules must be a non-empty list"),
        ([lrlib.cosine(0.1, 10), lrlib.warmup(lrlib.constant(0.1), 5)], r"schedules\[1\] must be > 0 at step 0"),
        ([lrlib.one_cycle(0.1, 100)], r"schedules\[0\] defines momentum"),
    ],
)
def test_chain_rejects_what_it_cannot_multiply(schedules, message):
    with pytest.raises(ValueError, match=message):
        lrlib.chain(schedules)


@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_epochs_and_steps_per_epoch_equal_torch(rng, three_phase):
    max_lr, epochs, per_epoch = rng.uniform(0.05, 1.0), int(rng.integers(2, 8)), int(rng.integers(10, 40))
    opt = optimizer(max_lr)
    builtin = lrs_under(
        lr_scheduler.OneCycleLR(opt, max_lr, epochs=epochs, steps_per_epoch=per_epoch, three_phase=three_phase),
        opt,
        epochs * per_epoch,
    )
    schedule = lrlib.one_cycle(max_lr, epochs=epochs, steps_per_epoch=per_epoch, three_phase=three_phase)
    np.testing.assert_allclose(schedule(np.arange(epochs * per_epoch)), builtin, rtol=TORCH_RTOL)
    assert schedule == lrlib.from_config(schedule.get_config())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"give total_steps, or epochs and steps_per_epoch"),
        ({"epochs": 3}, r"give total_steps, or epochs and steps_per_epoch, got .*steps_per_epoch=None"),
        ({"total_steps": 100, "epochs": 3, "steps_per_epoch": 10}, r"not both"),
        ({"epochs": 0, "steps_per_epoch": 10}, r"epochs must be an integer >= 1, got 0"),
        ({"epochs": 1, "steps_per_epoch": 1}, r"total_steps must be an integer >= 2, got 1"),
    ],
)
def test_one_cycle_length_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lrlib.one_cycle(0.1, **kwargs)


def test_reduce_lr_on_plateau_takes_over_after_an_lrlib_warmup_as_after_torchs():
    """lrlib's scheduler is closed-form (each step sets ``schedule(t)``), so it cannot run at the same time as
    ReduceLROnPlateau, whose cuts it would overwrite; one after the other on one optimizer works."""
    losses = [1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7] * 3
    records = []
    for make_warmup in (
        lambda opt: lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5),
        lambda opt: lrlib.torch.scheduler(opt, lrlib.warmup(lrlib.constant(0.1), 5, 0.01)),
    ):
        opt = optimizer(0.1)
        warm = lrs_under(make_warmup(opt), opt, 5)
        plateau = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
        after = lrs_under(plateau, opt, len(losses), step=lambda sched, i: sched.step(losses[i]))
        records.append(np.concatenate([warm, after]))
    np.testing.assert_allclose(records[1], records[0], rtol=TORCH_RTOL)
    assert records[1][-1] < 0.1 / 4  # the plateau cut the LR several times


def test_swalr_takes_over_after_an_lrlib_cosine_as_after_torchs():
    records = []
    for make in (
        lambda opt: lr_scheduler.CosineAnnealingLR(opt, 50),
        lambda opt: lrlib.torch.scheduler(opt, lrlib.cosine(0.1, 50)),
    ):
        opt = optimizer(0.1)
        before = lrs_under(make(opt), opt, 30)
        after = lrs_under(swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=5), opt, 20)
        records.append(np.concatenate([before, after]))
    np.testing.assert_allclose(records[1], records[0], rtol=TORCH_RTOL)
    assert records[1][-1] == pytest.approx(0.05)


# --- Keras --------------------------------------------------------------------------------------------------

keras_schedules = pytest.importorskip("keras").optimizers.schedules


def assert_float32_close(actual, expected):
    expected = np.asarray(expected, dtype=np.float64)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-7 * np.max(np.abs(expected)))


def keras_values(schedule, steps=STEPS):
    return np.array([float(schedule(int(t))) for t in range(steps)])


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_equals_keras_inverse_time_decay(rng, staircase):
    lr, decay_steps, rate = rng.uniform(0.01, 1.0), int(rng.integers(1, 50)), rng.uniform(0.0, 2.0)
    expected = keras_values(keras_schedules.InverseTimeDecay(lr, decay_steps, rate, staircase=staircase))
    assert_float32_close(lrlib.inverse_time(lr, decay_steps, rate, staircase)(np.arange(STEPS)), expected)


def test_polynomial_cycle_equals_keras_polynomial_decay_cycle(rng):
    lr, total, power = rng.uniform(0.01, 1.0), int(rng.integers(5, 80)), rng.uniform(0.5, 3.0)
    final_lr = lr * rng.uniform(0.0, 0.5)
    expected = keras_values(keras_schedules.PolynomialDecay(lr, total, final_lr, power, cycle=True))
    assert_float32_close(lrlib.polynomial(lr, total, power, final_lr, cycle=True)(np.arange(STEPS)), expected)


@pytest.mark.parametrize("period_mult", [1, 2, 3])
def test_cosine_restarts_peak_mult_equals_keras_cosine_decay_restarts_m_mul(rng, period_mult):
    lr, period, peak_mult = rng.uniform(0.01, 1.0), int(rng.integers(3, 30)), rng.uniform(0.3, 1.0)
    final_lr = lr * rng.uniform(0.0, 0.3)
    reference = keras_schedules.CosineDecayRestarts(
        lr, period, t_mul=float(period_mult), m_mul=peak_mult, alpha=final_lr / lr
    )
    schedule = lrlib.cosine_restarts(lr, period, period_mult, final_lr, peak_mult=peak_mult)
    assert_float32_close(schedule(np.arange(STEPS)), keras_values(reference))
