"""Chapter 3's kernel-free figures: the roofline of each chip with a slider over arithmetic
intensity, and the time of an MoE all-to-all against link bandwidth.

Every number drawn is computed by ``tinyseek.roofline``; the figures only lay them out.
"""

from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go

from .. import chips as chipdb
from .. import roofline as rl
from . import svg
from .export_controls import sourced_variants

SAME_ROOFLINE = {"H100": ("H100", "H800")}   # same tensor cores, same HBM: one line for both
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
DISPUTED_COLOUR = "#008080"   # a chip whose sources disagree: one line per source, same colour
_RATE = {"bf16": "bf16_tflops", "fp8": "fp8_tflops", "int8": "int8_tops"}


def disputed_lines(names, precision: str) -> list[tuple[chipdb.Chip, str, str]]:
    """For each chip of ``names`` that has a figure at ``precision``: one version per sourced
    value of its (disputed) throughput, with a label saying whose, e.g. "910C, Huawei: 800", and
    what that source says. Chips lacking the precision are left out (the 910C has no FP8 figure)."""
    lines = []
    for name in names:
        low, _ = chipdb.bounds(name)
        if low.tops(precision) is None or low.memory_bandwidth_gbs is None:
            continue
        short = low.name.split(" ")[-1]
        for chip, label, where in sourced_variants(name, _RATE[precision]):
            lines.append((chip, f"{short}, {label}: {rl.peak_tflops(chip, precision):,.0f}", where))
    return lines


