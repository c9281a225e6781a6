"""tinyseek against an independent implementation of DeepSeek-V3: the model code in Hugging Face
`transformers` (pinned in requirements.txt, used by these tests only, never by the book).

Every configuration is built here in code; no weights are downloaded. The full V3 shape is built
on PyTorch's meta device, which allocates no memory.
"""

import pytest
import torch
from tinyseek import mla, moe
from transformers import DeepseekV3Config
from transformers.models.deepseek_v3 import modeling_deepseek_v3 as hf


def hf_config(c: moe.ModelConfig, **overrides) -> DeepseekV3Config:
    """The `transformers` configuration of a tinyseek ModelConfig (MHA-shaped: as many KV heads as heads)."""
    settings = dict(
        vocab_size=c.vocab_size, hidden_size=c.dim, intermediate_size=c.inter_dim,
        moe_intermediate_size=c.moe_inter_dim, num_hidden_layers=c.n_layers,
        first_k_dense_replace=c.n_dense_layers, num_attention_heads=c.n_heads,
        num_key_value_heads=c.n_heads, n_routed_experts=c.n_routed_experts,
        n_shared_experts=c.n_shared_experts, num_experts_per_tok=c.n_activated_experts,
        q_lora_rank=c.q_lora_rank, kv_lora_rank=c.kv_lora_rank, qk_nope_head_dim=c.qk_nope_head_dim,
        qk_rope_head_dim=c.qk_rope_head_dim, v_head_dim=c.v_head_dim, tie_word_embeddings=False)
    settings.update(overrides)
    return DeepseekV3Config(**settings)


@pytest.fixture(scope="module")
def v3_on_meta():
    with torch.device("meta"):
        return hf.DeepseekV3ForCausalLM(hf_config(moe.v3_config()))


def test_v3_total_parameters_match_transformers_exactly(v3_on_meta):
    weights = sum(p.numel() for p in v3_on_meta.parameters())
    # V3's balancing bias is a buffer there (it is not trained by gradient) and a parameter here
    bias = sum(b.numel() for name, b in v3_on_meta.named_buffers() if name.endswith("e_score_correction_bias"))
    count = moe.parameter_count(moe.v3_config())
    assert weights + bias == count.total == 671_026_419_200


def test_v3_activated_parameters_match_transformers_exactly(v3_on_meta):
    c = moe.v3_config()
    routed = sum(p.numel() for name, p in v3_on_meta.named_parameters() if ".mlp.experts." in name)
    embedding = v3_on_meta.model.embed_tokens.weight.numel()
    bias = sum(b.numel() for name, b in v3_on_meta.named_buffers() if name.endswith("e_score_correction_bias"))
    total = sum(p.numel() for p in v3_on_meta.parameters()) + bias
    activated = total - embedding - routed + routed * c.n_activated_experts // c.n_routed_experts
    assert activated == moe.parameter_count(c).activated == 36_625_618_432


def hf_mla_from(ours: mla.MultiHeadLatentAttention) -> hf.DeepseekV3Attention:
    """transformers' MLA with tinyseek's weights copied in and its latent norm removed (tinyseek
    leaves out the RMSNorm on the KV latent: a simplification its docstring states)."""
    h, dn, dr, r, d = ours.n_heads, ours.head_dim, ours.rope_dim, ours.kv_rank, ours.d_model
    config = DeepseekV3Config(
        hidden_size=d, num_attention_heads=h, num_key_value_heads=h, q_lora_rank=None, kv_lora_rank=r,
        qk_nope_head_dim=dn, qk_rope_head_dim=dr, v_head_dim=dn, num_hidden_layers=1, vocab_size=8,
        intermediate_size=8, moe_intermediate_size=8, n_routed_experts=4, num_experts_per_tok=2)
    config._attn_implementation = "eager"
    theirs = hf.DeepseekV3Attention(config, layer_idx=0)
    theirs.kv_a_layernorm = torch.nn.Identity()
    with torch.no_grad():
        # per head, transformers stacks [content, RoPE] query rows and [key, value] up-projection rows
        q = torch.cat([ours.w_uq.weight.view(h, dn, d), ours.w_qr.weight.view(h, dr, d)], dim=1)
        theirs.q_proj.weight.copy_(q.reshape(h * (dn + dr), d))
        theirs.kv_a_proj_with_mqa.weight.copy_(torch.cat([ours.w_dkv.weight, ours.w_kr.weight]))
        kv = torch.cat([ours.w_uk.weight.view(h, dn, r), ours.w_uv.weight.view(h, dn, r)], dim=1)
        theirs.kv_b_proj.weight.copy_(kv.reshape(-1, r))
        theirs.o_proj.weight.copy_(ours.wo.weight)
    theirs.rotary = hf.DeepseekV3RotaryEmbedding(config)
    return theirs


