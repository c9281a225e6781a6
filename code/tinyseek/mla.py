"""Multi-head latent attention (MLA): cache one small latent per token instead of every head's keys
and values.

When a model generates text it keeps, for every past token and every layer, the keys and values
of all attention heads: the *KV cache*. Each new token reads the whole cache, so at long contexts
generation is limited by memory capacity and memory bandwidth, not by arithmetic. Standard
multi-head attention (MHA) caches ``2 * n_heads * head_dim`` numbers per token per layer;
grouped-query attention (GQA) shares keys and values among groups of query heads; MLA, introduced
in DeepSeek-V2 and kept in V3, compresses keys and values jointly into one latent vector ``c`` of
``kv_rank`` numbers and recomputes the per-head keys and values from it with up-projections.

Position needs care. Rotary position embedding (RoPE) rotates queries and keys by an angle that
depends on the position, and a rotation between the up-projection and the query would stop the
up-projection being folded ("absorbed") into the query. So MLA keeps RoPE out of the compressed
path and adds a small *decoupled* key ``k_rope`` of ``rope_dim`` numbers, shared by all heads,
that carries position. The cache holds ``kv_rank + rope_dim`` numbers per token per layer.

This module has two parts:

- ``AttentionShape`` and ``kv_cache_bytes``: the memory arithmetic, for MHA, GQA and MLA, with
  DeepSeek-V3's shape read from the data file;
- ``MultiHeadAttention`` and ``MultiHeadLatentAttention``: tiny causal attention layers in
  PyTorch. MLA has a *naive* form (rebuild every head's keys and values from the latents) and an
  *absorbed* form (fold the key up-projection into the query and the value up-projection into the
  output projection, then attend over the cached latents directly); the tests show they agree.

Simplifications against V3: no RMSNorm on the latents, no bias terms, no YaRN scaling of RoPE.
None of them changes the algebra of absorption.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from . import data, validate

KINDS = ("mha", "gqa", "mla")
# Bytes per cached number. FP8 caches exist in deployment; V3's report does not say it uses one.
DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1}
MAX_TOKENS = 10**9       # a billion tokens of context times batch: beyond any real deployment
MAX_DIM = 1 << 20


@dataclass(frozen=True)
class AttentionShape:
    """The parts of an attention layer's shape that decide its KV cache.

    ``kind`` is ``"mha"`` (every head has its own key and value), ``"gqa"`` (``n_kv_heads``
    key/value heads shared by groups of query heads) or ``"mla"`` (a ``kv_rank`` latent plus a
    ``rope_dim`` decoupled key per token).
    """

    name: str
    kind: str
    n_layers: int
    n_heads: int
    head_dim: int
    n_kv_heads: int | None = None
    kv_rank: int | None = None
    rope_dim: int | None = None

    def __post_init__(self):
        validate.choice("kind", self.kind, KINDS)
        validate.integer("n_layers", self.n_layers, low=1, high=10_000)
        validate.integer("n_heads", self.n_heads, low=1, high=MAX_DIM)
        validate.integer("head_dim", self.head_dim, low=1, high=MAX_DIM)
        if self.kind == "gqa":
            if self.n_kv_heads is None:
                raise ValueError("n_kv_heads is required for a GQA shape")
            validate.integer("n_kv_heads", self.n_kv_heads, low=1, high=self.n_heads)
            if self.n_heads % self.n_kv_heads:
                raise ValueError(f"n_kv_heads must divide n_heads ({self.n_heads}), "
                                 f"got {self.n_kv_heads}")
        elif self.n_kv_heads is not None:
            raise ValueError(f"n_kv_heads applies to GQA only, not {self.kind!r}")
        if self.kind == "mla":
            if self.kv_rank is None or self.rope_dim is None:
                raise ValueError("kv_rank and rope_dim are required for an MLA shape")
            validate.integer("kv_rank", self.kv_rank, low=1, high=MAX_DIM)
            validate.integer("rope_dim", self.rope_dim, low=0, high=MAX_DIM)
        elif self.kv_rank is not None or self.rope_dim is not None:
            raise ValueError(f"kv_rank and rope_dim apply to MLA only, not {self.kind!r}")

    @property
    def cached_per_token_per_layer(self) -> int:
        """Numbers the cache holds for one token in one layer."""
        if self.kind == "mha":
            return 2 * self.n_heads * self.head_dim           # a key and a value per head
        if self.kind == "gqa":
            return 2 * self.n_kv_heads * self.head_dim        # a key and a value per KV group
        return self.kv_rank + self.rope_dim                   # the latent and the shared RoPE key

    @property
    def cached_per_token(self) -> int:
        """Numbers cached for one token across all layers."""
        return self.cached_per_token_per_layer * self.n_layers


def kv_cache_bytes(config: AttentionShape, tokens: int, dtype: str = "bf16", batch: int = 1) -> int:
    """Bytes of KV cache for ``batch`` sequences of ``tokens`` tokens each, stored as ``dtype``.

    ``dtype`` is one of ``DTYPE_BYTES`` (``"fp32"``, ``"bf16"``, ``"fp16"``, ``"fp8"``).
    """
    if not isinstance(config, AttentionShape):
        raise TypeError(f"config must be an AttentionShape, got {type(config).__name__}")
    validate.integer("tokens", tokens, low=0, high=MAX_TOKENS)
    validate.integer("batch", batch, low=1, high=MAX_TOKENS)
    validate.choice("dtype", dtype, tuple(DTYPE_BYTES))
    if tokens * batch > MAX_TOKENS:
        raise ValueError(f"tokens x batch must be ≤ {MAX_TOKENS:g}, got {tokens * batch:g}")
    return config.cached_per_token * tokens * batch * DTYPE_BYTES[dtype]


def decode_attention_cost(config: AttentionShape, dtype: str = "bf16") -> dict[str, float]:
    """Work and memory traffic of attention, per cached token per layer, when one new token is
    decoded: ``flops``, ``bytes`` read from the cache, and their ratio ``intensity`` (FLOP/byte).

    MHA/GQA: each head takes a ``head_dim`` dot product with a key and adds a ``head_dim`` value
    (2 FLOPs per multiply-add). MLA in absorbed form: each head takes a ``kv_rank + rope_dim`` dot
    product with the latent and RoPE key and adds a ``kv_rank`` latent; every head reads the *same*
    cached numbers, which is why the intensity is so much higher.
    """
    if not isinstance(config, AttentionShape):
        raise TypeError(f"config must be an AttentionShape, got {type(config).__name__}")
    validate.choice("dtype", dtype, tuple(DTYPE_BYTES))
    if config.kind == "mla":
        per_head = (config.kv_rank + config.rope_dim) + config.kv_rank
    else:
        per_head = 2 * config.head_dim
    flops = 2.0 * config.n_heads * per_head
    read = float(config.cached_per_token_per_layer * DTYPE_BYTES[dtype])
    return {"flops": flops, "bytes": read, "intensity": flops / read}


def deepseek_v3_attention() -> AttentionShape:
    """DeepSeek-V3's MLA shape, from the sourced data (Section 4.2 of the report; the field names
    are those of the released config_671B.json)."""
    v = lambda key: data.value(f"v3_config.{key}")                    # noqa: E731
    return AttentionShape("DeepSeek-V3 (MLA)", "mla", n_layers=v("n_layers"), n_heads=v("n_heads"),
                          head_dim=v("qk_nope_head_dim"), kv_rank=v("kv_lora_rank"),
                          rope_dim=v("qk_rope_head_dim"))


def mha_twin(shape: AttentionShape) -> AttentionShape:
    """Standard MHA with the same layers, heads and head size: what MLA is compared against."""
    return AttentionShape(f"MHA twin of {shape.name}", "mha", shape.n_layers, shape.n_heads,
                          shape.head_dim)


def gqa_twin(shape: AttentionShape, n_kv_heads: int = 8) -> AttentionShape:
    """GQA with the same layers, heads and head size and ``n_kv_heads`` shared key/value heads.

    A hypothetical model for comparison (8 KV heads is a common choice), not any released model.
    """
    return AttentionShape(f"GQA-{n_kv_heads} twin of {shape.name}", "gqa", shape.n_layers,
                          shape.n_heads, shape.head_dim, n_kv_heads=n_kv_heads)


# --------------------------------------------------------------------------------------------
# Tiny attention layers
# --------------------------------------------------------------------------------------------

def rope(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotate consecutive pairs of the last dimension of ``x`` by position-dependent angles.

    ``x`` has shape ``(..., T, d)`` with ``d`` even; ``positions`` has shape ``(T,)``.
    """
    d = x.shape[-1]
    if d % 2:
        raise ValueError(f"the rotated dimension must be even, got {d}")
    inv_freq = base ** (-torch.arange(0, d, 2, dtype=x.dtype, device=x.device) / d)
    angles = positions.to(x.dtype)[:, None] * inv_freq[None, :]           # (T, d/2)
    cos, sin = torch.cos(angles), torch.sin(angles)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = x1 * cos - x2 * sin
    out[..., 1::2] = x1 * sin + x2 * cos
    return out


