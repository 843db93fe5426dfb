"""lrlib.cyclic's amplitude function (torch's ``scale_fn``/``scale_mode``) and Drxan/DNN_Learning_Rate's decaying max LR.

References: torch ``CyclicLR`` stepped in a loop (relative error <= 1e-6), and Drxan/DNN_Learning_Rate's ``CircularLR`` rule re-implemented
step by step (a running max LR, decayed at the start of every ``decay_every``-th cycle, never below base_lr).
"""

from __future__ import annotations

import json
import math
import os
import pickle

import numpy as np
import pytest
from torch.optim import lr_scheduler

import lrlib
from tests.test_schedules import TORCH_RTOL, assert_rel, log_uniform, run_torch

STEPS = 400


@pytest.fixture(params=range(4))
def rng(request):
    return np.random.default_rng(request.param)


def random_cycle(rng):
    """Random (base_lr, max_lr, step_size, step_size_down, base_momentum, max_momentum) with short cycles."""
    base_lr = log_uniform(rng, 1e-4, 1e-2)
    return (base_lr, base_lr * rng.uniform(1.5, 20.0), int(rng.integers(1, 30)), int(rng.integers(1, 30)),
            rng.uniform(0.5, 0.85), rng.uniform(0.86, 0.99))


def halving(cycle):
    """A module-level amplitude function (so that a schedule using it pickles)."""
    return 0.5 ** (cycle - 1)


SCALE_FNS = {
    # name: (scale_fn, scale_mode); the math.* ones reject arrays, so lrlib evaluates them element by element
    "power of the cycle": (lambda cycle: cycle**-0.5, "cycle"),
    "scalar-only, of the cycle": (lambda cycle: math.exp(-0.3 * (cycle - 1)), "cycle"),
    "branching, of the cycle": (lambda cycle: 1.0 if cycle < 3 else 0.25, "cycle"),
    "decay of the step": (lambda t: 0.997**t, "iterations"),
    "scalar-only, of the step": (lambda t: 0.5 * (1.0 + math.cos(t / 40.0)), "iterations"),
}


# --- scale_fn against torch ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SCALE_FNS)
def test_scale_fn_equals_torch_cyclic_lr_including_momentum(rng, name):
    scale_fn, scale_mode = SCALE_FNS[name]
    base_lr, max_lr, up, down, base_m, max_m = random_cycle(rng)
    make = lambda opt: lr_scheduler.CyclicLR(  # noqa: E731
        opt, base_lr, max_lr, up, down, scale_fn=scale_fn, scale_mode=scale_mode,
        base_momentum=base_m, max_momentum=max_m,
    )
    expected_lr, expected_momentum = run_torch(make, base_lr, momentum=0.9)
    schedule = lrlib.cyclic(base_lr, max_lr, up, down, base_momentum=base_m, max_momentum=max_m,
                            scale_fn=scale_fn, scale_mode=scale_mode)
    t = np.arange(STEPS)
    assert_rel(schedule(t), expected_lr, TORCH_RTOL)
    assert_rel(schedule.lr(t), expected_lr, TORCH_RTOL)
    assert_rel([schedule(int(step)) for step in t], expected_lr, TORCH_RTOL)
    assert_rel(schedule.momentum(t), expected_momentum, TORCH_RTOL)


