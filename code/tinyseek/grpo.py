"""Group Relative Policy Optimisation (GRPO), the RL algorithm of DeepSeekMath, V3 and R1.

For each prompt the policy writes a *group* of G completions. Each completion's advantage is its
reward relative to its own group: (r - group mean) / (group std + delta). No value network is
trained to predict a baseline; the group is the baseline. The loss is PPO's clipped surrogate
with that advantage on every token, minus beta times the k3 estimate of KL(pi_theta || pi_ref),
averaged over each completion's tokens and then over the completions.
"""

from __future__ import annotations

import copy
import random
import time
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


def completion_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of per-token ``x`` over each completion's own tokens (``mask`` 1), shape (N,)."""
    return (x * mask).sum(dim=1) / mask.sum(dim=1)


def policy_gradient_loss(logp, advantages, mask) -> torch.Tensor:
    """REINFORCE (Williams 1992): minus the mean over completions of A_i x (1/len(o_i)) sum_t log pi(o_i,t).

    Its gradient is the score-function estimate of the gradient of the expected reward when
    ``advantages`` are the rewards themselves; any other advantage (a baseline subtracted, a group
    normalisation) only changes the weight each completion's log-probability gets.
    """
    logp, adv, m = _check_logp_inputs(logp, advantages, mask)
    return -(adv * completion_mean(logp, m)).mean()


def batch_advantages(rewards) -> torch.Tensor:
    """REINFORCE with a baseline: each reward minus the mean reward of the whole batch (any shape)."""
    r = _tensor("rewards", rewards)
    if r.numel() < 2:
        raise ValueError("rewards needs at least 2 numbers for a baseline")
    return r - r.mean()


def group_advantages(rewards, delta: float = 1e-4) -> torch.Tensor:
    """GRPO's advantages, shape (groups, G): (r - group mean) / (group sample std + ``delta``).

    ``delta`` only keeps the division finite. A group whose rewards are all equal gets zero
    advantage: every completion did as well as its siblings, so that prompt teaches nothing.
    """
    r = _tensor("rewards", rewards)
    if r.ndim != 2:
        raise ValueError(f"rewards must have shape (groups, G), got {tuple(r.shape)}")
    if r.shape[0] < 1 or r.shape[1] < 2:
        raise ValueError(f"rewards needs at least 1 group and G ≥ 2 completions per group, "
                         f"got shape {tuple(r.shape)}")
    validate.positive("delta", delta)
    return (r - r.mean(dim=1, keepdim=True)) / (r.std(dim=1, keepdim=True) + delta)


ADVANTAGES = {"reward": lambda r: r, "batch": batch_advantages, "group": group_advantages}


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


def _check_logp_inputs(logp_new, advantages, mask, **others):
    """Tensors of ``logp_new`` (N, T), ``advantages`` (N,), ``mask`` (N, T) of 0/1 with a token in
    every row, and ``others`` of logp_new's shape (detached); a ValueError names what is wrong."""
    new = logp_new if isinstance(logp_new, torch.Tensor) else _tensor("logp_new", logp_new)
    if new.ndim != 2:
        raise ValueError(f"logp_new must have shape (N, T), got {tuple(new.shape)}")
    adv = _tensor("advantages", advantages).detach()
    m = _tensor("mask", mask).detach()
    checked = {name: _tensor(name, t).detach() for name, t in others.items()}
    for name, t in (*checked.items(), ("mask", m)):
        if t.shape != new.shape:
            raise ValueError(f"{name} must have the shape of logp_new {tuple(new.shape)}, got {tuple(t.shape)}")
    if adv.shape != new.shape[:1]:
        raise ValueError(f"advantages must have shape ({new.shape[0]},), got {tuple(adv.shape)}")
    if ((m != 0) & (m != 1)).any():
        raise ValueError("mask must hold only 0 and 1")
    if (m.sum(dim=1) == 0).any():
        raise ValueError("mask must keep at least one token of every completion")
    return (new, adv, m, *checked.values())


def grpo_loss(logp_new, logp_old, logp_ref, advantages, mask, clip_eps: float | None = 0.2,
              beta: float = 0.04) -> tuple[torch.Tensor, LossStats]:
    """The negated GRPO objective (DeepSeekMath eq. 3), to minimise, and its statistics.

    Shapes: log-probabilities and ``mask`` (N, T), ``advantages`` (N,); only ``logp_new`` carries
    gradient. ``clip_eps=None`` drops the clip (the plain ratio); ``beta=0`` drops the KL term.
    Defaults: beta = DeepSeekMath's 0.04; clip 0.2 is this book's PPO-style choice (``reasoning.yaml``).
    """
    new, adv, m, old, ref = _check_logp_inputs(logp_new, advantages, mask,
                                               logp_old=logp_old, logp_ref=logp_ref)
    if clip_eps is not None:
        validate.positive("clip_eps", clip_eps)
    validate.non_negative("beta", beta)
    ratio, a = torch.exp(new - old), adv[:, None]
    clipped_ratio = ratio if clip_eps is None else torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps)
    surrogate = torch.minimum(ratio * a, clipped_ratio * a)
    kl = k3_kl(new, ref)
    loss = -completion_mean(surrogate - beta * kl, m).mean()
    clipped = (surrogate != ratio * a).float()  # tokens where the clipped bound won: no gradient
    stats = LossStats(kl=completion_mean(kl, m).mean().item(),
                      clip_fraction=((clipped * m).sum() / m.sum()).item(),
                      ratio_mean=((ratio * m).sum() / m.sum()).item())
    return loss, stats


