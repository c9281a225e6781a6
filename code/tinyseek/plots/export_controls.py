"""Chapter 2's kernel-free figure: chips on the TPP × performance-density plane, the 2023 rule's
regions drawn, and a slider that moves a hypothetical chip through them.

Every verdict and reason shown (hover text, slider title) is the return value of
``export_controls.classify``; the figure only lays them out.
"""

from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go

from .. import chips as chipdb
from .. import data
from .. import export_controls as ec
from . import svg

X_RANGE = (1000, 60000)   # TPP axis (log)
Y_RANGE = (0.8, 60)       # performance-density axis (log)
TITLE_WIDTH = 46          # characters per title line: the title must fit a 390 px phone
HIDDEN = "rgba(0,0,0,0)"  # slider step labels: too many for a phone; the current value shows
COLOURS = {"3A090.a": "rgba(214,39,40,0.13)", "3A090.b": "rgba(255,127,14,0.16)"}
RATE_FIELDS = ("bf16_tflops", "fp8_tflops", "int8_tops")
NO_AREA = "#6a3d9a"       # chips with no published die area: a band over their TPP, every height


def source_label(key: str) -> str:
    """The few words a chart labels source ``key`` with (``chip_source_labels`` in the data);
    the key itself for a source the data gives no label."""
    try:
        return str(data.value(f"chip_source_labels.{key}"))
    except KeyError:
        return key


def sourced_variants(name: str, field: str | None = None) -> list[tuple[chipdb.Chip, str, str]]:
    """One version of chip ``name`` per sourced value of its disputed throughput ``field`` (by
    default the first disputed of BF16, FP8, INT8), each with its source's label and what the
    source says: ``(chip, label, where)``. A chip whose throughput is not disputed gives itself,
    once, with the source of that figure. Other disputed fields stay at their lowest value."""
    disputed = chipdb.conflicts(name)
    low, _ = chipdb.bounds(name)
    field = field or next((f for f in RATE_FIELDS if f in disputed), None)
    if field is None or field not in disputed:
        fact = next(chipdb.fact(name, f) for f in RATE_FIELDS if getattr(low, f) is not None)
        return [(low, source_label(fact.source), fact.values[0].where)]
    return [(low.with_(**{field: v.value}), source_label(v.source), v.where)
            for v in disputed[field].values]


def _hover(chip: chipdb.Chip) -> str:
    lines = [f"<b>{chip.name}</b>", f"TPP {ec.tpp(chip):,.0f}"]
    if chip.die_area_mm2 is not None:
        lines.append(f"density {ec.performance_density(chip):.2f} per mm²")
    for rule in ec.RULES_CLASSIFIED:
        lines.append(f"{rule}: {ec.classify(chip, rule).reason}")
    return "<br>".join(lines)


def _hover_no_area(chip: chipdb.Chip, label: str, where: str) -> str:
    lines = [f"<b>{chip.name}</b>: {label}", wrap(where, 40), f"TPP {ec.tpp(chip):,.0f}; no die area "
             "published, so no density"]
    for rule in ec.RULES_CLASSIFIED:
        try:
            lines.append(f"{rule}: {ec.classify(chip, rule).reason}")
        except ValueError as err:
            lines.append(f"{rule}: cannot be judged ({str(err).split(':')[0]} missing)")
    return "<br>".join(lines)


