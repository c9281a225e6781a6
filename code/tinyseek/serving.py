"""What serving a model costs: the price of GPU time divided by the tokens it produces.

Chapter 8 prices a million output tokens three ways: from DeepSeek's own day of serving statistics
(``data/economics.yaml``, group ``ds_inference``), from a node's disclosed decoding throughput, and
from a simple model of memory-bound decoding that shows why a smaller KV cache (multi-head latent
attention, Chapter 5) and drafted tokens (multi-token prediction, Chapter 5) make tokens cheaper.
The model is this book's simplification: each decoding step reads a GPU's share of the weights
once and the whole KV cache of every sequence it serves, and the batch grows until the cache
fills the memory left after the weights.
"""

from __future__ import annotations

import math

from . import data, mla, validate
from .chips import Chip

SECONDS_PER_HOUR = 3600
MAX_TOKENS_PER_S = 1e9


def usd_per_million_tokens(usd_per_gpu_hour: float, gpus: int, tokens_per_s: float,
                           utilisation: float = 1.0) -> float:
    """Dollars per million tokens from ``gpus`` rented at ``usd_per_gpu_hour`` that produce
    ``tokens_per_s`` tokens per second while busy, busy a fraction ``utilisation`` of the time.

    ``usd_per_gpu_hour × gpus / (tokens_per_s × 3,600 × utilisation) × 10⁶``.
    """
    price = validate.positive("usd_per_gpu_hour", usd_per_gpu_hour, high=1e4)
    gpus = validate.integer("gpus", gpus, low=1, high=10_000_000)
    rate = validate.positive("tokens_per_s", tokens_per_s, high=MAX_TOKENS_PER_S)
    busy = validate.fraction("utilisation", utilisation)
    return price * gpus / (rate * SECONDS_PER_HOUR * busy) * 1e6


def disclosed_day() -> dict[str, float]:
    """DeepSeek's day of serving V3 and R1 (27-28 February 2025), priced per million output tokens.

    ``all_cost_on_output``: the day's whole cost (prefill included) over the day's output tokens.
    ``decode_at_full_load``: one node's decoding throughput at the same rental price, as if every
    node decoded all day; it leaves out prefill and idle time, so it is a floor.
    """
    inf = data.group("ds_inference")
    node_gpus = int(inf["gpus_per_node"].value)
    return {
        "all_cost_on_output": inf["daily_cost_usd"].value / inf["output_tokens_per_day"].value * 1e6,
        "decode_at_full_load": usd_per_million_tokens(inf["lease_usd_per_gpu_hour"].value, node_gpus,
                                                      inf["decode_tokens_per_s_per_node"].value),
    }


def decode_throughput(shape: mla.AttentionShape, chip: Chip, weights_gb: float, context: int,
                      dtype: str = "bf16", tokens_per_step: float = 1.0) -> dict[str, float]:
    """Memory-bound decoding on one GPU: the largest batch whose KV cache fits, and its tokens/s.

    ``batch = floor((memory - weights) / cache of one sequence of context tokens)``;
    ``step time = (weights + batch × cache per sequence) / memory bandwidth``;
    ``tokens/s = batch × tokens_per_step / step time``. ``tokens_per_step`` above 1 models
    speculative decoding with accepted drafts (1 + the acceptance rate for one drafted token).
    """
    if not isinstance(chip, Chip) or not chip.memory_gb or not chip.memory_bandwidth_gbs:
        raise ValueError("chip must be a tinyseek Chip with memory_gb and memory_bandwidth_gbs")
    weights = validate.non_negative("weights_gb", weights_gb, high=chip.memory_gb) * 1e9
    per_sequence = mla.kv_cache_bytes(shape, context, dtype)
    steps = validate.positive("tokens_per_step", tokens_per_step, high=16)
    batch = math.floor((chip.memory_gb * 1e9 - weights) / per_sequence) if per_sequence else 0
    if batch < 1:
        raise ValueError(f"no sequence of {context} tokens fits beside {weights_gb} GB of weights "
                         f"on a {chip.name} ({chip.memory_gb:g} GB)")
    step_s = (weights + batch * per_sequence) / (chip.memory_bandwidth_gbs * 1e9)
    return {"batch": batch, "step_s": step_s, "tokens_per_s": batch * steps / step_s}
