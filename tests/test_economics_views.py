"""Chapter 8's views: the live cost explorer and the kernel-free figures show the tested values."""

import math

import pytest
from conftest import shows_error
from tinyseek import cost, data, plots
from tinyseek.plots import economics as figs
from tinyseek.widgets.economics import PRESETS, cost_explorer, explore


def test_explorer_starts_at_table_1_and_prices_it_both_ways():
    ui = cost_explorer()
    assert "2.788M GPU-hours" in ui.result.value and "rented $5.576M" in ui.result.value
    owned = cost.owned_cost(cost.deepseek_v3_run().gpu_hours, cost.ownership_defaults())
    assert f"owned {figs.units.usd(owned, 4)}" in ui.result.value


def test_explorer_follows_its_inputs_and_presets():
    ui = cost_explorer()
    ui.inputs["usd_per_gpu_hour"].value = 4.0
    assert "rented $11.15M" in ui.result.value
    ui.inputs["preset"].value = PRESETS[1]
    llama = data.value("llama31_405b_gpu_hours")
    assert ui.inputs["Pre-training"].value == llama and ui.inputs["Post-training"].value == 0
    assert f"rented {figs.units.usd(llama * 4.0, 4)}" in ui.result.value


def test_explorer_reports_when_owning_never_pays():
    ui = cost_explorer()
    ui.inputs["usd_per_gpu_hour"].value = 0.1   # below the power cost of a busy GPU-hour
    assert "never (the price does not cover power)" in ui.result.value


@pytest.mark.parametrize("field, bad, message", [
    ("utilisation", 0.0, "utilisation must be &gt; 0"),
    ("utilisation", 1.2, "utilisation must be ≤ 1"),
    ("pue", math.nan, "pue must be a number, got NaN"),
    ("Pre-training", -5.0, "gpu_hours of stage &#x27;Pre-training&#x27; must be ≥ 0"),
    ("usd_per_gpu_hour", 0.0, "usd_per_gpu_hour must be &gt; 0"),
])
def test_explorer_shows_the_error_instead_of_a_traceback(field, bad, message):
    ui = cost_explorer()
    ui.inputs[field].value = bad
    assert shows_error(ui, message)


def test_explore_is_rent_vs_own_of_the_summed_stages():
    own = cost.ownership_defaults()
    inputs = {k: getattr(own, k) for k in cost.OWNERSHIP_FIELDS}
    got = explore({"a": 1_000.0, "b": 500.0}, 3.0, **inputs)
    assert got == cost.rent_vs_own(1_500.0, 3.0, own)


def test_explorer_figure_slider_states_are_the_function_values():
    own = cost.ownership_defaults()
    fig = figs.cost_explorer_figure(prices=[1.0, 2.0], utilisations=[0.5, 0.8], gpu_hours=[1e6, 1e7])
    price_slider, util_slider = fig.layout.sliders
    assert [s.label for s in price_slider.steps] == ["$1.00", "$2.00"] and price_slider.active == 1
    assert [s.label for s in util_slider.steps] == ["50%", "80%"] and util_slider.active == 1
    marks = [cost.deepseek_v3_run().gpu_hours, data.value("llama31_405b_gpu_hours")]
    for p, step in zip([1.0, 2.0], price_slider.steps, strict=True):
        line, points = step.args[0]["y"]
        assert list(step.args[1]) == [0, 2]
        assert list(line) == pytest.approx([cost.rental_cost(h, p) / 1e6 for h in (1e6, 1e7)])
        assert list(points) == pytest.approx([cost.rental_cost(h, p) / 1e6 for h in marks])
    for u, step in zip([0.5, 0.8], util_slider.steps, strict=True):
        line, points = step.args[0]["y"]
        assert list(step.args[1]) == [1, 3]
        o = own.with_(utilisation=u)
        assert list(points) == pytest.approx([cost.owned_cost(h, o) / 1e6 for h in marks])


def test_break_even_figure_marks_the_tested_break_even():
    own = cost.ownership_defaults()
    fig = figs.break_even_figure(prices=[2.0], ownership=own)
    marker = [t for t in fig.data if t.mode == "markers+text"]
    assert len(marker) == 1
    assert marker[0].x[0] == pytest.approx(100 * cost.break_even_utilisation(own, 2.0))


def test_tornado_figure_bars_are_the_tornado_rows():
    base, ranges = cost.scenario()
    rows = cost.tornado(cost.lab_total, base, ranges)
    fig = figs.tornado_figure(rows)
    low, high = fig.data
    assert low.y[-1] == figs.LABELS[rows[0]["input"]]         # biggest swing drawn on top
    assert low.base == pytest.approx(rows[0]["centre"] / 1e6)
    assert low.x[-1] + low.base == pytest.approx(rows[0]["at_low"] / 1e6)
    assert high.x[-1] + high.base == pytest.approx(rows[0]["at_high"] / 1e6)
    assert set(figs.LABELS) == set(ranges)                      # every input has a readable name


def test_spend_breakdown_adds_up():
    lab = cost.LabSpend(1_000, 0.5, 2.0, 1, 10_000, 1, 500)
    fig = figs.spend_breakdown_figure(lab)
    assert sum(t.y[0] for t in fig.data) == pytest.approx(lab.total / 1e6)


def test_figures_render_with_alt_text():
    html = plots.figure_html(figs.cost_explorer_figure(), alt="cost explorer")
    assert 'aria-label="cost explorer"' in html


def test_serving_figure_draws_the_tested_prices_at_every_slider_state():
    from tinyseek import serving

    fig = figs.serving_cost_figure({"launch price": 2.19}, prices=[1.0, 2.0], utilisations=(0.5, 1.0),
                                   tokens_per_s=[1e3, 1e4])
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["$1.00", "$2.00"] and fig.layout.sliders[0].active == 1
    for price, step in zip([1.0, 2.0], steps, strict=True):
        for ys, u in zip(step.args[0]["y"], (0.5, 1.0), strict=True):
            assert list(ys) == pytest.approx([serving.usd_per_million_tokens(price, 8, r, u) for r in (1e3, 1e4)])
    assert [t.name for t in fig.data][-1] == "launch price" and list(fig.data[-1].y) == [2.19, 2.19]


def test_serving_calculator_shows_the_price_or_the_error():
    from tinyseek import serving
    from tinyseek.widgets.economics import serving_calculator

    box = serving_calculator()
    box.inputs["tokens_per_s"].value = 1000.0
    assert f"${serving.usd_per_million_tokens(2.0, 8, 1000.0):,.3f}" in box.result.value
    box.inputs["utilisation"].value = 0.05
    box.inputs["gpus"].value = 0
    assert shows_error(box, "gpus must be")
