"""Chapter 1's kernel-free figure: implied spend against the run's share of compute."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import cost, units


def rental_cost_figure(gpu_hours: float | None = None,
                       prices=np.arange(0.5, 6.01, 0.25),
                       shares=np.linspace(0.05, 1.0, 96)) -> go.Figure:
    """Implied spend against the run's share of all compute, one slider step per price.

    Defaults to DeepSeek-V3's total GPU-hours and marks the report's own point ($2/GPU-hour,
    the run alone).
    """
    run = cost.deepseek_v3_run()
    gpu_hours = run.gpu_hours if gpu_hours is None else gpu_hours
    prices, shares = np.asarray(prices, float), np.asarray(shares, float)
    start = int(np.argmin(abs(prices - run.usd_per_gpu_hour)))

    def curve(price):
        return [cost.rental_cost(gpu_hours, price, s) / 1e6 for s in shares]

    fig = go.Figure()
    fig.add_scatter(x=shares * 100, y=curve(prices[start]), mode="lines",
                    name="implied spend", hovertemplate="run = %{x:.0f}% of compute<br>"
                    "spend = $%{y:,.1f}M<extra></extra>")
    fig.add_scatter(x=[100], y=[run.cost / 1e6], mode="markers+text", name="V3 report",
                    text=[f"V3 report: {units.usd(run.cost)}"], textposition="top left",
                    marker=dict(size=11, symbol="diamond", color="#d62728"))

    def title(price):
        one_run = cost.rental_cost(gpu_hours, price)
        return (f"{units.si(gpu_hours, 4)} GPU-hours at ${price:.2f}/GPU-hour:<br>"
                f"{units.usd(one_run)} for the run alone")

    steps = [dict(method="update", label=f"${p:.2f}",
                  args=[{"y": [curve(p)]}, {"title.text": title(p)}, [0]]) for p in prices]
    fig.update_layout(
        title=dict(text=title(prices[start]), font=dict(size=15), x=0.02, xanchor="left",
                   y=0.96, yanchor="top"),
        template="plotly_white", height=460,
        xaxis_title="the run's share of the lab's GPU time (%)",
        yaxis=dict(title="rental-equivalent spend (million USD)", type="log",
                   tickvals=[2, 5, 10, 20, 50, 100, 200, 500]),
        legend=dict(x=0.98, y=0.98, xanchor="right", bgcolor="rgba(255,255,255,0.8)"),
        sliders=[dict(active=start, steps=steps, pad=dict(t=60),
                      currentvalue=dict(prefix="price per GPU-hour: "))],
        margin=dict(l=60, r=20, t=80, b=40),
    )
    return fig
