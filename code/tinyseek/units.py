"""Numbers as a reader wants to see them: units attached, sensible precision."""

from __future__ import annotations

import math

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def si(x: float, digits: int = 3) -> str:
    """``2.788e6`` -> ``'2.79M'``: a compact figure with ``digits`` significant digits."""
    if not math.isfinite(x):
        raise ValueError(f"x must be finite, got {x}")
    for scale, suffix in _SCALES:
        if abs(x) >= scale:
            return _plain(x / scale, digits) + suffix
    return _plain(x, digits)


def _plain(x: float, digits: int) -> str:
    """``g`` formatting that never falls back to exponent notation (600 stays 600, not 6e+02)."""
    text = f"{x:.{digits}g}"
    return f"{x:.0f}" if "e" in text else text


def usd(x: float, digits: int = 4) -> str:
    """``5576000`` -> ``'$5.576M'``."""
    return ("-" if x < 0 else "") + "$" + si(abs(x), digits)
