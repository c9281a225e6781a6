"""Plan a training run: with the chips I may buy, how long, how much, and what limits me?

The capstone of the book (Chapter 10). :func:`plan` takes one :class:`Inputs` (the date and the
destination, the chip and how many, the model, the tokens, the parallelism, the assumed
model-FLOPs utilisation and the price) and answers with the functions the chapters teach:

* the licence: :func:`tinyseek.export_controls.classify` under the rule in force that day;
* memory per chip: weights, gradients and optimiser state sharded by the parallelism, and the
  activations a 1F1B pipeline keeps (:func:`memory_per_chip`, new here);
* what binds: the roofline of :mod:`tinyseek.roofline` for compute against memory bandwidth, and
  the expert all-to-all of :func:`tinyseek.moe.all_to_all_bytes` (or a tensor-parallel
  all-reduce) against the link (:func:`binding_constraint`);
* GPU-hours, days and dollars: :func:`tinyseek.cost.training_flops`,
  :func:`tinyseek.roofline.compute_time`, :func:`tinyseek.cost.wall_clock_days`,
  :func:`tinyseek.cost.rental_cost`;
* serving: :func:`tinyseek.mla.kv_cache_bytes` per token and a roofline decode estimate of
  dollars per million output tokens (:func:`serving`, new here).

New pieces (no chapter had them) live here with their sources: the split of parameters between
experts and the rest, memory under a parallelism, ring all-reduce bytes, the decode estimate.
Byte counts per parameter and the activation coefficient are the book's assumptions, stated
where they are defined. The presets (:func:`preset`) rebuild DeepSeek-V3 and Llama 3.1 405B
from their own sourced inputs; :func:`compare` puts the planner beside what the reports say.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, fields, replace

from . import chips, cost, data, export_controls, mla, moe, roofline, units, validate
from . import serving as serving_cost  # plan.serving is the planner's step; this is the price formula

DESTINATIONS = {"CN": "China", "US": "United States (no export)"}
PRESETS = ("deepseek-v3", "llama-3.1-405b")
GB = 1e9

# Bytes per parameter in mixed-precision training with Adam (the book's assumption, as in
# rl_memory): the working weights at the training precision, 16-bit gradients, and 12 bytes of
# optimiser state (32-bit master weights and two 32-bit moments). In BF16 that is the usual 16.
GRADIENT_BYTES = 2
OPTIMISER_BYTES = 12
# Activations kept per token per layer, in bytes: 34 × hidden for a GPT-style layer in 16 bits once
# the attention scores are not stored (flash attention or selective recomputation; Korthikanti et
# al. 2022, arXiv:2205.05198, Section 4); with full recomputation only the layer's 16-bit input,
# 2 × hidden, is kept. Divided by the tensor degree.
ACTIVATION_BYTES = 34
RECOMPUTE_BYTES = 2
# The expert all-to-all moves four times per MoE layer: dispatch and combine in the forward pass,
# and their gradients backward. The forward dispatch travels at the training precision (V3 sends
# it in FP8), the other three in BF16 (2 bytes).
OTHER_A2A_BYTES = 3 * 2


@dataclass(frozen=True)
class Inputs:
    """Everything the planner needs; every field is checked by :func:`check`.

    Model: ``total_params`` and ``active_params`` (per token), ``n_layers``, ``hidden`` (model
    width), ``n_experts``/``top_k`` (0/0 for a dense model), the attention shape (``attention`` is
    'mha', 'gqa' or 'mla' with the fields :class:`tinyseek.mla.AttentionShape` needs),
    ``precision`` ('bf16' or 'fp8'). Run: ``tokens``, ``seq_len``, ``micro_batch``. Cluster:
    ``chip`` (a name of the chips database), ``chips``, ``gpus_per_node``, ``inter_node_gbs``
    (one direction, per GPU). Parallelism: ``tp``, ``pp``, ``ep`` (data parallelism is what is
    left: chips / (tp × pp)), ``zero`` (0-3: what data parallelism shards), ``recompute``,
    ``max_nodes`` (node-limited routing; 0 for none). Assumptions: ``mfu``, ``usd_per_gpu_hour``,
    ``serve_batch``, ``serve_context``. Rules: ``date``, ``destination`` ('CN' or 'US').
    """

    name: str = "my run"
    date: _dt.date = _dt.date(2023, 6, 1)
    destination: str = "CN"
    chip: str = "h800"
    chips: int = 2048
    gpus_per_node: int = 8
    inter_node_gbs: float = 50.0
    total_params: float = 671e9
    active_params: float = 37e9
    n_layers: int = 61
    hidden: int = 7168
    n_experts: int = 256
    top_k: int = 8
    attention: str = "mla"
    n_heads: int = 128
    head_dim: int = 128
    n_kv_heads: int | None = None
    kv_rank: int | None = 512
    rope_dim: int | None = 64
    precision: str = "fp8"
    tokens: float = 14.8e12
    seq_len: int = 4096
    micro_batch: int = 1
    tp: int = 1
    pp: int = 16
    ep: int = 64
    zero: int = 1
    recompute: bool = False
    max_nodes: int = 4
    mfu: float = 0.41
    usd_per_gpu_hour: float = 2.0
    serve_batch: int = 64
    serve_context: int = 4096

    def __post_init__(self):
        check(self)

    def with_(self, **changes) -> Inputs:
        """A copy with some inputs changed (and checked): ``v3.with_(chip="h20")``."""
        return replace(self, **changes)

    @property
    def dp(self) -> int:
        """The data-parallel degree: chips / (tp × pp)."""
        return self.chips // (self.tp * self.pp)


FIELDS = tuple(f.name for f in fields(Inputs))


def _check_model(i: Inputs) -> None:
    validate.positive("total_params", i.total_params, high=cost.MAX_PARAMS)
    validate.number("active_params", i.active_params, low=0, low_open=True, high=i.total_params)
    validate.integer("n_layers", i.n_layers, low=1, high=10_000)
    validate.integer("hidden", i.hidden, low=1, high=1 << 20)
    validate.integer("n_experts", i.n_experts, low=0, high=1 << 16)
    if i.n_experts:
        validate.integer("top_k", i.top_k, low=1, high=i.n_experts - 1)
        low = i.total_params * i.top_k / i.n_experts
        if i.active_params < low:
            raise ValueError(f"active_params must be ≥ total_params × top_k / n_experts "
                             f"({low:.3g}) for {i.top_k} of {i.n_experts} experts, "
                             f"got {i.active_params:.3g}")
    elif i.top_k or i.active_params != i.total_params:
        raise ValueError("a dense model (n_experts = 0) has top_k = 0 and active_params = "
                         f"total_params ({i.total_params:.3g}), got top_k={i.top_k}, "
                         f"active_params={i.active_params:.3g}")
    validate.choice("precision", i.precision, ("bf16", "fp8"))
    attention_shape(i)


def _check_parallelism(i: Inputs) -> None:
    validate.integer("chips", i.chips, low=1, high=roofline.MAX_GPUS)
    validate.integer("gpus_per_node", i.gpus_per_node, low=1, high=1024)
    validate.integer("tp", i.tp, low=1, high=i.chips)
    validate.integer("pp", i.pp, low=1, high=i.n_layers)
    if i.chips % (i.tp * i.pp):
        raise ValueError(f"tp × pp ({i.tp} × {i.pp} = {i.tp * i.pp}) must divide chips "
                         f"({i.chips}); the data-parallel degree is what is left")
    validate.integer("ep", i.ep, low=1, high=i.dp)
    if i.dp % i.ep or (i.n_experts and i.n_experts % i.ep) or (not i.n_experts and i.ep > 1):
        raise ValueError(f"ep must divide the data-parallel degree ({i.dp}) and n_experts "
                         f"({i.n_experts}; a dense model has ep = 1), got {i.ep}")
    if i.ep > i.gpus_per_node and i.ep % i.gpus_per_node:
        raise ValueError(f"ep must fit in one node (≤ gpus_per_node = {i.gpus_per_node}) or span "
                         f"whole nodes (a multiple of {i.gpus_per_node}), got {i.ep}")
    validate.integer("zero", i.zero, low=0, high=3)
    validate.integer("max_nodes", i.max_nodes, low=0, high=1 << 16)
    if not isinstance(i.recompute, bool):
        raise TypeError(f"recompute must be True or False, got {i.recompute!r}")


def check(i: Inputs) -> None:
    """Raise ValueError (or TypeError) naming the first bad input of ``i`` and its valid range."""
    if not isinstance(i.name, str) or not i.name.strip():
        raise ValueError("name must be non-empty text")
    if not isinstance(i.date, _dt.date):
        raise TypeError(f"date must be a datetime.date, got {i.date!r}")
    validate.choice("destination", i.destination, tuple(DESTINATIONS))
    chips.get(i.chip)  # "unknown chip 'x'; known chips: ..."
    _check_model(i)
    _check_parallelism(i)
    validate.positive("inter_node_gbs", i.inter_node_gbs, high=1e6)
    validate.number("tokens", i.tokens, low=1, high=cost.MAX_TOKENS)
    validate.integer("seq_len", i.seq_len, low=1, high=1 << 24)
    validate.integer("micro_batch", i.micro_batch, low=1, high=1 << 16)
    validate.fraction("mfu", i.mfu)
    validate.positive("usd_per_gpu_hour", i.usd_per_gpu_hour, high=cost.MAX_PRICE)
    validate.integer("serve_batch", i.serve_batch, low=1, high=1 << 16)
    validate.integer("serve_context", i.serve_context, low=1, high=1 << 24)


def attention_shape(i: Inputs) -> mla.AttentionShape:
    """The model's attention as a :class:`tinyseek.mla.AttentionShape` (it checks the fields)."""
    validate.choice("attention", i.attention, mla.KINDS)
    return mla.AttentionShape(
        i.name, i.attention, i.n_layers, i.n_heads, i.head_dim,
        n_kv_heads=i.n_kv_heads if i.attention == "gqa" else None,
        kv_rank=i.kv_rank if i.attention == "mla" else None,
        rope_dim=i.rope_dim if i.attention == "mla" else None)


