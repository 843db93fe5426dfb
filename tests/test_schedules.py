"""Every schedule constructor against its reference, over hundreds of steps with randomized parameters.

References: PyTorch's own schedulers stepped in a loop (recursive, so relative error <= 1e-6), and the d2l
book's scheduler classes re-implemented from its formulas (closed form, relative error <= 1e-9).
Keras references are in ``test_schedules_keras.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

import lrlib

SEEDS = range(6)
STEPS = 400
TORCH_RTOL = 1e-6
CLOSED_RTOL = 1e-9


def assert_rel(actual, expected, rtol):
    """Relative error <= rtol, with an absolute floor of 1e-12 of the curve's peak for values that reach 0."""
    expected = np.asarray(expected, dtype=np.float64)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-12 * np.max(np.abs(expected)))


def run_torch(make_scheduler, lr, steps=STEPS, optimizer=torch.optim.SGD, **optimizer_kwargs):
    """The (lr, momentum) the optimizer uses at each step 0..steps-1 under ``make_scheduler(optimizer)``."""
    param = torch.zeros(1, requires_grad=True)
    opt = optimizer([param], lr=lr, **optimizer_kwargs)
    sched = make_scheduler(opt)
    lrs, momenta = [], []
    for _ in range(steps):
        group = opt.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(group["betas"][0] if "betas" in group else group.get("momentum", 0.0))
        opt.step()
        sched.step()
    return np.array(lrs), np.array(momenta)


def lrlib_values(schedule, steps=STEPS):
    return schedule(np.arange(steps))


@pytest.fixture(params=SEEDS)
def rng(request):
    return np.random.default_rng(request.param)


def log_uniform(rng, low, high):
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


# --- PyTorch references -------------------------------------------------------------------------------------


def test_step_equals_torch_step_lr(rng):
    lr, size, gamma = log_uniform(rng, 1e-3, 1.0), int(rng.integers(1, 60)), rng.uniform(0.1, 0.99)
    expected, _ = run_torch(lambda opt: lr_scheduler.StepLR(opt, size, gamma), lr)
    assert_rel(lrlib_values(lrlib.step(lr, size, gamma)), expected, TORCH_RTOL)


def test_multistep_equals_torch_multistep_lr(rng):
    lr, gamma = log_uniform(rng, 1e-3, 1.0), rng.uniform(0.1, 0.99)
    milestones = sorted(int(m) for m in rng.choice(np.arange(1, STEPS), size=int(rng.integers(1, 6)), replace=False))
    expected, _ = run_torch(lambda opt: lr_scheduler.MultiStepLR(opt, milestones, gamma), lr)
    assert_rel(lrlib_values(lrlib.multistep(lr, milestones, gamma)), expected, TORCH_RTOL)


def test_exponential_equals_torch_exponential_lr(rng):
    lr, gamma = log_uniform(rng, 1e-3, 1.0), rng.uniform(0.95, 1.01)
    expected, _ = run_torch(lambda opt: lr_scheduler.ExponentialLR(opt, gamma), lr)
    assert_rel(lrlib_values(lrlib.exponential(lr, gamma)), expected, TORCH_RTOL)


def test_polynomial_equals_torch_polynomial_lr_and_holds_zero_after(rng):
    lr, total, power = log_uniform(rng, 1e-3, 1.0), int(rng.integers(10, STEPS - 50)), rng.uniform(0.5, 3.0)
    expected, _ = run_torch(lambda opt: lr_scheduler.PolynomialLR(opt, total_iters=total, power=power), lr)
    actual = lrlib_values(lrlib.polynomial(lr, total, power))
    assert_rel(actual, expected, TORCH_RTOL)
    assert np.all(actual[total:] == 0.0)


def test_cosine_equals_torch_cosine_annealing_on_its_first_half_period(rng):
    lr, total = log_uniform(rng, 1e-3, 1.0), int(rng.integers(10, STEPS - 1))
    final_lr = lr * rng.uniform(0.0, 0.5)
    expected, _ = run_torch(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=final_lr), lr)
    actual = lrlib_values(lrlib.cosine(lr, total, final_lr))
    assert_rel(actual[: total + 1], expected[: total + 1], TORCH_RTOL)
    assert np.all(actual[total:] == final_lr)  # torch climbs back up here; lrlib holds, as d2l and Keras do


