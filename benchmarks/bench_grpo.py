"""Chapter 7 benchmarks: `python benchmarks/bench_grpo.py` prints GRPO's speed and, over more seeds
than the chapter can afford (base seeds x RL seeds), the chapter's two comparisons.

1. GRPO steps per second (sampling 16 x 8 completions, scoring, two updates), for 1 and 2 threads.
2. The ladder from REINFORCE to GRPO: final held-out accuracy of each rung, mean and spread.
3. RL against SFT on scarce labels (64 worked solutions, equal wall-clock): GRPO, SFT at equal
   time and SFT's best checkpoint, mean and range, and the smallest RL / SFT ratio.
4. The full-label baseline: SFT on every worked solution, steps and seconds to 90% held out.
"""

from __future__ import annotations

import copy
import statistics
import sys
import time

import torch
from tinyseek import grpo, pg_ladder, reasoning_runs
from tinyseek.char_policy import heldout_accuracy, supervised_finetune

BASE_SEEDS, RL_SEEDS = (0, 1, 2), (0, 1, 2)


def steps_per_second(base, threads: int, steps: int = 20) -> float:
    torch.set_num_threads(threads)
    train, heldout = reasoning_runs.problems()
    settings = {**reasoning_runs.RL, "steps": steps, "eval_every": steps + 1}
    start = time.perf_counter()
    grpo.train_grpo(copy.deepcopy(base), train, heldout, **settings)
    return steps / (time.perf_counter() - start)


def spread(xs) -> str:
    xs = [x * 100 for x in xs]
    return f"mean {statistics.mean(xs):5.1f}%  sd {statistics.stdev(xs):4.1f}  range {min(xs):.0f}-{max(xs):.0f}%"


if __name__ == "__main__":
    torch.set_num_threads(1)
    train, heldout = reasoning_runs.problems()
    bases = {}
    for s in BASE_SEEDS:
        start = time.perf_counter()
        bases[s] = reasoning_runs.weak_base(seed=s)
        print(f"weak base, seed {s}: {time.perf_counter() - start:.2f} s to pre-train, "
              f"{heldout_accuracy(bases[s], heldout):.0%} held out")
    print("\n== 1. GRPO steps per second (16 prompts x 8 samples, 2 updates per batch) ==")
    for threads in (1, 2):
        print(f"  {threads} thread(s): {steps_per_second(bases[0], threads):6.2f} steps/s")
    torch.set_num_threads(1)
    print(f"\n== 2. The ladder, {len(BASE_SEEDS)} bases x {len(RL_SEEDS)} RL seeds ==")
    finals = {name: [] for name in pg_ladder.LADDER}
    for base in bases.values():
        for name, runs in pg_ladder.climb(base, train, heldout, seeds=RL_SEEDS).items():
            finals[name] += [h.accuracy[-1] for _, h in runs]
    for name, xs in finals.items():
        print(f"  {name:<24} {spread(xs)}")
    print(f"\n== 3. Scarce labels (64), {len(BASE_SEEDS)} bases x {len(RL_SEEDS)} seeds ==")
    results = [reasoning_runs.scarce_labels(base, n_labels=64, rl_steps=15, seed=s)
               for base in bases.values() for s in RL_SEEDS]
    print(f"  cold start               {spread([r.cold_start for r in results])}")
    print(f"  SFT at equal time        {spread([r.sft[-1] for r in results])}")
    print(f"  SFT best checkpoint      {spread([max(r.cold_start, *r.sft) for r in results])}")
    print(f"  cold start + GRPO        {spread([r.rl[-1] for r in results])}")
    print(f"  smallest GRPO / SFT-at-equal-time ratio: {min(r.rl[-1] / r.sft[-1] for r in results):.2f}")
    print(f"  seconds: GRPO {statistics.mean(r.rl_seconds for r in results):.1f}, "
          f"SFT {statistics.mean(r.sft_seconds for r in results):.1f} (mean per run)")
    print("\n== 4. Full labels: SFT on every worked solution (batches of 32) ==")
    policy, spent = copy.deepcopy(bases[0]), 0.0
    for chunk in range(1, 31):
        start = time.perf_counter()
        supervised_finetune(policy, list(train), steps=10, seed=chunk)
        spent += time.perf_counter() - start
        if heldout_accuracy(policy, heldout) >= 0.9:
            print(f"  90% held out after {chunk * 10} steps, {spent:.2f} s of training")
            break
    else:
        print("  90% not reached in 300 steps")
    sys.exit(0)
