"""tinyseek.moe: the sorted dispatch equals a naive per-token loop (outputs and gradients),
parameter counts by hand and for V3, balancing moves load toward uniform, bad input is refused."""

import math

import pytest
import torch
import torch.nn.functional as F
from tinyseek import data, moe

# ---- a naive reference, written independently of the module: token by token ---------------------

def naive_moe(layer: moe.MoELayer, x: torch.Tensor) -> torch.Tensor:
    """For each token: score every expert, take the top k of score + bias, weight each chosen
    expert's SwiGLU by its gate; add the shared experts. A Python loop over tokens, on purpose."""
    outs = []
    for t in range(x.shape[0]):
        xt = x[t]
        logits = layer.router @ xt
        s = logits.softmax(-1) if layer.gate == "softmax" else logits.sigmoid()
        rank = s.detach() + (layer.expert_bias if layer.balance == "bias" else 0)
        chosen = rank.topk(layer.top_k).indices
        g = s[chosen]
        if layer.gate == "sigmoid":
            g = g / g.sum()
        g = g * layer.route_scale
        y = torch.zeros_like(xt)
        for gate, e in zip(g, chosen.tolist(), strict=True):
            h = F.silu(xt @ layer.w_gate[e]) * (xt @ layer.w_up[e])
            y = y + gate * (h @ layer.w_down[e])
        if layer.shared is not None:
            sh = layer.shared
            y = y + (F.silu(xt @ sh.w_gate) * (xt @ sh.w_up)) @ sh.w_down
        outs.append(y)
    return torch.stack(outs)


def grads(layer, x, fn):
    layer.zero_grad()
    x = x.clone().requires_grad_(True)
    out = fn(x)
    (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum().backward()
    named = {n: p.grad.clone() for n, p in layer.named_parameters()}
    return out.detach(), x.grad.clone(), named


@pytest.mark.parametrize("gate, n_shared, balance, scale", [
    ("softmax", 0, None, 1.0), ("softmax", 2, "aux_loss", 1.0), ("sigmoid", 1, "bias", 2.5),
])
def test_sorted_dispatch_equals_the_naive_loop_outputs_and_gradients(gate, n_shared, balance, scale):
    torch.manual_seed(0)
    layer = moe.MoELayer(16, 8, n_routed=6, n_shared=n_shared, top_k=3, gate=gate,
                         balance=balance, route_scale=scale).double()
    if balance == "bias":
        layer.expert_bias.copy_(torch.linspace(-0.3, 0.3, 6, dtype=torch.float64))
    x = torch.randn(40, 16, dtype=torch.float64)
    fast = grads(layer, x, lambda v: layer(v)[0])
    slow = grads(layer, x, lambda v: naive_moe(layer, v))
    torch.testing.assert_close(fast[0], slow[0])
    torch.testing.assert_close(fast[1], slow[1])
    assert fast[2].keys() == slow[2].keys()
    for name in fast[2]:
        torch.testing.assert_close(fast[2][name], slow[2][name], msg=name)
    assert fast[2]["router"].abs().sum() > 0          # the gates carry gradient to the router


def test_forward_keeps_leading_shape_and_reports_routing():
    torch.manual_seed(1)
    layer = moe.MoELayer(8, 4, n_routed=5, n_shared=1, top_k=2)
    y, stats = layer(torch.randn(3, 7, 8))
    assert y.shape == (3, 7, 8)
    assert stats.routing.experts.shape == (21, 2) and stats.load.sum() == 42
    assert stats.load.tolist() == torch.bincount(stats.routing.experts.reshape(-1), minlength=5).tolist()
    assert 1.0 <= stats.max_over_mean <= 5.0


def test_sigmoid_gates_sum_to_route_scale_and_bias_changes_choice_not_gates():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]])
    r = moe.route(logits, 2, "sigmoid", route_scale=2.5)
    assert r.experts.tolist() == [[0, 1]]
    assert float(r.weights.sum()) == pytest.approx(2.5)
    biased = moe.route(logits, 2, "sigmoid", bias=torch.tensor([0.0, 0.0, 0.0, 5.0]))
    assert biased.experts.tolist() == [[3, 0]]
    s = logits.sigmoid()[0].tolist()
    assert biased.weights[0].tolist() == pytest.approx([s[3] / (s[3] + s[0]), s[0] / (s[3] + s[0])])


