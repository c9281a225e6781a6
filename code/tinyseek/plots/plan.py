"""Chapter 10's kernel-free figures: the what-if questions, memory per chip, licences by date,
and GPU-hours by chip against the assumed MFU (a slider).

Every number drawn is computed by :func:`tinyseek.plan.plan`; the figures only lay them out.
"""

from __future__ import annotations

import datetime as _dt
import math

import plotly.graph_objects as go

from .. import chips as chipdb
from .. import plan

BOUND_COLOURS = {"compute": "#1f77b4", "memory bandwidth": "#ff7f0e", "interconnect": "#d62728"}
PART_COLOURS = ("#1f77b4", "#9467bd", "#2ca02c", "#ff7f0e")


def _log_range(values) -> list[float]:
    """A log-axis range from half the smallest value to four times the largest (room for labels)."""
    return [math.log10(min(values) / 2), math.log10(max(values) * 4)]


def _wrap(label: str, width: int = 16) -> str:
    """``label`` broken into lines of about ``width`` characters (an axis label on a phone)."""
    lines = [""]
    for word in label.split(" "):
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return "<br>".join(lines)


def _reported_line(fig: go.Figure, x: float, label: str) -> None:
    """A dashed vertical line at ``x`` on a log x-axis, labelled at its top."""
    fig.add_vline(x=x, line_dash="dash", line_color="#333")
    fig.add_annotation(x=math.log10(x), y=1, yref="paper", yanchor="bottom", text=label,
                       showarrow=False, font=dict(size=13))


def what_if_figure(scenarios: dict[str, plan.Inputs], reported_gpu_hours: float | None = None,
                   reported_label: str = "report") -> go.Figure:
    """Horizontal bars of planned GPU-hours per scenario, coloured by what binds, labelled with
    days and cost; a dashed line at ``reported_gpu_hours`` when given."""
    names = list(scenarios)
    results = [plan.plan(scenarios[n]) for n in names]
    fig = go.Figure()
    for bound, colour in BOUND_COLOURS.items():
        rows = [(n, r) for n, r in zip(names, results, strict=True) if r["bound"] == bound]
        if not rows:
            continue
        fig.add_bar(y=[n for n, _ in rows], x=[r["gpu_hours"] / 1e6 for _, r in rows],
                    orientation="h", name=f"bound by {bound}", marker_color=colour,
                    text=[f"{r['days']:,.0f} days, ${r['cost_usd'] / 1e6:,.1f}M"
                          + ("" if r["fits"] else ", does not fit") for _, r in rows],
                    textposition="auto",
                    hovertemplate="%{y}: %{x:,.2f}M GPU-hours<extra></extra>")
    hours = [r["gpu_hours"] / 1e6 for r in results] + ([reported_gpu_hours / 1e6]
                                                        if reported_gpu_hours else [])
    if reported_gpu_hours:
        _reported_line(fig, reported_gpu_hours / 1e6, reported_label)
    fig.update_layout(template="plotly_white", height=120 + 45 * len(names), barmode="overlay",
                      xaxis=dict(title="planned GPU-hours (millions, log)", type="log",
                                 range=_log_range(hours)),
                      yaxis=dict(categoryorder="array", categoryarray=names[::-1],
                                 tickvals=names, ticktext=[_wrap(n) for n in names]),
                      legend=dict(orientation="h", y=-0.25), margin=dict(l=10, r=20, t=70, b=40),
                      title=dict(text="One input changed at a time", y=1, yref="container",
                                 yanchor="top", pad=dict(t=10)))
    return fig


def memory_figure(scenarios: dict[str, plan.Inputs]) -> go.Figure:
    """Stacked horizontal bars of memory per chip by part for each scenario, with a mark at each
    chip's memory."""
    names = list(scenarios)
    mems = [plan.memory_per_chip(scenarios[n]) for n in names]
    fig = go.Figure()
    for part, colour in zip(("weights", "gradients", "optimiser state", "activations"),
                            PART_COLOURS, strict=True):
        fig.add_bar(y=names, x=[m[part] for m in mems], name=part, marker_color=colour,
                    orientation="h", hovertemplate=f"%{{y}}: {part} %{{x:.1f}} GB<extra></extra>")
    fig.add_scatter(y=names, x=[m["capacity"] for m in mems], mode="markers", name="chip memory",
                    marker=dict(symbol="line-ns", size=30, line=dict(width=3, color="#111")),
                    hovertemplate="%{y}: %{x:.0f} GB of memory<extra></extra>")
    fig.update_layout(template="plotly_white", barmode="stack", height=120 + 45 * len(names),
                      xaxis_title="GB per chip", legend=dict(orientation="h", y=-0.2),
                      yaxis=dict(categoryorder="array", categoryarray=names[::-1]),
                      margin=dict(l=10, r=20, t=40, b=40), title="What one chip must hold")
    return fig


