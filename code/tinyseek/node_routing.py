"""Node-limited routing: cap how many nodes a token's experts may live on, to spare InfiniBand.

DeepSeek-V3 spreads each layer's 256 routed experts over 64 GPUs in 8 nodes (32 experts per
node). A token picks 8 experts; picked freely they usually sit on five or six different nodes,
and every node other than the token's own must be reached over InfiniBand (IB), which the report
works with at 50 GB/s per GPU against 160 GB/s for NVLink inside a node. V3 therefore lets a
token use experts on at most ``M = 4`` nodes (Section 2.1.2 and 3.2.2 of the report):

1. score each node by the sum of the highest ``top_k / M`` selection scores among its experts
   (affinity plus the balancing bias when there is one: the released code ranks nodes on the
   same bias-corrected scores that then choose the experts);
2. keep the ``M`` best nodes;
3. pick the ``top_k`` experts among the experts of those nodes only.

Dispatch then sends each token **once** over IB to each chosen remote node (to the GPU with the
same index within the node) and forwards it over NVLink to the GPUs that hold its experts there.
So the IB traffic counts *distinct remote nodes*, not experts: the limit caps it at ``M`` copies
per token, and de-duplicating per node is what makes the cap pay.

The routing itself is ``tinyseek.moe.route`` with an ``allowed`` mask; the prices come from
``tinyseek.roofline`` (``transfer_time`` over the report's own IB and NVLink figures,
``Link.v3_infiniband`` and ``Link.v3_nvlink``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import data, moe, roofline, validate

MAX_TOKENS = 1 << 20


def v3_layout() -> dict[str, int]:
    """V3's routing layout from the sourced data: experts, nodes, experts per token, node limit."""
    return {"n_experts": int(data.value("v3_config.n_routed_experts")),
            "n_nodes": int(data.value("v3_moe.expert_parallel_nodes")),
            "top_k": int(data.value("v3_config.n_activated_experts")),
            "max_nodes": int(data.value("v3_moe.max_nodes_per_token"))}


