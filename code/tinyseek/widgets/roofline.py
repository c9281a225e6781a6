"""Chapter 3's live calculators: the roofline at one intensity, and an all-to-all's time."""

from __future__ import annotations

import ipywidgets as w

from .. import chips
from .. import roofline as rl
from . import form


def roofline_calculator(chip: str = "H800", precision: str = "fp8",
                        intensity: float = 100.0) -> w.VBox:
    """Chip, precision and arithmetic intensity in; attainable TFLOPS, ridge point and the
    limiting resource out. Has ``.inputs`` and ``.result`` for tests."""
    inputs = {
        "chip": w.Dropdown(options=[c.name for c in chips.all()
                                    if c.memory_bandwidth_gbs is not None],
                           value=chips.get(chip).name, description="chip"),
        "precision": w.Dropdown(options=list(chips.PRECISIONS), value=precision,
                                description="precision"),
        "intensity": w.FloatText(value=intensity, description="FLOP / byte"),
    }
    def compute(chip, precision, intensity):
        c = chips.get(chip)
        return (rl.attainable_tflops(c, precision, intensity), rl.ridge_point(c, precision),
                rl.peak_tflops(c, precision), rl.is_memory_bound(c, precision, intensity))

    def render(v):
        got, ridge, peak, memory_bound = v
        limit = "memory bandwidth" if memory_bound else "the tensor cores"
        return (f"Attainable: {got:,.0f} of {peak:,.0f} TFLOPS ({got / peak:.0%} of peak), "
                f"limited by {limit}. Ridge point: {ridge:,.0f} FLOP per byte.")

    return form(inputs, compute, render)


def all_to_all_calculator(megabytes_per_gpu: float = 100.0, n_gpus: int = 8) -> w.VBox:
    """Buffer size per GPU, number of GPUs and link bandwidth (one direction) in; the time of
    one all-to-all out, with the H100's and H800's NVLink for comparison."""
    inputs = {
        "megabytes_per_gpu": w.FloatText(value=megabytes_per_gpu, description="MB per GPU"),
        "n_gpus": w.IntText(value=n_gpus, description="GPUs"),
        "gbs": w.FloatText(value=rl.Link.from_chip(chips.get("H800")).gbs,
                           description="GB/s one way"),
    }
    h100, h800 = rl.Link.from_chip(chips.get("H100")), rl.Link.from_chip(chips.get("H800"))

    def compute(megabytes_per_gpu, n_gpus, gbs):
        n_bytes = megabytes_per_gpu * 1e6
        return (rl.all_to_all_time(n_bytes, n_gpus, rl.Link("yours", gbs)),
                rl.all_to_all_time(n_bytes, n_gpus, h100), rl.all_to_all_time(n_bytes, n_gpus, h800))

    def render(t):
        return (f"All-to-all: {t[0] * 1e3:,.3f} ms on your link "
                f"(H100 NVLink {t[1] * 1e3:,.3f} ms, H800 NVLink {t[2] * 1e3:,.3f} ms).")

    return form(inputs, compute, render)
