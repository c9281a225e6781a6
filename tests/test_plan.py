"""The run planner (Chapter 10): presets against the reports, licences across rule dates, memory,
the binding constraint, serving, and a clear error for every bad input."""

import datetime as dt
import math

import pytest
from tinyseek import chips, cost, data, export_controls, mla, moe, plan, rl_memory, roofline

V3 = plan.preset("deepseek-v3")
LLAMA = plan.preset("llama-3.1-405b")


# --- presets: the planner beside the reports, within the tolerance the chapter states ----------

def test_v3_preset_is_built_from_the_sourced_inputs():
    assert V3.chips == data.value("v3_cluster_gpus") == 2048
    assert (V3.total_params, V3.active_params) == (671e9, 37e9)
    assert V3.tokens == data.value("v3_training_tokens")
    assert (V3.tp, V3.pp, V3.ep, V3.dp) == (1, 16, 64, 128)
    assert V3.precision == "fp8" and V3.attention == "mla" and V3.max_nodes == 4
    assert chips.get(V3.chip).name == chips.get("h800").name


def test_v3_preset_gives_under_half_the_reported_gpu_hours():
    """Chapter 10 says the planner, at Llama's 41% MFU on the FP8 peak, predicts 40-45% of V3's
    pre-training GPU-hours, because V3 reached only about 17% of the FP8 peak."""
    rows = {r["quantity"]: r for r in plan.compare("deepseek-v3")}
    stage = rows["GPU-hours (the planned stage)"]
    assert stage["report"] == 2_664_000
    assert 0.40 <= stage["planner"] / stage["report"] <= 0.45
    assert rows["GPU-hours (whole run reported)"]["report"] == 2_788_000
    implied = cost.mfu(cost.training_flops(37e9, 14.8e12), 2_664_000, chips.get("h800").fp8_tflops)
    assert implied == pytest.approx(0.173, abs=0.005)


def test_llama_preset_within_twenty_per_cent_of_the_model_card():
    rows = {r["quantity"]: r for r in plan.compare("llama-3.1-405b")}
    stage = rows["GPU-hours (the planned stage)"]
    assert stage["report"] == 30.84e6
    assert -0.20 <= stage["difference"] <= -0.10


def test_preset_results_have_the_json_keys():
    for name in plan.PRESETS:
        got = plan.plan(plan.preset(name))
        for key in ("licence_required", "rule", "memory_per_chip_gb", "fits", "gpu_hours", "days",
                    "cost_usd", "bound"):
            assert key in got
        assert got["cost_usd"] == pytest.approx(got["gpu_hours"] * 2.0)
        assert got["days"] == pytest.approx(got["gpu_hours"] / got["chips"] / 24)


def test_unknown_preset_is_a_value_error():
    with pytest.raises(ValueError, match="preset must be one of"):
        plan.preset("gpt-5")


# --- licences across rule dates ------------------------------------------------------------------

@pytest.mark.parametrize("chip, day, required, rule", [
    ("h100", dt.date(2022, 10, 20), False, None),          # before 3A090 took effect
    ("h100", dt.date(2022, 10, 21), True, "2022-10"),       # TPP and interconnect both high
    ("a100", dt.date(2023, 1, 1), True, "2022-10"),
    ("a800", dt.date(2023, 1, 1), False, "2022-10"),       # interconnect cut below 600 GB/s
    ("h800", dt.date(2023, 6, 1), False, "2022-10"),
    ("h800", dt.date(2023, 11, 16), False, "2022-10"),     # the day before the update applied
    ("h800", dt.date(2023, 11, 17), True, "2023-10"),      # TPP alone now decides
    ("a800", dt.date(2024, 1, 1), True, "2023-10"),
    ("h20", dt.date(2024, 6, 1), False, "2023-10"),        # designed under the 2023 thresholds
    ("h20", dt.date(2025, 4, 9), True, "2025-04"),         # the letter to NVIDIA
])
def test_licence_follows_the_rule_in_force(chip, day, required, rule):
    got = plan.licence(chip, day, "CN")
    assert (got["licence_required"], got["rule"]) == (required, rule)
    if rule in ("2022-10", "2023-10"):
        assert got["reason"] == export_controls.classify(chips.get(chip), rule).reason


