"""Chapter 7's ladder from REINFORCE to GRPO, one step at a time, on the tiny policy.

Each rung of ``LADDER`` is a set of ``train_grpo`` settings that differ from the rung before in
one thing: the advantage (the reward itself, minus a batch baseline, relative to the group), the
reuse of a batch for several updates (with and without the clip), and the KL penalty to a frozen
reference. ``gradient_variance`` measures what the first three buy on one fixed batch; the
chapter measures the rest with learning curves over seeds. Every setting is this book's choice
for a model of about 60 thousand parameters, not DeepSeek's.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from . import validate
from .char_policy import CharPolicy, completions_text, prompt_batch, sample, token_logprobs
from .grpo import ADVANTAGES, GrpoHistory, policy_gradient_loss, train_grpo
from .rewards import rule_reward

LADDER = {
    "REINFORCE": dict(advantage="reward", clip_eps=None, beta=0.0, updates_per_batch=1),
    "+ batch baseline": dict(advantage="batch", clip_eps=None, beta=0.0, updates_per_batch=1),
    "+ group advantage": dict(advantage="group", clip_eps=None, beta=0.0, updates_per_batch=1),
    "+ 4 updates, no clip": dict(advantage="group", clip_eps=None, beta=0.0, updates_per_batch=4),
    "+ 4 updates, clipped": dict(advantage="group", clip_eps=0.2, beta=0.0, updates_per_batch=4),
    "+ KL penalty (GRPO)": dict(advantage="group", clip_eps=0.2, beta=0.04, updates_per_batch=4),
}
RUN = dict(steps=12, prompts_per_step=16, group_size=8, lr=1e-3, temperature=1.0, max_new=24,
           eval_every=3, n_samples=4)


@dataclass(frozen=True)
class GradientStats:
    """Mini-batch gradients of one estimator on one fixed batch (squared units of the loss)."""

    variance: float   # trace of the covariance of a mini-batch gradient (noise)
    signal: float     # squared norm of the mean gradient over all mini-batches
    agreement: float  # mean cosine of a mini-batch gradient with the mean of the others


def gradient_stats(policy: CharPolicy, problems, n_batches: int = 16, prompts_per_batch: int = 4,
                   group_size: int = 8, seed: int = 0) -> dict[str, GradientStats]:
    """Noise and direction of the policy-gradient estimate for each kind of ``ADVANTAGES``.

    One fixed batch of ``n_batches`` x ``prompts_per_batch`` problems x ``group_size`` samples is
    drawn from ``policy`` and scored with ``rule_reward``; every estimator sees the same samples,
    split into the same mini-batches, so the comparison is paired.
    """
    validate.integer("n_batches", n_batches, low=2)
    validate.integer("prompts_per_batch", prompts_per_batch, low=1)
    validate.integer("group_size", group_size, low=2)
    gen = torch.Generator().manual_seed(seed)
    chosen = [problems[i] for i in torch.randperm(len(problems), generator=gen)[:n_batches * prompts_per_batch]]
    group = [p for p in chosen for _ in range(group_size)]
    prompts = prompt_batch(group)
    completions, mask = sample(policy, prompts, generator=gen)
    texts = completions_text(completions)
    rewards = torch.tensor([rule_reward(t, p.answer) for t, p in zip(texts, group, strict=True)])
    rows = rewards.numel() // n_batches
    result = {}
    for kind, advantage in ADVANTAGES.items():
        grads = []
        for b in range(n_batches):
            part = slice(b * rows, (b + 1) * rows)
            adv = advantage(rewards[part].view(prompts_per_batch, group_size)).flatten()
            policy.zero_grad()
            logp = token_logprobs(policy, prompts[part], completions[part])
            policy_gradient_loss(logp, adv, mask[part]).backward()
            grads.append(torch.cat([p.grad.flatten() for p in policy.parameters()]))
        g = torch.stack(grads)
        rest = (g.sum(dim=0, keepdim=True) - g) / (n_batches - 1)
        result[kind] = GradientStats(variance=g.var(dim=0).sum().item(), signal=g.mean(dim=0).pow(2).sum().item(),
                                     agreement=torch.nn.functional.cosine_similarity(g, rest, dim=1).mean().item())
    policy.zero_grad()
    return result


def climb(base: CharPolicy, train, heldout, seeds=(0, 1, 2), rungs=None,
          **overrides) -> dict[str, list[tuple[CharPolicy, GrpoHistory]]]:
    """Train a copy of ``base`` with each rung's settings (``RUN`` plus ``overrides``) once per
    seed; return each rung's trained policies and histories."""
    rungs = list(LADDER) if rungs is None else rungs
    for name in rungs:
        validate.choice("rungs", name, tuple(LADDER))
    results = {}
    for name in rungs:
        results[name] = []
        for s in seeds:
            policy = copy.deepcopy(base)
            history = train_grpo(policy, train, heldout, reward=rule_reward, **{**RUN, **LADDER[name], **overrides,
                                                                                "seed": s})
            results[name].append((policy, history))
    return results
