"""The export rules as code: TPP and density by hand, every database chip under both rules."""

import datetime as dt
import math

import pytest
from tinyseek import chips
from tinyseek import export_controls as ec
from tinyseek.chips import Chip


def test_tpp_is_dense_tops_times_bits_and_takes_the_best_format():
    # The rule's own example: 300 dense 16-bit TFLOPS and 600 dense 8-bit TOPS both give 4,800.
    assert ec.tpp(Chip(name="x", bf16_tflops=300)) == 4800
    assert ec.tpp(Chip(name="y", int8_tops=600)) == 4800
    a100 = chips.get("A100")
    assert ec.tpp_by_precision(a100) == {"bf16": 312 * 16, "int8": 624 * 8}
    assert ec.tpp(a100) == 4992
    assert ec.tpp(chips.get("H100")) == 1979 * 8 == 15832
    assert ec.tpp(chips.get("H20")) == 296 * 8 == 2368
    assert ec.tpp(chips.get("B200")) == 4500 * 8 == 36000


def test_performance_density_by_hand():
    assert ec.performance_density(chips.get("A100")) == pytest.approx(4992 / 826)   # 6.04
    assert ec.performance_density(chips.get("H100")) == pytest.approx(15832 / 814)  # 19.45
    assert ec.performance_density(chips.get("H20")) == pytest.approx(2368 / 814)    # 2.91
    low, high = chips.bounds("B200")
    assert ec.performance_density(low) == pytest.approx(36000 / 1060)
    assert ec.performance_density(high) == pytest.approx(36000 / 1600)


# facts.md, "Control status": (chip, 2022 verdict, 2023 ECCN)
TABLE = [
    ("A100", True, "3A090.a"),
    ("A800", False, "3A090.a"),
    ("H100", True, "3A090.a"),
    ("H800", False, "3A090.a"),
    ("H20", False, None),
    ("H200", True, "3A090.a"),
    ("B200", True, "3A090.a"),
]


@pytest.mark.parametrize("name, controlled_2022, eccn_2023", TABLE)
def test_every_database_chip_under_both_rules(name, controlled_2022, eccn_2023):
    chip = chips.get(name)
    v22, v23 = ec.classify(chip, "2022-10"), ec.classify(chip, "2023-10")
    assert v22.controlled is controlled_2022 and v22.rule == "2022-10"
    assert v22.eccn == ("3A090.a" if controlled_2022 else None)
    assert v23.eccn == eccn_2023 and v23.controlled is (eccn_2023 is not None)


def test_table_covers_every_chip_with_figures():
    covered = {chips.get(n) for n, *_ in TABLE}
    assert covered == {c for c in chips.all() if c.vendor == "NVIDIA"}


def test_reasons_name_the_criterion_and_numbers():
    h800 = chips.get("H800")
    r22 = ec.classify(h800, "2022-10").reason
    assert "15,832 ≥ 4,800" in r22 and "400 GB/s < 600 GB/s" in r22 and "both" in r22
    assert "3A090.a.1: TPP 15,832 ≥ 4,800" in ec.classify(h800, "2023-10").reason
    r_h20 = ec.classify(chips.get("H20"), "2023-10").reason
    assert "TPP 2,368 < 2,400" in r_h20 and "2.91 < 3.20" in r_h20


def test_h20_sits_just_under_both_2023_floors():
    t = ec.thresholds("2023-10")
    h20 = chips.get("H20")
    assert ec.tpp(h20) < t["b1_tpp"] and ec.performance_density(h20) < t["b2_pd"]
    # One more dense FP8 TFLOPS per 8 bits of margin crosses b.1: 300 x 8 = 2,400.
    assert ec.classify(h20.with_(fp8_tflops=300, int8_tops=300), "2023-10").eccn == "3A090.b"


@pytest.mark.parametrize("tops, area, eccn, paragraph", [
    (600, 800, "3A090.a", "a.1"),     # TPP 4,800: a.1 regardless of area
    (599, 800, "3A090.a", "a.2"),     # TPP 4,792, PD 5.99 ≥ 5.92
    (599, 900, "3A090.b", "b.1"),     # PD 5.32: in [1.6, 5.92), TPP in [2,400, 4,800)
    (250, 600, "3A090.b", "b.2"),     # TPP 2,000 < 2,400, PD 3.33 ≥ 3.2
    (250, 700, None, "b.2"),          # PD 2.86 < 3.2 and TPP < 2,400
    (300, 2000, None, "b.1"),         # TPP 2,400 but PD 1.2 < 1.6; PD < 3.2
    (199, 100, None, "1,600"),        # TPP 1,592 under every floor
])
def test_2023_boundaries_worked_by_hand(tops, area, eccn, paragraph):
    v = ec.classify(Chip(name="t", int8_tops=tops, die_area_mm2=area), "2023-10")
    assert v.eccn == eccn and paragraph in v.reason


