"""tinyseek.node_routing: the node limit holds, its traffic saving, and its price."""

import pytest
import torch
from tinyseek import moe
from tinyseek import node_routing as nr


def test_v3_layout_from_the_data():
    assert nr.v3_layout() == {"n_experts": 256, "n_nodes": 8, "top_k": 8, "max_nodes": 4}


def test_node_mask_by_hand():
    # 2 tokens, 8 experts on 4 nodes (2 per node), top_k 2 over at most 1 node
    scores = torch.tensor([[0.9, 0.1, 0.8, 0.7, 0.0, 0.0, 0.2, 0.3],
                           [0.0, 0.0, 0.0, 0.0, 0.6, 0.6, 0.95, 0.1]])
    mask = nr.node_limited_mask(scores, n_nodes=4, max_nodes=1, top_k=2)
    # node score = sum of the top 2 (= top_k / max_nodes) in each node: token 0 -> node 1 (1.5)
    assert mask[0].tolist() == [False, False, True, True, False, False, False, False]
    assert mask[1].tolist() == [False, False, False, False, True, True, False, False]


def test_limit_caps_the_nodes_and_free_routing_matches_the_formula():
    lay = nr.v3_layout()
    logits = nr.random_logits(4096, lay["n_experts"], seed=1)
    free = nr.traffic(nr.route(logits, lay["n_nodes"], lay["top_k"], None), lay["n_nodes"])
    limited = nr.traffic(nr.route(logits, lay["n_nodes"], lay["top_k"], lay["max_nodes"]),
                         lay["n_nodes"])
    assert limited.max_nodes_seen == 4 < free.max_nodes_seen
    assert free.nodes == pytest.approx(nr.expected_nodes(256, 8, 8), abs=0.05)
    assert limited.ib_per_node < 0.8 * free.ib_per_node < free.ib_per_expert
    # every token picks 8 experts; without de-duplication ~7/8 of them are remote
    assert free.ib_per_expert == pytest.approx(7.0, abs=0.1)


def test_traffic_by_hand():
    # experts 0..7 on 4 nodes; token 0 (home node 0) picks experts 0, 1, 2, 6 -> nodes 0, 0, 1, 3
    routing = moe.Routing(experts=torch.tensor([[0, 1, 2, 6]]), weights=torch.ones(1, 4),
                          scores=torch.ones(1, 8))
    t = nr.traffic(routing, 4, home_node=torch.tensor([0]))
    assert (t.nodes, t.ib_per_expert, t.ib_per_node, t.nvlink, t.max_nodes_seen) == (3, 2, 2, 4, 3)


def test_expected_nodes_by_hand():
    # 4 experts on 2 nodes, pick 2: P(both on one node) = 2 / C(4, 2) = 1/3 -> 2 - 1/3
    assert nr.expected_nodes(4, 2, 2) == pytest.approx(5 / 3)


def test_the_reports_3_2_experts_per_node_is_nvlink_over_ib():
    assert nr.experts_per_node_at_ib_cost() == pytest.approx(3.2)


def test_dispatch_priced_with_the_reports_link_figures():
    t = nr.dispatch_seconds(1000, ib_copies=4, nvlink_copies=8, hidden=7168, bytes_per_value=1)
    assert t["ib"] == pytest.approx(1000 * 4 * 7168 / 50e9)
    assert t["nvlink"] == pytest.approx(1000 * 8 * 7168 / 160e9)
    assert t["dispatch"] == max(t["ib"], t["nvlink"])
    assert nr.dispatch_seconds(10, 1, 1)["ib"] == pytest.approx(10 * 7168 / 50e9)   # V3's width


def test_limit_costs_little_affinity_on_a_random_router():
    logits = nr.random_logits(2048, 256, seed=2)
    kept, mass = nr.choice_overlap(nr.route(logits, 8, 8, None), nr.route(logits, 8, 8, 4))
    assert 0.6 < kept < 1.0 and 0.95 < mass <= 1.0


@pytest.mark.parametrize("call, error, message", [
    (lambda: nr.route(torch.zeros(4, 10), 3, 2, 1), ValueError, "n_nodes must divide"),
    (lambda: nr.route(torch.zeros(4, 8), 4, 8, 1), ValueError, "top_k .8. must fit"),
    (lambda: nr.route(torch.zeros(4, 8), 4, 2, 5), ValueError, "max_nodes must be ≤ 4"),
    (lambda: nr.route(torch.zeros(8), 4, 2, 1), ValueError, "tokens, experts"),
    (lambda: nr.traffic("routing", 4), TypeError, "routing must be"),
    (lambda: nr.dispatch_seconds(-1, 1, 1), ValueError, "tokens_per_gpu must be ≥ 0"),
    (lambda: nr.dispatch_seconds(1, -1, 1), ValueError, "ib_copies must be ≥ 0"),
    (lambda: nr.random_logits(0, 8), ValueError, "tokens must be ≥ 1"),
])
def test_bad_inputs_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_nodes_are_chosen_on_the_bias_corrected_scores():
    # V3's released gate ranks the groups on affinity + bias; a bias that lifts node 2 moves the token
    scores = torch.tensor([[0.9, 0.8, 0.5, 0.5, 0.1, 0.1, 0.0, 0.0]])
    bias = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.8, 0.8, 0.0, 0.0])
    assert nr.node_limited_mask(scores, 4, 1, 2)[0].nonzero().flatten().tolist() == [0, 1]
    assert nr.node_limited_mask(scores, 4, 1, 2, bias=bias)[0].nonzero().flatten().tolist() == [4, 5]
    logits = torch.logit(scores.clamp(1e-3, 1 - 1e-3))
    r = nr.route(logits, 4, 2, max_nodes=1, bias=bias)
    assert sorted(r.experts[0].tolist()) == [4, 5]
    # the gates still come from the affinities alone, renormalised
    torch.testing.assert_close(r.weights.sum(1), torch.ones(1))
    with pytest.raises(ValueError, match="bias"):
        nr.node_limited_mask(scores, 4, 1, 2, bias=torch.zeros(3))


def test_route_with_bias_and_limit_equals_the_layer_routing():
    lay = nr.v3_layout()
    logits = nr.random_logits(512, lay["n_experts"], seed=2)
    bias = torch.randn(lay["n_experts"], generator=torch.Generator().manual_seed(0)) * 0.2
    a = nr.route(logits, lay["n_nodes"], lay["top_k"], lay["max_nodes"], bias=bias, route_scale=2.5)
    b = moe.route(logits, lay["top_k"], "sigmoid", bias=bias, route_scale=2.5, n_groups=lay["n_nodes"],
                  max_groups=lay["max_nodes"])
    assert torch.equal(a.experts, b.experts) and torch.equal(a.weights, b.weights)
    assert nr.traffic(a, lay["n_nodes"]).max_nodes_seen <= lay["max_nodes"]