@dataclass
class GrpoHistory:
    """One entry per RL step (``step`` .. ``clip_fraction``) and per evaluation (``eval_step``,
    ``accuracy``, ``samples``: greedy completions of the first held-out prompts); ``seconds`` is the
    CPU time of this process in the training steps alone, evaluations excluded (on an idle machine
    with one thread, the wall-clock time; unlike it, not inflated by other programs' load)."""

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
    seconds: float = field(default=0.0, compare=False)  # differs from run to run


def train_grpo(policy: CharPolicy, train, heldout, reward=rule_reward, steps: int = 60,
               prompts_per_step: int = 16, group_size: int = 8, lr: float = 2e-3,
               clip_eps: float | None = 0.2, beta: float = 0.04, updates_per_batch: int = 2,
               temperature: float = 1.0, max_new: int = 24, eval_every: int = 10,
               n_samples: int = 4, advantage: str = "group", seed: int = 0) -> GrpoHistory:
    """Train ``policy`` in place with GRPO and return its history.

    Each step draws ``prompts_per_step`` training problems, samples ``group_size`` completions of
    each from the policy as it stands (pi_old), scores them with ``reward(text, answer)``, and
    takes ``updates_per_batch`` Adam steps on ``grpo_loss``; from the second update on the policy
    has moved away from pi_old and the clip can act. The reference policy is a frozen copy of the
    starting policy. Held-out accuracy (greedy) is measured every ``eval_every`` steps and at the
    end. ``advantage`` picks a rung of the chapter's ladder (``ADVANTAGES``): ``"reward"``
    (REINFORCE), ``"batch"`` (a batch-mean baseline) or ``"group"`` (GRPO). Seeded: the same
    arguments give the same history on the same machine.
    """
    validate.integer("steps", steps, low=1)
    validate.integer("prompts_per_step", prompts_per_step, low=1)
    validate.integer("group_size", group_size, low=2)
    validate.positive("lr", lr)
    validate.integer("updates_per_batch", updates_per_batch, low=1)
    validate.integer("eval_every", eval_every, low=1)
    validate.integer("n_samples", n_samples, low=0, high=len(heldout))
    validate.integer("seed", seed)
    validate.choice("advantage", advantage, tuple(ADVANTAGES))
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
        shown = sample(policy, prompt_batch(heldout[:n_samples]), max_new=max_new, temperature=0.0)[0] \
            if n_samples else torch.zeros(0, 1, dtype=torch.long)
        history.samples.append(completions_text(shown))

    for step in range(steps):
        if step % eval_every == 0:
            evaluate(step)
        tick = time.process_time()
        problems = [rng.choice(train) for _ in range(prompts_per_step)]
        group = [p for p in problems for _ in range(group_size)]
        prompts = prompt_batch(group)
        completions, mask = sample(policy, prompts, max_new=max_new, temperature=temperature,
                                   generator=gen)
        texts = completions_text(completions)
        rewards = torch.tensor([reward(t, p.answer) for t, p in zip(texts, group, strict=True)])
        advantages = ADVANTAGES[advantage](rewards.view(prompts_per_step, group_size)).flatten()
        with torch.no_grad():
            logp_old = token_logprobs(policy, prompts, completions)
            logp_ref = token_logprobs(reference, prompts, completions)
        for _ in range(updates_per_batch):
            logp = token_logprobs(policy, prompts, completions)
            loss, stats = grpo_loss(logp, logp_old, logp_ref, advantages, mask, clip_eps, beta)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        history.seconds += time.process_time() - tick
        spread = rewards.view(prompts_per_step, group_size).std(dim=1)
        history.step.append(step)
        history.reward.append(rewards.mean().item())
        history.train_accuracy.append(sum(accuracy_reward(t, p.answer)
                                          for t, p in zip(texts, group, strict=True)) / len(group))
        history.length.append(mask.sum(dim=1).mean().item())
        history.kl.append(stats.kl)
        history.clip_fraction.append(stats.clip_fraction)
        history.zero_groups.append((spread == 0).float().mean().item())
    evaluate(steps)
    return history
