"""A tiny MoE language model, its dense twin, and a generated corpus of four "domains".

The corpus mixes four clearly different kinds of text, one kind per sequence, character by
character: ``arithmetic`` ("37+45=82;"), ``copy`` ("cabd>cabd;"), ``reverse`` ("cabd<dbac;") and a
toy ``grammar`` ("the cat sees a dog;"). The model is a small pre-norm transformer whose
feed-forward blocks are either :class:`tinyseek.moe.MoELayer` (``kind="moe"``) or a dense SwiGLU
with the hidden width of the experts one token uses (``kind="dense"``): the *dense twin*, with the
same activated parameters per token and far fewer in total.

:func:`train` trains either for a fixed number of steps (seconds on a CPU) and records the loss
and the load balance (max/mean tokens per expert) at every step; :func:`domain_routing` measures
how each domain's tokens spread over the experts, to see whether experts specialise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import moe, validate

DOMAINS = ("arithmetic", "copy", "reverse", "grammar")
VOCAB = "0123456789+=;<> abcdefghijklmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(VOCAB)}
_LETTERS = tuple("abcdefgh")
_NOUNS, _VERBS = ("cat", "dog", "bird", "fox", "king", "cook"), ("sees", "likes", "finds", "hears")
_DETS = ("the", "a")
KINDS = ("moe", "dense")


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> list[str]:
    """``n`` draws with replacement from ``options``: the draws of ``rng.choice(options, n)``
    (the same random numbers), without its conversion of ``options`` to an array at every call."""
    return [options[i] for i in rng.integers(0, len(options), n)]


def sample_item(domain: str, rng: np.random.Generator) -> str:
    """One item of ``domain``, ending in ';'."""
    validate.choice("domain", domain, DOMAINS)
    if domain == "arithmetic":
        a, b = rng.integers(0, 100, 2)
        return f"{a}+{b}={a + b};"
    if domain == "grammar":
        d1, d2 = _pick(rng, _DETS, 2)
        n1, n2 = _pick(rng, _NOUNS, 2)
        return f"{d1} {n1} {_pick(rng, _VERBS, 1)[0]} {d2} {n2};"
    word = "".join(_pick(rng, _LETTERS, rng.integers(3, 7)))
    return f"{word}>{word};" if domain == "copy" else f"{word}<{word[::-1]};"


def sample_text(domain: str, length: int, rng: np.random.Generator) -> str:
    """``length`` characters of ``domain``: items one after another, starting mid-item at random
    (as a window cut from a long document would)."""
    validate.integer("length", length, low=1, high=100_000)
    text = ""
    while len(text) < length + 12:
        text += sample_item(domain, rng)
    start = int(rng.integers(0, 12))
    return text[start:start + length]


def encode(text: str) -> torch.Tensor:
    """Characters to token ids; raises ValueError naming any character outside ``VOCAB``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    bad = sorted(set(text) - set(VOCAB))
    if bad:
        raise ValueError(f"text may only use the characters {VOCAB!r}; got {''.join(bad)!r}")
    return torch.tensor([_INDEX[c] for c in text], dtype=torch.long)


def batch(n_seqs: int, seq_len: int, rng: np.random.Generator):
    """``n_seqs`` sequences of ``seq_len + 1`` characters, domains in equal turns ->
    (inputs (B, L), targets (B, L), domain index per sequence (B,))."""
    validate.integer("n_seqs", n_seqs, low=1)
    validate.integer("seq_len", seq_len, low=1)
    domains = torch.arange(n_seqs) % len(DOMAINS)
    seqs = torch.stack([encode(sample_text(DOMAINS[d], seq_len + 1, rng)) for d in domains.tolist()])
    return seqs[:, :-1], seqs[:, 1:], domains


