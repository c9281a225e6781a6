"""What a training run costs: GPU-hours times a price, stage by stage.

The DeepSeek-V3 report prices its run this way (its Table 1): GPU-hours on H800s times an
assumed rental price of $2 per GPU-hour. That is the cost of renting the GPU time of one final
run, which is why it is so much smaller than what a lab spends (see Chapter 1 and Part V).

Part V (Chapter 8) adds the rest of the ledger: the arithmetic a run implies
(:func:`training_flops`, :func:`mfu`), what the same GPU-hours cost a lab that *owns* its
cluster (:class:`Ownership`, :func:`break_even_utilisation`), what a lab spends in total once
research, staff and data are counted (:class:`LabSpend`), and which of those uncertain inputs
moves the total most (:func:`tornado`). Every default is read from ``data/economics.yaml``, where
each is sourced, a named third party's estimate, or labelled as the book's assumption.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from . import data, validate

# Far beyond any real run (Llama 3.1 405B used about 3e7); larger input is a typo, not a scenario.
MAX_GPU_HOURS = 1e12
MAX_PRICE = 1e4  # USD per GPU-hour


def rental_cost(gpu_hours: float, usd_per_gpu_hour: float, run_share: float = 1.0) -> float:
    """Dollars to rent ``gpu_hours`` at ``usd_per_gpu_hour``, divided by ``run_share``.

    ``run_share`` is the fraction of all the GPU time spent that this run accounts for: with 1.0
    (the default) the result is the cost of the run alone; with 0.25 it is the spend implied if
    the run was a quarter of the compute (the rest being experiments, ablations, failed runs).
    """
    gpu_hours = validate.non_negative("gpu_hours", gpu_hours, high=MAX_GPU_HOURS)
    price = validate.positive("usd_per_gpu_hour", usd_per_gpu_hour, high=MAX_PRICE)
    share = validate.fraction("run_share", run_share)
    return gpu_hours * price / share


@dataclass(frozen=True)
class Stage:
    name: str
    gpu_hours: float

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("Stage name must be non-empty text")
        validate.non_negative(f"gpu_hours of stage {self.name!r}", self.gpu_hours,
                              high=MAX_GPU_HOURS)


@dataclass(frozen=True)
class TrainingRun:
    """A run as stages of GPU-hours, priced at one rental rate."""

    name: str
    stages: tuple[Stage, ...]
    usd_per_gpu_hour: float

    def __post_init__(self):
        if not self.stages:
            raise ValueError("stages must list at least one Stage")
        validate.positive("usd_per_gpu_hour", self.usd_per_gpu_hour, high=MAX_PRICE)

    @property
    def gpu_hours(self) -> float:
        return sum(s.gpu_hours for s in self.stages)

    @property
    def cost(self) -> float:
        return rental_cost(self.gpu_hours, self.usd_per_gpu_hour)

    def table(self) -> list[dict]:
        """Rows of (stage, GPU-hours, USD), then the total: the layout of V3's Table 1."""
        rows = [{"stage": s.name, "gpu_hours": s.gpu_hours,
                 "usd": rental_cost(s.gpu_hours, self.usd_per_gpu_hour)} for s in self.stages]
        rows.append({"stage": "Total", "gpu_hours": self.gpu_hours, "usd": self.cost})
        return rows


def deepseek_v3_run() -> TrainingRun:
    """DeepSeek-V3's Table 1, built from the sourced data (nothing typed here)."""
    v = data.value
    return TrainingRun(
        name="DeepSeek-V3",
        stages=(Stage("Pre-training", v("v3_pretrain_gpu_hours")),
                Stage("Context extension", v("v3_context_extension_gpu_hours")),
                Stage("Post-training", v("v3_posttrain_gpu_hours"))),
        usd_per_gpu_hour=v("h800_rental_price"),
    )


