"""The unbiased pass@k estimator (Chen et al. 2021) against exact combinatorics and edge cases."""

import math

import pytest
from tinyseek import reasoning_runs
from tinyseek.pass_at_k import pass_at_k, sampled_pass_at_k


@pytest.mark.parametrize("n, c, k", [(10, 2, 5), (64, 1, 1), (64, 3, 16), (20, 0, 4), (5, 5, 1), (100, 37, 64)])
def test_matches_the_binomial_formula(n, c, k):
    assert pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k), abs=1e-12)


def test_edges():
    assert pass_at_k(10, 0, 10) == 0.0
    assert pass_at_k(10, 1, 10) == 1.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)  # pass@1 is the share of right samples
    assert pass_at_k(10, 2, 5) == pytest.approx(1 - 56 / 252)


@pytest.mark.parametrize("n, c, k, name", [(0, 0, 1, "n"), (5, 6, 1, "c"), (5, -1, 1, "c"), (5, 1, 6, "k"),
                                           (5, 1, 0, "k")])
def test_bad_input(n, c, k, name):
    with pytest.raises(ValueError, match=name):
        pass_at_k(n, c, k)


def test_sampled_pass_at_k_rises_with_k():
    _, heldout = reasoning_runs.problems()
    base = reasoning_runs.weak_base(steps=50)
    curve = sampled_pass_at_k(base, list(heldout[:10]), n=8, ks=(1, 2, 8))
    assert 0 <= curve[1] <= curve[2] <= curve[8] <= 1
    with pytest.raises(ValueError, match="ks"):
        sampled_pass_at_k(base, list(heldout[:2]), n=4, ks=(8,))


def test_greedy_correct_agrees_with_heldout_accuracy():
    from tinyseek.char_policy import heldout_accuracy
    from tinyseek.pass_at_k import greedy_correct
    _, heldout = reasoning_runs.problems()
    base = reasoning_runs.weak_base(steps=80)
    right = greedy_correct(base, list(heldout[:40]))
    assert sum(right) / 40 == heldout_accuracy(base, list(heldout[:40]))
    with pytest.raises(ValueError, match="problems"):
        greedy_correct(base, [])
