"""Property tests (hypothesis): bounds, monotone families, periodicity, vectorized == scalar, config round-trip."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import lrlib

STEPS = np.arange(600)

lrs = st.floats(1e-5, 10.0)
fractions = st.floats(0.0, 1.0)
decays = st.floats(0.05, 1.0)
sizes = st.integers(1, 200)


@st.composite
def momentum_ranges(draw):
    base = draw(st.floats(0.0, 0.98))
    return base, draw(st.floats(base, 0.99))


@st.composite
def cosines(draw):
    lr, total = draw(lrs), draw(st.integers(1, 500))
    return lrlib.cosine(
        lr,
        total,
        final_lr=lr * draw(fractions),
        warmup_steps=draw(st.integers(0, total - 1)),
        warmup_start_lr=lr * draw(fractions),
    )


@st.composite
def cyclics(draw):
    base_lr = draw(lrs)
    base_momentum, max_momentum = draw(momentum_ranges())
    mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    return lrlib.cyclic(
        base_lr,
        base_lr * draw(st.floats(1.01, 100.0)),
        draw(sizes),
        draw(st.none() | sizes),
        mode,
        draw(st.floats(0.9, 1.0)) if mode == "exp_range" else 1.0,
        base_momentum,
        max_momentum,
    )


@st.composite
def one_cycles(draw):
    total = draw(st.integers(4, 1000))
    three_phase = draw(st.booleans())
    high = 0.99 * (total + 1) / (2 * total) if three_phase else 1.0  # every phase longer than one step
    pct_start = draw(st.floats(1.01 / total, high, exclude_max=True))
    base_momentum, max_momentum = draw(momentum_ranges())
    return lrlib.one_cycle(
        draw(lrs),
        total,
        pct_start,
        draw(st.floats(1.0, 100.0)),
        draw(st.floats(1.0, 1e5)),
        draw(st.sampled_from(["cos", "linear"])),
        three_phase,
        base_momentum,
        max_momentum,
    )


@st.composite
def decaying(draw):
    """Schedules that never increase."""
    lr = draw(lrs)
    return draw(
        st.sampled_from(
            [
                lrlib.step(lr, draw(sizes), draw(decays)),
                lrlib.multistep(lr, sorted(draw(st.sets(st.integers(1, 600), max_size=5))), draw(decays)),
                lrlib.exponential(lr, draw(decays)),
                lrlib.square_root(lr),
                lrlib.factor(lr, draw(decays), lr * draw(fractions)),
                lrlib.polynomial(lr, draw(st.integers(1, 500)), draw(st.floats(0.1, 5.0)), lr * draw(fractions)),
                lrlib.cosine(lr, draw(st.integers(1, 500)), lr * draw(fractions)),
            ]
        )
    )


@st.composite
def restarts(draw):
    lr = draw(lrs)
    return lrlib.cosine_restarts(lr, draw(sizes), draw(st.integers(1, 4)), lr * draw(fractions))


basic = decaying() | cosines() | cyclics() | one_cycles() | restarts() | lrs.map(lrlib.constant)


@st.composite
def composed(draw):
    parts = draw(st.lists(basic, min_size=1, max_size=3))
    boundaries = sorted(draw(st.sets(st.integers(1, 500), min_size=len(parts) - 1, max_size=len(parts) - 1)))
    if len({part.has_momentum for part in parts}) > 1:  # momentum must be defined everywhere or nowhere
        parts = [part for part in parts if not part.has_momentum] or parts[:1]
        boundaries = boundaries[: len(parts) - 1]
    joined = lrlib.sequence(parts, boundaries)
    return draw(st.sampled_from([joined, lrlib.warmup(joined, draw(sizes), draw(st.floats(0.0, 1.0)))]))


any_schedule = basic | composed()


@settings(max_examples=60, deadline=None)
@given(any_schedule)
def test_vectorized_equals_scalar(schedule):
    vectorized = schedule(STEPS)
    assert vectorized.dtype == np.float64 and vectorized.shape == STEPS.shape
    scalar = [schedule(int(t)) for t in STEPS]
    assert all(isinstance(value, float) for value in scalar)
    np.testing.assert_allclose(vectorized, scalar, rtol=1e-12, atol=0)
    if schedule.has_momentum:
        np.testing.assert_allclose(schedule.momentum(STEPS), [schedule.momentum(int(t)) for t in STEPS], rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(any_schedule)
def test_config_round_trips_through_json_pickle_and_repr(schedule):
    from_json = lrlib.from_config(json.loads(json.dumps(schedule.get_config())))
    from_pickle = pickle.loads(pickle.dumps(schedule))
    from_repr = eval(repr(schedule), {name: getattr(lrlib, name) for name in lrlib._SCHEDULES})
    for rebuilt in (from_json, from_pickle, from_repr):
        assert rebuilt == schedule and repr(rebuilt) == repr(schedule)
        np.testing.assert_array_equal(rebuilt(STEPS), schedule(STEPS))


@settings(max_examples=60, deadline=None)
@given(decaying())
def test_decaying_families_never_increase(schedule):
    values = schedule(STEPS)
    assert np.all(np.diff(values) <= 1e-15 * values[0]) and np.all(values >= 0)


@settings(max_examples=60, deadline=None)
@given(cosines())
def test_cosine_rises_through_warmup_then_falls_to_final_lr_and_holds(schedule):
    config = schedule.get_config()
    lr, final_lr, warm, total = config["lr"], config["final_lr"], config["warmup_steps"], config["total_steps"]
    values = schedule(np.arange(total + 50))
    tolerance = 1e-12 * lr
    assert np.all(np.diff(values[: warm + 1]) >= -tolerance) and np.all(np.diff(values[warm:]) <= tolerance)
    assert values[warm] == lr and np.all(values[total:] == final_lr)


@settings(max_examples=60, deadline=None)
@given(cyclics())
def test_cyclic_stays_within_its_range_and_repeats_each_cycle(schedule):
    config = schedule.get_config()
    base_lr, max_lr, up = config["base_lr"], config["max_lr"], config["step_size"]
    cycle = up + (config["step_size_down"] or up)
    values, momenta = schedule(STEPS), schedule.momentum(STEPS)
    tolerance = 1e-12 * max_lr
    assert np.all(values >= base_lr - tolerance) and np.all(values <= max_lr + tolerance)
    assert np.all(momenta >= config["base_momentum"] - 1e-12) and np.all(momenta <= config["max_momentum"] + 1e-12)
    assert values[0] == base_lr and np.isclose(values[up], max_lr if config["mode"] != "exp_range" else values[up])
    later, earlier = values[cycle:] - base_lr, values[:-cycle] - base_lr
    if config["mode"] == "triangular":
        np.testing.assert_allclose(later, earlier, rtol=1e-9, atol=tolerance)
    elif config["mode"] == "triangular2":
        np.testing.assert_allclose(later, earlier / 2, rtol=1e-9, atol=tolerance)
    else:
        np.testing.assert_allclose(later, earlier * config["gamma"] ** cycle, rtol=1e-9, atol=tolerance)


@settings(max_examples=60, deadline=None)
@given(restarts())
def test_cosine_restarts_stays_within_range_and_restarts_at_lr(schedule):
    config = schedule.get_config()
    lr, final_lr, period, mult = config["lr"], config["final_lr"], config["period"], config["period_mult"]
    values = schedule(STEPS)
    assert np.all(values <= lr * (1 + 1e-12)) and np.all(values >= final_lr - 1e-12 * lr)
    starts = np.cumsum([0] + [period * mult**n for n in range(20)])
    assert np.all(values[starts[starts < len(STEPS)]] == lr)
    if mult == 1:
        np.testing.assert_allclose(values[period:], values[:-period], rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(one_cycles())
def test_one_cycle_stays_within_range_peaks_once_and_ends_at_its_minimum(schedule):
    config = schedule.get_config()
    max_lr, total = config["max_lr"], config["total_steps"]
    min_lr = max_lr / config["div_factor"] / config["final_div_factor"]
    values, momenta = schedule(np.arange(total + 20)), schedule.momentum(np.arange(total + 20))
    tolerance = 1e-12 * max_lr
    assert np.all(values <= max_lr + tolerance) and np.all(values >= min_lr - tolerance)
    assert np.all(momenta >= config["base_momentum"] - 1e-12) and np.all(momenta <= config["max_momentum"] + 1e-12)
    peak = int(np.argmax(values))
    assert np.all(np.diff(values[: peak + 1]) >= -tolerance)
    assert np.isclose(values[total - 1], min_lr) and np.all(values[total - 1 :] == values[total - 1])
    if not config["three_phase"]:
        assert np.all(np.diff(values[peak:]) <= tolerance)


def test_building_and_evaluating_schedules_imports_no_framework():
    code = (
        "import sys, numpy, lrlib; s = lrlib.warmup(lrlib.one_cycle(0.1, 100), 10); s(5); s(numpy.arange(9)); "
        "lrlib.from_config(s.get_config()); print(','.join(m for m in ('torch', 'tensorflow', 'keras', 'jax') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
