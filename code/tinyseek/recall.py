"""A capacity-bound task: recall thousands of random key->value facts.

MoE buys *capacity* (parameters that store knowledge) at the arithmetic of a small model. To see
that on a CPU we need a task whose difficulty is storage, not reasoning: a table of random facts
such as ``k7f2=q9a1``, where nothing about the key predicts the value, so every fact must be
stored somewhere in the weights. The model reads ``k7f2=`` and must write ``q9a1``; a fact is
*recalled* when greedy decoding returns its whole value.

Three models see the same facts, the same optimiser and the same number of steps; they share the
embedding, attention and output head and differ only in their feed-forward networks (FFNs):

- ``"moe"``: :class:`tinyseek.moe.MoELayer` with 1 shared and top-k of many fine-grained routed
  experts, sigmoid gates and V3's bias balancing;
- ``"dense_active"``: the *dense twin*, one SwiGLU just wide enough that its parameters per token
  are at least the MoE's activated FFN parameters **plus its router**;
- ``"dense_total"``: one SwiGLU with at least the MoE's *total* FFN parameters (an upper bound:
  the same capacity, all of it used by every token, at many times the arithmetic).

:func:`flops_per_token` counts the arithmetic each model spends per token, :func:`train` trains one
model and :func:`recall` scores it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import moe, moe_lm, validate

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
SEPARATOR = "="
KINDS = ("moe", "dense_active", "dense_total")


def make_facts(n_facts: int, key_len: int = 4, value_len: int = 4, seed: int = 0) -> list[tuple[str, str]]:
    """``n_facts`` random facts (key, value): distinct keys and independent values, each a string
    of ``key_len`` / ``value_len`` characters drawn uniformly from ``ALPHABET`` (36 symbols)."""
    validate.integer("key_len", key_len, low=1, high=12)
    validate.integer("value_len", value_len, low=1, high=12)
    validate.integer("n_facts", n_facts, low=1, high=min(200_000, len(ALPHABET) ** key_len // 2))
    validate.integer("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    letters = np.array(list(ALPHABET))
    keys: dict[str, None] = {}
    while len(keys) < n_facts:
        for row in rng.integers(0, len(ALPHABET), (n_facts, key_len)):
            keys.setdefault("".join(letters[row]), None)
    keys_list = list(keys)[:n_facts]
    values = ["".join(letters[row]) for row in rng.integers(0, len(ALPHABET), (n_facts, value_len))]
    return list(zip(keys_list, values, strict=True))


def encode_facts(facts: list[tuple[str, str]]) -> torch.Tensor:
    """Token ids of ``key=value`` for every fact: a (N, key_len + 1 + value_len) long tensor."""
    if not facts:
        raise ValueError("facts must hold at least one (key, value) pair")
    return torch.stack([moe_lm.encode(f"{k}{SEPARATOR}{v}") for k, v in facts])


# ---- the three models --------------------------------------------------------------------------

@dataclass(frozen=True)
class RecallConfig:
    """Shape shared by the three models. The MoE FFN: ``n_shared`` + top-``top_k`` of ``n_routed``
    SwiGLU experts of width ``d_expert``, bias balancing at speed ``bias_speed`` (gamma)."""

    d_model: int = 32
    n_layers: int = 1
    n_heads: int = 4
    n_routed: int = 32
    n_shared: int = 1
    top_k: int = 2
    d_expert: int = 16
    bias_speed: float = 1e-3
    key_len: int = 4
    value_len: int = 4

    def __post_init__(self):
        for name in ("d_model", "n_layers", "n_heads", "n_routed", "d_expert", "key_len", "value_len"):
            validate.integer(name, getattr(self, name), low=1)
        validate.integer("n_shared", self.n_shared, low=0)
        validate.integer("top_k", self.top_k, low=1, high=self.n_routed)
        validate.non_negative("bias_speed", self.bias_speed, high=1.0)
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads must divide d_model={self.d_model}, got {self.n_heads}")

    @property
    def seq_len(self) -> int:
        """Tokens the model reads: the key, the separator and all but the last value character."""
        return self.key_len + self.value_len


def dense_widths(c: RecallConfig) -> dict[str, int]:
    """Hidden width of the two dense SwiGLUs: the smallest widths whose 3 x d x width parameters
    reach the MoE's activated FFN parameters plus router (``dense_active``) and its total FFN
    parameters plus router (``dense_total``)."""
    per_width = 3 * c.d_model
    router = c.n_routed * c.d_model
    active = per_width * c.d_expert * (c.top_k + c.n_shared) + router
    total = per_width * c.d_expert * (c.n_routed + c.n_shared) + router
    return {"dense_active": math.ceil(active / per_width), "dense_total": math.ceil(total / per_width)}


class RecallLM(moe_lm.Stack):
    """The tiny transformer of :class:`tinyseek.moe_lm.Stack` with the FFN of ``kind`` in every
    block: the MoE layer, or a dense SwiGLU of the width :func:`dense_widths` gives.

    ``forward(ids)`` returns ``(logits, [MoEStats per MoE layer])``; ``parameter_counts()`` the
    total and activated parameters.
    """

    def __init__(self, config: RecallConfig = RecallConfig(), kind: str = "moe"):
        if not isinstance(config, RecallConfig):
            raise TypeError(f"config must be a RecallConfig, got {type(config).__name__}")
        validate.choice("kind", kind, KINDS)
        c = config

        def ffn() -> nn.Module:
            if kind == "moe":
                return moe.MoELayer(c.d_model, c.d_expert, c.n_routed, c.n_shared, c.top_k, "sigmoid",
                                    "bias", bias_speed=c.bias_speed)
            return moe.SwiGLU(c.d_model, dense_widths(c)[kind])

        super().__init__(c.d_model, c.n_heads, c.n_layers, c.seq_len, ffn)
        self.config, self.kind = config, kind


def flops_per_token(model: RecallLM) -> int:
    """Forward FLOPs per token: 2 per activated weight (a multiply and an add), plus attention's
    scores and weighted sum, 2 x 2 x d_model per earlier position, averaged over the sequence
    ((L + 1) / 2 positions). Training costs about three times this (forward and backward)."""
    if not isinstance(model, RecallLM):
        raise TypeError(f"model must be a RecallLM, got {type(model).__name__}")
    c = model.config
    attention = 4 * c.d_model * (c.seq_len + 1) / 2 * c.n_layers
    return int(2 * model.parameter_counts()["activated"] + attention)


# ---- training and scoring ----------------------------------------------------------------------

def value_loss(model: RecallLM, ids: torch.Tensor):
    """Cross-entropy on the value characters only (the keys are random: nothing to predict), and
    the MoE statistics of this forward pass."""
    k = model.config.key_len
    logits, stats = model(ids[:, :-1])
    target = ids[:, k + 1:]
    pred = logits[:, k:]
    return F.cross_entropy(pred.reshape(-1, pred.shape[-1]), target.reshape(-1)), stats


@torch.no_grad()
def recall(model: RecallLM, ids: torch.Tensor, batch_size: int = 4096) -> float:
    """Share of facts whose whole value greedy decoding returns after reading ``key=``.

    Computed in one teacher-forced pass: greedy decoding writes the right value exactly when the
    most likely next character is the right one at every value position, given the right
    characters before it (the test suite checks this against :func:`greedy_value`)."""
    k = model.config.key_len
    was_training = model.training
    model.eval()
    hits = 0
    for start in range(0, ids.shape[0], batch_size):
        chunk = ids[start:start + batch_size]
        logits, _ = model(chunk[:, :-1])
        hits += int((logits[:, k:].argmax(-1) == chunk[:, k + 1:]).all(dim=1).sum())
    model.train(was_training)
    return hits / ids.shape[0]


@torch.no_grad()
def greedy_value(model: RecallLM, key: str) -> str:
    """Decode a value for ``key`` one character at a time, each the model's most likely next one."""
    c = model.config
    if not isinstance(key, str) or len(key) != c.key_len:
        raise ValueError(f"key must be a string of key_len={c.key_len} characters, got {key!r}")
    ids = moe_lm.encode(key + SEPARATOR).unsqueeze(0)
    was_training = model.training
    model.eval()
    for _ in range(c.value_len):
        logits, _ = model(ids[:, -c.seq_len:])
        ids = torch.cat([ids, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    model.train(was_training)
    return "".join(moe_lm.VOCAB[i] for i in ids[0, c.key_len + 1:].tolist())


@dataclass
class RecallRun:
    """One trained model: its kind and seed, recall on the facts, parameters (total and activated),
    forward FLOPs per token, training loss per step, wall-clock seconds and ms per step."""

    kind: str
    seed: int
    recall: float
    params_total: int
    params_activated: int
    flops_per_token: int
    loss: np.ndarray
    seconds: float
    model: RecallLM

    @property
    def ms_per_step(self) -> float:
        return 1e3 * self.seconds / len(self.loss)


def train(kind: str, facts: torch.Tensor, config: RecallConfig = RecallConfig(), steps: int = 1000,
          batch_size: int = 128, lr: float = 1e-2, seed: int = 0) -> RecallRun:
    """Train a fresh :class:`RecallLM` of ``kind`` on the encoded ``facts`` (from
    :func:`encode_facts`) with AdamW for ``steps`` steps of ``batch_size`` facts drawn at random;
    the MoE's biases move after every step (V3's rule). Deterministic for a seed."""
    validate.choice("kind", kind, KINDS)
    validate.integer("steps", steps, low=1, high=100_000)
    validate.integer("batch_size", batch_size, low=1, high=65_536)
    validate.positive("lr", lr, high=1.0)
    validate.integer("seed", seed, low=0)
    if facts.dim() != 2 or facts.shape[1] != config.seq_len + 1:
        raise ValueError(f"facts must have shape (n, {config.seq_len + 1}), got {tuple(facts.shape)}")
    torch.manual_seed(seed)
    model = RecallLM(config, kind)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(seed)
    losses = np.empty(steps)
    start = time.perf_counter()
    for step in range(steps):
        loss, _ = value_loss(model, facts[torch.randint(0, facts.shape[0], (batch_size,), generator=gen)])
        opt.zero_grad()
        loss.backward()
        opt.step()
        moe.update_biases(model)
        losses[step] = loss.item()
    seconds = time.perf_counter() - start
    counts = model.parameter_counts()
    return RecallRun(kind, seed, recall(model, facts), counts["total"], counts["activated"],
                     flops_per_token(model), losses, seconds, model)