# ------------------------------------------------------------------------------------------------
# The licence
# ------------------------------------------------------------------------------------------------

def rule_in_force(day: _dt.date) -> str | None:
    """The 3A090 rule that applied on ``day``: None before 3A090 took effect (21 October 2022),
    '2022-10' until the 2023 update took effect (17 November 2023), '2023-10' after."""
    if not isinstance(day, _dt.date):
        raise TypeError(f"date must be a datetime.date, got {day!r}")
    if day < data.value("rule_2022.effective"):
        return None
    return "2022-10" if day < data.value("rule_2023.effective") else "2023-10"


def licence(chip_name: str, day: _dt.date, destination: str) -> dict:
    """Does shipping ``chip_name`` to ``destination`` on ``day`` need a licence, and why?

    Applies :func:`tinyseek.export_controls.classify` under :func:`rule_in_force`; adds the
    April 2025 letter that put the H20 under licence (no published test). 'US': no export.
    """
    validate.choice("destination", destination, tuple(DESTINATIONS))
    chip, rule = chips.get(chip_name), rule_in_force(day)
    if destination == "US":
        return {"licence_required": False, "rule": None, "reason": "no export: the chips stay "
                "in the United States"}
    if rule is None:
        return {"licence_required": False, "rule": None,
                "reason": "before 21 October 2022: ECCN 3A090 was not yet in force"}
    verdict = export_controls.classify(chip, rule)
    if (not verdict.controlled and chip.name == chips.get("h20").name
            and day >= data.value("h20_licence_2025.informed")):
        return {"licence_required": True, "rule": "2025-04", "reason": "the April 2025 letter "
                f"to NVIDIA put the H20 under licence; under {rule}: {verdict.reason}"}
    return {"licence_required": verdict.controlled, "rule": rule, "reason": verdict.reason}


