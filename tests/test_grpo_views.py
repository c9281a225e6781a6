"""Chapter 7's views: the advantage explorer (widget and figure) and the replay figure."""

import pytest
from conftest import shows_error
from tinyseek import grpo
from tinyseek.plots.grpo import advantage_explorer_figure, replay_figure
from tinyseek.widgets.grpo import advantage_calculator


def test_widget_by_hand_and_errors():
    box = advantage_calculator("2, 0, 0, 0")
    assert "+1.50 (up), -0.50 (down)" in box.result.value
    box.inputs["rewards"].value = "1, 1, 1"
    assert "+0.00 (untouched)" in box.result.value
    box.inputs["rewards"].value = "1, x"
    assert shows_error(box, "numbers separated by commas")
    box.inputs["rewards"].value = "1"
    assert "G ≥ 2" in box.result.value


def test_explorer_states_are_function_values():
    fig = advantage_explorer_figure(4)
    steps = fig.layout.sliders[0].steps
    assert len(steps) == 5
    assert list(steps[1].args[0]["y"][0]) == grpo.group_advantages([[1.0, 0, 0, 0]])[0].tolist()
    assert all(v == 0 for v in steps[0].args[0]["y"][0])
    with pytest.raises(ValueError):
        advantage_explorer_figure(1)


def test_replay_figure():
    h = grpo.GrpoHistory(step=[0, 1], reward=[1.0, 2.0], length=[5.0, 9.0], eval_step=[0, 2],
                         accuracy=[0.5, 0.9], samples=[["<think>a"], ["b"]])
    fig = replay_figure(h)
    assert len(fig.layout.sliders[0].steps) == 2 and "&lt;think&gt;a" in fig.layout.title.text
    with pytest.raises(ValueError):
        replay_figure(grpo.GrpoHistory())


def test_widget_delta_must_be_positive():
    box = advantage_calculator("1, 0")
    box.inputs["delta"].value = 0.0
    assert shows_error(box, "delta must be")


def test_ladder_and_pass_at_k_figures():
    from tinyseek.plots.grpo import ladder_figure, pass_at_k_figure
    h = grpo.GrpoHistory(eval_step=[0, 3], accuracy=[0.5, 0.8])
    fig = ladder_figure({"REINFORCE": [(None, h), (None, h)], "+ KL penalty (GRPO)": [(None, h)]})
    assert len(fig.data) == 3 and [d.showlegend for d in fig.data] == [True, False, True]
    assert list(fig.data[0].y) == [50.0, 80.0]
    fig = pass_at_k_figure({"base": {1: 0.4, 64: 1.0}, "after GRPO": {1: 0.6, 64: 1.0}})
    assert list(fig.data[1].y) == [60.0, 100.0] and fig.layout.xaxis.type == "log"
    for bad in ({}, None):
        with pytest.raises(ValueError):
            ladder_figure(bad)
        with pytest.raises(ValueError):
            pass_at_k_figure(bad)
