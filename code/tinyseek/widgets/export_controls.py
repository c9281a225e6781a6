"""Chapter 2's live chip classifier: type a chip's figures, read its verdict under each rule."""

from __future__ import annotations

import ipywidgets as w

from .. import chips
from .. import export_controls as ec
from . import show_error_or


def _render(chip: chips.Chip) -> str:
    parts = [f"TPP {ec.tpp(chip):,.0f}"]
    if chip.die_area_mm2 is not None:
        parts.append(f"performance density {ec.performance_density(chip):.2f} per mm²")
    lines = [", ".join(parts) + "."]
    for rule in ec.RULES_CLASSIFIED:
        v = ec.classify(chip, rule)
        lines.append(f"{rule}: {'CONTROLLED' if v.controlled else 'not controlled'} ({v.reason}).")
    servers = [f"{rule}: {ec.classify_system(chip, 8, rule).eccn or 'not 4A090'}"
               for rule in ec.RULES_CLASSIFIED]
    lines.append("An 8-GPU server of it (4A090): " + ", ".join(servers) + ".")
    return "  ".join(lines)


def chip_classifier(start: str = "H20") -> w.VBox:
    """Inputs for one chip (a dense rate and its precision, die area, interconnect, data-centre
    flag) and its verdict under the 2022 and 2023 rules, with the reason, and the ECCN 4A090
    verdict on an eight-GPU server built from it.

    ``start`` pre-fills the form from a chip of the database; the "start from" menu does the same.
    The box has ``.inputs`` (dict of fields) and ``.result`` (HTML) for tests.
    """
    known = [c.name for c in chips.all() if c.die_area_mm2 is not None]
    inputs = {
        "start_from": w.Dropdown(options=known, value=chips.get(start).name,
                                 description="start from"),
        "precision": w.Dropdown(options=list(chips.PRECISIONS), value="fp8",
                                description="precision"),
        "tops": w.FloatText(description="dense TOPS"),
        "die_area_mm2": w.FloatText(description="die mm²"),
        "interconnect_gbs": w.FloatText(description="NVLink GB/s"),
        "datacenter": w.Checkbox(value=True, description="designed for data centres"),
    }
    for field in inputs.values():
        field.style.description_width = "110px"
    result = w.HTML()

    def fill(_=None):
        chip = chips.get(inputs["start_from"].value)
        # the format that sets the TPP; on a tie (BF16 x 16 = FP8 x 8) the 8-bit one
        best = max(chip.precisions, key=lambda p: (ec.tpp_by_precision(chip)[p], -chips.PRECISIONS[p]))
        inputs["precision"].value, inputs["tops"].value = best, chip.tops(best)
        inputs["die_area_mm2"].value = chip.die_area_mm2
        inputs["interconnect_gbs"].value = chip.interconnect_gbs
        inputs["datacenter"].value = chip.datacenter

    def update(_=None):
        show_error_or(result, lambda: chips.make(
            inputs["precision"].value, inputs["tops"].value,
            die_area_mm2=inputs["die_area_mm2"].value,
            interconnect_gbs=inputs["interconnect_gbs"].value,
            datacenter=inputs["datacenter"].value), _render)

    inputs["start_from"].observe(fill, names="value")
    for name, field in inputs.items():
        if name != "start_from":
            field.observe(update, names="value")
    fill()
    update()
    box = w.VBox([*inputs.values(), result])
    box.inputs, box.result = inputs, result
    return box