def add_no_area_bands(fig: go.Figure) -> list[str]:
    """Draw every chip of the database that has a TPP but no die area as a band over the whole
    density axis (its density is unknown), one vertical line per sourced value, each line named
    with its source; the band's label lists the values with whose they are. Returns the names of
    the chips drawn."""
    drawn = []
    ys = list(np.geomspace(*Y_RANGE, 15))
    for chip in chipdb.all():
        low, high = chipdb.bounds(chip.name)
        if low.die_area_mm2 is not None or not any(getattr(low, f) for f in RATE_FIELDS):
            continue
        variants = sorted(sourced_variants(chip.name), key=lambda v: ec.tpp(v[0]))
        tpps = [ec.tpp(v[0]) for v in variants]
        fig.add_shape(type="rect", x0=tpps[0], x1=tpps[-1], y0=Y_RANGE[0], y1=Y_RANGE[1],
                      fillcolor="rgba(106,61,154,0.12)", line=dict(width=0), layer="below")
        for (variant, label, where), x, dash in zip(variants, tpps, ("dot", "dash", "solid"), strict=False):
            fig.add_scatter(x=[x] * len(ys), y=ys, mode="lines", line=dict(color=NO_AREA, width=1.5, dash=dash),
                            name=f"{chip.name}: {label}, TPP {x:,.0f}",
                            hovertext=_hover_no_area(variant, label, where), hoverinfo="text")
        short = chip.name.split(" ")[-1]
        first = len(drawn) == 0   # the first band's label ends at its right edge, the next starts there
        sep = " " if first else "<br>"   # right of a band there is less room: value and source apart
        lines = [f"<b>{short}</b>, TPP:"] + [f"{x:,.0f}{sep}{label}" for (_, label, _), x in
                                                       zip(variants, tpps, strict=True)]
        fig.add_annotation(x=np.log10(tpps[-1]), y=np.log10(Y_RANGE[0] * 1.04),
                           text="<br>".join(lines), showarrow=False, align="right" if first else "left",
                           xanchor="right" if first else "left", yanchor="bottom",
                           font=dict(size=12, color=NO_AREA), bgcolor="rgba(255,255,255,0.8)")
        drawn.append(chip.name)
    return drawn


def wrap(s: str, width: int = TITLE_WIDTH) -> str:
    """``s`` broken into lines of at most ``width`` characters with ``<br>`` (plotly titles do
    not wrap by themselves, so a long one is clipped on a narrow screen)."""
    return "<br>".join(textwrap.wrap(s, width))


def regions_2023() -> list[dict]:
    """The 2023 rule's controlled regions as rectangles (x0, x1, y0, y1, ECCN, label)."""
    t = ec.thresholds("2023-10")
    top, right = Y_RANGE[1], X_RANGE[1]
    return [
        dict(x0=t["a1_tpp"], x1=right, y0=Y_RANGE[0], y1=top, eccn="3A090.a", label="a.1"),
        dict(x0=t["a2_tpp"], x1=t["a1_tpp"], y0=t["a2_pd"], y1=top, eccn="3A090.a", label="a.2"),
        dict(x0=t["b1_tpp"], x1=t["a1_tpp"], y0=t["b1_pd"], y1=t["a2_pd"], eccn="3A090.b",
             label="b.1"),
        dict(x0=t["b2_tpp"], x1=t["b1_tpp"], y0=t["b2_pd"], y1=t["a2_pd"], eccn="3A090.b",
             label="b.2"),
    ]


