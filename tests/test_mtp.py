"""Multi-token prediction: shapes, causality, the loss, and speculative decoding that returns
exactly what greedy decoding returns."""

import pytest
import torch
from tinyseek import moe_lm, mtp

SMALL = mtp.MTPConfig(d_model=16, n_layers=1, n_heads=2, seq_len=24, d_ff=32)


def _model(seed=0, config=SMALL, mtp_module=True):
    torch.manual_seed(seed)
    return mtp.MTPLM(config, mtp_module).double().eval()


def test_shapes_and_shared_parameters():
    model = _model()
    ids = torch.randint(0, len(moe_lm.VOCAB), (3, 10))
    logits, hidden = model(ids)
    assert logits.shape == (3, 10, len(moe_lm.VOCAB)) and hidden.shape == (3, 10, 16)
    assert model.draft_logits(hidden, ids).shape == (3, 10, len(moe_lm.VOCAB))
    # the module owns only its projection, block and norms: embedding and head are the main model's
    own = {id(p) for p in model.mtp.parameters()}
    assert id(model.head.weight) not in own and id(model.embed.weight) not in own
    plain = _model(mtp_module=False)
    assert plain.mtp is None
    with pytest.raises(ValueError, match="mtp=False"):
        plain.draft_logits(hidden, ids)


def test_mtp_module_is_causal():
    """The draft at position i may read tokens up to i + 1 and nothing later."""
    model = _model(1)
    ids = torch.randint(0, len(moe_lm.VOCAB), (1, 12))
    changed = ids.clone()
    changed[0, 8:] = (changed[0, 8:] + 1) % len(moe_lm.VOCAB)
    out = [model.draft_logits(model(x)[1][:, :-1], x[:, 1:]) for x in (ids, changed)]
    assert torch.allclose(out[0][:, :7], out[1][:, :7], atol=1e-12)   # positions 0..6 read ≤ 7
    assert not torch.allclose(out[0][:, 7], out[1][:, 7])             # position 7 reads token 8


def test_losses_without_and_with_mtp():
    x, y, _ = moe_lm.batch(4, SMALL.seq_len, __import__("numpy").random.default_rng(0))
    main, extra = mtp.losses(_model(mtp_module=False).float(), x, y)
    assert extra is None and main.item() > 0
    main2, extra2 = mtp.losses(_model().float(), x, y)
    assert main2.item() == pytest.approx(main.item(), rel=1e-6)     # same trunk at the same seed
    assert extra2.item() > 0


@pytest.mark.parametrize("seed", range(4))
def test_speculative_equals_greedy_untrained(seed):
    """An untrained draft is mostly wrong; the tokens must still be greedy decoding's, exactly."""
    model = _model(seed)
    g = torch.Generator().manual_seed(seed)
    for length in (1, 5, 9):
        prompt = torch.randint(0, len(moe_lm.VOCAB), (length,), generator=g)
        n_new = SMALL.seq_len - 1 - length
        run = mtp.speculative_decode(model, prompt, n_new)
        assert torch.equal(run.tokens, mtp.greedy_decode(model, prompt, n_new))
        assert run.drafted == run.forwards - 1 and 0 <= run.accepted <= run.drafted
        assert run.tokens_per_forward == pytest.approx(n_new / run.forwards)


def test_a_perfect_draft_doubles_tokens_per_forward():
    """Force the draft to be right (draft = the main model's own greedy token two ahead):
    every check accepts and each pass commits two tokens."""
    model = _model(5)
    prompt = torch.tensor([3, 4, 5])
    greedy = mtp.greedy_decode(model, prompt, 16)

    def oracle(model_, hidden, seq, nxt):
        full = torch.cat([prompt, greedy])
        return int(full[len(seq) + 1]) if len(seq) + 1 < len(full) else 0

    orig = mtp.draft
    mtp.draft = oracle
    try:
        run = mtp.speculative_decode(model, prompt, 16)
    finally:
        mtp.draft = orig
    assert torch.equal(run.tokens, greedy)
    assert run.accepted == run.drafted and run.forwards == 1 + 8


def test_bad_input():
    model = _model()
    with pytest.raises(ValueError, match="n_new"):
        mtp.speculative_decode(model, torch.tensor([1, 2]), 0)
    with pytest.raises(ValueError, match="n_new"):
        mtp.speculative_decode(model, torch.tensor([1, 2]), SMALL.seq_len)
    with pytest.raises(ValueError, match="prompt"):
        mtp.greedy_decode(model, torch.tensor([]), 3)
    with pytest.raises(ValueError, match="n_heads"):
        mtp.MTPConfig(d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="mtp_weight"):
        mtp.MTPConfig(mtp_weight=-1)
    with pytest.raises(ValueError, match="ids"):
        model(torch.zeros(1, SMALL.seq_len + 1, dtype=torch.long))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_trained_draft_is_accepted_often_and_exactly_greedy(seed):
    """After the chapter's training the draft is right far more often than chance (1/42), which
    buys well over 1.2 tokens per forward pass, and decoding stays exactly greedy."""
    torch.set_num_threads(1)
    run = mtp.train(mtp=True, seed=seed)
    assert run.mtp_loss[-20:].mean() < run.mtp_loss[:20].mean() - 1.0
    model = run.model.double().eval()
    stats = mtp.acceptance_by_domain(model, n_prompts=16)
    assert stats["all"]["acceptance"] > 0.4
    assert stats["all"]["tokens_per_forward"] > 1.25
    x, _ = mtp.prompts(4)
    for prompt in x:
        assert torch.equal(mtp.speculative_decode(model, prompt, 20).tokens,
                           mtp.greedy_decode(model, prompt, 20))
