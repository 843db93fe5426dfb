"""lrlib.course.results: histories side by side, the results and seed tables (headless, Agg)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lrlib.course import results  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def fake_history(scale: float, epochs: int = 4) -> dict[str, list[float]]:
    e = np.arange(1, epochs + 1)
    return {"train_loss": list(scale / e), "train_acc": list(1 - scale / (e + 1)),
            "test_acc": list(0.9 - scale / (e + 2)), "lr": list(0.1 * 0.5 ** (e - 1))}


def test_histories_one_panel_per_metric_one_line_per_run():
    runs = {"constant": fake_history(1.0), "decayed": fake_history(0.5), "short": fake_history(0.7, epochs=2)}
    axes = results.histories(runs, metrics=("train_loss", "test_acc"))
    assert len(axes) == 2
    assert all(len(ax.lines) == 3 for ax in axes)
    np.testing.assert_allclose(axes[1].lines[1].get_ydata(), runs["decayed"]["test_acc"])
    np.testing.assert_array_equal(axes[0].lines[2].get_xdata(), [1, 2])


def test_histories_read_keras_history_objects():
    class KerasHistory:
        history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.7], "val_accuracy": [0.4, 0.6]}

    axes = results.histories({"keras": KerasHistory()}, metrics=("loss", "val_accuracy", "lr"))
    assert [len(ax.lines) for ax in axes] == [1, 1, 0]
    assert [ax.get_ylabel() or ax.get_title() for ax in axes[:2]] == ["train loss", "validation acc"]


def test_history_draws_metrics_left_and_lr_right():
    record = fake_history(1.0)
    left, right = results.history(record)
    assert [line.get_label() for line in left.lines] == ["train loss", "train acc", "test acc"]
    np.testing.assert_allclose(right.lines[0].get_ydata(), record["lr"])


def test_results_table_has_the_final_numbers_and_the_gap():
    runs = {"a": fake_history(1.0), "b": fake_history(0.5)}
    table = results.results_table(runs)
    assert list(table.index) == ["a", "b"]
    assert table.loc["b", "train loss"] == pytest.approx(runs["b"]["train_loss"][-1])
    assert table.loc["a", "train-test gap"] == pytest.approx(runs["a"]["train_acc"][-1] - runs["a"]["test_acc"][-1])


def test_seed_table_shows_mean_sample_spread_and_range():
    table = results.seed_table({"a": {"loss": [1.0, 2.0, 3.0], "acc": [0.5, 0.5, 0.5]}, "b": {"loss": [4.0]}},
                            digits=2)
    assert table.loc["a", "loss"] == "2.00 ± 1.00 (1.00 to 3.00)"
    assert table.loc["a", "acc"] == "0.50 ± 0.00 (0.50 to 0.50)"
    assert table.loc["b", "loss"] == "4.00 ± 0.00 (4.00 to 4.00)"


@pytest.mark.parametrize("numbers", [[], [1.0, float("nan")], [float("inf")]])
def test_seed_table_names_the_run_and_metric_of_bad_values(numbers):
    with pytest.raises(ValueError, match=r"values\['run'\]\['loss'\]"):
        results.seed_table({"run": {"loss": numbers}})



def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="metrics"):
        results.histories({"a": fake_history(1.0)}, metrics=())
    with pytest.raises(ValueError, match="none of the metrics"):
        results.results_table({"empty": {}})
