"""tinyseek.cost: the V3 report's Table 1 reproduced, and bad inputs refused with clear messages."""

import math

import pytest
from tinyseek import cost, data


def test_table1_reproduced_exactly():
    run = cost.deepseek_v3_run()
    rows = {r["stage"]: r for r in run.table()}
    assert rows["Pre-training"]["usd"] == 5_328_000
    assert rows["Context extension"]["usd"] == 238_000
    assert rows["Post-training"]["usd"] == 10_000
    assert rows["Total"]["gpu_hours"] == data.value("v3_total_gpu_hours_reported")
    assert rows["Total"]["usd"] == data.value("v3_total_cost_reported")


def test_report_derived_figures_agree_within_rounding():
    per_t = data.value("v3_gpu_hours_per_trillion_tokens")
    assert per_t * data.value("v3_training_tokens") / 1e12 == data.value("v3_pretrain_gpu_hours")
    days = cost.wall_clock_days(per_t, data.value("v3_cluster_gpus"))
    assert round(days, 1) == data.value("v3_days_per_trillion_tokens")
    assert cost.wall_clock_days(data.value("v3_pretrain_gpu_hours"), 2048) < 61  # "< two months"


def test_run_share_scales_the_implied_spend():
    assert cost.rental_cost(1000, 2.0, run_share=0.25) == 8000
    assert cost.rental_cost(0, 2.0) == 0


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(gpu_hours=-1, usd_per_gpu_hour=2), ValueError, "gpu_hours must be ≥ 0"),
    (dict(gpu_hours=1, usd_per_gpu_hour=0), ValueError, "usd_per_gpu_hour must be > 0"),
    (dict(gpu_hours=math.nan, usd_per_gpu_hour=2), ValueError, "gpu_hours must be a number, got NaN"),
    (dict(gpu_hours=math.inf, usd_per_gpu_hour=2), ValueError, "gpu_hours must be finite"),
    (dict(gpu_hours=1e300, usd_per_gpu_hour=2), ValueError, "gpu_hours must be ≤ 1e\\+12"),
    (dict(gpu_hours=1, usd_per_gpu_hour=2, run_share=0), ValueError, "run_share must be > 0"),
    (dict(gpu_hours=1, usd_per_gpu_hour=2, run_share=1.5), ValueError, "run_share must be ≤ 1"),
    (dict(gpu_hours="1000", usd_per_gpu_hour=2), TypeError, "gpu_hours must be a number"),
    (dict(gpu_hours=True, usd_per_gpu_hour=2), TypeError, "gpu_hours must be a number"),
])
def test_bad_inputs_name_the_parameter_and_range(kwargs, error, message):
    with pytest.raises(error, match=message):
        cost.rental_cost(**kwargs)


def test_stages_and_runs_validate():
    with pytest.raises(ValueError, match="gpu_hours of stage 'x'"):
        cost.Stage("x", -5)
    with pytest.raises(ValueError, match="at least one Stage"):
        cost.TrainingRun("empty", (), 2.0)
    with pytest.raises(ValueError, match="n_gpus must be ≥ 1"):
        cost.wall_clock_days(100, 0)
