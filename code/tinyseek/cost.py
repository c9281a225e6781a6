"""What a training run costs: GPU-hours times a price, stage by stage.

The DeepSeek-V3 report prices its run this way (its Table 1): GPU-hours on H800s times an
assumed rental price of $2 per GPU-hour. That is the cost of renting the GPU time of one final
run, which is why it is so much smaller than what a lab spends (see Chapter 1 and Part V).
"""

from __future__ import annotations

from dataclasses import dataclass

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


def wall_clock_days(gpu_hours: float, n_gpus: int) -> float:
    """Days a job of ``gpu_hours`` takes on ``n_gpus`` GPUs working in parallel, all busy."""
    gpu_hours = validate.non_negative("gpu_hours", gpu_hours, high=MAX_GPU_HOURS)
    n_gpus = validate.integer("n_gpus", n_gpus, low=1)
    return gpu_hours / n_gpus / 24
