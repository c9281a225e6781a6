"""Chapter 10's live panel: the run planner as a form over :func:`tinyseek.plan.plan`."""

from __future__ import annotations

import datetime as _dt
import html

import ipywidgets as w

from .. import chips, plan
from . import form

# The inputs the panel shows (the rest come from the preset): field -> (widget class, label).
SHOWN = {
    "chip": (w.Dropdown, "chip"),
    "chips": (w.IntText, "chips"),
    "date": (w.Text, "date"),
    "destination": (w.Dropdown, "destination"),
    "precision": (w.Dropdown, "precision"),
    "tp": (w.IntText, "tensor ∥"),
    "pp": (w.IntText, "pipeline ∥"),
    "ep": (w.IntText, "expert ∥"),
    "max_nodes": (w.IntText, "node limit"),
    "recompute": (w.Checkbox, "recompute"),
    "mfu": (w.FloatText, "MFU"),
    "tokens": (w.FloatText, "tokens"),
    "usd_per_gpu_hour": (w.FloatText, "$ / GPU-hour"),
}


def _value(inputs: plan.Inputs, field: str):
    value = getattr(inputs, field)
    return value.isoformat() if isinstance(value, _dt.date) else value


def _widget(field: str, inputs: plan.Inputs):
    kind, label = SHOWN[field]
    options = {"chip": list(chips.KNOWN), "destination": list(plan.DESTINATIONS),
               "precision": ["fp8", "bf16"]}
    if kind is w.Dropdown:
        return kind(options=options[field], value=_value(inputs, field), description=label)
    return kind(value=_value(inputs, field), description=label)


def planned(preset: str, date: str, **changes) -> dict:
    """:func:`tinyseek.plan.plan` of ``preset`` with ``changes``; ``date`` as YYYY-MM-DD text."""
    try:
        day = _dt.date.fromisoformat(date.strip())
    except (ValueError, AttributeError):
        raise ValueError(f"date must be YYYY-MM-DD, got {date!r}") from None
    return plan.plan(plan.preset(preset).with_(date=day, **changes))


def render(result: dict) -> str:
    """The plan's summary rows as an HTML table (every cell escaped)."""
    rows = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
                   f"<td>{html.escape(v)}</td></tr>" for k, v in plan.summary(result))
    return f"<table>{rows}</table>"


def planner(preset: str = "deepseek-v3") -> w.VBox:
    """The run planner: a preset and the inputs a reader most wants to change; the licence,
    memory, binding constraint, time, cost and serving out, or the planner's own error message.
    Has ``.inputs`` and ``.result`` for tests."""
    start = plan.preset(preset)
    inputs = {"preset": w.Dropdown(options=list(plan.PRESETS), value=preset,
                                   description="preset")}
    inputs.update({f: _widget(f, start) for f in SHOWN})

    def load(change):  # a new preset resets every field to its inputs
        chosen = plan.preset(change["new"])
        for f in SHOWN:
            inputs[f].value = _value(chosen, f)

    inputs["preset"].observe(load, names="value")
    return form(inputs, planned, render, width="100px", markup=True)