def test_balance_loss_is_one_when_uniform_and_larger_when_collapsed():
    # 4 tokens, 4 experts, top-1: each expert chosen once with uniform affinities -> f = P = 1
    uniform = moe.Routing(torch.arange(4).reshape(4, 1), torch.ones(4, 1), torch.full((4, 4), 0.25))
    assert float(moe.balance_loss(uniform)) == pytest.approx(1.0)
    scores = torch.tensor([[0.7, 0.1, 0.1, 0.1]]).repeat(4, 1)
    collapsed = moe.Routing(torch.zeros(4, 1, dtype=torch.long), torch.ones(4, 1), scores)
    # f = (4, 0, 0, 0), P = (0.7, 0.1, 0.1, 0.1) -> 2.8
    assert float(moe.balance_loss(collapsed)) == pytest.approx(2.8)


# ---- parameter counts --------------------------------------------------------------------------

TINY = dict(vocab_size=10, dim=4, inter_dim=8, moe_inter_dim=2, n_layers=2, n_dense_layers=1,
            n_heads=1, n_routed_experts=4, n_shared_experts=1, n_activated_experts=2,
            q_lora_rank=0, kv_lora_rank=2, qk_nope_head_dim=2, qk_rope_head_dim=1, v_head_dim=2)


def test_parameter_count_by_hand_on_a_tiny_config():
    p = moe.parameter_count(moe.ModelConfig(**TINY))
    # MLA per layer: q 4*1*3 = 12; kv down 4*(2+1) = 12, latent norm 2, kv up 2*1*(2+2) = 8;
    # out 1*2*4 = 8 -> 42; two layers -> 84
    assert p.attention == 84
    assert p.embedding == p.head == 40
    assert p.dense_ffn == 3 * 4 * 8                      # one dense SwiGLU, 96
    assert p.shared_experts == 3 * 4 * 2                 # one MoE layer, one shared expert, 24
    assert p.routed_experts == 4 * 24 and p.routed_experts_activated == 2 * 24
    assert p.routers == 4 * 4 + 4                        # router matrix and balancing bias
    assert p.norms == 2 * 2 * 4 + 4
    assert p.total == 40 + 84 + 96 + 24 + 96 + 20 + 20 + 40
    assert p.activated == p.total - 40 - 96 + 48
    assert p.activated_with_embedding == p.activated + 40
    assert sum(t for t, _ in p.breakdown().values()) == p.total
    assert sum(a for _, a in p.breakdown().values()) == p.activated


def test_query_compression_changes_only_attention():
    plain = moe.parameter_count(moe.ModelConfig(**TINY))
    lora = moe.parameter_count(moe.ModelConfig(**{**TINY, "q_lora_rank": 2}))
    # q: 4*2 down + 2 norm + 2*1*3 up = 16 instead of 12, per layer
    assert lora.attention - plain.attention == 2 * (16 - 12)
    assert lora.total - plain.total == 8


def test_v3_lands_on_the_reported_671b_total_and_37b_activated():
    p = moe.parameter_count(moe.v3_config())
    assert round(p.total / 1e9) == round(data.value("v3_total_params") / 1e9) == 671
    assert round(p.activated / 1e9) == round(data.value("v3_active_params") / 1e9) == 37
    # the embedding table is what separates the two conventions (38B with it)
    assert round(p.activated_with_embedding / 1e9) == 38
    assert p.routed_experts / p.total > 0.9              # most of the model is routed experts


# ---- balancing ---------------------------------------------------------------------------------

def skewed_layer(balance, **kw):
    torch.manual_seed(3)
    layer = moe.MoELayer(16, 4, n_routed=8, n_shared=0, top_k=2, gate="sigmoid", balance=balance, **kw)
    with torch.no_grad():                  # a router that favours experts 0 and 1 for every token
        layer.router[:2] += 0.1
    return layer


def test_bias_rule_evens_the_load_of_a_skewed_router():
    layer = skewed_layer("bias", bias_speed=0.01)
    x = torch.randn(256, 16) + 1.0
    before = layer(x)[1].max_over_mean
    for _ in range(200):
        layer(x)
        layer.update_bias()
    after = layer(x)[1].max_over_mean
    assert before > 2.5 and after < 1.3
    assert layer.expert_bias[:2].max() < 0 < layer.expert_bias[2:].max()


def test_aux_loss_gradient_evens_the_load_and_no_balancing_does_not():
    def train(balance):
        layer = skewed_layer(balance, aux_alpha=1.0)
        opt = torch.optim.SGD([layer.router], lr=0.5)
        x = torch.randn(256, 16) + 1.0
        for _ in range(100):
            y, stats = layer(x)
            opt.zero_grad()
            (stats.aux_loss + 0 * y.sum()).backward()
            opt.step()
        return layer(x)[1].max_over_mean
    assert train("aux_loss") < 0.7 * train(None)