@pytest.mark.parametrize("period_mult", [1, 2, 3])
def test_cosine_restarts_equals_torch_warm_restarts(rng, period_mult):
    lr, period = log_uniform(rng, 1e-3, 1.0), int(rng.integers(1, 40))
    final_lr = lr * rng.uniform(0.0, 0.5)
    make = lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, period, period_mult, final_lr)  # noqa: E731
    expected, _ = run_torch(make, lr, steps=1000)
    assert_rel(lrlib_values(lrlib.cosine_restarts(lr, period, period_mult, final_lr), 1000), expected, TORCH_RTOL)


def restart_positions(period, period_mult, steps):
    """(steps since restart, period length) for t = 0..steps-1, by walking the periods in exact integers."""
    since, lengths = np.empty(steps, dtype=np.int64), np.empty(steps, dtype=np.int64)
    start, length = 0, period
    while start < steps:
        stop = min(start + length, steps)
        since[start:stop] = np.arange(stop - start)
        lengths[start:stop] = length
        start, length = start + length, length * period_mult
    return since, lengths


@pytest.mark.parametrize(("period", "period_mult"), [(1, 2), (3, 2), (7, 3), (10, 10), (1, 7), (13, 5)])
def test_cosine_restarts_lands_on_every_period_boundary_for_a_million_steps(period, period_mult):
    since, lengths = restart_positions(period, period_mult, 1_000_000)
    expected = (1 + np.cos(np.pi * since / lengths)) / 2
    actual = lrlib.cosine_restarts(1.0, period, period_mult)(np.arange(1_000_000))
    assert_rel(actual, expected, CLOSED_RTOL)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_equals_torch_cyclic_lr_including_momentum(rng, mode):
    base_lr = log_uniform(rng, 1e-4, 1e-2)
    max_lr = base_lr * rng.uniform(1.5, 20.0)
    up, down = int(rng.integers(1, 50)), int(rng.integers(1, 50))
    gamma = rng.uniform(0.99, 1.0) if mode == "exp_range" else 1.0
    base_m, max_m = rng.uniform(0.5, 0.85), rng.uniform(0.86, 0.99)
    make = lambda opt: lr_scheduler.CyclicLR(  # noqa: E731
        opt, base_lr, max_lr, up, down, mode, gamma, base_momentum=base_m, max_momentum=max_m
    )
    expected_lr, expected_momentum = run_torch(make, base_lr, momentum=0.9)
    schedule = lrlib.cyclic(base_lr, max_lr, up, down, mode, gamma, base_momentum=base_m, max_momentum=max_m)
    assert_rel(lrlib_values(schedule), expected_lr, TORCH_RTOL)
    assert_rel(schedule.momentum(np.arange(STEPS)), expected_momentum, TORCH_RTOL)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("optimizer", [torch.optim.SGD, torch.optim.AdamW])
def test_one_cycle_equals_torch_one_cycle_lr_including_momentum(rng, anneal, three_phase, optimizer):
    max_lr, total = log_uniform(rng, 1e-3, 1.0), int(rng.integers(20, STEPS))
    pct_start = rng.uniform(0.1, 0.45)
    div, final_div = rng.uniform(5.0, 50.0), log_uniform(rng, 10.0, 1e5)
    base_m, max_m = rng.uniform(0.5, 0.85), rng.uniform(0.86, 0.99)
    arguments = dict(pct_start=pct_start, div_factor=div, final_div_factor=final_div, three_phase=three_phase)
    momenta = dict(base_momentum=base_m, max_momentum=max_m)
    make = lambda opt: lr_scheduler.OneCycleLR(  # noqa: E731
        opt, max_lr, total, anneal_strategy=anneal, **arguments, **momenta
    )
    kwargs = {"momentum": 0.9} if optimizer is torch.optim.SGD else {}
    expected_lr, expected_momentum = run_torch(make, max_lr, steps=total, optimizer=optimizer, **kwargs)
    schedule = lrlib.one_cycle(max_lr, total, anneal=anneal, **arguments, **momenta)
    assert_rel(lrlib_values(schedule, total), expected_lr, TORCH_RTOL)
    assert_rel(schedule.momentum(np.arange(total)), expected_momentum, TORCH_RTOL)
    after = np.arange(total - 1, total + 50)
    assert np.all(schedule(after) == max_lr / div / final_div) and np.all(schedule.momentum(after) == max_m)


