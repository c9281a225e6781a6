"""tinyseek.transformer: the primer's building blocks, checked against PyTorch and against each other."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from tinyseek import cost, mla
from tinyseek import transformer as T

TEXT = T.corpus(20_000, seed=0)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and a loaded machine makes more threads far slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


VOCAB = T.CharVocab(TEXT)


def tiny_model(seed=0, **shape):
    torch.manual_seed(seed)
    return T.CharLM(T.LMConfig(len(VOCAB), **{"d_model": 32, "n_heads": 4, "n_layers": 2,
                                               "d_hidden": 64, "context": 32, **shape}))


# ---- corpus and tokens ----------------------------------------------------------------------------

def test_corpus_is_deterministic_sentences_of_a_small_alphabet():
    assert T.corpus(5000, seed=3) == T.corpus(5000, seed=3) != T.corpus(5000, seed=4)
    lines = TEXT.strip().split("\n")
    assert len(TEXT) >= 20_000 and all(line.endswith(".") for line in lines)
    assert len(VOCAB) < 30 and set(VOCAB.chars) >= set("abc .\n")
    with pytest.raises(ValueError, match="n_chars"):
        T.corpus(0)


def test_encode_then_decode_is_the_identity_and_unknown_characters_are_named():
    ids = VOCAB.encode(TEXT[:500])
    assert ids.dtype == torch.long and VOCAB.decode(ids) == TEXT[:500]
    with pytest.raises(ValueError, match="'Z'"):
        VOCAB.encode("the Zebra")
    with pytest.raises(ValueError, match="ids must be in"):
        VOCAB.decode([0, len(VOCAB)])
    with pytest.raises(ValueError, match="non-empty"):
        T.CharVocab("")


# ---- attention ------------------------------------------------------------------------------------

def test_causal_attention_equals_pytorch_scaled_dot_product_attention():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 7, 8, generator=g, dtype=torch.float64) for _ in range(3))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(T.causal_attention(q, k, v), expected)


def test_the_last_queries_attend_like_the_same_rows_of_the_full_pass():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(1, 2, 9, 4, generator=g, dtype=torch.float64) for _ in range(3))
    full = T.causal_attention(q, k, v)
    torch.testing.assert_close(T.causal_attention(q[..., -3:, :], k, v), full[..., -3:, :])
    # the first token sees only itself: its output is its own value
    torch.testing.assert_close(full[..., 0, :], v[..., 0, :])


def test_a_later_token_cannot_change_an_earlier_output():
    g = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(5, 6, generator=g) for _ in range(3))
    k2, v2 = k.clone(), v.clone()
    k2[-1], v2[-1] = 100.0, -100.0
    torch.testing.assert_close(T.causal_attention(q, k, v)[:-1], T.causal_attention(q, k2, v2)[:-1])


@pytest.mark.parametrize("shapes, message", [
    (((4, 8), (4, 8), (3, 8)), "same tokens"),
    (((4, 8), (4, 6), (4, 6)), "share batch and dim"),
    (((5, 8), (4, 8), (4, 8)), "each query needs its own key"),
])
def test_causal_attention_rejects_mismatched_shapes(shapes, message):
    q, k, v = (torch.randn(*s) for s in shapes)
    with pytest.raises(ValueError, match=message):
        T.causal_attention(q, k, v)
    with pytest.raises(ValueError, match="floating-point"):
        T.causal_attention(torch.ones(2, 2, dtype=torch.long), k, v)


def test_generation_with_the_kv_cache_returns_exactly_what_generation_without_it_returns():
    model = tiny_model()
    prompt = VOCAB.encode("the cat").unsqueeze(0).repeat(2, 1)
    for temperature, seed in [(0.0, 0), (1.0, 0), (1.0, 1), (0.7, 2)]:
        cached, sizes = T.generate(model, prompt, 20, temperature, seed=seed, use_cache=True)
        plain, none = T.generate(model, prompt, 20, temperature, seed=seed, use_cache=False)
        assert torch.equal(cached, plain) and none == []
        assert cached.shape == (2, 27)
    # the logits agree too, position by position
    cache = T.KVCache(model.config.n_layers)
    ids = cached
    model.eval()
    with torch.no_grad():
        step_logits = torch.cat([model(ids[:, i:i + 1], cache) for i in range(ids.shape[1])], dim=1)
        torch.testing.assert_close(step_logits, model(ids), rtol=1e-5, atol=1e-5)


def test_the_kv_cache_grows_by_two_vectors_per_layer_per_token_as_mla_counts_it():
    model = tiny_model()
    c = model.config
    prompt = VOCAB.encode("a dog").unsqueeze(0)
    _, sizes = T.generate(model, prompt, 10, 1.0, seed=0)
    per_token = 2 * c.n_layers * c.d_model * 4            # a key and a value, float32
    # after step 1 the cache holds the prompt; every later step adds the token fed in
    assert sizes == [per_token * (len(prompt[0]) + i) for i in range(10)]
    shape = mla.AttentionShape("tiny", "mha", c.n_layers, c.n_heads, c.d_model // c.n_heads)
    assert sizes[-1] == mla.kv_cache_bytes(shape, len(prompt[0]) + 9, "fp32")


def test_model_rejects_more_tokens_than_its_context_and_bad_configs():
    model = tiny_model()
    with pytest.raises(ValueError, match="≤ 32"):
        model(torch.zeros(1, 33, dtype=torch.long))
    with pytest.raises(ValueError, match="n_new"):
        T.generate(model, torch.zeros(1, 30, dtype=torch.long), 3)
    with pytest.raises(ValueError, match="n_heads must divide"):
        T.LMConfig(10, d_model=30, n_heads=4)
    with pytest.raises(TypeError, match="ffn"):
        T.Block(8, 2, ffn=lambda x: x)


def test_the_block_takes_any_ffn_and_keeps_what_a_moe_layer_returns_beside_its_output():
    class Tagged(torch.nn.Module):
        def forward(self, x):
            return torch.zeros_like(x), "stats"

    block = T.Block(16, 2, Tagged())
    x = torch.randn(2, 5, 16)
    y = block(x)
    assert y.shape == x.shape and block.ffn_extras == "stats"
    model = T.CharLM(T.LMConfig(len(VOCAB), d_model=16, n_heads=2, context=8), ffn=lambda: Tagged())
    assert model(torch.zeros(1, 4, dtype=torch.long)).shape == (1, 4, len(VOCAB))


# ---- loss, sampling, counting ----------------------------------------------------------------------

def test_an_untrained_model_scores_about_ln_vocab_and_the_loss_is_cross_entropy():
    model = tiny_model()
    ids = VOCAB.encode(TEXT)
    assert abs(T.evaluate(model, ids) - math.log(len(VOCAB))) < 0.3
    logits = torch.zeros(1, 3, 5)
    assert T.next_token_loss(logits, torch.tensor([[0, 1, 4]])).item() == pytest.approx(math.log(5))
    with pytest.raises(ValueError, match="targets"):
        T.next_token_loss(logits, torch.zeros(3, dtype=torch.long))


def test_temperature_sharpens_and_flattens_and_zero_is_greedy():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]])
    p1, cold, hot = (T.temperature_probs(logits, t) for t in (1.0, 0.25, 4.0))
    torch.testing.assert_close(p1, logits.softmax(-1))
    assert cold[0, 0] > p1[0, 0] > hot[0, 0] > 0.25
    g = torch.Generator().manual_seed(0)
    assert T.sample_next(logits.repeat(50, 1), 0.0, g).eq(0).all()
    draws = T.sample_next(logits.repeat(4000, 1), 1.0, g)
    freq = torch.bincount(draws, minlength=4) / 4000
    assert torch.allclose(freq, p1[0], atol=0.03)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="temperature"):
            T.temperature_probs(logits, bad)


def test_parameter_counts_add_up_and_match_the_shapes():
    model = tiny_model()
    n = T.parameter_counts(model)
    c = model.config
    assert n["total"] == sum(p.numel() for p in model.parameters())
    assert n["embedding"] == (len(VOCAB) + c.context) * c.d_model
    assert n["attention"] == c.n_layers * 4 * c.d_model ** 2
    assert n["ffn"] == c.n_layers * 2 * c.d_model * c.d_hidden
    assert n["head"] == c.d_model * len(VOCAB) and n["norm"] == (2 * c.n_layers + 1) * c.d_model
    assert n["per_token"] == n["attention"] + n["ffn"] + n["head"] + n["norm"] == n["total"] - n["embedding"]


def test_measured_flops_are_2n_per_token_forward_and_3x_that_with_backward():
    model = tiny_model(context=16)
    counts = T.parameter_counts(model)
    n = counts["per_token"] - counts["norm"]               # the weights of matrix products
    f = T.measured_flops(model, batch_size=2)
    c = model.config
    attention = 2 * 2 * c.n_layers * c.context * c.d_model * f["tokens"]   # q kᵀ and p v, full square
    assert f["forward"] == T.inference_flops(n, f["tokens"]) + attention
    assert f["forward_backward"] == pytest.approx(3 * f["forward"], rel=0.02)
    assert T.inference_flops(n, f["tokens"]) * 3 == cost.training_flops(n, f["tokens"])
    with pytest.raises(ValueError, match="active_params"):
        T.inference_flops(0)


# ---- training --------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_takes_the_loss_far_below_uniform_guessing_on_every_seed(seed):
    ids = VOCAB.encode(TEXT)
    model = tiny_model(seed)
    before = T.evaluate(model, ids)
    result = T.train(model, ids, steps=150, batch_size=16, seed=seed)
    after = T.evaluate(model, ids)
    assert before > 3.0 and after < 1.2, (before, after)
    assert np.isfinite(result.losses).all() and result.tokens == 150 * 16 * model.config.context


def test_loss_curve_figure_draws_the_losses_their_average_and_uniform_guessing():
    from tinyseek.plots.primer import loss_curve_figure

    losses = np.linspace(3.3, 0.5, 50)
    fig = loss_curve_figure(losses, 27, window=10)
    assert len(fig.data) == 2 and len(fig.data[1].y) == 41
    assert fig.layout.shapes[0].y0 == pytest.approx(math.log(27))
    for bad in ([], [1.0, float("nan")]):
        with pytest.raises(ValueError, match="losses"):
            loss_curve_figure(bad, 27)
