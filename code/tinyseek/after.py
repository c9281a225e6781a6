"""What followed January 2025 (Chapter 9): a dated record from the data, and chips made in China
read through the rules and the roofline.

Huawei's figures for its Ascend chips reach readers second-hand, and analysts' estimates differ
from them (the chip database keeps both, as a conflict). A verdict that changes within that range
is not settled by the figures; one that holds at both ends is. These functions say which.
"""

from __future__ import annotations

import datetime as dt

from . import chips, data, export_controls, roofline


def timeline(*keys: str, labels: dict[str, str] | None = None) -> list[dict]:
    """The dated facts named by ``keys`` (fact keys, or group names for all of a group's dated
    facts), oldest first, as rows of ``date``, ``event``, ``source`` and ``status``: a chapter's
    timeline built from the data, never typed into it. ``event`` is the fact's note, or
    ``labels[key]`` for a fact whose note is about its sourcing rather than the event.
    """
    labels = labels or {}
    facts = []
    for key in keys:
        try:
            facts.append(data.fact(key))
        except KeyError:
            facts += list(data.group(key).values())
    dated = [f for f in facts if not f.is_conflict and isinstance(f.value, dt.date)]
    if not dated:
        raise ValueError(f"no dated fact among {keys}")
    return [{"date": f.value, "event": labels.get(f.key) or f.note or f.key, "source": f.source,
             "status": f.status} for f in sorted(dated, key=lambda f: f.value)]


def verdict_range(name: str, rule: str) -> dict:
    """The export-control verdict on chip ``name`` under ``rule`` ('2022-10' or '2023-10') at the
    lowest and the highest of its sourced figures (:func:`tinyseek.chips.bounds`).

    ``settled`` is True when both ends give the same verdict: the disagreement between sources
    does not matter for this rule. TPP is in the rule's units (dense TOPS × bit length).
    """
    low, high = chips.bounds(name)
    v_low, v_high = export_controls.classify(low, rule), export_controls.classify(high, rule)
    return {"rule": rule, "tpp_low": export_controls.tpp(low), "tpp_high": export_controls.tpp(high),
            "controlled_low": v_low.controlled, "controlled_high": v_high.controlled,
            "settled": v_low.controlled == v_high.controlled, "reason": v_low.reason}


def roofline_range(name: str, intensity: float, precision: str = "bf16") -> tuple[float, float]:
    """Attainable TFLOPS of chip ``name`` at ``intensity`` FLOP/byte, at the low and high ends of
    its sourced figures (:func:`tinyseek.roofline.attainable_tflops` on each)."""
    low, high = chips.bounds(name)
    return (roofline.attainable_tflops(low, precision, intensity),
            roofline.attainable_tflops(high, precision, intensity))
