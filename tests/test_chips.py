"""The chip database and the Chip type readers build: figures, sources, names, bad input."""

import datetime as dt
import math

import pytest
from tinyseek import chips, data

H100_LIKE = dict(bf16_tflops=989.5, fp8_tflops=1979, int8_tops=1979, memory_gb=80,
                 memory_bandwidth_gbs=3350, interconnect_gbs=900, die_area_mm2=814, tdp_w=700)


def test_database_has_the_issue_chips_in_order():
    names = [c.name for c in chips.all()]
    assert len(names) == len(chips.KNOWN) >= 7
    for key in ("a100", "a800", "h100", "h800", "h20", "h200", "b200", "ascend910b"):
        assert chips.get(key).name.lower().replace(" ", "").startswith(key)


@pytest.mark.parametrize("typed", ["H800", "h800", " H800 SXM ", "h800-sxm", "H800_SXM"])
def test_get_is_case_and_suffix_insensitive(typed):
    assert chips.get(typed) == chips.get("h800")


def test_get_accepts_the_display_name_it_returns():
    for chip in chips.all():
        assert chips.get(chip.name) == chip


def test_unknown_chip_lists_known_names_and_suggests():
    with pytest.raises(ValueError, match=r"known chips: a100, a800.*Did you mean h800"):
        chips.get("H880")


def test_h800_is_an_h100_with_a_cut_interconnect():
    h100, h800 = chips.get("H100"), chips.get("H800")
    for field in ("bf16_tflops", "fp8_tflops", "int8_tops", "memory_gb",
                  "memory_bandwidth_gbs", "die_area_mm2", "tdp_w"):
        assert getattr(h800, field) == getattr(h100, field), field
    assert (h100.interconnect_gbs, h800.interconnect_gbs) == (900, 400)


def test_dense_figures_are_half_the_datasheet_sparse_ones():
    # NVIDIA's H100 page lists 1,979 BF16 and 3,958 FP8 TFLOPS "with sparsity".
    h100 = chips.get("H100")
    assert h100.bf16_tflops == 1979 / 2 and h100.fp8_tflops == 3958 / 2
    assert chips.fact("h100", "bf16_tflops").status == "derived"
    # The B200's dense FP8 is 4,500; 9,000 is sparse.
    assert chips.get("B200").fp8_tflops == 4500


def test_a100_has_no_fp8_and_says_so():
    a100 = chips.get("A100")
    assert a100.fp8_tflops is None and a100.precisions == ("bf16", "int8")
    assert a100.tops("int8") == 624


def test_secondary_sources_are_marked_secondary():
    for key in ("a800", "h800", "h20"):
        assert chips.fact(key, "interconnect_gbs").status == "secondary"
    assert chips.fact("h800", "interconnect_gbs").source == "philisun_h800"


def test_b200_die_area_is_a_conflict_shown_as_a_range():
    b200 = chips.get("B200")
    assert b200.die_area_mm2 is None
    assert set(chips.conflicts("B200")) == {"die_area_mm2"}
    low, high = chips.bounds("B200")
    assert (low.die_area_mm2, high.die_area_mm2) == (1060, 1600)
    assert low.fp8_tflops == high.fp8_tflops == b200.fp8_tflops


def test_v3_working_figures_are_not_the_datasheet_ones():
    assert data.value("v3_interconnect.nvlink_gbs") == 160
    assert data.value("v3_interconnect.ib_gbs") == 50
    assert data.value("v3_interconnect.nvlink_gbs") < chips.get("H800").interconnect_gbs


def test_reader_built_chip_and_with_():
    mine = chips.Chip(name="mine", **H100_LIKE)
    cut = mine.with_(interconnect_gbs=400)
    assert cut.interconnect_gbs == 400 and cut.fp8_tflops == 1979 and mine.interconnect_gbs == 900


@pytest.mark.parametrize("field, bad, kind, message", [
    ("bf16_tflops", -1, ValueError, "bf16_tflops must be > 0"),
    ("fp8_tflops", math.nan, ValueError, "fp8_tflops must be a number, got NaN"),
    ("die_area_mm2", 0, ValueError, "die_area_mm2 must be > 0"),
    ("interconnect_gbs", math.inf, ValueError, "interconnect_gbs must be finite"),
    ("memory_gb", "80", TypeError, "memory_gb must be a number"),
    ("tdp_w", 1e9, ValueError, "tdp_w must be ≤"),
    ("datacenter", "yes", TypeError, "datacenter must be True or False"),
    ("released", "2023-03-21", TypeError, "released must be a datetime.date"),
])
def test_bad_fields_raise_naming_the_field(field, bad, kind, message):
    with pytest.raises(kind, match=message):
        chips.Chip(name="bad", **{**H100_LIKE, field: bad})


def test_a_chip_needs_a_name():
    with pytest.raises(ValueError, match="name must be non-empty"):
        chips.Chip(name=" ", **H100_LIKE)
    with pytest.raises(TypeError, match="vendor must be text"):
        chips.Chip(name="x", vendor=3, **H100_LIKE)


def test_ascend_910b_is_kept_as_conflicts_not_one_pick():
    assert set(chips.conflicts("Ascend 910B")) == {"bf16_tflops", "memory_gb",
                                                   "memory_bandwidth_gbs"}
    chip = chips.get("ascend910b")
    assert chip.bf16_tflops is None and chip.die_area_mm2 is None
    low, high = chips.bounds("Ascend 910B")
    assert (low.bf16_tflops, high.bf16_tflops) == (256, 320)
    assert (low.memory_gb, high.memory_gb) == (32, 64)


def test_tops_rejects_unknown_precision():
    with pytest.raises(ValueError, match="precision must be one of 'bf16', 'fp8', 'int8'"):
        chips.get("H100").tops("fp4")


def test_released_dates_are_dates():
    assert chips.get("H800").released == dt.date(2023, 3, 21)


def test_make_builds_a_chip_from_one_rate():
    chip = chips.make("fp8", 296, die_area_mm2=814)
    assert chip.fp8_tflops == 296 and chip.bf16_tflops is None and chip.name == "your chip"
    with pytest.raises(ValueError, match="precision must be one of"):
        chips.make("fp16", 1)
    with pytest.raises(ValueError, match="fp8_tflops must be > 0"):
        chips.make("fp8", 0)


def test_facts_lists_every_sourced_field():
    got = chips.facts("H800")
    assert got["interconnect_gbs"].value == 400 and "fp8_tflops" in got
    assert "fp8_tflops" not in chips.facts("A100")
