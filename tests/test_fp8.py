"""tinyseek.fp8: round-trip error bounds, fine-grained beats per-tensor scaling on outliers,
accumulation error grows with K and promotion every 128 elements stops the growth."""

import pytest
import torch
from tinyseek import fp8


def test_e4m3_constants_come_from_torch():
    assert fp8.E4M3_MAX == 448.0
    assert float(torch.tensor(fp8.SMALLEST_SUBNORMAL).to(fp8.E4M3).float()) == fp8.SMALLEST_SUBNORMAL
    assert float(torch.tensor(fp8.SMALLEST_SUBNORMAL / 4).to(fp8.E4M3).float()) == 0.0


def test_v3_groups_come_from_the_data():
    assert fp8.tile() == (1, 128) and fp8.block() == (128, 128)


@pytest.mark.parametrize("group", [None, (1, 128), (128, 128), (2, 64)])
def test_round_trip_error_is_within_the_e4m3_bound_everywhere(group):
    x, _ = fp8.outlier_activations(tokens=128, channels=256, outlier_scale=1e5, seed=3)
    q = fp8.quantize(x, group)
    err = (x - fp8.dequantize(q)).abs()
    assert (err <= fp8.error_bound(x, q) * (1 + 1e-6)).all()
    assert q.values.dtype == fp8.E4M3


def test_each_group_maximum_lands_on_448_and_is_exact():
    x = torch.tensor([[1.0, -3.0, 0.5, 0.25], [100.0, 2.0, 0.0, -7.0]])
    q = fp8.quantize(x, (1, 2))
    assert q.scales.shape == (2, 2)
    assert q.values.float().abs().reshape(2, 2, 2).amax(-1).eq(448).all()
    back = fp8.dequantize(q)
    assert back[0, 1] == -3.0 and back[1, 0] == 100.0 and back[1, 2] == 0.0


def test_zero_tensor_round_trips_to_zero():
    assert fp8.dequantize(fp8.quantize(torch.zeros(2, 128), fp8.tile())).eq(0).all()


def test_relative_round_trip_error_of_gaussian_data_is_about_one_part_in_thirty():
    x = torch.randn(256, 256, generator=torch.Generator().manual_seed(0))
    for scheme in fp8.SCHEMES:
        assert 0.015 < fp8.relative_error(x, fp8.round_trip(x, scheme)) < 0.04


def test_fine_grained_scaling_beats_per_tensor_on_outlier_data():
    per_tensor = fp8.ordinary_error(1e5, "per-tensor")
    tile = fp8.ordinary_error(1e5, "tile")
    assert per_tensor > 0.2                        # outliers crush the ordinary values
    assert tile < per_tensor / 4                    # 1x128 tiles confine the damage


def test_without_outliers_the_schemes_agree():
    errors = [fp8.ordinary_error(1.0, s) for s in fp8.SCHEMES]
    assert max(errors) < 1.1 * min(errors)


def test_per_tensor_error_grows_with_the_outlier_size():
    errors = [fp8.ordinary_error(s, "per-tensor") for s in (1e3, 1e4, 1e5)]
    assert errors[0] < errors[1] < errors[2]


def test_round_to_bits_by_hand():
    x = torch.tensor([1.0 + 2 ** -5, -(1.0 + 3 * 2 ** -5), 3.0], dtype=torch.float64)
    # 4 significant bits: 1.xxx in steps of 1/8
    assert fp8.round_to_bits(x, 4, "truncate").tolist() == [1.0, -1.0, 3.0]
    assert fp8.round_to_bits(x, 4, "nearest").tolist() == [1.0, -1.125, 3.0]


def test_limited_precision_matmul_is_exact_with_53_bits_of_room():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(4, 64, generator=g).to(fp8.E4M3).double()
    b = torch.randn(64, 3, generator=g).to(fp8.E4M3).double()
    assert torch.allclose(fp8.limited_precision_matmul(a, b, bits=52), (a @ b).float().double())


def test_accumulation_error_grows_with_k_and_promotion_stops_the_growth():
    ks = (256, 1024, 4096)
    plain = [fp8.accumulation_error(k, 14) for k in ks]
    promoted = [fp8.accumulation_error(k, 14, promote_every=128) for k in ks]
    assert plain[0] < plain[1] < plain[2]
    assert plain[2] > 5 * plain[0]
    assert max(promoted) < 1.5 * min(promoted)       # flat in K
    assert promoted[2] < plain[2] / 20
    nearest = [fp8.accumulation_error(k, 14, rounding="nearest") for k in ks]
    assert nearest[0] < nearest[2] < plain[2]         # rounding to nearest: smaller, still growing


def test_more_accumulator_bits_mean_less_error():
    assert fp8.accumulation_error(2048, 20) < fp8.accumulation_error(2048, 14) / 10


@pytest.mark.parametrize("call, error, message", [
    (lambda: fp8.quantize(torch.zeros(3, 100), (1, 128)), ValueError, "must divide the tensor's shape"),
    (lambda: fp8.quantize(torch.zeros(4)), ValueError, "2-D tensor"),
    (lambda: fp8.quantize(torch.tensor([[float("nan")]])), ValueError, "must be finite"),
    (lambda: fp8.quantize([[1.0]]), TypeError, "x must be a torch.Tensor"),
    (lambda: fp8.quantize(torch.zeros(2, 2), (0, 1)), ValueError, "pair of positive integers"),
    (lambda: fp8.round_trip(torch.zeros(2, 128), "row"), ValueError, "scheme must be one of"),
    (lambda: fp8.relative_error(torch.zeros(2), torch.zeros(2)), ValueError, "not be all zeros"),
    (lambda: fp8.relative_error(torch.ones(2), torch.ones(3)), ValueError, "shapes differ"),
    (lambda: fp8.limited_precision_matmul(torch.ones(2, 3), torch.ones(4, 2)), ValueError, "inner dimensions"),
    (lambda: fp8.accumulation_error(0), ValueError, "k must be ≥ 1"),
    (lambda: fp8.accumulation_error(8, bits=0), ValueError, "bits must be ≥ 1"),
    (lambda: fp8.accumulation_error(8, promote_every=0), ValueError, "promote_every must be ≥ 1"),
    (lambda: fp8.accumulation_error(8, rounding="up"), ValueError, "rounding must be one of"),
    (lambda: fp8.outlier_activations(outlier_scale=0.5), ValueError, "outlier_scale must be ≥ 1"),
])
def test_bad_inputs_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()
