"""Chapter 5's figures: KV-cache sizes, FP8 errors, pipeline timelines, node-limited routing.

The two interactive ones (``kv_cache_figure``, ``pipeline_explorer_figure``) precompute every
slider state with the tested functions of ``tinyseek.mla`` and ``tinyseek.pipeline``. The others
draw results the chapter computes in its own cells.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import chips, mla, pipeline, validate

GB = 1e9
KIND_STYLE = {  # kind: (legend name, colour)
    "F": ("forward F", "#4c78a8"),
    "B": ("full backward B", "#f58518"),
    "Bi": ("input-gradient backward B−W", "#fdbf6f"),
    "W": ("weight gradient W", "#54a24b"),
    "FB": ("overlapped pair F&B", "#b279a2"),
}


# ---- KV cache ------------------------------------------------------------------------------

def kv_cache_models() -> dict[str, mla.AttentionShape]:
    """V3's MLA and its two twins of the same shape (MHA, GQA with 8 KV heads), by short name."""
    v3 = mla.deepseek_v3_attention()
    return {"DeepSeek-V3 (MLA)": v3, "GQA twin (8 KV heads)": mla.gqa_twin(v3, 8),
            "MHA twin": mla.mha_twin(v3)}


def kv_cache_figure(contexts: Sequence[int] = tuple(2 ** np.arange(10, 18)),
                    batches: Sequence[int] = (1, 8, 32, 128),
                    dtypes: Sequence[str] = ("bf16", "fp8")) -> go.Figure:
    """KV-cache memory (GB) against context length for V3 and its twins; one slider step per
    (batch, precision). A dashed line marks one H800's HBM (from the chip database)."""
    names, models = zip(*kv_cache_models().items())
    hbm = chips.get("H800").memory_gb
    contexts = [int(c) for c in contexts]
    states = [(b, d) for d in dtypes for b in batches]
    colours = ["#d62728", "#ff7f0e", "#1f77b4"]

    def ys(batch, dtype):
        return [[mla.kv_cache_bytes(m, c, dtype, batch) / GB for c in contexts] for m in models]

    fig = go.Figure()
    for name, y, colour in zip(names, ys(*states[0]), colours):
        fig.add_scatter(x=contexts, y=y, mode="lines+markers", name=name,
                        line=dict(color=colour),
                        hovertemplate="%{x:,} tokens: %{y:,.3g} GB<extra>" + name + "</extra>")
    fig.add_scatter(x=[contexts[0], contexts[-1]], y=[hbm, hbm], mode="lines",
                    name=f"one H800's HBM ({hbm:g} GB)", line=dict(dash="dash", color="grey"),
                    hoverinfo="skip")
    every = [v for state in states for line in ys(*state) for v in line if v > 0] + [hbm]
    y_range = [np.log10(min(every)) - 0.2, np.log10(max(every)) + 0.2]

    def title(batch, dtype):
        return f"KV cache of {batch} sequence{'s' if batch > 1 else ''} in {dtype.upper()}"

    steps = [dict(method="update", label=f"{b} × {d.upper()}",
                  args=[{"y": ys(b, d)}, {"title.text": title(b, d)}, list(range(len(models)))])
             for b, d in states]
    fig.update_layout(
        title=dict(text=title(*states[0]), y=0.98), template="plotly_white", height=520,
        xaxis=dict(title="context length (tokens)", type="log", tickvals=contexts,
                   ticktext=[f"{c // 1024}K" for c in contexts]),
        yaxis=dict(title="KV cache, all layers (GB)", type="log", range=y_range),
        legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0),
        sliders=[dict(active=0, steps=steps, pad=dict(t=50),
                      currentvalue=dict(prefix="batch × precision: "))],
        margin=dict(l=60, r=20, t=90, b=40))
    return fig


# ---- FP8 -------------------------------------------------------------------------------------

