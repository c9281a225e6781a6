"""Chapter 1's kernel-free figure: R1's margin over o1-1217 on each benchmark of the R1 paper's
Table 4, with a menu that shows one category at a time.

Every margin and leader is the return value of ``tinyseek.evals.verdicts``; the figure only lays
them out.
"""

from __future__ import annotations

import plotly.graph_objects as go

from .. import evals

COLOURS = {"R1": "#1f77b4", "o1": "#d62728", "tie": "#7f7f7f"}
CATEGORIES = ("math", "code", "engineering", "knowledge and reasoning")


SHORT = {"SWE-bench Verified": "SWE-bench Verif.", "GPQA Diamond": "GPQA Diamond"}


def _label(r: evals.Row) -> str:
    return "Codeforces %ile" if r.name == "Codeforces" else SHORT.get(r.name, r.name)


def margin_figure(tie: float = 0.0) -> go.Figure:
    """Horizontal bars of ``R1 - o1`` in points, one per benchmark, coloured by the leader.

    The Codeforces *rating* row is left out (its unit is rating points, not percent; the
    percentile row shows the same contests). A menu shows all rows or one category.
    """
    rows = [r for r in evals.verdicts(tie) if r.unit != "rating"]
    fig = go.Figure()
    fig.add_bar(
        x=[r.margin for r in rows], y=[_label(r) for r in rows], orientation="h",
        marker=dict(color=[COLOURS[r.leader] for r in rows]),
        text=[f"{r.margin:+.1f}" for r in rows], textposition="outside", cliponaxis=False,
        customdata=[[r.r1, r.o1, r.leader, r.category] for r in rows],
        hovertemplate="%{y}: R1 %{customdata[0]}, o1-1217 %{customdata[1]} → %{customdata[2]}"
                      "<br>%{customdata[3]}<extra></extra>", showlegend=False)
    buttons = [dict(label="all benchmarks", method="update",
                    args=[{"x": [[r.margin for r in rows]], "y": [[_label(r) for r in rows]],
                           "text": [[f"{r.margin:+.1f}" for r in rows]],
                           "marker.color": [[COLOURS[r.leader] for r in rows]],
                           "customdata": [[[r.r1, r.o1, r.leader, r.category] for r in rows]]}])]
    for cat in CATEGORIES:
        sub = [r for r in rows if r.category == cat]
        buttons.append(dict(label=cat, method="update",
                            args=[{"x": [[r.margin for r in sub]], "y": [[_label(r) for r in sub]],
                                   "text": [[f"{r.margin:+.1f}" for r in sub]],
                                   "marker.color": [[COLOURS[r.leader] for r in sub]],
                                   "customdata": [[[r.r1, r.o1, r.leader, r.category]
                                                   for r in sub]]}]))
    # A two-line title anchored at its top overshoots by about its first line's ascent: y leaves room.
    fig.update_layout(
        template="plotly_white", height=480, margin=dict(l=125, r=35, t=95, b=50),
        title=dict(text="R1 minus o1-1217, in points<br><sup>blue: R1 ahead; red: o1 ahead</sup>",
                   font=dict(size=13), x=0.01, xanchor="left", y=0.95, yanchor="top"),
        xaxis=dict(title="margin (points)", zeroline=True, zerolinewidth=2, range=[-26, 6]),
        yaxis=dict(automargin=False, autorange="reversed"),
        updatemenus=[dict(buttons=buttons, direction="down", x=0.0, y=1.02, xanchor="left",
                          yanchor="bottom", pad=dict(b=2), showactive=True)])
    return fig
