"""GRPO's advantages and loss against hand-computed cases, and a short run that really learns."""

import copy
import math

import pytest
import torch
from tinyseek import grpo, reasoning_runs
from tinyseek.char_policy import heldout_accuracy


def test_advantages_by_hand():
    # Rewards 2, 0, 0, 0: mean 0.5, sample std sqrt((1.5² + 3·0.5²)/3) = 1.
    adv = grpo.group_advantages([[2.0, 0.0, 0.0, 0.0]], delta=1e-12)
    assert adv[0].tolist() == pytest.approx([1.5, -0.5, -0.5, -0.5])
    # Two groups are normalised separately, whatever their scale.
    adv = grpo.group_advantages([[1.0, 0.0], [5.0, 7.0]], delta=1e-12)
    # Each group of two: mean ± half the gap, sample std = gap / sqrt(2), so ±1/sqrt(2).
    r = 1 / math.sqrt(2)
    assert adv.flatten().tolist() == pytest.approx([r, -r, -r, r])


def test_equal_rewards_give_zero_advantage():
    assert grpo.group_advantages([[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]]).abs().max().item() == 0.0


@pytest.mark.parametrize("rewards, match", [([1.0, 2.0], "shape"), ([[1.0]], "G ≥ 2"),
                                            ([[1.0, float("nan")]], "finite")])
def test_advantages_reject_bad_input(rewards, match):
    with pytest.raises(ValueError, match=match):
        grpo.group_advantages(rewards)


def test_k3_is_non_negative_and_zero_only_where_policies_agree():
    new = torch.linspace(-5, 0, 50)[:, None].expand(50, 50)
    ref = torch.linspace(-5, 0, 50)[None, :].expand(50, 50)
    kl = grpo.k3_kl(new, ref)
    assert (kl >= 0).all()
    assert torch.diagonal(kl).abs().max().item() < 1e-6
    assert (kl + torch.eye(50) > 0).all()
    # By hand: d = log 0.5 - log 1 = -ln 2 -> 0.5 + ln 2 - 1.
    assert grpo.k3_kl(torch.tensor(0.0), torch.tensor(math.log(0.5))).item() == pytest.approx(
        0.5 + math.log(2) - 1)


def test_loss_without_clipping_or_kl_is_minus_mean_advantage_times_ratio():
    old = torch.zeros(2, 3)
    new = torch.full((2, 3), math.log(1.1))  # ratio 1.1, inside [0.8, 1.2]
    loss, stats = grpo.grpo_loss(new, old, new, torch.tensor([1.0, -1.0]), torch.ones(2, 3), beta=0.0)
    assert loss.item() == pytest.approx(-(1.1 - 1.1) / 2)
    loss, _ = grpo.grpo_loss(new, old, new, torch.tensor([1.0, 0.5]), torch.ones(2, 3), beta=0.0)
    assert loss.item() == pytest.approx(-(1.1 + 0.55) / 2)
    assert stats.clip_fraction == 0.0 and stats.ratio_mean == pytest.approx(1.1)


def test_clipping_caps_the_gain_and_removes_the_gradient():
    old = torch.zeros(1, 2)
    new = torch.full((1, 2), math.log(1.5), requires_grad=True)  # ratio 1.5 > 1.2
    loss, stats = grpo.grpo_loss(new, old, new.detach(), torch.tensor([2.0]), torch.ones(1, 2))
    assert loss.item() == pytest.approx(-1.2 * 2.0)
    assert stats.clip_fraction == 1.0
    loss.backward()
    assert new.grad.abs().max().item() == 0.0
    # A negative advantage with a ratio above 1 + eps is not clipped: the pessimistic bound wins.
    new2 = torch.full((1, 2), math.log(1.5), requires_grad=True)
    loss, stats = grpo.grpo_loss(new2, old, new2.detach(), torch.tensor([-2.0]), torch.ones(1, 2))
    assert loss.item() == pytest.approx(1.5 * 2.0) and stats.clip_fraction == 0.0
    loss.backward()
    assert new2.grad.abs().min().item() > 0


def test_masked_tokens_are_ignored_and_each_completion_is_averaged_over_its_own_tokens():
    old = torch.zeros(2, 3)
    new = torch.tensor([[math.log(1.1), 99.0, -99.0], [math.log(0.9)] * 3])
    mask = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    loss, _ = grpo.grpo_loss(new, old, new, torch.tensor([1.0, 1.0]), mask, beta=0.0)
    assert loss.item() == pytest.approx(-(1.1 + 0.9) / 2)


def test_kl_term_by_hand():
    new, ref = torch.zeros(1, 2), torch.full((1, 2), math.log(0.5))
    loss, stats = grpo.grpo_loss(new, new, ref, torch.tensor([0.0]), torch.ones(1, 2), beta=0.5)
    k3 = 0.5 + math.log(2) - 1
    assert stats.kl == pytest.approx(k3) and loss.item() == pytest.approx(0.5 * k3)


def test_gradient_flows_only_through_logp_new():
    new = torch.zeros(2, 2, requires_grad=True)
    old = torch.full((2, 2), -0.1, requires_grad=True)
    ref = torch.full((2, 2), -0.2, requires_grad=True)
    adv = torch.tensor([1.0, -1.0], requires_grad=True)
    loss, _ = grpo.grpo_loss(new, old, ref, adv, torch.ones(2, 2))
    loss.backward()
    assert new.grad is not None and new.grad.abs().sum() > 0
    assert old.grad is None and ref.grad is None and adv.grad is None


