"""The U.S. export rules on AI chips, as code: what each rule measured and which chips it caught.

Export Control Classification Number (ECCN) 3A090 was created on 7 October 2022. It asked two
questions of a chip: how much can it compute, and how fast can it talk to other chips? A chip
needed a licence for China only when *both* were high. NVIDIA answered with the A800 and H800:
the same compute, a slower interconnect. The update of October 2023 dropped the interconnect test
and added *performance density* (compute per mm² of die), which caught them and shaped the H20.

Two quantities do all the work:

* **TPP**, Total Processing Performance: ``2 × MacTOPS × bit length``. One multiply-accumulate is
  two operations, so ``2 × MacTOPS`` is the dense TOPS a datasheet prints, and TPP is
  ``dense TOPS × bits``, taking the chip's best format. 300 dense BF16 TFLOPS give
  ``300 × 16 = 4800``, and so do 600 dense INT8 TOPS (``600 × 8``): the rule's own example.
* **Performance density**: ``TPP / die area`` in mm².

:func:`classify` applies the 2022 or the 2023 rule to a :class:`~tinyseek.chips.Chip` and says
why; :func:`classify_system` applies ECCN 4A090 to a server built from such chips, which is what a
lab actually buys. The later steps are modelled where their text allows: :func:`classify_hbm`
(December 2024, memory stacks) and :func:`classify_model_weights` (January 2025, the AI diffusion
framework, whose non-enforcement BIS announced on 13 May 2025, two days before compliance). The
April 2025 H20 licence requirement was a letter to NVIDIA, not a published criterion, so
:func:`rules` lists it without a test.

What the 2022 interconnect test counts, stated once: the aggregate bidirectional transfer rate
over all inputs and outputs *to or from integrated circuits other than volatile memories*. Traffic
to the chip's own HBM (a volatile memory) does not count; chip-to-chip links (NVLink) and host
links do. The data holds the NVLink figure, which is what NVIDIA and the press compared and which
dominates what counts; a PCIe host link would add to it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from . import data, validate
from .chips import PRECISIONS, Chip

RULES_CLASSIFIED = ("2022-10", "2023-10")
MAX_CHIPS_PER_SYSTEM = 100_000  # a "system" of more chips than a large cluster is a typo


@dataclass(frozen=True)
class Verdict:
    """What a rule says about one chip: ``controlled``, the ECCN paragraph, and why."""

    rule: str
    controlled: bool
    eccn: str | None
    reason: str


@dataclass(frozen=True)
class Rule:
    """One step of the timeline: when it came, what it measured, and where it is published."""

    key: str
    title: str
    announced: _dt.date
    effective: _dt.date | None
    citation: str          # a key of book/references.bib
    measures: str
    modelled_by: str | None  # the function of this module that applies it, if any


def _check_chip(chip: object) -> Chip:
    if not isinstance(chip, Chip):
        raise TypeError(f"chip must be a tinyseek.chips.Chip, got {type(chip).__name__}")
    return chip


def tpp_by_precision(chip: Chip) -> dict[str, float]:
    """TPP each format of ``chip`` would give on its own: dense TOPS × bit length."""
    chip = _check_chip(chip)
    return {p: chip.tops(p) * bits for p, bits in PRECISIONS.items() if chip.tops(p) is not None}


def tpp(chip: Chip) -> float:
    """Total Processing Performance: the largest dense TOPS × bit length over the chip's formats.

    An H100 gives 1,979 dense FP8 TFLOPS × 8 = 15,832 (BF16: 989.5 × 16 = 15,832 too).
    """
    by_precision = tpp_by_precision(chip)
    if not by_precision:
        raise ValueError(f"bf16_tflops, fp8_tflops, int8_tops: {chip.name} has no throughput "
                         "figure, so no TPP (for a conflict, see chips.bounds)")
    return max(by_precision.values())


def performance_density(chip: Chip) -> float:
    """TPP per mm² of die area (the 2023 rule's second measure)."""
    chip = _check_chip(chip)
    if chip.die_area_mm2 is None:
        raise ValueError(f"die_area_mm2: {chip.name} has no die area, so no performance density "
                         "(none is published, or the sources disagree: see chips.bounds)")
    return tpp(chip) / chip.die_area_mm2


def thresholds(rule: str) -> dict[str, float]:
    """The numeric thresholds of ``rule`` ('2022-10' or '2023-10'), read from the data."""
    validate.choice("rule", rule, RULES_CLASSIFIED)
    group = "rule_2022" if rule == "2022-10" else "rule_2023"
    return {k: f.value for k, f in data.group(group).items() if f.unit != "date"}


def _sci(x: float) -> str:
    """1e26 -> '1e26', 3.3e24 -> '3.3e24' (no '+', no padding)."""
    mantissa, exponent = f"{x:.2g}".split("e") if "e" in f"{x:.2g}" else (f"{x:.2g}", "0")
    return f"{mantissa}e{int(exponent)}"


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}"


