"""Group Relative Policy Optimisation (GRPO), the RL algorithm of DeepSeekMath, V3 and R1.

For each prompt the policy writes a *group* of G completions. Each completion's advantage is its
reward relative to its own group: (r - group mean) / (group std + eps). No value network is
trained to predict a baseline; the group is the baseline. The loss is PPO's clipped surrogate
with that advantage on every token, minus beta times the k3 estimate of KL(pi_theta || pi_ref),
averaged over each completion's tokens and then over the completions.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

import torch

from . import validate
from .char_policy import CharPolicy, completions_text, heldout_accuracy, prompt_batch, sample, token_logprobs
from .rewards import accuracy_reward, rule_reward


def _tensor(name: str, x) -> torch.Tensor:
    try:
        t = torch.as_tensor(x, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be numbers (a tensor or nested lists): {err}") from None
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must be finite")
    return t


def group_advantages(rewards, eps: float = 1e-4) -> torch.Tensor:
    """Advantages of shape (groups, G): (r - group mean) / (group sample std + ``eps``).

    A group whose rewards are all equal gets zero advantage: every completion did as well as its
    siblings, so there is nothing to prefer and that prompt contributes no gradient.
    """
    r = _tensor("rewards", rewards)
    if r.ndim != 2:
        raise ValueError(f"rewards must have shape (groups, G), got {tuple(r.shape)}")
    if r.shape[0] < 1 or r.shape[1] < 2:
        raise ValueError(f"rewards needs at least 1 group and G ≥ 2 completions per group, "
                         f"got shape {tuple(r.shape)}")
    validate.positive("eps", eps)
    return (r - r.mean(dim=1, keepdim=True)) / (r.std(dim=1, keepdim=True) + eps)


def k3_kl(logp: torch.Tensor, logp_ref: torch.Tensor) -> torch.Tensor:
    """Per-token k3 estimate of KL(pi || pi_ref) from samples of pi: exp(d) - d - 1, d = ref - new.

    Never negative, and zero exactly where the two policies agree on the sampled token."""
    d = logp_ref - logp
    return torch.exp(d) - d - 1


@dataclass(frozen=True)
class LossStats:
    """What a reader wants to plot besides the loss itself."""

    kl: float             # mean k3 KL per token (token-averaged per completion, then averaged)
    clip_fraction: float  # share of tokens whose gradient the clip removed
    ratio_mean: float     # mean pi_new / pi_old over tokens


def grpo_loss(logp_new, logp_old, logp_ref, advantages, mask, clip_eps: float = 0.2,
              beta: float = 0.04) -> tuple[torch.Tensor, LossStats]:
    """The negated GRPO objective, to minimise, and its statistics.

    Log-probabilities and ``mask`` have shape (N, T), ``advantages`` (N,). Gradients flow only
    through ``logp_new``: the old and reference log-probabilities are constants. ``beta`` defaults
    to DeepSeekMath's KL coefficient, 0.04; DeepSeekMath does not state its clip, and
    ``clip_eps=0.2`` is a common PPO default chosen by this book. R1 used beta = 0.001 and, in its
    first RL stage, a clip of 10 (``reasoning.yaml``).
    """
    new = logp_new if isinstance(logp_new, torch.Tensor) else _tensor("logp_new", logp_new)
    old = _tensor("logp_old", logp_old).detach()
    ref = _tensor("logp_ref", logp_ref).detach()
    adv = _tensor("advantages", advantages).detach()
    m = _tensor("mask", mask).detach()
    if new.ndim != 2:
        raise ValueError(f"logp_new must have shape (N, T), got {tuple(new.shape)}")
    for name, t in (("logp_old", old), ("logp_ref", ref), ("mask", m)):
        if t.shape != new.shape:
            raise ValueError(f"{name} must have the shape of logp_new {tuple(new.shape)}, "
                             f"got {tuple(t.shape)}")
    if adv.shape != new.shape[:1]:
        raise ValueError(f"advantages must have shape ({new.shape[0]},), got {tuple(adv.shape)}")
    if ((m != 0) & (m != 1)).any():
        raise ValueError("mask must hold only 0 and 1")
    lengths = m.sum(dim=1)
    if (lengths == 0).any():
        raise ValueError("mask must keep at least one token of every completion")
    validate.positive("clip_eps", clip_eps)
    validate.non_negative("beta", beta)

    ratio = torch.exp(new - old)
    a = adv[:, None]
    surrogate = torch.minimum(ratio * a, torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * a)
    kl = k3_kl(new, ref)
    per_token = surrogate - beta * kl

    def per_completion_mean(x):
        return ((x * m).sum(dim=1) / lengths).mean()

    loss = -per_completion_mean(per_token)
    clipped = ((ratio > 1 + clip_eps) & (a > 0)) | ((ratio < 1 - clip_eps) & (a < 0))
    stats = LossStats(kl=per_completion_mean(kl).item(),
                      clip_fraction=((clipped.float() * m).sum() / m.sum()).item(),
                      ratio_mean=((ratio * m).sum() / m.sum()).item())
    return loss, stats


@dataclass
class GrpoHistory:
    """One entry per RL step (``step`` .. ``clip_fraction``) and per evaluation (``eval_step``,
    ``accuracy``, ``samples``: greedy completions of the first held-out prompts)."""

    step: list[int] = field(default_factory=list)
    reward: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    length: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    clip_fraction: list[float] = field(default_factory=list)
    zero_groups: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    samples: list[list[str]] = field(default_factory=list)


def train_grpo(policy: CharPolicy, train, heldout, reward=rule_reward, steps: int = 60,
               prompts_per_step: int = 16, group_size: int = 8, lr: float = 2e-3,
               clip_eps: float = 0.2, beta: float = 0.04, updates_per_batch: int = 2,
               temperature: float = 1.0, max_new: int = 24, eval_every: int = 10,
               n_samples: int = 4, seed: int = 0) -> GrpoHistory:
    """Train ``policy`` in place with GRPO and return its history.

    Each step draws ``prompts_per_step`` training problems, samples ``group_size`` completions of
    each from the policy as it stands (pi_old), scores them with ``reward(text, answer)``, and
    takes ``updates_per_batch`` Adam steps on ``grpo_loss``; from the second update on the policy
    has moved away from pi_old and the clip can act. The reference policy is a frozen copy of the
    starting policy. Held-out accuracy (greedy) is measured every ``eval_every`` steps and at the
    end. Seeded: the same arguments give the same history on the same machine.
    """
    validate.integer("steps", steps, low=1)
    validate.integer("prompts_per_step", prompts_per_step, low=1)
    validate.integer("group_size", group_size, low=2)
    validate.positive("lr", lr)
    validate.integer("updates_per_batch", updates_per_batch, low=1)
    validate.integer("eval_every", eval_every, low=1)
    validate.integer("n_samples", n_samples, low=0, high=len(heldout))
    validate.integer("seed", seed)
    if not train or not heldout:
        raise ValueError("train and heldout must both hold problems")
    torch.manual_seed(seed)
    rng, gen = random.Random(seed), torch.Generator().manual_seed(seed)
    reference = copy.deepcopy(policy).requires_grad_(False)
    optimiser = torch.optim.Adam(policy.parameters(), lr=lr)
    history = GrpoHistory()

    def evaluate(step):
        history.eval_step.append(step)
        history.accuracy.append(heldout_accuracy(policy, heldout, max_new=max_new))
        shown, _ = sample(policy, prompt_batch(heldout[:n_samples]), max_new=max_new, temperature=0.0)
        history.samples.append(completions_text(shown))

    for step in range(steps):
        if step % eval_every == 0:
            evaluate(step)
        problems = [rng.choice(train) for _ in range(prompts_per_step)]
        group = [p for p in problems for _ in range(group_size)]
        prompts = prompt_batch(group)
        completions, mask = sample(policy, prompts, max_new=max_new, temperature=temperature,
                                   generator=gen)
        texts = completions_text(completions)
        rewards = torch.tensor([reward(t, p.answer) for t, p in zip(texts, group)])
        advantages = group_advantages(rewards.view(prompts_per_step, group_size)).flatten()
        with torch.no_grad():
            logp_old = token_logprobs(policy, prompts, completions)
            logp_ref = token_logprobs(reference, prompts, completions)
        for _ in range(updates_per_batch):
            logp = token_logprobs(policy, prompts, completions)
            loss, stats = grpo_loss(logp, logp_old, logp_ref, advantages, mask, clip_eps, beta)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        spread = rewards.view(prompts_per_step, group_size).std(dim=1)
        history.step.append(step)
        history.reward.append(rewards.mean().item())
        history.train_accuracy.append(sum(accuracy_reward(t, p.answer)
                                          for t, p in zip(texts, group)) / len(group))
        history.length.append(mask.sum(dim=1).mean().item())
        history.kl.append(stats.kl)
        history.clip_fraction.append(stats.clip_fraction)
        history.zero_groups.append((spread == 0).float().mean().item())
    evaluate(steps)
    return history