def classifier_figure(die_area_mm2: float = 814.0,
                      tops_steps=(*range(100, 296, 25), 296, *range(300, 2001, 25))) -> go.Figure:
    """Known chips on the TPP × density plane (log-log) with the 2023 regions shaded.

    The slider moves a hypothetical data-centre chip with ``die_area_mm2`` of die (default: the
    GH100's) through dense 8-bit TOPS; the title gives its verdict under 2023, and under 2022
    with a 900 GB/s and with a 400 GB/s interconnect. Chips with a disputed die area are drawn
    as a vertical segment over their range; chips with no published die area (the Ascends) as a
    band over their TPP at every density, one line per source (:func:`add_no_area_bands`).
    """
    tops_steps = np.asarray(tops_steps, float)
    fig = go.Figure()
    for r in regions_2023():
        fig.add_shape(type="rect", x0=r["x0"], x1=r["x1"], y0=r["y0"], y1=r["y1"],
                      fillcolor=COLOURS[r["eccn"]], line=dict(width=0), layer="below")
        low = r["label"] == "b.1"   # b.1 and b.2 share a top edge: label b.1 at its bottom
        fig.add_annotation(x=np.log10(r["x0"] * 1.04),
                           y=np.log10(r["y0"] * 1.05 if low else r["y1"] * 0.93),
                           text=r["label"], showarrow=False, xanchor="left",
                           yanchor="bottom" if low else "top", font=dict(size=12))

    placed: dict[tuple[float, float], list[chipdb.Chip]] = {}  # chips sharing a point share a label
    for chip in chipdb.all():
        low, high = chipdb.bounds(chip.name)
        try:
            ec.tpp(low)
        except ValueError:
            continue
        if low.die_area_mm2 is None:
            continue   # drawn by add_no_area_bands
        if low.die_area_mm2 != high.die_area_mm2:  # disputed area: a segment over the range
            ys = [ec.performance_density(low), ec.performance_density(high)]
            fig.add_scatter(x=[ec.tpp(low)] * 2, y=ys, mode="lines+markers+text",
                            text=[chip.name.split(" ")[0], ""], textposition="top center",
                            line=dict(width=3, color="#555"), name=f"{chip.name} (area disputed)",
                            hovertext=[_hover(low), _hover(high)], hoverinfo="text")
            continue
        point = (ec.tpp(chip), round(ec.performance_density(chip), 6))
        placed.setdefault(point, []).append(chip)
    fig.add_scatter(x=[p[0] for p in placed], y=[p[1] for p in placed], mode="markers+text",
                    text=[", ".join(c.name.split(" ")[0] for c in group) for group in placed.values()],
                    textposition="top center", marker=dict(size=10, color="#1f77b4"),
                    name="chips in the database",
                    hovertext=["<br><br>".join(_hover(c) for c in group) for group in placed.values()],
                    hoverinfo="text")
    add_no_area_bands(fig)

    def mine(tops: float) -> chipdb.Chip:
        return chipdb.Chip(name="your chip", int8_tops=float(tops), fp8_tflops=float(tops),
                           die_area_mm2=die_area_mm2, interconnect_gbs=900)

    def title(tops: float) -> str:
        chip = mine(tops)
        v23 = ec.classify(chip, "2023-10")
        v22_fast = ec.classify(chip, "2022-10")
        v22_slow = ec.classify(chip.with_(interconnect_gbs=400), "2022-10")
        word = {True: "controlled", False: "not controlled"}
        head = (f"Your chip: {tops:,.0f} TOPS on {die_area_mm2:,.0f} mm², TPP {ec.tpp(chip):,.0f}, "
                f"density {ec.performance_density(chip):.2f}")
        rest = (f"2023: {v23.reason}. 2022: {word[v22_fast.controlled]} with 900 GB/s NVLink, "
                f"{word[v22_slow.controlled]} with 400 GB/s")
        return f"{wrap(head)}<br><sup>{wrap(rest, TITLE_WIDTH + 10)}</sup>"

    start = int(np.argmin(abs(tops_steps - chipdb.get("H20").fp8_tflops)))  # start at the H20
    first = mine(tops_steps[start])
    fig.add_scatter(x=[ec.tpp(first)], y=[ec.performance_density(first)], mode="markers",
                    marker=dict(size=16, symbol="star", color="#d62728"), name="your chip",
                    hoverinfo="skip")
    mover = len(fig.data) - 1
    steps = []
    for tops in tops_steps:
        chip = mine(tops)
        steps.append(dict(method="update", label=f"{tops:,.0f}",
                          args=[{"x": [[ec.tpp(chip)]], "y": [[ec.performance_density(chip)]]},
                                {"title.text": title(tops)}, [mover]]))
    fig.update_layout(
        title=dict(text=title(tops_steps[start]), font=dict(size=13), x=0.01, xanchor="left",
                   y=0.98, yanchor="top"),
        template="plotly_white", height=680, margin=dict(l=55, r=10, t=170, b=40),
        showlegend=False,   # labels on the points say it; a legend covered the plot on a phone
        xaxis=dict(type="log", range=list(np.log10(X_RANGE)),
                   title="TPP = dense TOPS × bits (log)"),
        yaxis=dict(type="log", range=list(np.log10(Y_RANGE)),
                   title="density = TPP per mm² of die (log)"),
        legend=dict(x=0.99, y=0.02, xanchor="right", yanchor="bottom",
                    bgcolor="rgba(255,255,255,0.85)"),
        sliders=[dict(active=start, steps=steps, pad=dict(t=55), font=dict(color=HIDDEN),
                      currentvalue=dict(prefix="your chip's dense 8-bit TOPS: ",
                                        font=dict(color="#1a1a1a", size=13)))],
    )
    return fig