def deepseek_r1_run() -> TrainingRun:
    """R1's reinforcement-learning cost as the R1 paper's Supplementary Table 7 states it: R1-Zero's
    RL, the SFT data, then R1's RL, in H800 GPU-hours at $2 each (the V3 report's rental price).

    The table's components are rounded (101K, 5K, 41K); their sum gives the paper's $294K. The
    wall-clock hours the Supplement also gives (198 h and 80 h on 512 GPUs) multiply out to a
    slightly larger total, which Chapter 1 shows as a check.
    """
    v = data.value
    return TrainingRun(
        name="DeepSeek-R1 (RL and SFT data, on top of V3-Base)",
        stages=(Stage("R1-Zero RL", v("r1_zero_gpu_hours_reported")),
                Stage("SFT data", v("r1_sft_data_gpu_hours")),
                Stage("R1 RL", v("r1_rl_gpu_hours_reported"))),
        usd_per_gpu_hour=v("h800_rental_price"),
    )


def wall_clock_days(gpu_hours: float, n_gpus: int) -> float:
    """Days a job of ``gpu_hours`` takes on ``n_gpus`` GPUs working in parallel, all busy."""
    gpu_hours = validate.non_negative("gpu_hours", gpu_hours, high=MAX_GPU_HOURS)
    n_gpus = validate.integer("n_gpus", n_gpus, low=1)
    return gpu_hours / n_gpus / 24


# ------------------------------------------------------------------------------------------------
# Part V: from GPU-hours to arithmetic, and from rental to ownership
# ------------------------------------------------------------------------------------------------

SECONDS_PER_HOUR = 3600
HOURS_PER_YEAR = 365 * 24  # 8,760: a GPU-year, ignoring leap days
MAX_PARAMS = 1e15  # a thousand times the largest published model
MAX_TOKENS = 1e16  # hundreds of times any published training set
MAX_FLOPS = 1e32
MAX_TFLOPS = 1e6
MAX_USD = 1e13  # more than any company's capital spending
MAX_YEARS = 50.0


def training_flops(active_params: float, tokens: float) -> float:
    """The arithmetic of training by the usual approximation: 6 × N × D floating-point operations.

    ``active_params`` (N) is the number of parameters *used for each token*: all of them for a
    dense model, only the activated ones for a mixture-of-experts model (37B of V3's 671B).
    ``tokens`` (D) is the number of training tokens. Each token costs about 2N operations in the
    forward pass (one multiply and one add per weight) and about 4N in the backward pass (gradients
    with respect to activations and to weights), hence 6N per token (Kaplan et al. 2020, §2.1).

    Caveats, all of which make the true count *larger* than this estimate:

    - it leaves out the attention scores and the weighted sum over the context, which grow with
      the context length (a few to tens of per cent at 4K-8K tokens, far more at 128K);
    - it leaves out embeddings, normalisation, the router of a mixture-of-experts layer and
      extra heads such as V3's multi-token-prediction module;
    - it counts *model* FLOPs only: activations recomputed to save memory, and work redone after a
      crash, use the hardware but are not counted (that is what makes MFU a measure of useful
      work, not of how busy the chips were).
    """
    n = validate.positive("active_params", active_params, high=MAX_PARAMS)
    d = validate.non_negative("tokens", tokens, high=MAX_TOKENS)
    return 6.0 * n * d


def mfu(flops: float, gpu_hours: float, peak_tflops: float) -> float:
    """Model-FLOPs utilisation: the share of the GPUs' peak the run's model FLOPs represent.

    ``flops / (gpu_hours × 3,600 s × peak_tflops × 10¹²)``. ``peak_tflops`` is the *dense* peak
    of one GPU at the precision you compare against (the H800's BF16 or FP8 figure from
    ``tinyseek.chips``). Computed from a whole run's GPU-hours, it averages over everything in those
    hours: restarts, evaluation, stragglers, communication. A result above 1 means the FLOPs could
    not have fitted in the claimed GPU-hours at that peak: a check that the claims are consistent.
    """
    flops = validate.non_negative("flops", flops, high=MAX_FLOPS)
    gpu_hours = validate.positive("gpu_hours", gpu_hours, high=MAX_GPU_HOURS)
    peak = validate.positive("peak_tflops", peak_tflops, high=MAX_TFLOPS)
    return flops / (gpu_hours * SECONDS_PER_HOUR * peak * 1e12)


