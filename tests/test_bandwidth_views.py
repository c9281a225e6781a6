"""Views of Chapters 5 and 6: the KV-cache calculator and pipeline explorer, live and kernel-free;
the DualPipe diagram and the routing factors."""

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
    for step, (b, d) in zip(steps, [(1, "bf16"), (4, "bf16"), (1, "fp8"), (4, "fp8")], strict=True):
        for line, model in zip(step.args[0]["y"], models, strict=True):
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


# ---- Chapter 6's static diagram and routing factors ----------------------------------------------

def test_committed_dualpipe_diagram_is_what_the_simulator_draws():
    """book/_static/diagrams/06-dualpipe.svg is generated: regenerate it with
    `python -c "from tinyseek.plots import bandwidth; bandwidth.write_dualpipe_diagram()"`."""
    committed = (pb.DIAGRAMS / "06-dualpipe.svg").read_text(encoding="utf-8")
    assert committed == pb.dualpipe_diagram()


def test_schedule_svg_is_legible_and_inside_its_view_box():
    import re
    svg = pb.dualpipe_diagram()
    width, height = map(float, re.search(r'viewBox="0 0 (\S+) (\S+)"', svg).groups())
    assert width <= 720 and 'width="720"' in svg and "fill=\"#ffffff\"" in svg      # opaque background
    assert min(int(s) for s in re.findall(r'font-size="(\d+)"', svg)) >= 13
    for x, y in re.findall(r'<text x="([\d.]+)" y="([\d.]+)"', svg):
        assert 0 < float(x) < width - 100 and 0 < float(y) < height
    for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg):
        assert float(x) + float(w) <= width
    with pytest.raises(ValueError, match="runs"):
        pb.schedule_svg([])


def test_copy_factors_name_both_baselines():
    import torch
    from tinyseek import moe, node_routing
    logits = node_routing.random_logits(4096, 256, seed=1)
    free = node_routing.route(logits, 8, 8, None)
    limited = node_routing.route(logits, 8, 8, 4)
    f = pb.copy_factors(free, limited, 8)
    assert f["limited_max"] == 4 and f["vs_per_expert_worst"] == 2.0         # at least 2 for every token
    assert f["vs_per_expert_mean"] >= 2.0
    assert f["free_max"] == 8 and f["vs_free_worst"] == 2.0                  # the worst case halved
    assert 1.2 < f["vs_free_mean"] < 1.45                                    # the average: less
    assert f["free_mean"] == pytest.approx(node_routing.expected_nodes(256, 8, 8), abs=0.05)
    experts = torch.tensor([[0, 1, 2, 3], [0, 32, 64, 96]])
    routing = moe.Routing(experts, torch.ones(2, 4), torch.zeros(2, 256))
    assert pb.nodes_per_token(routing, 8).tolist() == [1, 4]
    assert pb.nodes_histogram(routing, 8) == [1, 0, 0, 1, 0, 0, 0, 0]
    with pytest.raises(TypeError, match="routing"):
        pb.nodes_per_token(experts, 8)


@pytest.mark.parametrize("name", ["05-mla.svg", "05-mtp.svg", "06-fp8-scaling.svg", "06-dualpipe.svg",
                                  "06-expert-parallel.svg"])
def test_diagrams_follow_the_book_rules(name):
    """viewBox and no fixed width, an opaque light background, dark text of at least 13 units,
    every label inside the view box (width estimated at 0.6 em per character)."""
    import re
    import xml.etree.ElementTree as ET
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.parse(pb.DIAGRAMS / name).getroot()
    assert "width" not in root.attrib and "height" not in root.attrib
    _, _, width, height = map(float, root.attrib["viewBox"].split())
    assert width <= 720
    background = root.find(f"{ns}rect")
    assert float(background.get("width")) == width and background.get("fill") == "#ffffff"
    base = float(root.get("font-size", 16))
    for text in root.iter(f"{ns}text"):
        size = float(text.get("font-size", base))
        assert size >= 13, f"{name}: font-size {size} < 13"
        label = re.sub(r"\s+", " ", "".join(text.itertext())).strip()
        x, y, w = float(text.get("x")), float(text.get("y")), 0.6 * size * len(label)
        left = x - w / 2 if text.get("text-anchor") == "middle" else x
        assert 0 <= left and left + w <= width + 10 and size <= y <= height, f"{name}: {label!r} leaves the view box"
