"""Chapter 1's two views of the cost calculator: the live widget and the kernel-free figure."""

import math

import pytest
from conftest import shows_error
from tinyseek import cost, plots
from tinyseek.plots.cost import rental_cost_figure
from tinyseek.widgets.cost import cost_calculator


def test_widget_starts_at_the_v3_figure_and_follows_its_inputs():
    calc = cost_calculator()
    assert "$5.576M" in calc.result.value
    calc.inputs["run_share"].value = 0.5
    assert "Implied spend: $11.15M" in calc.result.value


@pytest.mark.parametrize("field, bad, message", [
    ("gpu_hours", -1.0, "gpu_hours must be ≥ 0"),
    ("usd_per_gpu_hour", 0.0, "usd_per_gpu_hour must be &gt; 0"),
    ("run_share", math.nan, "run_share must be a number, got NaN"),
    ("gpu_hours", 1e200, "gpu_hours must be ≤ 1e+12"),
])
def test_widget_shows_the_error_instead_of_a_traceback(field, bad, message):
    calc = cost_calculator()
    calc.inputs[field].value = bad
    assert shows_error(calc, message)


def test_figure_slider_states_are_the_function_values():
    fig = rental_cost_figure(gpu_hours=1e6, prices=[1.0, 2.0], shares=[0.5, 1.0])
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["$1.00", "$2.00"]
    for price, step in zip([1.0, 2.0], steps, strict=True):
        expected = [cost.rental_cost(1e6, price, s) / 1e6 for s in (0.5, 1.0)]
        assert list(step.args[0]["y"][0]) == pytest.approx(expected)
    assert fig.layout.sliders[0].active == 1  # starts at the report's $2


def test_figure_html_has_alt_text_and_no_cdn_load_when_plotly_is_present():
    html = plots.figure_html(rental_cost_figure(), alt="spend against share")
    assert 'aria-label="spend against share"' in html
    assert "if (window.Plotly) { draw(); }" in html


def test_figure_without_alt_text_is_refused():
    with pytest.raises(ValueError, match="alt"):
        plots.figure_html(rental_cost_figure(), alt=" ")
