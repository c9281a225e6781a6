"""Chapter 4's views: the routing explorer and the balance simulator, live and kernel-free."""

import numpy as np
import pytest
import torch
from conftest import shows_error
from tinyseek import moe, moe_lm
from tinyseek.plots import moe as mp
from tinyseek.widgets.moe import balance_simulator, routing_explorer


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return moe_lm.TinyLM()


def test_routing_explorer_shows_each_characters_experts_and_gates(model):
    ex = routing_explorer(model)
    chars, experts, gates = moe_lm.token_routing(model, ex.inputs["text"].value)
    assert 'role="status"' in ex.result.value and len(chars) == model.config.seq_len
    assert f"E{experts[0, 0]} ({gates[0, 0]:.2f})" in ex.result.value
    ex.inputs["text"].value = "12+30=42;"
    chars, experts, gates = moe_lm.token_routing(model, "12+30=42;")
    assert ex.result.value.count("<tr>") == 1 + 9
    assert f"E{experts[-1, 1]} ({gates[-1, 1]:.2f})" in ex.result.value
    ex.inputs["domain"].value = "grammar"
    assert ";" in ex.inputs["text"].value or " " in ex.inputs["text"].value


@pytest.mark.parametrize("field, bad, text", [
    ("text", "Hello!", "may only use the characters"),
    ("text", "", "at least one character"),
    ("layer", 5, "layer must be ≤ 1"),
])
def test_routing_explorer_shows_errors_not_tracebacks(model, field, bad, text):
    ex = routing_explorer(model)
    ex.inputs[field].value = bad
    assert shows_error(ex, text)


def test_balance_simulator_reports_the_simulation():
    sim = balance_simulator()
    sim.inputs["steps"].value = 100
    run = moe.simulate_bias_balancing(64, 6, 1e-3, 100, 512, 1.0)
    assert f"{run.max_over_mean[-10:].mean():.2f} with γ = 0.001" in sim.result.value
    sim.inputs["top_k"].value = 64
    assert shows_error(sim, "top_k must be ≤ 63")
    sim.inputs["top_k"].value = 6
    sim.inputs["gamma"].value = -1.0
    assert "gamma must be ≥ 0" in sim.result.value


def test_balance_figure_states_are_simulations():
    fig = mp.balance_simulator_figure(gammas=(0.0, 0.01), shapes=((16, 2), (32, 4)), steps=20,
                                      tokens=64)
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["16 experts, top-2", "32 experts, top-4"]
    for step, (e, k) in zip(steps, ((16, 2), (32, 4)), strict=True):
        for line, g in zip(step.args[0]["y"], (0.0, 0.01), strict=True):
            assert np.allclose(line, moe.simulate_bias_balancing(e, k, g, 20, 64).max_over_mean)


def test_routing_figure_states_are_the_models_gates(model):
    samples = {"a": "12+3=15;", "b": "the cat sees a dog;"}
    fig = mp.routing_explorer_figure(model, samples)
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["a", "b"]
    z = np.array(steps[1].args[0]["z"][0], dtype=float)             # experts x characters
    _, experts, gates = moe_lm.token_routing(model, samples["b"])
    assert z.shape == (8, len(samples["b"]))
    assert np.isclose(z[experts[3, 0], 3], gates[3, 0])
    assert np.isnan(z).sum() == z.size - gates.size                # unchosen experts blank
    with pytest.raises(ValueError, match="samples"):
        mp.routing_explorer_figure(model, {})


def test_breakdown_figure_and_smoothing():
    count = moe.parameter_count(moe.v3_config())
    fig = mp.parameter_breakdown_figure(count)
    total, active = fig.data
    assert sum(total.x) == pytest.approx(count.total / 1e9)
    assert sum(active.x) == pytest.approx(count.activated / 1e9)
    assert mp.smooth([1, 3, 5, 7], window=2).tolist() == [1, 2, 4, 6]


def test_routing_explorer_ink_is_legible_on_light_and_dark_pages(model):
    shown = routing_explorer(model).result.value
    assert "color:#111111;background:#ffffff" in shown       # dark text on its own light background


def test_heatmaps_stack_so_titles_never_share_a_line():
    share = np.full((4, 8), 1 / 8)
    fig = mp.routing_heatmap_figure({"untrained": share, "trained, no balancing": share, "bias": share})
    tops = sorted(a.y for a in fig.layout.annotations)
    assert len({round(y, 3) for y in tops}) == 3              # one title per row


def test_recall_figure_has_a_bar_and_the_seeds_of_each_model():
    fig = mp.recall_figure({"MoE": [0.4, 0.42, 0.38], "dense twin": [0.02, 0.03, 0.02], "big": [0.9]})
    assert [t.type for t in fig.data] == ["bar", "scatter"] * 3
    assert list(fig.data[1].y) == [0.4, 0.42, 0.38] and fig.layout.yaxis.range == (0, 1.05)


def test_simulator_y_range_follows_the_router_and_keeps_every_line():
    fig = mp.balance_simulator_figure(gammas=(0.0, 1e-2), shapes=((16, 2), (64, 6)), steps=30, tokens=64)
    for step in fig.layout.sliders[0].steps:
        low, high = step.args[1]["yaxis.range"]
        assert low < 1 and high >= max(max(y) for y in step.args[0]["y"])
