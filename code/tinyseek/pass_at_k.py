"""pass@k: the chance that at least one of k samples is right, estimated without bias from n ≥ k
samples per problem (Chen et al. 2021, "Evaluating large language models trained on code", eq. 1
and its numerically stable form)."""

from __future__ import annotations

import torch

from . import validate
from .char_policy import CharPolicy, completions_text, prompt_batch, sample
from .rewards import accuracy_reward


def pass_at_k(n: int, c: int, k: int) -> float:
    """1 - C(n - c, k) / C(n, k): the probability that k of the n samples, drawn without
    replacement, include at least one of the c correct ones (dimensionless, 0 to 1)."""
    validate.integer("n", n, low=1)
    validate.integer("c", c, low=0, high=n)
    validate.integer("k", k, low=1, high=n)
    if n - c < k:
        return 1.0
    missed = 1.0
    for i in range(n - c + 1, n + 1):  # C(n-c, k) / C(n, k) as a product, never a huge binomial
        missed *= 1.0 - k / i
    return 1.0 - missed


@torch.no_grad()
def sampled_pass_at_k(policy: CharPolicy, problems, n: int = 64, ks=(1, 4, 16, 64), temperature: float = 1.0,
                      seed: int = 0) -> dict[int, float]:
    """Mean pass@k over ``problems`` for each k in ``ks``, from ``n`` samples of each at ``temperature``."""
    validate.integer("n", n, low=1)
    if not problems:
        raise ValueError("problems must not be empty")
    for k in ks:
        validate.integer("ks", k, low=1, high=n)
    group = [p for p in problems for _ in range(n)]
    completions, _ = sample(policy, prompt_batch(group), temperature=temperature,
                            generator=torch.Generator().manual_seed(seed))
    texts = completions_text(completions)
    right = torch.tensor([accuracy_reward(t, p.answer) for t, p in zip(texts, group, strict=True)])
    correct = right.view(len(problems), n).sum(dim=1).long().tolist()
    return {k: sum(pass_at_k(n, c, k) for c in correct) / len(problems) for k in ks}


@torch.no_grad()
def greedy_correct(policy: CharPolicy, problems) -> list[bool]:
    """For each problem, whether the policy's greedy (temperature 0) answer is exactly right."""
    if not problems:
        raise ValueError("problems must not be empty")
    completions, _ = sample(policy, prompt_batch(problems), temperature=0.0)
    texts = completions_text(completions)
    return [accuracy_reward(t, p.answer) == 1.0 for t, p in zip(texts, problems, strict=True)]
