"""The framework-free LR range test: sweep, smoothing, divergence stop, suggestion rules, result object."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from lrlib.lr_finder import (
    DEFAULT_RULE,
    RULES,
    RangeTest,
    RangeTestResult,
    debiased_ema,
    half_descent,
    min_div_10,
    steepest,
    suggest,
    sweep_lrs,
    valley,
    zero_lag_smooth,
)

# --------------------------------------------------------------------------- sweep


def test_exp_sweep_matches_torch_lr_finder_formula():
    start, end, n = 1e-7, 10.0, 100
    expected = [start * (end / start) ** (i / (n - 1)) for i in range(n)]  # torch_lr_finder.ExponentialLR
    np.testing.assert_allclose(sweep_lrs(start, end, n), expected, rtol=1e-12)


def test_linear_sweep_matches_torch_lr_finder_formula():
    start, end, n = 1e-3, 1.0, 50
    expected = [start + i / (n - 1) * (end - start) for i in range(n)]  # torch_lr_finder.LinearLR
    np.testing.assert_allclose(sweep_lrs(start, end, n, mode="linear"), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"start_lr": 0.0}, "start_lr"),
        ({"start_lr": -1e-3}, "start_lr"),
        ({"start_lr": 1.0, "end_lr": 1.0}, "end_lr"),
        ({"start_lr": 1.0, "end_lr": 0.5}, "end_lr"),
        ({"end_lr": math.inf}, "end_lr"),
        ({"num_iter": 9}, "num_iter"),
        ({"num_iter": 10.5}, "num_iter"),
        ({"num_iter": True}, "num_iter"),
        ({"mode": "cosine"}, "mode"),
    ],
)
def test_bad_sweep_arguments_name_the_argument(kwargs, name):
    args = {"start_lr": 1e-7, "end_lr": 10.0, "num_iter": 100, "mode": "exp", **kwargs}
    with pytest.raises(ValueError, match=name):
        sweep_lrs(**args)
    with pytest.raises(ValueError, match=name):
        RangeTest(**args)


@pytest.mark.parametrize("kwargs, name", [({"smooth": 1.0}, "smooth"), ({"smooth": -0.1}, "smooth"),
                                          ({"diverge": 0.0}, "diverge"), ({"rule": "magic"}, "rule")])
def test_bad_range_test_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        RangeTest(**kwargs)


def test_lr_for_follows_the_sweep_and_rejects_steps_outside_it():
    test = RangeTest(1e-4, 1.0, 20)
    assert [test.lr_for(i) for i in range(20)] == pytest.approx(list(sweep_lrs(1e-4, 1.0, 20)))
    with pytest.raises(ValueError, match="step"):
        test.lr_for(20)


# --------------------------------------------------------------------------- smoothing


def test_debiased_ema_matches_its_formula():
    x = np.random.default_rng(0).normal(size=30)
    beta = 0.9
    avg, expected = 0.0, []
    for k, v in enumerate(x, start=1):
        avg = beta * avg + (1 - beta) * v
        expected.append(avg / (1 - beta**k))
    np.testing.assert_allclose(debiased_ema(x, beta), expected, rtol=1e-12)


def test_bias_correction_keeps_a_constant_loss_constant():
    # Without the correction the first smoothed value would be (1 - beta) * 3 = 0.06.
    test = RangeTest(num_iter=20, smooth=0.98)
    for _ in range(20):
        test.record(3.0)
    np.testing.assert_allclose(test.smoothed, 3.0, rtol=1e-12)


def test_recorded_smoothing_is_the_debiased_ema_of_the_losses():
    losses = 2.0 + 0.1 * np.random.default_rng(1).normal(size=40)
    test = RangeTest(num_iter=40, smooth=0.9, diverge=None)
    for loss in losses:
        test.record(loss)
    result = test.result()
    np.testing.assert_array_equal(result.losses, losses)
    np.testing.assert_allclose(result.smoothed, debiased_ema(losses, 0.9), rtol=1e-12)


def test_smooth_zero_disables_smoothing():
    losses = np.random.default_rng(2).normal(size=15)
    test = RangeTest(num_iter=15, smooth=0.0, diverge=None)
    for loss in losses:
        test.record(loss)
    np.testing.assert_allclose(test.result().smoothed, losses, rtol=1e-12)


# --------------------------------------------------------------------------- divergence


def _typical_curve(lrs: np.ndarray, rng: np.random.Generator, noise: float = 0.02) -> np.ndarray:
    """Flat, then a descent around lr=1e-2, then an explosion past lr=1: the shape real sweeps have."""
    x = np.log10(lrs)
    return 1.0 - 0.8 / (1 + np.exp(-3 * (x + 2))) + np.exp(4 * x) + noise * rng.normal(size=len(x))


def _run(test: RangeTest, losses: np.ndarray) -> RangeTest:
    for loss in losses:
        if test.record(loss):
            break
    return test


def test_divergence_stops_after_the_explosion_and_not_before():
    lrs = sweep_lrs(1e-7, 10.0, 100)
    test = _run(RangeTest(), _typical_curve(lrs, np.random.default_rng(0)))
    assert test.diverged
    stop_lr = lrs[test.step - 1]
    assert 0.3 < stop_lr < 3.0  # the exponential term exceeds the whole descent (0.8) at lr ~ 0.95


@pytest.mark.parametrize("shift, scale", [(-100.0, 1.0), (0.0, 1e-9), (-1e-9, 1e-9), (1e6, 1.0), (-3.0, 50.0)])
def test_divergence_stop_ignores_the_loss_offset_and_scale(shift, scale):
    # A fixed "4 x best loss" threshold cannot work for negative or near-zero losses; this stop must
    # behave identically for every affine image of the same curve.
    lrs = sweep_lrs(1e-7, 10.0, 100)
    curve = _typical_curve(lrs, np.random.default_rng(3))
    reference = _run(RangeTest(), curve)
    moved = _run(RangeTest(), shift + scale * curve)
    assert moved.diverged and moved.step == reference.step


@pytest.mark.parametrize("seed", range(10))
def test_a_flat_noisy_negative_loss_runs_the_whole_sweep(seed):
    noise = np.random.default_rng(seed).normal(size=100)
    test = _run(RangeTest(), -5.0 + 1e-3 * noise)
    assert not test.diverged and test.step == 100


def test_diverge_none_runs_until_a_non_finite_loss():
    lrs = sweep_lrs(1e-7, 10.0, 100)
    losses = _typical_curve(lrs, np.random.default_rng(0))
    losses[90] = math.inf
    test = _run(RangeTest(diverge=None), losses)
    assert test.diverged and test.step == 91


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_loss_stops_the_sweep_and_the_rules_ignore_it(bad):
    test = RangeTest(num_iter=50)
    for i in range(29):
        assert not test.record(2.0 - 0.01 * i)
    assert test.record(bad)
    result = test.result()
    assert result.diverged and len(result.lrs) == 30 and math.isnan(result.smoothed[-1])
    finite = (result.lrs[:29], result.losses[:29], result.smoothed[:29])
    assert result.suggestions == {name: suggest(*finite, name) for name in RULES}


def test_a_non_finite_loss_at_the_first_step_is_an_error():
    test = RangeTest()
    with pytest.raises(ValueError, match="first step"):
        test.record(math.nan)
    assert test.step == 0


def test_recording_after_the_end_is_an_error():
    test = RangeTest(num_iter=10)
    for _ in range(10):
        test.record(1.0)
    assert test.done and not test.diverged
    with pytest.raises(RuntimeError, match="finished"):
        test.record(1.0)


# --------------------------------------------------------------------------- rules


def _sigmoid_descent(lrs: np.ndarray, centre: float) -> np.ndarray:
    """A smooth descent whose steepest point against log LR is exactly at lr = 10**centre."""
    return 2.0 - np.tanh(np.log10(lrs) - centre)


def test_steepest_finds_the_inflection_of_a_sigmoid_descent():
    lrs = sweep_lrs(1e-6, 1.0, 121)  # 20 points per decade
    curve = _sigmoid_descent(lrs, -3.0)
    assert steepest(lrs, curve, curve) == pytest.approx(1e-3, rel=1e-9)


def test_steepest_equals_torch_lr_finder_on_the_same_curve():
    torch = pytest.importorskip("torch")
    torch_lr_finder = pytest.importorskip("torch_lr_finder")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lrs = sweep_lrs(1e-7, 10.0, 100)
    curve = _typical_curve(lrs, np.random.default_rng(5))[:95]
    model = torch.nn.Linear(2, 1)
    finder = torch_lr_finder.LRFinder(model, torch.optim.SGD(model.parameters(), lr=0.1), torch.nn.MSELoss())
    finder.history = {"lr": list(lrs[:95]), "loss": list(curve)}
    fig, ax = plt.subplots()
    _, expected = finder.plot(ax=ax, suggest_lr=True)  # skip_start=10, skip_end=5, np.gradient
    plt.close(fig)
    assert steepest(lrs[:95], curve, curve) == expected


def test_min_div_10_is_a_tenth_of_the_minimum_after_fastais_trimming():
    lrs = sweep_lrs(1e-5, 1.0, 61)
    losses = (np.log10(lrs) + 1.5) ** 2  # minimum at lr = 10**-1.5 (a grid point: 12 points per decade)
    losses[2] = -1.0  # inside the first tenth, which fastai's lr_find drops
    assert min_div_10(lrs, losses, losses) == pytest.approx(10**-2.5, rel=1e-9)


def test_valley_on_a_hand_computed_curve():
    # 40 points; fastai trims 40 // 10 = 4 at the start and 5 at the end, leaving 31. The trimmed curve
    # falls strictly for 21 points and then rises: the longest valley ends at trimmed index 20 with
    # length 21, fastai's start index is 20 - 21 = -1, sections = 21 / 3 = 7, so the pick is
    # -1 + 7 + int(3.5) = 9 in the trimmed curve, i.e. index 13 of the sweep.
    lrs = sweep_lrs(1e-4, 1.0, 40)
    trimmed = np.concatenate([np.linspace(5.0, 1.0, 21), np.linspace(1.5, 6.0, 10)])
    losses = np.concatenate([np.full(4, 9.0), trimmed, np.full(5, 9.0)])
    assert valley(lrs, losses, losses) == lrs[13]


def test_valley_follows_the_longest_descent_across_a_bump():
    # Longest decreasing subsequence, not the longest run: the bump at trimmed index 10 is skipped.
    lrs = sweep_lrs(1e-4, 1.0, 40)
    trimmed = np.concatenate([np.linspace(5.0, 1.0, 21), np.linspace(1.5, 6.0, 10)])
    trimmed[10] = 7.0
    losses = np.concatenate([np.full(4, 9.0), trimmed, np.full(5, 9.0)])
    # the subsequence now has 20 points ending at index 20: start 0, sections 20/3, pick 0 + 6 + 3 = 9
    assert valley(lrs, losses, losses) == lrs[4 + 9]


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_reads_the_same_curve_for_any_offset_and_scale(name):
    lrs = sweep_lrs(1e-7, 10.0, 100)[:92]
    raw = _typical_curve(lrs, np.random.default_rng(7))
    reference = suggest(lrs, raw, debiased_ema(raw, 0.98), name)
    assert reference is not None
    moved = -50.0 + 1e-6 * raw
    assert suggest(lrs, moved, debiased_ema(moved, 0.98), name) == pytest.approx(reference, rel=1e-12)


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_lands_inside_the_descent_of_a_typical_sweep(name):
    lrs = sweep_lrs(1e-7, 10.0, 100)
    result = _run(RangeTest(rule=name), _typical_curve(lrs, np.random.default_rng(11))).result()
    assert result.rule == name and result.suggestion == result.suggestions[name]
    assert 1e-5 < result.suggestion < 1.0


def test_upper_lr_is_the_lowest_point_of_the_zero_lag_curve_above_the_suggestion():
    lrs = sweep_lrs(1e-7, 10.0, 100)
    losses = _typical_curve(lrs, np.random.default_rng(11))
    result = _run(RangeTest(), losses).result()
    n = len(result.lrs)
    assert result.upper_lr == result.lrs[np.argmin(zero_lag_smooth(result.lrs, result.losses[:n]))]
    assert result.suggestion < result.upper_lr


def test_upper_lr_reads_only_the_finite_part_and_needs_ten_points():
    test = RangeTest(num_iter=50)
    for i in range(29):
        test.record(2.0 - 0.01 * i)  # falling all the way: the lowest point is the last finite one
    test.record(math.inf)
    result = test.result()
    assert result.upper_lr == result.lrs[28]
    short = RangeTest(num_iter=50)
    for i in range(9):
        short.record(2.0 - 0.01 * i)
    assert short.result().upper_lr is None


def test_zero_lag_smoothing_keeps_features_in_place():
    # The online EMA moves a bump to the right (to larger LRs); the forward-backward one does not.
    lrs = sweep_lrs(1e-7, 10.0, 100)
    bump = np.exp(-0.5 * ((np.log10(lrs) + 3.0) / 0.5) ** 2)
    peak = int(np.argmax(bump))
    assert int(np.argmax(debiased_ema(bump, 0.8))) > peak + 2
    assert abs(int(np.argmax(zero_lag_smooth(lrs, bump))) - peak) <= 1
    np.testing.assert_allclose(zero_lag_smooth(lrs, np.full(100, -4.0)), -4.0, rtol=1e-12)


def test_zero_lag_smoothing_spans_the_same_lr_range_on_any_sweep_length():
    # The same curve sampled 100 or 400 times over 8 decades is smoothed over the same width in log LR.
    short, long = sweep_lrs(1e-7, 10.0, 100), sweep_lrs(1e-7, 10.0, 400)
    step = lambda lrs: (np.log10(lrs) > -3).astype(float)  # noqa: E731
    width = [np.ptp(np.log10(lrs)[(zero_lag_smooth(lrs, step(lrs)) > 0.1) & (zero_lag_smooth(lrs, step(lrs)) < 0.9)])
             for lrs in (short, long)]
    assert width[0] == pytest.approx(width[1], rel=0.25)


def test_half_descent_is_half_way_down_a_clean_descent():
    # Flat at 2, falling to ~0 around lr = 1e-3 (tanh), then exploding: half-way (level 1) is at 1e-3.
    lrs = sweep_lrs(1e-7, 10.0, 161)  # 20 points per decade
    x = np.log10(lrs)
    curve = 1.0 - np.tanh(2.0 * (x + 3.0)) + np.exp(3.0 * (x - 0.5))
    assert half_descent(lrs, curve, curve) == pytest.approx(1e-3, rel=10 ** (1 / 20) - 1 + 1e-9)


def test_half_descent_tolerates_noise():
    lrs = sweep_lrs(1e-7, 10.0, 100)
    x = np.log10(lrs)
    clean = 1.0 - np.tanh(2.0 * (x + 3.0)) + np.exp(3.0 * (x - 0.5))
    for seed in range(5):
        noisy = clean + 0.1 * np.random.default_rng(seed).normal(size=len(x))
        assert 10**-3.25 <= half_descent(lrs, noisy, noisy) <= 10**-2.75


def test_half_descent_reads_the_final_descent_not_a_dip_in_the_plateau():
    # A weak descent (to ~0.89 after smoothing) before the explosion, and earlier a deeper dip (to ~0.8)
    # of the kind noise makes on a flat plateau: the rule must read the final descent, at lr ~ 1e-2.
    lrs = sweep_lrs(1e-7, 10.0, 161)
    x = np.log10(lrs)
    curve = 1.0 - 0.075 * (1 + np.tanh(3.0 * (x + 2.0))) - 0.3 * np.exp(-0.5 * ((x + 5.0) / 0.4) ** 2)
    curve += np.exp(3.0 * (x - 0.5))
    assert 10**-2.5 <= half_descent(lrs, curve, curve) <= 10**-1.5


def test_half_descent_declines_a_curve_that_never_descends():
    lrs = sweep_lrs(1e-7, 10.0, 100)
    rising = np.linspace(1.0, 3.0, 100)
    assert half_descent(lrs, rising, rising) is None


def test_too_short_a_curve_gives_no_suggestion_and_says_why():
    test = RangeTest(num_iter=10)
    test.record(1.0)
    test.record(math.nan)
    result = test.result()
    assert result.suggestion is None
    assert "1 finite loss" in result.reason and "num_iter" in result.reason


def test_default_rule_is_registered():
    assert DEFAULT_RULE in RULES and RangeTest().rule == DEFAULT_RULE


# --------------------------------------------------------------------------- result


def _result() -> RangeTestResult:
    lrs = sweep_lrs(1e-7, 10.0, 100)
    return _run(RangeTest(), _typical_curve(lrs, np.random.default_rng(0))).result()


def test_result_round_trips_through_json():
    result = _result()
    again = RangeTestResult.from_dict(json.loads(json.dumps(result.to_dict())))
    np.testing.assert_array_equal(again.lrs, result.lrs)
    np.testing.assert_array_equal(again.losses, result.losses)
    np.testing.assert_array_equal(again.smoothed, result.smoothed)
    assert (again.rule, again.diverged, again.suggestions) == (result.rule, result.diverged, result.suggestions)


def test_with_rule_switches_the_suggestion_only():
    result = _result()
    for name in RULES:
        other = result.with_rule(name)
        assert other.suggestion == result.suggestions[name]
        np.testing.assert_array_equal(other.smoothed, result.smoothed)


def test_result_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        RangeTestResult(np.ones(3), np.ones(3), np.ones(2))


def test_plot_uses_a_log_axis_and_marks_the_suggestion():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    result = _result()
    ax = result.plot()
    assert ax.get_xscale() == "log"
    marked = [line for line in ax.get_lines() if list(line.get_xdata()) == [result.suggestion]]
    assert marked, "no marker at the suggested LR"
    assert any(f"{result.suggestion:.2g}" in text.get_text() for text in ax.get_legend().get_texts())
    plt.close(ax.figure)


def test_importing_the_core_imports_neither_matplotlib_nor_a_framework():
    code = (
        "import sys, lrlib.lr_finder; "
        "print(sorted(m for m in ('matplotlib', 'torch', 'tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
