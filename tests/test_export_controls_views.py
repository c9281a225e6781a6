"""Chapter 2's two views of the classifier: the live widget and the kernel-free figure."""

import math

import pytest
from conftest import shows_error
from tinyseek import chips, data, plots
from tinyseek import export_controls as ec
from tinyseek.plots.export_controls import classifier_figure, regions_2023, source_label, sourced_variants
from tinyseek.widgets.export_controls import chip_classifier


def test_widget_starts_at_the_h20_and_gives_both_verdicts():
    box = chip_classifier()
    text = box.result.value
    assert "TPP 2,368" in text and "2022-10: not controlled" in text and "2023-10: not controlled" in text


def test_widget_follows_its_inputs_and_its_start_menu():
    box = chip_classifier()
    box.inputs["tops"].value = 300  # FP8 300 on 814 mm²: TPP 2,400 crosses 3A090.b.1
    assert "2023-10: CONTROLLED (3A090.b.1" in box.result.value
    box.inputs["start_from"].value = chips.get("H800").name
    assert "2022-10: not controlled" in box.result.value
    assert "2023-10: CONTROLLED (3A090.a.1" in box.result.value
    assert "8-GPU server of it (4A090): 2022-10: not 4A090, 2023-10: 4A090.a" in box.result.value
    box.inputs["interconnect_gbs"].value = 600
    assert "2022-10: CONTROLLED" in box.result.value


@pytest.mark.parametrize("field, bad, message", [
    ("tops", -5.0, "int8_tops must be &gt; 0"),
    ("die_area_mm2", 0.0, "die_area_mm2 must be &gt; 0"),
    ("interconnect_gbs", math.nan, "interconnect_gbs must be a number, got NaN"),
])
def test_widget_shows_errors_not_tracebacks(field, bad, message):
    box = chip_classifier(start="A100")  # the form takes the 8-bit format on a TPP tie
    box.inputs[field].value = bad
    assert shows_error(box, message)


def test_figure_slider_states_are_classify_results():
    fig = classifier_figure(die_area_mm2=814, tops_steps=[250, 296, 300, 650])
    steps = fig.layout.sliders[0].steps
    assert fig.layout.sliders[0].active == 1  # starts at the H20's 296
    for tops, step in zip([250, 296, 300, 650], steps, strict=True):
        chip = chips.make("int8", tops, fp8_tflops=tops, die_area_mm2=814, interconnect_gbs=900)
        assert step.args[0]["x"][0][0] == ec.tpp(chip)
        assert step.args[0]["y"][0][0] == pytest.approx(ec.performance_density(chip))
        title = step.args[1]["title.text"].replace("<br>", " ")
        assert ec.classify(chip, "2023-10").reason in title
        assert all(len(line) <= 60 for line in step.args[1]["title.text"].replace("<sup>", "")
                   .replace("</sup>", "").split("<br>"))  # fits a phone
    assert "3A090.b.1" in steps[2].args[1]["title.text"]
    assert "controlled with 900 GB/s NVLink, not controlled with 400 GB/s" in \
        steps[3].args[1]["title.text"].replace("<br>", " ")


def test_figure_plots_every_chip_with_a_die_area_and_the_b200_as_a_range():
    fig = classifier_figure()
    placed = next(t for t in fig.data if t.name == "chips in the database")
    labels = ", ".join(placed.text).split(", ")
    assert sorted(labels) == sorted(c.name.split(" ")[0] for c in chips.all()
                                    if c.die_area_mm2 is not None)
    assert "H100, H800, H200" in placed.text   # same TPP and die: one point, one label
    b200 = next(t for t in fig.data if "B200" in t.name)
    assert list(b200.y) == pytest.approx([36000 / 1060, 36000 / 1600])
    assert "3A090.a.1" in b200.hovertext[0]


def test_regions_come_from_the_rule_thresholds():
    t = ec.thresholds("2023-10")
    labels = {r["label"]: r for r in regions_2023()}
    assert labels["a.2"]["y0"] == t["a2_pd"] and labels["b.1"]["x0"] == t["b1_tpp"]
    assert labels["b.2"]["y0"] == t["b2_pd"] and labels["a.1"]["x0"] == t["a1_tpp"]


def test_figure_html_has_alt_text():
    html = plots.figure_html(classifier_figure(), alt="chips on the TPP-density plane")
    assert 'aria-label="chips on the TPP-density plane"' in html


def test_ascends_without_a_die_area_are_bands_with_one_line_per_source():
    fig = classifier_figure()
    lines = {t.name: t for t in fig.data if t.name and t.name.startswith("Ascend")}
    for name in ("Ascend 910B", "Ascend 910C"):
        fact = chips.conflicts(name)["bf16_tflops"]
        assert len([n for n in lines if n.startswith(name)]) == len(fact.values) >= 2  # no value dropped
        for v in fact.values:
            label = data.value(f"chip_source_labels.{v.source}")
            line = lines[f"{name}: {label}, TPP {v.value * 16:,.0f}"]   # TPP = 16-bit rate × 16
            assert set(line.x) == {v.value * 16}
            assert line.y[0] <= 1 and line.y[-1] >= 50        # over the whole density axis
            assert label in line.hovertext and v.where[:20] in line.hovertext.replace("<br>", " ")
            assert "no die area" in line.hovertext
    # the visible labels say whose each figure is, with its TPP
    notes = [a.text.replace("<br>", " ") for a in fig.layout.annotations if "910" in a.text]
    assert any("12,480 SemiAnalysis" in n and "12,800 Huawei" in n for n in notes)
    assert any("4,096 Huawei 2019" in n and "5,120 Boardor" in n for n in notes)
    # the 910C is 3A090.a.1 at both ends; the 910B's low end cannot be judged without a die area
    assert "3A090.a.1" in lines["Ascend 910C: SemiAnalysis, TPP 12,480"].hovertext
    assert "cannot be judged (die_area_mm2 missing)" in lines["Ascend 910B: Huawei 2019, TPP 4,096"].hovertext


def test_sourced_variants_keep_every_value_with_its_source():
    variants = sourced_variants("Ascend 910C")
    assert [(c.bf16_tflops, label) for c, label, _ in variants] == [(780, "SemiAnalysis"), (800, "Huawei")]
    ((h100, label, where),) = sourced_variants("H100")    # undisputed: the chip once, with its source
    assert h100.bf16_tflops == chips.get("H100").bf16_tflops and "1,979" in where
    assert source_label("no_such_key") == "no_such_key"