def classify_2022(chip: Chip) -> Verdict:
    """The October 2022 rule (3A090.a): controlled when TPP ≥ 4,800 **and** the aggregate
    bidirectional I/O to chips other than volatile memory is ≥ 600 GB/s. HBM traffic does not
    count; NVLink does (``chip.interconnect_gbs``). Source: 87 FR 62186."""
    t = thresholds("2022-10")
    p, io = tpp(chip), chip.interconnect_gbs
    if io is None:
        raise ValueError(f"interconnect_gbs: {chip.name} has no interconnect figure, "
                         "which the 2022 rule tests")
    high_tpp, high_io = p >= t["tpp"], io >= t["io_gbs"]
    io_text = f"chip-to-chip I/O {_fmt(io)} GB/s"
    if high_tpp and high_io:
        return Verdict("2022-10", True, "3A090.a", f"3A090.a: TPP {_fmt(p)} ≥ {_fmt(t['tpp'])} and "
                       f"{io_text} ≥ {_fmt(t['io_gbs'])} GB/s (both tests met)")
    if high_tpp:
        return Verdict("2022-10", False, None, f"not 3A090: TPP {_fmt(p)} ≥ {_fmt(t['tpp'])}, but "
                       f"{io_text} < {_fmt(t['io_gbs'])} GB/s, and the rule needs both")
    return Verdict("2022-10", False, None, f"not 3A090: TPP {_fmt(p)} < {_fmt(t['tpp'])}")


def density_paragraph(p: float, pd: float, t: dict[str, float]) -> str | None:
    """Which paragraph of the 2023 rule a data-centre chip with TPP ``p`` (below 4,800) and
    performance density ``pd`` falls in: 'a.2', 'b.1', 'b.2', or None. ``t``: the thresholds."""
    if p >= t["a2_tpp"] and pd >= t["a2_pd"]:
        return "a.2"
    if t["b1_tpp"] <= p < t["a1_tpp"] and t["b1_pd"] <= pd < t["a2_pd"]:
        return "b.1"
    if p >= t["b2_tpp"] and t["b2_pd"] <= pd < t["a2_pd"]:
        return "b.2"
    return None


def _why_not_2023(p: float, pd: float, t: dict[str, float]) -> str:
    why_b1 = (f"TPP {_fmt(p)} < {_fmt(t['b1_tpp'])}" if p < t["b1_tpp"]
              else f"performance density {_fmt(pd)} < {_fmt(t['b1_pd'])}")
    return (f"not 3A090: under 3A090.b.1 ({why_b1}) and under 3A090.b.2 (performance density "
            f"{_fmt(pd)} < {_fmt(t['b2_pd'])})")


