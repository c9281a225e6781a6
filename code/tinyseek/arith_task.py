"""A tiny verifiable task for Chapter 7: chains of one-digit additions and subtractions.

A problem such as ``7-3+5`` is chosen so that every running total stays a single digit (0-9),
which keeps the vocabulary tiny and the answer checkable by a rule. Its worked solution, in the
R1-Zero template adapted to a character-level vocabulary, is::

    <think>7-3=4,4+5=9</think><answer>9</answer>

Each tag is a single token. The problems are split once, by a seeded shuffle, into a training
pool and a held-out pool that no training step ever sees, so that accuracy measured on the
held-out pool is accuracy on problems the policy has never met.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from . import validate

THINK, END_THINK, ANSWER, END_ANSWER = "<think>", "</think>", "<answer>", "</answer>"
BOS, EOS, PAD = "<bos>", "<eos>", "<pad>"
TAGS = (THINK, END_THINK, ANSWER, END_ANSWER)
CHARS = tuple("0123456789+-=,")
VOCAB = (PAD, BOS, EOS, *TAGS, *CHARS)
TOKEN_ID = {t: i for i, t in enumerate(VOCAB)}


@dataclass(frozen=True)
class Problem:
    """Operands and operators of one chain, e.g. ``(7, 3, 5)`` and ``("-", "+")``."""

    numbers: tuple[int, ...]
    ops: tuple[str, ...]

    @property
    def prompt(self) -> str:
        text = str(self.numbers[0])
        for op, n in zip(self.ops, self.numbers[1:], strict=True):
            text += f"{op}{n}"
        return text + "="

    def running_totals(self) -> list[int]:
        totals, value = [], self.numbers[0]
        for op, n in zip(self.ops, self.numbers[1:], strict=True):
            value = value + n if op == "+" else value - n
            totals.append(value)
        return totals

    @property
    def answer(self) -> int:
        return self.running_totals()[-1]

    def solution(self) -> list[str]:
        """The worked solution as tokens: one ``a+b=c`` step per operator, then the answer."""
        totals = self.running_totals()
        steps, value = [], self.numbers[0]
        for op, n, total in zip(self.ops, self.numbers[1:], totals, strict=True):
            steps.append(f"{value}{op}{n}={total}")
            value = total
        return [THINK, *",".join(steps), END_THINK, ANSWER, str(totals[-1]), END_ANSWER]


def all_problems(n_ops: int = 2) -> list[Problem]:
    """Every chain of ``n_ops`` operators whose running totals stay within 0-9, in a fixed order."""
    validate.integer("n_ops", n_ops, low=1, high=4)
    chains = [((a,), ()) for a in range(10)]
    for _ in range(n_ops):
        longer = []
        for numbers, ops in chains:
            value = sum(n if op == "+" else -n for n, op in zip(numbers[1:], ops, strict=True)) + numbers[0]
            longer += [(numbers + (n,), ops + ("+",)) for n in range(10 - value)]
            longer += [(numbers + (n,), ops + ("-",)) for n in range(value + 1)]
        chains = longer
    return [Problem(numbers, ops) for numbers, ops in chains]


@lru_cache(maxsize=8)
def split(n_ops: int = 2, n_heldout: int = 200, seed: int = 0) -> tuple[tuple[Problem, ...], tuple[Problem, ...]]:
    """``(train, heldout)``: a seeded, disjoint split of every problem of ``n_ops`` operators."""
    problems = all_problems(n_ops)
    validate.integer("n_heldout", n_heldout, low=1, high=len(problems) - 1)
    validate.integer("seed", seed)
    order = list(range(len(problems)))
    random.Random(seed).shuffle(order)
    heldout = tuple(problems[i] for i in order[:n_heldout])
    train = tuple(problems[i] for i in order[n_heldout:])
    return train, heldout


def encode(tokens: list[str]) -> list[int]:
    """Token ids of a token list (a tag is one token, every other character one token)."""
    try:
        return [TOKEN_ID[t] for t in tokens]
    except KeyError as err:
        raise ValueError(f"tokens must come from the task's vocabulary; {err.args[0]!r} does not") from None


def prompt_tokens(problem: Problem) -> list[str]:
    """The tokens the policy reads for ``problem``: the start token, then its prompt characters."""
    return [BOS, *problem.prompt]


def decode(ids) -> str:
    """Text of a completion, stopping at the first end-of-sequence (padding is dropped)."""
    out = []
    for i in ids:
        token = VOCAB[int(i)]
        if token == EOS:
            break
        if token != PAD:
            out.append(token)
    return "".join(out)
