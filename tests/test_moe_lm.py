"""tinyseek.moe_lm: the corpus is what it says, the twins match in activated parameters, and a
short training shows the effects the chapter reports (balancing, specialisation)."""

import numpy as np
import pytest
import torch
from tinyseek import moe_lm as lm


def test_items_are_correct_for_each_domain():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, rest = lm.sample_item("arithmetic", rng).rstrip(";").split("+")
        b, c = rest.split("=")
        assert int(a) + int(b) == int(c)
        w1, w2 = lm.sample_item("copy", rng).rstrip(";").split(">")
        assert w1 == w2 and 3 <= len(w1) <= 6
        w1, w2 = lm.sample_item("reverse", rng).rstrip(";").split("<")
        assert w1 == w2[::-1]
        assert len(lm.sample_item("grammar", rng).split()) == 5


def test_batch_shapes_targets_and_domains():
    x, y, d = lm.batch(8, 16, np.random.default_rng(1))
    assert x.shape == y.shape == (8, 16)
    assert torch.equal(x[:, 1:], y[:, :-1])
    assert d.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert "".join(lm.VOCAB[i] for i in x[0]).count("+") >= 1


def test_dense_twin_has_the_activated_ffn_of_the_moe_and_fewer_total():
    c = lm.LMConfig()
    moe_model, dense = lm.TinyLM(c, "moe"), lm.TinyLM(c, "dense")
    m, d = moe_model.parameter_counts(), dense.parameter_counts()
    routers = c.n_layers * c.n_routed * c.d_model           # the only activated extra: the routers
    assert m["activated"] - d["activated"] == routers
    assert m["total"] > 2 * d["total"]
    logits, stats = moe_model(torch.zeros(2, 5, dtype=torch.long))
    assert logits.shape == (2, 5, len(lm.VOCAB)) and len(stats) == c.n_layers


@pytest.fixture(scope="module")
def runs():
    torch.set_num_threads(1)
    return {b: lm.train("moe", b, steps=150, seed=0) for b in (None, "aux_loss", "bias")}


def test_training_lowers_the_loss(runs):
    for r in runs.values():
        assert r.loss[-20:].mean() < r.loss[:5].mean() - 1.0
        assert set(r.eval_loss) == set(lm.DOMAINS)


def test_balancing_evens_the_load_and_none_does_not(runs):
    tail = {b: np.mean(r.max_over_mean[-50:]) for b, r in runs.items()}
    assert tail[None] > 1.6
    assert tail["aux_loss"] < 0.8 * tail[None]
    assert tail["bias"] < 0.8 * tail[None]


def test_experts_specialise_by_domain_after_training(runs):
    torch.manual_seed(0)
    untrained = lm.specialisation(lm.domain_routing(lm.TinyLM()))
    trained = lm.specialisation(lm.domain_routing(runs[None].model))
    assert trained > untrained + 0.2
    share = lm.domain_routing(runs[None].model, layer=0)
    assert share.shape == (4, 8) and np.allclose(share.sum(1), 1)


def test_specialisation_by_hand():
    assert lm.specialisation(np.full((4, 8), 1 / 8)) == pytest.approx(0.0)
    assert lm.specialisation(np.eye(4)) == pytest.approx(2.0)


def test_token_routing_reports_k_experts_per_character(runs):
    chars, experts, gates = lm.token_routing(runs["bias"].model, "12+3=15;")
    assert chars == list("12+3=15;") and experts.shape == gates.shape == (8, 2)
    assert np.allclose(gates.sum(1), 1.0, atol=1e-5)            # sigmoid gates, normalised


def test_bad_input():
    with pytest.raises(ValueError, match="domain"):
        lm.sample_item("poetry", np.random.default_rng(0))
    with pytest.raises(ValueError, match="characters"):
        lm.encode("Hello!")
    with pytest.raises(ValueError, match="top_k"):
        lm.LMConfig(top_k=9)
    with pytest.raises(ValueError, match="n_heads"):
        lm.LMConfig(n_heads=5)
    with pytest.raises(ValueError, match="balance"):
        lm.TinyLM(kind="dense", balance="bias")
    with pytest.raises(ValueError, match="kind"):
        lm.TinyLM(kind="sparse")
    with pytest.raises(ValueError, match="kind='moe'"):
        lm.domain_routing(lm.TinyLM(kind="dense"))
    with pytest.raises(ValueError, match="at least one"):
        lm.token_routing(lm.TinyLM(), "")
    with pytest.raises(ValueError, match="steps"):
        lm.train(steps=0)
    with pytest.raises(ValueError, match="share"):
        lm.specialisation(np.ones((2, 3)))


def test_block_computes_what_the_primers_block_computes():
    """moe_lm.Block is the primer's transformer.Block with PyTorch's fused attention: the same
    output for the same weights, within float rounding, and the MoE statistics beside it."""
    from tinyseek import moe, transformer

    torch.manual_seed(0)
    ffn = moe.MoELayer(16, 8, 4, 1, 2, "sigmoid")
    ours, primer = lm.Block(16, 4, ffn), transformer.Block(16, 4, ffn)
    primer.attn.qkv.weight.data.copy_(ours.qkv.weight)
    primer.attn.out.weight.data.copy_(ours.proj.weight)
    x = torch.randn(3, 7, 16)
    y, stats = ours(x)
    assert torch.allclose(y, primer(x), atol=1e-5)
    assert isinstance(stats, moe.MoEStats) and stats.routing.experts.shape == (3 * 7, 2)


@pytest.mark.parametrize("call, message", [
    (lambda: lm.Block(16, 5, torch.nn.Identity()), "n_heads"),
    (lambda: lm.Block(0, 1, torch.nn.Identity()), "d_model"),
    (lambda: lm.Stack(16, 4, 0, 8, torch.nn.Identity), "n_layers"),
    (lambda: lm.Stack(16, 4, 1, 0, torch.nn.Identity), "seq_len"),
    (lambda: lm.TinyLM()(torch.zeros(1, lm.LMConfig().seq_len + 1, dtype=torch.long)), "ids"),
])
def test_the_stack_refuses_bad_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()