@dataclass(frozen=True)
class Ownership:
    """What one GPU costs a lab that buys it, per hour of useful work.

    Capital: ``gpu_usd`` (the accelerator) plus ``server_usd_per_gpu`` (its share of the rest of
    the server: CPUs, memory, storage, network cards, chassis) is the server cost per GPU; the
    network between servers is ``network_share`` of the *total* capital, so the capital per GPU is
    ``(gpu_usd + server_usd_per_gpu) / (1 - network_share)``. It is written off in a straight line
    over ``depreciation_years``, and only a ``utilisation`` share of the hours do useful work, so
    each useful GPU-hour carries ``capital / (years × 8,760 × utilisation)``.

    Power: ``watts_per_gpu`` is the whole server's draw divided by its GPUs, ``pue`` the data
    centre's overhead (cooling, power conversion), ``usd_per_kwh`` the electricity price. Power is
    counted for the busy hours only (an idle GPU draws far less); buildings, staff and the cost of
    the money tied up in the hardware are left out, so this is a floor on the cost of owning.
    """

    gpu_usd: float
    server_usd_per_gpu: float
    network_share: float
    watts_per_gpu: float
    pue: float
    usd_per_kwh: float
    depreciation_years: float
    utilisation: float

    def __post_init__(self):
        checks = {
            "gpu_usd": lambda x: validate.positive("gpu_usd", x, high=1e7),
            "server_usd_per_gpu": lambda x: validate.non_negative("server_usd_per_gpu", x, high=1e7),
            "network_share": lambda x: validate.number("network_share", x, low=0.0, high=0.9),
            "watts_per_gpu": lambda x: validate.positive("watts_per_gpu", x, high=1e5),
            "pue": lambda x: validate.number("pue", x, low=1.0, high=5.0),
            "usd_per_kwh": lambda x: validate.non_negative("usd_per_kwh", x, high=10.0),
            "depreciation_years": lambda x: validate.positive("depreciation_years", x,
                                                              high=MAX_YEARS),
            "utilisation": lambda x: validate.fraction("utilisation", x),
        }
        for name, check in checks.items():
            object.__setattr__(self, name, check(getattr(self, name)))

    @property
    def capital_per_gpu(self) -> float:
        """Dollars of hardware per GPU, its share of servers and network included."""
        return (self.gpu_usd + self.server_usd_per_gpu) / (1.0 - self.network_share)

    @property
    def capital_usd_per_gpu_hour(self) -> float:
        """Depreciation carried by each *useful* GPU-hour."""
        return self.capital_per_gpu / (self.depreciation_years * HOURS_PER_YEAR * self.utilisation)

    @property
    def power_usd_per_gpu_hour(self) -> float:
        """Electricity for one busy GPU-hour, data-centre overhead included."""
        return self.watts_per_gpu / 1000.0 * self.pue * self.usd_per_kwh

    @property
    def usd_per_gpu_hour(self) -> float:
        """The owner's cost of one useful GPU-hour: capital plus power."""
        return self.capital_usd_per_gpu_hour + self.power_usd_per_gpu_hour

    def with_(self, **changes) -> Ownership:
        """A copy with some inputs changed (and checked): ``own.with_(utilisation=0.5)``."""
        return replace(self, **changes)


OWNERSHIP_FIELDS = tuple(f.name for f in fields(Ownership))
LAB_FIELDS = ("final_run_gpu_hours", "run_share", "headcount", "usd_per_person_year",
              "period_years", "data_usd")


def _own(key: str) -> float:
    return data.value(f"ownership.{key}")


def _lab(key: str) -> float:
    return data.value(f"labspend.{key}")


def ownership_defaults() -> Ownership:
    """The book's default ownership inputs, all read from ``data/economics.yaml``.

    The GPU price is the middle of Raymond James's $25,000-30,000 estimate for the H100 (the H800
    is the same die); the rest of the server is SemiAnalysis's ~$270,000 DGX H100 price divided by
    its 8 GPUs, less that GPU price; power is the DGX H100's 10.2 kW maximum over 8 GPUs. The
    depreciation period and the utilisation are the book's assumptions (labelled as such there).
    """
    gpus = _own("gpus_per_server")
    gpu_usd = (_own("h100_price_low_usd") + _own("h100_price_high_usd")) / 2
    return Ownership(
        gpu_usd=gpu_usd,
        server_usd_per_gpu=_own("dgx_h100_price_usd") / gpus - gpu_usd,
        network_share=_own("network_share"),
        watts_per_gpu=_own("dgx_h100_max_kw") * 1000 / gpus,
        pue=_own("pue"),
        usd_per_kwh=_own("usd_per_kwh"),
        depreciation_years=_own("depreciation_years"),
        utilisation=_own("utilisation"),
    )


