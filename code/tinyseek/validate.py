"""Argument checks shared by every public function: one clear ValueError/TypeError per mistake.

Each check names the parameter and the accepted range, so a widget can show the message as it
is and a student learns what to change.
"""

from __future__ import annotations

import math
from numbers import Real


def number(name: str, x: object, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False) -> float:
    """``x`` as a float, checked to be a finite real number within ``[low, high]``.

    ``low_open``/``high_open`` exclude the bound itself (e.g. a price must be > 0).
    """
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{name} must be a number, got {type(x).__name__} {x!r}")
    x = float(x)
    if math.isnan(x):
        raise ValueError(f"{name} must be a number, got NaN")
    if math.isinf(x):
        raise ValueError(f"{name} must be finite, got {x}")
    if low is not None and (x < low or (low_open and x == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '≥'} {low:g}, got {x:g}")
    if high is not None and (x > high or (high_open and x == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '≤'} {high:g}, got {x:g}")
    return x


def positive(name: str, x: object, *, high: float | None = None) -> float:
    """A finite number > 0 (and ≤ ``high`` when given)."""
    return number(name, x, low=0.0, low_open=True, high=high)


def non_negative(name: str, x: object, *, high: float | None = None) -> float:
    """A finite number ≥ 0 (and ≤ ``high`` when given)."""
    return number(name, x, low=0.0, high=high)


def fraction(name: str, x: object) -> float:
    """A share in (0, 1]: zero of something is not a share of it."""
    return number(name, x, low=0.0, low_open=True, high=1.0)


def integer(name: str, x: object, *, low: int | None = None, high: int | None = None) -> int:
    """An int (not a bool, not a float) within ``[low, high]``."""
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{name} must be an integer, got {type(x).__name__} {x!r}")
    if low is not None and x < low:
        raise ValueError(f"{name} must be ≥ {low}, got {x}")
    if high is not None and x > high:
        raise ValueError(f"{name} must be ≤ {high}, got {x}")
    return x


def choice(name: str, x: object, options) -> object:
    """One of ``options``."""
    if x not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {x!r}")
    return x
