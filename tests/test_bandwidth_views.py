"""Chapter 5's views: the KV-cache calculator and pipeline explorer, live and kernel-free."""

import pytest
from conftest import shows_error
from tinyseek import mla, pipeline
from tinyseek.plots import bandwidth as pb
from tinyseek.widgets.bandwidth import kv_cache_calculator, pipeline_explorer


def test_kv_calculator_starts_at_v3_and_follows_the_preset_and_fields():
    calc = kv_cache_calculator()
    v3 = mla.deepseek_v3_attention()
    expected = mla.kv_cache_bytes(v3, 32768, "bf16") / 1e9
    assert f"{expected:,.3f} GB" in calc.result.value and "35,136 numbers" in calc.result.value
    calc.inputs["preset"].value = "MHA twin"
    assert calc.inputs["kind"].value == "mha"
    assert f"{mla.kv_cache_bytes(mla.mha_twin(v3), 32768) / 1e9:,.3f} GB" in calc.result.value
    calc.inputs["batch"].value = 4
    assert f"{mla.kv_cache_bytes(mla.mha_twin(v3), 32768, batch=4) / 1e9:,.3f} GB" in calc.result.value


@pytest.mark.parametrize("field, bad, text", [
    ("tokens", -5, "tokens must be ≥ 0"),
    ("n_layers", 0, "n_layers must be ≥ 1"),
    ("batch", 0, "batch must be ≥ 1"),
    ("rope_dim", -1, "rope_dim must be ≥ 0"),
])
def test_kv_calculator_shows_errors_not_tracebacks(field, bad, text):
    calc = kv_cache_calculator()
    calc.inputs[field].value = bad
    assert shows_error(calc, text)


def test_kv_calculator_gqa_needs_dividing_kv_heads():
    calc = kv_cache_calculator()
    calc.inputs["kind"].value = "gqa"
    calc.inputs["n_kv_heads"].value = 3
    assert "n_kv_heads must divide n_heads" in calc.result.value


def test_pipeline_explorer_reports_the_simulated_bubble():
    ex = pipeline_explorer()
    run = pipeline.run_schedule("DualPipe", 8, 20, pipeline.chunk_times(1, 1, 2, 2, 1, True))
    assert f"one step takes {run.makespan:g}" in ex.result.value
    assert f"bubble (largest idle time of a rank) {run.bubble():g}" in ex.result.value
    assert len(ex.figure.outputs) == 1
    ex.inputs["schedule"].value = "1F1B"
    assert "1F1B" in ex.result.value and "bubble (largest idle time of a rank) 42" in ex.result.value


@pytest.mark.parametrize("field, bad, text", [
    ("stages", 5, "stages must be even for DualPipe"),
    ("microbatches", 9, "microbatches must be even"),
    ("w_compute", 3.0, "w_compute must be &lt; 2"),
    ("f_compute", 0.0, "f_compute must be &gt; 0"),
])
def test_pipeline_explorer_shows_errors_not_tracebacks(field, bad, text):
    ex = pipeline_explorer()
    ex.inputs[field].value = bad
    assert shows_error(ex, text)
    assert ex.figure.outputs == ()


def test_kv_figure_slider_states_are_the_function_values():
    fig = pb.kv_cache_figure(contexts=[1024, 4096], batches=[1, 4], dtypes=["bf16", "fp8"])
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["1 × BF16", "4 × BF16", "1 × FP8", "4 × FP8"]
    models = list(pb.kv_cache_models().values())
    for step, (b, d) in zip(steps, [(1, "bf16"), (4, "bf16"), (1, "fp8"), (4, "fp8")]):
        for line, model in zip(step.args[0]["y"], models):
            assert list(line) == [mla.kv_cache_bytes(model, c, d, b) / 1e9 for c in (1024, 4096)]


def test_pipeline_figure_states_are_simulations():
    fig = pb.pipeline_explorer_figure(settings=[(4, 8), (8, 16)])
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["4 stages, 8 mb", "8 stages, 16 mb"]
    runs = pb.explorer_runs(8, 16)
    one_f_one_b = runs[0][0]
    f_bars = step_bars = steps[1].args[0]
    # the first trace of the second state is 1F1B's forward chunks: one per micro-batch per stage
    assert len(step_bars["x"][0]) == 8 * 16
    assert sum(f_bars["x"][0]) == pytest.approx(8 * 16 * one_f_one_b.times.forward)
    assert f"bubble {one_f_one_b.bubble():g}" in steps[1].args[1]["annotations[0].text"]


def test_timeline_needs_runs():
    with pytest.raises(ValueError, match="at least one"):
        pb.timeline_figure([])
    with pytest.raises(ValueError, match="stages must be ≥ 2"):
        pb.pipeline_explorer_figure(settings=[(1, 4)])
