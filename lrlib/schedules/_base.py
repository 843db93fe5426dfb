"""The `Schedule` object, its configuration round-trip, and the registry of schedule constructors.

A schedule is a closed-form formula ``lr(t)`` of the integer step ``t``. Each formula is written once,
against an *array namespace* ``xp`` (numpy, ``keras.ops``, ``tf.experimental.numpy``, or the plain-Python
`SCALAR` namespace below), so the same code evaluates one step quickly, a million steps vectorized, and a
symbolic step tensor inside a TensorFlow graph. Formulas therefore use only functions those namespaces
share and never branch in Python on ``t``: branches are ``xp.where``, and every branch must be safe to
evaluate for every ``t`` (both sides of a ``where`` are computed).
"""

from __future__ import annotations

import functools
import inspect
import json
import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Optional, ParamSpec, Union, cast

import numpy as np

Formula = Callable[[Any, Any], Any]
"""``formula(t, xp)``: the value at float step(s) ``t``, computed with array namespace ``xp``."""

Arguments = ParamSpec("Arguments")

StepFunction = Callable[[int], float]
"""A plain schedule: the learning rate (or momentum) at an integer step, as a float."""


def _power(base: float, exponent: float) -> float:
    try:
        return math.pow(base, exponent)
    except OverflowError:  # numpy returns inf here; match it rather than fail on a huge step
        return math.inf


SCALAR = SimpleNamespace(
    where=lambda condition, x, y: x if condition else y,
    floor=lambda x: float(math.floor(x)),
    ceil=lambda x: float(math.ceil(x)),
    cos=math.cos,
    sqrt=math.sqrt,
    exp=math.exp,
    log=math.log,
    power=_power,
    minimum=min,
    maximum=max,
    abs=abs,
    clip=lambda x, low, high: min(max(x, low), high),
)
"""The array namespace for one Python float step: plain ``math``, an order of magnitude faster than numpy
on scalars (this is what the PyTorch adapter evaluates every optimizer step)."""


@dataclass(frozen=True)
class Formulas:
    """What a schedule constructor returns: the learning-rate formula and, optionally, a momentum formula.

    Each formula is ``formula(t, xp)``: the value at float step(s) ``t``, written with the array namespace
    ``xp`` only (``xp.where``, ``xp.floor``, ``xp.ceil``, ``xp.cos``, ``xp.sqrt``, ``xp.exp``, ``xp.log``,
    ``xp.power``, ``xp.minimum``, ``xp.maximum``, ``xp.abs``, ``xp.clip`` and arithmetic), so that it evaluates
    on one float, a numpy array and a Keras graph tensor alike.

    Args:
        lr: The learning-rate formula.
        momentum: The momentum formula, or None for a schedule without momentum.

    Example:
        >>> formulas = Formulas(lambda t, xp: 0.1 * xp.power(0.5, t))
        >>> formulas.lr(2.0, SCALAR), formulas.lr(np.array([0.0, 1.0]), np)
        (0.025, array([0.1 , 0.05]))
    """

    lr: Formula
    momentum: Optional[Formula] = None


