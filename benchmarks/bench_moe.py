"""Chapter 4 benchmarks: `python benchmarks/bench_moe.py` prints forward+backward tokens/s.

For a few MoE shapes (4,096 tokens): the layer's sorted dispatch (tokens grouped by expert, one
matmul chain per expert), a naive loop over tokens and their chosen experts (timed on 256 tokens,
it is that slow), and a dense SwiGLU with the same activated parameters (the width of the k routed
plus the shared experts). Ratios are against the sorted dispatch.
"""

from __future__ import annotations

import time

import torch
from tinyseek import moe

SHAPES = [  # d_model, d_expert, routed experts, top-k
    (128, 64, 8, 2),
    (128, 32, 64, 6),
    (256, 64, 16, 4),
    (256, 32, 64, 8),
]
TOKENS, NAIVE_TOKENS = 4096, 256


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


def naive_loop(layer: moe.MoELayer, x: torch.Tensor) -> torch.Tensor:
    """The obvious implementation: for every token, run each chosen expert on that token alone."""
    routing = layer.route(x)
    rows = []
    for t in range(x.shape[0]):
        y = layer.shared(x[t:t + 1])
        for e, g in zip(routing.experts[t].tolist(), routing.weights[t]):
            y = y + g * moe.swiglu(x[t:t + 1], layer.w_gate[e], layer.w_up[e], layer.w_down[e])
        rows.append(y)
    return torch.cat(rows)


def main() -> None:
    torch.manual_seed(0)
    print(f"threads: {torch.get_num_threads()}; forward+backward, tokens/s (higher is better)")
    print(f"  {'d_model, d_expert, experts, top-k':<34} {'sorted':>10} {'naive loop':>12} "
          f"{'dense twin':>12}  sorted/naive  dense/sorted")
    for d, h, n, k in SHAPES:
        layer = moe.MoELayer(d, h, n, n_shared=1, top_k=k, gate="sigmoid")
        dense = moe.SwiGLU(d, (k + 1) * h)
        x = torch.randn(TOKENS, d)
        params = list(layer.parameters())
        sorted_tps = tokens_per_s(lambda v: layer(v)[0], x, params)
        naive_tps = tokens_per_s(lambda v: naive_loop(layer, v), x[:NAIVE_TOKENS], params, repeat=1)
        dense_tps = tokens_per_s(dense, x, list(dense.parameters()))
        print(f"  {f'{d}, {h}, {n}, top-{k}':<34} {sorted_tps:10,.0f} {naive_tps:12,.0f} "
              f"{dense_tps:12,.0f}  {sorted_tps / naive_tps:10.1f}x  {dense_tps / sorted_tps:10.1f}x")


if __name__ == "__main__":
    main()