def outlier_error_figure(scales: Sequence[float], errors: dict[str, Sequence[float]]) -> go.Figure:
    """Round-trip error of the ordinary entries against the outliers' size, one line per scheme."""
    fig = go.Figure()
    for name, errs in errors.items():
        fig.add_scatter(x=list(scales), y=[100 * e for e in errs], mode="lines+markers", name=name,
                        hovertemplate="outliers ×%{x:.0e}: %{y:.2f}%<extra>" + name + "</extra>")
    fig.update_layout(template="plotly_white", height=400,
                      xaxis=dict(title="size of the outliers (× a typical value)", type="log"),
                      yaxis=dict(title="relative error of the other entries (%)", type="log"),
                      legend=dict(orientation="h", y=-0.25), margin=dict(l=60, r=20, t=30, b=40))
    return fig


def accumulation_figure(ks: Sequence[int], errors: dict[str, Sequence[float]],
                        report_k: int, report_error: float) -> go.Figure:
    """GEMM error from the accumulator against K, one line per accumulator; the report's figure
    (a different metric on real hardware) as a marker."""
    fig = go.Figure()
    for name, errs in errors.items():
        fig.add_scatter(x=list(ks), y=[100 * e for e in errs], mode="lines+markers", name=name,
                        hovertemplate="K = %{x}: %{y:.3f}%<extra>" + name + "</extra>")
    fig.add_scatter(x=[report_k], y=[100 * report_error], mode="markers", name="V3 report, H800",
                    marker=dict(symbol="star", size=14, color="black"),
                    hovertemplate="the report: nearly 2% at K = 4096 (maximum relative error)"
                                  "<extra></extra>")
    fig.update_layout(template="plotly_white", height=420,
                      xaxis=dict(title="inner dimension K", type="log", tickvals=list(ks),
                                 ticktext=[str(k) for k in ks]),
                      yaxis=dict(title="relative error of the product (%)", type="log"),
                      legend=dict(orientation="h", y=-0.3), margin=dict(l=60, r=20, t=30, b=40))
    return fig


# ---- Pipeline timelines ------------------------------------------------------------------------

def _bars(run: pipeline.Schedule) -> dict[str, dict[str, list]]:
    """Per operation kind: bar bases, lengths, ranks and labels of a simulated schedule."""
    out = {k: {"base": [], "x": [], "y": [], "text": []} for k in KIND_STYLE}
    for rank, ops in enumerate(run.orders):
        for op in ops:
            bar = out[op.kind]
            bar["base"].append(op.start)
            bar["x"].append(op.end - op.start)
            bar["y"].append(rank)
            bar["text"].append(op.label)
    return out


def timeline_figure(runs: Sequence[pipeline.Schedule], titles: Sequence[str] | None = None,
                    height_per_rank: int = 22) -> go.Figure:
    """Gantt charts of simulated schedules, one panel each, sharing the time axis."""
    if not runs:
        raise ValueError("runs must list at least one simulated schedule")
    titles = list(titles) if titles else [r.name for r in runs]
    fig = make_subplots(rows=len(runs), cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.08)
    for i, run in enumerate(runs, start=1):
        bars = _bars(run)
        for kind, (name, colour) in KIND_STYLE.items():
            b = bars[kind]
            fig.add_bar(row=i, col=1, orientation="h", base=b["base"], x=b["x"], y=b["y"],
                        customdata=b["text"], name=name, legendgroup=kind, showlegend=(i == len(runs)),
                        marker=dict(color=colour, line=dict(color="white", width=0.5)),
                        hovertemplate="rank %{y}: %{customdata}<br>%{base:.1f} → "
                                      "%{x:.1f} long<extra></extra>")
        fig.update_yaxes(row=i, col=1, autorange="reversed", title="rank", dtick=1 if
                         run.stages <= 8 else 2)
    ranks = max(r.stages for r in runs)
    fig.update_xaxes(title="time (units of the forward computation)", row=len(runs), col=1)
    fig.update_layout(template="plotly_white", barmode="overlay", bargap=0.15,
                      height=120 + len(runs) * (60 + height_per_rank * ranks),
                      legend=dict(orientation="h", y=-0.12), margin=dict(l=60, r=20, t=60, b=40))
    return fig


def _panel_title(run: pipeline.Schedule, label: str) -> str:
    formula = pipeline.table2_bubble(run.name.split()[0], run.stages, run.times)
    return (f"{label}: one step takes {run.makespan:g}, bubble {run.bubble():g} "
            f"(Table 2's formula: {formula:g})")


