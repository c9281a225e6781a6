"""Figures of Chapters 5 and 6: KV-cache sizes, FP8 errors, pipeline timelines, node-limited
routing, and the DualPipe diagram.

The two interactive ones (``kv_cache_figure``, ``pipeline_explorer_figure``) precompute every
slider state with the tested functions of ``tinyseek.mla`` and ``tinyseek.pipeline``. The others
draw results the chapters compute in their own cells. ``schedule_svg`` draws simulated schedules
as a static SVG diagram; ``write_dualpipe_diagram`` writes Chapter 6's Figure from it into
``book/_static/diagrams`` (a test checks the committed file is what the simulator gives).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from .. import chips, mla, moe, node_routing, pipeline, validate

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
    names, models = zip(*kv_cache_models().items(), strict=True)
    hbm = chips.get("H800").memory_gb
    contexts = [int(c) for c in contexts]
    states = [(b, d) for d in dtypes for b in batches]
    colours = ["#d62728", "#ff7f0e", "#1f77b4"]

    def ys(batch, dtype):
        return [[mla.kv_cache_bytes(m, c, dtype, batch) / GB for c in contexts] for m in models]

    fig = go.Figure()
    for name, y, colour in zip(names, ys(*states[0]), colours, strict=True):
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
        title=dict(text=title(*states[0]), y=1, yref="container", yanchor="top", pad=dict(t=10)),
        template="plotly_white", height=560,
        xaxis=dict(title="context length (tokens)", type="log", tickvals=contexts,
                   ticktext=[f"{c // 1024}K" for c in contexts]),
        yaxis=dict(title="KV cache, all layers (GB)", type="log", range=y_range),
        legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0),
        sliders=[dict(active=0, steps=steps, pad=dict(t=50),
                      currentvalue=dict(prefix="batch × precision: "))],
        margin=dict(l=60, r=20, t=130, b=40))  # room for the title and a legend of four rows
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
    height = 160 + len(runs) * (60 + height_per_rank * ranks)   # 160: a legend of up to five rows
    fig.update_layout(template="plotly_white", barmode="overlay", bargap=0.15, height=height,
                      margin=dict(l=60, r=20, t=60, b=40))
    _legend_on_top(fig)
    fig.update_annotations(font=dict(size=13))   # the panels' titles: they must fit a phone's width
    return fig


def _legend_on_top(fig: go.Figure, gap: float = 40) -> None:
    """A horizontal legend ``gap`` pixels above the plotting area, clear of the first panel's title
    (the top margin grows to hold it, however many rows it wraps into)."""
    m = fig.layout.margin
    plot = fig.layout.height - m.t - m.b
    fig.update_layout(legend=dict(orientation="h", x=0, y=1 + gap / plot, yanchor="bottom"))


def _panel_title(run: pipeline.Schedule, label: str) -> str:
    formula = pipeline.table2_bubble(run.name.split()[0], run.stages, run.times)
    return (f"{label}: one step takes {run.makespan:g},<br>bubble {run.bubble():g} "
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
    fig.update_layout(height=140 + 3 * (60 + 14 * max_ranks), margin=dict(l=60, r=20, t=110, b=40))

    steps = []
    for (pp, mb), state in zip(settings, states, strict=True):
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
                                    currentvalue=dict(prefix="pipeline: "))])
    _legend_on_top(fig, gap=50)
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


def nodes_per_token(routing: moe.Routing, n_nodes: int) -> torch.Tensor:
    """How many distinct nodes each token's chosen experts sit on: shape (T,), experts laid out
    in contiguous blocks per node (:func:`tinyseek.node_routing.expert_nodes`)."""
    if not isinstance(routing, moe.Routing):
        raise TypeError(f"routing must be a tinyseek.moe.Routing, got {type(routing).__name__}")
    nodes = node_routing.expert_nodes(routing.n_experts, n_nodes)[routing.experts]      # (T, k)
    touched = torch.zeros(len(nodes), n_nodes, dtype=torch.bool).scatter_(1, nodes, True)
    return touched.sum(1)


def nodes_histogram(routing: moe.Routing, n_nodes: int) -> list[int]:
    """Tokens whose experts sit on exactly 1, 2, ..., ``n_nodes`` nodes."""
    return torch.bincount(nodes_per_token(routing, n_nodes), minlength=n_nodes + 1)[1:].tolist()


def copy_factors(free: moe.Routing, limited: moe.Routing, n_nodes: int) -> dict[str, float]:
    """By how much sending each token once per node it reaches cuts the cross-node copies.

    Counting one copy per destination node a token reaches (the home node included, so an upper
    bound on InfiniBand copies): ``vs_per_expert_*`` compares the limited routing with sending one
    copy per expert (``top_k`` copies), ``vs_free_*`` with per-node sending without the limit.
    ``worst``: the largest copy count of any token under each routing; ``mean``: the averages.
    """
    k = free.experts.shape[1]
    f, lim = nodes_per_token(free, n_nodes).float(), nodes_per_token(limited, n_nodes).float()
    return {"vs_per_expert_worst": k / float(lim.max()), "vs_per_expert_mean": k / float(lim.mean()),
            "vs_free_worst": float(f.max()) / float(lim.max()),
            "vs_free_mean": float(f.mean()) / float(lim.mean()),
            "free_mean": float(f.mean()), "free_max": float(f.max()),
            "limited_mean": float(lim.mean()), "limited_max": float(lim.max())}


# ---- The DualPipe diagram (static SVG) ---------------------------------------------------------

SVG_WIDTH, SVG_LEFT, SVG_ROW = 720, 96, 22


def _svg_panel(run: pipeline.Schedule, top: float, scale: float, title: str) -> list[str]:
    """SVG elements of one simulated schedule: a title, one row per rank, one box per operation
    (reverse-direction micro-batches hatched)."""
    out = [f'<text x="12" y="{top + 16}" font-size="15" font-weight="bold">{title}</text>']
    for rank, ops in enumerate(run.orders):
        y = top + 28 + rank * SVG_ROW
        out.append(f'<text x="12" y="{y + 15}" font-size="13">rank {rank}</text>')
        for op in ops:
            x, w = SVG_LEFT + op.start * scale, (op.end - op.start) * scale
            colour = KIND_STYLE[op.kind][1]
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{SVG_ROW - 4}" '
                       f'fill="{colour}" stroke="#ffffff" stroke-width="0.8"><title>{op.label}</title></rect>')
            if op.direction == 1 and op.kind != "FB" or op.kind == "FB" and op.b_direction == 1:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{SVG_ROW - 4}" '
                           'fill="url(#reverse)"/>')
    return out


LEGEND = {"F": "forward F", "B": "backward B", "Bi": "input grad B−W", "W": "weight grad W",
          "FB": "F&amp;B pair"}


def _svg_legend(y: float) -> list[str]:
    out, x = [], 12
    for kind, label in LEGEND.items():
        out.append(f'<rect x="{x}" y="{y}" width="16" height="16" fill="{KIND_STYLE[kind][1]}"/>')
        out.append(f'<text x="{x + 22}" y="{y + 13}" font-size="13">{label}</text>')
        x += 40 + int(7.5 * len(label.replace("&amp;", "&")))
    out.append(f'<rect x="12" y="{y + 26}" width="16" height="16" fill="#999999"/>')
    out.append(f'<rect x="12" y="{y + 26}" width="16" height="16" fill="url(#reverse)"/>')
    out.append(f'<text x="34" y="{y + 39}" font-size="13">hatched: a micro-batch of the reverse '
               'direction (for a pair, its backward half)</text>')
    return out


def schedule_svg(runs: Sequence[tuple[pipeline.Schedule, str]]) -> str:
    """A static SVG of simulated schedules, one panel per ``(run, title)``, on one time scale."""
    if not runs:
        raise ValueError("runs must list at least one (simulated schedule, title) pair")
    longest = max(r.makespan for r, _ in runs)
    scale = (SVG_WIDTH - SVG_LEFT - 16) / longest
    body, top = [], 8.0
    for run, title in runs:
        body += _svg_panel(run, top, scale, title)
        top += 40 + run.stages * SVG_ROW
    body += _svg_legend(top)
    height = top + 56
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_WIDTH} {height:.0f}" '
            'role="img" font-family="sans-serif" fill="#1a1a1a">'
            '<defs><pattern id="reverse" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="2" height="6" fill="#ffffff" '
            'fill-opacity="0.55"/></pattern></defs>'
            f'<rect width="{SVG_WIDTH}" height="{height:.0f}" fill="#ffffff"/>')
    return "\n".join([head, *body, "</svg>"]) + "\n"


def dualpipe_diagram() -> str:
    """Chapter 6's DualPipe figure: 1F1B and DualPipe on 8 ranks with 20 micro-batches (the size
    of DeepSeek's own illustration) and Table 2's equal chunks, F = W = 1, B = F&B = 2."""
    times = pipeline.ChunkTimes(forward=1, backward=2, weight=1, overlapped=2)
    runs = [pipeline.run_schedule(name, 8, 20, times) for name in ("1F1B", "DualPipe")]
    return schedule_svg([(r, f"{r.name}: one step takes {r.makespan:g}, bubble {r.bubble():g}")
                         for r in runs])


DIAGRAMS = Path(__file__).resolve().parents[3] / "book" / "_static" / "diagrams"


def write_dualpipe_diagram(path: Path | None = None) -> Path:
    """Write :func:`dualpipe_diagram` to ``book/_static/diagrams/06-dualpipe.svg`` (or ``path``)."""
    path = DIAGRAMS / "06-dualpipe.svg" if path is None else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dualpipe_diagram(), encoding="utf-8")
    return path
