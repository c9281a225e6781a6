"""Expert parallelism on a real distributed engine: a MoE layer whose routed experts are split
over processes, with tokens travelling to their experts and back by all-to-all.

Each of P processes (``torch.distributed`` ranks; the gloo backend runs them on CPU) keeps the
router and the shared experts whole and holds E / P routed experts: rank r has experts
r E/P ... (r+1) E/P - 1. A forward pass on a rank's own tokens then

1. routes them (every rank has the same router, so no communication is needed for that);
2. **dispatch**: sorts the (token, expert) pairs by expert, which also groups them by the rank
   that owns the expert, and sends each rank its rows in one all-to-all;
3. runs its local experts on what it received (one matmul chain per expert, as in
   :func:`tinyseek.moe.expert_ffn`);
4. **combine**: sends the results back to the tokens' ranks in a second all-to-all, where the
   gates weight them and the shared experts are added.

The exchange is differentiable (a small autograd function), so the backward pass runs the same two
all-to-alls in reverse. :func:`run` spawns the processes and collects what each rank computed, so
a test or a chapter can compare it with the single-process :class:`tinyseek.moe.MoELayer`.
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from . import moe, validate

MAX_RANKS = 8


class _AllToAll(torch.autograd.Function):
    """A differentiable all-to-all: the gradient of "send ``send[r]`` rows to rank r" is the
    all-to-all back, with the split sizes swapped."""

    @staticmethod
    def forward(ctx, rows, send, recv):
        ctx.send, ctx.recv = send, recv
        out = rows.new_empty(sum(recv), *rows.shape[1:])
        dist.all_to_all_single(out, rows.contiguous(), output_split_sizes=recv,
                               input_split_sizes=send)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _AllToAll.apply(grad.contiguous(), ctx.recv, ctx.send), None, None


class ExpertParallelMoE(nn.Module):
    """This rank's share of a :class:`~tinyseek.moe.MoELayer` (same routing, same output).

    Built from a whole layer with :meth:`from_layer`, so that every rank starts from the same
    weights. ``bytes_sent`` accumulates the bytes this rank sent to *other* ranks in forward
    all-to-alls, as ``{"dispatch": ..., "combine": ...}``.
    """

    def __init__(self, layer: moe.MoELayer, rank: int, world_size: int):
        super().__init__()
        if not isinstance(layer, moe.MoELayer):
            raise TypeError(f"layer must be a tinyseek.moe.MoELayer, got {type(layer).__name__}")
        validate.integer("world_size", world_size, low=1, high=MAX_RANKS)
        validate.integer("rank", rank, low=0, high=world_size - 1)
        if layer.n_routed % world_size:
            raise ValueError(f"n_routed={layer.n_routed} must be a multiple of world_size={world_size}")
        self.layer_config = dict(top_k=layer.top_k, gate=layer.gate, route_scale=layer.route_scale,
                                 balance=layer.balance)
        self.rank, self.world_size = rank, world_size
        self.n_routed, self.per_rank = layer.n_routed, layer.n_routed // world_size
        lo, hi = rank * self.per_rank, (rank + 1) * self.per_rank
        self.router = nn.Parameter(layer.router.detach().clone())
        self.w_gate = nn.Parameter(layer.w_gate.detach()[lo:hi].clone())
        self.w_up = nn.Parameter(layer.w_up.detach()[lo:hi].clone())
        self.w_down = nn.Parameter(layer.w_down.detach()[lo:hi].clone())
        self.shared = copy.deepcopy(layer.shared)          # replicated, like the router
        self.register_buffer("expert_bias", layer.expert_bias.detach().clone())
        self.bytes_sent = {"dispatch": 0, "combine": 0}

    @classmethod
    def from_layer(cls, layer: moe.MoELayer, rank: int | None = None,
                   world_size: int | None = None) -> ExpertParallelMoE:
        """This rank's share of ``layer``; rank and world size default to the process group's."""
        rank = dist.get_rank() if rank is None else rank
        world_size = dist.get_world_size() if world_size is None else world_size
        return cls(layer, rank, world_size)

    def _exchange(self, rows: torch.Tensor, send: list[int], recv: list[int], step: str):
        """All-to-all of ``rows``: ``send[r]`` rows go to rank r, ``recv[r]`` come from it."""
        out = _AllToAll.apply(rows, send, recv)
        remote = sum(n for r, n in enumerate(send) if r != self.rank)
        self.bytes_sent[step] += remote * rows.shape[1] * rows.element_size()
        return out

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's tokens ``x`` (T, d) -> (output (T, d), load of all E experts from these tokens)."""
        c = self.layer_config
        bias = self.expert_bias if c["balance"] == "bias" else None
        routing = moe.route(x @ self.router.t(), c["top_k"], c["gate"], bias=bias,
                            route_scale=c["route_scale"])
        k = c["top_k"]
        order, counts = moe.sort_by_expert(routing.experts, self.n_routed)
        token = order // k
        p = self.per_rank
        send = [sum(counts[r * p:(r + 1) * p]) for r in range(self.world_size)]
        recv_t = torch.empty(self.world_size, dtype=torch.long)
        dist.all_to_all_single(recv_t, torch.tensor(send, dtype=torch.long))
        recv = recv_t.tolist()

        # dispatch: token rows, and which of the receiver's experts each row is for
        local_id = (routing.experts.reshape(-1)[order] % p).unsqueeze(1)
        got_id = torch.empty(sum(recv), 1, dtype=torch.long)
        dist.all_to_all_single(got_id, local_id, output_split_sizes=recv, input_split_sizes=send)
        got = self._exchange(x.index_select(0, token), send, recv, "dispatch")

        # local experts on their contiguous blocks (rows from several ranks, re-sorted by expert)
        by_expert, expert_counts = moe.sort_by_expert(got_id, p)
        y_sorted = moe.grouped_ffn(got[by_expert], expert_counts, self.w_gate, self.w_up, self.w_down)
        y_got = torch.empty_like(y_sorted).index_copy(0, by_expert, y_sorted)

        # combine: results back to the tokens' ranks, in the order they were sent
        y = self._exchange(y_got, recv, send, "combine")
        y = y * routing.weights.reshape(-1)[order].unsqueeze(1)
        out = torch.zeros_like(x).index_add(0, token, y)
        if self.shared is not None:
            out = out + self.shared(x)
        return out, routing.load()