def classify_2023(chip: Chip) -> Verdict:
    """The October 2023 rule: 3A090.a.1 on TPP ≥ 4,800 alone; below that, a data-centre chip is
    judged on TPP and performance density together (:func:`density_paragraph`). No interconnect
    test. Source: 88 FR 73458."""
    t = thresholds("2023-10")
    p = tpp(chip)
    if p >= t["a1_tpp"]:
        return Verdict("2023-10", True, "3A090.a", f"3A090.a.1: TPP {_fmt(p)} ≥ {_fmt(t['a1_tpp'])} "
                       "(performance density and interconnect do not matter)")
    if not chip.datacenter:
        return Verdict("2023-10", False, None, f"not 3A090: TPP {_fmt(p)} < {_fmt(t['a1_tpp'])} and "
                       "the chip is not designed or marketed for data centres (the Note to 3A090)")
    if p < t["a2_tpp"]:
        return Verdict("2023-10", False, None,
                       f"not 3A090: TPP {_fmt(p)} < {_fmt(t['a2_tpp'])}, the lowest floor")
    pd = performance_density(chip)
    para = density_paragraph(p, pd, t)
    numbers = f"TPP {_fmt(p)} and performance density {_fmt(pd)}"
    if para is None:
        return Verdict("2023-10", False, None, _why_not_2023(p, pd, t))
    return Verdict("2023-10", True, "3A090." + para[0], f"3A090.{para}: {numbers}")


def classify(chip: Chip, rule: str) -> Verdict:
    """Apply ``rule`` ('2022-10' or '2023-10') to ``chip``.

    The result's ``reason`` names the paragraph and the numbers that decided it, e.g. for the
    H800 under 2022: "TPP 15,832 ≥ 4,800, but chip-to-chip I/O 400 GB/s < 600 GB/s, and the
    rule needs both". Raises ValueError if a figure the rule needs is missing (a die area for a
    2023 verdict on a chip under TPP 4,800; an interconnect for 2022).
    """
    chip = _check_chip(chip)
    validate.choice("rule", rule, RULES_CLASSIFIED)
    return classify_2022(chip) if rule == "2022-10" else classify_2023(chip)


def classify_system(chip: Chip, n_chips: int, rule: str) -> Verdict:
    """ECCN 4A090 for a computer (a server, a board) holding ``n_chips`` copies of ``chip``.

    4A090 follows the chips inside: the system is 4A090.a if a chip in it is 3A090.a, 4A090.b
    if it is 3A090.b (the 2023 split), and not 4A090 otherwise. The chips' TPPs are not added
    up: eight H20s in one server make no 4A090 system. Sources: 87 FR 62186, 88 FR 73458.
    """
    n_chips = validate.integer("n_chips", n_chips, low=1, high=MAX_CHIPS_PER_SYSTEM)
    chip_verdict = classify(chip, rule)
    count = f"{n_chips} × {chip.name}"
    if not chip_verdict.controlled:
        why = chip_verdict.reason.removeprefix("not 3A090: ")
        return Verdict(rule, False, None, f"not 4A090: {count}, and the chip is not 3A090 ({why}); "
                       "the TPPs of several chips are not added up")
    eccn = "4A090" + chip_verdict.eccn[len("3A090"):]
    return Verdict(rule, True, eccn, f"{eccn}: contains {count}, and each chip is {chip_verdict.reason}")


def memory_bandwidth_density(bandwidth_gbs: float, area_mm2: float) -> float:
    """GB/s per mm² of an HBM stack: its bandwidth over its package area (the 2024 measure)."""
    bandwidth_gbs = validate.positive("bandwidth_gbs", bandwidth_gbs, high=1e6)
    area_mm2 = validate.positive("area_mm2", area_mm2, high=1e5)
    return bandwidth_gbs / area_mm2


def classify_hbm(bandwidth_gbs: float, area_mm2: float, co_packaged: bool = False) -> Verdict:
    """The December 2024 rule for a high-bandwidth-memory stack (3A090.c).

    Controlled when its memory bandwidth density exceeds 2 GB/s/mm²; License Exception HBM can
    apply below 3.3. HBM already packaged with a logic chip (a finished GPU) is not 3A090.c.
    """
    if not isinstance(co_packaged, bool):
        raise TypeError(f"co_packaged must be True or False, got {co_packaged!r}")
    g = {k: f.value for k, f in data.group("rule_2024_hbm").items() if f.unit != "date"}
    d = memory_bandwidth_density(bandwidth_gbs, area_mm2)
    if co_packaged:
        return Verdict("2024-12", False, None, "not 3A090.c: HBM co-packaged with a logic chip "
                       "is excluded (the chip itself is judged under 3A090.a/.b)")
    if d <= g["bandwidth_density"]:
        return Verdict("2024-12", False, None, f"not 3A090.c: memory bandwidth density "
                       f"{d:.2f} GB/s/mm² ≤ {g['bandwidth_density']:g}")
    exception = (f"; below {g['exception_below']:g}, so License Exception HBM may apply"
                 if d < g["exception_below"] else
                 f"; at or above {g['exception_below']:g}, so License Exception HBM does not apply")
    return Verdict("2024-12", True, "3A090.c", f"3A090.c: memory bandwidth density {d:.2f} "
                   f"GB/s/mm² > {g['bandwidth_density']:g}{exception}")


