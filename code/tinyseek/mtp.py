"""Multi-token prediction (MTP): train one extra module to predict the token after next, then use it
as a draft for speculative decoding.

DeepSeek-V3 trains with one MTP module (depth D = 1, Section 2.2 of the report). For the token at
position ``i`` the main model produces its final hidden state ``h_i`` and predicts token ``i+1`` as
usual. The MTP module then takes ``h_i`` together with the *embedding* of the true token ``i+1``,
normalises both (RMSNorm), concatenates them and projects back to the model width (matrix ``M``),
runs its own transformer block over the sequence and predicts token ``i+2`` through the main
model's output head. The embedding and the output head are shared with the main model; the
projection and the block are the module's own. The training loss is
``L_main + lambda * L_MTP`` (V3: lambda = 0.3 for the first 10T tokens, then 0.1, Section 4.2).

At inference V3 can drop the module, or use it to *draft* the second token: one forward pass of
the main model then checks the draft and, when it is right, two tokens are committed for the
price of one pass (Section 5.4.3 reports an acceptance rate of 85-90% and 1.8 times the tokens per
second). :func:`speculative_step` is that step for greedy decoding; whatever the draft, the text
it returns is exactly what plain greedy decoding (:func:`greedy_decode`) returns.

The model here is a tiny character-level transformer on the generated corpus of
:mod:`tinyseek.moe_lm` (copy, reverse, arithmetic and a toy grammar), with dense SwiGLU blocks
(:class:`tinyseek.moe_lm.Block`). It has learned position embeddings and no KV cache: every
forward pass reruns the whole sequence, which changes the cost, not the tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import moe, moe_lm, validate


@dataclass(frozen=True)
class MTPConfig:
    """Shape of the tiny model and the MTP loss weight ``mtp_weight`` (the report's lambda)."""

    d_model: int = 32
    n_layers: int = 2
    n_heads: int = 4
    seq_len: int = 32
    d_ff: int = 64
    mtp_weight: float = 0.3

    def __post_init__(self):
        for name in ("d_model", "n_layers", "n_heads", "d_ff"):
            validate.integer(name, getattr(self, name), low=1, high=4096)
        validate.integer("seq_len", self.seq_len, low=4, high=4096)
        validate.number("mtp_weight", self.mtp_weight, low=0.0, high=10.0)
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads must divide d_model={self.d_model}, got {self.n_heads}")

    def block(self) -> moe_lm.Block:
        """A fresh pre-norm transformer block of this shape with a dense SwiGLU."""
        return moe_lm.Block(self.d_model, self.n_heads, moe.SwiGLU(self.d_model, self.d_ff))


class MTPModule(nn.Module):
    """V3's MTP module of depth 1: ``h'_i = M [RMSNorm(h_i); RMSNorm(Emb(t_{i+1}))]``, then its
    own transformer block and a final RMSNorm; the shared output head turns the result into logits
    for token ``i+2``."""

    def __init__(self, config: MTPConfig):
        super().__init__()
        d = config.d_model
        self.norm_h, self.norm_e, self.norm = nn.RMSNorm(d), nn.RMSNorm(d), nn.RMSNorm(d)
        self.proj = nn.Linear(2 * d, d, bias=False)                   # the report's M_k
        self.block = config.block()

    def forward(self, hidden: torch.Tensor, next_emb: torch.Tensor) -> torch.Tensor:
        """``hidden`` (B, T, d): the main model's states; ``next_emb`` (B, T, d): embeddings of the
        tokens one step ahead. Returns the module's states (B, T, d), ready for the head."""
        h = self.proj(torch.cat([self.norm_h(hidden), self.norm_e(next_emb)], dim=-1))
        h, _ = self.block(h)
        return self.norm(h)


class MTPLM(moe_lm.Stack):
    """Character-level transformer (:class:`tinyseek.moe_lm.Stack` with dense SwiGLU blocks) with
    (``mtp=True``) or without an MTP module.

    ``forward(ids)`` returns ``(logits, hidden)``: next-token logits (B, T, V) and the final
    hidden states before the output norm (B, T, d), which the MTP module reads.
    """

    def __init__(self, config: MTPConfig = MTPConfig(), mtp: bool = True):
        if not isinstance(config, MTPConfig):
            raise TypeError(f"config must be an MTPConfig, got {type(config).__name__}")
        if not isinstance(mtp, bool):
            raise TypeError(f"mtp must be True or False, got {mtp!r}")
        c = config
        super().__init__(c.d_model, c.n_heads, c.n_layers, c.seq_len, lambda: moe.SwiGLU(c.d_model, c.d_ff))
        self.config = config
        self.mtp = MTPModule(c) if mtp else None

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids (B, T), T at most ``seq_len`` -> next-token logits (B, T, V) and hidden states
        (B, T, d)."""
        x, _ = self.hidden(ids)
        return self.head(self.norm(x)), x

    def draft_logits(self, hidden: torch.Tensor, next_ids: torch.Tensor) -> torch.Tensor:
        """MTP logits (B, T, V): at position ``i``, for token ``i+2``, given ``hidden[:, i]`` and
        ``next_ids[:, i]``, the token at ``i+1``. Embedding and head are the main model's."""
        if self.mtp is None:
            raise ValueError("this model was built with mtp=False: it has no MTP module")
        return self.head(self.mtp(hidden, self.embed(next_ids)))


def losses(model: MTPLM, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Mean cross-entropy of the next token (``y``: the inputs ``x`` shifted by one), and of the
    token after next from the MTP module (``None`` without one), in nats per token."""
    logits, hidden = model(x)
    main = F.cross_entropy(logits.transpose(1, 2), y)
    if model.mtp is None:
        return main, None
    draft = model.draft_logits(hidden[:, :-1], y[:, :-1])           # predicts y[:, 1:]
    return main, F.cross_entropy(draft.transpose(1, 2), y[:, 1:])


@dataclass
class MTPRun:
    """A finished run: the model, the training losses per step (main and MTP; NaN without MTP),
    the held-out next-token loss per domain, and the seconds it took."""

    model: MTPLM
    main_loss: np.ndarray
    mtp_loss: np.ndarray
    eval_loss: dict[str, float]
    seconds: float


def train(mtp: bool = True, config: MTPConfig = MTPConfig(), steps: int = 300, batch_size: int = 16,
          lr: float = 1e-2, seed: int = 0) -> MTPRun:
    """Train a fresh :class:`MTPLM` with AdamW on ``L_main + mtp_weight * L_MTP``; deterministic
    for a seed, and the same batches and initial trunk for ``mtp=True`` and ``False``."""
    validate.integer("steps", steps, low=1, high=100_000)
    validate.integer("batch_size", batch_size, low=1, high=4096)
    validate.positive("lr", lr, high=1.0)
    validate.integer("seed", seed, low=0)
    torch.manual_seed(seed)
    model = MTPLM(config, mtp)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    rng, start = np.random.default_rng(seed), time.perf_counter()
    main_loss, mtp_loss = np.empty(steps), np.full(steps, np.nan)
    for step in range(steps):
        x, y, _ = moe_lm.batch(batch_size, config.seq_len, rng)
        main, extra = losses(model, x, y)
        total = main if extra is None else main + config.mtp_weight * extra
        opt.zero_grad()
        total.backward()
        opt.step()
        main_loss[step] = main.item()
        if extra is not None:
            mtp_loss[step] = extra.item()
    return MTPRun(model, main_loss, mtp_loss, evaluate(model), time.perf_counter() - start)


def evaluate(model: MTPLM, n_seqs: int = 64, seed: int = 12345) -> dict[str, float]:
    """Mean next-token loss (nats) per domain on freshly generated text, and ``"all"``."""
    x, y, d = moe_lm.batch(n_seqs * len(moe_lm.DOMAINS), model.config.seq_len,
                           np.random.default_rng(seed))
    model.eval()
    with torch.no_grad():
        logits, _ = model(x)
    model.train()
    loss = F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1)
    out = {name: float(loss[d == i].mean()) for i, name in enumerate(moe_lm.DOMAINS)}
    out["all"] = float(loss.mean())
    return out


# ---- decoding ----------------------------------------------------------------------------------

def _check_decode(model: MTPLM, prompt: torch.Tensor, n_new: int, extra: int) -> torch.Tensor:
    if not isinstance(model, MTPLM):
        raise TypeError(f"model must be an MTPLM, got {type(model).__name__}")
    if not isinstance(prompt, torch.Tensor) or prompt.dim() != 1 or len(prompt) == 0:
        raise ValueError("prompt must be a non-empty 1-D tensor of token ids")
    room = model.config.seq_len - extra - len(prompt)
    validate.integer("n_new", n_new, low=1, high=max(1, room))
    if room < 1:
        raise ValueError(f"prompt too long: at most {model.config.seq_len - extra - 1} tokens")
    return prompt.long()


@torch.no_grad()
def greedy_decode(model: MTPLM, prompt: torch.Tensor, n_new: int) -> torch.Tensor:
    """``n_new`` tokens of plain greedy decoding after ``prompt`` (1-D ids): one forward pass of
    the main model per token, each taking the most likely next token."""
    seq = _check_decode(model, prompt, n_new, extra=0)
    for _ in range(n_new):
        logits, _ = model(seq[None])
        seq = torch.cat([seq, logits[0, -1].argmax().view(1)])
    return seq[len(prompt):]


def draft(model: MTPLM, hidden: torch.Tensor, seq: torch.Tensor, nxt: int) -> int:
    """The MTP module's guess for the token after ``nxt``: it reads each hidden state of ``seq``
    (1, T, d) beside the embedding of the token that follows it (the last one being ``nxt``)."""
    next_ids = torch.cat([seq[1:], torch.tensor([nxt])])[None]
    return int(model.draft_logits(hidden, next_ids)[0, -1].argmax())


@torch.no_grad()
def speculative_step(model: MTPLM, seq: torch.Tensor, nxt: int, guess: int):
    """One forward pass of the main model over ``seq + [nxt, guess]``.

    ``nxt`` is the greedy next token (already certain); ``guess`` is the MTP draft of the token
    after it. The pass gives the greedy token after ``nxt``: if it equals ``guess`` both are
    committed, otherwise only ``nxt``. Returns ``(committed sequence, its greedy next token,
    a new draft, whether the guess was accepted)``.
    """
    ids = torch.cat([seq, torch.tensor([nxt, guess])])
    logits, hidden = model(ids[None])
    greedy = logits[0].argmax(-1)                   # greedy[i]: the token after ids[: i + 1]
    accepted = int(greedy[len(seq)]) == guess
    keep = len(seq) + (2 if accepted else 1)        # the states up to keep - 1 saw no wrong token
    seq, nxt = ids[:keep], int(greedy[keep - 1])
    return seq, nxt, draft(model, hidden[:, :keep], seq, nxt), accepted


@dataclass(frozen=True)
class Decoded:
    """What :func:`speculative_decode` produced: the tokens, main-model forward passes, drafts
    checked and drafts accepted."""

    tokens: torch.Tensor
    forwards: int
    drafted: int
    accepted: int

    @property
    def acceptance(self) -> float:
        """Share of drafted second tokens that the main model confirmed."""
        return self.accepted / self.drafted if self.drafted else float("nan")

    @property
    def tokens_per_forward(self) -> float:
        """Generated tokens per forward pass of the main model (greedy decoding: exactly 1)."""
        return len(self.tokens) / self.forwards


@torch.no_grad()
def speculative_decode(model: MTPLM, prompt: torch.Tensor, n_new: int) -> Decoded:
    """``n_new`` greedy tokens after ``prompt``, drafting every second token with the MTP module
    and checking it in the next forward pass (:func:`speculative_step`)."""
    seq = _check_decode(model, prompt, n_new, extra=1)
    logits, hidden = model(seq[None])
    nxt = int(logits[0, -1].argmax())
    guess = draft(model, hidden, seq, nxt)
    forwards, accepted, target = 1, 0, len(prompt) + n_new
    while len(seq) < target:
        seq, nxt, guess, ok = speculative_step(model, seq, nxt, guess)
        forwards, accepted = forwards + 1, accepted + ok
    return Decoded(seq[len(prompt):target], forwards, forwards - 1, accepted)


def prompts(n: int, length: int = 8, seed: int = 2024) -> tuple[torch.Tensor, list[str]]:
    """``n`` prompts of ``length`` characters of fresh text, the domains in turn: ids (n, length)
    and the domain of each."""
    validate.integer("n", n, low=1, high=10_000)
    validate.integer("length", length, low=1, high=1000)
    x, _, d = moe_lm.batch(n, length, np.random.default_rng(seed))
    return x, [moe_lm.DOMAINS[i] for i in d.tolist()]


def acceptance_by_domain(model: MTPLM, n_prompts: int = 32, length: int = 8,
                         n_new: int | None = None) -> dict[str, dict[str, float]]:
    """Speculative decoding of ``n_prompts`` fresh prompts (:func:`prompts`), pooled per domain
    and over all (``"all"``): ``acceptance`` (accepted / drafted), ``tokens_per_forward``
    (generated tokens / main-model passes) and ``drafted``. ``n_new`` defaults to the room left."""
    n_new = model.config.seq_len - 1 - length if n_new is None else n_new
    x, domains = prompts(n_prompts, length)
    totals: dict[str, np.ndarray] = {}
    for ids, dom in zip(x, domains, strict=True):
        run = speculative_decode(model, ids, n_new)
        counts = np.array([n_new, run.forwards, run.drafted, run.accepted])
        for key in (dom, "all"):
            totals[key] = totals.get(key, 0) + counts
    return {k: {"acceptance": float(a / d), "tokens_per_forward": float(n / f), "drafted": int(d)}
            for k, (n, f, d, a) in totals.items()}