def roofline_figure(names=("A100", "H100", "H800", "H20", "H200", "B200"), precision: str = "bf16",
                    intensities=None, disputed=("Ascend 910C",)) -> go.Figure:
    """Rooflines of ``names`` at ``precision`` (log-log), one marker per chip at the slider's
    intensity; the title gives each chip's attainable TFLOPS there and whether it is memory-bound.

    The H800's roofline is the H100's (same compute, same HBM): it is drawn dashed on top of it
    and named so in the legend. Each chip of ``disputed`` gets one line per source of its peak
    (:func:`disputed_lines`), named with whose figure it is, and the title gives its range.
    The title is broken into short lines so that it fits a phone.
    """
    chosen = [chipdb.get(n) for n in names]
    ranged = disputed_lines(disputed, precision)
    intensities = np.logspace(0, 4, 41) if intensities is None else np.asarray(intensities, float)
    grid = np.logspace(0, 4.5, 200)
    fig = go.Figure()
    for chip, colour in zip(chosen, PALETTE, strict=False):
        same = chip.name.startswith("H800")
        fig.add_scatter(x=grid, y=[rl.attainable_tflops(chip, precision, i) for i in grid],
                        mode="lines", line=dict(color=colour, dash="dash" if same else "solid"),
                        name=f"{chip.name} (= H100's line)" if same else chip.name,
                        hovertemplate=f"{chip.name}<br>%{{x:.1f}} FLOP/byte → "
                                      "%{y:,.0f} TFLOPS<extra></extra>")
        ridge = rl.ridge_point(chip, precision)
        fig.add_scatter(x=[ridge], y=[rl.peak_tflops(chip, precision)], mode="markers",
                        marker=dict(color=colour, symbol="triangle-down", size=9),
                        showlegend=False, hovertemplate=f"{chip.name} ridge point: "
                        "%{x:.0f} FLOP/byte<extra></extra>")
    for (chip, label, where), dash in zip(ranged, ("solid", "dot", "dash") * len(ranged), strict=False):
        said = "<br>".join(textwrap.wrap(where, 40))
        fig.add_scatter(x=grid, y=[rl.attainable_tflops(chip, precision, i) for i in grid], mode="lines",
                        line=dict(color=DISPUTED_COLOUR, dash=dash, width=2), name=label,
                        hovertemplate=f"{label}<br>{said}<br>%{{x:.1f}} FLOP/byte → %{{y:,.0f}} "
                                      "TFLOPS<extra></extra>")
        fig.add_scatter(x=[rl.ridge_point(chip, precision)], y=[rl.peak_tflops(chip, precision)],
                        mode="markers", marker=dict(color=DISPUTED_COLOUR, symbol="triangle-down", size=9),
                        showlegend=False, hovertemplate=f"{label}: ridge point %{{x:.0f}} FLOP/byte<extra></extra>")
    moving_chips = chosen + [chip for chip, _, _ in ranged]
    first_marker = len(fig.data)

    def markers(i):
        return [rl.attainable_tflops(c, precision, i) for c in moving_chips]

    def ranges(i):
        """'910C 780–800' (or one number where the sources agree there), per disputed chip."""
        by_chip: dict[str, list] = {}
        for chip, _, _ in ranged:
            by_chip.setdefault(chip.name.split(" ")[-1], []).append(chip)
        parts = []
        for short, versions in by_chip.items():
            ys = sorted(rl.attainable_tflops(c, precision, i) for c in versions)
            star = "*" if rl.is_memory_bound(versions[0], precision, i) else ""
            span = f"{ys[0]:,.0f}" if round(ys[0]) == round(ys[-1]) else f"{ys[0]:,.0f}–{ys[-1]:,.0f}"
            parts.append(f"{short} {span}{star}")
        return parts

    def title(i):
        parts = [f"{c.name.split(' ')[0]} {rl.attainable_tflops(c, precision, i):,.0f}"
                 f"{'*' if rl.is_memory_bound(c, precision, i) else ''}" for c in chosen] + ranges(i)
        lines = [", ".join(parts[k:k + 3]) for k in range(0, len(parts), 3)]
        return (f"At {i:,.1f} FLOP/byte ({precision.upper()}), TFLOPS:<br>" + "<br>".join(lines)
                + "<br><sup>* memory-bound (left of the chip's ridge ▼)</sup>")

    start = int(np.argmin(abs(np.log10(intensities) - 2)))
    colours = [*PALETTE[:len(chosen)], *[DISPUTED_COLOUR] * len(ranged)]
    for k, colour in enumerate(colours):
        fig.add_scatter(x=[intensities[start]], y=[markers(intensities[start])[k]],
                        mode="markers", marker=dict(color=colour, size=12, line=dict(width=1)),
                        showlegend=False, hoverinfo="skip")
    moving = list(range(first_marker, len(fig.data)))
    steps = [dict(method="update", label=f"{i:,.1f}",
                  args=[{"x": [[i]] * len(moving_chips), "y": [[y] for y in markers(i)]},
                        {"title.text": title(i)}, moving]) for i in intensities]
    fig.update_layout(
        title=dict(text=title(intensities[start]), font=dict(size=13), x=0.01, xanchor="left",
                   y=0.97, yanchor="top"),
        template="plotly_white", height=620, margin=dict(l=55, r=10, t=150, b=40),
        xaxis=dict(type="log", title="intensity (FLOP per byte)"),
        # from 0.1 TFLOPS: the bottom right, under every line, is kept free for the legend
        yaxis=dict(type="log", title=f"attainable dense {precision.upper()} TFLOPS",
                   range=[-1, np.log10(max(markers(1e9))) + 0.25]),
        legend=dict(x=0.99, y=0.02, xanchor="right", yanchor="bottom", font=dict(size=12),
                    bgcolor="rgba(255,255,255,0.85)"),   # bottom right: empty on a roofline
        sliders=[dict(active=start, steps=steps, pad=dict(t=55), font=dict(color="rgba(0,0,0,0)"),
                      currentvalue=dict(prefix="arithmetic intensity: ",
                                        font=dict(color="#1a1a1a", size=13)))],
    )
    return fig


def all_to_all_figure(links: dict[str, rl.Link], bytes_per_gpu: float, n_gpus: int,
                      compute_s: float, compute_label: str,
                      bandwidths=None) -> go.Figure:
    """Time of one all-to-all of ``bytes_per_gpu`` over ``n_gpus`` against one-direction link
    bandwidth (a curve), the named ``links`` marked on it, and ``compute_s`` as a horizontal line:
    where the curve is above the line, moving tokens takes longer than computing on them."""
    bandwidths = np.logspace(1, 3.2, 60) if bandwidths is None else np.asarray(bandwidths, float)
    ms = [rl.all_to_all_time(bytes_per_gpu, n_gpus, rl.Link("sweep", b)) * 1e3
          for b in bandwidths]
    fig = go.Figure()
    fig.add_scatter(x=bandwidths, y=ms, mode="lines", name="all-to-all time",
                    hovertemplate="%{x:.0f} GB/s → %{y:.2f} ms<extra></extra>")
    fig.add_scatter(x=[lk.gbs for lk in links.values()],
                    y=[rl.all_to_all_time(bytes_per_gpu, n_gpus, lk) * 1e3
                       for lk in links.values()],
                    mode="markers+text", text=list(links), textposition="top right",
                    marker=dict(size=10, color="#d62728"), name="named links",
                    hovertemplate="%{text}: %{x:.0f} GB/s → %{y:.2f} ms<extra></extra>")
    fig.add_scatter(x=[bandwidths[0], bandwidths[-1]], y=[compute_s * 1e3] * 2, mode="lines",
                    line=dict(dash="dash", color="#2ca02c"), name=compute_label,
                    hovertemplate=f"{compute_label}: %{{y:.2f}} ms<extra></extra>")
    fig.update_layout(
        template="plotly_white", height=460, margin=dict(l=60, r=20, t=40, b=40),
        xaxis=dict(type="log", title="link bandwidth, one direction (GB/s)"),
        yaxis=dict(type="log", title="time (ms)"), legend=dict(orientation="h", y=-0.25))
    return fig