def test_scale_fn_combines_with_the_decaying_peak_as_torch_does_with_their_product(rng):
    base_lr, max_lr, up, down, _, _ = random_cycle(rng)
    every, decay = int(rng.integers(1, 4)), rng.uniform(0.3, 0.9)
    make = lambda opt: lr_scheduler.CyclicLR(  # noqa: E731
        opt, base_lr, max_lr, up, down, scale_fn=lambda c: c**-0.5 * decay ** ((c - 1) // every),
        cycle_momentum=False,
    )
    expected, _ = run_torch(make, base_lr)
    schedule = lrlib.cyclic(base_lr, max_lr, up, down, scale_fn=lambda c: c**-0.5, decay_every=every, decay=decay)
    assert_rel(schedule(np.arange(STEPS)), expected, TORCH_RTOL)


# --- the decaying max LR against Drxan/DNN_Learning_Rate's rule -------------------------------------------------------------

def seed_000_cyclic(base_lr, max_lr, up, down, every, decay, decay_type, steps):
    """Drxan/DNN_Learning_Rate's decaying CLR step by step: at the start of every ``every``-th cycle after the first the running
    max LR decays (exp: its height above base_lr times ``decay``; linear: minus ``decay`` of the first height),
    then ``max_lr = max(max_lr, base_lr)``. Returns the LRs and each step's height fraction of the first peak."""
    peak, lrs, fractions = max_lr, [], []
    for t in range(steps):
        cycle, position = divmod(t, up + down)
        if position == 0 and cycle > 0 and cycle % every == 0:
            peak = base_lr + (peak - base_lr) * decay if decay_type == "exp" else peak - decay * (max_lr - base_lr)
            peak = max(peak, base_lr)
        height = position / up if position <= up else (up + down - position) / down
        lrs.append(base_lr + (peak - base_lr) * height)
        fractions.append((peak - base_lr) / (max_lr - base_lr) * height)
    return np.array(lrs), np.array(fractions)


@pytest.mark.parametrize("decay_type", ["exp", "linear"])
def test_decaying_max_lr_follows_seed_000_including_momentum(rng, decay_type):
    base_lr, max_lr, up, down, base_m, max_m = random_cycle(rng)
    every, decay = int(rng.integers(1, 4)), rng.uniform(0.1, 0.9)
    schedule = lrlib.cyclic(base_lr, max_lr, up, down, base_momentum=base_m, max_momentum=max_m,
                            decay_every=every, decay=decay, decay_type=decay_type)
    expected, fractions = seed_000_cyclic(base_lr, max_lr, up, down, every, decay, decay_type, STEPS)
    t = np.arange(STEPS)
    assert_rel(schedule(t), expected, 1e-9)
    assert_rel([schedule(int(step)) for step in t], expected, 1e-9)
    assert_rel(schedule.momentum(t), max_m - (max_m - base_m) * fractions, 1e-9)


def test_linear_decay_reaches_base_lr_after_ceil_one_over_decay_decays_and_stays():
    schedule = lrlib.cyclic(0.01, 0.1, 5, decay_every=2, decay=0.3, decay_type="linear")
    peaks = schedule(np.arange(5, 400, 10))  # the top of cycles 1, 2, 3, ...
    decays = np.arange(len(peaks)) // 2
    assert_rel(peaks, np.maximum(0.1 - 0.09 * 0.3 * decays, 0.01), 1e-12)
    assert np.all(peaks[decays >= math.ceil(1 / 0.3)] == 0.01)
    assert np.all(peaks[decays < math.ceil(1 / 0.3)] > 0.01)


def test_decaying_variant_round_trips_through_json():
    schedule = lrlib.cyclic(0.01, 0.1, 5, 3, base_momentum=0.85, max_momentum=0.95,
                            decay_every=2, decay=0.4, decay_type="linear")
    config = json.loads(json.dumps(schedule.get_config()))
    assert config["decay_every"] == 2 and config["decay_type"] == "linear" and config["scale_fn"] is None
    rebuilt = lrlib.from_config(config)
    assert rebuilt == schedule and hash(rebuilt) == hash(schedule) and repr(rebuilt) == repr(schedule)
    t = np.arange(STEPS)
    np.testing.assert_array_equal(rebuilt(t), schedule(t))
    np.testing.assert_array_equal(rebuilt.momentum(t), schedule.momentum(t))
    assert pickle.loads(pickle.dumps(schedule)) == schedule


# --- a scale_fn is code, not config --------------------------------------------------------------------------

def test_a_scale_fn_has_no_json_config_even_nested():
    schedule = lrlib.cyclic(0.01, 0.1, 5, scale_fn=lambda cycle: 1.0 / cycle)
    with pytest.raises(TypeError, match=r"cyclic\(\.\.\.\) has no JSON config: its argument scale_fn=.* function"):
        schedule.get_config()
    with pytest.raises(TypeError, match="scale_fn"):
        lrlib.warmup(schedule, 10).get_config()


def test_a_scale_fn_schedule_compares_hashes_and_pickles_by_its_function():
    first = lrlib.cyclic(0.01, 0.1, 5, scale_fn=halving)
    assert first == lrlib.cyclic(0.01, 0.1, 5, scale_fn=halving)
    assert hash(first) == hash(lrlib.cyclic(0.01, 0.1, 5, scale_fn=halving))
    assert first != lrlib.cyclic(0.01, 0.1, 5, scale_fn=lambda cycle: halving(cycle))
    rebuilt = pickle.loads(pickle.dumps(first))
    assert rebuilt == first
    np.testing.assert_array_equal(rebuilt(np.arange(100)), lrlib.cyclic(0.01, 0.1, 5, mode="triangular2")(np.arange(100)))
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(lrlib.cyclic(0.01, 0.1, 5, scale_fn=lambda cycle: 1.0))


# --- in a Keras graph ------------------------------------------------------------------------------------------

def test_scale_fn_in_keras_ops_inside_tf_function_or_a_clear_error():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    arithmetic = lrlib.cyclic(0.01, 0.1, 5, scale_fn=lambda t: 0.99**t, scale_mode="iterations",
                              decay_every=2, decay_type="linear", decay=0.25)
    steps = np.arange(120)
    traced = tf.function(lambda t: arithmetic.lr(t, keras.ops))
    np.testing.assert_allclose(traced(tf.constant(steps)).numpy(), arithmetic(steps), rtol=2e-5)
    scalar_only = lrlib.cyclic(0.01, 0.1, 5, scale_fn=lambda cycle: math.pow(0.5, cycle - 1))
    with pytest.raises(TypeError, match=r"scale_fn=.* cannot be evaluated on a .* tensor .*arithmetic operators"):
        tf.function(lambda t: scalar_only.lr(t, keras.ops))(tf.constant(steps))


# --- bad input ------------------------------------------------------------------------------------------------

BASE = dict(base_lr=0.01, max_lr=0.1, step_size=5)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(scale_fn=0.5), r"scale_fn must be None or a function"),
        (dict(scale_fn=halving, mode="triangular2"), r"mode must be 'triangular' when scale_fn is given"),
        (dict(scale_fn=halving, mode="exp_range", gamma=0.9), r"mode must be 'triangular'"),
        (dict(scale_fn=halving, scale_mode="epoch"), r"scale_mode must be one of \['cycle', 'iterations'\]"),
        (dict(scale_mode="iterations"), r"scale_mode must be 'cycle' unless scale_fn is given"),
        (dict(decay_every=0), r"decay_every must be an integer >= 1, got 0"),
        (dict(decay_every=1.5), r"decay_every must be an integer >= 1"),
        (dict(decay_every=True), r"decay_every must be an integer >= 1"),
        (dict(decay_every=2, decay=0.0), r"decay must be a number in \(0, 1\), got 0.0"),
        (dict(decay_every=2, decay=1.0), r"decay must be a number in \(0, 1\), got 1.0"),
        (dict(decay_every=2, decay=1.5, decay_type="linear"), r"decay must be a number in \(0, 1\], got 1.5"),
        (dict(decay_every=2, decay=float("nan")), r"decay must be a number in \(0, 1\)"),
        (dict(decay_every=2, decay_type="log"), r"decay_type must be one of \['exp', 'linear'\]"),
        (dict(decay=0.6), r"decay and decay_type are used only with decay_every"),
        (dict(decay_type="linear"), r"decay and decay_type are used only with decay_every"),
    ],
)
def test_bad_scaling_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        lrlib.cyclic(**BASE, **arguments)