def classify_model_weights(training_ops: float, open_weights: bool) -> Verdict:
    """The January 2025 diffusion framework's ECCN 4E091 for a model's weights.

    Closed weights of a model trained with more than 10^26 operations were controlled; published
    (open) weights were not. BIS announced on 13 May 2025, two days before the compliance date,
    that it would not enforce the framework and would rescind it; no rescission had been published
    by May 2026. So this is what the rule's text says, not what was enforced.
    """
    training_ops = validate.positive("training_ops", training_ops, high=1e40)
    if not isinstance(open_weights, bool):
        raise TypeError(f"open_weights must be True or False, got {open_weights!r}")
    limit = data.value("rule_2025_diffusion.weights_ops")
    if training_ops <= limit:
        return Verdict("2025-01", False, None,
                       f"not 4E091: trained with {_sci(training_ops)} operations ≤ {_sci(limit)}")
    if open_weights:
        return Verdict("2025-01", False, None,
                       f"not 4E091: {_sci(training_ops)} operations > {_sci(limit)}, but the weights "
                       "are published, and open-weight models were excluded")
    return Verdict("2025-01", True, "4E091",
                   f"4E091: closed weights trained with {_sci(training_ops)} operations > {_sci(limit)}")


def rules() -> list[Rule]:
    """The timeline, oldest first, each with its dates, citation and what it measured."""
    v = data.value
    t22, t23 = thresholds("2022-10"), thresholds("2023-10")
    return [
        Rule("2022-10", "Advanced computing rule (ECCNs 3A090 and 4A090 created)",
             v("rule_2022.announced"), v("rule_2022.effective"), "bis2022",
             f"TPP ≥ {t22['tpp']:,.0f} and I/O to chips other than memory ≥ "
             f"{t22['io_gbs']:,.0f} GB/s, both; servers holding such chips (4A090)",
             "classify(chip, '2022-10'), classify_system"),
        Rule("2023-10", "Advanced computing update (performance density)",
             v("rule_2023.announced"), v("rule_2023.effective"), "bis2023",
             f"TPP ≥ {t23['a1_tpp']:,.0f}, or TPP and performance density together "
             f"(floors {t23['a2_tpp']:,.0f} / {t23['b2_pd']:g}); interconnect test removed. "
             f"NVIDIA was told on {v('h800_licence_2023.informed'):%-d %B %Y} that it applied "
             "at once to the A800 and H800",
             "classify(chip, '2023-10')"),
        Rule("2024-12", "High-bandwidth memory controls (3A090.c)", v("rule_2024_hbm.effective"),
             v("rule_2024_hbm.effective"), "bis2024hbm",
             f"HBM memory bandwidth density > {v('rule_2024_hbm.bandwidth_density'):g} GB/s/mm²",
             "classify_hbm(bandwidth_gbs, area_mm2)"),
        Rule("2025-01", "Framework for AI diffusion (not enforced from 13 May 2025; no formal "
             "rescission published)",
             v("rule_2025_diffusion.released"), None, "bis2025diffusion",
             "worldwide licences for 3A090.a chips; closed model weights trained with > "
             f"{_sci(v('rule_2025_diffusion.weights_ops'))} operations (4E091)",
             "classify_model_weights(training_ops, open_weights)"),
        Rule("2025-04", "H20 licence requirement (a letter to NVIDIA, not a published rule)",
             v("h20_licence_2025.informed"), v("h20_licence_2025.informed"), "nvidia2025form8k",
             "the H20 and chips matching its memory or interconnect bandwidth; no threshold "
             "was published", None),
    ]
