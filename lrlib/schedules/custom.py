"""The open schedule contract: any Python callable ``step -> lr`` is a schedule.

`from_function` wraps such a callable (a ``lambda``, a d2l-style scheduler object, a fastai-style function of
the step) into a `Schedule`, so that lrlib's combinators and adapters take it like one of their own and give
exactly its values (`lrlib.constructor` converts every argument annotated `ScheduleLike` with it).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from lrlib.schedules._base import SCALAR, Formula, Formulas, Schedule, StepFunction, constructor


def _step_formula(function: StepFunction, name: str) -> Formula:
    """``function`` as a formula: called with each step as a Python int, element by element for an array."""

    def formula(t: Any, xp: Any) -> Any:
        if xp is SCALAR:
            return float(function(int(t)))
        if xp is np:
            steps = np.asarray(t)
            values = np.fromiter((float(function(int(step))) for step in steps.ravel()), np.float64, steps.size)
            return values.reshape(steps.shape)
        namespace = getattr(xp, "__name__", type(xp).__name__)
        raise TypeError(
            f"{name}={function!r} is a Python function of the step, which cannot be evaluated on a {namespace} "
            "tensor inside a compiled graph (lrlib.keras.schedule). Drive training with a callback that calls it "
            "in Python before each batch (lrlib.keras.ScheduleCallback), or write the formula with array "
            "operations under @lrlib.constructor"
        )

    return formula


@constructor
def from_function(lr: StepFunction, momentum: Optional[StepFunction] = None) -> Formulas:
    """A schedule that follows a Python function of the step: ``lr(t)`` (and ``momentum(t)``).

    This is PyTorch's ``LambdaLR`` contract without the multiplication by the initial LR (``LambdaLR(opt,
    f)`` equals ``from_function(lambda t: base_lr * f(t))``), optax's and fastai's "a schedule is a function".
    ``lr`` is called with each step as a Python int and must return a number; on a numpy array of steps
    it is called once per element. Such a schedule composes and drives PyTorch and Keras training like any
    other, but it has no JSON config (a config cannot hold code): pickle it (this works when the function
    is defined at module level, or is an object whose class is), or rebuild it in code. To give a formula
    a config and graph evaluation too, write it with `lrlib.constructor`.

    Args:
        lr: The learning rate at step ``t``: a callable ``int -> float``.
        momentum: The momentum at step ``t``, or None for no momentum.

    Returns:
        A `Schedule` (one with ``.momentum`` when ``momentum`` is given).

    Raises:
        TypeError: If ``lr`` or ``momentum`` is not callable, or is already an lrlib schedule.

    Example:
        >>> s = from_function(lambda t: 0.1 / (1 + t))
        >>> s(1), s(np.array([0, 3]))
        (0.05, array([0.1  , 0.025]))
    """
    for name, value in (("lr", lr), ("momentum", momentum)):
        if isinstance(value, Schedule):
            raise TypeError(f"{name} is already an lrlib schedule ({value!r}); use it as it is")
        if not callable(value) and (name == "lr" or value is not None):
            raise TypeError(f"{name} must be a callable step -> {name} (int -> float), got {value!r}")
    return Formulas(_step_formula(lr, "lr"), None if momentum is None else _step_formula(momentum, "momentum"))


def python_functions(schedule: Schedule) -> list[Any]:
    """The Python step functions (`from_function`'s) inside ``schedule``, nested ones included.

    Args:
        schedule: Any lrlib schedule.

    Returns:
        The functions, in config order; empty when the whole schedule is written with array operations.

    Example:
        >>> import lrlib
        >>> python_functions(lrlib.cosine(0.1, 10))
        []
    """
    found: list[Any] = []

    def walk(config: Any) -> None:
        if isinstance(config, dict):
            if config.get("name") == "from_function":
                found.extend(value for key, value in config.items() if key != "name" and value is not None)
                return
            for value in config.values():
                walk(value)
        elif isinstance(config, list):
            for value in config:
                walk(value)

    walk(schedule._config(portable=False))
    return found
