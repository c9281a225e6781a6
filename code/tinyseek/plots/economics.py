"""Chapter 8's kernel-free figures: rent or own, break-even, and which assumption matters most.

Every number drawn here comes from a tested function of ``tinyseek.cost``; the sliders only switch
between states precomputed when the book is built.
"""

from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go

from .. import cost, data, units

RENT, OWN = "#1f77b4", "#2ca02c"
LABELS = {
    "gpu_usd": "GPU price",
    "server_usd_per_gpu": "rest of the server, per GPU",
    "network_share": "network's share of capital",
    "watts_per_gpu": "power per GPU",
    "pue": "data-centre overhead (PUE)",
    "usd_per_kwh": "electricity price",
    "depreciation_years": "depreciation period",
    "utilisation": "utilisation",
    "run_share": "final run's share of compute",
    "headcount": "headcount",
    "usd_per_person_year": "cost per employee",
    "period_years": "period counted",
    "data_usd": "data spend",
}


def _runs() -> dict[str, float]:
    """The two published runs the explorer marks, by GPU-hours (same chip class: H800 and H100)."""
    return {"DeepSeek-V3": cost.deepseek_v3_run().gpu_hours,
            "Llama 3.1 405B": float(data.value("llama31_405b_gpu_hours"))}


def cost_explorer_figure(prices=np.arange(1.0, 6.01, 0.25),
                         utilisations=np.arange(0.3, 1.001, 0.05),
                         ownership: cost.Ownership | None = None,
                         gpu_hours=np.logspace(5, 8, 61)) -> go.Figure:
    """Cost of a run against its GPU-hours, rented (price slider) and owned (utilisation slider).

    The two sliders drive separate lines, so every state of each is precomputed on its own: the
    rental line and its two markers depend only on the price, the ownership line and its markers
    only on the utilisation (the other ownership inputs stay at ``ownership``, by default the
    book's). The markers sit at DeepSeek-V3's and Llama 3.1 405B's published GPU-hours.
    """
    own = cost.ownership_defaults() if ownership is None else ownership
    prices, utils = np.asarray(prices, float), np.asarray(utilisations, float)
    hours = np.asarray(gpu_hours, float)
    runs = _runs()
    p0 = int(np.argmin(abs(prices - data.value("h800_rental_price"))))
    u0 = int(np.argmin(abs(utils - own.utilisation)))

    def rented(price, h):
        return [cost.rental_cost(x, price) / 1e6 for x in h]

    def owned(u, h):
        o = own.with_(utilisation=float(u))
        return [cost.owned_cost(x, o) / 1e6 for x in h]

    marks = list(runs.values())
    fig = go.Figure()
    fig.add_scatter(x=hours, y=rented(prices[p0], hours), mode="lines", name="rented",
                    line=dict(color=RENT),
                    hovertemplate="%{x:.3s} GPU-hours: $%{y:,.1f}M<extra>rented</extra>")
    fig.add_scatter(x=hours, y=owned(utils[u0], hours), mode="lines", name="owned",
                    line=dict(color=OWN, dash="dash"),
                    hovertemplate="%{x:.3s} GPU-hours: $%{y:,.1f}M<extra>owned</extra>")
    fig.add_scatter(x=marks, y=rented(prices[p0], marks), mode="markers+text", name="runs, rented",
                    text=list(runs), textposition="top left",
                    marker=dict(size=11, symbol="diamond", color="#d62728"),
                    hovertemplate="%{text}: $%{y:,.1f}M rented<extra></extra>")
    fig.add_scatter(x=marks, y=owned(utils[u0], marks), mode="markers", name="runs, owned",
                    text=list(runs), marker=dict(size=10, symbol="circle-open", color="#d62728"),
                    hovertemplate="%{text}: $%{y:,.1f}M owned<extra></extra>")

    price_steps = [dict(method="restyle", label=f"${p:.2f}",
                        args=[{"y": [rented(p, hours), rented(p, marks)]}, [0, 2]]) for p in prices]
    util_steps = [dict(method="restyle", label=f"{u:.0%}",
                       args=[{"y": [owned(u, hours), owned(u, marks)]}, [1, 3]]) for u in utils]
    fig.update_layout(
        title=dict(text=(f"A run's cost, rented or owned<br><sup>ownership: {units.usd(own.capital_per_gpu, 3)} "
                         f"per GPU over {own.depreciation_years:g} years</sup>"), font=dict(size=15),
                   y=0.96, yanchor="top"),
        template="plotly_white", height=600,
        xaxis=dict(title="GPU-hours of the run", type="log"),
        yaxis=dict(title="cost (million USD)", type="log"),
        legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom"),  # above the plot, on a phone in two rows
        sliders=[dict(active=p0, steps=price_steps, y=-0.12, pad=dict(t=30),
                      currentvalue=dict(prefix="rental price per GPU-hour: ")),
                 dict(active=u0, steps=util_steps, y=-0.5, pad=dict(t=30),
                      currentvalue=dict(prefix="owner's utilisation: "))],
        margin=dict(l=60, r=20, t=115, b=250),
    )
    return fig


