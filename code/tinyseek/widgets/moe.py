"""Chapter 4's live tools: a routing explorer over a trained tiny MoE model, and a simulator of
DeepSeek-V3's loss-free balancing rule.

Thin forms over ``tinyseek.moe_lm.token_routing`` and ``tinyseek.moe.simulate_bias_balancing``.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np

from .. import moe, moe_lm
from . import form

# Dark text on an explicit light background: legible whatever the page's theme (light or dark).
_INK = "color:#111111;background:#ffffff"


def routing_explorer(model: moe_lm.TinyLM, seed: int = 0) -> w.VBox:
    """Type or generate a text; see, per character, the experts the model's last MoE layer
    chooses and their gates. ``domain`` fills the text with a fresh sample of that domain."""
    inputs = {
        "domain": w.Dropdown(options=list(moe_lm.DOMAINS), description="domain"),
        "text": w.Text(description="text"),
        "layer": w.IntText(value=-1, description="MoE layer"),
    }

    def fill(_=None):
        rng = np.random.default_rng(seed)
        inputs["text"].value = moe_lm.sample_text(inputs["domain"].value, model.config.seq_len, rng)

    inputs["domain"].observe(fill, names="value")
    fill()

    def compute(domain, text, layer):
        return moe_lm.token_routing(model, text, layer)

    def render(out):
        chars, experts, gates = out
        rows = "".join(
            f"<tr><td><code style='{_INK}'>{html.escape(repr(c))}</code></td><td>"
            + ", ".join(f"E{e} ({g:.2f})" for e, g in zip(ex, ga, strict=True)) + "</td></tr>"
            for c, ex, ga in zip(chars, experts.tolist(), gates.tolist(), strict=True))
        return (f"<table style='{_INK}'><tr><th style='{_INK}'>character</th>"
                f"<th style='{_INK}'>experts (gate)</th></tr>{rows}</table>")

    return form(inputs, compute, render, markup=True)   # the table escapes its own pieces


def balance_simulator() -> w.VBox:
    """γ, experts, top-k, skew and steps -> how far the bias rule evens the load."""
    inputs = {
        "gamma": w.FloatText(value=1e-3, step=1e-3, description="γ (bias speed)"),
        "n_experts": w.IntText(value=64, description="routed experts"),
        "top_k": w.IntText(value=6, description="top-k"),
        "skew": w.FloatText(value=1.0, description="router skew"),
        "steps": w.IntText(value=300, description="steps"),
    }

    def compute(gamma, n_experts, top_k, skew, steps):
        base = moe.simulate_bias_balancing(n_experts, top_k, 0.0, steps, 512, skew)
        run = moe.simulate_bias_balancing(n_experts, top_k, gamma, steps, 512, skew)
        return base, run

    def render(out):
        base, run = out
        tail = max(1, len(run.max_over_mean) // 10)
        return (f"Busiest expert / mean load over the last {tail} steps: "
                f"{run.max_over_mean[-tail:].mean():.2f} with γ = {run.gamma:g}, "
                f"{base.max_over_mean[-tail:].mean():.2f} without the bias "
                f"(first step: {run.max_over_mean[0]:.2f}).")

    return form(inputs, compute, render, width="120px")