class Schedule:
    """An immutable learning-rate schedule: ``s(t)`` is the learning rate at integer step ``t >= 0``.

    Build one with a constructor (`lrlib.cosine`, `lrlib.one_cycle`, ..., `lrlib.from_function` for any
    Python function ``step -> lr``, or your own made with `lrlib.constructor`), never directly.

    - ``s(t)``: a Python float for an int ``t``; a float64 array for a numpy integer array (vectorized).
    - ``s.lr(t, xp)``: the same formula with array namespace ``xp`` (``numpy``, ``keras.ops``, ...), unchecked,
      for building the schedule inside another framework's graph.
    - ``s.has_momentum``: whether ``s.momentum(t)`` / ``s.momentum_at(t, xp)`` exist.
    - ``s.get_config()``: a JSON-able dict that `from_config` turns back into an equal schedule.

    Wherever lrlib takes a schedule (`lrlib.warmup`, `lrlib.sequence`, `lrlib.chain`, the PyTorch scheduler,
    the Keras callback) it also takes any callable ``step -> lr``, and gives exactly its values.

    Example:
        >>> import lrlib
        >>> s = lrlib.cosine(0.1, total_steps=100)
        >>> s(0), round(s(50), 6)
        (0.1, 0.05)
        >>> s(np.array([0, 100]))
        array([0.1, 0. ])
        >>> from_config(s.get_config()) == s
        True
    """

    __slots__ = ("_name", "_params", "_lr")
    _name: str
    _params: dict[str, Any]
    _lr: Formula
    has_momentum: bool = False

    def __init__(self, name: str, params: dict[str, Any], formulas: Formulas) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_params", params)
        object.__setattr__(self, "_lr", formulas.lr)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one with its constructor")

    def __call__(self, t: Any) -> Any:
        """The learning rate at step ``t`` (int -> float, integer array -> float64 array)."""
        if type(t) is int and t >= 0:  # the hot path: one step, as a framework adapter asks every batch
            return float(self._lr(float(t), SCALAR))
        return _evaluate(self._lr, t)

    def lr(self, t: Any, xp: Any = np, dtype: Optional[str] = None) -> Any:
        """The learning rate at step(s) ``t`` computed with array namespace ``xp``; ``t`` is not validated.

        ``t`` is cast to ``dtype`` first (default float64 for numpy, float32 for any other namespace).
        """
        return self._lr(_as_float(t, xp, dtype), xp)

    def get_config(self) -> dict[str, Any]:
        """``{"name": constructor name, **arguments}``, nested schedules as nested configs; JSON-able.

        Raises `TypeError` when an argument is a Python function (``cyclic``'s ``scale_fn``, `from_function`'s
        ``lr``): JSON cannot hold code. Such a schedule still pickles if its function does (a function defined
        at module level).
        """
        return self._config(portable=True)

    def _config(self, portable: bool) -> dict[str, Any]:
        """The config; with ``portable=False`` functions stay in it as objects (for equality, hash, pickle)."""
        config = {"name": self._name}
        for key, value in self._params.items():
            if portable and callable(value) and not isinstance(value, Schedule):
                raise TypeError(
                    f"{self._name}(...) has no JSON config: its argument {key}={value!r} is a Python function, "
                    "which a config cannot hold. Pickle the schedule instead (this works when the function is "
                    "defined at module level), or rebuild it in code (lrlib.torch.scheduler's state_dict keeps "
                    "such a schedule's callables by name and rebuilds nothing: load it into a scheduler built "
                    "with the same schedule)"
                )
            config[key] = _to_config(value, portable)
        return config

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self._params.items())
        return f"{self._name}({arguments})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and self._config(portable=False) == other._config(portable=False)

    def __hash__(self) -> int:  # a function argument hashes by its repr (equal functions are the same object)
        return hash(json.dumps(self._config(portable=False), sort_keys=True, default=repr))

    def __reduce__(self) -> tuple[Callable[..., Schedule], tuple[dict[str, Any]]]:
        return from_config, (self._config(portable=False),)


class MomentumSchedule(Schedule):
    """A `Schedule` that also prescribes the optimizer's momentum (SGD ``momentum``, Adam ``beta_1``)."""

    __slots__ = ("_momentum",)
    _momentum: Formula
    has_momentum = True

    def __init__(self, name: str, params: dict[str, Any], formulas: Formulas) -> None:
        super().__init__(name, params, formulas)
        object.__setattr__(self, "_momentum", formulas.momentum)

    def momentum(self, t: Any) -> Any:
        """The momentum at step ``t`` (int -> float, integer array -> float64 array)."""
        return _evaluate(self._momentum, t)

    def momentum_at(self, t: Any, xp: Any = np, dtype: Optional[str] = None) -> Any:
        """The momentum at step(s) ``t`` computed with array namespace ``xp``; see `Schedule.lr`."""
        return self._momentum(_as_float(t, xp, dtype), xp)


