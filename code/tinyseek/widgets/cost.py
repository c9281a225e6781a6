"""Chapter 1's live calculator: GPU-hours x price / the run's share of all compute."""

from __future__ import annotations

import ipywidgets as w

from .. import cost, units
from . import form


def cost_calculator() -> w.VBox:
    """GPU-hours × price per GPU-hour ÷ the run's share of all compute (Chapter 1).

    The returned box has ``.inputs`` (a dict of the three fields) and ``.result`` (the HTML line)
    so that tests can drive it as a reader would.
    """
    run = cost.deepseek_v3_run()
    inputs = {
        "gpu_hours": w.FloatText(value=run.gpu_hours, description="GPU-hours"),
        "usd_per_gpu_hour": w.FloatText(value=run.usd_per_gpu_hour, description="$ / GPU-hour"),
        "run_share": w.FloatText(value=1.0, description="run's share"),
    }
    return form(inputs, cost.rental_cost,
                lambda total: f"Implied spend: {units.usd(total)} "
                              f"(the V3 report's Table 1: {units.usd(run.cost)})")
