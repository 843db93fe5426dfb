"""Bad input: every rule raises ValueError (or TypeError) naming the argument and its allowed range."""

from __future__ import annotations

import numpy as np
import pytest

import lrlib

COSINE = lrlib.cosine(0.1, 100)
ONE_CYCLE = lrlib.one_cycle(0.1, 100)

BAD_ARGUMENTS = [
    # non-positive (or non-numeric, infinite) learning rates
    (lrlib.constant, dict(lr=0.0), r"lr must be a number in \(0, inf\), got 0.0"),
    (lrlib.constant, dict(lr=-0.1), r"lr must be a number in \(0, inf\)"),
    (lrlib.constant, dict(lr=float("nan")), r"lr must be a number"),
    (lrlib.constant, dict(lr=float("inf")), r"lr must be a number"),
    (lrlib.constant, dict(lr="0.1"), r"lr must be a number"),
    (lrlib.constant, dict(lr=True), r"lr must be a number"),
    (lrlib.step, dict(lr=-1.0, step_size=10), r"lr must be"),
    (lrlib.exponential, dict(lr=0.1, gamma=0.0), r"gamma must be a number in \(0, inf\)"),
    (lrlib.square_root, dict(lr=0.0), r"lr must be"),
    (lrlib.factor, dict(lr=0.1, factor=1.5), r"factor must be a number in \(0, 1\]"),
    (lrlib.factor, dict(lr=0.1, factor=0.9, min_lr=0.2), r"min_lr must be a number in \[0, 0.1\]"),
    (lrlib.cosine, dict(lr=0.1, total_steps=100, final_lr=0.2), r"final_lr must be a number in \[0, 0.1\]"),
    (lrlib.cosine, dict(lr=0.1, total_steps=100, warmup_start_lr=-0.01), r"warmup_start_lr must be"),
    (lrlib.polynomial, dict(lr=0.1, total_steps=10, power=0.0), r"power must be a number in \(0, inf\)"),
    (lrlib.cosine_restarts, dict(lr=0.1, period=10, final_lr=-0.1), r"final_lr must be"),
    (lrlib.one_cycle, dict(max_lr=0.0, total_steps=100), r"max_lr must be"),
    (lrlib.one_cycle, dict(max_lr=0.1, total_steps=100, div_factor=0.0), r"div_factor must be"),
    (lrlib.one_cycle, dict(max_lr=0.1, total_steps=100, final_div_factor=-1.0), r"final_div_factor must be"),
    (lrlib.warmup, dict(schedule=COSINE, steps=10, start_lr=-0.1), r"start_lr must be a number in \[0, inf\)"),
    # non-positive (or non-integer) step counts
    (lrlib.step, dict(lr=0.1, step_size=0), r"step_size must be an integer >= 1, got 0"),
    (lrlib.step, dict(lr=0.1, step_size=2.5), r"step_size must be an integer >= 1, got 2.5"),
    (lrlib.polynomial, dict(lr=0.1, total_steps=0), r"total_steps must be an integer >= 1"),
    (lrlib.cosine, dict(lr=0.1, total_steps=-5), r"total_steps must be an integer >= 1"),
    (lrlib.cosine, dict(lr=0.1, total_steps=10.0), r"total_steps must be an integer >= 1"),
    (lrlib.cosine_restarts, dict(lr=0.1, period=0), r"period must be an integer >= 1"),
    (lrlib.cosine_restarts, dict(lr=0.1, period=10, period_mult=0), r"period_mult must be an integer >= 1"),
    (lrlib.cosine_restarts, dict(lr=0.1, period=10, period_mult=1.5), r"period_mult must be an integer >= 1"),
    (lrlib.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size=0), r"step_size must be an integer >= 1"),
    (lrlib.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size=5, step_size_down=0), r"step_size_down must be"),
    (lrlib.one_cycle, dict(max_lr=0.1, total_steps=1), r"total_steps must be an integer >= 2"),
    (lrlib.warmup, dict(schedule=COSINE, steps=0), r"steps must be an integer >= 1"),
    # max_lr <= base_lr
    (lrlib.cyclic, dict(base_lr=0.1, max_lr=0.1, step_size=5), r"max_lr must be a number in \(0.1, inf\)"),
    (lrlib.cyclic, dict(base_lr=0.1, max_lr=0.05, step_size=5), r"max_lr must be a number in \(0.1, inf\)"),
    # pct_start outside (0, 1), or leaving a phase of one step or less
    (lrlib.one_cycle, dict(max_lr=0.1, total_steps=100, pct_start=0.0), r"pct_start must be a number in \(0, 1\)"),
    (lrlib.one_cycle, dict(max_lr=0.1, total_steps=100, pct_start=1.0), r"pct_start must be a number in \(0, 1\)"),
    (lrlib.one_cycle, dict(max_lr=0.1, total_steps=100, pct_start=0.01), r"pct_start must .* \(0.01, 1\)"),
    (
        lrlib.one_cycle,
        dict(max_lr=0.1, total_steps=100, pct_start=0.6, three_phase=True),
        r"pct_start must .* \(0.01, 0.505\) for total_steps=100 and three_phase=True",
    ),
    # unsorted, repeated or negative milestones and boundaries
    (lrlib.multistep, dict(lr=0.1, milestones=[30, 10]), r"milestones must be strictly increasing"),
    (lrlib.multistep, dict(lr=0.1, milestones=[10, 10]), r"milestones must be strictly increasing"),
    (lrlib.multistep, dict(lr=0.1, milestones=[-5, 10]), r"milestones\[0\] must be an integer >= 1, got -5"),
    (lrlib.multistep, dict(lr=0.1, milestones=[5, 7.5]), r"milestones\[1\] must be an integer >= 1"),
    (lrlib.multistep, dict(lr=0.1, milestones=10), r"milestones must be a list"),
    (lrlib.sequence, dict(schedules=[COSINE, COSINE], boundaries=[0]), r"boundaries\[0\] must be an integer >= 1"),
    (lrlib.sequence, dict(schedules=[COSINE] * 3, boundaries=[50, 20]), r"boundaries must be strictly increasing"),
    (lrlib.sequence, dict(schedules=[COSINE] * 3, boundaries=[50]), r"boundaries must have .* = 2 entries, got 1"),
    (lrlib.sequence, dict(schedules=[], boundaries=[]), r"schedules must be a non-empty list"),
    (lrlib.sequence, dict(schedules=COSINE, boundaries=[]), r"schedules must be a non-empty list"),
    (lrlib.sequence, dict(schedules=[COSINE, ONE_CYCLE], boundaries=[50]), r"schedules must all define momentum"),
    # warmup_steps >= total_steps
    (lrlib.cosine, dict(lr=0.1, total_steps=100, warmup_steps=100), r"warmup_steps must be an integer in \[0, 99\]"),
    (lrlib.cosine, dict(lr=0.1, total_steps=100, warmup_steps=-1), r"warmup_steps must be an integer in \[0, 99\]"),
    # unknown modes and options
    (lrlib.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size=5, mode="triangle"), r"mode must be one of \["),
    (lrlib.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size=5, gamma=0.9), r"gamma must be 1.0 unless mode='exp_r"),
    (lrlib.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size=5, mode="exp_range", gamma=1.5), r"gamma must be .* \("),
    (lrlib.one_cycle, dict(max_lr=0.1, total_steps=100, anneal="cosine"), r"anneal must be one of \['cos', 'linear'\]"),
    (lrlib.one_cycle, dict(max_lr=0.1, total_steps=100, three_phase="yes"), r"three_phase must be True or False, got 'yes'"),
    # momentum ranges
    (lrlib.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size=5, base_momentum=0.8), r"both given or both None"),
    (lrlib.one_cycle, dict(max_lr=0.1, total_steps=100, max_momentum=1.0), r"max_momentum must be .* \[0, 1\)"),
    (lrlib.one_cycle, dict(max_lr=0.1, total_steps=100, base_momentum=0.99), r"base_momentum must be .* \[0, 0.95\]"),
]


