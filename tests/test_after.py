"""Chapter 9: the dated record, and the Ascend 910C under the rules and the roofline."""

import datetime as dt

import pytest
from tinyseek import after, chips, data, export_controls, roofline


def test_timeline_is_sorted_dated_and_sourced():
    rows = after.timeline("after_rules", "after_enforcement", "distillation.openai_claim")
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates) and all(isinstance(d, dt.date) for d in dates)
    assert rows[0]["date"] == data.value("distillation.openai_claim")       # 29 January 2025 comes first
    assert all(r["source"] and r["status"] in data.STATUSES and r["event"] for r in rows)
    # amounts in the groups are not events
    assert len(rows) == sum(isinstance(f.value, dt.date) for g in ("after_rules", "after_enforcement")
                            for f in data.group(g).values()) + 1


def test_timeline_rejects_keys_without_dates():
    with pytest.raises(ValueError, match="no dated fact"):
        after.timeline("cloudmatrix384")
    with pytest.raises(KeyError):
        after.timeline("no_such_group")


def test_ascend_910c_is_controlled_whoever_is_right():
    low, high = chips.bounds("Ascend 910C")
    assert (low.bf16_tflops, high.bf16_tflops) == (780, 800)
    for rule in ("2022-10", "2023-10"):
        r = after.verdict_range("Ascend 910C", rule)
        # 780 x 16 = 12,480 and 800 x 16 = 12,800: both far above the 4,800 threshold
        assert (r["tpp_low"], r["tpp_high"]) == (12_480, 12_800)
        assert r["controlled_low"] and r["controlled_high"] and r["settled"]
    assert export_controls.tpp(low) > 2.5 * export_controls.thresholds("2023-10")["a1_tpp"]


def test_ascend_910c_roofline_brackets_the_sources():
    lo, hi = after.roofline_range("ascend910c", 1000.0)       # compute-bound: the peaks differ
    assert (lo, hi) == (780, 800)
    lo, hi = after.roofline_range("ascend910c", 10.0)         # memory-bound: one bandwidth figure
    assert lo == hi == pytest.approx(roofline.attainable_tflops(chips.bounds("ascend910c")[0], "bf16", 10.0))
    assert lo == pytest.approx(3200 * 10 / 1000)              # 3.2 TB/s x 10 FLOP/byte = 32 TFLOPS


def test_unknown_chip_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown chip"):
        after.verdict_range("Ascend 9000", "2023-10")


def test_timeline_figure_draws_every_dated_fact_once_per_strand():
    from tinyseek.plots import after as figs

    strands = {"rules": ("after_rules",), "enforcement": ("after_enforcement",)}
    fig = figs.timeline_figure(strands)
    for trace, keys in zip(fig.data, strands.values(), strict=True):
        rows = after.timeline(*keys)
        assert list(trace.x) == [r["date"] for r in rows]
        assert all(r["event"][:20] in t.replace("<br>", " ") for r, t in zip(rows, trace.text, strict=True))
    with pytest.raises(ValueError, match="at least one strand"):
        figs.timeline_figure({})


def test_reports_of_deepseek_on_ascend_say_how_firm_they_are():
    standings = ("Vendor statement", "Vendor statements", "Reported, unnamed sources", "Unverified claim")
    rows = after.timeline("deepseek_on_ascend")
    assert len(rows) == len(data.group("deepseek_on_ascend"))
    for r in rows:
        assert r["event"].split(": ", 1)[0] in standings, r["event"]
    # no entry claims a released model was trained on Ascend; the training report says an attempt failed
    assert "could not complete a training run" in data.fact("deepseek_on_ascend.r2_training_report").note


def test_supply_figures_say_where_they_come_from():
    for key, fact in data.group("domestic_supply").items():
        assert fact.values[0].where, key                    # every figure says where in its source
    ds = data.group("domestic_supply")
    assert ds["yield_910c_2024"].value < ds["yield_910c_2025"].value < ds["yield_viable"].value
    assert ds["hibl_bandwidth_gbs"].value < chips.get("Ascend 910C").memory_bandwidth_gbs
