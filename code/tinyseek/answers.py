"""Answer fingerprints for the exercise notebooks' checks.

A student notebook carries its checks with it (otter stores them in the notebook), so a check
that recomputed the answer would hand the solution to anyone who reads the file. Instead a check
compares a *fingerprint*: a hash of the answer rounded to a few significant digits. The author
computes it once from the tested functions (``fingerprint(value)``); the notebook holds only the
hash.
"""

from __future__ import annotations

import hashlib
import math
from numbers import Real

SIG_DIGITS = 4


def _canonical(value: float, digits: int) -> str:
    return f"{float(value):.{digits - 1}e}"


def fingerprint(value: float, digits: int = SIG_DIGITS) -> str:
    """A 16-hex-digit hash of ``value`` rounded to ``digits`` significant digits."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"value must be a finite number, got {value!r}")
    if not isinstance(digits, int) or not 1 <= digits <= 15:
        raise ValueError(f"digits must be an integer from 1 to 15, got {digits!r}")
    return hashlib.sha256(_canonical(value, digits).encode()).hexdigest()[:16]


def matches(value: object, expected: str, digits: int = SIG_DIGITS) -> bool:
    """Whether ``value`` is a finite number whose fingerprint is ``expected``. Never raises."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        return False
    return fingerprint(value, digits) == expected


def is_number(value: object) -> bool:
    """A finite real number (not a bool, not ``...``): the first thing every check asks."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
