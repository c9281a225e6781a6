"""Kernel-free interactive figures: Plotly sliders over values precomputed by tested functions.

On the static site no Python runs, so every state a slider can reach is computed here, at build
time, by the same function the live widget calls. The page only switches between them.
"""

from __future__ import annotations

import hashlib
import html
import json

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs_version

from . import cost, data, units

def show(fig: go.Figure, alt: str) -> None:
    """Display ``fig`` in a notebook and on the static site, with ``alt`` as its text alternative.

    The output is one HTML fragment. On the book's site ``plotly.js`` is already on the page,
    served by the site itself (``book/_ext/offline_assets.py``); in a live notebook (Colab,
    JupyterLab, Binder) the fragment loads it from Plotly's CDN the first time.
    """
    from IPython.display import HTML, display

    display(HTML(figure_html(fig, alt)))


def figure_html(fig: go.Figure, alt: str) -> str:
    """The HTML fragment that ``show`` displays (separate so that tests can read it)."""
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must describe the figure for readers who cannot see it")
    div_id = "fig-" + hashlib.sha1(fig.to_json().encode()).hexdigest()[:12]  # stable across builds
    spec = fig.to_json()
    cdn = f"https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js"
    config = json.dumps({"responsive": True, "displaylogo": False})
    height = fig.layout.height or 450
    return f"""<figure class="tinyseek-plot" role="img" aria-label="{html.escape(alt)}">
<div id="{div_id}" style="height:{height}px"></div></figure>
<script>(function () {{
  var spec = {spec};
  function draw() {{ Plotly.newPlot("{div_id}", spec.data, spec.layout, {config}); }}
  if (window.Plotly) {{ draw(); }} else {{
    var s = document.createElement("script"); s.src = "{cdn}"; s.onload = draw;
    document.head.appendChild(s);
  }}
}})();</script>"""


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
        return (f"{units.si(gpu_hours)} GPU-hours at ${price:.2f}/GPU-hour: "
                f"{units.usd(one_run)} for the run alone")

    steps = [dict(method="update", label=f"${p:.2f}",
                  args=[{"y": [curve(p)]}, {"title.text": title(p)}, [0]]) for p in prices]
    fig.update_layout(
        title=title(prices[start]), template="plotly_white", height=460,
        xaxis_title="the run's share of all GPU time the lab spent (%)",
        yaxis_title="implied rental-equivalent spend (million USD)", yaxis_type="log",
        legend=dict(orientation="h", y=-0.25),
        sliders=[dict(active=start, steps=steps, pad=dict(t=60),
                      currentvalue=dict(prefix="price per GPU-hour: "))],
        margin=dict(l=60, r=20, t=60, b=40),
    )
    return fig
