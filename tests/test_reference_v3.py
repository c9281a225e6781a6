"""tinyseek against an independent implementation of DeepSeek-V3: the model code in Hugging Face
`transformers` (pinned in requirements.txt, used by these tests only, never by the book).

Every configuration is built here in code; no weights are downloaded. The full V3 shape is built
on PyTorch's meta device, which allocates no memory.
"""

import pytest
import torch
from tinyseek import moe
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
