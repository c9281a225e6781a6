"""Live widgets for a running kernel (Binder, Colab, JupyterHub, a local clone).

Each widget is a thin form over a tested function of ``tinyseek``: it reads the inputs, calls the
function, and shows either the result or the function's own error message, never a traceback.
"""

from __future__ import annotations

import html

import ipywidgets as w

from . import cost, units


def _message(result: w.HTML, text: str, ok: bool) -> None:
    colour = "inherit" if ok else "#b00020"
    role = "status" if ok else "alert"
    result.value = f'<div role="{role}" style="color:{colour}">{html.escape(text)}</div>'


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
    for field in inputs.values():
        field.style.description_width = "110px"
    result = w.HTML()

    def update(_=None):
        try:
            total = cost.rental_cost(**{k: f.value for k, f in inputs.items()})
        except (ValueError, TypeError) as err:
            _message(result, f"Check the inputs: {err}", ok=False)
            return
        _message(result, f"Implied spend: {units.usd(total)} "
                         f"(the V3 report's Table 1: {units.usd(run.cost)})", ok=True)

    for field in inputs.values():
        field.observe(update, names="value")
    update()
    box = w.VBox([*inputs.values(), result])
    box.inputs, box.result = inputs, result
    return box
