"""Live tools of Chapters 5 and 6: a KV-cache calculator (Chapter 5) and a pipeline-schedule explorer
(Chapter 6).

Thin forms over ``tinyseek.mla.kv_cache_bytes`` and ``tinyseek.pipeline.run_schedule``: they read
the fields, call the function, and show its result or its own error message.
"""

from __future__ import annotations

import json

import ipywidgets as w

from .. import mla, pipeline
from ..plots import bandwidth as plots
from ..plots import figure_html
from . import message, show_error_or

_SHAPE_FIELDS = ("n_layers", "n_heads", "head_dim", "n_kv_heads", "kv_rank", "rope_dim")


def _style(fields):
    for f in fields:
        f.style.description_width = "130px"


def kv_cache_calculator() -> w.VBox:
    """Model shape, context, batch and precision -> KV-cache memory (Chapter 5).

    ``preset`` fills the shape fields with V3 or one of its twins; any field can then be edited.
    The box has ``.inputs`` (dict of fields) and ``.result`` (HTML) for tests.
    """
    presets = plots.kv_cache_models()
    first = next(iter(presets.values()))
    inputs = {
        "preset": w.Dropdown(options=list(presets), description="preset"),
        "kind": w.Dropdown(options=list(mla.KINDS), value=first.kind, description="attention"),
        "n_layers": w.IntText(value=first.n_layers, description="layers"),
        "n_heads": w.IntText(value=first.n_heads, description="query heads"),
        "head_dim": w.IntText(value=first.head_dim, description="head size"),
        "n_kv_heads": w.IntText(value=8, description="KV heads (GQA)"),
        "kv_rank": w.IntText(value=first.kv_rank, description="latent (MLA)"),
        "rope_dim": w.IntText(value=first.rope_dim, description="RoPE key (MLA)"),
        "tokens": w.IntText(value=32768, description="context (tokens)"),
        "batch": w.IntText(value=1, description="sequences"),
        "dtype": w.Dropdown(options=list(mla.DTYPE_BYTES), value="bf16", description="precision"),
    }
    _style(inputs.values())
    result = w.HTML()
    filling = [False]

    def fill(_=None):
        shape = presets[inputs["preset"].value]
        filling[0] = True
        inputs["kind"].value = shape.kind
        for name in _SHAPE_FIELDS:
            if getattr(shape, name) is not None:
                inputs[name].value = getattr(shape, name)
        filling[0] = False
        update()

    def compute():
        kind = inputs["kind"].value
        shape = mla.AttentionShape(
            "custom", kind, inputs["n_layers"].value, inputs["n_heads"].value,
            inputs["head_dim"].value,
            n_kv_heads=inputs["n_kv_heads"].value if kind == "gqa" else None,
            kv_rank=inputs["kv_rank"].value if kind == "mla" else None,
            rope_dim=inputs["rope_dim"].value if kind == "mla" else None)
        total = mla.kv_cache_bytes(shape, inputs["tokens"].value, inputs["dtype"].value,
                                   inputs["batch"].value)
        return shape, total

    def render(out):
        shape, total = out
        return (f"KV cache: {total / 1e9:,.3f} GB ({shape.cached_per_token:,} numbers per token "
                f"over {shape.n_layers} layers, {total / max(1, inputs['tokens'].value * inputs['batch'].value):,.0f} "
                f"bytes per token)")

    def update(_=None):
        if not filling[0]:
            show_error_or(result, compute, render)

    inputs["preset"].observe(fill, names="value")
    for name, field in inputs.items():
        if name != "preset":
            field.observe(update, names="value")
    update()
    box = w.VBox([*inputs.values(), result])
    box.inputs, box.result = inputs, result
    return box


def pipeline_explorer() -> w.VBox:
    """Schedule, stages, micro-batches, chunk times and overlap -> timeline and bubble.

    The box has ``.inputs``, ``.result`` (HTML summary) and ``.figure`` (an Output with the
    timeline) for tests.
    """
    inputs = {
        "schedule": w.Dropdown(options=list(pipeline.SCHEDULES), value="DualPipe",
                               description="schedule"),
        "stages": w.IntText(value=8, description="stages (PP)"),
        "microbatches": w.IntText(value=20, description="micro-batches"),
        "f_compute": w.FloatText(value=1.0, description="F computation"),
        "f_comm": w.FloatText(value=1.0, description="F all-to-all"),
        "b_compute": w.FloatText(value=2.0, description="B computation"),
        "b_comm": w.FloatText(value=2.0, description="B all-to-all"),
        "w_compute": w.FloatText(value=1.0, description="W (part of B)"),
        "overlap": w.Checkbox(value=True, description="overlap F&B pairs"),
    }
    _style(inputs.values())
    result = w.HTML()
    figure = w.Output()

    def compute():
        v = {k: f.value for k, f in inputs.items()}
        times = pipeline.chunk_times(v["f_compute"], v["f_comm"], v["b_compute"], v["b_comm"],
                                     v["w_compute"], overlap=v["overlap"])
        return pipeline.run_schedule(v["schedule"], v["stages"], v["microbatches"], times)

    def render(run):
        formula = pipeline.table2_bubble(inputs["schedule"].value, run.stages, run.times)
        return (f"{run.name}: one step takes {run.makespan:g}; bubble (largest idle time of a "
                f"rank) {run.bubble():g}; Table 2's formula gives {formula:g}; at most "
                f"{max(run.peak_activations())} micro-batches' activations held on a rank")

    def update(_=None):
        figure.outputs = ()
        try:
            run = compute()
        except (ValueError, TypeError) as err:
            message(result, f"Check the inputs: {err}", ok=False)
            return
        show_error_or(result, lambda: run, render)
        fig = plots.timeline_figure([run])
        # the book's figure fragment: on the static site it draws with the site's own plotly.js
        alt = f"Timeline of the {run.name} schedule on {run.stages} pipeline ranks"
        bundle = {"application/vnd.plotly.v1+json": json.loads(fig.to_json()),
                  "text/html": figure_html(fig, alt)}
        figure.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)

    for field in inputs.values():
        field.observe(update, names="value")
    update()
    box = w.VBox([*inputs.values(), result, figure])
    box.inputs, box.result, box.figure = inputs, result, figure
    return box