@dataclass
class ParallelRun:
    """What :func:`run` collected from each rank: outputs and input gradients in token order, the
    summed gradient of the replicated router, the expert-weight gradients in expert order, the
    load summed over ranks, and the bytes each rank sent to others."""

    output: torch.Tensor
    input_grad: torch.Tensor
    grads: dict[str, torch.Tensor]
    load: torch.Tensor
    bytes_sent: list[dict[str, int]]


def _worker(rank: int, world_size: int, init_file: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world_size)
    try:
        state = torch.load(Path(out_dir) / "input.pt", weights_only=False)
        layer, x, weight = state["layer"], state["x"], state["weight"]
        mine = x.chunk(world_size)[rank].clone().requires_grad_(True)
        part = ExpertParallelMoE.from_layer(layer)
        y, load = part(mine)
        (y * weight.chunk(world_size)[rank]).sum().backward()
        dist.all_reduce(load)
        torch.save({"y": y.detach(), "x_grad": mine.grad, "load": load,
                    "grads": {n: p.grad for n, p in part.named_parameters()},
                    "bytes": dict(part.bytes_sent)}, Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def run(layer: moe.MoELayer, x: torch.Tensor, world_size: int = 2,
        weight: torch.Tensor | None = None) -> ParallelRun:
    """Run ``layer`` expert-parallel on ``world_size`` spawned CPU processes (gloo).

    ``x`` (T, d) is split into equal consecutive chunks, one per rank; each rank's loss is
    ``(output * weight).sum()`` over its chunk (``weight`` defaults to ones), so gradients can be
    compared with one process computing the same sum over all tokens.
    """
    if not isinstance(layer, moe.MoELayer):
        raise TypeError(f"layer must be a tinyseek.moe.MoELayer, got {type(layer).__name__}")
    validate.integer("world_size", world_size, low=1, high=MAX_RANKS)
    if x.dim() != 2 or x.shape[1] != layer.d_model:
        raise ValueError(f"x must have shape (tokens, {layer.d_model}), got {tuple(x.shape)}")
    if x.shape[0] % world_size:
        raise ValueError(f"x's {x.shape[0]} tokens must split evenly over world_size={world_size}")
    if layer.n_routed % world_size:
        raise ValueError(f"n_routed={layer.n_routed} must be a multiple of world_size={world_size}")
    weight = torch.ones_like(x) if weight is None else weight
    with tempfile.TemporaryDirectory() as tmp:
        torch.save({"layer": layer, "x": x.detach(), "weight": weight}, Path(tmp) / "input.pt")
        init_file = os.path.join(tmp, "rendezvous")
        mp.start_processes(_worker, args=(world_size, init_file, tmp), nprocs=world_size,
                           join=True, start_method="spawn")
        parts = [torch.load(Path(tmp) / f"rank{r}.pt") for r in range(world_size)]
    grads = {"router": sum(p["grads"]["router"] for p in parts)}
    for name in ("w_gate", "w_up", "w_down"):
        grads[name] = torch.cat([p["grads"][name] for p in parts])
    if layer.shared is not None:
        for name in ("w_gate", "w_up", "w_down"):
            grads[f"shared.{name}"] = sum(p["grads"][f"shared.{name}"] for p in parts)
    return ParallelRun(torch.cat([p["y"] for p in parts]), torch.cat([p["x_grad"] for p in parts]),
                       grads, parts[0]["load"], [p["bytes"] for p in parts])
