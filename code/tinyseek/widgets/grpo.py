"""Chapter 7's live widget: type a group's rewards, see each completion's advantage."""

from __future__ import annotations

import ipywidgets as w

from ..grpo import group_advantages
from . import form


def parse_rewards(text: str) -> list[float]:
    """``"1, 0, 0, 2"`` -> ``[1.0, 0.0, 0.0, 2.0]``; a ValueError names what is wrong."""
    if not isinstance(text, str):
        raise TypeError("rewards must be text such as '1, 0, 0, 1'")
    try:
        return [float(x) for x in text.replace(";", ",").split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"rewards must be numbers separated by commas, got {text!r}") from None


def advantage_calculator(rewards: str = "2, 1, 1, 2, 1, 1, 1, 0") -> w.VBox:
    """Rewards of one group in, advantages out (pushed up, pushed down or untouched)."""
    inputs = {"rewards": w.Text(value=rewards, description="rewards"),
              "delta": w.FloatText(value=1e-4, description="δ")}

    def compute(rewards, delta):
        return group_advantages([parse_rewards(rewards)], delta=delta)[0].tolist()

    def render(adv):
        def verdict(a):
            return "up" if a > 1e-9 else "down" if a < -1e-9 else "untouched"

        return "Advantages: " + ", ".join(f"{a:+.2f} ({verdict(a)})" for a in adv)

    return form(inputs, compute, render)
