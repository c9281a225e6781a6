"""Does R1 match o1? The benchmarks of the R1 paper, compared row by row, and the API prices.

Every score is read from ``data/r1_vs_o1.yaml``: the rows of Table 4 of the R1 paper
(DeepSeek-AI 2025, arXiv v1) that report both DeepSeek-R1 and OpenAI o1-1217. The o1 figures are
OpenAI's, copied by DeepSeek, not re-measured. This module only does arithmetic on them: who
leads each row, by how much, and how the rows add up by category.

A margin is ``R1 - o1`` in the benchmark's own unit (percentage points, or rating points for
Codeforces). A row whose margin is within ``tie`` is a tie; the default ``tie=0`` calls a tie
only on equal scores. The paper gives no error bars, so a lead of under a point or so is not
evidence of a difference: :func:`verdicts` lets the reader choose that band.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import data, validate

MODELS = ("R1", "o1")


@dataclass(frozen=True)
class Row:
    """One benchmark: both scores, who leads, and the margin ``r1 - o1`` (benchmark units)."""

    key: str
    name: str
    metric: str
    category: str
    unit: str
    r1: float
    o1: float
    leader: str     # 'R1', 'o1' or 'tie'
    margin: float   # r1 - o1


def leader(r1: float, o1: float, tie: float = 0.0) -> str:
    """'R1' or 'o1', whichever scored higher, or 'tie' when ``|r1 - o1| <= tie``.

    Higher is better on every benchmark of the table. ``tie`` is in the benchmark's unit.
    """
    r1 = validate.number("r1", r1)
    o1 = validate.number("o1", o1)
    tie = validate.non_negative("tie", tie, high=1e4)
    if abs(r1 - o1) <= tie:
        return "tie"
    return "R1" if r1 > o1 else "o1"


def keys() -> list[str]:
    """The benchmark keys in the data file, in Table 4's order."""
    facts = data.load_all()
    seen = dict.fromkeys(k.split(".")[0] for k in facts if k.startswith("r1o1_"))
    return list(seen)


def row(key: str, tie: float = 0.0) -> Row:
    """The comparison for one benchmark ``key`` (e.g. 'r1o1_aime_2024')."""
    validate.choice("key", key, tuple(keys()))
    g = data.group(key)
    r1, o1 = float(g["r1"].value), float(g["o1"].value)
    return Row(key, g["name"].value, g["metric"].value, g["category"].value, g["r1"].unit,
               r1, o1, leader(r1, o1, tie), r1 - o1)


def verdicts(tie: float = 0.0) -> list[Row]:
    """Every benchmark row, with the leader decided under the tie band ``tie``."""
    return [row(k, tie) for k in keys()]


def tally(rows: list[Row]) -> dict[str, dict[str, int]]:
    """For each category, how many rows R1 leads, o1 leads, and tie."""
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        counts.setdefault(r.category, {"R1": 0, "o1": 0, "tie": 0})[r.leader] += 1
    return counts


def api_prices(model: str) -> dict[str, float]:
    """Launch API prices of ``model`` ('R1' or 'o1'), USD per million tokens: input on a cache
    hit, input on a cache miss, and output (reasoning tokens included)."""
    validate.choice("model", model, MODELS)
    return {k: float(f.value) for k, f in data.group(f"api_price_{model.lower()}").items()}


def price_ratios() -> dict[str, float]:
    """o1's price over R1's for each kind of token (how many times dearer o1 was at launch)."""
    r1, o1 = api_prices("R1"), api_prices("o1")
    return {k: o1[k] / r1[k] for k in r1}


def request_cost(model: str, input_tokens: float, output_tokens: float,
                 cache_hit_share: float = 0.0) -> float:
    """USD for one workload on ``model``: ``input_tokens`` of which ``cache_hit_share`` hit the
    cache, and ``output_tokens`` (chain of thought included) at launch prices."""
    p = api_prices(model)
    input_tokens = validate.non_negative("input_tokens", input_tokens, high=1e15)
    output_tokens = validate.non_negative("output_tokens", output_tokens, high=1e15)
    share = validate.number("cache_hit_share", cache_hit_share, low=0.0, high=1.0)
    per_input = share * p["input_cache_hit"] + (1 - share) * p["input_cache_miss"]
    return (input_tokens * per_input + output_tokens * p["output"]) / 1e6
