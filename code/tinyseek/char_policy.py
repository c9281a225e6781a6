"""A tiny character-level policy for Chapter 7, small enough to sample thousands of completions a
second on a CPU.

Besides the model: sampling (with a seeded generator, so runs repeat exactly), the
log-probability of each completion token (what GRPO's ratio and KL are made of), supervised
fine-tuning on worked solutions (the cold start, and the honest baseline), and held-out accuracy.
"""

from __future__ import annotations

import random

import torch
from torch import nn

from . import validate
from .arith_task import (
    ANSWER,
    END_ANSWER,
    END_THINK,
    EOS,
    PAD,
    THINK,
    TOKEN_ID,
    VOCAB,
    Problem,
    decode,
    encode,
    prompt_tokens,
)
from .rewards import accuracy_reward

EOS_ID, PAD_ID = TOKEN_ID[EOS], TOKEN_ID[PAD]


class CharPolicy(nn.Module):
    """A character-level MLP policy: the next token from the prompt, the last ``window`` tokens of
    the completion and the position. No recurrence, so a whole batch of completions is scored in
    one pass, and a step of arithmetic (``7-3=``) is in view when its result is written."""

    def __init__(self, prompt_len: int = 9, window: int = 6, max_len: int = 24, d_embed: int = 16,
                 d_hidden: int = 128, seed: int = 0):
        super().__init__()
        for name, value in (("prompt_len", prompt_len), ("window", window), ("max_len", max_len),
                            ("d_embed", d_embed), ("d_hidden", d_hidden)):
            validate.integer(name, value, low=1)
        validate.integer("seed", seed)
        torch.manual_seed(seed)
        self.prompt_len, self.window, self.max_len = prompt_len, window, max_len
        self.embed = nn.Embedding(len(VOCAB), d_embed)
        self.inp = nn.Linear((prompt_len + window) * d_embed, d_hidden)
        self.position = nn.Embedding(max_len, d_hidden)
        self.mlp = nn.Sequential(nn.ReLU(), nn.Linear(d_hidden, d_hidden), nn.ReLU(),
                                 nn.Linear(d_hidden, len(VOCAB)))

    def fit_prompts(self, prompts: torch.Tensor) -> torch.Tensor:
        """``prompts`` (N, P) padded on the right to the policy's ``prompt_len`` tokens, so a policy
        built with room for longer prompts reads shorter ones with every operand in the same slot."""
        if prompts.shape[1] > self.prompt_len:
            raise ValueError(f"prompts may have at most {self.prompt_len} tokens, got {prompts.shape[1]}")
        pad = torch.full((prompts.shape[0], self.prompt_len - prompts.shape[1]), PAD_ID, dtype=torch.long)
        return torch.cat([prompts, pad], dim=1)

    def forward(self, prompts: torch.Tensor, completions: torch.Tensor) -> torch.Tensor:
        """Logits (N, T, vocabulary) of completion token t given the prompt and tokens < t."""
        n, t = completions.shape
        prompts = self.fit_prompts(prompts)
        if t > self.max_len:
            raise ValueError(f"completions may have at most {self.max_len} tokens, got {t}")
        before = torch.full((n, self.window), PAD_ID, dtype=torch.long)
        windows = torch.cat([before, completions], dim=1).unfold(1, self.window, 1)[:, :t]
        context = torch.cat([prompts[:, None].expand(n, t, -1), windows], dim=2)
        x = self.inp(self.embed(context).flatten(2)) + self.position.weight[:t]
        return self.mlp(x)

    def next_logits(self, prompts: torch.Tensor, completions: torch.Tensor, t: int) -> torch.Tensor:
        """Logits (N, vocabulary) of completion token ``t`` alone: row ``t`` of ``forward``, in
        one position's work instead of t + 1 (what sampling needs, token by token)."""
        before = torch.full((completions.shape[0], self.window), PAD_ID, dtype=torch.long)
        window = torch.cat([before, completions[:, :t]], dim=1)[:, -self.window:]
        context = torch.cat([self.fit_prompts(prompts), window], dim=1)
        return self.mlp(self.inp(self.embed(context).flatten(1)) + self.position.weight[t])


def prompt_batch(problems) -> torch.Tensor:
    """Prompt ids of shape (N, P); every problem of one task has the same prompt length."""
    rows = [encode(prompt_tokens(p)) for p in problems]
    if len({len(r) for r in rows}) != 1:
        raise ValueError("problems must all have the same number of operators")
    return torch.tensor(rows)


