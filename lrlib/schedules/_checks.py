"""Argument validation for schedule constructors.

Every check raises `ValueError` naming the argument, its allowed range and the value received, so that a
bad call fails where it is made instead of producing a silently wrong learning-rate curve.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Iterable, Optional, Sequence


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    return f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def number(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Check that ``value`` is a real number (not a bool) in the interval from ``low`` to ``high``."""
    allowed = _interval(low, high, low_open or low == -math.inf, high_open or high == math.inf)
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number in {allowed}, got {value!r}")
    x = float(value)
    too_low = x <= low if low_open else x < low
    too_high = x >= high if high_open else x > high
    if too_low or too_high or math.isinf(x):
        raise ValueError(f"{name} must be a number in {allowed}, got {value!r}")


def positive(name: str, value: Any) -> None:
    """Check ``value > 0`` (learning rates, factors)."""
    number(name, value, 0.0, low_open=True)


def integer(name: str, value: Any, low: int = 0, high: Optional[int] = None) -> None:
    """Check that ``value`` is an int (not a bool) with ``low <= value`` (and ``value <= high`` if given)."""
    allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    if int(value) < low or (high is not None and int(value) > high):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


def increasing_integers(name: str, values: Any, low: int) -> None:
    """Check that ``values`` is a sequence of integers >= ``low``, strictly increasing."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{name} must be a list of strictly increasing integers >= {low}, got {values!r}")
    values = list(values)
    for index, value in enumerate(values):
        integer(f"{name}[{index}]", value, low)
    if any(later <= earlier for earlier, later in zip(values, values[1:])):
        raise ValueError(f"{name} must be strictly increasing, got {values!r}")


def choice(name: str, value: Any, options: Sequence[str]) -> None:
    """Check that ``value`` is one of ``options``."""
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")


def flag(name: str, value: Any) -> None:
    """Check that ``value`` is True or False (not merely truthy)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def momentum_range(base_momentum: Any, max_momentum: Any) -> Optional[tuple[float, float]]:
    """Check an optional momentum range; return ``(base_momentum, max_momentum)``, or None for no momentum.

    Both ends are given (``0 <= base_momentum <= max_momentum < 1``) or both are None (no momentum).
    """
    if base_momentum is None and max_momentum is None:
        return None
    if base_momentum is None or max_momentum is None:
        raise ValueError(
            "base_momentum and max_momentum must be both given or both None, "
            f"got base_momentum={base_momentum!r}, max_momentum={max_momentum!r}"
        )
    number("max_momentum", max_momentum, 0.0, 1.0, high_open=True)
    number("base_momentum", base_momentum, 0.0, max_momentum)
    return float(base_momentum), float(max_momentum)
