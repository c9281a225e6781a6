"""Chapter 8's live cost explorer: a run's stages, priced rented and owned."""

from __future__ import annotations

import html

import ipywidgets as w

from .. import cost, data, units
from . import show_error_or

PRESETS = ("DeepSeek-V3 (Table 1)", "Llama 3.1 405B (model card total)")
STAGES = ("Pre-training", "Context extension", "Post-training")
OWNERSHIP_LABELS = {
    "gpu_usd": "GPU $", "server_usd_per_gpu": "rest of server $/GPU",
    "network_share": "network share", "watts_per_gpu": "watts per GPU", "pue": "PUE",
    "usd_per_kwh": "$ per kWh", "depreciation_years": "years to write off",
    "utilisation": "utilisation",
}


def _preset_hours(preset: str) -> tuple[float, float, float]:
    """Stage GPU-hours of a preset. Llama's card gives one total, shown as pre-training."""
    if preset == PRESETS[0]:
        return tuple(s.gpu_hours for s in cost.deepseek_v3_run().stages)
    return (float(data.value("llama31_405b_gpu_hours")), 0.0, 0.0)


def explore(stage_hours: dict[str, float], usd_per_gpu_hour: float, **ownership: float) -> dict:
    """What the explorer shows: the run built from its stages, then :func:`tinyseek.cost.rent_vs_own`.

    A thin composition of tested functions, so that the widget holds no arithmetic of its own.
    """
    run = cost.TrainingRun("explored run", tuple(cost.Stage(n, h) for n, h in stage_hours.items()),
                           usd_per_gpu_hour)
    return cost.rent_vs_own(run.gpu_hours, usd_per_gpu_hour, cost.Ownership(**ownership))


def _render(r: dict) -> str:
    u = r["break_even_utilisation"]
    be = ("never (the price does not cover power)" if u == float("inf") else
          f"{u:.0%}" + (" (above 100%: owning never pays)" if u > 1 else ""))
    return (f"{units.si(r['gpu_hours'], 4)} GPU-hours: rented {units.usd(r['rental_usd'], 4)}, "
            f"owned {units.usd(r['owned_usd'], 4)} (${r['owned_usd_per_gpu_hour']:.2f} per useful "
            f"GPU-hour). Owning is cheaper above {be} utilisation; here {r['cheaper']} is cheaper.")


def cost_explorer() -> w.VBox:
    """Stages, rental price and ownership inputs -> the run's cost rented and owned.

    The box has ``.inputs`` (a dict of every field, the preset included) and ``.result`` (the
    HTML line), so tests can drive it as a reader would.
    """
    own = cost.ownership_defaults()
    preset = w.Dropdown(options=PRESETS, value=PRESETS[0], description="run")
    stages = {name: w.FloatText(value=h, description=f"{name} GPU-h")
              for name, h in zip(STAGES, _preset_hours(PRESETS[0]), strict=True)}
    price = w.FloatText(value=float(data.value("h800_rental_price")), description="rent $/GPU-h")
    owning = {k: w.FloatText(value=getattr(own, k), description=label)
              for k, label in OWNERSHIP_LABELS.items()}
    for field in (preset, *stages.values(), price, *owning.values()):
        field.style.description_width = "150px"
    result = w.HTML()

    def update(_=None):
        show_error_or(result,
                      lambda: explore({n: f.value for n, f in stages.items()}, price.value,
                                      **{k: f.value for k, f in owning.items()}),
                      _render)

    def load_preset(change):
        for field, hours in zip(stages.values(), _preset_hours(change["new"]), strict=True):
            field.value = hours

    preset.observe(load_preset, names="value")
    for field in (*stages.values(), price, *owning.values()):
        field.observe(update, names="value")
    update()
    note = w.HTML(html.escape("Ownership inputs start at the book's defaults "
                              "(data/economics.yaml: sourced, estimates, or labelled assumptions)."))
    box = w.VBox([preset, *stages.values(), price, note, *owning.values(), result])
    box.inputs = {"preset": preset, **stages, "usd_per_gpu_hour": price, **owning}
    box.result = result
    return box


def serving_calculator() -> w.VBox:
    """Live: $ per million output tokens from a GPU's price, a node's throughput and its utilisation
    (a form over :func:`tinyseek.serving.usd_per_million_tokens`)."""
    from .. import serving
    from . import form

    inf = data.group("ds_inference")
    inputs = {
        "usd_per_gpu_hour": w.FloatText(value=float(data.value("h800_rental_price")), description="$ per GPU-hour"),
        "gpus": w.IntText(value=int(inf["gpus_per_node"].value), description="GPUs per node"),
        "tokens_per_s": w.FloatText(value=float(inf["decode_tokens_per_s_per_node"].value),
                                    description="tokens/s per node"),
        "utilisation": w.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="utilisation"),
    }
    return form(inputs, serving.usd_per_million_tokens,
                lambda usd: f"${usd:,.3f} per million output tokens", width="130px")