def owned_cost(gpu_hours: float, ownership: Ownership) -> float:
    """Dollars a run of ``gpu_hours`` costs a lab that owns its GPUs (see :class:`Ownership`)."""
    gpu_hours = validate.non_negative("gpu_hours", gpu_hours, high=MAX_GPU_HOURS)
    if not isinstance(ownership, Ownership):
        raise TypeError(f"ownership must be an Ownership, got {type(ownership).__name__}")
    return gpu_hours * ownership.usd_per_gpu_hour


def cluster_capital(n_gpus: int, ownership: Ownership) -> float:
    """Dollars to buy a cluster of ``n_gpus`` GPUs, servers and network included."""
    n_gpus = validate.integer("n_gpus", n_gpus, low=1, high=10_000_000)
    if not isinstance(ownership, Ownership):
        raise TypeError(f"ownership must be an Ownership, got {type(ownership).__name__}")
    return n_gpus * ownership.capital_per_gpu


def break_even_utilisation(ownership: Ownership, usd_per_gpu_hour: float) -> float:
    """The utilisation above which owning is cheaper than renting at ``usd_per_gpu_hour``.

    Owning costs ``capital / (years × 8,760 × u) + power`` per useful hour, renting costs the
    price; they are equal at ``u = capital / (years × 8,760 × (price − power))``. The
    ``utilisation`` field of ``ownership`` is ignored. A result above 1 means owning never pays
    over the depreciation period; ``math.inf`` means the rental price does not even cover power.
    """
    if not isinstance(ownership, Ownership):
        raise TypeError(f"ownership must be an Ownership, got {type(ownership).__name__}")
    price = validate.positive("usd_per_gpu_hour", usd_per_gpu_hour, high=MAX_PRICE)
    margin = price - ownership.power_usd_per_gpu_hour
    if margin <= 0:
        return math.inf
    return ownership.capital_per_gpu / (ownership.depreciation_years * HOURS_PER_YEAR * margin)


def break_even_gpu_hours(ownership: Ownership, usd_per_gpu_hour: float) -> float:
    """Busy hours one GPU must work before buying it beats renting at ``usd_per_gpu_hour``.

    Each busy hour saves ``price − power`` against renting; the capital is recovered after
    ``capital / (price − power)`` of them (``math.inf`` if the price does not cover power).
    Divide by 8,760 × utilisation for calendar years.
    """
    if not isinstance(ownership, Ownership):
        raise TypeError(f"ownership must be an Ownership, got {type(ownership).__name__}")
    price = validate.positive("usd_per_gpu_hour", usd_per_gpu_hour, high=MAX_PRICE)
    margin = price - ownership.power_usd_per_gpu_hour
    return math.inf if margin <= 0 else ownership.capital_per_gpu / margin


def rent_vs_own(gpu_hours: float, usd_per_gpu_hour: float, ownership: Ownership) -> dict:
    """One run priced both ways: rental and ownership dollars, and the break-even utilisation."""
    rent = rental_cost(gpu_hours, usd_per_gpu_hour)
    own = owned_cost(gpu_hours, ownership)
    return {"gpu_hours": float(gpu_hours), "rental_usd": rent, "owned_usd": own,
            "owned_usd_per_gpu_hour": ownership.usd_per_gpu_hour,
            "break_even_utilisation": break_even_utilisation(ownership, usd_per_gpu_hour),
            "cheaper": "own" if own < rent else "rent"}