def _check_layout(n_experts: int, n_nodes: int, top_k: int, max_nodes: int | None) -> None:
    validate.integer("n_experts", n_experts, low=1, high=1 << 16)
    validate.integer("n_nodes", n_nodes, low=1, high=n_experts)
    if n_experts % n_nodes:
        raise ValueError(f"n_nodes must divide n_experts ({n_experts}), got {n_nodes}")
    validate.integer("top_k", top_k, low=1, high=n_experts)
    if max_nodes is not None:
        validate.integer("max_nodes", max_nodes, low=1, high=n_nodes)
        if top_k > max_nodes * (n_experts // n_nodes):
            raise ValueError(f"top_k ({top_k}) must fit in max_nodes x experts per node "
                             f"({max_nodes * (n_experts // n_nodes)})")


def expert_nodes(n_experts: int, n_nodes: int) -> torch.Tensor:
    """The node of each expert, experts laid out in contiguous equal blocks: shape (E,)."""
    _check_layout(n_experts, n_nodes, 1, None)
    return torch.arange(n_experts) // (n_experts // n_nodes)


def node_limited_mask(scores: torch.Tensor, n_nodes: int, max_nodes: int,
                      top_k: int, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Boolean (T, E) mask of the experts on each token's ``max_nodes`` best nodes.

    A node's score is the sum of its ``top_k // max_nodes`` highest selection scores (at least
    one), V3's rule; the selection scores are the affinities ``scores`` plus the balancing
    ``bias`` (E,) when given, as in V3's released code: the nodes are ranked on the same
    bias-corrected scores that then choose the experts. The rule itself lives in
    :func:`tinyseek.moe.group_limited_mask`.
    """
    if not isinstance(scores, torch.Tensor) or scores.dim() != 2:
        raise ValueError("scores must be a (tokens, experts) tensor")
    t, e = scores.shape
    _check_layout(e, n_nodes, top_k, max_nodes)
    if bias is not None:
        if bias.shape != (e,):
            raise ValueError(f"bias must have shape ({e},), got {tuple(bias.shape)}")
        scores = scores + bias
    return moe.group_limited_mask(scores, n_nodes, max_nodes, top_k)


def route(logits: torch.Tensor, n_nodes: int, top_k: int, max_nodes: int | None,
          gate: str = "sigmoid", bias: torch.Tensor | None = None,
          route_scale: float = 1.0) -> moe.Routing:
    """Top-``top_k`` routing, limited to ``max_nodes`` nodes per token (``None``: no limit).

    With ``bias`` (V3's balancing bias, shape (E,)) both the nodes and the experts are chosen on
    affinity + bias, and the gates use the affinities alone; ``route_scale`` scales the gates.
    """
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
        raise ValueError("logits must be a (tokens, experts) tensor")
    _check_layout(logits.shape[1], n_nodes, top_k, max_nodes)
    return moe.route(logits, top_k, gate, bias=bias, route_scale=route_scale, n_groups=n_nodes,
                     max_groups=max_nodes)


@dataclass(frozen=True)
class Traffic:
    """Per-token averages of one routing's dispatch.

    ``nodes``: distinct nodes a token's experts are on. ``ib_per_expert``: IB copies if a token
    is sent once per expert on another node (no de-duplication). ``ib_per_node``: IB copies with
    one copy per remote node (V3's dispatch). ``nvlink``: copies forwarded inside nodes, one per
    chosen expert not on the GPU that received the token (counted as one per chosen expert, an
    upper bound). ``max_nodes_seen``: the most nodes any token touched.
    """

    nodes: float
    ib_per_expert: float
    ib_per_node: float
    nvlink: float
    max_nodes_seen: int


def traffic(routing: moe.Routing, n_nodes: int, home_node: torch.Tensor | None = None) -> Traffic:
    """Count the dispatch copies of ``routing``; token ``t`` lives on ``home_node[t]`` (default:
    tokens dealt round-robin over the nodes, as data parallelism spreads them)."""
    if not isinstance(routing, moe.Routing):
        raise TypeError(f"routing must be a tinyseek.moe.Routing, got {type(routing).__name__}")
    t, k = routing.experts.shape
    node_of = expert_nodes(routing.n_experts, n_nodes)
    if home_node is None:
        home_node = torch.arange(t) % n_nodes
    if home_node.shape != (t,):
        raise ValueError(f"home_node must have shape ({t},), got {tuple(home_node.shape)}")
    nodes = node_of[routing.experts]                                         # (T, k)
    touched = torch.zeros(t, n_nodes, dtype=torch.bool).scatter_(1, nodes, True)
    remote = nodes != home_node[:, None]
    remote_nodes = touched.clone()
    remote_nodes[torch.arange(t), home_node] = False
    return Traffic(nodes=float(touched.sum(1).float().mean()),
                   ib_per_expert=float(remote.sum(1).float().mean()),
                   ib_per_node=float(remote_nodes.sum(1).float().mean()),
                   nvlink=float(k),
                   max_nodes_seen=int(touched.sum(1).max()))


def random_logits(tokens: int, n_experts: int, seed: int = 0) -> torch.Tensor:
    """Router logits with no structure (standard normal): the baseline where experts are chosen
    uniformly at random. A trained router has preferences; this shows the geometry alone."""
    validate.integer("tokens", tokens, low=1, high=MAX_TOKENS)
    validate.integer("n_experts", n_experts, low=1, high=1 << 16)
    validate.integer("seed", seed, low=0)
    return torch.randn(tokens, n_experts, generator=torch.Generator().manual_seed(seed))


def choice_overlap(free: moe.Routing, limited: moe.Routing) -> tuple[float, float]:
    """What the limit costs the router: the share of freely chosen experts the limited routing
    keeps, and the share of the free choice's summed affinity it keeps (same tokens)."""
    if free.experts.shape != limited.experts.shape:
        raise ValueError("the two routings must cover the same tokens with the same top_k")
    kept = (free.experts[:, :, None] == limited.experts[:, None, :]).any(-1).float().mean()
    mass_free = free.scores.gather(1, free.experts).sum(1)
    mass_limited = free.scores.gather(1, limited.experts).sum(1)
    return float(kept), float((mass_limited / mass_free).mean())


def dispatch_seconds(tokens_per_gpu: int, ib_copies: float, nvlink_copies: float,
                     hidden: int | None = None, bytes_per_value: float = 1.0) -> dict[str, float]:
    """Seconds one GPU spends sending its tokens' dispatch over IB and forwarding over NVLink.

    Each copy is a ``hidden``-wide activation (V3's 7168 by default) of ``bytes_per_value`` bytes
    (1: V3 dispatches in FP8). Priced with ``roofline.transfer_time`` on the V3 report's own link
    figures. With the two stages pipelined, the dispatch takes about the larger of the two.
    """
    validate.integer("tokens_per_gpu", tokens_per_gpu, low=0, high=MAX_TOKENS)
    validate.non_negative("ib_copies", ib_copies, high=1 << 16)
    validate.non_negative("nvlink_copies", nvlink_copies, high=1 << 16)
    hidden = int(data.value("v3_config.dim")) if hidden is None else hidden
    validate.integer("hidden", hidden, low=1, high=1 << 20)
    validate.positive("bytes_per_value", bytes_per_value, high=16)
    row = hidden * bytes_per_value
    ib = roofline.transfer_time(tokens_per_gpu * ib_copies * row, roofline.Link.v3_infiniband())
    nv = roofline.transfer_time(tokens_per_gpu * nvlink_copies * row, roofline.Link.v3_nvlink())
    return {"ib": ib, "nvlink": nv, "dispatch": max(ib, nv)}


def experts_per_node_at_ib_cost() -> float:
    """How many NVLink forwards fit in the time of one IB transfer: NVLink / IB bandwidth.

    With the report's 160 and 50 GB/s this is its "3.2 experts per node"."""
    return roofline.Link.v3_nvlink().effective_gbs / roofline.Link.v3_infiniband().effective_gbs


def expected_nodes(n_experts: int, n_nodes: int, top_k: int) -> float:
    """Expected distinct nodes touched by ``top_k`` distinct experts drawn uniformly at random:
    ``n_nodes x (1 - C(E - E/N, k) / C(E, k))``."""
    from math import comb

    _check_layout(n_experts, n_nodes, top_k, None)
    per = n_experts // n_nodes
    return n_nodes * (1 - comb(n_experts - per, top_k) / comb(n_experts, top_k))
