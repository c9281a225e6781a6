"""Chapter 7's scarce-label comparison and harder held-out problems: what the chapter claims, on every seed."""

import pytest
import torch
from tinyseek import arith_task, reasoning_runs, rewards
from tinyseek.char_policy import CharPolicy, heldout_accuracy, prompt_batch

SEEDS = (0, 1, 2)  # the chapter's


@pytest.fixture(scope="module")
def base():
    torch.set_num_threads(1)
    return reasoning_runs.weak_base(room_for_ops=reasoning_runs.HARDER_OPS)  # the chapter's base for these runs


@pytest.fixture(scope="module")
def scarce(base):
    return {n: [reasoning_runs.scarce_labels(base, n_labels=n, rl_steps=15, seed=s) for s in SEEDS] for n in (16, 64)}


def test_a_policy_with_room_for_longer_prompts_reads_shorter_ones_padded():
    policy = CharPolicy(prompt_len=11, max_len=30)
    train, _ = reasoning_runs.problems()
    prompts = prompt_batch(list(train[:3]))
    padded = torch.cat([prompts, torch.zeros(3, 2, dtype=torch.long)], dim=1)  # <pad> is token 0
    completions = torch.zeros(3, 4, dtype=torch.long)
    assert torch.equal(policy(prompts, completions), policy(padded, completions))
    assert torch.allclose(policy.next_logits(prompts, completions, 2), policy(padded, completions)[:, 2], atol=1e-6)
    with pytest.raises(ValueError, match="at most 11"):
        policy(torch.zeros(3, 12, dtype=torch.long), completions)


def test_harder_problems_are_one_operator_longer_and_never_in_training():
    hard = reasoning_runs.harder_problems(50, seed=3)
    train, heldout = reasoning_runs.problems()
    assert len(set(hard)) == 50 and all(len(p.ops) == reasoning_runs.HARDER_OPS for p in hard)
    assert not set(hard) & (set(train) | set(heldout))
    assert hard == reasoning_runs.harder_problems(50, seed=3)
    with pytest.raises(ValueError, match="n must"):
        reasoning_runs.harder_problems(0)


def test_the_base_has_room_for_the_harder_problems_and_rejects_bad_room():
    policy = reasoning_runs.weak_base(steps=0, room_for_ops=reasoning_runs.HARDER_OPS)
    hard = reasoning_runs.harder_problems(5)
    assert policy.prompt_len == len(arith_task.prompt_tokens(hard[0]))
    assert policy.max_len >= len(hard[0].solution()) + 1  # and its end-of-sequence
    assert 0.0 <= heldout_accuracy(policy, hard) <= 1.0
    assert reasoning_runs.weak_base(steps=0).prompt_len == len(arith_task.prompt_tokens(hard[0])) - 2
    for room in (2, 5):
        with pytest.raises(ValueError, match="room_for_ops"):
            reasoning_runs.weak_base(steps=0, room_for_ops=room)


def test_harder_heldout_rejects_a_policy_without_room():
    with pytest.raises(ValueError, match="room for 4"):
        reasoning_runs.harder_heldout({"narrow": CharPolicy(prompt_len=9)}, n_harder=5)


def test_scarce_labels_rejects_bad_arguments(base):
    for kwargs, match in [({"n_labels": 0}, "n_labels"), ({"rl_steps": 0}, "rl_steps"),
                          ({"sft_chunk": 0}, "sft_chunk")]:
        with pytest.raises(ValueError, match=match):
            reasoning_runs.scarce_labels(base, **kwargs)


@pytest.mark.slow
def test_rl_beats_sft_on_scarce_labels_on_every_seed(scarce):
    for r in scarce[64]:
        # Measured (base seed 0 with room for 4 operators, seeds 0-2, 64 labels): GRPO 94-96% against
        # SFT 67-77% at equal CPU time (1.2-1.4x), and above SFT's best checkpoint (75-82%) by 11 points or more.
        assert r.rl[-1] > r.sft[-1] + 0.05, r
        assert r.rl[-1] > max(r.cold_start, *r.sft) + 0.03, r
        assert abs(r.sft_seconds - r.rl_seconds) < 0.25 * r.rl_seconds, r  # equal time, to half a chunk
        assert r.rl[-1] < 2 * r.sft[-1], r  # the chapter says: a clear lead, but not a doubling
        assert r.sft[-1] > 0.75 * r.cold_start, r  # SFT keeps most of its cold start (measured 0.81-1.03 of it)
    for r in scarce[16]:
        # Measured with 16 labels: 2.2-3.3x. The chapter claims at least 2x on each of its seeds, and
        # SFT far below its own cold start (measured 28-42% at equal time against 46-80%: 0.45-0.61 of it).
        assert r.rl[-1] >= 2 * r.sft[-1], r
        assert r.sft[-1] < 0.75 * r.cold_start, r


@pytest.mark.slow
def test_no_policy_generalises_to_one_operator_more(base, scarce):
    for seed, r in zip(SEEDS, scarce[64], strict=True):
        h = reasoning_runs.harder_heldout({"base": base, "SFT only": r.policies["SFT"],
                                           "cold start + GRPO": r.policies["GRPO"]}, seed=seed)
        # Measured: 8-20% on the longer chains for all three, against 16-18% whose last operand is 0
        # (where stopping after three operators is right); GRPO answers the three-operator total
        # for 80-84% of the others.
        assert h.heldout["cold start + GRPO"] > 0.85
        for name, acc in h.harder.items():
            assert acc < h.last_operand_zero + 0.06, (name, h)
        assert h.stopped_short["cold start + GRPO"] > 0.5, h
    # The chapter prints two answers of the first seed's GRPO policy and says both stop after three steps.
    examples = reasoning_runs.harder_problems(2)
    for text in reasoning_runs.greedy_answers(scarce[64][0].policies["GRPO"], examples):
        parsed = rewards.parse(text)
        assert parsed is not None and parsed.think.count("=") == reasoning_runs.N_OPS, text
