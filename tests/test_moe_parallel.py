"""tinyseek.moe_parallel: two gloo processes, experts split between them, give the single-process
layer's output and gradients; the bytes they report match the all-to-all model."""

import pytest
import torch
from tinyseek import moe, moe_parallel


@pytest.fixture(scope="module")
def case():
    torch.manual_seed(0)
    layer = moe.MoELayer(12, 6, n_routed=8, n_shared=1, top_k=3, gate="sigmoid", balance="bias",
                         route_scale=2.5).double()
    layer.expert_bias.copy_(torch.linspace(-0.2, 0.2, 8, dtype=torch.float64))
    x = torch.randn(64, 12, dtype=torch.float64)
    weight = torch.randn(64, 12, dtype=torch.float64)
    return layer, x, weight, moe_parallel.run(layer, x, world_size=2, weight=weight)


def test_two_processes_give_the_single_process_output_and_gradients(case):
    layer, x, weight, par = case
    xs = x.clone().requires_grad_(True)
    y, stats = layer(xs)
    (y * weight).sum().backward()
    torch.testing.assert_close(par.output, y.detach())
    torch.testing.assert_close(par.input_grad, xs.grad)
    torch.testing.assert_close(par.load, stats.load)
    singles = dict(layer.named_parameters())
    assert set(par.grads) == set(singles)
    for name, grad in par.grads.items():
        torch.testing.assert_close(grad, singles[name].grad, msg=name)


def test_bytes_sent_are_the_remote_copies(case):
    layer, x, _, par = case
    experts = layer.route(x).experts
    row = 12 * 8                                            # d_model float64 values
    remote = []
    for rank in range(2):
        mine = experts.chunk(2)[rank]
        remote.append(int(((mine // 4) != rank).sum()))    # experts 0-3 on rank 0, 4-7 on rank 1
        assert 0 < remote[rank] < mine.numel()
    for rank, sent in enumerate(par.bytes_sent):
        assert sent["dispatch"] == remote[rank] * row       # its tokens' copies to the other rank
        assert sent["combine"] == remote[1 - rank] * row    # the other rank's results sent back


def test_bad_input_is_refused_before_spawning():
    layer = moe.MoELayer(4, 2, n_routed=6, n_shared=0, top_k=2)
    with pytest.raises(ValueError, match="world_size"):
        moe_parallel.run(layer, torch.randn(8, 4), world_size=4)
    with pytest.raises(ValueError, match="split evenly"):
        moe_parallel.run(layer, torch.randn(7, 4), world_size=2)
    with pytest.raises(ValueError, match="shape"):
        moe_parallel.run(layer, torch.randn(8, 5), world_size=2)
    with pytest.raises(TypeError, match="layer"):
        moe_parallel.run("layer", torch.randn(8, 4))
    with pytest.raises(ValueError, match="rank"):
        moe_parallel.ExpertParallelMoE(layer, rank=2, world_size=2)
