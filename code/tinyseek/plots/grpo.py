"""Chapter 7's kernel-free figures: the group-advantage explorer and the replay of a GRPO run."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from .. import validate
from ..grpo import GrpoHistory, group_advantages


def advantage_explorer_figure(group_size: int = 8) -> go.Figure:
    """Advantages of a group of ``group_size`` completions with k correct (reward 1) and the rest
    wrong (reward 0), one slider step per k; green bars are pushed up, red pushed down."""
    validate.integer("group_size", group_size, low=2, high=64)

    def bars(k):
        rewards = [1.0] * k + [0.0] * (group_size - k)
        adv = group_advantages([rewards])[0].tolist()
        colours = ["#2ca02c" if a > 0 else "#d62728" if a < 0 else "#7f7f7f" for a in adv]
        return adv, colours

    adv, colours = bars(1)
    fig = go.Figure(go.Bar(x=[f"#{i + 1}" for i in range(group_size)], y=adv, marker_color=colours,
                           hovertemplate="completion %{x}<br>advantage %{y:.2f}<extra></extra>"))
    steps = []
    for k in range(group_size + 1):
        a, c = bars(k)
        steps.append(dict(method="update", label=str(k),
                          args=[{"y": [a], "marker.color": [c]},
                                {"title.text": f"{k} of {group_size} correct"}]))
    fig.update_layout(title=f"1 of {group_size} correct", template="plotly_white", height=420,
                      xaxis_title="completion (correct ones first)",
                      yaxis=dict(title="advantage (group-normalised reward)", range=[-3, 3]),
                      sliders=[dict(active=1, steps=steps, pad=dict(t=50),
                                    currentvalue=dict(prefix="correct completions: "))],
                      margin=dict(l=60, r=20, t=60, b=40))
    return fig


def replay_figure(history: GrpoHistory) -> go.Figure:
    """Held-out accuracy and mean completion length of a run, with a slider over the evaluations
    that moves a marker and shows the greedy completions of the first held-out prompts."""
    if not isinstance(history, GrpoHistory) or not history.eval_step:
        raise ValueError("history must be a GrpoHistory with at least one evaluation")
    fig = go.Figure()
    fig.add_scatter(x=history.eval_step, y=[a * 100 for a in history.accuracy], name="held-out accuracy (%)",
                    mode="lines+markers")
    fig.add_scatter(x=history.step, y=history.length, name="completion length (tokens)", yaxis="y2",
                    mode="lines")
    fig.add_scatter(x=[history.eval_step[0]], y=[history.accuracy[0] * 100], mode="markers",
                    marker=dict(size=14, color="#d62728"), name="shown step")

    def title(i):  # a completion's answer on a line of its own: a line must fit a phone's width
        shown = "<br>".join(html.escape(s).replace("&lt;/think&gt;", "&lt;/think&gt;<br>  ", 1)
                            for s in history.samples[i][:3])
        return f"step {history.eval_step[i]}: {history.accuracy[i]:.0%} held-out<br><sup>{shown}</sup>"

    steps = [dict(method="update", label=str(s),
                  args=[{"x": [[s]], "y": [[history.accuracy[i] * 100]]}, {"title.text": title(i)}, [2]])
             for i, s in enumerate(history.eval_step)]
    fig.update_layout(title=dict(text=title(0), y=1, yref="container", yanchor="top", pad=dict(t=24)),
                      template="plotly_white", height=670,
                      yaxis=dict(title="held-out accuracy (%)", range=[0, 100], tickvals=[0, 20, 40, 60, 80, 100]),
                      xaxis=dict(title="GRPO step", tickmode="array", tickvals=history.eval_step),
                      yaxis2=dict(title="tokens", overlaying="y", side="right", range=[0, 25],
                                  tickvals=[0, 5, 10, 15, 20, 25]),
                      legend=dict(orientation="h", x=0, y=-0.16, xanchor="left", yanchor="top"),
                      sliders=[dict(active=0, steps=steps, x=0, y=-0.42, yanchor="top", pad=dict(t=0),
                                    currentvalue=dict(prefix="step: "))],
                      margin=dict(l=60, r=60, t=180, b=170))
    return fig


def ladder_figure(results: dict) -> go.Figure:
    """Held-out accuracy against RL step for each rung of the ladder, one line per seed (the
    output of ``pg_ladder.climb``: rung name -> list of (policy, history))."""
    if not isinstance(results, dict) or not results:
        raise ValueError("results must map rung names to lists of (policy, history)")
    colours = ["#7f7f7f", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e"]
    fig = go.Figure()
    for i, (name, runs) in enumerate(results.items()):
        for j, (_, history) in enumerate(runs):
            fig.add_scatter(x=history.eval_step, y=[a * 100 for a in history.accuracy], mode="lines+markers",
                            name=name, legendgroup=name, showlegend=j == 0,
                            line=dict(color=colours[i % len(colours)], width=2), marker=dict(size=5),
                            hovertemplate=f"{html.escape(name)}, seed {j}<br>step %{{x}}: %{{y:.0f}}%<extra></extra>")
    steps = results[next(iter(results))][0][1].eval_step
    fig.update_layout(template="plotly_white", height=520, xaxis=dict(title="RL step", tickvals=steps),
                      yaxis=dict(title="held-out accuracy (%)", range=[0, 100], tickvals=[0, 20, 40, 60, 80, 100]),
                      legend=dict(orientation="h", x=0, y=-0.18, xanchor="left", yanchor="top"),
                      margin=dict(l=60, r=20, t=30, b=60))
    return fig


def pass_at_k_figure(curves: dict[str, dict[int, float]]) -> go.Figure:
    """pass@k (percent) against k on a log axis, one line per policy (name -> {k: pass@k})."""
    if not isinstance(curves, dict) or not curves:
        raise ValueError("curves must map policy names to {k: pass@k}")
    fig = go.Figure()
    for name, curve in curves.items():
        ks = sorted(curve)
        fig.add_scatter(x=ks, y=[curve[k] * 100 for k in ks], mode="lines+markers", name=name,
                        hovertemplate=f"{html.escape(name)}<br>pass@%{{x}}: %{{y:.1f}}%<extra></extra>")
    ks = sorted(next(iter(curves.values())))
    fig.update_layout(template="plotly_white", height=420,
                      xaxis=dict(title="k (samples per problem)", type="log", tickvals=ks,
                                 ticktext=[str(k) for k in ks]),
                      yaxis=dict(title="pass@k on held-out problems (%)", range=[0, 101],
                                 tickvals=[0, 20, 40, 60, 80, 100]),
                      legend=dict(orientation="h", x=0, y=-0.2, xanchor="left", yanchor="top"),
                      margin=dict(l=60, r=20, t=30, b=60))
    return fig
