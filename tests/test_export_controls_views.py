"""Chapter 2's two views of the classifier: the live widget and the kernel-free figure."""

import math

import pytest
from conftest import shows_error
from tinyseek import chips, plots
from tinyseek import export_controls as ec
from tinyseek.plots.export_controls import classifier_figure, regions_2023
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
