"""Chapter 4 benchmarks: `python benchmarks/bench_moe.py [--seeds 5]`.

1. Dispatch throughput, forward+backward tokens/s, for a few MoE shapes (4,096 tokens): the layer's
   batched dispatch (one padded batched matmul over all experts, `moe.expert_ffn`), the older
   sorted dispatch (one matmul chain per expert in a Python loop, `moe.grouped_ffn`), the readable
   per-token reference (`moe.expert_ffn_loop`, timed on 256 tokens, it is that slow), and a dense
   SwiGLU with the same activated parameters. Ratios are against the batched dispatch.
2. One training step of the chapter's recall MoE with either dispatch (where the layer's own path
   matters: small shapes, many small operations).
3. The recall effect (`tinyseek.recall`): the MoE, its dense twin (activated parameters >= the
   MoE's, router included) and the dense model with the MoE's total parameters, on the chapter's
   facts, over `--seeds` seeds and `--steps` steps: recall mean +- spread (max - min), wall time per
   model, and the effect (MoE minus twin) against the spread and on every seed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from tinyseek import moe
from tinyseek import recall as rc

SHAPES = [  # d_model, d_expert, routed experts, top-k
    (32, 16, 32, 2),
    (128, 64, 8, 2),
    (128, 32, 64, 6),
    (256, 32, 64, 8),
]
TOKENS, LOOP_TOKENS = 4096, 256


def tokens_per_s(fn, x: torch.Tensor, params, repeat: int = 3) -> float:
    """Best of ``repeat`` forward+backward passes, as tokens per second."""
    def step():
        for p in params:
            p.grad = None
        fn(x).sum().backward()
    step()
    best = min(_timed(step) for _ in range(repeat))
    return x.shape[0] / best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def sorted_dispatch(x, routing, w_gate, w_up, w_down):
    """The chapter's earlier dispatch: sort by expert, one matmul chain per expert, scatter back."""
    k = routing.experts.shape[1]
    order, counts = moe.sort_by_expert(routing.experts, w_gate.shape[0])
    token = order // k
    y = moe.grouped_ffn(x.index_select(0, token), counts, w_gate, w_up, w_down)
    y = y * routing.weights.reshape(-1)[order].unsqueeze(1)
    return x.new_zeros(x.shape[0], w_down.shape[-1]).index_add(0, token, y)


def dispatch_table() -> None:
    torch.manual_seed(0)
    print(f"threads: {torch.get_num_threads()}; forward+backward, tokens/s (higher is better)")
    print(f"  {'d_model, d_expert, experts, top-k':<34} {'batched':>10} {'sorted':>10} {'loop':>8} "
          f"{'dense twin':>11}  batched/sorted  batched/loop  dense/batched")
    for d, h, n, k in SHAPES:
        layer = moe.MoELayer(d, h, n, n_shared=1, top_k=k, gate="sigmoid")
        dense = moe.SwiGLU(d, (k + 1) * h)
        x = torch.randn(TOKENS, d)
        params = list(layer.parameters())

        def with_(ffn, layer=layer):
            return lambda v: ffn(v, layer.route(v), layer.w_gate, layer.w_up, layer.w_down) + layer.shared(v)
        batched = tokens_per_s(with_(moe.expert_ffn), x, params)
        old = tokens_per_s(with_(sorted_dispatch), x, params)
        loop = tokens_per_s(with_(moe.expert_ffn_loop), x[:LOOP_TOKENS], params, repeat=1)
        dense_tps = tokens_per_s(dense, x, list(dense.parameters()))
        print(f"  {f'{d}, {h}, {n}, top-{k}':<34} {batched:10,.0f} {old:10,.0f} {loop:8,.0f} {dense_tps:11,.0f}"
              f"  {batched / old:13.2f}x {batched / loop:12.0f}x {dense_tps / batched:13.2f}x")


def training_step_table(repeats: int = 3, steps: int = 60) -> None:
    """ms per training step of the chapter's recall MoE with the batched and the sorted dispatch,
    interleaved so that both see the same machine load; best of ``repeats``."""
    ids = rc.encode_facts(rc.make_facts(2000, seed=0))
    fast, best = moe.expert_ffn, {"batched": [], "sorted": []}
    try:
        for _ in range(repeats):
            for name, fn in (("batched", fast), ("sorted", sorted_dispatch)):
                moe.expert_ffn = fn
                best[name].append(rc.train("moe", ids, steps=steps, seed=0).ms_per_step)
    finally:
        moe.expert_ffn = fast
    print(f"\nrecall MoE training step (batch 128 facts): batched {min(best['batched']):.1f} ms, "
          f"sorted {min(best['sorted']):.1f} ms (best of {repeats} x {steps} steps)")


def recall_table(seeds: int, steps: int = 1000, n_facts: int = 2000) -> None:
    """Recall of the three models over ``seeds`` seeds (mean +- spread, spread = max - min), and
    the capacity effect the chapter reports: MoE minus twin, on every seed and against the spread."""
    ids = rc.encode_facts(rc.make_facts(n_facts, seed=0))
    print(f"\nrecall of {n_facts} facts, {seeds} seeds, {steps} steps (other settings: tinyseek.recall.train's)")
    print(f"  {'model':<13} {'params total':>12} {'activated':>10} {'FLOPs/token':>12} "
          f"{'recall mean +- spread':>22} {'s/model':>8} {'ms/step':>8}")
    recalls = {}
    for kind in rc.KINDS:
        runs = [rc.train(kind, ids, steps=steps, seed=s) for s in range(seeds)]
        r = recalls[kind] = np.array([run.recall for run in runs])
        print(f"  {kind:<13} {runs[0].params_total:12,} {runs[0].params_activated:10,} "
              f"{runs[0].flops_per_token:12,} {r.mean():14.3f} +- {np.ptp(r):.3f} "
              f"{np.mean([x.seconds for x in runs]):8.1f} {np.mean([x.ms_per_step for x in runs]):8.1f}"
              f"   per seed {np.round(r, 3).tolist()}", flush=True)
    m, d = recalls["moe"], recalls["dense_active"]
    effect, spread = m.mean() - d.mean(), max(np.ptp(m), np.ptp(d))
    print(f"  MoE - dense twin: {effect:.3f} +- {spread:.3f} (largest spread), {effect / max(spread, 1e-9):.1f}x the "
          f"spread; smallest per-seed margin {np.min(m - d):.3f}; MoE ahead on every seed: {bool(np.all(m > d))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1000, help="training steps of each recall run")
    parser.add_argument("--skip-recall", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    dispatch_table()
    training_step_table()
    if not args.skip_recall:
        recall_table(args.seeds, args.steps)


if __name__ == "__main__":
    main()