@dataclass(frozen=True)
class LabSpend:
    """What a lab spends over a period in which one final run ships, in four parts.

    Compute: the final run's GPU-hours divided by ``run_share`` (that run's share of all the GPU
    time spent: the rest is research, ablations, pilots, failed runs and synthetic data), priced
    at ``usd_per_gpu_hour`` (a rental price, or :attr:`Ownership.usd_per_gpu_hour`). Staff:
    ``headcount × usd_per_person_year × period_years``. Data: ``data_usd`` for the period.
    Inference (serving users) is *not* included: it is a cost of selling the model, not of
    making it.
    """

    final_run_gpu_hours: float
    run_share: float
    usd_per_gpu_hour: float
    headcount: float
    usd_per_person_year: float
    period_years: float
    data_usd: float

    def __post_init__(self):
        checks = {
            "final_run_gpu_hours": lambda x: validate.non_negative("final_run_gpu_hours", x,
                                                                   high=MAX_GPU_HOURS),
            "run_share": lambda x: validate.fraction("run_share", x),
            "usd_per_gpu_hour": lambda x: validate.positive("usd_per_gpu_hour", x, high=MAX_PRICE),
            "headcount": lambda x: validate.non_negative("headcount", x, high=1e6),
            "usd_per_person_year": lambda x: validate.non_negative("usd_per_person_year", x,
                                                                   high=1e8),
            "period_years": lambda x: validate.positive("period_years", x, high=MAX_YEARS),
            "data_usd": lambda x: validate.non_negative("data_usd", x, high=MAX_USD),
        }
        for name, check in checks.items():
            object.__setattr__(self, name, check(getattr(self, name)))

    def breakdown(self) -> dict[str, float]:
        """Dollars by part, in the order a reader meets them."""
        final = self.final_run_gpu_hours * self.usd_per_gpu_hour
        return {
            "final run": final,
            "research, ablations and failed runs": final / self.run_share - final,
            "staff": self.headcount * self.usd_per_person_year * self.period_years,
            "data": self.data_usd,
        }

    @property
    def total(self) -> float:
        return sum(self.breakdown().values())


def lab_defaults() -> dict[str, float]:
    """The lab-spend inputs of the book's DeepSeek scenario (V3's Table 1 as the final run).

    The final run's share of compute defaults to Epoch AI's estimate for OpenAI in 2024 (about
    10%); headcount is the reported 160; salary cost, period and data spend are assumptions.
    """
    return {
        "final_run_gpu_hours": deepseek_v3_run().gpu_hours,
        "run_share": (_lab("epoch_openai_final_runs_2024_usd")
                      / _lab("epoch_openai_rd_compute_2024_usd")),
        "headcount": _lab("headcount"),
        "usd_per_person_year": _lab("usd_per_person_year"),
        "period_years": _lab("period_years"),
        "data_usd": _lab("data_usd"),
    }


def lab_total(**inputs: float) -> float:
    """Total spend of a lab that owns its GPUs, from flat inputs (all of ``OWNERSHIP_FIELDS`` and
    ``LAB_FIELDS``): the function the sensitivity analysis varies one input at a time."""
    unknown = set(inputs) - set(OWNERSHIP_FIELDS) - set(LAB_FIELDS)
    missing = (set(OWNERSHIP_FIELDS) | set(LAB_FIELDS)) - set(inputs)
    if unknown or missing:
        names = ", ".join(OWNERSHIP_FIELDS + LAB_FIELDS)
        raise ValueError(f"lab_total needs exactly the inputs {names}; "
                         f"unknown: {sorted(unknown)}, missing: {sorted(missing)}")
    own = Ownership(**{k: inputs[k] for k in OWNERSHIP_FIELDS})
    lab = LabSpend(usd_per_gpu_hour=own.usd_per_gpu_hour, **{k: inputs[k] for k in LAB_FIELDS})
    return lab.total


