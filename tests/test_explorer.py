"""lrlib.course.explorer and the live-front-end detection: sliders in JupyterLab, a static figure everywhere else."""

from __future__ import annotations

import types

import matplotlib

matplotlib.use("Agg")

import IPython  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lrlib  # noqa: E402
from lrlib.course import _display, explorer  # noqa: E402


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for name in ("LRLIB_INTERACTIVE", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    yield
    plt.close("all")


@pytest.fixture
def fake_ipython(monkeypatch):
    """Make IPython report a kernel-backed shell, as it does inside any notebook kernel."""
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(kernel=object()))


@pytest.fixture
def kernel(monkeypatch):
    """Run lrlib as if inside a kernel; returns the list of objects passed to display()."""
    monkeypatch.setattr(_display, "in_kernel", lambda: True)
    shown: list = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    return shown


def test_plain_python_is_not_live():
    assert not _display.in_kernel()
    assert not _display.live_frontend()


def test_a_kernel_is_live_only_when_a_jupyter_server_launched_it(fake_ipython, monkeypatch):
    assert _display.in_kernel()
    assert not _display.live_frontend()  # nbval, nbclient, the website build
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/me/notebooks/03_custom.ipynb")
    assert _display.live_frontend()  # JupyterLab / Notebook started the kernel


@pytest.mark.parametrize("value, live", [("1", True), ("true", True), ("0", False), ("no", False)])
def test_environment_variable_overrides_the_detection(fake_ipython, monkeypatch, value, live):
    monkeypatch.setenv("JPY_SESSION_NAME", "x.ipynb")
    monkeypatch.setenv("LRLIB_INTERACTIVE", value)
    assert _display.live_frontend() is live


def test_a_bad_override_is_an_error(monkeypatch):
    monkeypatch.setenv("LRLIB_INTERACTIVE", "maybe")
    with pytest.raises(ValueError, match="LRLIB_INTERACTIVE"):
        _display.live_frontend()


def test_static_fallback_draws_one_panel_per_parameter_with_low_initial_high():
    fig = explorer.explore("cosine", steps=30, total_steps=30, warmup_steps=(0, 10))
    panels = [ax for ax in fig.axes if ax.lines]
    assert [ax.get_title() for ax in panels] == ["lr", "final_lr", "warmup_start_lr", "warmup_steps"]
    warmup = panels[-1]
    assert [line.get_label() for line in warmup.lines] == ["warmup_steps=0", "warmup_steps=5", "warmup_steps=10"]
    np.testing.assert_allclose(warmup.lines[2].get_ydata(),
                               lrlib.cosine(0.3, 30, final_lr=0.01, warmup_steps=10)(np.arange(30)))


def test_static_fallback_in_a_headless_notebook_is_displayed_once(kernel):
    assert explorer.explore("square_root") is None
    assert len(kernel) == 1 and isinstance(kernel[0], matplotlib.figure.Figure)
    assert plt.get_fignums() == []  # closed, so the inline backend does not show it a second time


def test_live_front_end_gets_sliders(kernel, monkeypatch):
    monkeypatch.setenv("LRLIB_INTERACTIVE", "1")
    assert explorer.explore("factor", steps=40) is None
    (box,) = kernel
    controls = box.children[0].children
    assert [c.description for c in controls] == ["lr", "factor", "min_lr"]
    assert [c.value for c in controls] == [2.0, 0.9, 0.01]


def test_widget_controls_follow_the_ranges():
    import ipywidgets as widgets

    box = explorer.widget("one_cycle", 30, total_steps=30, pct_start=(0.2, 0.6), anneal=["linear", "cos"])
    controls = {c.description: c for c in box.children[0].children}
    assert "total_steps" not in controls  # fixed, not a slider
    assert (controls["pct_start"].min, controls["pct_start"].max, controls["pct_start"].value) == (0.2, 0.6, 0.3)
    assert isinstance(controls["anneal"], widgets.Dropdown) and controls["anneal"].value == "linear"
    step_controls = {c.description: c for c in explorer.widget("step").children[0].children}
    assert isinstance(step_controls["step_size"], widgets.IntSlider)
    assert isinstance(step_controls["gamma"], widgets.FloatSlider)


def test_invalid_combinations_are_skipped_not_fatal():
    fig = explorer.static_figure("cosine", 30, total_steps=(5, 20, 1, 20))
    total = next(ax for ax in fig.axes if ax.get_title() == "total_steps")
    assert [line.get_label() for line in total.lines] == ["total_steps=20"]  # 5 <= warmup_steps=5 is invalid


def test_any_constructor_can_be_explored():
    def halving(lr: float, every: int):
        return lrlib.step(lr, every, 0.5)

    fig = explorer.static_figure(halving, 20, lr=(0.1, 1.0), every=(2, 8))
    assert [ax.get_title() for ax in fig.axes if ax.lines] == ["lr", "every"]


@pytest.mark.parametrize("kind, ranges, error, match", [
    ("adam", {}, ValueError, "kind"),
    ("cosine", {"decay": (0, 1)}, TypeError, "decay"),
    ("cosine", {"lr": (1.0, 0.5)}, ValueError, "low < high"),
    ("cosine", {"lr": (0.1, 0.5, 0.1, 0.9)}, ValueError, "initial value"),
    ("cosine", {"lr": []}, ValueError, "options"),
])
def test_bad_arguments(kind, ranges, error, match):
    with pytest.raises(error, match=match):
        explorer.static_figure(kind, **ranges)


def test_moving_a_slider_redraws_the_schedule():
    box = explorer.widget("square_root", 20)
    (slider,) = box.children[0].children
    before = set(plt.get_fignums())
    slider.value = 0.5
    (new,) = set(plt.get_fignums()) - before
    ax = plt.figure(new).axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), lrlib.square_root(0.5)(np.arange(20)))
    assert ax.lines[1].get_label() == "initial"  # the starting curve stays visible, faint, for comparison


def test_an_invalid_slider_combination_shows_the_error_instead_of_failing():
    box = explorer.widget("cosine", 30)
    controls = {c.description: c for c in box.children[0].children}
    before = set(plt.get_fignums())
    controls["total_steps"].value = 5  # warmup_steps is 5: invalid
    (new,) = set(plt.get_fignums()) - before
    assert "warmup_steps" in plt.figure(new).axes[0].texts[0].get_text()
