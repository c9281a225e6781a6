"""Chapter 7 benchmarks: `python benchmarks/bench_grpo.py` prints GRPO's speed on the chapter's
configuration and the time it takes to reach 50%, 80% and 90% held-out accuracy.

1. GRPO steps per second (sampling 16 x 8 completions, scoring, two updates), for 1 and 2 threads.
2. Time to accuracy: R1-Zero-style from the weak base and R1-style after the cold start, with
   held-out accuracy measured after every step (the measurement's time is not counted).
3. The supervised baseline: fine-tuning steps per second and its time to the same accuracies.
"""

from __future__ import annotations

import copy
import time

import torch
from tinyseek import grpo, reasoning_runs
from tinyseek.char_policy import heldout_accuracy, supervised_finetune

TARGETS = (0.5, 0.8, 0.9)


def steps_per_second(base, threads: int, steps: int = 20) -> float:
    torch.set_num_threads(threads)
    train, heldout = reasoning_runs.problems()
    settings = {**reasoning_runs.RL, "steps": steps, "eval_every": steps + 1}
    start = time.perf_counter()
    grpo.train_grpo(copy.deepcopy(base), train, heldout, **settings)
    return steps / (time.perf_counter() - start)


def time_to_accuracy(policy, train_one_step, max_steps: int) -> dict[float, float | None]:
    """Seconds of training (evaluation excluded) until held-out accuracy first reaches each target."""
    _, heldout = reasoning_runs.problems()
    reached, spent = {}, 0.0
    for step in range(max_steps + 1):
        accuracy = heldout_accuracy(policy, heldout)
        for target in TARGETS:
            if target not in reached and accuracy >= target:
                reached[target] = spent
        if len(reached) == len(TARGETS) or step == max_steps:
            break
        start = time.perf_counter()
        train_one_step(policy, step)
        spent += time.perf_counter() - start
    return {t: reached.get(t) for t in TARGETS}


def grpo_step(train, heldout):
    def one(policy, step):
        grpo.train_grpo(policy, train, heldout, **{**reasoning_runs.RL, "steps": 1,
                                                  "eval_every": 2, "seed": step})
    return one


def show(name, reached):
    cells = "  ".join(f"{int(t * 100)}%: " + (f"{s:6.2f} s" if s is not None else "  never")
                      for t, s in reached.items())
    print(f"  {name:<36} {cells}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    train, heldout = reasoning_runs.problems()
    start = time.perf_counter()
    base = reasoning_runs.weak_base()
    print(f"weak base: {time.perf_counter() - start:.2f} s to pre-train, "
          f"{heldout_accuracy(base, heldout):.0%} held out")
    print("\n== 1. GRPO steps per second (16 prompts x 8 samples, 2 updates per batch) ==")
    for threads in (1, 2):
        print(f"  {threads} thread(s): {steps_per_second(base, threads):6.2f} steps/s")
    torch.set_num_threads(1)
    print("\n== 2. Time to held-out accuracy (training time only, 1 thread) ==")
    # Each step is a 1-step run with a fresh optimiser and reference: close to, not identical
    # with, the chapter's 30-step run, which keeps both.
    show("R1-Zero-style GRPO from the weak base",
         time_to_accuracy(copy.deepcopy(base), grpo_step(train, heldout), 40))
    show("R1-style: cold start + GRPO",
         time_to_accuracy(reasoning_runs.cold_start(base), grpo_step(train, heldout), 40))
    print("\n== 3. The supervised baseline (batches of 32 worked solutions) ==")
    show("supervised fine-tuning, 10 steps a tick",
         time_to_accuracy(copy.deepcopy(base), lambda p, s: supervised_finetune(
             p, list(train), steps=10, seed=s), 30))
