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
            return f"{x / scale:.{digits}g}{suffix}"
    return f"{x:.{digits}g}"


def usd(x: float, digits: int = 4) -> str:
    """``5576000`` -> ``'$5.576M'``."""
    return ("-" if x < 0 else "") + "$" + si(abs(x), digits)