# ---- the model ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LMConfig:
    """Shape of the tiny model. The dense twin's FFN width is ``(top_k + n_shared) × d_expert``."""

    d_model: int = 48
    n_layers: int = 2
    n_heads: int = 4
    seq_len: int = 32
    n_routed: int = 8
    n_shared: int = 1
    top_k: int = 2
    d_expert: int = 32
    gate: str = "sigmoid"
    aux_alpha: float = 0.01
    bias_speed: float = 0.01

    def __post_init__(self):
        for name in ("d_model", "n_layers", "n_heads", "seq_len", "n_routed", "d_expert"):
            validate.integer(name, getattr(self, name), low=1)
        validate.integer("n_shared", self.n_shared, low=0)
        validate.integer("top_k", self.top_k, low=1, high=self.n_routed)
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads must divide d_model={self.d_model}, got {self.n_heads}")


class Block(nn.Module):
    """Pre-norm transformer block: causal self-attention, then the feed-forward ``ffn``.

    ``forward(x)`` returns ``(x, stats)``: ``stats`` is what a MoE ``ffn`` returns beside its
    output (:class:`tinyseek.moe.MoEStats`), ``None`` for a dense one. It computes what the
    primer's :class:`tinyseek.transformer.Block` computes, with PyTorch's fused
    ``scaled_dot_product_attention`` in place of the readable
    :func:`tinyseek.transformer.causal_attention` (equal within rounding, faster at these sizes)
    and no KV cache: the models built on it rerun the whole sequence at every step.
    """

    def __init__(self, d_model: int, n_heads: int, ffn: nn.Module):
        super().__init__()
        validate.integer("d_model", d_model, low=1)
        validate.integer("n_heads", n_heads, low=1, high=d_model)
        if d_model % n_heads:
            raise ValueError(f"n_heads must divide d_model={d_model}, got {n_heads}")
        if not isinstance(ffn, nn.Module):
            raise TypeError(f"ffn must be a torch.nn.Module, got {type(ffn).__name__}")
        self.n_heads = n_heads
        self.norm1, self.norm2 = nn.RMSNorm(d_model), nn.RMSNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=False)
        self.proj = nn.Linear(d_model, d_model, bias=False)
        self.ffn = ffn

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, moe.MoEStats | None]:
        """``x`` (B, T, d) -> the block's output (B, T, d) and the FFN's statistics (or None)."""
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(d, dim=-1)
        q, k, v = (z.reshape(b, t, self.n_heads, -1).transpose(1, 2) for z in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
        h = self.ffn(self.norm2(x))
        h, stats = h if isinstance(h, tuple) else (h, None)
        return x + h, stats


class Stack(nn.Module):
    """The transformer every tiny model of chapters 4 and 5 is built on (:class:`TinyLM`,
    :class:`tinyseek.recall.RecallLM`, :class:`tinyseek.mtp.MTPLM`): character embedding plus
    learned positions, ``n_layers`` pre-norm blocks (:class:`Block`), each with a fresh FFN from
    ``ffn()``, a final RMSNorm and the output head over ``VOCAB``.

    ``forward(ids)`` returns ``(logits, [MoEStats per MoE layer])`` (an empty list when dense);
    :meth:`hidden` the states before the final norm.
    """

    def __init__(self, d_model: int, n_heads: int, n_layers: int, seq_len: int, ffn: Callable[[], nn.Module]):
        super().__init__()
        validate.integer("n_layers", n_layers, low=1)
        validate.integer("seq_len", seq_len, low=1)
        if not callable(ffn):
            raise TypeError(f"ffn must build an FFN module when called, got {type(ffn).__name__}")
        self.embed = nn.Embedding(len(VOCAB), d_model)
        self.pos = nn.Parameter(torch.randn(seq_len, d_model) * 0.02)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, ffn()) for _ in range(n_layers))
        self.norm = nn.RMSNorm(d_model)
        self.head = nn.Linear(d_model, len(VOCAB), bias=False)

    def hidden(self, ids: torch.Tensor) -> tuple[torch.Tensor, list[moe.MoEStats]]:
        """Token ids (B, T), T at most the context -> states after the last block (B, T, d) and
        the MoE statistics of each MoE layer."""
        seq_len = self.pos.shape[0]
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or not 1 <= ids.shape[1] <= seq_len:
            raise ValueError(f"ids must be a tensor of shape (batch, 1 to {seq_len}), got "
                             f"{tuple(getattr(ids, 'shape', ()))}")
        x = self.embed(ids) + self.pos[: ids.shape[1]]
        stats = []
        for block in self.blocks:
            x, s = block(x)
            if s is not None:
                stats.append(s)
        return x, stats

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, list[moe.MoEStats]]:
        """Token ids (B, T) -> next-character logits (B, T, len(VOCAB)) and the MoE statistics."""
        x, stats = self.hidden(ids)
        return self.head(self.norm(x)), stats

    def parameter_counts(self) -> dict[str, int]:
        """Total parameters, and activated ones: those one token's forward pass multiplies by (all
        but the unchosen routed experts and the embedding table, the convention of
        :class:`tinyseek.moe.ParamCount`); routers count as activated."""
        total = sum(p.numel() for p in self.parameters())
        unused = self.embed.weight.numel()
        for m in self.modules():
            if isinstance(m, moe.MoELayer):
                unused += (m.n_routed - m.top_k) * 3 * m.d_model * m.d_expert
        return {"total": total, "activated": total - unused}


