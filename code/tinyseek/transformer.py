"""A character-level transformer language model, built from scratch: the primer's building blocks.

Everything a later chapter takes for granted is here, small enough to read in one sitting:

- a **corpus** (:func:`corpus`): sentences generated from a tiny English grammar, so the text has
  structure a model can learn in seconds (spelling, word order, full stops), and nothing is
  downloaded;
- a **tokeniser** (:class:`CharVocab`): one token per character;
- **attention** (:func:`causal_attention`, :class:`CausalSelfAttention`) with a **KV cache**
  (:class:`KVCache`) that keeps every earlier token's keys and values for generation;
- the **feed-forward block** (:class:`FeedForward`) and a pre-norm :class:`Block` that takes any
  FFN module, so chapter 4 can put a mixture-of-experts layer in its place;
- the model (:class:`CharLM`), the **next-token loss** (:func:`next_token_loss`), one
  **training step** (:func:`train_step`) and a training loop (:func:`train`);
- **sampling** with a temperature (:func:`temperature_probs`, :func:`sample_next`,
  :func:`generate`), with or without the cache;
- **counting**: parameters (:func:`parameter_counts`) and the floating-point operations of a
  forward and backward pass, measured with PyTorch's FLOP counter (:func:`measured_flops`) to
  check the rules of thumb 2N per token for inference (:func:`inference_flops`) and 6N per token
  for training (:func:`tinyseek.cost.training_flops`).

The architecture is the decoder-only transformer of Vaswani et al. (2017), as GPT models use it,
with pre-normalisation (RMSNorm) and learned absolute positions; DeepSeek-V3 differs in its
attention (MLA, chapter 5), its FFNs (mixture-of-experts, chapter 4) and its positions (RoPE).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import validate

# ---- a corpus with structure --------------------------------------------------------------------

_DETS = ("the", "a", "my", "one")
_ADJS = ("tall", "little", "red", "happy", "quiet", "big")
_NOUNS = ("cat", "dog", "bird", "king", "girl", "boy", "fox", "baker")
_PLACES = ("house", "garden", "river", "market", "tree", "hill")
_INTRANSITIVE = ("sat", "ran", "slept", "sang", "waited")
_TRANSITIVE = ("saw", "liked", "found", "helped", "followed")
_PREPS = ("in", "near", "by", "under")


def _noun_phrase(nouns: tuple[str, ...], rng: np.random.Generator) -> str:
    words = [str(rng.choice(_DETS))]
    if rng.random() < 0.5:
        words.append(str(rng.choice(_ADJS)))
    return " ".join([*words, str(rng.choice(nouns))])


def sentence(rng: np.random.Generator) -> str:
    """One sentence of the toy grammar, e.g. ``"the old cat saw a fox near the river."``."""
    subject = _noun_phrase(_NOUNS, rng)
    if rng.random() < 0.5:
        verb_phrase = f"{rng.choice(_TRANSITIVE)} {_noun_phrase(_NOUNS, rng)}"
    else:
        verb_phrase = str(rng.choice(_INTRANSITIVE))
    if rng.random() < 0.6:
        verb_phrase += f" {rng.choice(_PREPS)} {_noun_phrase(_PLACES, rng)}"
    return f"{subject} {verb_phrase}."


def corpus(n_chars: int = 50_000, seed: int = 0) -> str:
    """At least ``n_chars`` characters of generated sentences, one per line; deterministic per seed."""
    validate.integer("n_chars", n_chars, low=1, high=10_000_000)
    validate.integer("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    lines, size = [], 0
    while size < n_chars:
        lines.append(sentence(rng))
        size += len(lines[-1]) + 1
    return "\n".join(lines) + "\n"


# ---- tokens -------------------------------------------------------------------------------------

class CharVocab:
    """A character-level tokeniser: every distinct character of ``text`` is one token, numbered in
    sorted order. ``encode`` maps text to token ids, ``decode`` maps ids back to text."""

    def __init__(self, text: str):
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty string (the characters the vocabulary holds)")
        self.chars = sorted(set(text))
        self._index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """Token ids (a 1-D LongTensor) of ``text``; ValueError names any unknown character."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        unknown = sorted(set(text) - set(self._index))
        if unknown:
            raise ValueError(f"text may only use the vocabulary's {len(self)} characters; got {unknown!r}")
        return torch.tensor([self._index[c] for c in text], dtype=torch.long)

    def decode(self, ids) -> str:
        """The text of token ids (any iterable of ints in ``[0, len(self))``)."""
        ids = [int(i) for i in (ids.tolist() if isinstance(ids, torch.Tensor) else ids)]
        bad = [i for i in ids if not 0 <= i < len(self)]
        if bad:
            raise ValueError(f"ids must be in [0, {len(self) - 1}], got {bad[:5]}")
        return "".join(self.chars[i] for i in ids)


