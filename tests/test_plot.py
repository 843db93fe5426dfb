"""lrlib.plot: schedules on shared axes, with momentum on a twin axis (headless, Agg)."""

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


def test_bad_steps_are_rejected():
    with pytest.raises(ValueError, match="steps"):
        plot.schedules([lrlib.constant(0.1)], 0)
