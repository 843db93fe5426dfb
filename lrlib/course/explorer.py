"""Sliders to explore a schedule's parameters, with a static figure when widgets cannot render.

In a live JupyterLab, ``explore("cosine")`` shows one slider per parameter and redraws the schedule as they
move. Executed headless (nbval, the website build, a script) the same call draws small multiples instead:
one panel per parameter, the schedule at that parameter's low, default and high value with the others at
their defaults. Which one you get is decided by `lrlib.course._display.live_frontend` (override it with
``LRLIB_INTERACTIVE=1`` or ``0``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Union

from lrlib.course import _display

Number = Union[int, float]
# A control: a slider (low, high, step, initial value) or a list of options (a drop-down; the first is initial).
Spec = Union[tuple[Number, Number, Number, Number], list]

# Controls for the course's custom schedules, by constructor name.
DEFAULT_RANGES: dict[str, dict[str, Spec]] = {
    "square_root": {"lr": (0.01, 1.0, 0.01, 0.1)},
    "factor": {"lr": (0.1, 3.0, 0.1, 2.0), "factor": (0.5, 0.99, 0.01, 0.9), "min_lr": (0.0, 0.5, 0.01, 0.01)},
    "exponential": {"lr": (0.01, 1.0, 0.01, 0.3), "gamma": (0.5, 0.99, 0.01, 0.9)},
    "step": {"lr": (0.01, 1.0, 0.01, 0.3), "step_size": (1, 30, 1, 10), "gamma": (0.05, 0.95, 0.05, 0.5)},
    "polynomial": {"lr": (0.01, 1.0, 0.01, 0.3), "total_steps": (5, 50, 1, 30), "power": (0.25, 4.0, 0.25, 1.0),
                   "final_lr": (0.0, 0.1, 0.005, 0.0)},
    "cosine": {"lr": (0.01, 1.0, 0.01, 0.3), "total_steps": (5, 50, 1, 20), "final_lr": (0.0, 0.1, 0.005, 0.01),
               "warmup_steps": (0, 20, 1, 5), "warmup_start_lr": (0.0, 0.3, 0.01, 0.0)},
    "cosine_restarts": {"lr": (0.01, 1.0, 0.01, 0.3), "period": (2, 30, 1, 10), "period_mult": (1, 3, 1, 1),
                        "final_lr": (0.0, 0.1, 0.005, 0.0)},
    "cyclic": {"base_lr": (0.001, 0.1, 0.001, 0.01), "max_lr": (0.1, 1.0, 0.05, 0.3), "step_size": (2, 20, 1, 5),
               "mode": ["triangular", "triangular2"]},
    "one_cycle": {"max_lr": (0.1, 1.0, 0.05, 0.3), "total_steps": (10, 50, 1, 30), "pct_start": (0.1, 0.9, 0.05, 0.3),
                  "div_factor": (2.0, 50.0, 1.0, 25.0), "final_div_factor": (10.0, 1e4, 10.0, 1e4),
                  "anneal": ["cos", "linear"]},
}
DEFAULT_STEPS = 50


def explore(kind: str | Callable, steps: int = DEFAULT_STEPS, **ranges: Any):
    """Explore schedule `kind` with sliders, or draw the static figure when widgets cannot render.

    Args:
        kind: an lrlib constructor name from `DEFAULT_RANGES` ("square_root", "factor", "cosine", ...) or any
            constructor ``**params -> schedule`` (then give a range for each parameter).
        steps: how many steps to plot.
        **ranges: per parameter, a slider range ``(low, high)``, ``(low, high, step)`` or
            ``(low, high, step, initial)``, a list of options (a drop-down), or a plain value that fixes the
            parameter. For example ``explore("cosine", total_steps=30, warmup_steps=(0, 10))``.

    Returns None in a notebook, where the sliders or the static figure are displayed (returning them would
    show them twice); in a plain python run, the static figure.
    """
    if _display.live_frontend():
        from IPython.display import display

        box = widget(kind, steps, **ranges)
        display(box)
        return None
    fig = static_figure(kind, steps, **ranges)
    if _display.in_kernel():
        _display.show_static(fig)
        return None
    return fig


def widget(kind: str | Callable, steps: int = DEFAULT_STEPS, **ranges: Any):
    """The ipywidgets box: one control per ranged parameter above the plot of the schedule they define."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    build, sliders, fixed = _parameters(kind, ranges)
    controls = {name: _control(widgets, name, spec) for name, spec in sliders.items()}
    initial = {**fixed, **{name: _initial(spec) for name, spec in sliders.items()}}

    def draw(**values: Any) -> None:
        _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
        _draw_one(ax, build, initial, {**fixed, **values}, steps)
        plt.show()

    output = widgets.interactive_output(draw, controls)
    return widgets.VBox([widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")), output])


def static_figure(kind: str | Callable, steps: int = DEFAULT_STEPS, **ranges: Any):
    """Small multiples: per ranged parameter, the schedule at its low, initial and high value (or each option)."""
    import matplotlib.pyplot as plt

    from lrlib import plot

    build, sliders, fixed = _parameters(kind, ranges)
    initial = {**fixed, **{name: _initial(spec) for name, spec in sliders.items()}}
    columns = min(3, max(1, len(sliders)))
    rows = -(-max(1, len(sliders)) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3 * rows), squeeze=False, layout="constrained")
    for ax, (name, spec) in zip(axes.flat, sliders.items()):
        curves = {f"{name}={v:g}" if not isinstance(v, str) else f"{name}={v}": _safe_build(build, {**initial, name: v})
                  for v in _static_values(spec)}
        plot.schedules({label: s for label, s in curves.items() if s is not None}, steps, ax, title=name)
    for ax in list(axes.flat)[len(sliders):]:
        ax.axis("off")
    if not sliders:
        _draw_one(axes.flat[0], build, initial, initial, steps)
    fig.suptitle(f"{_name(kind)}: each panel varies one parameter (static view of the slider explorer)")
    return fig


def _draw_one(ax, build: Callable, initial: Mapping[str, Any], values: Mapping[str, Any], steps: int) -> None:
    """The schedule at `values` (and, faint, at the initial values); a failed construction shows its error."""
    from lrlib import plot

    try:
        schedule = build(**values)
    except (ValueError, TypeError) as exc:
        ax.text(0.5, 0.5, str(exc), ha="center", va="center", wrap=True, transform=ax.transAxes, color="tab:red")
        ax.set_axis_off()
        return
    plot.schedules({"current": schedule}, steps, ax, momentum=True)
    ax.set_title(repr(schedule), fontsize="small", wrap=True)
    reference = _safe_build(build, initial)
    if reference is not None and values != initial:
        ax.plot(*plot.lr_values(reference, steps), color="gray", alpha=0.4, linestyle=":", label="initial")
        ax.legend(fontsize="small")


def _safe_build(build: Callable, values: Mapping[str, Any]):
    try:
        return build(**values)
    except ValueError:
        return None  # this combination is invalid (e.g. warmup longer than the schedule); skip its curve


def _parameters(kind: str | Callable, ranges: Mapping[str, Any]):
    """``(constructor, sliders, fixed)``: sliders maps a parameter to (low, high, step, initial)."""
    build = _constructor(kind)
    accepted = inspect.signature(build).parameters
    unknown = sorted(set(ranges) - set(accepted))
    if unknown:
        raise TypeError(f"{_name(kind)} has no parameter(s) {unknown}; it takes {list(accepted)}")
    defaults = DEFAULT_RANGES.get(kind, {}) if isinstance(kind, str) else {}
    sliders = {name: spec for name, spec in defaults.items() if name not in ranges}
    fixed = {}
    for name, value in ranges.items():
        if isinstance(value, list):
            if not value:
                raise ValueError(f"options for {name} must not be empty")
            sliders[name] = value
        elif isinstance(value, tuple):
            sliders[name] = _full_range(name, value, defaults.get(name))
        else:
            fixed[name] = value
    return build, sliders, fixed


def _constructor(kind: str | Callable) -> Callable:
    if callable(kind):
        return kind
    if kind not in DEFAULT_RANGES:
        raise ValueError(f"kind must be one of {sorted(DEFAULT_RANGES)} or a schedule constructor, got {kind!r}")
    from lrlib import schedules

    return getattr(schedules, kind)


def _full_range(name: str, spec: tuple, default: Spec | None) -> tuple[Number, Number, Number, Number]:
    if not 2 <= len(spec) <= 4:
        raise ValueError(f"range for {name} must be (low, high), (low, high, step) or (low, high, step, initial)")
    low, high = spec[0], spec[1]
    if not low < high:
        raise ValueError(f"range for {name} must have low < high, got {spec}")
    integer = all(isinstance(v, int) for v in spec)
    step = spec[2] if len(spec) > 2 else (1 if integer else (high - low) / 100)
    if len(spec) == 4:
        initial = spec[3]
    elif isinstance(default, tuple) and low <= default[3] <= high:
        initial = default[3]
    else:
        initial = low
    if not low <= initial <= high:
        raise ValueError(f"initial value of {name} must lie in [{low}, {high}], got {initial}")
    return low, high, step, initial


def _initial(spec: Spec) -> Any:
    return spec[0] if isinstance(spec, list) else spec[3]


def _static_values(spec: Spec) -> list:
    """The values the static view draws: every option, or low, initial and high without repeats."""
    return list(spec) if isinstance(spec, list) else list(dict.fromkeys((spec[0], spec[3], spec[1])))


def _control(widgets, name: str, spec: Spec):
    if isinstance(spec, list):
        return widgets.Dropdown(options=spec, value=spec[0], description=name)
    low, high, step, value = spec
    cls = widgets.IntSlider if all(isinstance(v, int) for v in spec) else widgets.FloatSlider
    options = {} if cls is widgets.IntSlider else {"readout_format": ".3g"}
    return cls(min=low, max=high, step=step, value=value, description=name, continuous_update=False,
               style={"description_width": "initial"}, **options)


def _name(kind: str | Callable) -> str:
    return kind if isinstance(kind, str) else getattr(kind, "__name__", repr(kind))
