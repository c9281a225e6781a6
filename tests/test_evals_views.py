"""Chapter 1's R1-versus-o1 figure: margins from tinyseek.evals, a menu per category."""

from tinyseek import evals, plots
from tinyseek.plots.evals import CATEGORIES, margin_figure


def test_bars_are_the_tested_margins_and_leaders():
    fig = margin_figure()
    bar = fig.data[0]
    rows = [r for r in evals.verdicts() if r.unit != "rating"]
    assert list(bar.x) == [r.margin for r in rows]
    assert len(bar.y) == 10 and "Codeforces %ile" in bar.y
    assert [c for c in bar.marker.color] == [
        {"R1": "#1f77b4", "o1": "#d62728", "tie": "#7f7f7f"}[r.leader] for r in rows]


def test_menu_has_every_category_and_each_shows_its_rows():
    menu = margin_figure().layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["all benchmarks", *CATEGORIES]
    math_button = menu.buttons[1]
    assert list(math_button.args[0]["y"][0]) == ["AIME 2024", "MATH-500"]
    assert sum(len(b.args[0]["y"][0]) for b in menu.buttons[1:]) == 10


def test_figure_renders_kernel_free():
    html = plots.figure_html(margin_figure(), alt="R1 minus o1 margins")
    assert "Plotly.newPlot" in html and "R1 minus o1" in html
