"""R1 against o1-1217 on the R1 paper's Table 4, and the launch API prices."""

import math

import pytest
from tinyseek import data, evals


def test_every_table_4_row_with_both_models_is_in_the_data():
    names = [(r.name, r.metric) for r in evals.verdicts()]
    assert len(names) == 11
    for expected in ["AIME 2024", "MATH-500", "GPQA Diamond", "MMLU", "DROP", "SimpleQA",
                     "LiveCodeBench", "SWE-bench Verified", "Aider-Polyglot"]:
        assert expected in {n for n, _ in names}
    assert ("Codeforces", "rating") in names and ("Codeforces", "percentile") in names


def test_o1_figures_are_marked_secondary_and_r1_primary():
    for key in evals.keys():
        g = data.group(key)
        assert g["r1"].status == "primary" and g["o1"].status == "secondary"
        assert g["r1"].source == g["o1"].source == "deepseekr1"


@pytest.mark.parametrize("key, lead, margin", [
    ("r1o1_aime_2024", "R1", 0.6), ("r1o1_math_500", "R1", 0.9), ("r1o1_gpqa_diamond", "o1", -4.2),
    ("r1o1_simpleqa", "o1", -16.9), ("r1o1_codeforces_rating", "o1", -32),
    ("r1o1_swe_verified", "R1", 0.3), ("r1o1_aider_polyglot", "o1", -8.4),
])
def test_leader_and_margin_by_hand(key, lead, margin):
    r = evals.row(key)
    assert r.leader == lead and r.margin == pytest.approx(margin)


def test_tally_and_tie_band():
    strict = evals.tally(evals.verdicts())
    assert sum(c["R1"] for c in strict.values()) == 5 and sum(c["o1"] for c in strict.values()) == 6
    assert strict["math"] == {"R1": 2, "o1": 0, "tie": 0}
    # With a one-point band the close rows become ties; six rows stay clear leads.
    loose = evals.verdicts(tie=1.0)
    assert {r.key for r in loose if r.leader != "tie"} == {
        "r1o1_drop", "r1o1_gpqa_diamond", "r1o1_simpleqa", "r1o1_livecodebench",
        "r1o1_aider_polyglot", "r1o1_codeforces_rating"}


def test_leader_function():
    assert evals.leader(2.0, 1.0) == "R1" and evals.leader(1.0, 2.0) == "o1"
    assert evals.leader(1.0, 1.0) == "tie" and evals.leader(1.0, 1.5, tie=0.5) == "tie"
    with pytest.raises(ValueError, match="tie"):
        evals.leader(1.0, 2.0, tie=-1)
    with pytest.raises(ValueError, match="r1"):
        evals.leader(math.nan, 2.0)


def test_prices_and_ratios():
    assert evals.api_prices("R1") == {"input_cache_hit": 0.14, "input_cache_miss": 0.55,
                                      "output": 2.19}
    r = evals.price_ratios()
    assert r["input_cache_miss"] == pytest.approx(15 / 0.55)
    assert r["output"] == pytest.approx(60 / 2.19) and r["input_cache_hit"] == pytest.approx(7.5 / 0.14)
    # one million tokens in (half cached) and one million out
    assert evals.request_cost("R1", 1e6, 1e6, 0.5) == pytest.approx(0.5 * 0.14 + 0.5 * 0.55 + 2.19)
    with pytest.raises(ValueError, match="model"):
        evals.api_prices("o3")
    with pytest.raises(ValueError, match="cache_hit_share"):
        evals.request_cost("o1", 1, 1, 1.5)
    with pytest.raises(ValueError, match="key"):
        evals.row("r1o1_nothing")