def completion_mask(completions: torch.Tensor) -> torch.Tensor:
    """1.0 for every token up to and including the first end-of-sequence, 0.0 after it."""
    is_eos = (completions == EOS_ID).long()
    ended_before = torch.cumsum(is_eos, dim=1) - is_eos
    return (ended_before == 0).float()


@torch.no_grad()
def sample(policy: CharPolicy, prompts: torch.Tensor, max_new: int = 24, temperature: float = 1.0,
           generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Completions (N, max_new) and their mask; ``temperature=0`` decodes greedily."""
    validate.integer("max_new", max_new, low=1)
    validate.non_negative("temperature", temperature)
    out = torch.full((prompts.shape[0], max_new), PAD_ID, dtype=torch.long)
    done = torch.zeros(prompts.shape[0], dtype=torch.bool)
    for t in range(max_new):
        last = policy.next_logits(prompts, out, t)  # sees only tokens before t
        if temperature == 0:
            token = last.argmax(-1)
        else:
            probs = torch.softmax(last / temperature, dim=-1)
            token = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        token = torch.where(done, torch.full_like(token, PAD_ID), token)
        out[:, t] = token
        done |= token == EOS_ID
        if done.all():
            break
    return out, completion_mask(out)


def token_logprobs(policy: CharPolicy, prompts: torch.Tensor, completions: torch.Tensor) -> torch.Tensor:
    """log pi(token | prefix) for every completion token, shape (N, T) like ``completions``."""
    logits = policy(prompts, completions)
    return torch.log_softmax(logits, dim=-1).gather(-1, completions[..., None]).squeeze(-1)


def completions_text(completions: torch.Tensor) -> list[str]:
    """Each sampled completion (a row of token ids) as text, up to its end token."""
    return [decode(row) for row in completions]


def heldout_accuracy(policy: CharPolicy, problems, max_new: int | None = None) -> float:
    """Share of ``problems`` answered exactly right with greedy decoding (temperature 0), writing at
    most ``max_new`` tokens (default: as many as the policy has positions for)."""
    if not problems:
        raise ValueError("problems must not be empty")
    max_new = policy.max_len if max_new is None else max_new
    completions, _ = sample(policy, prompt_batch(problems), max_new=max_new, temperature=0.0)
    texts = completions_text(completions)
    return sum(accuracy_reward(t, p.answer) for t, p in zip(texts, problems, strict=True)) / len(problems)


def corpus_example(problem: Problem, rng: random.Random, think_rate: float) -> list[str]:
    """One training text for ``problem``: its worked solution with probability ``think_rate``,
    otherwise the answer alone after an empty think block (a writer who skips the working)."""
    if rng.random() < think_rate:
        return problem.solution()
    return [THINK, END_THINK, ANSWER, str(problem.answer), END_ANSWER]


def supervised_finetune(policy: CharPolicy, problems, steps: int, batch_size: int = 32,
                        lr: float = 5e-3, think_rate: float = 1.0, seed: int = 0,
                        optimiser: torch.optim.Optimizer | None = None) -> list[float]:
    """Teacher-forced cross-entropy on texts of ``problems`` (plus end-of-sequence).

    With ``think_rate=1`` every text is a worked solution (supervised fine-tuning on labelled
    reasoning); below 1, that share only (see ``corpus_example``). A fresh Adam at ``lr`` unless
    ``optimiser`` is given (to continue a run in chunks). Returns every step's loss.
    """
    validate.integer("steps", steps, low=0)
    validate.integer("batch_size", batch_size, low=1)
    validate.positive("lr", lr)
    validate.number("think_rate", think_rate, low=0.0, high=1.0)
    if not problems:
        raise ValueError("problems must not be empty")
    rng = random.Random(seed)
    optimiser = optimiser or torch.optim.Adam(policy.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        batch = [rng.choice(problems) for _ in range(batch_size)]
        targets = [encode(corpus_example(p, rng, think_rate)) + [EOS_ID] for p in batch]
        width = max(map(len, targets))
        completions = torch.tensor([t + [PAD_ID] * (width - len(t)) for t in targets])
        mask = (completions != PAD_ID).float()
        logp = token_logprobs(policy, prompt_batch(batch), completions)
        loss = -(logp * mask).sum() / mask.sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    return losses


__all__ = ["CharPolicy", "sample", "token_logprobs", "heldout_accuracy", "supervised_finetune",
           "prompt_batch", "completion_mask", "completions_text", "corpus_example"]
