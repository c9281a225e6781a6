"""Chapter 4's figures: V3's parameter breakdown, the tiny model's training curves, routing
heat-maps, and two kernel-free explorers (routing per character; the loss-free bias rule).

The explorers precompute every slider state with the tested functions of ``tinyseek.moe`` and
``tinyseek.moe_lm``; the page only switches between them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import moe, moe_lm, validate

BALANCE_COLOURS = {"none": "#d62728", "aux_loss": "#ff7f0e", "bias": "#2ca02c", "dense": "#1f77b4"}


def parameter_breakdown_figure(count: moe.ParamCount) -> go.Figure:
    """Total and activated parameters (billions) by component, as grouped horizontal bars."""
    parts = count.breakdown()
    names = list(parts)
    fig = go.Figure()
    for i, (label, colour) in enumerate((("total", "#9ecae1"), ("activated per token", "#08519c"))):
        values = [parts[n][i] / 1e9 for n in names]
        fig.add_bar(y=names, x=values, orientation="h", name=label, marker_color=colour,
                    hovertemplate="%{y}: %{x:,.2f}B<extra>" + label + "</extra>")
    fig.update_layout(template="plotly_white", height=380, barmode="group",
                      xaxis=dict(title="parameters (billions)", type="log"),
                      yaxis=dict(autorange="reversed"), legend=dict(orientation="h", y=-0.2),
                      margin=dict(l=120, r=20, t=30, b=40))
    return fig


def smooth(values: Sequence[float], window: int = 20) -> np.ndarray:
    """Trailing moving average (the first points average what there is so far)."""
    validate.integer("window", window, low=1)
    v = np.asarray(values, dtype=float)
    c = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(0, idx - window)
    return (c[idx] - c[lo]) / (idx - lo)


def curves_figure(curves: dict[str, Sequence[float]], y_title: str, window: int = 20,
                  reference: float | None = None) -> go.Figure:
    """One smoothed line per run against the training step; ``reference`` a dashed level."""
    fig = go.Figure()
    for name, values in curves.items():
        key = next((k for k in BALANCE_COLOURS if k in name), None)
        fig.add_scatter(y=smooth(values, window), mode="lines", name=name,
                        line=dict(color=BALANCE_COLOURS.get(key)),
                        hovertemplate="step %{x}: %{y:.3f}<extra>" + name + "</extra>")
    if reference is not None:
        fig.add_hline(y=reference, line=dict(dash="dash", color="grey"))
    fig.update_layout(template="plotly_white", height=380, xaxis=dict(title="training step"),
                      yaxis=dict(title=y_title), legend=dict(orientation="h", y=-0.25),
                      margin=dict(l=60, r=20, t=30, b=40))
    return fig


def routing_heatmap_figure(shares: dict[str, np.ndarray]) -> go.Figure:
    """Domain × expert heat-maps, one panel per model stacked top to bottom (each row: the share of
    a domain's choices), so that the panels' titles never share a line."""
    n = len(shares)
    fig = make_subplots(rows=n, cols=1, subplot_titles=list(shares), vertical_spacing=0.22 / max(1, n - 1)
                        if n > 1 else 0.0)
    for i, share in enumerate(shares.values(), start=1):
        share = np.asarray(share)
        fig.add_heatmap(z=100 * share, x=[f"E{e}" for e in range(share.shape[1])],
                        y=list(moe_lm.DOMAINS), coloraxis="coloraxis", row=i, col=1,
                        hovertemplate="%{y} → %{x}: %{z:.1f}% of its choices<extra></extra>")
        fig.update_yaxes(autorange="reversed", row=i, col=1)
    fig.update_layout(template="plotly_white", height=90 + 190 * n,
                      coloraxis=dict(colorscale="Blues", colorbar=dict(title="%")),
                      margin=dict(l=90, r=20, t=40, b=30))
    return fig


def recall_figure(recalls: dict[str, Sequence[float]]) -> go.Figure:
    """Share of facts recalled, one dot per seed and a bar at the mean, one column per model."""
    fig = go.Figure()
    palette = ["#d95f02", "#1f77b4", "#7f7f7f"]
    for i, (name, values) in enumerate(recalls.items()):
        values = np.asarray(values, dtype=float)
        colour = palette[i % len(palette)]
        fig.add_bar(x=[name], y=[values.mean()], marker_color=colour, opacity=0.35, showlegend=False,
                    hovertemplate=name + ": mean %{y:.3f}<extra></extra>")
        fig.add_scatter(x=[name] * len(values), y=values, mode="markers", showlegend=False,
                        marker=dict(color=colour, size=11, line=dict(color="#111", width=1)),
                        hovertemplate=name + ": %{y:.3f}<extra>one seed</extra>")
    fig.update_layout(template="plotly_white", height=380, yaxis=dict(title="share of facts recalled",
                      range=[0, 1.05]), margin=dict(l=70, r=20, t=20, b=60))
    return fig


def _gate_matrix(model: moe_lm.TinyLM, text: str, layer: int):
    chars, experts, gates = moe_lm.token_routing(model, text, layer)
    z = np.zeros((len(chars), model.config.n_routed))
    np.put_along_axis(z, experts, gates, axis=1)
    return chars, z


def routing_explorer_figure(model: moe_lm.TinyLM, samples: dict[str, str], layer: int = -1) -> go.Figure:
    """Per character of a sample text, the gate of each chosen expert (unchosen: blank); one
    slider step per sample (e.g. one per domain). Every state computed when the figure is built."""
    if not samples:
        raise ValueError("samples must map at least one name to a text")
    states = {name: _gate_matrix(model, text, layer) for name, text in samples.items()}
    experts = [f"E{e}" for e in range(model.config.n_routed)]

    def trace_args(chars, z):
        shown = np.where(z > 0, z, np.nan)
        return dict(z=shown.T, x=[f"{i}:{c!r}" for i, c in enumerate(chars)], y=experts)

    def title(name):  # short: it must fit a phone's width
        return f"{name}: experts per character"

    first = next(iter(states.values()))
    fig = go.Figure(go.Heatmap(**trace_args(*first), colorscale="Viridis",
                               colorbar=dict(title="gate"), zmin=0,
                               hovertemplate="character %{x} → %{y}, gate %{z:.2f}<extra></extra>"))
    steps = []
    for name, (chars, z) in states.items():
        args = trace_args(chars, z)
        steps.append(dict(method="update", label=name,
                          args=[{"z": [args["z"]], "x": [args["x"]]}, {"title.text": title(name)}]))
    fig.update_layout(title=dict(text=title(next(iter(states))), font=dict(size=16)),
                      template="plotly_white", height=420,
                      xaxis=dict(title="position: character", tickangle=-60),
                      yaxis=dict(title="routed expert", autorange="reversed"),
                      sliders=[dict(active=0, steps=steps, pad=dict(t=70),
                                    currentvalue=dict(prefix="sample: "))],
                      margin=dict(l=60, r=20, t=50, b=60))
    return fig


def balance_simulator_figure(gammas: Sequence[float] = (0.0, 1e-3, 3e-3, 1e-2, 3e-2),
                             shapes: Sequence[tuple[int, int]] = ((16, 2), (64, 6), (256, 8)),
                             steps: int = 200, tokens: int = 256, skew: float = 1.0,
                             seed: int = 0) -> go.Figure:
    """Max/mean expert load against step under the bias rule, one line per γ; one slider step per
    (experts, top-k). Every line is a :func:`tinyseek.moe.simulate_bias_balancing` run."""
    if not gammas or not shapes:
        raise ValueError("gammas and shapes must each list at least one value")
    runs = {(e, k): [moe.simulate_bias_balancing(e, k, g, steps, tokens, skew, seed) for g in gammas]
            for e, k in shapes}
    palette = ["#d62728", "#ff7f0e", "#bcbd22", "#2ca02c", "#1f77b4", "#9467bd"]
    fig = go.Figure()
    first = runs[tuple(shapes[0])]
    for i, (g, run) in enumerate(zip(gammas, first, strict=True)):
        name = f"γ = {g:g}" + (" (no balancing)" if g == 0 else "")
        fig.add_scatter(y=run.max_over_mean, mode="lines", name=name,
                        line=dict(color=palette[i % len(palette)]),
                        hovertemplate="step %{x}: max/mean %{y:.2f}<extra>" + name + "</extra>")
    fig.add_hline(y=1, line=dict(dash="dot", color="grey"))

    def y_range(shape):
        return [0.9, 1.08 * max(float(r.max_over_mean.max()) for r in runs[shape])]

    slider_steps = [dict(method="update", label=f"{e} experts, top-{k}",
                         args=[{"y": [r.max_over_mean for r in runs[(e, k)]]}, {"yaxis.range": y_range((e, k))},
                               list(range(len(gammas)))])
                    for e, k in shapes]
    fig.update_layout(template="plotly_white", height=520,
                      xaxis=dict(title="step (a batch of tokens each)"),
                      yaxis=dict(title="max / mean load", range=y_range(tuple(shapes[0]))),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
                      sliders=[dict(active=0, steps=slider_steps, pad=dict(t=70),
                                    currentvalue=dict(prefix="router: "))],
                      margin=dict(l=70, r=20, t=90, b=60))
    return fig