@pytest.mark.parametrize(("constructor", "kwargs", "message"), BAD_ARGUMENTS, ids=lambda v: getattr(v, "__name__", None))
def test_bad_argument_raises_value_error_naming_it_and_its_range(constructor, kwargs, message):
    with pytest.raises(ValueError, match=message):
        constructor(**kwargs)


@pytest.mark.parametrize("not_a_schedule", [0.1, None, "cosine"])
def test_composing_something_that_is_not_callable_raises_type_error(not_a_schedule):
    with pytest.raises(TypeError, match=r"schedule must be a schedule: an lrlib schedule .* or any callable step -> lr"):
        lrlib.warmup(not_a_schedule, 10)
    with pytest.raises(TypeError, match=r"schedules\[1\] must be a schedule: .* any callable step -> lr"):
        lrlib.sequence([COSINE, not_a_schedule], [10])
    with pytest.raises(TypeError, match=r"schedules\[0\] must be a schedule"):
        lrlib.chain([not_a_schedule])


@pytest.mark.parametrize(
    "bad_step",
    [-1, 1.5, 2.0, True, np.float64(3.0), "3", None, np.array([0, -1]), np.array([0.0, 1.5]), [1, 2.5], np.bool_(1)],
    ids=repr,
)
def test_negative_or_non_integer_steps_raise_value_error_naming_t(bad_step):
    for evaluate in (COSINE, ONE_CYCLE, ONE_CYCLE.momentum):
        with pytest.raises(ValueError, match=r"\bt must be (an )?integer step"):
            evaluate(bad_step)