def roofline_svg(names=("H100", "H20"), precision: str = "fp8") -> str:
    """Figure 3.1: a roofline sketch on log-log axes for ``names`` at ``precision``: the memory
    slope (intensity × bandwidth), the flat roof (peak) and the ridge point (peak ÷ bandwidth)
    of each chip, every point computed by :mod:`tinyseek.roofline`."""
    x0, x1, y0, y1 = 90, 680, 390, 60          # plot area in the view box
    lx = (0.0, 4.0)                              # log10 of intensity: 1 to 10,000 FLOP/byte
    ly = (1.0, 3.6)                              # log10 of TFLOPS: 10 to about 4,000

    def at(i: float, tf: float) -> tuple[float, float]:
        fx = (np.log10(i) - lx[0]) / (lx[1] - lx[0])
        fy = (np.log10(tf) - ly[0]) / (ly[1] - ly[0])
        return x0 + fx * (x1 - x0), y0 - fy * (y0 - y1)

    body = [f"<line x1='{x0}' y1='{y0}' x2='{x1}' y2='{y0}' stroke='{svg.INK}' stroke-width='1.5'/>",
            f"<line x1='{x0}' y1='{y0}' x2='{x0}' y2='{y1 - 10}' stroke='{svg.INK}' stroke-width='1.5'/>"]
    for i in (1, 10, 100, 1000, 10000):
        x, _ = at(i, 10)
        body.append(svg.text(x, y0 + 20, f"{i:,}", 14))
    for tf in (10, 100, 1000):
        _, y = at(1, tf)
        body.append(svg.text(x0 - 8, y + 5, f"{tf:,}", 14, "end"))
    body.append(svg.text((x0 + x1) / 2, y0 + 45, "arithmetic intensity I (FLOP per byte, log)", 15))
    body.append(f"<text x='24' y='{(y0 + y1) / 2:.0f}' font-size='15' text-anchor='middle' "
                f"transform='rotate(-90 24 {(y0 + y1) / 2:.0f})' fill='{svg.INK}' {svg.FONT}>"
                f"attainable {precision.upper()} TFLOPS (log)</text>")
    colours = ("#1f5fa8", "#b8321f", "#2a7a2a")
    for chip_name, colour in zip(names, colours, strict=False):
        chip = chipdb.get(chip_name)
        peak, ridge = rl.peak_tflops(chip, precision), rl.ridge_point(chip, precision)
        start = max(1.0, 10 / (peak / ridge))          # where the slope enters the plot
        (ax, ay), (rx, ry), (ex, ey) = at(start, rl.attainable_tflops(chip, precision, start)), \
            at(ridge, peak), at(10000, peak)
        body.append(f"<polyline points='{ax:.1f},{ay:.1f} {rx:.1f},{ry:.1f} {ex:.1f},{ey:.1f}' "
                    f"fill='none' stroke='{colour}' stroke-width='3'/>")
        body.append(f"<circle cx='{rx:.1f}' cy='{ry:.1f}' r='5' fill='{colour}'/>")
        label = " and ".join(n for n in SAME_ROOFLINE.get(chip_name, (chip_name,)))
        body.append(svg.text(rx + 8, ry + 20, f"{label}: ridge {ridge:,.0f}", 14,
                             "start", colour=colour))
        body.append(svg.text(ex - 4, ey - 8, f"peak {peak:,.0f}", 14, "end", colour=colour))
    body += [svg.text(x0 + 20, y1 + 8, "memory-bound: I × bandwidth", 14, "start"),
             svg.text(x1 - 4, y0 - 14, "compute-bound: the roof (peak)", 14, "end"),
             svg.text(x1 - 4, y0 - 34, "ridge point = peak ÷ bandwidth", 14, "end")]
    return svg.document(720, 450, body, "Roofline sketch: memory slope, compute roof and ridge point",
                        marker="head-03")