def test_warmup_equals_torch_linear_lr_then_scheduler(rng):
    lr, steps = log_uniform(rng, 1e-3, 1.0), int(rng.integers(1, 100))
    start_lr = lr * rng.uniform(0.01, 1.0)
    total = int(rng.integers(10, STEPS))

    def make(opt):
        warm = lr_scheduler.LinearLR(opt, start_factor=start_lr / lr, end_factor=1.0, total_iters=steps)
        cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=total)
        return lr_scheduler.SequentialLR(opt, [warm, cosine], milestones=[steps])

    expected, _ = run_torch(make, lr, steps=steps + total + 1)
    schedule = lrlib.warmup(lrlib.cosine(lr, total), steps, start_lr)
    assert_rel(lrlib_values(schedule, steps + total + 1), expected, TORCH_RTOL)


def test_sequence_equals_torch_sequential_lr_restarting_each_scheduler(rng):
    lr = log_uniform(rng, 1e-3, 1.0)
    gamma, size, total = rng.uniform(0.9, 0.99), int(rng.integers(1, 30)), int(rng.integers(10, 100))
    boundaries = sorted(int(b) for b in rng.choice(np.arange(1, STEPS - 100), size=2, replace=False))

    def make(opt):
        parts = [
            lr_scheduler.ExponentialLR(opt, gamma),
            lr_scheduler.StepLR(opt, size, gamma),
            lr_scheduler.CosineAnnealingLR(opt, T_max=total),
        ]
        return lr_scheduler.SequentialLR(opt, parts, milestones=boundaries)

    expected, _ = run_torch(make, lr, steps=boundaries[-1] + total + 1)
    parts = [lrlib.exponential(lr, gamma), lrlib.step(lr, size, gamma), lrlib.cosine(lr, total)]
    actual = lrlib_values(lrlib.sequence(parts, boundaries), boundaries[-1] + total + 1)
    assert_rel(actual, expected, TORCH_RTOL)


# --- d2l references (re-implemented from the book's formulas: stateful classes called at t = 0, 1, 2, ...) ----


class D2LSquareRoot:
    def __init__(self, lr):
        self.lr = lr

    def __call__(self, num_update):
        return self.lr * pow(num_update + 1.0, -0.5)


class D2LFactor:
    def __init__(self, factor, stop_factor_lr, base_lr):
        self.factor, self.stop_factor_lr, self.base_lr = factor, stop_factor_lr, base_lr

    def __call__(self, num_update):
        self.base_lr = max(self.stop_factor_lr, self.base_lr * self.factor)
        return self.base_lr


class D2LCosine:
    def __init__(self, max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr):
        self.base_lr_orig, self.max_update, self.final_lr = base_lr, max_update, final_lr
        self.warmup_steps, self.warmup_begin_lr = warmup_steps, warmup_begin_lr
        self.max_steps = max_update - warmup_steps

    def __call__(self, epoch):
        if epoch < self.warmup_steps:
            return self.warmup_begin_lr + (self.base_lr_orig - self.warmup_begin_lr) * epoch / self.warmup_steps
        if epoch <= self.max_update:
            progress = (epoch - self.warmup_steps) / self.max_steps
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * (1 + math.cos(math.pi * progress)) / 2
        return self.base_lr


def called_in_order(d2l_scheduler, steps=STEPS):
    return [d2l_scheduler(t) for t in range(steps)]


def test_square_root_equals_d2l(rng):
    lr = log_uniform(rng, 1e-3, 1.0)
    assert_rel(lrlib_values(lrlib.square_root(lr)), called_in_order(D2LSquareRoot(lr)), CLOSED_RTOL)


def test_factor_equals_d2l_called_from_step_zero(rng):
    lr, factor = log_uniform(rng, 1e-2, 2.0), rng.uniform(0.8, 0.999)
    min_lr = lr * log_uniform(rng, 1e-4, 0.5)
    expected = called_in_order(D2LFactor(factor, min_lr, lr))
    assert_rel(lrlib_values(lrlib.factor(lr, factor, min_lr)), expected, CLOSED_RTOL)


@pytest.mark.parametrize("with_warmup", [False, True])
def test_cosine_equals_d2l_including_warmup_and_the_hold_after(rng, with_warmup):
    lr, total = log_uniform(rng, 1e-3, 1.0), int(rng.integers(10, STEPS - 50))
    final_lr, start_lr = lr * rng.uniform(0.0, 0.5), lr * rng.uniform(0.0, 1.0)
    warmup_steps = int(rng.integers(1, total)) if with_warmup else 0
    expected = called_in_order(D2LCosine(total, lr, final_lr, warmup_steps, start_lr))
    schedule = lrlib.cosine(lr, total, final_lr, warmup_steps=warmup_steps, warmup_start_lr=start_lr)
    assert_rel(lrlib_values(schedule), expected, CLOSED_RTOL)
