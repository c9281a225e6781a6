"""Chapter 7 benchmarks: `python benchmarks/bench_grpo.py` prints GRPO's speed and, over more seeds
than the chapter can afford (base seeds x RL seeds), the chapter's two comparisons.

1. GRPO steps per second (sampling 16 x 8 completions, scoring, two updates), for 1 and 2 threads.
2. The ladder from REINFORCE to GRPO: final held-out accuracy of each rung, mean and spread.
3. RL against SFT on scarce labels (16, 32, 64 and 128 worked solutions, equal CPU time): GRPO,
   SFT at equal time and SFT's best checkpoint, mean and spread, and every run's GRPO / SFT ratio.
4. The full-label baseline: SFT on every worked solution, steps and seconds to 90% held out.
5. Harder held-out problems (one operator more than training): base, SFT only and cold start +
   GRPO from the 64-label runs, and how often each stops after the operators it was trained on.
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
LABELS = (16, 32, 64, 128)


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
    begin = time.perf_counter()
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
    start = time.perf_counter()
    finals = {name: [] for name in pg_ladder.LADDER}
    for base in bases.values():
        for name, runs in pg_ladder.climb(base, train, heldout, seeds=RL_SEEDS).items():
            finals[name] += [h.accuracy[-1] for _, h in runs]
    for name, xs in finals.items():
        print(f"  {name:<24} {spread(xs)}")
    print(f"  ({time.perf_counter() - start:.0f} s wall)")
    print(f"\n== 3. Scarce labels, {len(BASE_SEEDS)} bases x {len(RL_SEEDS)} seeds, equal CPU time ==")
    # As in the chapter: bases with room for one operator more, so that section 5 can ask harder problems.
    wide = {s: reasoning_runs.weak_base(seed=s, room_for_ops=reasoning_runs.HARDER_OPS) for s in BASE_SEEDS}
    print("  bases with room for one operator more: "
          + ", ".join(f"seed {s} {heldout_accuracy(b, heldout):.0%}" for s, b in wide.items()) + " held out")
    by_labels = {}
    for n_labels in LABELS:
        start = time.perf_counter()
        results = by_labels[n_labels] = [reasoning_runs.scarce_labels(base, n_labels=n_labels, rl_steps=15, seed=s)
                                          for base in wide.values() for s in RL_SEEDS]
        ratios = [r.rl[-1] / r.sft[-1] for r in results]
        print(f"  -- {n_labels} labels ({time.perf_counter() - start:.0f} s wall for {len(results)} runs)")
        print(f"  cold start               {spread([r.cold_start for r in results])}")
        print(f"  SFT at equal time        {spread([r.sft[-1] for r in results])}")
        print(f"  SFT best checkpoint      {spread([max(r.cold_start, *r.sft) for r in results])}")
        print(f"  cold start + GRPO        {spread([r.rl[-1] for r in results])}")
        print(f"  GRPO / SFT at equal time: mean {statistics.mean(ratios):.2f} sd {statistics.stdev(ratios):.2f} "
              f"min {min(ratios):.2f}; every run: {' '.join(f'{x:.2f}' for x in ratios)}")
        print(f"  CPU seconds per run: GRPO {statistics.mean(r.rl_seconds for r in results):.2f}, "
              f"SFT {statistics.mean(r.sft_seconds for r in results):.2f} "
              f"({statistics.mean(r.sft_steps for r in results):.0f} steps)")
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
    print(f"\n== 5. Harder held out: {reasoning_runs.HARDER_OPS} operators, trained on {reasoning_runs.N_OPS} "
          f"(64-label runs, {len(BASE_SEEDS) * len(RL_SEEDS)} seeds) ==")
    start = time.perf_counter()
    harder = [reasoning_runs.harder_heldout({"base": base, "SFT only": r.policies["SFT"],
                                             "cold start + GRPO": r.policies["GRPO"]}, seed=i)
              for i, (base, r) in enumerate(zip([b for b in wide.values() for _ in RL_SEEDS], by_labels[64],
                                                strict=True))]
    for name in harder[0].harder:
        print(f"  {name:<18} training length {spread([h.heldout[name] for h in harder])}")
        print(f"  {'':<18} one operator more {spread([h.harder[name] for h in harder])}")
        print(f"  {'':<18} stopped short     {spread([h.stopped_short[name] for h in harder])}")
    print(f"  harder chains whose last operand is 0: {spread([h.last_operand_zero for h in harder])}")
    print(f"  ({time.perf_counter() - start:.0f} s wall)")
    print(f"\ntotal wall time {time.perf_counter() - begin:.0f} s")
    sys.exit(0)
