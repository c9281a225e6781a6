"""Chapter 7's runs in one place, so the chapter, the tests and the benchmark train the same way.

* ``weak_base``: the stand-in for a pre-trained base model. It read a corpus in which only
  ``think_rate`` of the texts show their working; the rest give the answer alone. It knows the
  template and can do single steps, but usually answers without reasoning.
* ``cold_start``: R1-style: a brief supervised fine-tune on a few worked solutions.
* ``supervised_baseline``: the honest baseline: supervised fine-tuning on worked solutions of
  the whole training pool, the labels that RL never sees.

Every setting here is this book's choice for a model of about 60 thousand parameters on a CPU,
not DeepSeek's (their published values are in ``reasoning.yaml``).
"""

from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass

from . import arith_task, validate
from .char_policy import CharPolicy, heldout_accuracy, supervised_finetune
from .grpo import train_grpo

N_OPS = 3
BASE_STEPS, BASE_THINK_RATE = 400, 0.4
COLD_START_EXAMPLES, COLD_START_STEPS = 64, 4
RL = dict(steps=30, prompts_per_step=16, group_size=8, lr=1e-3, clip_eps=0.2, beta=0.04,
          updates_per_batch=2, temperature=1.0, max_new=24, eval_every=5)


def problems():
    """``(train, heldout)`` for the chapter's task."""
    return arith_task.split(n_ops=N_OPS)


def weak_base(steps: int = BASE_STEPS, think_rate: float = BASE_THINK_RATE, seed: int = 0) -> CharPolicy:
    """The chapter's base policy: a CharPolicy trained for ``steps`` on the training problems, a share
    ``think_rate`` of them with their working written out and the rest answer only (a stand-in
    for a pre-trained base)."""
    validate.integer("steps", steps, low=0)
    train, _ = problems()
    policy = CharPolicy(prompt_len=2 * N_OPS + 3, seed=seed)
    supervised_finetune(policy, list(train), steps=steps, think_rate=think_rate, seed=seed)
    return policy


def cold_start(base: CharPolicy, n_examples: int = COLD_START_EXAMPLES,
               steps: int = COLD_START_STEPS, seed: int = 1) -> CharPolicy:
    """A copy of ``base`` fine-tuned on ``n_examples`` worked solutions (R1's cold start)."""
    train, _ = problems()
    validate.integer("n_examples", n_examples, low=1, high=len(train))
    policy = copy.deepcopy(base)
    supervised_finetune(policy, list(train[:n_examples]), steps=steps, think_rate=1.0, seed=seed)
    return policy


def supervised_baseline(base: CharPolicy, steps: int = 100, seed: int = 2) -> CharPolicy:
    """A copy of ``base`` fine-tuned on worked solutions of the whole training pool."""
    train, _ = problems()
    policy = copy.deepcopy(base)
    supervised_finetune(policy, list(train), steps=steps, think_rate=1.0, seed=seed)
    return policy


@dataclass(frozen=True)
class ScarceLabelResult:
    """SFT-only against cold start + GRPO from the same ``n_labels`` worked solutions, at about
    equal training time (evaluation excluded), on one seed."""

    cold_start: float      # held-out accuracy after the cold start both arms share
    sft: list[float]       # held-out accuracy after each SFT chunk (equal time to the RL arm)
    rl: list[float]        # held-out accuracy at each GRPO evaluation
    sft_seconds: float
    rl_seconds: float


def scarce_labels(base: CharPolicy, n_labels: int = 64, rl_steps: int = 20, sft_chunk: int = 20,
                  seed: int = 0) -> ScarceLabelResult:
    """Both arms start from ``base`` fine-tuned on the same ``n_labels`` worked solutions (drawn
    by ``seed`` from the training pool); SFT then keeps training on those labels for as long as
    GRPO trains with the verifier on the whole (unlabelled) training pool."""
    train, heldout = problems()
    validate.integer("n_labels", n_labels, low=1, high=len(train))
    validate.integer("rl_steps", rl_steps, low=1)
    validate.integer("sft_chunk", sft_chunk, low=1)
    labelled = random.Random(seed).sample(list(train), n_labels)
    start = copy.deepcopy(base)
    supervised_finetune(start, labelled, steps=COLD_START_STEPS, think_rate=1.0, seed=seed)
    cold_acc = heldout_accuracy(start, heldout)
    tick = time.perf_counter()
    run = train_grpo(copy.deepcopy(start), train, heldout, **{**RL, "steps": rl_steps, "eval_every": rl_steps,
                                                           "n_samples": 0, "seed": seed})
    rl_seconds = time.perf_counter() - tick
    sft, sft_acc, sft_seconds = copy.deepcopy(start), [], 0.0
    while sft_seconds < rl_seconds:
        tick = time.perf_counter()
        supervised_finetune(sft, labelled, steps=sft_chunk, think_rate=1.0, seed=seed + 1000 * len(sft_acc))
        sft_seconds += time.perf_counter() - tick
        sft_acc.append(heldout_accuracy(sft, heldout))
    return ScarceLabelResult(cold_acc, sft_acc, run.accuracy, sft_seconds, rl_seconds)
