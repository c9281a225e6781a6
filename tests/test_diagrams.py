"""The generated diagrams (Figures 2.1 and 3.1) follow the book's rules for SVG and take their
numbers from the data and the tested functions."""

import re
import xml.etree.ElementTree as ET

import pytest
from tinyseek import chips
from tinyseek import export_controls as ec
from tinyseek import roofline as rl
from tinyseek.plots.export_controls import decision_svg
from tinyseek.plots.roofline import roofline_svg

NS = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("make", [decision_svg, roofline_svg])
def test_svg_rules(make):
    root = ET.fromstring(make())
    x0, y0, w, h = (float(v) for v in root.get("viewBox").split())
    assert (x0, y0) == (0, 0) and w <= 720 and "width" not in root.attrib
    background = root.find(f"{NS}rect")
    assert background.get("fill") == "#ffffff" and float(background.get("width")) == w
    texts = list(root.iter(f"{NS}text"))
    assert texts and all(float(t.get("font-size")) >= 13 for t in texts)
    for t in texts:
        if t.get("transform"):
            continue
        x, y = float(t.get("x")), float(t.get("y"))
        size, n = float(t.get("font-size")), len(t.text or "")
        half = 0.3 * size * n    # about half the width of the text at this size
        left = {"start": x, "middle": x - half, "end": x - 2 * half}[t.get("text-anchor")]
        assert left >= 0 and left + 2 * half <= w and size <= y <= h, t.text
    assert root.find(f"{NS}title").text


def test_decision_diagram_numbers_come_from_the_rules():
    svg = decision_svg()
    t22, t23 = ec.thresholds("2022-10"), ec.thresholds("2023-10")
    assert f"TPP ≥ {t22['tpp']:,.0f}?" in svg and f"≥ {t22['io_gbs']:,.0f}" in svg
    assert f"density ≥ {t23['a2_pd']:g}" in svg and f"density ≥ {t23['b2_pd']:g}" in svg
    h20 = chips.get("H20")
    assert f"TPP {ec.tpp(h20):,.0f}" in svg and f"{ec.performance_density(h20):.2f}" in svg
    assert "A800, H800: NVLink cut" in svg and "A100, A800, H100, H800" in svg


def test_roofline_sketch_marks_each_ridge():
    svg = roofline_svg()
    for name in ("H100", "H20"):
        assert f"ridge {rl.ridge_point(chips.get(name), 'fp8'):,.0f}" in svg
    assert "H100 and H800" in svg
    assert len(re.findall("<polyline", svg)) == 2


def test_show_svg_labels_the_diagram_and_refuses_bad_input(monkeypatch):
    import IPython.display
    from tinyseek import plots

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    plots.show_svg("<svg viewBox='0 0 10 10'><text>a</text></svg>", alt='Two "boxes" & an arrow')
    html = shown[0]["text/html"]
    assert html.startswith('<figure class="tinyseek-diagram"><svg role="img" aria-label="Two &quot;boxes&quot;')
    assert shown[0]["image/svg+xml"].startswith("<svg viewBox") and "Two" in shown[0]["text/plain"]
    with pytest.raises(ValueError, match="alt must describe"):
        plots.show_svg("<svg/>", alt=" ")
    with pytest.raises(ValueError, match="svg must be"):
        plots.show_svg("<div/>", alt="a real description")