ScheduleLike = Union[Schedule, StepFunction]
"""What lrlib accepts wherever it takes a schedule: a `Schedule` or any callable ``step -> lr``."""

_CONSTRUCTORS: dict[str, Callable[..., Schedule]] = {}
def as_schedule(schedule: ScheduleLike, name: str = "schedule") -> Schedule:
    """``schedule`` as a `Schedule`: an lrlib schedule as it is, any other callable through `from_function`.

    Args:
        schedule: An lrlib schedule or a callable ``step -> lr``.
        name: The argument's name, for the error message.

    Returns:
        The `Schedule`.

    Raises:
        TypeError: If ``schedule`` is not callable.

    Example:
        >>> as_schedule(lambda t: 0.5)(7)
        0.5
    """
    if isinstance(schedule, Schedule):
        return schedule
    if callable(schedule):
        from lrlib.schedules.custom import from_function  # the one constructor defined on top of this module

        return from_function(schedule)
    raise TypeError(
        f"{name} must be a schedule: an lrlib schedule (e.g. lrlib.cosine(...)) or any callable step -> lr, "
        f"got {schedule!r}"
    )




def constructor(build: Callable[Arguments, Formulas]) -> Callable[Arguments, Schedule]:
    """Turn ``build(**arguments) -> Formulas`` into a schedule constructor of the same name (a decorator).

    This is how lrlib's own schedules are made, and how a user's formula gains their extras: vectorized
    evaluation on numpy arrays, evaluation inside a Keras graph, ``get_config`` / `from_config`, equality,
    pickling and, when ``build`` returns a momentum formula, ``.momentum``. ``build`` validates its arguments
    and returns the `Formulas`; the wrapper records every argument (defaults included), so that ``repr``,
    ``get_config`` and `from_config` need nothing more. The constructor is registered under
    ``build.__name__`` for `from_config`: import the module that defines it before loading a config.

    Args:
        build: A function of the schedule's parameters that checks them and returns its `Formulas`.

    Returns:
        A function with ``build``'s parameters that returns a `Schedule`.

    Raises:
        ValueError: If another constructor is already registered under ``build.__name__``.

    Example:
        >>> import lrlib
        >>> @lrlib.constructor
        ... def halving(lr: float, every: int) -> lrlib.Formulas:
        ...     return lrlib.Formulas(lambda t, xp: lr * xp.power(0.5, xp.floor(t / every)))
        >>> s = halving(0.1, every=10)
        >>> s(25), s(np.array([0, 10]))
        (0.025, array([0.1 , 0.05]))
        >>> s.get_config()
        {'name': 'halving', 'lr': 0.1, 'every': 10}
    """
    name = build.__name__
    registered = _CONSTRUCTORS.get(name)
    if registered is not None and _origin(registered) != _origin(build):
        raise ValueError(
            f"a schedule constructor named {name!r} is already registered (by {'.'.join(_origin(registered))}); "
            "from_config finds constructors by name, so give yours another name"
        )
    signature = inspect.signature(build)
    schedule_arguments = _schedule_arguments(signature)
    untyped_build = cast(Callable[..., Formulas], build)  # called with the bound arguments, checked above

    @functools.wraps(build)
    def make(*args: Any, **kwargs: Any) -> Schedule:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        for argument, many in schedule_arguments.items():
            bound.arguments[argument] = _as_schedules(bound.arguments[argument], argument, many)
        formulas = untyped_build(**bound.arguments)
        if not isinstance(formulas, Formulas):
            raise TypeError(f"{name}(...) must return lrlib.Formulas(lr, momentum), got {type(formulas).__name__}")
        kind = Schedule if formulas.momentum is None else MomentumSchedule
        # Copy list arguments, so that a caller changing its list later cannot change the recorded config.
        params = {key: list(value) if isinstance(value, list) else value for key, value in bound.arguments.items()}
        return kind(name, params, formulas)

    make.__signature__ = _public_signature(build)  # type: ignore[attr-defined]
    make.__annotations__ = {**build.__annotations__, "return": Schedule}
    _CONSTRUCTORS[name] = make
    return make


