"""tinyseek.mla: the absorbed form equals the naive form; KV-cache sizes by hand and for V3."""

import pytest
import torch
from tinyseek import data, mla


def tiny_mla(q_rank=16, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return mla.MultiHeadLatentAttention(d_model=32, n_heads=4, head_dim=8, kv_rank=12, rope_dim=4,
                                        q_rank=q_rank).to(dtype)


@pytest.mark.parametrize("q_rank", [None, 16])
def test_absorbed_form_equals_naive_form(q_rank):
    layer = tiny_mla(q_rank)
    x = torch.randn(3, 9, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    naive, absorbed = layer(x), layer.forward_absorbed(x)
    assert naive.abs().mean() > 1e-3                       # a real output, not zeros
    torch.testing.assert_close(absorbed, naive, rtol=1e-10, atol=1e-12)


def test_token_by_token_decoding_with_the_latent_cache_equals_the_full_pass():
    layer = tiny_mla()
    x = torch.randn(2, 7, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    steps, (latents, rope_keys) = layer.generate_steps(x)
    torch.testing.assert_close(steps, layer(x), rtol=1e-10, atol=1e-12)
    # the cache holds exactly kv_rank + rope_dim numbers per token, as kv_cache_bytes counts
    assert latents.shape == (2, 7, 12) and rope_keys.shape == (2, 7, 4)
    per_token = (latents[0, 0].numel() + rope_keys[0, 0].numel())
    assert per_token == layer.shape().cached_per_token_per_layer == 16


def test_absorption_works_in_float32_too():
    layer = tiny_mla(dtype=torch.float32)
    x = torch.randn(2, 5, 32, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(layer.forward_absorbed(x), layer(x), rtol=1e-4, atol=1e-5)


def test_absorbed_weights_have_the_latent_shapes():
    q_to_latent, latent_to_out = tiny_mla().absorbed_weights()
    assert q_to_latent.shape == (4, 12, 16) and latent_to_out.shape == (4, 32, 12)


def test_attention_is_causal():
    layer = tiny_mla()
    x = torch.randn(1, 6, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    changed = x.clone()
    changed[0, 4:] += 1.0                                    # alter the future only
    torch.testing.assert_close(layer(changed)[0, :4], layer(x)[0, :4])
    assert not torch.allclose(layer(changed)[0, 4:], layer(x)[0, 4:])


def test_gqa_with_as_many_kv_heads_as_heads_is_mha():
    torch.manual_seed(0)
    mha = mla.MultiHeadAttention(16, 4, 4)
    torch.manual_seed(0)
    same = mla.MultiHeadAttention(16, 4, 4, n_kv_heads=4)
    x = torch.randn(2, 5, 16)
    torch.testing.assert_close(mha(x), same(x))
    assert mla.MultiHeadAttention(16, 4, 4, n_kv_heads=2)(x).shape == (2, 5, 16)


def test_rope_preserves_norms_and_depends_only_on_relative_position():
    g = torch.Generator().manual_seed(5)
    q, k = torch.randn(1, 8, dtype=torch.float64, generator=g), torch.randn(1, 8, dtype=torch.float64, generator=g)
    rot = lambda v, p: mla.rope(v, torch.tensor([p]))     # noqa: E731
    torch.testing.assert_close(rot(q, 3).norm(), q.norm())
    torch.testing.assert_close((rot(q, 5) * rot(k, 2)).sum(), (rot(q, 13) * rot(k, 10)).sum())


# ---- KV-cache sizes ------------------------------------------------------------------------

def test_kv_cache_bytes_hand_computed():
    mha = mla.AttentionShape("m", "mha", n_layers=2, n_heads=4, head_dim=8)
    # 2 (K and V) x 4 heads x 8 dims x 2 layers = 128 numbers per token; x 10 tokens x 3 seqs x 2 bytes
    assert mla.kv_cache_bytes(mha, 10, "bf16", batch=3) == 128 * 10 * 3 * 2
    gqa = mla.AttentionShape("g", "gqa", n_layers=2, n_heads=4, head_dim=8, n_kv_heads=1)
    assert mla.kv_cache_bytes(gqa, 10, "fp32") == 2 * 1 * 8 * 2 * 10 * 4
    lat = mla.AttentionShape("l", "mla", n_layers=2, n_heads=4, head_dim=8, kv_rank=6, rope_dim=2)
    assert mla.kv_cache_bytes(lat, 10, "fp8") == (6 + 2) * 2 * 10 * 1
    assert mla.kv_cache_bytes(lat, 0) == 0


def test_deepseek_v3_cache_is_latent_plus_rope_key_per_layer():
    v3 = mla.deepseek_v3_attention()
    c = lambda k: data.value(f"v3_config.{k}")             # noqa: E731
    assert v3.cached_per_token_per_layer == c("kv_lora_rank") + c("qk_rope_head_dim") == 576
    assert v3.cached_per_token == 576 * 61 == 35_136
    assert mla.kv_cache_bytes(v3, 1, "bf16") == 70_272
    twin = mla.mha_twin(v3)
    assert twin.cached_per_token == 2 * 128 * 128 * 61 == 1_998_848
    assert twin.cached_per_token / v3.cached_per_token == pytest.approx(56.89, abs=0.01)
    assert mla.gqa_twin(v3, 8).cached_per_token == 2 * 8 * 128 * 61


def test_decode_cost_shows_mla_reads_little_and_computes_more():
    v3 = mla.deepseek_v3_attention()
    mha = mla.decode_attention_cost(mla.mha_twin(v3))
    lat = mla.decode_attention_cost(v3)
    assert mha == {"flops": 2 * 128 * 256, "bytes": 65536, "intensity": 1.0}
    assert lat["flops"] == 2 * 128 * (512 + 64 + 512) and lat["bytes"] == 1152
    assert lat["intensity"] > 200 * mha["intensity"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="x", kind="mqa", n_layers=1, n_heads=1, head_dim=1), "kind must be one of"),
    (dict(name="x", kind="mha", n_layers=0, n_heads=1, head_dim=1), "n_layers must be ≥ 1"),
    (dict(name="x", kind="gqa", n_layers=1, n_heads=8, head_dim=4), "n_kv_heads is required"),
    (dict(name="x", kind="gqa", n_layers=1, n_heads=8, head_dim=4, n_kv_heads=3), "must divide n_heads"),
    (dict(name="x", kind="gqa", n_layers=1, n_heads=8, head_dim=4, n_kv_heads=16), "n_kv_heads must be ≤ 8"),
    (dict(name="x", kind="mla", n_layers=1, n_heads=8, head_dim=4), "kv_rank and rope_dim are required"),
    (dict(name="x", kind="mha", n_layers=1, n_heads=8, head_dim=4, kv_rank=4, rope_dim=2), "apply to MLA only"),
    (dict(name="x", kind="mha", n_layers=1, n_heads=8, head_dim=4, n_kv_heads=2), "applies to GQA only"),
])
def test_bad_shapes_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mla.AttentionShape(**kwargs)


def test_bad_cache_arguments_are_refused():
    v3 = mla.deepseek_v3_attention()
    with pytest.raises(ValueError, match="dtype must be one of"):
        mla.kv_cache_bytes(v3, 10, "int4")
    with pytest.raises(ValueError, match="tokens must be ≥ 0"):
        mla.kv_cache_bytes(v3, -1)
    with pytest.raises(ValueError, match="batch must be ≥ 1"):
        mla.kv_cache_bytes(v3, 10, batch=0)
    with pytest.raises(TypeError, match="tokens must be an integer"):
        mla.kv_cache_bytes(v3, 10.5)
    with pytest.raises(ValueError, match="tokens x batch"):
        mla.kv_cache_bytes(v3, 10**9, batch=10)
    with pytest.raises(TypeError, match="config must be an AttentionShape"):
        mla.kv_cache_bytes({"kind": "mha"}, 10)


def test_bad_layer_arguments_are_refused():
    with pytest.raises(ValueError, match="rope_dim must be a positive even"):
        mla.MultiHeadLatentAttention(32, 4, 8, 12, 3)
    with pytest.raises(ValueError, match="head_dim must be even"):
        mla.MultiHeadAttention(32, 4, 7)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, tokens, 32\)"):
        tiny_mla()(torch.zeros(5, 32, dtype=torch.float64))