def test_update_bias_does_nothing_without_bias_balancing_and_uses_given_load():
    layer = skewed_layer(None)
    layer(torch.randn(32, 16))
    layer.update_bias()
    assert layer.expert_bias.abs().sum() == 0
    biased = skewed_layer("bias", bias_speed=0.1)
    biased.update_bias(torch.tensor([4.0, 0, 0, 0, 0, 0, 0, 4.0]))
    assert biased.expert_bias.tolist() == pytest.approx([-0.1] + [0.1] * 6 + [-0.1])


def test_simulated_bias_rule_beats_no_bias():
    off = moe.simulate_bias_balancing(32, 4, gamma=0.0, steps=150, tokens=512, seed=2)
    on = moe.simulate_bias_balancing(32, 4, gamma=0.01, steps=150, tokens=512, seed=2)
    assert off.max_over_mean[-20:].mean() > 1.8
    assert on.max_over_mean[-20:].mean() < 0.7 * off.max_over_mean[-20:].mean()
    assert on.max_over_mean[-1] < on.max_over_mean[0]


def test_all_to_all_bytes_by_hand():
    # 10 tokens of width 4 in BF16, top-2 over 2 ranks: each copy remote with probability 1/2
    assert moe.all_to_all_bytes(10, 4, 2, 2) == 10 * 2 * 0.5 * 4 * 2
    # dedup, 4 experts on 2 ranks: P(both chosen experts local) = C(2,2)/C(4,2) = 1/6
    assert moe.all_to_all_bytes(10, 4, 2, 2, n_experts=4, dedup=True) == pytest.approx(10 * 5 / 6 * 8)
    assert moe.all_to_all_bytes(10, 4, 2, 1) == 0
    assert moe.all_to_all_bytes(10, 4, 2, 2, dedup=True) == pytest.approx(10 * 0.75 * 8)


# ---- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kw, text", [
    (dict(top_k=9), "top_k"),
    (dict(n_routed=0, top_k=1), "n_routed"),
    (dict(d_model=0), "d_model"),
    (dict(d_model=-3), "d_model"),
    (dict(d_expert=0), "d_expert"),
    (dict(n_shared=-1), "n_shared"),
    (dict(gate="relu"), "gate"),
    (dict(balance="magic"), "balance"),
    (dict(bias_speed=-1.0), "bias_speed"),
])
def test_bad_layer_configurations_raise_value_error(kw, text):
    args = dict(d_model=8, d_expert=4, n_routed=8, n_shared=1, top_k=2) | kw
    with pytest.raises(ValueError, match=text):
        moe.MoELayer(**args)


def test_bad_calls_raise_with_the_parameter_named():
    layer = moe.MoELayer(8, 4, 4, 0, 2)
    with pytest.raises(ValueError, match="d_model=8"):
        layer(torch.randn(3, 5))
    with pytest.raises(ValueError, match="top_k"):
        moe.route(torch.randn(3, 4), 5)
    with pytest.raises(ValueError, match="logits"):
        moe.route(torch.randn(4), 1)
    with pytest.raises(ValueError, match="bias"):
        moe.route(torch.randn(3, 4), 2, bias=torch.zeros(3))
    with pytest.raises(ValueError, match="allowed"):
        moe.route(torch.randn(3, 4), 2, allowed=torch.tensor([True, False, False, False]))
    with pytest.raises(TypeError, match="config"):
        moe.parameter_count({"dim": 4})
    with pytest.raises(ValueError, match="n_dense_layers"):
        moe.ModelConfig(**{**TINY, "n_dense_layers": 3})
    with pytest.raises(ValueError, match="n_activated_experts"):
        moe.ModelConfig(**{**TINY, "n_activated_experts": 5})
    with pytest.raises(ValueError, match="n_experts must be a multiple"):
        moe.all_to_all_bytes(10, 4, 2, 3, n_experts=8, dedup=True)
    with pytest.raises(ValueError, match="gamma"):
        moe.simulate_bias_balancing(gamma=-0.1)


def test_v3_config_reads_the_published_numbers():
    c = moe.v3_config()
    assert (c.dim, c.n_routed_experts, c.n_activated_experts, c.moe_inter_dim) == (7168, 256, 8, 2048)
    assert math.isclose(data.value("v3_moe.route_scale"), 2.5)


# ---- the batched dispatch equals the readable per-token reference in the module -----------------