def test_no_export_no_licence():
    assert plan.licence("h100", dt.date(2024, 1, 1), "US")["licence_required"] is False
    assert plan.plan(LLAMA)["licence_required"] is False


def test_rule_in_force_boundaries_come_from_the_data():
    assert plan.rule_in_force(data.value("rule_2022.effective")) == "2022-10"
    # announced on 7 October, 3A090 itself took effect on 21 October 2022
    assert plan.rule_in_force(data.value("rule_2022.announced")) is None
    assert plan.rule_in_force(data.value("rule_2023.effective")) == "2023-10"
    assert plan.rule_in_force(data.value("rule_2023.announced")) == "2022-10"


# --- memory --------------------------------------------------------------------------------------

def test_split_params_reproduces_the_activated_count():
    dense, routed = plan.split_params(671e9, 37e9, 256, 8)
    assert dense + routed == pytest.approx(671e9)
    assert dense + routed * 8 / 256 == pytest.approx(37e9)
    assert plan.split_params(405e9, 405e9, 0, 0) == (405e9, 0.0)
    # close to the parameter count of V3's configuration (main model, routed experts)
    assert routed == pytest.approx(moe.parameter_count(moe.v3_config()).routed_experts, rel=0.02)


def test_bf16_bytes_per_parameter_match_the_books_trained_model_assumption():
    i = LLAMA.with_(tp=1, pp=1, chips=1, zero=0, total_params=1e9, active_params=1e9)
    mem = plan.memory_per_chip(i)
    trained = mem["weights"] + mem["gradients"] + mem["optimiser state"]
    assert trained == pytest.approx(1e9 * rl_memory.TRAINED_BYTES_PER_PARAM / 1e9)


def test_memory_shards_with_the_parallelism():
    base = plan.memory_per_chip(LLAMA)
    assert base["weights"] == pytest.approx(405e9 * 2 / (8 * 16) / 1e9)
    assert base["optimiser state"] == pytest.approx(405e9 * 12 / (8 * 16 * 128) / 1e9)
    zero3 = plan.memory_per_chip(LLAMA.with_(zero=3))
    assert zero3["weights"] == pytest.approx(base["weights"] / 128)
    assert base["activations"] == pytest.approx(34 * 16384 * 126 * 8192 / 8 / 1e9)
    recomputed = plan.memory_per_chip(LLAMA.with_(recompute=True))
    assert recomputed["activations"] == pytest.approx(base["activations"] * 2 / 34)
    assert not base["fits"] and recomputed["fits"]


def test_v3_fits_and_its_experts_shard_over_expert_parallelism():
    mem = plan.memory_per_chip(V3)
    assert mem["fits"] and mem["total"] < 80
    no_ep = plan.memory_per_chip(V3.with_(ep=1))
    assert no_ep["weights"] > 10 * mem["weights"]


# --- what binds ----------------------------------------------------------------------------------

def test_ring_all_reduce():
    assert plan.ring_all_reduce_bytes(100.0, 1) == 0.0
    assert plan.ring_all_reduce_bytes(100.0, 4) == pytest.approx(150.0)


def test_v3_all_to_all_is_node_limited_and_priced_on_the_link():
    comm = plan.communication(V3)
    assert comm["kind"] == "expert all-to-all" and comm["link_gbs"] == 50
    copies = 4 * 7 / 8  # at most 4 nodes, one of which is often the token's own
    assert comm["bytes"] == pytest.approx(4096 * copies * 7168 * (1 + 6))
    assert comm["seconds"] == pytest.approx(roofline.transfer_time(comm["bytes"],
                                                                   roofline.Link("ib", 50)))
    free = plan.communication(V3.with_(max_nodes=0))
    expected = moe.all_to_all_bytes(1, 1, 8, 8, n_experts=256, dedup=True, bytes_per_value=1)
    assert free["bytes"] == pytest.approx(4096 * expected * 7168 * 7)
    assert free["bytes"] > comm["bytes"]


