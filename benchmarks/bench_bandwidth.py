"""Chapter 5 and 6 benchmarks: `python benchmarks/bench_bandwidth.py` prints times and ratios.

1. One decoding step of attention over a cache of S tokens: MHA with cached keys and values,
   MLA in naive form (rebuild keys and values from the cached latents every step) and MLA in
   absorbed form (attend over the latents). CPU times; the bytes each reads are printed beside
   them, since on a GPU decoding is bound by those bytes.
2. FP8 quantisation of a 4096 x 4096 tensor, per-tensor against 1x128 tiles and 128x128 blocks.
3. The accumulation simulator (one 32 x K by K x 32 product) for K = 1024 and 4096.
4. The pipeline simulator: 1F1B and DualPipe at 16 stages and 64 micro-batches.
5. Node-limited routing of 65,536 tokens over V3's layout, free against limited.
6. Multi-token prediction: train the chapter's tiny model (one seed), then greedy decoding against
   speculative decoding with the MTP draft on 16 prompts (wall time and main-model passes). With
   no KV cache and a tiny model the CPU time is not the GPU's; the pass count is the point.
7. MTP's effect over three seeds, mean and spread: the acceptance rate of the drafted second
   token and the tokens per main-model pass it buys (beside V3's reported acceptance), and the
   next-token loss of the same model trained with and without the MTP module.
"""

from __future__ import annotations

import math
import statistics
import time

import torch
from tinyseek import data, fp8, mla, mtp, node_routing, pipeline