def test_boundaries_are_inclusive_where_the_rule_says_or_more():
    assert ec.classify(Chip(name="t", int8_tops=600, interconnect_gbs=600), "2022-10").controlled
    assert not ec.classify(Chip(name="t", int8_tops=599.99, interconnect_gbs=600), "2022-10").controlled
    # PD exactly 3.2 with TPP 1,600 is b.2
    assert ec.classify(Chip(name="t", int8_tops=200, die_area_mm2=500), "2023-10").eccn == "3A090.b"


def test_non_datacenter_note():
    gaming = Chip(name="g", int8_tops=500, die_area_mm2=600, datacenter=False)  # TPP 4,000, PD 6.7
    v = ec.classify(gaming, "2023-10")
    assert not v.controlled and "not designed or marketed for data centres" in v.reason
    assert ec.classify(gaming.with_(datacenter=True), "2023-10").eccn == "3A090.a"
    big = gaming.with_(int8_tops=700)  # TPP 5,600: a.1 applies to every chip
    assert ec.classify(big, "2023-10").eccn == "3A090.a"


def test_b200_verdict_does_not_depend_on_its_disputed_die_area():
    assert ec.classify(chips.get("B200"), "2023-10").eccn == "3A090.a"
    low, high = chips.bounds("B200")
    assert ec.classify(low, "2023-10") == ec.classify(high, "2023-10")


def test_ascend_910b_range_straddles_the_4800_line():
    low, high = chips.bounds("Ascend 910B")
    assert (ec.tpp(low), ec.tpp(high)) == (256 * 16, 320 * 16)
    assert ec.classify(high, "2023-10").eccn == "3A090.a"
    with pytest.raises(ValueError, match="die_area_mm2: Ascend 910B"):
        ec.classify(low, "2023-10")
    with pytest.raises(ValueError, match="no throughput figure"):
        ec.tpp(chips.get("Ascend 910B"))


@pytest.mark.parametrize("bw, area, controlled, words", [
    (819, 121, True, "does not apply"),   # 6.77 GB/s/mm²
    (300, 100, True, "may apply"),        # 3.0: between 2 and 3.3
    (200, 100, False, "≤ 2"),             # exactly 2 is not "greater than 2"
])
def test_hbm_rule(bw, area, controlled, words):
    v = ec.classify_hbm(bw, area)
    assert v.controlled is controlled and words in v.reason
    assert v.eccn == ("3A090.c" if controlled else None)
    assert not ec.classify_hbm(bw, area, co_packaged=True).controlled


def test_diffusion_rule_for_model_weights():
    assert ec.classify_model_weights(2e26, open_weights=False).eccn == "4E091"
    open_big = ec.classify_model_weights(2e26, open_weights=True)
    assert not open_big.controlled and "published" in open_big.reason
    assert "3.3e24 operations ≤ 1e26" in ec.classify_model_weights(3.3e24, False).reason


def test_rules_timeline():
    rs = ec.rules()
    assert [r.key for r in rs] == ["2022-10", "2023-10", "2024-12", "2025-01", "2025-04"]
    assert [r.announced for r in rs] == sorted(r.announced for r in rs)
    assert rs[0].effective == dt.date(2022, 10, 21) and rs[0].announced == dt.date(2022, 10, 7)
    assert rs[1].effective == dt.date(2023, 11, 17) and rs[0].citation == "bis2022"
    assert "4,800" in rs[0].measures and "600 GB/s" in rs[0].measures
    assert rs[-1].modelled_by is None


