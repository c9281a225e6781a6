"""The ladder from REINFORCE to GRPO: the measurements the chapter reports, on every seed."""

import pytest
import torch
from tinyseek import pg_ladder, reasoning_runs


@pytest.fixture(scope="module")
def base():
    torch.set_num_threads(1)
    return reasoning_runs.weak_base()


def test_a_baseline_cuts_the_gradient_variance(base):
    train, _ = reasoning_runs.problems()
    for seed in range(3):
        stats = pg_ladder.gradient_stats(base, train, seed=seed)
        # Measured about 5x on seed 0; 2x leaves room for other seeds and machines.
        assert stats["reward"].variance > 2 * stats["batch"].variance
        assert all(0 < s.signal and -1 <= s.agreement <= 1 for s in stats.values())


def test_climb_rejects_an_unknown_rung(base):
    train, heldout = reasoning_runs.problems()
    with pytest.raises(ValueError, match="rungs"):
        pg_ladder.climb(base, train, heldout, rungs=["PPO"])


@pytest.mark.slow
def test_each_rung_does_what_the_chapter_says_on_every_seed(base):
    train, heldout = reasoning_runs.problems()
    start = reasoning_runs.heldout_accuracy(base, heldout)
    runs = pg_ladder.climb(base, train, heldout, seeds=(0, 1, 2))
    final = {name: [h.accuracy[-1] for _, h in r] for name, r in runs.items()}
    kl = {name: max(max(h.kl) for _, h in r) for name, r in runs.items()}
    # Measured (seeds 0-2): REINFORCE 18-26%, baseline 85-90%, group 86-90%, no clip 50-66%,
    # clipped 74-80%, KL 80-84%, from a base at 52%.
    assert max(final["REINFORCE"]) < start - 0.1
    for name in ("+ batch baseline", "+ group advantage", "+ 4 updates, clipped", "+ KL penalty (GRPO)"):
        assert min(final[name]) > start + 0.1, name
    assert kl["+ 4 updates, no clip"] > 1.5 * kl["+ 4 updates, clipped"]  # measured 6.5 against 0.58
    assert kl["+ KL penalty (GRPO)"] < kl["+ 4 updates, clipped"]
