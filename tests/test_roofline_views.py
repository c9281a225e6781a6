"""Chapter 3's roofline and all-to-all views: live widgets and kernel-free figures."""

import pytest
from conftest import shows_error
from tinyseek import chips, data
from tinyseek import roofline as rl
from tinyseek.plots.roofline import all_to_all_figure, roofline_figure
from tinyseek.widgets.roofline import all_to_all_calculator, roofline_calculator


def test_roofline_widget_by_hand():
    box = roofline_calculator("H800", "fp8", 100)
    # 100 FLOP/byte x 3,350 GB/s = 335 TFLOPS of 1,979; ridge 1979e12/3350e9 = 591.
    assert "Attainable: 335 of 1,979 TFLOPS" in box.result.value
    assert "memory bandwidth" in box.result.value and "591 FLOP per byte" in box.result.value
    box.inputs["intensity"].value = 1000.0
    assert "1,979 of 1,979" in box.result.value and "tensor cores" in box.result.value


def test_roofline_widget_errors():
    box = roofline_calculator()
    box.inputs["chip"].value = chips.get("A100").name
    assert shows_error(box, "has no fp8 figure")
    box.inputs["precision"].value = "bf16"
    box.inputs["intensity"].value = 0.0
    assert "intensity must be &gt; 0" in box.result.value


def test_all_to_all_widget_by_hand():
    box = all_to_all_calculator(megabytes_per_gpu=80, n_gpus=8)
    # 70 MB leave each GPU: 0.35 ms at the H800's 200 GB/s, 0.156 ms at the H100's 450 GB/s.
    assert "0.350 ms on your link" in box.result.value and "H100 NVLink 0.156 ms" in box.result.value
    box.inputs["n_gpus"].value = 0
    assert "n_gpus must be ≥ 1" in box.result.value


def test_roofline_figure_states_are_function_values():
    fig = roofline_figure(names=("H100", "H20"), precision="bf16", intensities=[10, 100, 1000],
                          disputed=())
    steps = fig.layout.sliders[0].steps
    h100, h20 = chips.get("H100"), chips.get("H20")
    for i, step in zip([10, 100, 1000], steps, strict=True):
        assert [y[0] for y in step.args[0]["y"]] == pytest.approx(
            [rl.attainable_tflops(h100, "bf16", i), rl.attainable_tflops(h20, "bf16", i)])
    # At 100 FLOP/byte the H100 is memory-bound, the H20 is not (ridge 37).
    assert "H100 335*" in steps[1].args[1]["title.text"] and "H20 148," not in steps[1].args[1]["title.text"]
    assert "H20 148" in steps[1].args[1]["title.text"]


def test_roofline_figure_names_the_h800_in_its_legend():
    fig = roofline_figure()
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert any(n.startswith("H800") and "H100" in n for n in names)
    title = fig.layout.title.text
    assert all(len(line) <= 60 for line in title.replace("<sup>", "").replace("</sup>", "").split("<br>"))


def test_all_to_all_figure_marks_links_and_compute():
    links = {"H800 NVLink": rl.Link.from_chip(chips.get("H800")), "IB": rl.Link.v3_infiniband()}
    fig = all_to_all_figure(links, 1e8, 8, compute_s=1e-3, compute_label="compute")
    marks = next(t for t in fig.data if t.name == "named links")
    assert list(marks.x) == [200, 50]
    assert list(marks.y) == pytest.approx([1e8 * 7 / 8 / 200e9 * 1e3, 1e8 * 7 / 8 / 50e9 * 1e3])
    compute = next(t for t in fig.data if t.name == "compute")
    assert list(compute.y) == [1.0, 1.0]  # the compute line, in ms


def test_roofline_figure_draws_the_910c_once_per_source_and_its_range_in_the_title():
    fig = roofline_figure(intensities=[10, 1000])
    fact = chips.conflicts("Ascend 910C")["bf16_tflops"]
    named = {t.name: t for t in fig.data if t.name and t.name.startswith("910C")}
    assert len(named) == len(fact.values) >= 2                 # every sourced value, none picked
    for v in fact.values:
        line = named[f"910C, {data.value(f'chip_source_labels.{v.source}')}: {v.value:,.0f}"]
        assert max(line.y) == v.value                           # the roof is that source's peak
        assert v.where[:25] in line.hovertemplate.replace("<br>", " ")   # and says what the source says
        assert min(line.y) == pytest.approx(chips.bounds("Ascend 910C")[0].memory_bandwidth_gbs / 1000)
    steps = fig.layout.sliders[0].steps
    assert "910C 32*" in steps[0].args[1]["title.text"]        # memory-bound: one bandwidth, one value
    assert "910C 780–800" in steps[1].args[1]["title.text"]    # compute-bound: the sources' range
    lo, hi = sorted(v.value for v in fact.values)
    moved = [y[0] for y in steps[1].args[0]["y"]]                # a marker on each source's line
    assert lo in moved and hi in moved
    for step in steps:
        assert all(len(line) <= 60 for line in step.args[1]["title.text"].replace("<sup>", "")
                   .replace("</sup>", "").split("<br>"))


def test_roofline_figure_leaves_out_a_disputed_chip_without_the_precision():
    fig = roofline_figure(names=("H100", "H20"), precision="fp8")   # the 910C has no FP8 figure
    assert not [t for t in fig.data if t.name and "910C" in t.name]
    assert "910C" not in fig.layout.title.text