def test_binding_constraint_moves_with_the_inputs():
    assert plan.binding_constraint(V3)["bound"] == "compute"
    assert plan.binding_constraint(V3.with_(max_nodes=0))["bound"] == "interconnect"
    slow_link = plan.binding_constraint(V3.with_(inter_node_gbs=10))
    assert slow_link["bound"] == "interconnect" and slow_link["slowdown"] > 3
    # one token per GEMM is far left of the ridge point
    tiny = plan.binding_constraint(LLAMA.with_(seq_len=1, tp=1, pp=16, chips=16))
    assert tiny["bound"] == "memory bandwidth" and tiny["slowdown"] > 10


def test_gpu_hours_compose_the_chapters_functions():
    got = plan.training(V3)
    flops = cost.training_flops(37e9, 14.8e12)
    expected = roofline.compute_time(flops, chips.get("h800"), "fp8", 0.41) / 3600
    assert got["flops"] == flops and got["gpu_hours"] == pytest.approx(expected)
    slowed = plan.training(V3.with_(max_nodes=0))
    assert slowed["gpu_hours"] == pytest.approx(
        expected * plan.binding_constraint(V3.with_(max_nodes=0))["slowdown"])


def test_what_ifs_go_the_way_the_chapter_says():
    base = plan.plan(V3)
    assert plan.plan(V3.with_(precision="bf16"))["gpu_hours"] == pytest.approx(2 * base["gpu_hours"])
    h20 = plan.plan(V3.with_(chip="h20"))
    assert h20["gpu_hours"] == pytest.approx(base["gpu_hours"] * 1979 / 296)
    assert plan.plan(V3.with_(chip="h100"))["gpu_hours"] == pytest.approx(base["gpu_hours"])
    dense = V3.with_(n_experts=0, top_k=0, ep=1, active_params=671e9)
    assert plan.plan(dense)["gpu_hours"] == pytest.approx(base["gpu_hours"] * 671 / 37)
    assert not plan.plan(dense)["fits"] and plan.plan(dense.with_(tp=8))["fits"]


# --- serving -------------------------------------------------------------------------------------

def test_serving_kv_cache_comes_from_the_attention_shape():
    assert plan.serving(V3)["kv_bytes_per_token"] == mla.kv_cache_bytes(
        mla.deepseek_v3_attention(), 1, "bf16") == 576 * 61 * 2
    assert plan.serving(LLAMA)["kv_bytes_per_token"] == 2 * 8 * 128 * 126 * 2


def test_serving_cost_is_price_over_throughput_and_falls_with_batch():
    s = plan.serving(V3)
    assert s["usd_per_million_tokens"] == pytest.approx(2 / 3600 / s["tokens_per_s_per_gpu"] * 1e6)
    assert s["serve_gpus"] % 8 == 0 and s["serve_gpus"] * 80e9 >= 671e9
    small = plan.serving(V3.with_(serve_batch=8))
    assert small["usd_per_million_tokens"] > s["usd_per_million_tokens"]


