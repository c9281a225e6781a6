"""Mixture-of-experts the DeepSeek way: fine-grained routed experts, shared experts, top-k routing.

A mixture-of-experts (MoE) feed-forward layer stores many small feed-forward networks
("experts") and lets a router pick ``top_k`` of them for each token. DeepSeekMoE made two choices
that V2 and V3 kept: many *fine-grained* routed experts (small ones, several chosen per token) and
a few *shared* experts that every token goes through, so that common knowledge need not be copied
into every routed expert. DeepSeek-V3 then changed the gate from softmax to sigmoid and replaced
most of the auxiliary balancing loss by a per-expert bias that is used only to *choose* experts.

The public API, stable for other chapters (Part III's bandwidth chapter builds on it):

- :func:`affinities`, :func:`route` and :class:`Routing`: from router logits to the chosen experts
  per token and their gate weights. ``route(..., allowed=mask)`` restricts the choice (for example
  to the experts of at most M nodes); ``route(..., n_groups=N, max_groups=M)`` is V3's node-limited
  routing, the groups ranked on the bias-corrected scores (:func:`group_limited_mask`).
- :func:`balance_loss`: the auxiliary balance loss (DeepSeekMoE's expert-level form).
- :func:`expert_ffn`: the fast dispatch: tokens sorted by expert into a padded buffer, one
  batched matmul over all experts; :func:`expert_ffn_loop` is its readable per-token reference.
- :class:`MoELayer`: the layer; ``forward`` returns ``(output, MoEStats)``.
- :func:`parameter_count`, :func:`v3_config`: total and activated parameters of a V3-shaped model.
- :func:`simulate_bias_balancing`: the loss-free bias rule on synthetic router scores (no training).
- :func:`all_to_all_bytes`: the bytes expert parallelism moves per all-to-all.

Tensor shapes: ``T`` tokens, ``d`` model width, ``E`` routed experts, ``k`` chosen per token,
``h`` expert hidden width.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from math import comb

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import validate

GATES = ("softmax", "sigmoid")
BALANCES = (None, "aux_loss", "bias")


# ---------------------------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Routing:
    """Which experts each token goes to, and with what weight.

    ``experts`` (T, k) long: the chosen routed experts, highest selection score first.
    ``weights`` (T, k) float: the gate value g of each chosen expert (differentiable).
    ``scores`` (T, E) float: the affinity s of every token to every expert (softmax probabilities
    or sigmoid values); the balance loss reads them.
    """

    experts: torch.Tensor
    weights: torch.Tensor
    scores: torch.Tensor

    @property
    def n_experts(self) -> int:
        return self.scores.shape[-1]

    def load(self) -> torch.Tensor:
        """Tokens sent to each expert, shape (E,), as floats (a token counts once per expert)."""
        return torch.bincount(self.experts.reshape(-1), minlength=self.n_experts).float()


def affinities(logits: torch.Tensor, gate: str = "softmax") -> torch.Tensor:
    """Token-to-expert affinities s from router logits (T, E).

    ``softmax`` (DeepSeekMoE, V2): probabilities that sum to 1 over all experts.
    ``sigmoid`` (V3): each expert scored on its own, in (0, 1); the chosen ones are normalised later.
    """
    validate.choice("gate", gate, GATES)
    return logits.softmax(dim=-1) if gate == "softmax" else logits.sigmoid()


def group_limited_mask(choose: torch.Tensor, n_groups: int, max_groups: int, top_k: int) -> torch.Tensor:
    """Boolean (T, E) mask of the experts in each token's ``max_groups`` best groups (nodes).

    Experts are laid out in ``n_groups`` contiguous equal groups. A group's score is the sum of its
    ``max(1, top_k // max_groups)`` highest selection scores ``choose`` (which already include the
    balancing bias, as in V3's released code). tinyseek follows the report's wording here (the sum
    of the highest K_r / M affinities); the released code sums the top 2 whenever a bias is used,
    which is the same thing for V3's K_r = 8, M = 4.
    """
    t, e = choose.shape
    validate.integer("n_groups", n_groups, low=1, high=e)
    if e % n_groups:
        raise ValueError(f"n_groups must divide the number of experts ({e}), got {n_groups}")
    validate.integer("max_groups", max_groups, low=1, high=n_groups)
    if top_k > max_groups * (e // n_groups):
        raise ValueError(f"top_k ({top_k}) must fit in max_groups x experts per group "
                         f"({max_groups * (e // n_groups)})")
    per_group = max(1, top_k // max_groups)
    group_score = choose.reshape(t, n_groups, e // n_groups).topk(per_group, dim=-1).values.sum(-1)
    best = group_score.topk(max_groups, dim=-1).indices                     # (T, max_groups)
    keep = torch.zeros(t, n_groups, dtype=torch.bool).scatter_(1, best, True)
    return keep.repeat_interleave(e // n_groups, dim=1)


def route(logits: torch.Tensor, top_k: int, gate: str = "softmax", *,
          bias: torch.Tensor | None = None, allowed: torch.Tensor | None = None,
          route_scale: float = 1.0, n_groups: int = 1, max_groups: int | None = None) -> Routing:
    """Choose ``top_k`` experts per token from router logits (T, E).

    The choice ranks ``s + bias`` (the bias is DeepSeek-V3's balancing term; it never enters the
    gate values), restricted to ``allowed`` (a boolean (T, E) or (E,) mask) when given, and to the
    experts of each token's ``max_groups`` best of ``n_groups`` groups when ``max_groups`` is given
    (V3's node-limited routing, groups ranked on ``s + bias``: :func:`group_limited_mask`). The
    gate values are the affinities of the chosen experts: raw for softmax, divided by their sum for
    sigmoid (so the k weights sum to 1), then multiplied by ``route_scale`` (2.5 in V3's config).
    """
    n_experts = _check_route(logits, top_k, bias, route_scale)
    scores = affinities(logits, gate)
    choose = scores.detach() if bias is None else scores.detach() + bias
    if max_groups is not None:
        choose = choose.masked_fill(~group_limited_mask(choose, n_groups, max_groups, top_k), float("-inf"))
    if allowed is not None:
        allowed = torch.as_tensor(allowed, dtype=torch.bool).expand(logits.shape[0], n_experts)
        if (allowed & choose.isfinite()).sum(dim=-1).lt(top_k).any():
            raise ValueError(f"allowed must leave at least top_k={top_k} experts for every token")
        choose = choose.masked_fill(~allowed, float("-inf"))
    experts = choose.topk(top_k, dim=-1).indices
    weights = scores.gather(1, experts)
    if gate == "sigmoid":
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return Routing(experts, weights * route_scale, scores)


def _check_route(logits, top_k, bias, route_scale) -> int:
    """Argument checks of :func:`route`; returns the number of experts."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
        raise ValueError(f"logits must have shape (tokens, experts), got {tuple(getattr(logits, 'shape', ()))}")
    n_experts = logits.shape[1]
    validate.integer("top_k", top_k, low=1, high=n_experts)
    validate.positive("route_scale", route_scale)
    if bias is not None and bias.shape != (n_experts,):
        raise ValueError(f"bias must have shape ({n_experts},), got {tuple(bias.shape)}")
    return n_experts


def balance_loss(routing: Routing) -> torch.Tensor:
    """DeepSeekMoE's expert-level balance loss, sum_i f_i P_i, over the tokens of this batch.

    f_i = E / (k T) x (tokens choosing expert i): 1 for every expert when the load is uniform.
    P_i = mean over tokens of expert i's affinity, normalised to sum to 1 per token (V3 does this
    for its sigmoid scores, eq. 19). The loss is 1 when both are uniform and grows as the router
    concentrates tokens on experts that it also scores highly. Only P carries a gradient.
    """
    t, k = routing.experts.shape
    f = routing.load() * routing.n_experts / (k * t)
    s = routing.scores
    p = (s / s.sum(dim=-1, keepdim=True)).mean(dim=0)
    return (f * p).sum()


# ---------------------------------------------------------------------------------------------
# Experts and the efficient dispatch
# ---------------------------------------------------------------------------------------------

def swiglu(x: torch.Tensor, w_gate: torch.Tensor, w_up: torch.Tensor, w_down: torch.Tensor):
    """The SwiGLU feed-forward network every DeepSeek expert uses: (silu(x W1) * x W3) W2."""
    return (F.silu(x @ w_gate) * (x @ w_up)) @ w_down


def grouped_ffn(x_sorted: torch.Tensor, counts: list[int], w_gate: torch.Tensor,
                w_up: torch.Tensor, w_down: torch.Tensor) -> torch.Tensor:
    """Run expert e on the e-th contiguous block of ``x_sorted`` (blocks of ``counts`` rows).

    One matmul chain per expert on its whole block; the Python loop is over experts, never over
    tokens. Expert weights are stacked: ``w_gate``/``w_up`` (E, d, h), ``w_down`` (E, h, d).
    """
    blocks = torch.split(x_sorted, counts)
    outs = [swiglu(b, w_gate[e], w_up[e], w_down[e]) for e, b in enumerate(blocks) if b.shape[0]]
    return torch.cat(outs) if outs else x_sorted.new_zeros(0, w_down.shape[-1])


def sort_by_expert(experts: torch.Tensor, n_experts: int) -> tuple[torch.Tensor, list[int]]:
    """The order that groups the T*k (token, expert) pairs by expert, and the block sizes.

    ``order[j]`` is a flat index into ``experts.reshape(-1)``; its token is ``order[j] // k``.
    """
    flat = experts.reshape(-1)
    order = torch.argsort(flat, stable=True)
    counts = torch.bincount(flat, minlength=n_experts).tolist()
    return order, counts


def expert_slots(experts: torch.Tensor, n_experts: int) -> tuple[torch.Tensor, int]:
    """The row of each (token, expert) pair in a zero-padded buffer of ``n_experts`` blocks.

    Expert e's block holds rows ``e * capacity`` to ``(e + 1) * capacity - 1``, where
    ``capacity`` is the largest load; its pairs fill it in token order. Returns ``(row, capacity)``
    with ``row`` shaped like ``experts.reshape(-1)`` (T*k,).
    """
    flat = experts.reshape(-1)
    counts = torch.bincount(flat, minlength=n_experts)
    capacity = int(counts.max()) if flat.numel() else 0
    order = torch.argsort(flat, stable=True)                   # pairs grouped by expert
    rank = torch.empty_like(flat)
    rank[order] = torch.arange(flat.numel()) - (counts.cumsum(0) - counts)[flat[order]]
    return flat * capacity + rank, capacity


def expert_ffn(x: torch.Tensor, routing: Routing, w_gate: torch.Tensor, w_up: torch.Tensor,
               w_down: torch.Tensor) -> torch.Tensor:
    """y_t = sum_k g_{t,k} FFN_{e(t,k)}(x_t) for every token (T, d), all experts in one batched matmul.

    1. give each (token, expert) pair a row of its expert's block; 2. copy the tokens into a
    zero-padded buffer (E, capacity, d); 3. one batched SwiGLU over all experts at once;
    4. read each pair's row back, weight it by its gate, sum a token's k rows.
    Weights are stacked: ``w_gate``/``w_up`` (E, d, h), ``w_down`` (E, h, d).
    """
    t, k = routing.experts.shape
    n_experts = w_gate.shape[0]
    row, capacity = expert_slots(routing.experts, n_experts)
    copies = x.repeat_interleave(k, dim=0)                     # pair j is a copy of token j // k
    buffer = x.new_zeros(n_experts * capacity, x.shape[1]).index_copy(0, row, copies)
    d_out = w_down.shape[-1]
    out = swiglu(buffer.view(n_experts, capacity, x.shape[1]), w_gate, w_up, w_down)
    y = out.reshape(n_experts * capacity, d_out).index_select(0, row).view(t, k, d_out)
    return (routing.weights.unsqueeze(-1) * y).sum(dim=1)


def expert_ffn_loop(x: torch.Tensor, routing: Routing, w_gate: torch.Tensor, w_up: torch.Tensor,
                    w_down: torch.Tensor) -> torch.Tensor:
    """The readable reference for :func:`expert_ffn`: token by token, chosen expert by chosen
    expert, y_t = sum_k g_{t,k} SwiGLU_{e(t,k)}(x_t). Same result, hundreds of times slower."""
    rows = []
    for t in range(x.shape[0]):
        y_t = x.new_zeros(w_down.shape[-1])
        for e, g in zip(routing.experts[t].tolist(), routing.weights[t], strict=True):
            y_t = y_t + g * swiglu(x[t], w_gate[e], w_up[e], w_down[e])
        rows.append(y_t)
    return torch.stack(rows) if rows else x.new_zeros(0, w_down.shape[-1])


class SwiGLU(nn.Module):
    """A dense SwiGLU FFN: the shared experts of a MoE layer, and the dense twin of a MoE model."""

    def __init__(self, d_model: int, d_hidden: int):
        super().__init__()
        validate.integer("d_model", d_model, low=1)
        validate.integer("d_hidden", d_hidden, low=1)
        self.w_gate = nn.Parameter(torch.randn(d_model, d_hidden) * d_model ** -0.5)
        self.w_up = nn.Parameter(torch.randn(d_model, d_hidden) * d_model ** -0.5)
        self.w_down = nn.Parameter(torch.randn(d_hidden, d_model) * d_hidden ** -0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return swiglu(x, self.w_gate, self.w_up, self.w_down)


# ---------------------------------------------------------------------------------------------
# The layer
# ---------------------------------------------------------------------------------------------

@dataclass
class MoEStats:
    """What one forward pass did: for plots, balancing and the loss.

    ``routing``: the :class:`Routing` (chosen experts per token, gates, affinities).
    ``load``: tokens per routed expert (E,). ``aux_loss``: alpha x balance loss when
    ``balance="aux_loss"``, else 0 (add it to the training loss).
    """

    routing: Routing
    load: torch.Tensor
    aux_loss: torch.Tensor

    @property
    def max_over_mean(self) -> float:
        """Load of the busiest expert over the mean load: 1 is perfect balance, E is collapse."""
        return float(self.load.max() / self.load.mean())


class MoELayer(nn.Module):
    """A DeepSeekMoE feed-forward layer: ``n_shared`` always-on experts plus ``top_k`` of
    ``n_routed`` fine-grained routed experts, each a SwiGLU of hidden width ``d_expert``.

    ``gate``: "softmax" (DeepSeekMoE, V2) or "sigmoid" (V3, gates normalised over the chosen).
    ``balance``: None; "aux_loss" (``stats.aux_loss`` = ``aux_alpha`` x :func:`balance_loss`);
    or "bias" (V3's auxiliary-loss-free balancing: ``expert_bias`` shifts the choice only; call
    :meth:`update_bias` after each optimiser step to nudge it by ``bias_speed`` (gamma) against
    the load seen since the last call). ``route_scale`` multiplies the gates; ``max_groups`` of
    ``n_groups`` limits each token to its best groups of experts (node-limited routing).

    V3's whole routing is ``gate="sigmoid", balance="bias", route_scale=2.5, n_groups=8,
    max_groups=4`` (with 256 experts, top-8): sigmoid scores; the bias used only to select, the
    groups ranked on the biased scores; the top-k gates renormalised and scaled. Simplifications
    against V3: one group per node is assumed (V3's 8 groups are its 8 nodes); the group score
    sums the top k/M biased scores (the report's wording; the released code sums the top 2, the
    same for k=8, M=4); no sequence-wise balance loss; experts are all in one process (see
    :mod:`tinyseek.moe_parallel` for expert parallelism); computations run in the input dtype
    (V3 computes gates in FP32 and experts in FP8/BF16).
    """

    def __init__(self, d_model: int, d_expert: int, n_routed: int, n_shared: int, top_k: int,
                 gate: str = "softmax", balance: str | None = None, *, aux_alpha: float = 0.01,
                 bias_speed: float = 1e-3, route_scale: float = 1.0, n_groups: int = 1,
                 max_groups: int | None = None):
        super().__init__()
        validate.integer("d_model", d_model, low=1)
        validate.integer("d_expert", d_expert, low=1)
        validate.integer("n_routed", n_routed, low=1)
        validate.integer("n_shared", n_shared, low=0)
        validate.integer("top_k", top_k, low=1, high=n_routed)
        validate.choice("gate", gate, GATES)
        validate.choice("balance", balance, BALANCES)
        self.d_model, self.d_expert, self.n_routed, self.n_shared, self.top_k = (
            d_model, d_expert, n_routed, n_shared, top_k)
        self.gate, self.balance = gate, balance
        self.aux_alpha = validate.non_negative("aux_alpha", aux_alpha)
        self.bias_speed = validate.non_negative("bias_speed", bias_speed)
        self.route_scale = validate.positive("route_scale", route_scale)
        validate.integer("n_groups", n_groups, low=1, high=n_routed)
        if n_routed % n_groups:
            raise ValueError(f"n_groups must divide n_routed={n_routed}, got {n_groups}")
        if max_groups is not None:
            validate.integer("max_groups", max_groups, low=1, high=n_groups)
            if top_k > max_groups * (n_routed // n_groups):
                raise ValueError(f"top_k must fit in max_groups x experts per group, got top_k={top_k}")
        self.n_groups, self.max_groups = n_groups, max_groups

        self.router = nn.Parameter(torch.randn(n_routed, d_model) * d_model ** -0.5)
        scale_in, scale_hidden = d_model ** -0.5, d_expert ** -0.5
        self.w_gate = nn.Parameter(torch.randn(n_routed, d_model, d_expert) * scale_in)
        self.w_up = nn.Parameter(torch.randn(n_routed, d_model, d_expert) * scale_in)
        self.w_down = nn.Parameter(torch.randn(n_routed, d_expert, d_model) * scale_hidden)
        self.shared = SwiGLU(d_model, n_shared * d_expert) if n_shared else None
        self.register_buffer("expert_bias", torch.zeros(n_routed))
        self.register_buffer("load_since_update", torch.zeros(n_routed))

    @property
    def activated_ffn_params(self) -> int:
        """Expert parameters one token uses: (top_k + n_shared) SwiGLUs of width d_expert."""
        return 3 * self.d_model * self.d_expert * (self.top_k + self.n_shared)

    def route(self, x: torch.Tensor, allowed: torch.Tensor | None = None) -> Routing:
        """The routing of tokens ``x`` (T, d) by this layer's router, bias and gate."""
        bias = self.expert_bias if self.balance == "bias" else None
        return route(x @ self.router.t(), self.top_k, self.gate, bias=bias, allowed=allowed,
                     route_scale=self.route_scale, n_groups=self.n_groups, max_groups=self.max_groups)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, MoEStats]:
        """``x`` of shape (..., d_model) -> (output of the same shape, :class:`MoEStats`)."""
        if x.shape[-1] != self.d_model:
            raise ValueError(f"x must end in d_model={self.d_model}, got shape {tuple(x.shape)}")
        flat = x.reshape(-1, self.d_model)
        routing = self.route(flat)
        y = expert_ffn(flat, routing, self.w_gate, self.w_up, self.w_down)
        if self.shared is not None:
            y = y + self.shared(flat)
        load = routing.load()
        if self.training and self.balance == "bias":
            self.load_since_update += load
        aux = (self.aux_alpha * balance_loss(routing) if self.balance == "aux_loss"
               else flat.new_zeros(()))
        return y.reshape(x.shape), MoEStats(routing, load, aux)

    @torch.no_grad()
    def update_bias(self, load: torch.Tensor | None = None) -> None:
        """V3's bias step: b_i -= gamma if expert i was overloaded, += gamma if underloaded.

        ``load`` defaults to the load accumulated by training-mode forwards since the last call
        (then reset). The expert-parallel layer passes the load summed over all processes.
        """
        if self.balance != "bias":
            return
        load = self.load_since_update if load is None else load
        if load.sum() > 0:
            self.expert_bias += self.bias_speed * torch.sign(load.mean() - load)
        self.load_since_update.zero_()


def update_biases(model: nn.Module) -> None:
    """Call :meth:`MoELayer.update_bias` on every MoE layer of ``model`` (after optimiser.step)."""
    for module in model.modules():
        if isinstance(module, MoELayer):
            module.update_bias()


# ---------------------------------------------------------------------------------------------
# Parameter counts of a DeepSeek-V3-shaped model
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelConfig:
    """The shape of a DeepSeek-V3-style model, with the field names of V3's ``config_671B.json``.

    ``inter_dim`` is the hidden width of the dense FFNs of the first ``n_dense_layers`` layers;
    ``moe_inter_dim`` that of one expert. MLA: queries compressed to ``q_lora_rank`` (0: no
    compression), keys and values to ``kv_lora_rank``; per head, ``qk_nope_head_dim`` +
    ``qk_rope_head_dim`` for queries/keys and ``v_head_dim`` for values.
    """

    vocab_size: int
    dim: int
    inter_dim: int
    moe_inter_dim: int
    n_layers: int
    n_dense_layers: int
    n_heads: int
    n_routed_experts: int
    n_shared_experts: int
    n_activated_experts: int
    q_lora_rank: int
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int

    def __post_init__(self):
        for f in fields(self):
            low = 0 if f.name in ("n_dense_layers", "n_shared_experts", "q_lora_rank",
                                  "n_routed_experts", "n_activated_experts") else 1
            validate.integer(f.name, getattr(self, f.name), low=low)
        if self.n_dense_layers > self.n_layers:
            raise ValueError(f"n_dense_layers must be ≤ n_layers={self.n_layers}, "
                             f"got {self.n_dense_layers}")
        if self.n_dense_layers < self.n_layers:
            validate.integer("n_routed_experts", self.n_routed_experts, low=1)
            validate.integer("n_activated_experts", self.n_activated_experts, low=1,
                             high=self.n_routed_experts)


@dataclass(frozen=True)
class ParamCount:
    """Parameters of a V3-shaped model by component (main model, no multi-token-prediction module).

    ``activated`` follows the convention that reproduces DeepSeek's published figures: every
    parameter a token's forward pass multiplies by, i.e. everything except the routed experts the
    token did not choose and the input embedding table (a row lookup, not a matmul; the output
    head is counted). ``activated_with_embedding`` counts the table too.
    """

    embedding: int
    attention: int
    dense_ffn: int
    shared_experts: int
    routed_experts: int
    routed_experts_activated: int
    routers: int
    norms: int
    head: int

    @property
    def total(self) -> int:
        return (self.embedding + self.attention + self.dense_ffn + self.shared_experts
                + self.routed_experts + self.routers + self.norms + self.head)

    @property
    def activated(self) -> int:
        return self.total - self.routed_experts + self.routed_experts_activated - self.embedding

    @property
    def activated_with_embedding(self) -> int:
        return self.activated + self.embedding

    def breakdown(self) -> dict[str, tuple[int, int]]:
        """{component: (total, activated per token)}, for a table."""
        return {
            "embedding": (self.embedding, 0),
            "attention (MLA)": (self.attention, self.attention),
            "dense FFNs": (self.dense_ffn, self.dense_ffn),
            "shared experts": (self.shared_experts, self.shared_experts),
            "routed experts": (self.routed_experts, self.routed_experts_activated),
            "routers": (self.routers, self.routers),
            "norms": (self.norms, self.norms),
            "output head": (self.head, self.head),
        }


def mla_params(c: ModelConfig) -> int:
    """One multi-head latent attention block: projections and the two latent norms."""
    qk_head = c.qk_nope_head_dim + c.qk_rope_head_dim
    if c.q_lora_rank:
        q = c.dim * c.q_lora_rank + c.q_lora_rank + c.q_lora_rank * c.n_heads * qk_head
    else:
        q = c.dim * c.n_heads * qk_head
    kv = (c.dim * (c.kv_lora_rank + c.qk_rope_head_dim) + c.kv_lora_rank
          + c.kv_lora_rank * c.n_heads * (c.qk_nope_head_dim + c.v_head_dim))
    out = c.n_heads * c.v_head_dim * c.dim
    return q + kv + out


def parameter_count(config: ModelConfig) -> ParamCount:
    """Total and activated parameters of a DeepSeek-V3-shaped model from its configuration.

    Per layer: RMSNorms before attention and FFN; MLA; then a dense SwiGLU (first
    ``n_dense_layers``) or a MoE layer (router E x d plus V3's balancing bias E, shared and routed
    SwiGLU experts of 3 x d x moe_inter_dim each). Plus the embedding, a final norm and an untied
    output head.
    """
    if not isinstance(config, ModelConfig):
        raise TypeError(f"config must be a ModelConfig, got {type(config).__name__}")
    c = config
    n_moe = c.n_layers - c.n_dense_layers
    expert = 3 * c.dim * c.moe_inter_dim
    return ParamCount(
        embedding=c.vocab_size * c.dim,
        attention=c.n_layers * mla_params(c),
        dense_ffn=c.n_dense_layers * 3 * c.dim * c.inter_dim,
        shared_experts=n_moe * c.n_shared_experts * expert,
        routed_experts=n_moe * c.n_routed_experts * expert,
        routed_experts_activated=n_moe * c.n_activated_experts * expert,
        routers=n_moe * (c.n_routed_experts * c.dim + c.n_routed_experts),
        norms=c.n_layers * 2 * c.dim + 1 * c.dim,
        head=c.vocab_size * c.dim,
    )


def v3_config() -> ModelConfig:
    """DeepSeek-V3's published configuration, read from ``data/moe.yaml`` (group ``v3_config``)."""
    from . import data

    return ModelConfig(**{f.name: int(data.value(f"v3_config.{f.name}")) for f in fields(ModelConfig)})


# ---------------------------------------------------------------------------------------------
# Loss-free balancing without training, and the all-to-all volume
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BalanceRun:
    """A simulated run of the bias rule: ``max_over_mean[t]`` of the load at step t."""

    gamma: float
    n_experts: int
    top_k: int
    max_over_mean: np.ndarray
    final_bias: np.ndarray = field(repr=False)


def simulate_bias_balancing(n_experts: int = 64, top_k: int = 6, gamma: float = 1e-3,
                            steps: int = 300, tokens: int = 1024, skew: float = 1.0,
                            seed: int = 0) -> BalanceRun:
    """The loss-free bias rule on a router that does not learn: how fast does it even the load?

    Each step draws ``tokens`` sigmoid affinities s = sigmoid(z + popularity) with z ~ N(0, 1) and
    a fixed per-expert popularity ~ N(0, ``skew``): some experts are favoured by the router, as
    after a collapse. The top-k of s + b are chosen, then b moves by gamma against the load.
    ``gamma = 0`` shows the imbalance the bias has to undo.
    """
    validate.integer("n_experts", n_experts, low=2, high=1024)
    validate.integer("top_k", top_k, low=1, high=n_experts - 1)
    validate.number("gamma", gamma, low=0.0, high=1.0)
    validate.integer("steps", steps, low=1, high=100_000)
    validate.integer("tokens", tokens, low=1, high=1_000_000)
    validate.non_negative("skew", skew, high=10.0)
    validate.integer("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    popularity = rng.normal(0.0, skew, n_experts)
    bias = np.zeros(n_experts)
    ratio = np.empty(steps)
    for t in range(steps):
        s = 1.0 / (1.0 + np.exp(-(rng.normal(size=(tokens, n_experts)) + popularity)))
        chosen = np.argpartition(-(s + bias), top_k - 1, axis=1)[:, :top_k]
        load = np.bincount(chosen.ravel(), minlength=n_experts).astype(float)
        ratio[t] = load.max() / load.mean()
        bias += gamma * np.sign(load.mean() - load)
    return BalanceRun(float(gamma), n_experts, top_k, ratio, bias)


def all_to_all_bytes(tokens: int, d_model: int, top_k: int, n_ranks: int, *,
                     n_experts: int | None = None, bytes_per_value: float = 2.0,
                     dedup: bool = False) -> float:
    """Expected bytes one process sends in one all-to-all of expert parallelism (the dispatch;
    the combine sends the same number of rows back) when experts are chosen uniformly at random.

    Each token has ``top_k`` copies to place; a copy whose expert lives on another process crosses
    the network. Without ``dedup`` every remote copy is sent: k (P - 1) / P rows per token. With
    ``dedup`` a token is sent once to each remote process that holds any of its experts (V3 does
    this per node): (P - 1) x P(a given process holds none of them) complemented. With
    ``n_experts`` the k experts are distinct (drawn without replacement, E / P per process);
    without it, independent draws are assumed.
    """
    _check_all_to_all(tokens, d_model, top_k, n_ranks, n_experts if dedup else None, bytes_per_value)
    p = n_ranks
    if not dedup:
        copies = top_k * (p - 1) / p
    elif n_experts is None:
        copies = (p - 1) * (1.0 - (1.0 - 1.0 / p) ** top_k)
    else:
        elsewhere = n_experts - n_experts // p
        miss = comb(elsewhere, top_k) / comb(n_experts, top_k)  # none of the k on this process
        copies = (p - 1) * (1.0 - miss)
    return tokens * copies * d_model * bytes_per_value


def _check_all_to_all(tokens, d_model, top_k, n_ranks, n_experts, bytes_per_value) -> None:
    """Argument checks of :func:`all_to_all_bytes`."""
    validate.integer("tokens", tokens, low=0)
    validate.integer("d_model", d_model, low=1)
    validate.integer("n_ranks", n_ranks, low=1)
    validate.integer("top_k", top_k, low=1)
    validate.positive("bytes_per_value", bytes_per_value)
    if n_experts is not None:
        validate.integer("n_experts", n_experts, low=top_k)
        if n_experts % n_ranks:
            raise ValueError(f"n_experts must be a multiple of n_ranks={n_ranks}, got {n_experts}")