@pytest.mark.parametrize("kwargs, match", [
    (dict(mask=torch.ones(2, 2)), "mask must have the shape"),
    (dict(advantages=torch.ones(3)), "advantages must have shape"),
    (dict(beta=-0.1), "beta must be ≥ 0"),
    (dict(clip_eps=0.0), "clip_eps must be > 0"),
    (dict(mask=torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])), "at least one token"),
    (dict(mask=torch.full((2, 3), 0.5)), "only 0 and 1"),
])
def test_loss_rejects_bad_arguments(kwargs, match):
    args = dict(logp_new=torch.zeros(2, 3), logp_old=torch.zeros(2, 3), logp_ref=torch.zeros(2, 3),
                advantages=torch.ones(2), mask=torch.ones(2, 3))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        grpo.grpo_loss(**args)


def test_train_grpo_rejects_a_group_of_one():
    train, heldout = reasoning_runs.problems()
    with pytest.raises(ValueError, match="group_size must be ≥ 2"):
        grpo.train_grpo(reasoning_runs.weak_base(steps=0), train, heldout, group_size=1)


@pytest.fixture(scope="module")
def base():
    torch.set_num_threads(1)
    return reasoning_runs.weak_base()


def test_short_grpo_run_raises_heldout_accuracy_by_tens_of_points(base):
    train, heldout = reasoning_runs.problems()
    policy = copy.deepcopy(base)
    start = heldout_accuracy(policy, heldout)
    history = grpo.train_grpo(policy, train, heldout, **{**reasoning_runs.RL, "steps": 20})
    assert history.accuracy[0] == start
    # Measured about +35 points; 20 points leaves room for another machine's arithmetic.
    assert max(history.accuracy[-2:]) >= start + 0.20
    assert history.length[-1] > history.length[0] + 4  # it learned to show its working
    assert len(history.step) == 20 and len(history.eval_step) == len(history.accuracy) == 5


def test_grpo_is_deterministic(base):
    train, heldout = reasoning_runs.problems()
    settings = {**reasoning_runs.RL, "steps": 3, "eval_every": 3}
    a = grpo.train_grpo(copy.deepcopy(base), train, heldout, **settings)
    b = grpo.train_grpo(copy.deepcopy(base), train, heldout, **settings)
    assert a.reward == b.reward and a.accuracy == b.accuracy and a.kl == b.kl


def test_policy_gradient_loss_by_hand():
    # Two answers: token-mean log-probs -1 and -2 (the second has a padded token).
    logp = torch.tensor([[-1.0, -1.0], [-2.0, 50.0]])
    mask = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    loss = grpo.policy_gradient_loss(logp, torch.tensor([2.0, -1.0]), mask)
    assert loss.item() == pytest.approx(-(2 * -1.0 + -1 * -2.0) / 2)


def test_one_unclipped_update_is_plain_policy_gradient():
    """With the ratio at 1 and no KL, GRPO's gradient is REINFORCE's with the same advantages."""
    torch.manual_seed(0)
    base = torch.randn(3, 4)
    mask = torch.tensor([[1.0, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    adv = torch.tensor([1.0, -0.5, 2.0])
    a = base.clone().requires_grad_(True)
    grpo.grpo_loss(a, base, base, adv, mask, clip_eps=0.2, beta=0.0)[0].backward()
    b = base.clone().requires_grad_(True)
    grpo.policy_gradient_loss(b, adv, mask).backward()
    assert torch.allclose(a.grad, b.grad, atol=1e-6)


def test_batch_baseline_and_no_clip():
    assert grpo.batch_advantages([[2.0, 0.0], [1.0, 1.0]]).tolist() == [[1.0, -1.0], [0.0, 0.0]]
    with pytest.raises(ValueError, match="at least 2"):
        grpo.batch_advantages([1.0])
    old = torch.zeros(1, 2)
    new = torch.full((1, 2), math.log(1.5))
    loss, stats = grpo.grpo_loss(new, old, new, torch.tensor([2.0]), torch.ones(1, 2), clip_eps=None)
    assert loss.item() == pytest.approx(-1.5 * 2.0) and stats.clip_fraction == 0.0


def test_train_grpo_rejects_an_unknown_advantage():
    train, heldout = reasoning_runs.problems()
    with pytest.raises(ValueError, match="advantage"):
        grpo.train_grpo(reasoning_runs.weak_base(steps=0), train, heldout, advantage="value")


def test_next_logits_is_the_last_row_of_forward():
    from tinyseek.char_policy import CharPolicy, prompt_batch, sample
    train, _ = reasoning_runs.problems()
    policy = CharPolicy(prompt_len=9, seed=3)
    prompts = prompt_batch(list(train[:20]))
    out, _ = sample(policy, prompts, generator=torch.Generator().manual_seed(0))
    full = policy(prompts, out)
    for t in range(out.shape[1]):
        assert torch.allclose(full[:, t], policy.next_logits(prompts, out, t), atol=1e-5)