def break_even_figure(prices=(1.5, 2.0, 3.0), ownership: cost.Ownership | None = None,
                      utilisations=np.linspace(0.2, 1.0, 81)) -> go.Figure:
    """Owner's cost per useful GPU-hour against utilisation, with rental prices as flat lines.

    Where a flat line crosses the curve is the break-even utilisation
    (:func:`tinyseek.cost.break_even_utilisation`), marked on each line that crosses.
    """
    own = cost.ownership_defaults() if ownership is None else ownership
    utils = np.asarray(utilisations, float)
    fig = go.Figure()
    per_hour = [own.with_(utilisation=float(u)).usd_per_gpu_hour for u in utils]
    fig.add_scatter(x=utils * 100, y=per_hour,
                    mode="lines", name="owning", line=dict(color=OWN, width=3),
                    hovertemplate="%{x:.0f}% busy: $%{y:.2f} per useful GPU-hour<extra></extra>")
    for price in prices:
        fig.add_scatter(x=[utils[0] * 100, utils[-1] * 100], y=[price, price], mode="lines",
                        name=f"renting at ${price:.2f}", line=dict(color=RENT, dash="dot"),
                        hoverinfo="skip")
        u = cost.break_even_utilisation(own, price)
        if utils[0] <= u <= utils[-1]:
            fig.add_scatter(x=[u * 100], y=[price], mode="markers+text", showlegend=False,
                            text=[f"{u:.0%}"], textposition="top right",
                            marker=dict(size=10, color="#d62728"),
                            hovertemplate=f"break-even at {u:.0%} for ${price:.2f}<extra></extra>")
    fig.update_layout(title=dict(text="Owning beats renting<br>above the break-even utilisation",
                                 font=dict(size=15)),
                      template="plotly_white", height=420,
                      xaxis_title="hours the owned GPUs do useful work (%)",
                      yaxis_title="USD per useful GPU-hour", yaxis_rangemode="tozero",
                      # inside, top right, where the curve has fallen: beside the plot it squeezed a phone's
                      legend=dict(x=0.98, y=0.98, xanchor="right", yanchor="top", bgcolor="rgba(255,255,255,0.8)"),
                      margin=dict(l=60, r=20, t=75, b=50))
    return fig


def tornado_figure(rows: list[dict] | None = None) -> go.Figure:
    """Horizontal bars: the total at each input's low and high end, biggest swing at the top.

    ``rows`` are :func:`tinyseek.cost.tornado`'s; by default the book's DeepSeek scenario.
    """
    if rows is None:
        base, ranges = cost.scenario()
        rows = cost.tornado(cost.lab_total, base, ranges)
    rows = list(reversed(rows))  # Plotly draws the first bar at the bottom
    centre = rows[0]["centre"] / 1e6
    names = [LABELS.get(r["input"], r["input"]) for r in rows]

    def ends(r):
        return f"{units.si(r['low'], 3)} to {units.si(r['high'], 3)}"

    fig = go.Figure()
    for key, label, colour in (("at_low", "input at its low end", "#9467bd"),
                               ("at_high", "input at its high end", "#ff7f0e")):
        fig.add_bar(y=names, x=[r[key] / 1e6 - centre for r in rows], base=centre, orientation="h",
                    name=label, marker_color=colour, customdata=[ends(r) for r in rows],
                    hovertemplate=("%{y} (%{customdata}): total $%{x:,.0f}M<extra>" + label
                                   + "</extra>"))
    fig.add_vline(x=centre, line=dict(color="black", width=1))
    # the labels wrapped onto short lines (the bars keep the full names), so the bars keep room on a phone
    fig.update_layout(barmode="overlay", template="plotly_white", height=620,
                      title=dict(text=("Which assumption moves the total most<br>"
                                       f"<sup>default total {units.usd(centre * 1e6, 3)}</sup>"),
                                 font=dict(size=15)),
                      xaxis_title="the lab's total spend<br>over the period (million USD)",
                      yaxis=dict(tickvals=names, ticktext=["<br>".join(textwrap.wrap(n, 18)) for n in names],
                                 automargin=True),
                      legend=dict(orientation="h", y=-0.22, yanchor="top"),
                      margin=dict(l=20, r=20, t=75, b=110))
    return fig


