"""Formatting helpers and the exercise-answer fingerprints."""

import math

import pytest
from tinyseek import answers, units


@pytest.mark.parametrize("x, text", [(5_576_000, "$5.576M"), (294_000, "$294K"), (1.6e9, "$1.6B"),
                                     (12.5, "$12.5"), (-2e6, "-$2M")])
def test_usd(x, text):
    assert units.usd(x) == text


def test_few_digits_never_turn_into_exponents():
    assert units.usd(600e9, 2) == "$600B"
    assert units.si(2_788_000, 4) == "2.788M"


def test_si_refuses_non_finite():
    with pytest.raises(ValueError, match="finite"):
        units.si(math.inf)


def test_fingerprint_matches_the_same_answer_at_four_significant_digits():
    fp = answers.fingerprint(9_758_000.0)
    assert answers.matches(9_758_000, fp)
    assert answers.matches(9_758_000.000001, fp)
    assert answers.matches(9_758_400, fp)         # rounds to the same 4 significant digits
    assert not answers.matches(9_759_000, fp)     # a different answer
    assert not answers.matches(5_576_000, fp)


@pytest.mark.parametrize("bad", [..., None, "9758000", True, math.nan, math.inf])
def test_non_answers_never_match_and_never_raise(bad):
    assert not answers.matches(bad, answers.fingerprint(9_758_000))
    assert not answers.is_number(bad)
