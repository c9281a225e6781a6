"""Rule-based rewards: the template, the fail-safe verifier and the flawed verifier."""


import pytest
import torch
from tinyseek import grpo, reasoning_runs, rewards
from tinyseek.char_policy import heldout_accuracy

GOOD = "<think>6+3=9,9-3=6,6+1=7</think><answer>7</answer>"


def test_well_formed_right_answer_scores_two():
    assert rewards.parse(GOOD) == rewards.Parsed("6+3=9,9-3=6,6+1=7", "7")
    assert rewards.rule_reward(GOOD, 7) == 2.0
    assert rewards.rule_reward(GOOD, 8) == 1.0  # format only
    assert rewards.rule_reward("<think></think><answer>7</answer>", 7) == 2.0  # no working shown


@pytest.mark.parametrize("text", [
    "", "7", "<answer>7</answer>", "<think>6+3=9</think>", "<think>x</think><answer>7",
    "<answer>7</answer><think>x</think>", "<think>a<think>b</think><answer>7</answer>",
    "<think>x</think><answer>7</answer><answer>7</answer>", "<think>x</think><answer>7</answer>!",
    "<think>x</think><answer></answer>", "<think>x</think><answer>+7</answer>",
    "<think>x</think><answer>07</answer>", "<think>x</think><answer>٧</answer>",
    "<think>x</think><answer>7.0</answer>", "<think>x</think><answer>9" + "9" * 10000 + "</answer>",
])
def test_verifier_fails_safe_on_malformed_or_wrong_output(text):
    assert rewards.accuracy_reward(text, 7) == 0.0


def test_huge_and_negative_numbers_are_compared_as_text():
    big = 10 ** 5000  # larger than Python's default int <-> str conversion limit
    with pytest.raises(ValueError):
        str(big)
    huge = "1" + "0" * 5000
    assert rewards.accuracy_reward(f"<think></think><answer>{huge}</answer>", 7) == 0.0
    assert rewards.accuracy_reward("<think></think><answer>-3</answer>", -3) == 1.0


def test_unicode_in_the_reasoning_is_allowed_but_not_in_the_answer():
    assert rewards.format_reward("<think>ça fait 7 ✓</think><answer>7</answer>") == 1.0
    assert rewards.accuracy_reward("<think>x</think><answer>７</answer>", 7) == 0.0  # full-width


def test_bad_arguments():
    with pytest.raises(TypeError, match="completion must be a str"):
        rewards.rule_reward(None, 7)
    with pytest.raises(TypeError, match="truth must be an integer"):
        rewards.accuracy_reward(GOOD, 7.0)


def test_fail_open_verifier_pays_for_garbage():
    assert rewards.fail_open_reward("<think>7-4", 3) == 2.0
    assert rewards.rule_reward("<think>7-4", 3) == 0.0
    assert rewards.fail_open_reward(GOOD, 8) == 1.0


def test_policy_hacks_the_fail_open_verifier():
    torch.set_num_threads(1)
    train, heldout = reasoning_runs.problems()
    policy = reasoning_runs.weak_base()
    start = heldout_accuracy(policy, heldout)
    history = grpo.train_grpo(policy, train, heldout, reward=rewards.fail_open_reward,
                              **reasoning_runs.RL)
    # Measured: reward about 1.4 -> 2.0 while true accuracy goes to about 0.
    assert history.reward[-1] > 1.8 and history.reward[-1] > history.reward[0] + 0.3
    assert history.accuracy[-1] < start - 0.3