@pytest.mark.parametrize("call, kind, message", [
    (lambda: ec.classify(chips.get("H100"), "2024"), ValueError, "rule must be one of '2022-10', '2023-10'"),
    (lambda: ec.classify("H100", "2022-10"), TypeError, "chip must be a tinyseek.chips.Chip"),
    (lambda: ec.classify(Chip(name="n", int8_tops=10), "2022-10"), ValueError, "interconnect_gbs: n"),
    (lambda: ec.classify(Chip(name="n", int8_tops=250), "2023-10"), ValueError, "die_area_mm2: n"),
    (lambda: ec.performance_density(Chip(name="n", int8_tops=1)), ValueError, "die_area_mm2"),
    (lambda: ec.classify_hbm(0, 100), ValueError, "bandwidth_gbs must be > 0"),
    (lambda: ec.classify_hbm(100, math.nan), ValueError, "area_mm2 must be a number"),
    (lambda: ec.classify_hbm(100, 10, co_packaged="no"), TypeError, "co_packaged"),
    (lambda: ec.classify_model_weights(-1, False), ValueError, "training_ops must be > 0"),
    (lambda: ec.classify_model_weights(1e25, 1), TypeError, "open_weights"),
])
def test_bad_input(call, kind, message):
    with pytest.raises(kind, match=message):
        call()


def test_memory_bandwidth_density_by_hand():
    # 819 GB/s over 121 mm² = 6.77 GB/s per mm²
    assert ec.memory_bandwidth_density(819, 121) == pytest.approx(819 / 121)
    with pytest.raises(ValueError, match="area_mm2 must be > 0"):
        ec.memory_bandwidth_density(819, 0)


# ECCN 4A090: the server follows the chip; TPPs are never added up across chips.
@pytest.mark.parametrize("name, rule, eccn", [
    ("H100", "2022-10", "4A090.a"), ("H100", "2023-10", "4A090.a"),
    ("H800", "2022-10", None), ("H800", "2023-10", "4A090.a"),
    ("A800", "2022-10", None), ("A800", "2023-10", "4A090.a"),
    ("H20", "2022-10", None), ("H20", "2023-10", None),
])
def test_eight_gpu_server_under_4a090(name, rule, eccn):
    v = ec.classify_system(chips.get(name), 8, rule)
    assert v.eccn == eccn and v.controlled is (eccn is not None) and v.rule == rule
    assert "8 × " in v.reason


def test_4a090_does_not_add_up_tpp_and_follows_b_paragraph():
    h20 = chips.get("H20")
    assert 8 * ec.tpp(h20) > 4800                       # 18,944 in one server ...
    assert not ec.classify_system(h20, 8, "2023-10").controlled   # ... and still not 4A090
    b_chip = Chip(name="b", int8_tops=599, die_area_mm2=900)      # 3A090.b.1 (see above)
    assert ec.classify_system(b_chip, 4, "2023-10").eccn == "4A090.b"


@pytest.mark.parametrize("n, kind", [(0, ValueError), (-8, ValueError), (8.0, TypeError),
                                     (10**7, ValueError)])
def test_4a090_bad_chip_count(n, kind):
    with pytest.raises(kind, match="n_chips"):
        ec.classify_system(chips.get("H100"), n, "2023-10")


def test_2022_io_test_excludes_volatile_memory():
    # The threshold's own text names the exclusion; HBM bandwidth is not what the rule tested.
    f = ec.data.fact("rule_2022.io_gbs")
    assert "other than volatile memories" in f.values[0].where
    h20 = chips.get("H20")   # 4,000 GB/s of HBM would pass 600 GB/s if memory counted
    assert h20.memory_bandwidth_gbs > 600
    assert "chip-to-chip I/O 900 GB/s" in ec.classify(h20, "2022-10").reason or \
        "TPP 2,368 < 4,800" in ec.classify(h20, "2022-10").reason
    assert "volatile memor" in ec.__doc__ and "HBM" in ec.__doc__


def test_dates_the_book_corrected():
    v = ec.data.value
    assert v("rule_2022.effective") == dt.date(2022, 10, 21)     # 3A090/4A090 in force
    assert v("h800_licence_2023.informed") == dt.date(2023, 10, 23)  # before 17 November
    assert v("h800_licence_2023.informed") < v("rule_2023.effective")
    assert "H800" in v("h800_licence_2023.products")
    assert v("rule_2025_diffusion.rescission_announced") == dt.date(2025, 5, 13)
    assert ec.data.fact("rule_2025_diffusion.gao_decision").status == "primary"
    assert "rescinded" not in ec.rules()[3].title.split("(")[0]
