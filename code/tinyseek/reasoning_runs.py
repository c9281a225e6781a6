"""Chapter 7's runs in one place, so the chapter, the tests and the benchmark train the same way.

* ``weak_base``: the stand-in for a pre-trained base model. It read a corpus in which only
  ``think_rate`` of the texts show their working; the rest give the answer alone. It knows the
  template and can do single steps, but usually answers without reasoning.
* ``cold_start``: R1-style: a brief supervised fine-tune on a few worked solutions.
* ``supervised_baseline``: the honest baseline: supervised fine-tuning on worked solutions of
  the whole training pool, the labels that RL never sees.
* ``scarce_labels``: SFT against cold start + GRPO from the same few labels, at equal CPU time.
* ``harder_heldout``: whether what they learned carries over to chains one operator longer.

Every setting here is this book's choice for a model of about 60 thousand parameters on a CPU,
not DeepSeek's (their published values are in ``reasoning.yaml``).
"""

from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass, field

import torch

from . import arith_task, validate
from .char_policy import CharPolicy, completions_text, heldout_accuracy, prompt_batch, sample, supervised_finetune
from .grpo import train_grpo
from .rewards import accuracy_reward

N_OPS = 3
HARDER_OPS = N_OPS + 1  # the harder held-out problems: one operator more than training
BASE_STEPS, BASE_THINK_RATE = 400, 0.4
COLD_START_EXAMPLES, COLD_START_STEPS = 64, 4
SFT_LR = 5e-3  # supervised_finetune's default
RL = dict(steps=30, prompts_per_step=16, group_size=8, lr=1e-3, clip_eps=0.2, beta=0.04,
          updates_per_batch=2, temperature=1.0, max_new=24, eval_every=5)


def problems():
    """``(train, heldout)`` for the chapter's task."""
    return arith_task.split(n_ops=N_OPS)


def weak_base(steps: int = BASE_STEPS, think_rate: float = BASE_THINK_RATE, seed: int = 0,
              room_for_ops: int = N_OPS) -> CharPolicy:
    """The chapter's base policy: a CharPolicy trained for ``steps`` on the training problems, a share
    ``think_rate`` of them with their working written out and the rest answer only (a stand-in
    for a pre-trained base). ``room_for_ops`` sizes its prompt window and positions for chains of
    up to that many operators (a worked solution of n operators and its end token take 6n + 5): with
    ``HARDER_OPS``, the policy can be asked the harder held-out problems (``harder_problems``)."""
    validate.integer("steps", steps, low=0)
    validate.integer("room_for_ops", room_for_ops, low=N_OPS, high=HARDER_OPS)
    train, _ = problems()
    policy = CharPolicy(prompt_len=2 * room_for_ops + 3, max_len=6 * room_for_ops + 6, seed=seed)
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


def cpu_seconds(work) -> float:
    """CPU seconds this process spends running ``work()``: on an idle machine with one thread, the
    wall-clock time; unlike wall-clock time, not inflated when other programs share the machine."""
    tick = time.process_time()
    work()
    return time.process_time() - tick


@dataclass(frozen=True)
class ScarceLabelResult:
    """SFT-only against cold start + GRPO from the same ``n_labels`` worked solutions, at equal
    training time (CPU seconds, evaluation excluded), on one seed, with the policies it compared."""

    cold_start: float      # held-out accuracy after the cold start both arms share
    sft: list[float]       # held-out accuracy after each SFT chunk; the last is at equal time
    rl: list[float]        # held-out accuracy at each GRPO evaluation; the last is the final
    sft_steps: int
    sft_seconds: float
    rl_seconds: float
    policies: dict = field(default_factory=dict, repr=False, compare=False)  # cold start, SFT, GRPO


