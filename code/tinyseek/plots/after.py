"""Chapter 9's kernel-free figure: the dated record after January 2025, one row per strand.

Every point is a dated fact of the data, laid out by :func:`tinyseek.after.timeline`; hovering a
point shows what happened and the source's status.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import plotly.graph_objects as go

from .. import after

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def timeline_figure(strands: dict[str, tuple[str, ...]], labels: dict[str, str] | None = None) -> go.Figure:
    """One row of markers per strand ({label: fact keys or group names}), dated on the x-axis;
    ``labels`` as for :func:`tinyseek.after.timeline`."""
    if not strands:
        raise ValueError("strands must name at least one strand of facts")
    fig = go.Figure()
    for row, ((label, keys), colour) in enumerate(zip(strands.items(), COLOURS * 2, strict=False)):
        rows = after.timeline(*keys, labels=labels)
        fig.add_scatter(x=[r["date"] for r in rows], y=[row] * len(rows), mode="markers", name=label,
                        marker=dict(size=14, color=colour, line=dict(width=1, color="#333")),
                        text=["<br>".join(textwrap.wrap(f"{r['date']:%d %b %Y}: {r['event']} ({r['status']})", 60))
                              for r in rows],
                        hovertemplate="%{text}<extra></extra>")
    # a slider that narrows the time axis to one year, or shows the whole record
    dates = [d for trace in fig.data for d in trace.x]
    first, last = min(dates), max(dates)
    spans = {"all": [first - dt.timedelta(days=30), last + dt.timedelta(days=30)]}
    spans |= {str(y): [dt.date(y, 1, 1), dt.date(y, 12, 31)] for y in range(first.year, last.year + 1)}
    steps = [dict(method="relayout", label=label, args=[{"xaxis.range": [str(a), str(b)]}])
             for label, (a, b) in spans.items()]
    fig.update_layout(
        template="plotly_white", height=120 + 70 * len(strands), showlegend=False,
        title=dict(text="After the moment:<br>what happened, strand by strand", font=dict(size=14)),
        yaxis=dict(tickvals=list(range(len(strands))), ticktext=list(strands), range=[len(strands) - 0.4, -0.6]),
        xaxis=dict(title="date", range=[str(d) for d in spans["all"]]), margin=dict(l=130, r=20, t=75, b=110),
        sliders=[dict(active=0, steps=steps, y=-0.25, pad=dict(t=10), currentvalue=dict(prefix="years shown: "))])
    return fig