def test_mla_matches_transformers_naive_absorbed_and_cached():
    torch.manual_seed(0)
    ours = mla.MultiHeadLatentAttention(32, n_heads=4, head_dim=8, kv_rank=16, rope_dim=4)
    theirs = hf_mla_from(ours)
    x = torch.randn(2, 7, 32)
    positions = torch.arange(7)[None].expand(2, -1)
    causal = torch.full((7, 7), float("-inf")).triu(1)[None, None].expand(2, 1, 7, 7)
    with torch.no_grad():
        expected, _ = theirs(x, theirs.rotary(x, positions), causal)
        for name, got in (("naive", ours(x)), ("absorbed", ours.forward_absorbed(x)),
                          ("cached decoding", ours.generate_steps(x)[0])):
            assert torch.allclose(got, expected, atol=1e-6), f"{name}: {(got - expected).abs().max():.2e}"


def test_v3_caches_576_numbers_per_token_per_layer_as_transformers_projects_them(v3_on_meta):
    latent_and_rope_key = v3_on_meta.model.layers[0].self_attn.kv_a_proj_with_mqa.out_features
    assert mla.deepseek_v3_attention().cached_per_token_per_layer == latent_and_rope_key == 576


@pytest.mark.parametrize("bias_spread", [0.0, 0.01, 0.05])
def test_group_limited_routing_with_bias_matches_transformers_at_v3_shape(bias_spread):
    """V3's router: sigmoid scores, groups ranked on the bias-corrected scores, 8 of 256 experts
    from the best 4 of 8 groups, gates renormalised and scaled by 2.5."""
    c = moe.v3_config()
    config = hf_config(c, n_group=8, topk_group=4, routed_scaling_factor=2.5, norm_topk_prob=True,
                       hidden_size=64, num_hidden_layers=1)
    theirs = hf.DeepseekV3TopkRouter(config)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        theirs.weight.copy_(torch.randn(c.n_routed_experts, 64, generator=g))
        theirs.e_score_correction_bias.copy_(bias_spread * torch.randn(c.n_routed_experts, generator=g))
    x = torch.randn(512, 64, generator=g)
    logits, weights, experts = theirs(x)
    ours = moe.route(logits, c.n_activated_experts, "sigmoid", bias=theirs.e_score_correction_bias,
                     route_scale=2.5, n_groups=8, max_groups=4)
    # the same experts for every token (as sets: both take top-k without a defined order)
    order_theirs, order_ours = experts.sort(dim=-1), ours.experts.sort(dim=-1)
    assert torch.equal(order_theirs.values, order_ours.values)
    assert torch.allclose(weights.gather(1, order_theirs.indices), ours.weights.gather(1, order_ours.indices),
                          atol=1e-6)
    if bias_spread:
        # and the bias matters here: ignoring it picks other experts for some tokens
        unbiased = moe.route(logits, c.n_activated_experts, "sigmoid", route_scale=2.5, n_groups=8, max_groups=4)
        assert not torch.equal(unbiased.experts.sort(dim=-1).values, order_theirs.values)


def test_moe_layer_with_v3_routing_matches_transformers():
    """The whole MoE layer (V3's routing, 1 shared + top-4 of 16 routed SwiGLU experts in 4 groups)
    against transformers' DeepseekV3MoE with the same weights."""
    torch.manual_seed(0)
    d, width = 32, 8
    ours = moe.MoELayer(d, width, n_routed=16, n_shared=1, top_k=4, gate="sigmoid", balance="bias",
                        route_scale=2.5, n_groups=4, max_groups=2)
    with torch.no_grad():
        ours.expert_bias.copy_(0.02 * torch.randn(16))
    config = hf_config(moe.v3_config(), hidden_size=d, moe_intermediate_size=width, n_routed_experts=16,
                       n_shared_experts=1, num_experts_per_tok=4, n_group=4, topk_group=2,
                       routed_scaling_factor=2.5, norm_topk_prob=True, num_hidden_layers=1)
    theirs = hf.DeepseekV3MoE(config)
    with torch.no_grad():
        theirs.gate.weight.copy_(ours.router)
        theirs.gate.e_score_correction_bias.copy_(ours.expert_bias)
        # transformers stores each expert's gate and up projections stacked, as (out, in) matrices
        theirs.experts.gate_up_proj.copy_(torch.cat([ours.w_gate, ours.w_up], dim=2).transpose(1, 2))
        theirs.experts.down_proj.copy_(ours.w_down.transpose(1, 2))
        theirs.shared_experts.gate_proj.weight.copy_(ours.shared.w_gate.t())
        theirs.shared_experts.up_proj.weight.copy_(ours.shared.w_up.t())
        theirs.shared_experts.down_proj.weight.copy_(ours.shared.w_down.t())
        x = torch.randn(2, 24, d)
        expected = theirs(x)
        got, _ = ours(x)
    assert torch.allclose(got, expected, atol=1e-5), f"{(got - expected).abs().max():.2e}"