@pytest.mark.parametrize("n_routed, top_k, tokens", [(6, 3, 40), (32, 2, 200), (8, 8, 5), (4, 1, 1)])
def test_batched_dispatch_equals_the_per_token_loop(n_routed, top_k, tokens):
    torch.manual_seed(n_routed + tokens)
    layer = moe.MoELayer(12, 5, n_routed=n_routed, n_shared=0, top_k=top_k, gate="sigmoid").double()
    x = torch.randn(tokens, 12, dtype=torch.float64)

    def run(fn):
        def go(v):
            r = layer.route(v)
            return fn(v, r, layer.w_gate, layer.w_up, layer.w_down)
        return go

    fast = grads(layer, x, run(moe.expert_ffn))
    slow = grads(layer, x, run(moe.expert_ffn_loop))
    torch.testing.assert_close(fast[0], slow[0])
    torch.testing.assert_close(fast[1], slow[1])
    for name in fast[2]:
        torch.testing.assert_close(fast[2][name], slow[2][name], msg=name)


def test_expert_slots_pack_each_expert_block_densely():
    experts = torch.tensor([[2, 0], [2, 1], [0, 2]])
    row, capacity = moe.expert_slots(experts, 4)
    assert capacity == 3                                   # expert 2 has three pairs
    assert row.tolist() == [2 * 3 + 0, 0 * 3 + 0, 2 * 3 + 1, 1 * 3 + 0, 0 * 3 + 1, 2 * 3 + 2]


# ---- group-limited (node-limited) routing on bias-corrected scores, V3's whole gate -------------

def v3_released_gate(x, weight, bias, n_groups, topk_groups, topk, route_scale):
    """Transcribed from the logic of DeepSeek-V3's released inference code (Gate.forward, sigmoid
    scores, with a bias): groups are scored on the biased scores by the sum of their top 2."""
    scores = (x @ weight.t()).sigmoid()
    original = scores
    scores = scores + bias
    scores = scores.view(x.shape[0], n_groups, -1)
    group_scores = scores.topk(2, dim=-1)[0].sum(dim=-1)
    idx = group_scores.topk(topk_groups, dim=-1)[1]
    mask = scores.new_ones(x.shape[0], n_groups, dtype=torch.bool).scatter_(1, idx, False)
    scores = scores.masked_fill(mask.unsqueeze(-1), float("-inf")).flatten(1)
    indices = scores.topk(topk, dim=-1)[1]
    weights = original.gather(1, indices)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return indices, weights * route_scale


def test_layer_runs_v3_whole_routing_like_the_released_gate():
    torch.manual_seed(3)
    layer = moe.MoELayer(16, 4, n_routed=256, n_shared=1, top_k=8, gate="sigmoid", balance="bias",
                         route_scale=2.5, n_groups=8, max_groups=4).double()
    layer.expert_bias.copy_(torch.randn(256, dtype=torch.float64) * 0.3)
    for trial in range(20):
        x = torch.randn(64, 16, dtype=torch.float64)
        r = layer.route(x)
        ref_experts, ref_weights = v3_released_gate(x, layer.router, layer.expert_bias, 8, 4, 8, 2.5)
        assert torch.equal(r.experts.sort(1).values, ref_experts.sort(1).values), trial
        order_r, order_ref = r.experts.argsort(1), ref_experts.argsort(1)
        torch.testing.assert_close(r.weights.gather(1, order_r), ref_weights.gather(1, order_ref))
        node = r.experts // 32
        assert all(len(set(row)) <= 4 for row in node.tolist())


def test_groups_are_ranked_on_the_bias_corrected_scores():
    # 4 experts in 2 groups, top-1 from 1 group. Raw scores favour group 0; the bias favours expert 2.
    logits = torch.tensor([[2.0, 1.9, 1.0, 0.0]])
    bias = torch.tensor([0.0, 0.0, 0.5, 0.0])
    r = moe.route(logits, 1, "sigmoid", bias=bias, n_groups=2, max_groups=1)
    assert r.experts.tolist() == [[2]]                     # the biased group wins and its expert
    assert moe.route(logits, 1, "sigmoid", n_groups=2, max_groups=1).experts.tolist() == [[0]]
    mask = moe.group_limited_mask(logits.sigmoid() + bias, 2, 1, 1)
    assert mask.tolist() == [[False, False, True, True]]     # the whole of group 1


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_groups=3, max_groups=1), "n_groups"),
    (dict(n_groups=2, max_groups=3), "max_groups"),
    (dict(n_groups=4, max_groups=1), "top_k"),
])
def test_bad_groups_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        moe.route(torch.randn(3, 8), 4, "sigmoid", **kwargs)
    with pytest.raises(ValueError, match=message):
        moe.MoELayer(8, 4, n_routed=8, n_shared=0, top_k=4, **kwargs)


def test_no_tokens_give_an_empty_output():
    layer = moe.MoELayer(8, 4, n_routed=6, n_shared=1, top_k=2, gate="sigmoid", balance="bias")
    y, stats = layer(torch.zeros(0, 8))
    assert y.shape == (0, 8) and stats.load.sum() == 0