def _schedule_arguments(signature: inspect.Signature) -> dict[str, bool]:
    """The parameters annotated ``ScheduleLike`` (False) or ``Sequence[ScheduleLike]`` (True)."""
    kinds = {"ScheduleLike": False, "Sequence[ScheduleLike]": True}
    return {
        name: kinds[parameter.annotation]
        for name, parameter in signature.parameters.items()
        if isinstance(parameter.annotation, str) and parameter.annotation in kinds
    }


def _as_schedules(value: Any, name: str, many: bool) -> Any:
    """A schedule argument with every callable made a `Schedule` (a list's items for ``many``; a value of
    the wrong shape is left for the constructor's own check)."""
    if not many:
        return as_schedule(value, name)
    if isinstance(value, (list, tuple)):
        return [as_schedule(item, f"{name}[{index}]") for index, item in enumerate(value)]
    return value


def _origin(function: Callable[..., Any]) -> tuple[str, str]:
    return function.__module__, function.__qualname__


def _public_signature(build: Callable[..., Any]) -> inspect.Signature:
    """``build``'s signature with evaluated annotations and `Schedule` as the return type."""
    try:
        signature = inspect.signature(build, eval_str=True)
    except NameError:  # an annotation naming something its module does not define: keep the strings
        signature = inspect.signature(build)
    return signature.replace(return_annotation=Schedule)


def from_config(config: dict[str, Any]) -> Schedule:
    """Rebuild the schedule that ``get_config()`` described (the inverse of `Schedule.get_config`)."""
    if not isinstance(config, dict) or "name" not in config:
        raise ValueError(f"config must be a dict with a 'name' key, got {config!r}")
    arguments = dict(config)
    name = arguments.pop("name")
    if name not in _CONSTRUCTORS:
        raise ValueError(f"config name must be one of {sorted(_CONSTRUCTORS)}, got {name!r}")
    return _CONSTRUCTORS[name](**{key: _from_config(value) for key, value in arguments.items()})


def _is_schedule_config(value: Any) -> bool:
    return isinstance(value, dict) and "name" in value


def _from_config(value: Any) -> Any:
    if _is_schedule_config(value):
        return from_config(value)
    if isinstance(value, list) and value and all(_is_schedule_config(item) for item in value):
        return [from_config(item) for item in value]
    return value


def _to_config(value: Any, portable: bool) -> Any:
    if isinstance(value, Schedule):
        return value._config(portable)
    if isinstance(value, (list, tuple)):
        return [_to_config(item, portable) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _as_float(t: Any, xp: Any, dtype: Optional[str]) -> Any:
    if xp is np:
        return np.asarray(t, dtype=dtype or np.float64)
    cast = getattr(xp, "cast", None)  # keras.ops has cast; tf.experimental.numpy has asarray
    return cast(t, dtype or "float32") if cast else xp.asarray(t, dtype=dtype or "float32")


def _evaluate(formula: Formula, t: Any) -> Any:
    """Validate the step(s) ``t`` and evaluate ``formula`` on them: Python math for one step, numpy for many."""
    if isinstance(t, (bool, np.bool_)):
        raise ValueError(f"t must be an integer step >= 0, got the bool {t!r}")
    if isinstance(t, (int, np.integer)):
        if t < 0:
            raise ValueError(f"t must be an integer step >= 0, got {t}")
        return float(formula(float(t), SCALAR))
    steps = np.asarray(t)
    if steps.dtype.kind not in "iu":
        raise ValueError(f"t must be an integer step >= 0 or an integer array of steps, got {t!r}")
    if steps.size and steps.min() < 0:
        raise ValueError(f"t must be integer steps >= 0, got a minimum of {steps.min()}")
    return np.asarray(formula(steps.astype(np.float64), np), dtype=np.float64)
