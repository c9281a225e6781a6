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

from . import arith_task, validate
from .char_policy import CharPolicy, supervised_finetune

N_OPS = 3
BASE_STEPS, BASE_THINK_RATE = 400, 0.4
COLD_START_EXAMPLES, COLD_START_STEPS = 64, 4
RL = dict(steps=30, prompts_per_step=16, group_size=8, lr=1e-3, clip_eps=0.2, beta=0.04,
          updates_per_batch=2, temperature=1.0, max_new=24, eval_every=5)


def problems():
    """``(train, heldout)`` for the chapter's task."""
    return arith_task.split(n_ops=N_OPS)


def weak_base(steps: int = BASE_STEPS, think_rate: float = BASE_THINK_RATE, seed: int = 0) -> CharPolicy:
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
