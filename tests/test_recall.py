"""tinyseek.recall: the facts, the three models' sizes, recall = greedy decoding, and (slow) the
capacity effect: the MoE recalls more facts than its dense twin on every seed."""

import numpy as np
import pytest
import torch
from tinyseek import moe, moe_lm
from tinyseek import recall as rc


def test_facts_are_distinct_keys_from_the_alphabet_and_deterministic():
    facts = rc.make_facts(500, seed=3)
    assert len({k for k, _ in facts}) == 500
    assert all(len(k) == 4 and len(v) == 4 and set(k + v) <= set(rc.ALPHABET) for k, v in facts)
    assert facts == rc.make_facts(500, seed=3) and facts != rc.make_facts(500, seed=4)
    ids = rc.encode_facts(facts[:3])
    assert ids.shape == (3, 9) and moe_lm.VOCAB[int(ids[0, 4])] == "="


def test_dense_twin_uses_at_least_the_moe_activated_parameters_router_included():
    c = rc.RecallConfig()
    counts = {k: rc.RecallLM(c, k).parameter_counts() for k in rc.KINDS}
    flops = {k: rc.flops_per_token(rc.RecallLM(c, k)) for k in rc.KINDS}
    assert counts["dense_active"]["activated"] >= counts["moe"]["activated"]
    assert counts["dense_active"]["activated"] - counts["moe"]["activated"] < 3 * c.d_model * c.n_layers
    assert counts["dense_total"]["total"] >= counts["moe"]["total"]
    assert counts["moe"]["total"] > 4 * counts["dense_active"]["total"]
    assert flops["dense_active"] >= flops["moe"] and flops["dense_total"] > 4 * flops["moe"]
    # activated by hand: router + (top_k + shared) experts + attention + norms + head + positions
    per_expert = 3 * c.d_model * c.d_expert
    by_hand = c.n_layers * (c.n_routed * c.d_model + (c.top_k + c.n_shared) * per_expert
                            + 4 * c.d_model ** 2 + 2 * c.d_model) + c.d_model + len(moe_lm.VOCAB) * c.d_model \
        + c.seq_len * c.d_model
    assert counts["moe"]["activated"] == by_hand


def test_recall_is_greedy_decoding():
    torch.manual_seed(0)
    facts = rc.make_facts(64, seed=1)
    ids = rc.encode_facts(facts)
    run = rc.train("dense_total", ids, steps=150, batch_size=32, lr=2e-2, seed=0)
    decoded = [rc.greedy_value(run.model, k) == v for k, v in facts]
    assert rc.recall(run.model, ids) == pytest.approx(sum(decoded) / len(facts))
    assert 0 < sum(decoded) < len(facts) or sum(decoded) == len(facts)


@pytest.mark.parametrize("call, message", [
    (lambda: rc.make_facts(0), "n_facts"),
    (lambda: rc.make_facts(10, key_len=0), "key_len"),
    (lambda: rc.RecallConfig(top_k=40), "top_k"),
    (lambda: rc.RecallLM(kind="sparse"), "kind"),
    (lambda: rc.train("moe", torch.zeros(4, 5, dtype=torch.long)), "facts"),
    (lambda: rc.greedy_value(rc.RecallLM(), "abc"), "key"),
])
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.slow
def test_moe_recalls_more_than_its_dense_twin_on_every_seed():
    """The chapter's claim: ahead on every seed by a margin, and the mean effect more than three
    times the largest seed-to-seed spread (max - min) of either model."""
    torch.set_num_threads(1)
    ids = rc.encode_facts(rc.make_facts(2000, seed=0))
    recalls = {"moe": [], "dense_active": []}
    for seed in range(3):
        m = rc.train("moe", ids, seed=seed)
        d = rc.train("dense_active", ids, seed=seed)
        assert m.recall > d.recall + 0.15, (seed, m.recall, d.recall)
        assert m.params_activated <= d.params_activated and m.flops_per_token <= d.flops_per_token
        recalls["moe"].append(m.recall)
        recalls["dense_active"].append(d.recall)
    effect = np.mean(recalls["moe"]) - np.mean(recalls["dense_active"])
    spread = max(np.ptp(r) for r in recalls.values())
    assert effect > 3 * spread, (recalls, effect, spread)
    assert any(isinstance(x, moe.MoELayer) for x in m.model.modules())


def test_the_three_models_are_the_one_stack_of_moe_lm():
    """RecallLM, TinyLM and MTPLM are all moe_lm.Stack: one embedding, block and forward pass."""
    from tinyseek import mtp

    for model in (rc.RecallLM(), moe_lm.TinyLM(), mtp.MTPLM()):
        assert isinstance(model, moe_lm.Stack)
        assert all(type(b) is moe_lm.Block for b in model.blocks)
    assert rc.RecallLM.forward is moe_lm.TinyLM.forward is moe_lm.Stack.forward
