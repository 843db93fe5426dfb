"""lrlib.course.plot_history: losses and LR per epoch, and the LR panel per batch when given the batches' LRs."""

import numpy as np
import pytest

pytest.importorskip("keras")
import matplotlib  # noqa: E402

matplotlib.use("Agg")

from lrlib.course import concatenate_histories, plot_history  # noqa: E402


def joined_cycles():
    first = {"loss": [1.0, 0.8], "learning_rate": [0.1, 0.001]}
    second = {"loss": [0.7, 0.6], "learning_rate": [0.01, 0.0001]}
    return concatenate_histories([first, second])


def test_batch_lr_draws_every_batch_on_the_epoch_axis():
    lrs = np.concatenate([np.linspace(0.01, 0.1, 3), np.linspace(0.1, 0.001, 3),
                          np.linspace(0.001, 0.01, 3), np.linspace(0.01, 0.0001, 3)])
    axes = plot_history(joined_cycles(), batch_lr=lrs)
    (line,) = axes[1].get_lines()
    np.testing.assert_allclose(line.get_ydata(), lrs)
    np.testing.assert_allclose(line.get_xdata(), np.arange(12) / 3)
    assert "per batch" in axes[1].get_ylabel()


def test_without_batch_lr_the_panel_has_one_lr_per_epoch():
    axes = plot_history(joined_cycles())
    np.testing.assert_allclose(axes[1].get_lines()[0].get_ydata(), [0.1, 0.001, 0.01, 0.0001])


def test_batch_lr_alone_adds_the_panel_to_a_history_without_lrs():
    axes = plot_history({"loss": [1.0, 0.5]}, batch_lr=[0.1, 0.2, 0.3, 0.4])
    assert len(axes) == 2


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_lr=[0.1] * 5), "whole number of batches"),
    (dict(batch_lr=[0.1] * 4, lr=False), "batch_lr is given but lr=False"),
])
def test_bad_batch_lr_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_history(joined_cycles(), **kwargs)


def test_plot_history():
    history = {"loss": [3.0, 2.0, 1.5], "val_loss": [3.5, 2.5, 2.0], "learning_rate": [0.1, 0.05, 0.01]}
    axes = plot_history(history)
    assert len(axes) == 2
    np.testing.assert_array_equal(axes[0].get_lines()[1].get_ydata(), history["val_loss"])
    np.testing.assert_array_equal(axes[1].get_lines()[0].get_ydata(), history["learning_rate"])
    assert len(plot_history({"loss": [1.0, 0.5]})) == 1
    with pytest.raises(ValueError, match="metrics"):
        plot_history(history, metrics=("accuracy",))
    with pytest.raises(ValueError, match="lr"):
        plot_history({"loss": [1.0]}, lr=True)