def explorer_runs(stages: int, microbatches: int, f_compute: float = 1.0, f_comm: float = 1.0,
                  b_compute: float = 2.0, b_comm: float = 2.0, w_compute: float = 1.0):
    """The explorer's three panels: 1F1B, DualPipe without overlap, DualPipe with overlap."""
    off = pipeline.chunk_times(f_compute, f_comm, b_compute, b_comm, w_compute, overlap=False)
    on = pipeline.chunk_times(f_compute, f_comm, b_compute, b_comm, w_compute, overlap=True)
    return [(pipeline.run_schedule("1F1B", stages, microbatches, off), "1F1B"),
            (pipeline.run_schedule("DualPipe", stages, microbatches, off), "DualPipe, no overlap"),
            (pipeline.run_schedule("DualPipe", stages, microbatches, on), "DualPipe, overlap")]


def pipeline_explorer_figure(settings: Sequence[tuple[int, int]] = ((4, 8), (4, 16), (8, 16),
                                                                    (8, 20), (8, 32), (16, 32)),
                             **times) -> go.Figure:
    """Timelines of 1F1B and DualPipe (overlap off and on) with one slider step per
    (stages, micro-batches); every state simulated when the figure is built."""
    if not settings:
        raise ValueError("settings must list at least one (stages, microbatches) pair")
    for pp, mb in settings:
        validate.integer("stages", pp, low=2, high=pipeline.MAX_STAGES)
        validate.integer("microbatches", mb, low=1, high=pipeline.MAX_MICROBATCHES)
    states = [explorer_runs(pp, mb, **times) for pp, mb in settings]
    first = states[0]
    fig = timeline_figure([r for r, _ in first], [_panel_title(r, t) for r, t in first],
                          height_per_rank=14)
    max_ranks = max(pp for pp, _ in settings)
    fig.update_layout(height=140 + 3 * (60 + 14 * max_ranks))

    steps = []
    for (pp, mb), state in zip(settings, states):
        update = {"base": [], "x": [], "y": [], "customdata": []}
        for run, _ in state:
            bars = _bars(run)
            for kind in KIND_STYLE:
                update["base"].append(bars[kind]["base"])
                update["x"].append(bars[kind]["x"])
                update["y"].append(bars[kind]["y"])
                update["customdata"].append(bars[kind]["text"])
        layout = {f"annotations[{i}].text": _panel_title(run, label)
                  for i, (run, label) in enumerate(state)}
        steps.append(dict(method="update", label=f"{pp} stages, {mb} mb", args=[update, layout]))
    fig.update_layout(sliders=[dict(active=0, steps=steps, pad=dict(t=50), x=0.03, len=0.92,
                                    currentvalue=dict(prefix="pipeline: "))],
                      legend=dict(orientation="h", y=1.08, yanchor="bottom"),
                      margin=dict(l=60, r=20, t=110, b=40))
    return fig


# ---- Node-limited routing ------------------------------------------------------------------

def nodes_touched_figure(free_counts: Sequence[int], limited_counts: Sequence[int],
                         max_nodes: int) -> go.Figure:
    """Share of tokens whose experts sit on 1, 2, ... nodes, with and without the node limit."""
    n = len(free_counts)
    nodes = list(range(1, n + 1))
    fig = go.Figure()
    for name, counts, colour in (("free top-8", free_counts, "#1f77b4"),
                                 (f"limited to {max_nodes} nodes", limited_counts, "#d62728")):
        total = sum(counts)
        fig.add_bar(x=nodes, y=[100 * c / total for c in counts], name=name, marker_color=colour,
                    hovertemplate="%{x} nodes: %{y:.1f}% of tokens<extra>" + name + "</extra>")
    fig.update_layout(template="plotly_white", height=380, barmode="group",
                      xaxis=dict(title="nodes a token's experts are on", dtick=1),
                      yaxis=dict(title="share of tokens (%)"),
                      legend=dict(orientation="h", y=-0.25), margin=dict(l=60, r=20, t=30, b=40))
    return fig
