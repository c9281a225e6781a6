"""Serving economics (Chapter 8): worked values by hand, the disclosed day, and the decoding model."""

import pytest
from tinyseek import chips, cost, data, mla, serving


def test_usd_per_million_tokens_by_hand():
    # 8 GPUs at $2 = $16 an hour; 1,000 tokens/s = 3.6M tokens an hour; $16 / 3.6 = $4.44 per million
    assert serving.usd_per_million_tokens(2.0, 8, 1000) == pytest.approx(16 / 3.6)
    # half the time idle doubles the price of each token made
    assert serving.usd_per_million_tokens(2.0, 8, 1000, 0.5) == pytest.approx(2 * 16 / 3.6)


@pytest.mark.parametrize("bad", [dict(usd_per_gpu_hour=0), dict(gpus=0), dict(tokens_per_s=-1),
                                 dict(utilisation=0), dict(utilisation=1.5), dict(gpus=2.5)])
def test_usd_per_million_tokens_rejects_bad_input(bad):
    args = dict(usd_per_gpu_hour=2.0, gpus=8, tokens_per_s=1000.0, utilisation=1.0) | bad
    with pytest.raises((ValueError, TypeError), match=next(iter(bad))):
        serving.usd_per_million_tokens(**args)


def test_disclosed_day():
    day = serving.disclosed_day()
    # $87,072 over 168B output tokens, and 16 $/h over 14.8k tokens/s per node
    assert day["all_cost_on_output"] == pytest.approx(87072 / 168e9 * 1e6)
    assert day["decode_at_full_load"] == pytest.approx(16 / (14.8e3 * 3600) * 1e6)
    # decoding alone at full load is cheaper than the day's blended figure, which pays for prefill and idle time
    assert day["decode_at_full_load"] < day["all_cost_on_output"]


def test_r1_run_sums_table_7_to_the_reported_cost():
    run = cost.deepseek_r1_run()
    assert run.gpu_hours == data.value("r1_total_gpu_hours_reported") == 147_000
    assert run.cost == data.value("r1_total_cost_reported") == 294_000
    # the wall-clock hours on 512 GPUs multiply out close to the rounded components
    gpus = data.value("r1_rl_gpus")
    assert data.value("r1_zero_rl_hours") * gpus == pytest.approx(run.stages[0].gpu_hours, rel=0.01)
    assert data.value("r1_rl_hours") * gpus == pytest.approx(run.stages[2].gpu_hours, rel=0.01)


def test_decode_model_smaller_cache_means_bigger_batch_and_more_tokens():
    h800 = chips.get("H800")
    v3 = mla.deepseek_v3_attention()
    results = {s.kind: serving.decode_throughput(s, h800, weights_gb=20, context=4096)
               for s in (v3, mla.gqa_twin(v3), mla.mha_twin(v3))}
    assert results["mla"]["batch"] > results["gqa"]["batch"] > results["mha"]["batch"] >= 1
    assert results["mla"]["tokens_per_s"] > results["gqa"]["tokens_per_s"] > results["mha"]["tokens_per_s"]
    # by hand for MLA: the cache of one sequence, and the batch that fills the memory left
    per_seq = mla.kv_cache_bytes(v3, 4096)
    assert results["mla"]["batch"] == int((h800.memory_gb * 1e9 - 20e9) // per_seq)
    # drafted tokens raise tokens per step, not the batch
    drafted = serving.decode_throughput(v3, h800, weights_gb=20, context=4096, tokens_per_step=1.85)
    assert drafted["batch"] == results["mla"]["batch"]
    assert drafted["tokens_per_s"] == pytest.approx(1.85 * results["mla"]["tokens_per_s"])


def test_decode_model_says_when_nothing_fits():
    h800 = chips.get("H800")
    with pytest.raises(ValueError, match="no sequence"):
        serving.decode_throughput(mla.mha_twin(mla.deepseek_v3_attention()), h800, weights_gb=79.9,
                                  context=100_000)
    with pytest.raises(ValueError, match="weights_gb"):
        serving.decode_throughput(mla.deepseek_v3_attention(), h800, weights_gb=500, context=10)