def spend_breakdown_figure(lab: cost.LabSpend | None = None) -> go.Figure:
    """One stacked bar: a lab's spend by part, with the final run at the bottom."""
    if lab is None:
        base, _ = cost.scenario()
        own = cost.Ownership(**{k: base[k] for k in cost.OWNERSHIP_FIELDS})
        lab = cost.LabSpend(usd_per_gpu_hour=own.usd_per_gpu_hour,
                            **{k: base[k] for k in cost.LAB_FIELDS})
    fig = go.Figure()
    for part, usd in lab.breakdown().items():
        fig.add_bar(x=["the lab's spend"], y=[usd / 1e6], name=part,
                    hovertemplate=f"{part}: {units.usd(usd, 3)}<extra></extra>")
    fig.update_layout(barmode="stack", template="plotly_white", height=420, width=520,
                      title=f"Total {units.usd(lab.total, 3)} over the period",
                      yaxis_title="million USD", margin=dict(l=60, r=20, t=60, b=40))
    return fig


def serving_cost_figure(price_lines: dict[str, float], prices=np.arange(1.0, 4.01, 0.25),
                        utilisations=(0.25, 0.5, 0.75, 1.0), gpus_per_node: int = 8,
                        tokens_per_s=np.logspace(3, 5, 41)) -> go.Figure:
    """Dollars per million output tokens against a node's decoding throughput, one line per
    utilisation, a slider over the GPU's rental price (every state from
    :func:`tinyseek.serving.usd_per_million_tokens`), with ``price_lines`` ({label: $ per million
    tokens}, e.g. launch prices) drawn flat and DeepSeek's disclosed throughput marked.
    """
    from .. import serving

    prices, rates = np.asarray(prices, float), np.asarray(tokens_per_s, float)
    p0 = int(np.argmin(abs(prices - data.value("h800_rental_price"))))
    disclosed = float(data.value("ds_inference.decode_tokens_per_s_per_node"))

    def curves(price):
        return [[serving.usd_per_million_tokens(price, gpus_per_node, r, u) for r in rates] for u in utilisations]

    fig = go.Figure()
    for u, ys in zip(utilisations, curves(prices[p0]), strict=True):
        fig.add_scatter(x=rates, y=ys, mode="lines", name=f"{u:.0%} busy",
                        hovertemplate="%{x:.3s} tokens/s: $%{y:.2f} per million<extra>" + f"{u:.0%} busy</extra>")
    for i, (label, usd) in enumerate(price_lines.items()):
        fig.add_scatter(x=[rates[0], rates[-1]], y=[usd, usd], mode="lines", name=label,
                        line=dict(dash="dot", color=("#d62728", "#9467bd", "#8c564b")[i % 3]),
                        hovertemplate=f"{label}: ${usd:.2f} per million<extra></extra>")
    fig.add_vline(x=disclosed, line=dict(color="#7f7f7f", dash="dash"))
    steps = [dict(method="restyle", label=f"${p:.2f}", args=[{"y": curves(p)}, list(range(len(utilisations)))])
             for p in prices]
    fig.update_layout(
        title=dict(text="What a million output tokens<br>cost to serve", font=dict(size=15)),
        template="plotly_white", height=600,
        xaxis=dict(title="output tokens per second per 8-GPU node", type="log"),
        yaxis=dict(title="USD per million output tokens", type="log"),
        # the legend under the slider, with room below for the six rows it takes on a phone
        legend=dict(orientation="h", y=-0.63, yanchor="top", x=0),
        annotations=[dict(x=np.log10(disclosed), y=1, yref="paper", text="DeepSeek's average",
                          showarrow=False, xanchor="left", yanchor="bottom", font=dict(size=11))],
        sliders=[dict(active=p0, steps=steps, y=-0.25, yanchor="top", pad=dict(t=10),
                      currentvalue=dict(prefix="GPU rental price per hour: "))],
        margin=dict(l=60, r=20, t=85, b=270),
    )
    return fig