class TinyLM(Stack):
    """Character-level transformer (:class:`Stack`) with MoE (``kind="moe"``) or dense twin
    (``"dense"``) FFNs.

    ``forward(ids)`` returns ``(logits, [MoEStats per MoE layer])`` (an empty list when dense).
    """

    def __init__(self, config: LMConfig = LMConfig(), kind: str = "moe", balance: str | None = None):
        if not isinstance(config, LMConfig):
            raise TypeError(f"config must be an LMConfig, got {type(config).__name__}")
        validate.choice("kind", kind, KINDS)
        validate.choice("balance", balance, moe.BALANCES)
        if kind == "dense" and balance is not None:
            raise ValueError("balance applies to kind='moe' only; use balance=None for dense")
        c = config

        def ffn():
            if kind == "dense":
                return moe.SwiGLU(c.d_model, (c.top_k + c.n_shared) * c.d_expert)
            return moe.MoELayer(c.d_model, c.d_expert, c.n_routed, c.n_shared, c.top_k, c.gate,
                                balance, aux_alpha=c.aux_alpha, bias_speed=c.bias_speed)

        super().__init__(c.d_model, c.n_heads, c.n_layers, c.seq_len, ffn)
        self.config, self.kind = config, kind


# ---- training ----------------------------------------------------------------------------------

@dataclass
class TrainRun:
    """A finished run: the model, the loss at every step, and (MoE only) max/mean expert load at
    every step, averaged over the MoE layers; ``eval_loss`` per domain on held-out text."""

    name: str
    model: TinyLM
    loss: np.ndarray
    max_over_mean: np.ndarray
    eval_loss: dict[str, float]
    seconds: float


def _run_on_fresh_text(model: TinyLM, n_seqs: int, seed: int):
    """``n_seqs`` sequences per domain of newly generated text, through ``model`` in eval mode
    without gradients: (inputs, targets, domain per sequence, the model's output)."""
    x, y, d = batch(n_seqs * len(DOMAINS), model.config.seq_len, np.random.default_rng(seed))
    model.eval()
    with torch.no_grad():
        out = model(x)
    model.train()
    return x, y, d, out


def evaluate(model: TinyLM, n_seqs: int = 64, seed: int = 12345) -> dict[str, float]:
    """Mean next-character loss per domain on freshly generated text (never seen in training)."""
    _, y, d, (logits, _) = _run_on_fresh_text(model, n_seqs, seed)
    loss = F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1)
    return {name: float(loss[d == i].mean()) for i, name in enumerate(DOMAINS)}


