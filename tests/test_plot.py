"""lrlib.plot: schedules on shared axes, histories side by side, the results table (headless, Agg)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lrlib  # noqa: E402
from lrlib import plot  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def fake_history(scale: float, epochs: int = 4) -> dict[str, list[float]]:
    e = np.arange(1, epochs + 1)
    return {"train_loss": list(scale / e), "train_acc": list(1 - scale / (e + 1)),
            "test_acc": list(0.9 - scale / (e + 2)), "lr": list(0.1 * 0.5 ** (e - 1))}


def test_schedules_share_one_axes_with_a_line_each_equal_to_the_schedule():
    named = {"cosine": lrlib.cosine(0.3, 20), "step": lrlib.step(0.3, 5, 0.5), "square root": lrlib.square_root(0.3)}
    ax = plot.schedules(named, 30)
    assert [line.get_label() for line in ax.lines] == list(named)
    for line, schedule in zip(ax.lines, named.values()):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(30))
        np.testing.assert_allclose(line.get_ydata(), [schedule(t) for t in range(30)], rtol=1e-12)
    assert ax.get_legend() is not None


def test_schedules_accept_lists_callables_values_and_explicit_steps():
    class Factor:  # a stateful d2l-style scheduler: must be called once per step, in order
        def __init__(self):
            self.lr = 1.0

        def __call__(self, t):
            self.lr *= 0.5
            return self.lr

    ax = plot.schedules([lrlib.constant(0.1), Factor(), [0.3, 0.2, 0.1]], np.array([0, 1, 2, 3]))
    assert ax.lines[0].get_label() == repr(lrlib.constant(0.1))
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.5, 0.25, 0.125, 0.0625])
    np.testing.assert_allclose(ax.lines[2].get_ydata(), [0.3, 0.2, 0.1])


def test_schedules_momentum_on_a_twin_axis_and_log_scale():
    ax = plot.schedules({"1cycle": lrlib.one_cycle(0.3, 50), "cosine": lrlib.cosine(0.3, 50)}, 50, momentum=True,
                        logy=True)
    twins = [other for other in ax.figure.axes if other is not ax]
    assert len(twins) == 1 and len(twins[0].lines) == 1  # only one_cycle has momentum
    np.testing.assert_allclose(twins[0].lines[0].get_ydata(), lrlib.one_cycle(0.3, 50).momentum(np.arange(50)))
    assert ax.get_yscale() == "log"


def test_histories_one_panel_per_metric_one_line_per_run():
    runs = {"constant": fake_history(1.0), "decayed": fake_history(0.5), "short": fake_history(0.7, epochs=2)}
    axes = plot.histories(runs, metrics=("train_loss", "test_acc"))
    assert len(axes) == 2
    assert all(len(ax.lines) == 3 for ax in axes)
    np.testing.assert_allclose(axes[1].lines[1].get_ydata(), runs["decayed"]["test_acc"])
    np.testing.assert_array_equal(axes[0].lines[2].get_xdata(), [1, 2])


def test_histories_read_keras_history_objects():
    class KerasHistory:
        history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.7], "val_accuracy": [0.4, 0.6]}

    axes = plot.histories({"keras": KerasHistory()}, metrics=("loss", "val_accuracy", "lr"))
    assert [len(ax.lines) for ax in axes] == [1, 1, 0]
    assert [ax.get_ylabel() or ax.get_title() for ax in axes[:2]] == ["train loss", "validation acc"]


def test_history_draws_metrics_left_and_lr_right():
    record = fake_history(1.0)
    left, right = plot.history(record)
    assert [line.get_label() for line in left.lines] == ["train loss", "train acc", "test acc"]
    np.testing.assert_allclose(right.lines[0].get_ydata(), record["lr"])


def test_results_table_has_the_final_numbers_and_the_gap():
    runs = {"a": fake_history(1.0), "b": fake_history(0.5)}
    table = plot.results_table(runs)
    assert list(table.index) == ["a", "b"]
    assert table.loc["b", "train loss"] == pytest.approx(runs["b"]["train_loss"][-1])
    assert table.loc["a", "train-test gap"] == pytest.approx(runs["a"]["train_acc"][-1] - runs["a"]["test_acc"][-1])


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="steps"):
        plot.schedules([lrlib.constant(0.1)], 0)
    with pytest.raises(ValueError, match="metrics"):
        plot.histories({"a": fake_history(1.0)}, metrics=())
    with pytest.raises(ValueError, match="none of the metrics"):
        plot.results_table({"empty": {}})


def test_seed_table_shows_mean_sample_spread_and_range():
    table = plot.seed_table({"a": {"loss": [1.0, 2.0, 3.0], "acc": [0.5, 0.5, 0.5]}, "b": {"loss": [4.0]}},
                            digits=2)
    assert table.loc["a", "loss"] == "2.00 ± 1.00 (1.00 to 3.00)"
    assert table.loc["a", "acc"] == "0.50 ± 0.00 (0.50 to 0.50)"
    assert table.loc["b", "loss"] == "4.00 ± 0.00 (4.00 to 4.00)"


@pytest.mark.parametrize("numbers", [[], [1.0, float("nan")], [float("inf")]])
def test_seed_table_names_the_run_and_metric_of_bad_values(numbers):
    with pytest.raises(ValueError, match=r"values\['run'\]\['loss'\]"):
        plot.seed_table({"run": {"loss": numbers}})