def _causal_softmax(scores: torch.Tensor, offset: int = 0) -> torch.Tensor:
    """Softmax over the last axis with future keys masked (query t sees keys ≤ t + offset)."""
    t_q, t_k = scores.shape[-2:]
    mask = torch.ones(t_q, t_k, dtype=torch.bool, device=scores.device).tril(diagonal=offset)
    return scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)


def _check_input(x: object, d_model: int) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 3 or x.shape[-1] != d_model:
        raise ValueError(f"x must have shape (batch, tokens, {d_model}), got {tuple(x.shape)}")
    return x


class MultiHeadAttention(nn.Module):
    """Causal attention with RoPE on queries and keys; GQA when ``n_kv_heads < n_heads``."""

    def __init__(self, d_model: int, n_heads: int, head_dim: int, n_kv_heads: int | None = None):
        super().__init__()
        n_kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        AttentionShape("layer", "mha" if n_kv_heads == n_heads else "gqa", 1, n_heads, head_dim,
                       n_kv_heads=None if n_kv_heads == n_heads else n_kv_heads)  # validates
        validate.integer("d_model", d_model, low=1, high=MAX_DIM)
        if head_dim % 2:
            raise ValueError(f"head_dim must be even for RoPE, got {head_dim}")
        self.d_model, self.n_heads, self.head_dim, self.n_kv_heads = d_model, n_heads, head_dim, n_kv_heads
        self.wq = nn.Linear(d_model, n_heads * head_dim, bias=False)
        self.wk = nn.Linear(d_model, n_kv_heads * head_dim, bias=False)
        self.wv = nn.Linear(d_model, n_kv_heads * head_dim, bias=False)
        self.wo = nn.Linear(n_heads * head_dim, d_model, bias=False)

    def kv(self, x: torch.Tensor, start: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """The keys (with RoPE) and values that the cache holds: ``(B, n_kv_heads, T, head_dim)``."""
        b, t, _ = x.shape
        pos = torch.arange(start, start + t, device=x.device)
        k = self.wk(x).view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
        return rope(k, pos), v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_input(x, self.d_model)
        b, t, _ = x.shape
        pos = torch.arange(t, device=x.device)
        q = rope(self.wq(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2), pos)
        k, v = self.kv(x)
        group = self.n_heads // self.n_kv_heads                 # query heads per KV head
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        p = _causal_softmax(q @ k.transpose(-1, -2) / math.sqrt(self.head_dim))
        return self.wo((p @ v).transpose(1, 2).reshape(b, t, -1))


class MultiHeadLatentAttention(nn.Module):
    """MLA: low-rank joint compression of keys and values, plus a decoupled RoPE key.

    Per token ``h`` (the notation of the V2/V3 reports):

    - latent ``c = W_dkv h`` (``kv_rank``), the only content the cache keeps;
    - per-head content keys ``k_i = W_uk,i c`` and values ``v_i = W_uv,i c`` (``head_dim`` each);
    - shared RoPE key ``k_rope = RoPE(W_kr h)`` (``rope_dim``), also cached;
    - queries from a compressed query latent ``c_q = W_dq h`` (``q_rank``) when ``q_rank`` is given
      (V3 does this to save activation memory), else from ``h`` directly: content part
      ``q_i = W_uq,i c_q`` and RoPE part ``q_rope,i = RoPE(W_qr,i c_q)``;
    - score ``(q_i . k_i + q_rope,i . k_rope) / sqrt(head_dim + rope_dim)``, output
      ``W_o [sum_j p_ij v_i,j]_i``.

    Simplifications against V3: no RMSNorm on the latents ``c`` and ``c_q`` (V3 normalises both),
    values always as wide as the content keys (V3's are: 128 each), and no YaRN scaling of long
    contexts. With those norms
    removed, ``tests/test_reference_v3.py`` finds transformers' DeepSeek-V3 attention equal to this
    layer to float32 precision in its naive, absorbed and cached forms.
    """

    def __init__(self, d_model: int, n_heads: int, head_dim: int, kv_rank: int, rope_dim: int,
                 q_rank: int | None = None):
        super().__init__()
        AttentionShape("layer", "mla", 1, n_heads, head_dim, kv_rank=kv_rank, rope_dim=rope_dim)
        validate.integer("d_model", d_model, low=1, high=MAX_DIM)
        if rope_dim % 2 or rope_dim == 0:
            raise ValueError(f"rope_dim must be a positive even number, got {rope_dim}")
        if q_rank is not None:
            validate.integer("q_rank", q_rank, low=1, high=MAX_DIM)
        self.d_model, self.n_heads, self.head_dim = d_model, n_heads, head_dim
        self.kv_rank, self.rope_dim, self.q_rank = kv_rank, rope_dim, q_rank
        q_in = d_model if q_rank is None else q_rank
        self.w_dq = None if q_rank is None else nn.Linear(d_model, q_rank, bias=False)
        self.w_uq = nn.Linear(q_in, n_heads * head_dim, bias=False)
        self.w_qr = nn.Linear(q_in, n_heads * rope_dim, bias=False)
        self.w_dkv = nn.Linear(d_model, kv_rank, bias=False)
        self.w_uk = nn.Linear(kv_rank, n_heads * head_dim, bias=False)
        self.w_uv = nn.Linear(kv_rank, n_heads * head_dim, bias=False)
        self.w_kr = nn.Linear(d_model, rope_dim, bias=False)
        self.wo = nn.Linear(n_heads * head_dim, d_model, bias=False)
        self.scale = 1 / math.sqrt(head_dim + rope_dim)

    # -- what the cache holds --------------------------------------------------------------
    def compress(self, x: torch.Tensor, start: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """The cached pair for tokens at positions ``start...``: latent ``(B, T, kv_rank)`` and
        RoPE key ``(B, T, rope_dim)``."""
        x = _check_input(x, self.d_model)
        pos = torch.arange(start, start + x.shape[1], device=x.device)
        return self.w_dkv(x), rope(self.w_kr(x), pos)

    def _queries(self, x: torch.Tensor, start: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Content queries ``(B, H, T, head_dim)`` and RoPE queries ``(B, H, T, rope_dim)``."""
        b, t, _ = x.shape
        cq = x if self.w_dq is None else self.w_dq(x)
        q = self.w_uq(cq).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        qr = self.w_qr(cq).view(b, t, self.n_heads, self.rope_dim).transpose(1, 2)
        return q, rope(qr, torch.arange(start, start + t, device=x.device))

    # -- naive form: rebuild keys and values for every head ----------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Naive MLA over a whole sequence: up-project the latents to per-head keys and values."""
        c, kr = self.compress(x)
        b, t, _ = x.shape
        q, qr = self._queries(x, 0)
        k = self.w_uk(c).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        v = self.w_uv(c).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        scores = (q @ k.transpose(-1, -2) + qr @ kr[:, None].transpose(-1, -2)) * self.scale
        p = _causal_softmax(scores)
        return self.wo((p @ v).transpose(1, 2).reshape(b, t, -1))

    # -- absorbed form: attend over the cached latents directly ------------------------------
    def absorbed_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``W_uk`` folded into the query and ``W_uv`` into the output projection.

        Returns ``q_to_latent`` of shape ``(H, kv_rank, q_in)`` (``W_uk,i^T W_uq,i``) and
        ``latent_to_out`` of shape ``(H, d_model, kv_rank)`` (``W_o,i W_uv,i``).
        """
        h, dh, r = self.n_heads, self.head_dim, self.kv_rank
        w_uk = self.w_uk.weight.view(h, dh, r)                      # k_i = w_uk[i] @ c
        w_uq = self.w_uq.weight.view(h, dh, -1)                     # q_i = w_uq[i] @ c_q
        w_uv = self.w_uv.weight.view(h, dh, r)
        w_o = self.wo.weight.view(self.d_model, h, dh).transpose(0, 1)   # (H, d_model, dh)
        return w_uk.transpose(1, 2) @ w_uq, w_o @ w_uv

    def attend_cached(self, x: torch.Tensor, latents: torch.Tensor, rope_keys: torch.Tensor,
                      start: int, weights: tuple[torch.Tensor, torch.Tensor] | None = None
                      ) -> torch.Tensor:
        """Absorbed attention of new tokens ``x`` (at positions ``start...``) over a cache that
        already includes them: ``latents`` ``(B, S, kv_rank)`` and ``rope_keys`` ``(B, S, rope_dim)``.
        No per-head key or value is ever built. ``weights`` are ``absorbed_weights()``, computed
        once and passed in by a decoder (computed here when omitted)."""
        x = _check_input(x, self.d_model)
        q_to_latent, latent_to_out = self.absorbed_weights() if weights is None else weights
        cq = x if self.w_dq is None else self.w_dq(x)
        q_lat = torch.einsum("hrq,btq->bhtr", q_to_latent, cq)      # query in latent space
        _, qr = self._queries(x, start)
        scores = (q_lat @ latents[:, None].transpose(-1, -2)
                  + qr @ rope_keys[:, None].transpose(-1, -2)) * self.scale
        p = _causal_softmax(scores, offset=start)
        context = p @ latents[:, None]                              # (B, H, T, kv_rank)
        return torch.einsum("hdr,bhtr->btd", latent_to_out, context)

    def forward_absorbed(self, x: torch.Tensor) -> torch.Tensor:
        """Absorbed MLA over a whole sequence (the same numbers as ``forward``)."""
        c, kr = self.compress(x)
        return self.attend_cached(x, c, kr, start=0)

    def generate_steps(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Process ``x`` one token at a time as a decoder does, growing the latent cache.

        Returns the outputs ``(B, T, d_model)`` and the final cache ``(latents, rope_keys)``.
        """
        x = _check_input(x, self.d_model)
        latents = x.new_zeros(x.shape[0], 0, self.kv_rank)
        rope_keys = x.new_zeros(x.shape[0], 0, self.rope_dim)
        weights = self.absorbed_weights()                      # folded once, used every step
        outs = []
        for t in range(x.shape[1]):
            c, kr = self.compress(x[:, t:t + 1], start=t)
            latents, rope_keys = torch.cat([latents, c], 1), torch.cat([rope_keys, kr], 1)
            outs.append(self.attend_cached(x[:, t:t + 1], latents, rope_keys, start=t,
                                           weights=weights))
        return torch.cat(outs, 1), (latents, rope_keys)

    def shape(self, n_layers: int = 1) -> AttentionShape:
        """This layer's shape, for ``kv_cache_bytes``."""
        return AttentionShape("tiny MLA", "mla", n_layers, self.n_heads, self.head_dim,
                              kv_rank=self.kv_rank, rope_dim=self.rope_dim)