def train(kind: str = "moe", balance: str | None = None, config: LMConfig = LMConfig(),
          steps: int = 300, batch_size: int = 32, lr: float = 3e-3, seed: int = 0) -> TrainRun:
    """Train a fresh :class:`TinyLM` with AdamW on generated text; deterministic for a seed.

    With ``balance="bias"`` the expert biases are nudged after every optimiser step (V3's rule);
    with ``"aux_loss"`` the balance loss is added to the language-model loss.
    """
    validate.integer("steps", steps, low=1, high=100_000)
    validate.integer("batch_size", batch_size, low=1, high=4096)
    validate.positive("lr", lr, high=1.0)
    validate.integer("seed", seed, low=0)
    torch.manual_seed(seed)
    model = TinyLM(config, kind, balance)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    rng = np.random.default_rng(seed)
    losses, ratios = np.empty(steps), np.full(steps, np.nan)
    start = time.perf_counter()
    for step in range(steps):
        x, y, _ = batch(batch_size, config.seq_len, rng)
        logits, stats = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        total = loss + sum(s.aux_loss for s in stats)
        opt.zero_grad()
        total.backward()
        opt.step()
        moe.update_biases(model)
        losses[step] = loss.item()
        if stats:
            ratios[step] = float(np.mean([s.max_over_mean for s in stats]))
    name = "dense twin" if kind == "dense" else f"MoE, balance={balance}"
    return TrainRun(name, model, losses, ratios, evaluate(model), time.perf_counter() - start)


# ---- what the router does with each domain -----------------------------------------------------

def domain_routing(model: TinyLM, layer: int = -1, n_seqs: int = 32, seed: int = 7) -> np.ndarray:
    """Share of each domain's (token, expert) choices that go to each routed expert in MoE layer
    ``layer``: an array (domains, experts) whose rows sum to 1."""
    if not isinstance(model, TinyLM) or model.kind != "moe":
        raise ValueError("model must be a TinyLM with kind='moe'")
    moe_layers = [b.ffn for b in model.blocks]
    validate.integer("layer", layer, low=-len(moe_layers), high=len(moe_layers) - 1)
    x, _, d, (_, stats) = _run_on_fresh_text(model, n_seqs, seed)
    experts = stats[layer].routing.experts.reshape(x.shape[0], -1)      # (B, L*k)
    n = model.config.n_routed
    share = np.stack([np.bincount(experts[d == i].reshape(-1).numpy(), minlength=n)
                      for i in range(len(DOMAINS))]).astype(float)
    return share / share.sum(axis=1, keepdims=True)


def specialisation(share: np.ndarray) -> float:
    """How much knowing the domain tells about the expert: the mutual information between domain
    and chosen expert, in bits (domains equally likely). 0: every domain routes alike; at most
    log2(number of domains) = 2 bits when each expert serves one domain only."""
    share = np.asarray(share, dtype=float)
    if share.ndim != 2 or (share < 0).any() or not np.allclose(share.sum(1), 1):
        raise ValueError("share must be a (domains, experts) array of rows that sum to 1")
    joint = share / share.shape[0]
    marginal = joint.sum(0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(joint > 0, joint * np.log2(joint / (marginal / share.shape[0])), 0.0)
    return float(terms.sum())


def token_routing(model: TinyLM, text: str, layer: int = -1):
    """Per character of ``text``: the experts MoE layer ``layer`` chose and their gates ->
    (characters, experts (L, k), gates (L, k)). ``text`` is cut to the model's context."""
    if not isinstance(model, TinyLM) or model.kind != "moe":
        raise ValueError("model must be a TinyLM with kind='moe'")
    ids = encode(text)[: model.config.seq_len]
    if len(ids) == 0:
        raise ValueError("text must contain at least one character")
    validate.integer("layer", layer, low=-model.config.n_layers, high=model.config.n_layers - 1)
    model.eval()
    with torch.no_grad():
        _, stats = model(ids.unsqueeze(0))
    model.train()
    r = stats[layer].routing
    return list(text[: len(ids)]), r.experts.numpy(), r.weights.numpy()