# ---- attention and its cache --------------------------------------------------------------------

def _check_qkv(q: object, k: object, v: object) -> None:
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor) or t.dim() < 2 or not t.is_floating_point():
            raise ValueError(f"{name} must be a floating-point tensor of shape (..., tokens, dim)")
    if k.shape[:-1] != v.shape[:-1]:
        raise ValueError(f"k and v must hold the same tokens, got {tuple(k.shape)} and {tuple(v.shape)}")
    if q.shape[-1] != k.shape[-1] or q.shape[:-2] != k.shape[:-2]:
        raise ValueError(f"q and k must share batch and dim, got {tuple(q.shape)} and {tuple(k.shape)}")
    if q.shape[-2] > k.shape[-2]:
        raise ValueError(f"q has {q.shape[-2]} tokens but k only {k.shape[-2]}: each query needs its own key")


def causal_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Causal scaled dot-product attention, softmax(q k^T / √d + mask) v (Vaswani et al. 2017, eq. 1).

    ``q`` is ``(..., T_q, d)``, ``k`` and ``v`` are ``(..., T_k, d)`` and ``(..., T_k, d_v)`` with
    ``T_q ≤ T_k``: the queries are the *last* ``T_q`` tokens of the ``T_k`` (all of them in
    training; only the newest one when generating with a KV cache). Query ``i`` sits at position
    ``T_k - T_q + i`` and may attend to keys at positions up to its own, never later ones.
    Returns ``(..., T_q, d_v)``.
    """
    _check_qkv(q, k, v)
    t_q, t_k, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)              # (..., T_q, T_k)
    allowed = torch.ones(t_q, t_k, dtype=torch.bool, device=q.device).tril(diagonal=t_k - t_q)
    scores = scores.masked_fill(~allowed, float("-inf"))         # no peeking at later tokens
    weights = scores.softmax(dim=-1)                             # each row sums to 1
    return weights @ v


class KVCache:
    """The keys and values of every token seen so far, one pair of tensors per layer.

    Each layer appends the new tokens' keys and values (``(batch, heads, tokens, head_dim)``) and
    attends over everything stored. ``nbytes`` is the memory the cache holds now.
    """

    def __init__(self, n_layers: int):
        validate.integer("n_layers", n_layers, low=1)
        self.keys: list[torch.Tensor | None] = [None] * n_layers
        self.values: list[torch.Tensor | None] = [None] * n_layers

    def __len__(self) -> int:
        """Tokens cached (those of layer 0; every layer holds the same number)."""
        return 0 if self.keys[0] is None else self.keys[0].shape[-2]

    def append(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store the new tokens' ``k`` and ``v`` for ``layer``; return all keys and values so far."""
        validate.integer("layer", layer, low=0, high=len(self.keys) - 1)
        if self.keys[layer] is not None:
            k = torch.cat([self.keys[layer], k], dim=-2)
            v = torch.cat([self.values[layer], v], dim=-2)
        self.keys[layer], self.values[layer] = k, v
        return k, v

    @property
    def nbytes(self) -> int:
        """Bytes of all stored keys and values."""
        stored = [t for t in (*self.keys, *self.values) if t is not None]
        return sum(t.numel() * t.element_size() for t in stored)


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention: project to queries, keys and values, attend, project back.

    With a :class:`KVCache`, ``x`` holds only the new tokens; their keys and values are appended
    to the cache and the queries attend over everything cached.
    """

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        validate.integer("d_model", d_model, low=1)
        validate.integer("n_heads", n_heads, low=1, high=d_model)
        if d_model % n_heads:
            raise ValueError(f"n_heads must divide d_model={d_model}, got {n_heads}")
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=False)
        self.out = nn.Linear(d_model, d_model, bias=False)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        """Attend each token of ``x`` (batch, tokens, d_model) to itself and the tokens before it;
        with a ``cache``, first append this step's keys and values to ``layer``'s, then attend to all."""
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2) for z in (q, k, v))
        if cache is not None:
            k, v = cache.append(layer, k, v)      # keys and values of every token so far
        a = causal_attention(q, k, v)             # (b, heads, t, head_dim)
        return self.out(a.transpose(1, 2).reshape(b, t, d))


# ---- the feed-forward block and the transformer block -------------------------------------------

class FeedForward(nn.Module):
    """The position-wise feed-forward network: ``W2 · GELU(W1 x)``, applied to each token alone
    (Vaswani et al. 2017, §3.3, who used ReLU; GPT models use GELU).

    It holds most of a transformer's parameters; chapter 4 replaces it by a mixture of experts.
    """

    def __init__(self, d_model: int, d_hidden: int):
        super().__init__()
        validate.integer("d_model", d_model, low=1)
        validate.integer("d_hidden", d_hidden, low=1)
        self.up = nn.Linear(d_model, d_hidden, bias=False)
        self.down = nn.Linear(d_hidden, d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.gelu(self.up(x)))


class Block(nn.Module):
    """One pre-norm transformer block: ``x + attention(norm(x))``, then ``x + ffn(norm(x))``.

    ``ffn`` is any module mapping ``(..., d_model)`` to ``(..., d_model)``: :class:`FeedForward`
    here, a mixture-of-experts layer in chapter 4. If it returns ``(output, extras)`` (a MoE
    layer's routing statistics), the block keeps ``extras`` in ``self.ffn_extras``.
    """

    def __init__(self, d_model: int, n_heads: int, ffn: nn.Module):
        super().__init__()
        if not isinstance(ffn, nn.Module):
            raise TypeError(f"ffn must be a torch.nn.Module, got {type(ffn).__name__}")
        self.norm1, self.norm2 = nn.RMSNorm(d_model), nn.RMSNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.ffn = ffn
        self.ffn_extras = None

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), cache, layer)
        h = self.ffn(self.norm2(x))
        if isinstance(h, tuple):
            h, self.ffn_extras = h
        return x + h


# ---- the model ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LMConfig:
    """Shape of the tiny language model; ``context`` is the most tokens it can see at once."""

    vocab_size: int
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_hidden: int = 256
    context: int = 64

    def __post_init__(self):
        for name in ("vocab_size", "d_model", "n_heads", "n_layers", "d_hidden", "context"):
            validate.integer(name, getattr(self, name), low=1, high=1 << 20)
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads must divide d_model={self.d_model}, got {self.n_heads}")


class CharLM(nn.Module):
    """Token embedding + position embedding -> ``n_layers`` blocks -> RMSNorm -> logits.

    ``forward(ids, cache=None)`` takes ``(batch, tokens)`` token ids and returns logits of shape
    ``(batch, tokens, vocab_size)``: for every position, a score for every possible next token.
    With a :class:`KVCache`, ``ids`` are the new tokens only and positions continue from the cache.
    ``ffn`` builds each block's FFN (default :class:`FeedForward`); chapter 4 passes a MoE layer.
    """

    def __init__(self, config: LMConfig, ffn: Callable[[], nn.Module] | None = None):
        super().__init__()
        if not isinstance(config, LMConfig):
            raise TypeError(f"config must be an LMConfig, got {type(config).__name__}")
        c = self.config = config
        make_ffn = ffn or (lambda: FeedForward(c.d_model, c.d_hidden))
        self.embed = nn.Embedding(c.vocab_size, c.d_model)
        self.pos = nn.Embedding(c.context, c.d_model)
        self.blocks = nn.ModuleList(Block(c.d_model, c.n_heads, make_ffn()) for _ in range(c.n_layers))
        self.norm = nn.RMSNorm(c.d_model)
        self.head = nn.Linear(c.d_model, c.vocab_size, bias=False)

    def forward(self, ids: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        start = 0 if cache is None else len(cache)
        if ids.dim() != 2 or start + ids.shape[1] > self.config.context:
            raise ValueError(f"ids must have shape (batch, tokens) with cached + new tokens ≤ "
                             f"{self.config.context}, got {tuple(ids.shape)} after {start} cached")
        x = self.embed(ids) + self.pos(torch.arange(start, start + ids.shape[1]))
        for i, block in enumerate(self.blocks):
            x = block(x, cache, i)
        return self.head(self.norm(x))


# ---- loss and training --------------------------------------------------------------------------

def next_token_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the next token, in nats: −(1/N) Σ log p(target | tokens before it).

    ``logits`` is ``(batch, tokens, vocab)``, ``targets`` the ``(batch, tokens)`` ids that follow
    each position. A model that guesses uniformly over V tokens scores ln V.
    """
    if logits.dim() != 3 or targets.shape != logits.shape[:2]:
        raise ValueError(f"logits must be (batch, tokens, vocab) and targets (batch, tokens), got "
                         f"{tuple(logits.shape)} and {tuple(targets.shape)}")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def random_batch(ids: torch.Tensor, batch_size: int, length: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` windows of ``length`` tokens cut at random from ``ids``, and the same windows
    shifted by one token: (inputs, targets), each ``(batch_size, length)``."""
    validate.integer("batch_size", batch_size, low=1)
    validate.integer("length", length, low=1, high=len(ids) - 1)
    starts = torch.randint(0, len(ids) - length, (batch_size,), generator=generator)
    windows = torch.stack([ids[s:s + length + 1] for s in starts.tolist()])
    return windows[:, :-1], windows[:, 1:]


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer,
               inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """One step of gradient descent on the next-token loss; returns the loss before the step."""
    logits = model(inputs)                      # forward pass: a score for every next token
    loss = next_token_loss(logits, targets)     # how surprised the model is by the real ones
    optimizer.zero_grad()
    loss.backward()                             # backward pass: d loss / d every parameter
    optimizer.step()                            # nudge every parameter against its gradient
    return loss.item()


@dataclass
class TrainResult:
    """A finished training run: the loss at every step, wall-clock seconds, tokens seen."""

    losses: np.ndarray
    seconds: float
    tokens: int


def train(model: CharLM, ids: torch.Tensor, steps: int = 250, batch_size: int = 32,
          lr: float = 1e-2, seed: int = 0) -> TrainResult:
    """Train ``model`` in place with AdamW on random windows of ``ids`` (full context length)."""
    validate.integer("steps", steps, low=1, high=1_000_000)
    validate.positive("lr", lr, high=1.0)
    validate.integer("seed", seed, low=0)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    losses, start = np.empty(steps), time.perf_counter()
    model.train()
    for step in range(steps):
        inputs, targets = random_batch(ids, batch_size, model.config.context, generator)
        losses[step] = train_step(model, optimizer, inputs, targets)
    return TrainResult(losses, time.perf_counter() - start, steps * batch_size * model.config.context)


@torch.no_grad()
def evaluate(model: CharLM, ids: torch.Tensor, n_windows: int = 32, seed: int = 1) -> float:
    """Mean next-token loss (nats) of ``model`` on ``n_windows`` random windows of ``ids``."""
    model.eval()
    inputs, targets = random_batch(ids, n_windows, model.config.context, torch.Generator().manual_seed(seed))
    loss = next_token_loss(model(inputs), targets).item()
    model.train()
    return loss


# ---- sampling -----------------------------------------------------------------------------------

def temperature_probs(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Next-token probabilities at ``temperature`` T > 0: softmax(z / T) over the last axis.

    T = 1 is the model's own distribution; T < 1 sharpens it towards the most likely token,
    T > 1 flattens it towards uniform.
    """
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point() or logits.dim() < 1:
        raise ValueError("logits must be a floating-point tensor with the vocabulary on the last axis")
    temperature = validate.number("temperature", temperature, low=0.0, low_open=True, high=1e6)
    return (logits / temperature).softmax(dim=-1)


def sample_next(logits: torch.Tensor, temperature: float, generator: torch.Generator) -> torch.Tensor:
    """One token id per row of ``logits`` (``(batch, vocab)``): drawn from softmax(z / T), or the
    most likely token (greedy decoding) when ``temperature`` is 0."""
    if validate.non_negative("temperature", temperature, high=1e6) == 0:
        return logits.argmax(dim=-1)
    probs = temperature_probs(logits, temperature)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@torch.no_grad()
def generate(model: CharLM, prompt: torch.Tensor, n_new: int, temperature: float = 1.0,
             seed: int = 0, use_cache: bool = True) -> tuple[torch.Tensor, list[int]]:
    """Extend ``prompt`` (``(batch, tokens)`` ids) by ``n_new`` sampled tokens.

    With ``use_cache`` each step feeds only the newest token and reuses the cached keys and values;
    without it each step runs the whole sequence again. Returns the ids ``(batch, tokens + n_new)``
    and the KV cache's bytes after each step (empty without a cache).
    """
    validate.integer("n_new", n_new, low=0, high=model.config.context - prompt.shape[-1])
    generator = torch.Generator().manual_seed(seed)
    cache = KVCache(model.config.n_layers) if use_cache else None
    ids, fresh, cache_bytes = prompt, prompt, []
    model.eval()
    for _ in range(n_new):
        logits = model(fresh if use_cache else ids, cache)[:, -1]   # scores for the next token
        token = sample_next(logits, temperature, generator).unsqueeze(-1)
        ids = torch.cat([ids, token], dim=-1)
        fresh = token                                               # the cache holds the rest
        if cache is not None:
            cache_bytes.append(cache.nbytes)
    model.train()
    return ids, cache_bytes


# ---- counting parameters and FLOPs --------------------------------------------------------------

def parameter_counts(model: CharLM) -> dict[str, int]:
    """Parameters of ``model``: ``total``; ``embedding`` (the token and position tables, looked up,
    not multiplied); ``per_token``, the rest, which every token multiplies by in a dense model
    (its *activated* parameters). ``per_token`` splits into ``attention``, ``ffn``, the output
    ``head`` and the ``norm`` gains (which scale, and so do no matrix products)."""
    if not isinstance(model, CharLM):
        raise TypeError(f"model must be a CharLM, got {type(model).__name__}")
    count = lambda modules: sum(p.numel() for m in modules for p in m.parameters())  # noqa: E731
    total = count([model])
    embedding = count([model.embed, model.pos])
    attention = count([b.attn for b in model.blocks])
    ffn = count([b.ffn for b in model.blocks])
    head = count([model.head])
    return {"total": total, "embedding": embedding, "per_token": total - embedding, "attention": attention,
            "ffn": ffn, "head": head, "norm": total - embedding - attention - ffn - head}


def inference_flops(active_params: float, tokens: float = 1) -> float:
    """Arithmetic of a forward pass by the usual approximation: 2 × N × tokens operations (one
    multiply and one add per weight per token; Kaplan et al. 2020, §2.1). ``active_params`` are
    the parameters each token multiplies by. Leaves out attention over the context."""
    n = validate.positive("active_params", active_params, high=1e15)
    return 2.0 * n * validate.non_negative("tokens", tokens, high=1e18)


def measured_flops(model: CharLM, batch_size: int = 4, seed: int = 0) -> dict[str, float]:
    """Floating-point operations PyTorch counts (``torch.utils.flop_counter``; matrix products
    only, 2 per multiply-add) for a ``forward`` and a ``forward`` + ``backward`` pass over
    ``batch_size`` full-context sequences of random ids, and the ``tokens`` they hold."""
    from torch.utils.flop_counter import FlopCounterMode

    validate.integer("batch_size", batch_size, low=1, high=1024)
    c = model.config
    ids = torch.randint(0, c.vocab_size, (batch_size, c.context), generator=torch.Generator().manual_seed(seed))
    targets = torch.roll(ids, -1, dims=1)
    with FlopCounterMode(display=False) as forward:
        logits = model(ids)
    with FlopCounterMode(display=False) as backward:
        next_token_loss(logits, targets).backward()
    model.zero_grad()
    f, b = forward.get_total_flops(), backward.get_total_flops()
    return {"forward": float(f), "forward_backward": float(f + b), "tokens": batch_size * c.context}