# ------------------------------------------------------------------------------------------------
# Memory per chip
# ------------------------------------------------------------------------------------------------

def split_params(total: float, active: float, n_experts: int, top_k: int) -> tuple[float, float]:
    """(parameters outside the routed experts, parameters in them), from the totals.

    A token uses everything but the routed experts, plus ``top_k`` of the ``n_experts``:
    ``active = total − R + R × k / E``, so ``R = (total − active) × E / (E − k)``. Dense: (total, 0).
    For V3 (671B, 37B, 8 of 256) R is about 654B. Embeddings count as 'outside'.
    """
    if not n_experts:
        return float(total), 0.0
    routed = (total - active) * n_experts / (n_experts - top_k)
    return total - routed, routed


def memory_per_chip(i: Inputs) -> dict[str, float]:
    """Gigabytes one chip holds while training, by part, and whether they fit its memory.

    Weights outside the experts are split over ``tp × pp`` chips, the experts over
    ``tp × pp × ep``; data parallelism keeps ``dp`` copies of the first and ``dp / ep`` of the
    second, and ZeRO stage ≥ 1, 2, 3 shards optimiser state, gradients, weights over those copies.
    Activations: a 1F1B pipeline's first stage keeps ``pp`` micro-batches of its ``n_layers / pp``
    layers, i.e. ``micro_batch × seq_len`` tokens through all layers, at ACTIVATION_BYTES (or
    RECOMPUTE_BYTES) × hidden / tp per token per layer.
    """
    dense, routed = split_params(i.total_params, i.active_params, i.n_experts, i.top_k)
    dense_chip, routed_chip = dense / (i.tp * i.pp), routed / (i.tp * i.pp * i.ep)

    def held(bytes_per_param: float, stage: int) -> float:
        copies = (i.dp, i.dp // i.ep) if i.zero >= stage else (1, 1)
        return (dense_chip / copies[0] + routed_chip / copies[1]) * bytes_per_param / GB

    per_token_layer = (RECOMPUTE_BYTES if i.recompute else ACTIVATION_BYTES) * i.hidden / i.tp
    parts = {"weights": held(chips.PRECISIONS[i.precision] / 8, 3),
             "gradients": held(GRADIENT_BYTES, 2),
             "optimiser state": held(OPTIMISER_BYTES, 1),
             "activations": per_token_layer * i.micro_batch * i.seq_len * i.n_layers / GB}
    capacity = chips.get(i.chip).memory_gb
    total = sum(parts.values())
    return {**parts, "total": total, "capacity": capacity,
            "fits": capacity is not None and total <= capacity}


# ------------------------------------------------------------------------------------------------
# What binds: compute, memory bandwidth or the interconnect
# ------------------------------------------------------------------------------------------------

def ring_all_reduce_bytes(n_bytes: float, n: int) -> float:
    """Bytes each of ``n`` ranks sends in a ring all-reduce of ``n_bytes``: 2 (n − 1) / n × n_bytes
    (a reduce-scatter then an all-gather; Patarasuk and Yuan 2009)."""
    n_bytes = validate.non_negative("n_bytes", n_bytes, high=roofline.MAX_BYTES)
    n = validate.integer("n", n, low=1, high=roofline.MAX_GPUS)
    return 2.0 * (n - 1) / n * n_bytes


def communication(i: Inputs) -> dict:
    """Bytes one chip sends per micro-batch per layer, the link they cross, and the seconds.

    MoE: the expert all-to-all (four transfers, see OTHER_A2A_BYTES). When the ``ep`` experts
    span several nodes the copies cross the inter-node link once per remote node
    (:func:`tinyseek.moe.all_to_all_bytes`, de-duplicated per node), at most ``max_nodes``
    (node-limited routing); inside one node they cross NVLink. Dense with ``tp > 1``: four ring
    all-reduces of the layer's activations over NVLink (Megatron's two per pass).
    """
    chip, tokens = chips.get(i.chip), i.micro_batch * i.seq_len
    nvlink = roofline.Link.from_chip(chip)
    if i.n_experts and i.ep > 1:
        nodes = i.ep // i.gpus_per_node
        ranks = nodes if nodes > 1 else i.ep
        experts = i.n_experts if i.n_experts % ranks == 0 else None
        copies = moe.all_to_all_bytes(1, 1, i.top_k, ranks, n_experts=experts, dedup=nodes > 1,
                                      bytes_per_value=1)
        if nodes > 1 and i.max_nodes:
            copies = min(copies, i.max_nodes * (ranks - 1) / ranks)
        link = roofline.Link("inter-node", i.inter_node_gbs) if nodes > 1 else nvlink
        per_copy = i.hidden * (chips.PRECISIONS[i.precision] / 8 + OTHER_A2A_BYTES)
        volume, kind = tokens * copies * per_copy, "expert all-to-all"
    elif i.tp > 1:
        volume = 4 * ring_all_reduce_bytes(tokens * i.hidden * 2, i.tp)
        link, kind = nvlink, "tensor-parallel all-reduce"
    else:
        return {"kind": "none", "bytes": 0.0, "link": None, "link_gbs": None, "seconds": 0.0}
    return {"kind": kind, "bytes": volume, "link": link.name, "link_gbs": link.effective_gbs,
            "seconds": roofline.transfer_time(volume, link)}


def binding_constraint(i: Inputs) -> dict:
    """Which resource sets the pace of one micro-batch through one layer on one chip.

    Compute: the layer's 6 N D FLOPs over ``tp`` chips at ``mfu`` of the roofline's attainable
    rate, whose intensity is that of a (tokens per GEMM) × hidden × hidden matrix product
    (tokens per expert for MoE): below the ridge point it is memory bandwidth that binds.
    Communication (:func:`communication`) overlaps compute perfectly; if it takes longer, the
    interconnect binds. ``slowdown``: the pace set over the compute-bound pace at ``mfu``.
    """
    chip, tokens = chips.get(i.chip), i.micro_batch * i.seq_len
    flops = cost.training_flops(i.active_params, tokens) / i.n_layers / i.tp
    per_gemm = tokens * i.top_k * i.ep / i.n_experts if i.n_experts else tokens
    intensity = roofline.matmul_intensity(max(1, round(per_gemm)), i.hidden, i.hidden,
                                          chips.PRECISIONS[i.precision] / 8)
    rate = roofline.attainable_tflops(chip, i.precision, intensity) * 1e12 * i.mfu
    math_s = flops / rate
    comm = communication(i)
    bound = ("interconnect" if comm["seconds"] > math_s else
             "memory bandwidth" if roofline.is_memory_bound(chip, i.precision, intensity)
             else "compute")
    slowdown = max(math_s, comm["seconds"]) / roofline.compute_time(flops, chip, i.precision, i.mfu)
    return {"bound": bound, "compute_s": math_s, "comm_s": comm["seconds"],
            "comm_over_compute": comm["seconds"] / math_s, "intensity": intensity,
            "slowdown": slowdown, "communication": comm}


# ------------------------------------------------------------------------------------------------
# Time, cost and serving
# ------------------------------------------------------------------------------------------------

def training(i: Inputs) -> dict:
    """FLOPs (6 N D), GPU-hours, days on ``chips`` and rental dollars of the run.

    GPU-hours are the FLOPs at ``mfu`` of the chip's dense peak at ``precision``, stretched by
    the binding constraint's ``slowdown`` when memory or the interconnect sets the pace.
    """
    flops = cost.training_flops(i.active_params, i.tokens)
    chip_seconds = roofline.compute_time(flops, chips.get(i.chip), i.precision, i.mfu)
    gpu_hours = chip_seconds / cost.SECONDS_PER_HOUR * binding_constraint(i)["slowdown"]
    return {"flops": flops, "gpu_hours": gpu_hours,
            "days": cost.wall_clock_days(gpu_hours, i.chips),
            "cost_usd": cost.rental_cost(gpu_hours, i.usd_per_gpu_hour)}


def serving(i: Inputs) -> dict:
    """KV cache per token, and a roofline estimate of decoding cost in $ per million tokens.

    ``serve_batch`` sequences of ``serve_context`` tokens are decoded together on the fewest
    whole nodes whose memory holds the weights (at ``precision``) and their KV cache (BF16).
    Each step a GPU reads its share of the weights the batch touches (for MoE, the experts any
    of the tokens chose, uniformly at random) and of the cache, and does 2 N FLOPs per token;
    the step takes the longer of the two at full rate. An ideal: it leaves out prefill,
    communication, scheduling and idle capacity.
    """
    chip, shape = chips.get(i.chip), attention_shape(i)
    per_token = mla.kv_cache_bytes(shape, 1, "bf16")
    cache = float(per_token) * i.serve_context * i.serve_batch
    weights = i.total_params * chips.PRECISIONS[i.precision] / 8
    node = i.gpus_per_node * chip.memory_gb * GB
    gpus = i.gpus_per_node * -(-(weights + cache) // node)
    dense, routed = split_params(i.total_params, i.active_params, i.n_experts, i.top_k)
    touched = 1 - (1 - i.top_k / i.n_experts) ** i.serve_batch if i.n_experts else 0.0
    read = ((dense + routed * touched) * chips.PRECISIONS[i.precision] / 8 + cache) / gpus
    flops = 2 * i.active_params * i.serve_batch / gpus
    step = max(read / (chip.memory_bandwidth_gbs * GB),
               flops / (roofline.peak_tflops(chip, i.precision) * 1e12))
    tokens_per_s = i.serve_batch / gpus / step
    return {"kv_bytes_per_token": per_token, "serve_gpus": int(gpus),
            "tokens_per_s_per_gpu": tokens_per_s,
            "usd_per_million_tokens": serving_cost.usd_per_million_tokens(i.usd_per_gpu_hour, 1, tokens_per_s)}


def plan(i: Inputs) -> dict:
    """The whole plan for ``i``: licence, memory, binding constraint, time, cost and serving,
    as one flat dict (what ``python -m tinyseek plan --json`` prints)."""
    if not isinstance(i, Inputs):
        raise TypeError(f"inputs must be a tinyseek.plan.Inputs, got {type(i).__name__}")
    lic = licence(i.chip, i.date, i.destination)
    mem = memory_per_chip(i)
    bind = binding_constraint(i)
    run = training(i)
    serve = serving(i)
    return {"name": i.name, "chip": chips.get(i.chip).name, "chips": i.chips, "dp": i.dp,
            **lic, "memory_per_chip_gb": mem["total"], "memory_capacity_gb": mem["capacity"],
            "fits": mem["fits"], "memory_gb": {k: mem[k] for k in
                                               ("weights", "gradients", "optimiser state",
                                                "activations")},
            **run, "bound": bind["bound"], "comm_over_compute": bind["comm_over_compute"],
            "slowdown": bind["slowdown"], "comm_kind": bind["communication"]["kind"],
            "comm_mb_per_layer": bind["communication"]["bytes"] / 1e6,
            "link_gbs": bind["communication"]["link_gbs"], **serve}


# ------------------------------------------------------------------------------------------------
# Presets: published runs rebuilt from their own inputs
# ------------------------------------------------------------------------------------------------

def _v3() -> Inputs:
    v, shape, cfg = data.value, mla.deepseek_v3_attention(), moe.v3_config()
    return Inputs(
        name="DeepSeek-V3", date=chips.get("h800").released, destination="CN", chip="h800",
        chips=int(v("v3_cluster_gpus")), gpus_per_node=int(v("v3_interconnect.gpus_per_node")),
        inter_node_gbs=v("v3_interconnect.ib_gbs"), total_params=v("v3_total_params"),
        active_params=v("v3_active_params"), n_layers=cfg.n_layers, hidden=cfg.dim,
        n_experts=cfg.n_routed_experts, top_k=cfg.n_activated_experts, attention="mla",
        n_heads=shape.n_heads, head_dim=shape.head_dim, kv_rank=shape.kv_rank,
        rope_dim=shape.rope_dim, precision="fp8", tokens=v("v3_training_tokens"),
        seq_len=int(v("v3_pretrain_seq_len")), micro_batch=int(v("plan_assumptions.micro_batch")),
        tp=1, pp=int(v("v3_pipeline_parallel")), ep=int(v("v3_moe.expert_parallel_ways")), zero=1,
        max_nodes=int(v("v3_moe.max_nodes_per_token")), mfu=v("plan_assumptions.v3_mfu"),
        usd_per_gpu_hour=v("h800_rental_price"), **_serve())


def _llama() -> Inputs:
    v = data.value
    ll = {k: f.value for k, f in data.group("llama31_405b").items()}
    return Inputs(
        name="Llama 3.1 405B", date=chips.get("h100").released, destination="US", chip="h100",
        chips=ll["gpus"], gpus_per_node=int(v("v3_interconnect.gpus_per_node")),
        inter_node_gbs=v("v3_interconnect.ib_gbs"), total_params=v("llama3.params_405b"),
        active_params=v("llama3.params_405b"), n_layers=ll["n_layers"], hidden=ll["dim"],
        n_experts=0, top_k=0, attention="gqa", n_heads=ll["n_heads"], head_dim=ll["head_dim"],
        n_kv_heads=ll["n_kv_heads"], kv_rank=None, rope_dim=None, precision="bf16",
        tokens=v("llama3.tokens_405b"), seq_len=ll["seq_len"],
        micro_batch=int(v("plan_assumptions.micro_batch")), tp=ll["tp"], pp=ll["pp"], ep=1,
        zero=1, max_nodes=0, mfu=ll["mfu"], usd_per_gpu_hour=v("h800_rental_price"), **_serve())


def _serve() -> dict:
    return {"serve_batch": int(data.value("plan_assumptions.serve_batch")),
            "serve_context": int(data.value("plan_assumptions.serve_context"))}


def preset(name: str) -> Inputs:
    """The inputs of a published run, every one read from the sourced data ('deepseek-v3' or
    'llama-3.1-405b'); the MFU of V3 and the micro-batch are the book's labelled assumptions."""
    validate.choice("preset", name, PRESETS)
    return _v3() if name == "deepseek-v3" else _llama()


def reported(name: str) -> dict[str, float]:
    """What the run's own report says, for comparison: GPU-hours of the stage the planner
    plans (pre-training), of the whole run, and pre-training days where given."""
    validate.choice("preset", name, PRESETS)
    v = data.value
    if name == "deepseek-v3":
        per_trillion = v("v3_days_per_trillion_tokens")
        return {"gpu_hours": v("v3_pretrain_gpu_hours"), "total_gpu_hours": v("v3_total_gpu_hours_reported"),
                "days": per_trillion * v("v3_training_tokens") / 1e12}
    return {"gpu_hours": v("llama31_405b_gpu_hours"), "total_gpu_hours": v("llama31_405b_gpu_hours")}


def compare(name: str) -> list[dict]:
    """Rows of (quantity, planner, report, difference as planner / report − 1) for a preset."""
    got, ref = plan(preset(name)), reported(name)
    rows = [("GPU-hours (the planned stage)", got["gpu_hours"], ref["gpu_hours"]),
            ("GPU-hours (whole run reported)", got["gpu_hours"], ref["total_gpu_hours"])]
    if "days" in ref:
        rows.append(("days of pre-training", got["days"], ref["days"]))
    return [{"quantity": q, "planner": p, "report": r, "difference": p / r - 1} for q, p, r in rows]


def what_ifs(base: Inputs) -> dict[str, Inputs]:
    """Chapter 10's what-if questions as changed copies of ``base`` (a mixture-of-experts run).

    Other chips at the same date and MFU; BF16 instead of FP8; no node limit on routing; and a
    dense model of the same total size, with tensor parallelism 8 so that its weights fit.
    """
    if not base.n_experts:
        raise ValueError("base must be a mixture-of-experts run (n_experts > 0)")
    return {"as planned": base,
            "on H100s": base.with_(chip="h100"),
            "on H20s": base.with_(chip="h20"),
            "on B200s": base.with_(chip="b200"),
            "BF16 instead of FP8": base.with_(precision="bf16"),
            "no node-limited routing": base.with_(max_nodes=0),
            "dense, same total size, TP 8": base.with_(n_experts=0, top_k=0, ep=1, tp=8,
                                                       active_params=base.total_params)}


def summary(result: dict) -> list[tuple[str, str]]:
    """(label, text) rows of a :func:`plan` result, for the command line and the widget."""
    r = result
    return [
        ("run", f"{r['name']} on {r['chips']:,} x {r['chip']} (data-parallel degree {r['dp']})"),
        ("export licence", ("REQUIRED" if r["licence_required"] else "not required")
         + (f" under the {r['rule']} rule" if r["rule"] else "")),
        ("  why", r["reason"]),
        ("memory per chip", f"{r['memory_per_chip_gb']:.1f} GB of {r['memory_capacity_gb']:g} GB: "
                            + ("fits" if r["fits"] else "DOES NOT FIT")),
        ("  by part", ", ".join(f"{k} {v:.1f} GB" for k, v in r["memory_gb"].items())),
        ("bound by", f"{r['bound']} ({r['comm_kind']}: {r['comm_mb_per_layer']:,.0f} MB per "
                     f"micro-batch per layer, {r['comm_over_compute']:.2f} x the compute time)"),
        ("training FLOPs", f"{r['flops']:.3g}"),
        ("GPU-hours", units.si(r["gpu_hours"], 4)),
        ("days", f"{r['days']:,.1f}"),
        ("rental cost", units.usd(r["cost_usd"])),
        ("KV cache per token", f"{r['kv_bytes_per_token'] / 1e3:,.1f} kB"),
        ("serving", f"{units.usd(r['usd_per_million_tokens'], 3)} per million output tokens on "
                    f"{r['serve_gpus']} GPUs (roofline ideal)"),
    ]


def as_json(i: Inputs) -> dict:
    """``i`` as JSON-ready values (the date as ISO text)."""
    d = asdict(i)
    d["date"] = i.date.isoformat()
    return d