def scenario() -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """The DeepSeek scenario's inputs and, for each, a (low, high) range for the sensitivity plot.

    Every bound comes from ``data/economics.yaml`` (sourced, an estimate, or a labelled
    assumption), except two derived ones: the GPU's own TDP as the floor of power per GPU
    (``tinyseek.chips``), and the lowest run share, if DeepSeek's ~10,000 H800s (SemiAnalysis's
    estimate) had done nothing else for the whole period.
    """
    from . import chips  # here, not at the top: chips imports data too, and cost must stay light

    own = ownership_defaults()
    base = {**{k: getattr(own, k) for k in OWNERSHIP_FIELDS}, **lab_defaults()}
    fleet_hours = _lab("semianalysis_h800_gpus") * HOURS_PER_YEAR * base["period_years"]
    ranges = {
        "gpu_usd": (_own("h100_price_low_usd"), _own("h100_price_high_usd")),
        "server_usd_per_gpu": (_own("dgx_non_gpu_bom_usd") / _own("gpus_per_server"),
                               _own("server_rest_high_usd")),
        "network_share": (_own("network_share_low"), _own("network_share_high")),
        "watts_per_gpu": (chips.get("H800").tdp_w, base["watts_per_gpu"]),
        "pue": (_own("pue_hyperscale"), _own("pue_industry_2023")),
        "usd_per_kwh": (_own("usd_per_kwh_low"), _own("usd_per_kwh_high")),
        "depreciation_years": (_own("depreciation_years_low"), _own("server_life_years_msft")),
        "utilisation": (_own("utilisation_low"), _own("utilisation_high")),
        "run_share": (base["final_run_gpu_hours"] / fleet_hours,
                      _lab("epoch_final_run_share_high")),
        "headcount": (_lab("headcount_low"), _lab("headcount_high")),
        "usd_per_person_year": (_lab("usd_per_person_year_low"), _lab("usd_per_person_year_high")),
        "period_years": (_lab("period_years_low"), _lab("period_years_high")),
        "data_usd": (_lab("data_usd_low"), _lab("data_usd_high")),
    }
    return base, ranges


def tornado(model, base: dict[str, float], ranges: dict[str, tuple[float, float]]) -> list[dict]:
    """One-at-a-time sensitivity: ``model(**base)`` with each input moved to its low, then high end.

    Returns one row per input of ``ranges``, sorted by ``swing`` (the absolute difference between
    the results at the high and the low end), largest first: the input whose uncertainty moves
    the answer most comes first. Other inputs stay at ``base``. One-at-a-time analysis ignores
    interactions (two inputs both at their worst).
    """
    if not callable(model):
        raise TypeError("model must be a function of keyword inputs")
    if not isinstance(base, dict) or not isinstance(ranges, dict) or not ranges:
        raise TypeError("base and ranges must be dicts, and ranges must name at least one input")
    unknown = set(ranges) - set(base)
    if unknown:
        raise ValueError(f"ranges names inputs that base lacks: {sorted(unknown)}")
    centre = model(**base)
    rows = []
    for name, bounds in ranges.items():
        if not isinstance(bounds, tuple) or len(bounds) != 2:
            raise ValueError(f"range of {name!r} must be a (low, high) pair, got {bounds!r}")
        low = validate.number(f"low end of {name}", bounds[0])
        high = validate.number(f"high end of {name}", bounds[1])
        if low > high:
            raise ValueError(f"range of {name!r} must have low ≤ high, got ({low:g}, {high:g})")
        at_low, at_high = model(**{**base, name: low}), model(**{**base, name: high})
        rows.append({"input": name, "low": low, "base": base[name], "high": high,
                     "at_low": at_low, "at_high": at_high, "centre": centre,
                     "swing": abs(at_high - at_low)})
    return sorted(rows, key=lambda r: r["swing"], reverse=True)


def extremes(model, base: dict[str, float],
             ranges: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """The lowest and highest ``model`` result with *every* input of ``ranges`` at an end at once.

    Each input goes to whichever end lowers (then raises) the result when moved alone, as in
    :func:`tornado`; for a model that rises or falls steadily in each input (as
    :func:`lab_total` does) that gives the extremes over the whole box of ranges. Far wider than
    any single bar, and just as far from likely: every input would have to be wrong the same way.
    """
    rows = tornado(model, base, ranges)
    low = {r["input"]: (r["low"] if r["at_low"] <= r["at_high"] else r["high"]) for r in rows}
    high = {r["input"]: (r["high"] if r["at_low"] <= r["at_high"] else r["low"]) for r in rows}
    return model(**{**base, **low}), model(**{**base, **high})


def basis(key: str) -> str:
    """How a figure of the data files is known: 'sourced', 'estimate (whose: see note)' or
    'assumption', for the chapter's table of inputs."""
    status = data.fact(key).status
    return status if status in ("assumption", "estimate") else "sourced"