def licence_figure(names=("a100", "a800", "h100", "h800", "h20", "h200", "b200"),
                   dates: tuple[_dt.date, ...] = ()) -> go.Figure:
    """A grid: one row per chip, one column per date; red where shipping to China needs a
    licence, with the rule that decides in each cell."""
    dates = dates or (_dt.date(2022, 9, 1), _dt.date(2023, 6, 1), _dt.date(2024, 6, 1),
                      _dt.date(2025, 6, 1))
    verdicts = [[plan.licence(n, d, "CN") for d in dates] for n in names]
    labels = [chipdb.get(n).name.split(" ")[0] for n in names]
    columns = [d.isoformat() for d in dates]
    fig = go.Figure(go.Heatmap(
        z=[[int(v["licence_required"]) for v in row] for row in verdicts], x=columns, y=labels,
        zmin=0, zmax=1, colorscale=[[0, "#d9f0d3"], [1, "#f4a582"]], showscale=False,
        text=[[("licence" if v["licence_required"] else "free") + f"<br>{v['rule'] or 'no rule'}"
               for v in row] for row in verdicts],
        texttemplate="%{text}", textfont=dict(size=13), xgap=2, ygap=2,
        hovertemplate="%{y} to China on %{x}: %{text}<extra></extra>"))
    fig.update_layout(template="plotly_white", height=80 + 55 * len(names),
                      xaxis=dict(type="category", side="top"), yaxis=dict(autorange="reversed"),
                      margin=dict(l=10, r=10, t=70, b=10), title="Licence to ship to China, by date")
    return fig


def mfu_figure(base: plan.Inputs, names=("h800", "h100", "h20", "h200", "b200"),
               mfus=(0.15, 0.2, 0.25, 0.3, 0.35, 0.41, 0.45, 0.5), reported: float | None = None
               ) -> go.Figure:
    """GPU-hours of ``base`` on each chip (bars) with a slider over the assumed MFU; bars of
    chips that need a licence at ``base.date`` are hatched. The kernel-free twin of the panel."""
    if not mfus:
        raise ValueError("mfus must list at least one MFU")
    labels = [chipdb.get(n).name.split(" ")[0] for n in names]
    runs = {m: [plan.plan(base.with_(chip=n, mfu=m)) for n in names] for m in mfus}
    start = min(range(len(mfus)), key=lambda k: abs(mfus[k] - base.mfu))

    def bar(m):
        return dict(x=[[r["gpu_hours"] / 1e6 for r in runs[m]]],
                    text=[[f"{r['days']:,.0f} days, {r['bound']}" for r in runs[m]]])

    first = runs[mfus[start]]
    fig = go.Figure(go.Bar(
        y=labels, x=bar(mfus[start])["x"][0], text=bar(mfus[start])["text"][0], orientation="h",
        textposition="auto", marker=dict(color="#1f77b4", pattern_shape=[
            "/" if r["licence_required"] else "" for r in first]),
        hovertemplate="%{y}: %{x:,.2f}M GPU-hours<extra></extra>"))
    if reported:
        _reported_line(fig, reported / 1e6, "V3 report")
    steps = [dict(method="update", label=f"{m:.0%}", args=[bar(m), {}, [0]]) for m in mfus]
    fig.update_layout(
        template="plotly_white", height=420, xaxis=dict(
            title="GPU-hours (millions, log scale)", type="log", range=_log_range(
                [r["gpu_hours"] / 1e6 for rs in runs.values() for r in rs] + ([reported / 1e6] if reported else []))),
        yaxis=dict(autorange="reversed"), margin=dict(l=10, r=20, t=90, b=40),
        title=f"{base.name} by chip<br><sup>hatched: licence needed on {base.date.isoformat()}</sup>",
        sliders=[dict(active=start, steps=steps, pad=dict(t=50), currentvalue=dict(
            prefix="assumed MFU: "))])
    return fig
