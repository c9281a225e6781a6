"""Chapter 7's task, its split, and the tiny policy: sampling, log-probabilities, fine-tuning."""

import random

import pytest
import torch
from tinyseek import arith_task, char_policy, reasoning_runs, rl_memory


def test_every_problem_stays_within_one_digit_and_the_split_is_disjoint():
    problems = arith_task.all_problems(3)
    assert len(problems) == 10 * 11 ** 3  # from a total v, 10 - v additions and v + 1 subtractions
    assert all(0 <= t <= 9 for p in problems for t in p.running_totals())
    train, heldout = arith_task.split(3)
    assert len(heldout) == 200 and not set(train) & set(heldout)
    assert len(train) + len(heldout) == len(problems)


def test_solution_and_prompt():
    p = arith_task.Problem((7, 3, 5), ("-", "+"))
    assert p.prompt == "7-3+5=" and p.answer == 9
    assert "".join(p.solution()) == "<think>7-3=4,4+5=9</think><answer>9</answer>"
    assert arith_task.decode(arith_task.encode(p.solution())) == "".join(p.solution())
    with pytest.raises(ValueError, match="vocabulary"):
        arith_task.encode(["x"])


def test_corpus_shows_working_at_the_given_rate():
    p = arith_task.Problem((7, 3, 5), ("-", "+"))
    rng = random.Random(0)
    shown = sum(len(char_policy.corpus_example(p, rng, 0.3)) > 6 for _ in range(2000))
    assert 0.25 < shown / 2000 < 0.35


def test_mask_stops_after_end_of_sequence():
    eos, pad = char_policy.EOS_ID, char_policy.PAD_ID
    mask = char_policy.completion_mask(torch.tensor([[5, eos, pad, pad], [5, 6, 7, 8]]))
    assert mask.tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]


def test_logprobs_match_sampling_and_only_see_the_past():
    policy = char_policy.CharPolicy(seed=0)
    train, _ = reasoning_runs.problems()
    prompts = char_policy.prompt_batch(train[:4])
    completions, _ = char_policy.sample(policy, prompts, max_new=8, temperature=1.0,
                                        generator=torch.Generator().manual_seed(0))
    logp = char_policy.token_logprobs(policy, prompts, completions)
    assert logp.shape == completions.shape and (logp <= 0).all()
    changed = completions.clone()
    changed[:, 5:] = 3
    assert torch.equal(char_policy.token_logprobs(policy, prompts, changed)[:, :5], logp[:, :5])


def test_supervised_fine_tuning_learns_the_task():
    torch.set_num_threads(1)
    train, heldout = reasoning_runs.problems()
    policy = reasoning_runs.weak_base(steps=0)
    before = char_policy.heldout_accuracy(policy, heldout)
    policy = reasoning_runs.supervised_baseline(policy, steps=300)
    assert before < 0.2 and char_policy.heldout_accuracy(policy, heldout) > 0.8


def test_grpo_needs_less_model_memory_than_ppo():
    n = 1e9
    ppo = rl_memory.rl_model_memory(n, "ppo", rule_rewards=False)
    grpo = rl_memory.rl_model_memory(n, "grpo")
    assert ppo.total == n * (16 + 2 + 16 + 2) and grpo.total == n * (16 + 2)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        rl_memory.rl_model_memory(n, "dpo")
    with pytest.raises(ValueError, match="n_params must be > 0"):
        rl_memory.rl_model_memory(0, "ppo")