def scarce_labels(base: CharPolicy, n_labels: int = 64, rl_steps: int = 15, sft_chunk: int = 20,
                  seed: int = 0) -> ScarceLabelResult:
    """Both arms start from ``base`` fine-tuned on the same ``n_labels`` worked solutions (drawn
    by ``seed`` from the training pool); GRPO then trains ``rl_steps`` steps with the verifier on
    the whole (unlabelled) pool, and SFT keeps training on the labels, in chunks of ``sft_chunk``
    steps, up to the chunk boundary nearest to GRPO's training time."""
    train, heldout = problems()
    validate.integer("n_labels", n_labels, low=1, high=len(train))
    validate.integer("rl_steps", rl_steps, low=1)
    validate.integer("sft_chunk", sft_chunk, low=1)
    labelled = random.Random(seed).sample(list(train), n_labels)
    start = copy.deepcopy(base)
    supervised_finetune(start, labelled, steps=COLD_START_STEPS, think_rate=1.0, seed=seed)
    rl = copy.deepcopy(start)
    run = train_grpo(rl, train, heldout, **{**RL, "steps": rl_steps, "eval_every": rl_steps, "n_samples": 0,
                                            "seed": seed})
    sft, sft_acc, sft_seconds, chunk_seconds = copy.deepcopy(start), [], 0.0, 0.0
    adam = torch.optim.Adam(sft.parameters(), lr=SFT_LR)  # one optimiser across the chunks
    while sft_seconds + chunk_seconds / 2 < run.seconds:
        chunk_seconds = cpu_seconds(lambda: supervised_finetune(
            sft, labelled, steps=sft_chunk, think_rate=1.0, seed=seed + 1000 * len(sft_acc), optimiser=adam))
        sft_seconds += chunk_seconds
        sft_acc.append(heldout_accuracy(sft, heldout))
    return ScarceLabelResult(heldout_accuracy(start, heldout), sft_acc, run.accuracy, sft_chunk * len(sft_acc),
                             sft_seconds, run.seconds, {"cold start": start, "SFT": sft, "GRPO": rl})


def harder_problems(n: int = 200, seed: int = 0) -> tuple[arith_task.Problem, ...]:
    """``n`` chains of ``HARDER_OPS`` operators, one more than any training problem, drawn by ``seed``."""
    pool = arith_task.all_problems(HARDER_OPS)
    validate.integer("n", n, low=1, high=len(pool))
    return tuple(random.Random(seed).sample(pool, n))


def greedy_answers(policy: CharPolicy, problems) -> list[str]:
    """The policy's greedy completion of each problem, up to as many tokens as it has positions for."""
    completions, _ = sample(policy, prompt_batch(problems), max_new=policy.max_len, temperature=0.0)
    return completions_text(completions)


@dataclass(frozen=True)
class HarderResult:
    """Greedy accuracy of each policy by name (e.g. base, SFT only, cold start + GRPO)."""

    heldout: dict[str, float]    # on held-out chains of N_OPS operators, the training length
    harder: dict[str, float]     # on chains of HARDER_OPS operators
    stopped_short: dict[str, float]  # share of harder chains answered with the total after N_OPS operators
    last_operand_zero: float     # share of harder chains where that total is also the right answer


def harder_heldout(policies: dict[str, CharPolicy], n_harder: int = 200, seed: int = 0) -> HarderResult:
    """Does what ``policies`` (name -> policy) learned on chains of ``N_OPS`` operators carry over
    to one operator more? Each is scored on the held-out problems of the training length and on
    ``n_harder`` longer ones (``harder_problems``); each needs room for ``HARDER_OPS`` operators
    (``weak_base``). A chain whose last operand is 0 is left out of ``stopped_short``, since there
    the total after N_OPS operators is also the right answer."""
    hard = harder_problems(n_harder, seed)
    short = [p for p in hard if p.numbers[-1] != 0]
    out = {"heldout": {}, "harder": {}, "stopped_short": {}, "last_operand_zero": 1 - len(short) / len(hard)}
    for name, policy in policies.items():
        if policy.prompt_len < len(arith_task.prompt_tokens(hard[0])):
            raise ValueError(f"policies must have room for {HARDER_OPS} operators; {name!r} has not")
        out["heldout"][name] = heldout_accuracy(policy, problems()[1])
        out["harder"][name] = heldout_accuracy(policy, hard)
        texts = greedy_answers(policy, short)
        out["stopped_short"][name] = sum(accuracy_reward(t, p.running_totals()[N_OPS - 1])
                                         for t, p in zip(texts, short, strict=True)) / len(short)
    return HarderResult(**out)