@pytest.mark.parametrize("good_step", [0, 7, np.int64(7), np.uint8(7)], ids=repr)
def test_python_and_numpy_integer_steps_give_a_python_float(good_step):
    value = COSINE(good_step)
    assert type(value) is float and value == COSINE(np.array([int(good_step)]))[0]


def test_schedules_are_immutable():
    with pytest.raises(AttributeError, match="immutable"):
        COSINE._lr = None
    with pytest.raises(AttributeError):
        COSINE.total_steps = 5


def test_only_momentum_schedules_have_momentum_methods():
    assert not COSINE.has_momentum and not hasattr(COSINE, "momentum") and not hasattr(COSINE, "momentum_at")
    assert ONE_CYCLE.has_momentum and callable(ONE_CYCLE.momentum)
    assert not lrlib.one_cycle(0.1, 100, base_momentum=None, max_momentum=None).has_momentum
    assert not lrlib.cyclic(0.01, 0.1, 5).has_momentum
    assert lrlib.warmup(ONE_CYCLE, 10).has_momentum and not lrlib.warmup(COSINE, 10).has_momentum


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"name": "cosines", "lr": 0.1}, r"config name must be one of \[.*'cosine'"),
        ({"lr": 0.1}, r"config must be a dict with a 'name' key"),
        ("cosine", r"config must be a dict"),
        ({"name": "cosine", "lr": 0.1, "total_steps": 0}, r"total_steps must be an integer >= 1"),
    ],
)
def test_from_config_rejects_unknown_or_invalid_configs(config, message):
    with pytest.raises(ValueError, match=message):
        lrlib.from_config(config)


def test_from_config_rejects_unknown_arguments():
    with pytest.raises(TypeError, match="warmup"):
        lrlib.from_config({"name": "cosine", "lr": 0.1, "total_steps": 10, "warmup": 3})


def test_changing_the_callers_list_afterwards_changes_nothing():
    milestones = [10, 20]
    schedule = lrlib.multistep(0.1, milestones)
    milestones.append(5)
    assert schedule.get_config()["milestones"] == [10, 20] and schedule(15) == lrlib.multistep(0.1, [10, 20])(15)