# --- bad input: a ValueError naming the field and the range --------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"chip": "h900"}, "unknown chip 'h900'; known chips: a100"),
    ({"chips": 0}, "chips must be ≥ 1, got 0"),
    ({"chips": 2040}, r"tp × pp \(1 × 16 = 16\) must divide chips \(2040\)"),
    ({"ep": 48}, "ep must divide the data-parallel degree"),
    ({"active_params": 700e9}, "active_params must be ≤ 6.71e\\+11, got 7e\\+11"),
    ({"active_params": 10e9}, "active_params must be ≥ total_params × top_k / n_experts"),
    ({"mfu": 0.0}, "mfu must be > 0"),
    ({"mfu": 1.5}, "mfu must be ≤ 1"),
    ({"destination": "FR"}, "destination must be one of 'CN', 'US'"),
    ({"precision": "int8"}, "precision must be one of 'bf16', 'fp8'"),
    ({"attention": "gqa", "n_kv_heads": None}, "n_kv_heads is required"),
    ({"attention": "flash"}, "attention must be one of"),
    ({"pp": 62}, "pp must be ≤ 61"),
    ({"tokens": -1.0}, "tokens must be ≥ 1"),
    ({"usd_per_gpu_hour": 0}, "usd_per_gpu_hour must be > 0"),
    ({"n_experts": 0}, "a dense model"),
    ({"top_k": 256}, "top_k must be ≤ 255"),
    ({"zero": 4}, "zero must be ≤ 3"),
    ({"ep": 128, "gpus_per_node": 48}, "ep must fit in one node"),
])
def test_bad_input_names_the_field_and_range(change, message):
    with pytest.raises(ValueError, match=message):
        V3.with_(**change)


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="date must be a datetime.date"):
        V3.with_(date="2023-01-01")
    with pytest.raises(TypeError, match="chips must be an integer"):
        V3.with_(chips=2048.0)
    with pytest.raises(TypeError, match="inputs must be a tinyseek.plan.Inputs"):
        plan.plan({"chip": "h800"})


def test_as_json_round_trips_through_inputs():
    d = plan.as_json(V3)
    assert d["date"] == V3.date.isoformat()
    back = plan.Inputs(**{**d, "date": dt.date.fromisoformat(d["date"])})
    assert back == V3
    assert set(d) == set(plan.FIELDS) and not any(isinstance(v, float) and math.isnan(v)
                                                  for v in d.values())


# --- the two views: the live panel and the kernel-free figures -----------------------------------

def test_panel_starts_at_the_preset_and_follows_its_inputs():
    from conftest import shows_error
    from tinyseek.widgets.plan import planner

    panel = planner()
    assert "2,048 x H800 SXM" in panel.result.value and "not required" in panel.result.value
    panel.inputs["date"].value = "2024-01-01"
    assert "REQUIRED under the 2023-10 rule" in panel.result.value
    panel.inputs["chips"].value = 2040
    assert shows_error(panel, "must divide chips (2040)")
    panel.inputs["chips"].value = 2048
    panel.inputs["mfu"].value = 0.0
    assert shows_error(panel, "mfu must be &gt; 0")
    panel.inputs["mfu"].value = 0.41
    panel.inputs["date"].value = "June"
    assert shows_error(panel, "date must be YYYY-MM-DD")
    panel.inputs["preset"].value = "llama-3.1-405b"
    assert "16,384 x H100 SXM" in panel.result.value and "DOES NOT FIT" in panel.result.value


def test_figures_draw_the_planners_numbers():
    from tinyseek.plots import plan as views

    scenarios = plan.what_ifs(V3)
    fig = views.what_if_figure(scenarios, 2_664_000)
    drawn = {y: x for bar in fig.data for y, x in zip(bar.y, bar.x, strict=True)}
    assert drawn == pytest.approx({n: plan.plan(i)["gpu_hours"] / 1e6 for n, i in scenarios.items()})
    mem = views.memory_figure(scenarios)
    assert list(mem.data[3].x) == pytest.approx(
        [plan.memory_per_chip(i)["activations"] for i in scenarios.values()])
    grid = views.licence_figure(("h800",), (dt.date(2023, 6, 1), dt.date(2024, 6, 1)))
    assert list(grid.data[0].z[0]) == [0, 1]
    twin = views.mfu_figure(V3, names=("h800", "h20"), mfus=(0.2, 0.41))
    steps = twin.layout.sliders[0].steps
    assert twin.layout.sliders[0].active == 1
    for m, step in zip((0.2, 0.41), steps, strict=True):
        expected = [plan.plan(V3.with_(chip=c, mfu=m))["gpu_hours"] / 1e6 for c in ("h800", "h20")]
        assert list(step.args[0]["x"][0]) == pytest.approx(expected)


def test_what_ifs_need_a_moe_base():
    with pytest.raises(ValueError, match="base must be a mixture-of-experts run"):
        plan.what_ifs(LLAMA)
