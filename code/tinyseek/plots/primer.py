"""The primer's figure: the loss curve of the tiny character-level transformer."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from .. import validate


def loss_curve_figure(losses, vocab_size: int, window: int = 10) -> go.Figure:
    """Next-character loss (nats) at every training step, its ``window``-step moving average, and
    the loss of guessing uniformly over ``vocab_size`` characters (ln V) as a dashed line."""
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 1 or len(losses) == 0 or not np.isfinite(losses).all():
        raise ValueError("losses must be a non-empty 1-D sequence of finite numbers")
    validate.integer("vocab_size", vocab_size, low=2)
    validate.integer("window", window, low=1, high=len(losses))
    steps = np.arange(1, len(losses) + 1)
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    fig = go.Figure()
    fig.add_scatter(x=steps, y=losses, mode="lines", name="loss at each step", line=dict(color="#9ecae1"))
    fig.add_scatter(x=steps[window - 1:], y=smooth, mode="lines", name=f"average of {window} steps",
                    line=dict(color="#08519c", width=3))
    fig.add_hline(y=math.log(vocab_size), line=dict(color="#d62728", dash="dash"),
                  annotation_text=f"guessing uniformly: ln {vocab_size} = {math.log(vocab_size):.2f}",
                  annotation_position="top right")
    # a slider over the averaging window: every state is computed here, the page only switches
    windows = sorted({w for w in (1, 5, window, 25, 50) if w <= len(losses)})

    def average(w):
        return steps[w - 1:], np.convolve(losses, np.ones(w) / w, mode="valid")

    slider_steps = [dict(method="restyle", label=f"{w}",
                         args=[{"x": [average(w)[0]], "y": [average(w)[1]], "name": [f"average of {w} steps"]}, [1]])
                    for w in windows]
    fig.update_layout(template="plotly_white", height=470, margin=dict(l=60, r=20, t=30, b=50),
                      xaxis_title="training step", yaxis=dict(title="next-character loss (nats)", rangemode="tozero"),
                      legend=dict(orientation="h", y=-0.2),
                      sliders=[dict(active=windows.index(window), steps=slider_steps, y=-0.35, pad=dict(t=10),
                                    currentvalue=dict(prefix="steps averaged: "))])
    fig.update_layout(margin=dict(b=130))
    return fig
