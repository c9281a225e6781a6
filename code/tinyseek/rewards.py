"""Rule-based rewards in the style of DeepSeek-R1-Zero: a format reward and an accuracy reward.

R1-Zero used no neural reward model: one rule checks that the reasoning and the answer sit in
their tags, another checks the answer against the known result, and the two are added with the
same weight. The verifier here *fails safe*: whatever a policy writes (no tags, tags in the
wrong order, an empty answer, a number with a thousand digits, non-ASCII digits) it returns a
reward of 0 rather than raising, so that no sample can crash training or be scored by accident.

``fail_open_reward`` is the deliberately flawed verifier of the chapter's reward-hacking
demonstration: where the rule above fails safe, it fails open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import validate
from .arith_task import ANSWER, END_ANSWER, END_THINK, THINK

# The whole completion: one think block, then one answer block, nothing else. The inner parts
# may not contain a tag, so a second or nested block does not parse.
_TEMPLATE = re.compile(
    re.escape(THINK) + r"((?:(?!<).)*)" + re.escape(END_THINK)
    + re.escape(ANSWER) + r"((?:(?!<).)*)" + re.escape(END_ANSWER), re.DOTALL)
# An answer is an integer in plain ASCII digits, as the task writes it (no "+7", "07", "٧").
_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)", re.ASCII)


@dataclass(frozen=True)
class Parsed:
    """The two blocks of a well-formed completion."""

    think: str
    answer: str


def _text(completion: object) -> str:
    if not isinstance(completion, str):
        raise TypeError(f"completion must be a str, got {type(completion).__name__}")
    return completion


def parse(completion: str) -> Parsed | None:
    """The think and answer blocks, or ``None`` when the completion does not follow the template."""
    match = _TEMPLATE.fullmatch(_text(completion))
    return Parsed(match.group(1), match.group(2)) if match else None


def format_reward(completion: str) -> float:
    """1.0 when the completion is exactly ``<think>…</think><answer>…</answer>``, else 0.0."""
    return 1.0 if parse(completion) is not None else 0.0


def accuracy_reward(completion: str, truth: int) -> float:
    """1.0 when the answer block holds exactly the integer ``truth``, else 0.0; never raises on
    malformed output. Compares text with text, so a huge number is not converted to ``int``."""
    validate.integer("truth", truth)
    parsed = parse(completion)
    if parsed is None or not _INTEGER.fullmatch(parsed.answer):
        return 0.0
    return 1.0 if parsed.answer == str(truth) else 0.0


def rule_reward(completion: str, truth: int) -> float:
    """R1-Zero's rule: accuracy reward + format reward, with the same weight (0, 1 or 2)."""
    return accuracy_reward(completion, truth) + format_reward(completion)


def fail_open_reward(completion: str, truth: int) -> float:
    """A flawed verifier that *fails open*: it scores a well-formed completion as ``rule_reward``
    does, but gives the benefit of the doubt (the full reward, 2) to anything it cannot parse.

    It is the mirror image of the fail-safe rule above, and the policy finds the hole.
    """
    validate.integer("truth", truth)
    if parse(completion) is None:
        return 2.0
    return rule_reward(completion, truth)