def decision_svg() -> str:
    """Figure 2.1: the 2022 and 2023 decisions as two rows of boxes, with the thresholds read
    from the data and the A100, A800, H100, H800 and H20 placed by ``classify`` itself."""
    t22, t23 = ec.thresholds("2022-10"), ec.thresholds("2023-10")
    names = ("A100", "A800", "H100", "H800", "H20")
    by = {rule: {n: ec.classify(chipdb.get(n), rule) for n in names} for rule in ec.RULES_CLASSIFIED}
    pick = lambda rule, test: ", ".join(n for n, v in by[rule].items() if test(n, v))  # noqa: E731
    h20 = chipdb.get("H20")
    io_cut = pick("2022-10", lambda n, v: not v.controlled and ec.tpp(chipdb.get(n)) >= t22["tpp"])
    body = [
        svg.text(20, 30, "October 2022 (3A090.a): both tests", 16, "start", bold=True),
        svg.box(20, 45, 200, 70, [f"TPP ≥ {t22['tpp']:,.0f}?"]),
        svg.arrow(220, 80, 255, 80, "yes", -14, -8),
        svg.box(258, 45, 230, 70, [f"I/O to other chips ≥ {t22['io_gbs']:,.0f}", "GB/s? (NVLink counts,",
                                   "HBM does not)"]),
        svg.arrow(488, 80, 523, 80, "yes", -14, -8),
        svg.box(526, 45, 180, 70, ["3A090.a", pick("2022-10", lambda n, v: v.controlled)], "controlled"),
        svg.arrow(373, 115, 373, 145, "no", 8, 6),
        svg.box(258, 148, 230, 60, ["not 3A090", f"{io_cut}: NVLink cut"], "free"),
        svg.arrow(120, 115, 120, 145, "no", 8, 6),
        svg.box(20, 148, 200, 60, ["not 3A090"], "free"),
        svg.text(20, 260, "October 2023: no interconnect test; density added", 16, "start", bold=True),
        svg.box(20, 275, 200, 60, [f"TPP ≥ {t23['a1_tpp']:,.0f}?"]),
        svg.arrow(220, 305, 255, 305, "yes", -14, -8),
        svg.box(258, 275, 448, 60, ["3A090.a.1", pick("2023-10", lambda n, v: v.eccn and "a.1" in v.reason)],
                "controlled"),
        svg.arrow(120, 335, 120, 365, "no", 8, 6),
        svg.box(20, 368, 200, 78, ["Data-centre chip", f"and TPP ≥ {t23['a2_tpp']:,.0f}?"]),
        svg.arrow(220, 407, 255, 407, "yes", -14, -8),
        svg.box(258, 368, 448, 90, [f"a.2: density ≥ {t23['a2_pd']:g}", f"b.1: TPP ≥ {t23['b1_tpp']:,.0f}"
                                    f" and density ≥ {t23['b1_pd']:g}", f"b.2: density ≥ {t23['b2_pd']:g}",
                                    "(one applies: 3A090.a or 3A090.b)"]),
        svg.arrow(120, 446, 120, 476, "no", 8, 6),
        svg.box(20, 479, 200, 50, ["not 3A090"], "free"),
        svg.arrow(482, 458, 482, 488, "none applies", 8, 6),
        svg.box(258, 491, 448, 70, ["not 3A090", f"H20: TPP {ec.tpp(h20):,.0f} < {t23['b1_tpp']:,.0f},",
                                    f"density {ec.performance_density(h20):.2f} < {t23['b2_pd']:g}"], "free"),
    ]
    return svg.document(720, 576, body, "The 2022 and 2023 export-control decisions for a chip",
                        marker="head-02")