def best_of(fn, repeat: int = 5) -> float:
    """Fastest of ``repeat`` runs, in seconds (the least disturbed by other processes)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def row(name: str, seconds: float, baseline: float | None = None, note: str = "") -> None:
    ratio = f"{seconds / baseline:6.2f}x" if baseline else "       "
    print(f"  {name:<44} {seconds * 1e3:9.3f} ms  {ratio}  {note}")


@torch.no_grad()
def bench_decode(d_model=1024, n_heads=16, head_dim=64, kv_rank=256, rope_dim=32, cache=4096):
    torch.manual_seed(0)
    layer = mla.MultiHeadLatentAttention(d_model, n_heads, head_dim, kv_rank, rope_dim)
    mha = mla.MultiHeadAttention(d_model, n_heads, head_dim)
    x = torch.randn(1, cache, d_model)
    new = x[:, -1:]
    latents, rope_keys = layer.compress(x)
    k, v = mha.kv(x)
    pos = torch.tensor([cache - 1])

    def mha_step():
        q = mla.rope(mha.wq(new).view(1, 1, n_heads, head_dim).transpose(1, 2), pos)
        p = (q @ k.transpose(-1, -2) / math.sqrt(head_dim)).softmax(-1)
        return mha.wo((p @ v).transpose(1, 2).reshape(1, 1, -1))

    def mla_naive_step():
        kk = layer.w_uk(latents).view(1, cache, n_heads, head_dim).transpose(1, 2)
        vv = layer.w_uv(latents).view(1, cache, n_heads, head_dim).transpose(1, 2)
        q, qr = layer._queries(new, cache - 1)
        s = (q @ kk.transpose(-1, -2) + qr @ rope_keys[:, None].transpose(-1, -2)) * layer.scale
        return layer.wo((s.softmax(-1) @ vv).transpose(1, 2).reshape(1, 1, -1))

    folded = layer.absorbed_weights()                 # once per model, as a server would

    def mla_absorbed_step():
        return layer.attend_cached(new, latents, rope_keys, start=cache - 1, weights=folded)

    torch.testing.assert_close(mla_naive_step(), mla_absorbed_step(), rtol=1e-3, atol=1e-4)
    mha_shape = mla.AttentionShape("mha", "mha", 1, n_heads, head_dim)
    mla_shape = layer.shape()
    print(f"\n== 1. One decoding step over a {cache}-token cache "
          f"(d_model {d_model}, {n_heads} heads of {head_dim}, latent {kv_rank} + RoPE {rope_dim}) ==")
    base = best_of(mha_step)
    row("MHA, cached keys and values", base, None,
        f"reads {mla.kv_cache_bytes(mha_shape, cache, 'fp32') / 1e6:.1f} MB of cache")
    row("MLA naive (rebuild K, V from latents)", best_of(mla_naive_step), base,
        f"reads {mla.kv_cache_bytes(mla_shape, cache, 'fp32') / 1e6:.1f} MB, then recomputes K and V")
    row("MLA absorbed (attend over latents)", best_of(mla_absorbed_step), base,
        f"reads {mla.kv_cache_bytes(mla_shape, cache, 'fp32') / 1e6:.1f} MB")


def bench_fp8():
    x = torch.randn(4096, 4096, generator=torch.Generator().manual_seed(0))
    print("\n== 2. FP8 round trip of a 4096 x 4096 tensor ==")
    base = best_of(lambda: fp8.round_trip(x, "per-tensor"), 3)
    row("per-tensor scale", base)
    row("1x128 tiles (131,072 scales)", best_of(lambda: fp8.round_trip(x, "tile"), 3), base)
    row("128x128 blocks (1,024 scales)", best_of(lambda: fp8.round_trip(x, "block"), 3), base)


def bench_accumulation():
    print("\n== 3. Accumulation simulator (32 x K by K x 32) ==")
    base = best_of(lambda: fp8.accumulation_error(1024), 3)
    row("K = 1024, 14 bits", base)
    row("K = 4096, 14 bits", best_of(lambda: fp8.accumulation_error(4096), 3), base)
    row("K = 4096, 14 bits, FP32 every 128",
        best_of(lambda: fp8.accumulation_error(4096, promote_every=128), 3), base)


def bench_pipeline():
    times = pipeline.chunk_times(1, 1, 2, 2, 1, overlap=True)
    print("\n== 4. Pipeline simulator, 16 stages, 64 micro-batches ==")
    base = best_of(lambda: pipeline.run_schedule("1F1B", 16, 64, times), 3)
    row("1F1B", base)
    row("ZB1P (greedy)", best_of(lambda: pipeline.run_schedule("ZB1P", 16, 64, times), 3), base)
    row("DualPipe", best_of(lambda: pipeline.run_schedule("DualPipe", 16, 64, times), 3), base)


def bench_routing():
    lay = node_routing.v3_layout()
    logits = node_routing.random_logits(65536, lay["n_experts"], seed=0)
    print("\n== 5. Routing 65,536 tokens over V3's layout (256 experts, 8 nodes, top-8) ==")
    base = best_of(lambda: node_routing.route(logits, lay["n_nodes"], lay["top_k"], None), 3)
    row("free top-8", base)
    row("limited to 4 nodes", best_of(
        lambda: node_routing.route(logits, lay["n_nodes"], lay["top_k"], lay["max_nodes"]), 3), base)


def bench_mtp(seeds=(0, 1, 2)):
    print("\n== 6. MTP: one training run, then greedy against speculative decoding of 16 prompts ==")
    start = time.perf_counter()
    model = mtp.train(mtp=True, seed=0).model.eval()
    row("training (300 steps)", time.perf_counter() - start)
    prompts, _ = mtp.prompts(16)
    n_new = model.config.seq_len - 1 - prompts.shape[1]
    base = best_of(lambda: [mtp.greedy_decode(model, p, n_new) for p in prompts], 3)
    row("greedy decoding", base, note=f"{16 * n_new} main-model passes")
    runs = [mtp.speculative_decode(model, p, n_new) for p in prompts]
    row("speculative decoding, MTP draft", best_of(
        lambda: [mtp.speculative_decode(model, p, n_new) for p in prompts], 3), base,
        note=f"{sum(r.forwards for r in runs)} main-model passes")
    print(f"\n== 7. MTP's effect over {len(seeds)} seeds: acceptance of the drafted token, tokens per "
          "main-model pass, next-token loss with and without the MTP module ==")
    effects = {"acceptance": [], "tokens per pass": [], "eval loss, MTP": [], "eval loss, no MTP": []}
    start = time.perf_counter()
    for seed in seeds:
        with_mtp, without = mtp.train(mtp=True, seed=seed), mtp.train(mtp=False, seed=seed)
        runs = [mtp.speculative_decode(with_mtp.model.eval(), p, n_new) for p in prompts]
        effects["acceptance"].append(sum(r.accepted for r in runs) / sum(r.drafted for r in runs))
        effects["tokens per pass"].append(sum(len(r.tokens) for r in runs) / sum(r.forwards for r in runs))
        effects["eval loss, MTP"].append(with_mtp.eval_loss["all"])
        effects["eval loss, no MTP"].append(without.eval_loss["all"])
    for name, xs in effects.items():
        print(f"  {name:<22} mean {statistics.mean(xs):.3f}  sd {statistics.stdev(xs):.3f}  "
              f"range {min(xs):.3f}-{max(xs):.3f}")
    low, high = data.value("v3_mtp_acceptance_low"), data.value("v3_mtp_acceptance_high")
    print(f"  V3's reported acceptance: {low:.0%}-{high:.0%}; {time.perf_counter() - start:.0f} s for "
          f"{2 * len(seeds)} training runs")


if __name__ == "__main__":
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    print("time (best of several runs)          ratio to the first row of each table")
    bench_decode()
    bench_fp8()
    bench_accumulation()
    bench_pipeline()
    bench_routing()
    bench_mtp()
