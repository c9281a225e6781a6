"""The roofline and the communication model, with values worked by hand."""

import math

import pytest
from tinyseek import chips, roofline
from tinyseek.roofline import Link


def test_ridge_point_by_hand():
    # H100 FP8: 1,979 TFLOPS / 3,350 GB/s = 1979e12 / 3350e9 = 590.75 FLOP per byte.
    assert roofline.ridge_point(chips.get("H100"), "fp8") == pytest.approx(590.746, rel=1e-5)
    # A100 BF16: 312e12 / 2039e9 = 153.02
    assert roofline.ridge_point(chips.get("A100"), "bf16") == pytest.approx(153.016, rel=1e-5)


def test_attainable_is_the_lower_of_the_two_roofs():
    h100 = chips.get("H100")
    # 100 FLOP/byte x 3,350 GB/s = 335 TFLOPS, under the 1,979 roof.
    assert roofline.attainable_tflops(h100, "fp8", 100) == pytest.approx(335.0)
    assert roofline.attainable_tflops(h100, "fp8", 10_000) == 1979
    ridge = roofline.ridge_point(h100, "fp8")
    assert roofline.attainable_tflops(h100, "fp8", ridge) == pytest.approx(1979)
    assert roofline.is_memory_bound(h100, "fp8", ridge * 0.99)
    assert not roofline.is_memory_bound(h100, "fp8", ridge * 1.01)


def test_h800_and_h100_share_a_roofline():
    h100, h800 = chips.get("H100"), chips.get("H800")
    for i in (1, 100, 1000):
        assert roofline.attainable_tflops(h800, "bf16", i) == roofline.attainable_tflops(h100, "bf16", i)


def test_more_memory_bandwidth_lowers_the_ridge():
    # The H200 is an H100 with 4.8 TB/s instead of 3.35 TB/s: same roof, earlier ridge.
    assert roofline.ridge_point(chips.get("H200"), "bf16") < roofline.ridge_point(chips.get("H100"), "bf16")


def test_matmul_intensity_by_hand():
    # 1 x 4 times 4 x 2 in 2-byte values: 2*1*4*2 = 16 FLOP over 2*(4 + 8 + 2) = 28 bytes.
    assert roofline.matmul_intensity(1, 4, 2, 2) == pytest.approx(16 / 28)
    # Square n x n in 1-byte values: 2n^3 / 3n^2 = 2n/3.
    assert roofline.matmul_intensity(3000, 3000, 3000, 1) == pytest.approx(2000)
    # A matrix-vector product stays under 2 / bytes however large the matrix.
    assert roofline.matmul_intensity(1, 8192, 8192, 2) < 1.0


def test_compute_time_by_hand():
    # 1.979e15 FLOP at 1,979 TFLOPS and 50% utilisation = 2 s.
    assert roofline.compute_time(1.979e15, chips.get("H800"), "fp8", 0.5) == pytest.approx(2.0)


def test_link_from_chip_halves_the_aggregate_figure():
    assert Link.from_chip(chips.get("H100")).gbs == 450
    assert Link.from_chip(chips.get("H800")).gbs == 200
    assert Link.v3_nvlink().gbs == 160 and Link.v3_infiniband().gbs == 50


def test_transfer_time_by_hand():
    link = Link("test", gbs=100, latency_s=1e-5, efficiency=0.5)
    # 1 GB at 50 GB/s effective = 0.02 s, plus 10 microseconds.
    assert roofline.transfer_time(1e9, link) == pytest.approx(0.02001)
    assert roofline.transfer_time(0, link) == pytest.approx(1e-5)


def test_all_to_all_by_hand():
    link = Link("test", gbs=200)
    # 8 GPUs, 80 MB each: 70 MB leaves each GPU at 200 GB/s = 0.35 ms.
    assert roofline.all_to_all_time(80e6, 8, link) == pytest.approx(3.5e-4)
    assert roofline.all_to_all_time(80e6, 1, link) == 0.0


def test_h800_all_to_all_is_slower_by_the_interconnect_ratio():
    t100 = roofline.all_to_all_time(1e8, 8, Link.from_chip(chips.get("H100")))
    t800 = roofline.all_to_all_time(1e8, 8, Link.from_chip(chips.get("H800")))
    assert t800 / t100 == pytest.approx(900 / 400)


def test_moe_dispatch_bytes_by_hand():
    # 4,096 tokens x 7,168 values x 8 experts x 1 byte (FP8) = 234,881,024 bytes.
    assert roofline.moe_dispatch_bytes(4096, 7168, 8, 1) == 234_881_024


@pytest.mark.parametrize("call, kind, message", [
    (lambda: roofline.ridge_point(chips.get("A100"), "fp8"), ValueError, "A100 SXM 80GB has no fp8"),
    (lambda: roofline.peak_tflops(chips.get("H100"), "fp4"), ValueError, "precision must be one of"),
    (lambda: roofline.peak_tflops("H100", "fp8"), TypeError, "chip must be a tinyseek.chips.Chip"),
    (lambda: roofline.attainable_tflops(chips.get("H100"), "fp8", 0), ValueError, "intensity must be > 0"),
    (lambda: roofline.attainable_tflops(chips.get("H100"), "fp8", math.nan), ValueError, "intensity must be a number"),
    (lambda: roofline.compute_time(1e15, chips.get("H100"), "fp8", 1.5), ValueError, "utilisation must be ≤ 1"),
    (lambda: Link("x", gbs=0), ValueError, "gbs must be > 0"),
    (lambda: Link("x", gbs=10, latency_s=-1), ValueError, "latency_s must be ≥ 0"),
    (lambda: Link("x", gbs=10, efficiency=0), ValueError, "efficiency must be > 0"),
    (lambda: Link("", gbs=10), ValueError, "name must be non-empty"),
    (lambda: roofline.transfer_time(-1, Link("x", gbs=1)), ValueError, "n_bytes must be ≥ 0"),
    (lambda: roofline.transfer_time(1, 200), TypeError, "link must be a tinyseek.roofline.Link"),
    (lambda: roofline.all_to_all_time(1e6, 0, Link("x", gbs=1)), ValueError, "n_gpus must be ≥ 1"),
    (lambda: roofline.all_to_all_time(1e6, 8.0, Link("x", gbs=1)), TypeError, "n_gpus must be an integer"),
    (lambda: roofline.moe_dispatch_bytes(10, 0, 8, 1), ValueError, "hidden must be ≥ 1"),
    (lambda: roofline.moe_dispatch_bytes(10, 16, 8, 0), ValueError, "bytes_per_value must be > 0"),
    (lambda: roofline.matmul_intensity(0, 4, 4, 2), ValueError, "m must be ≥ 1"),
    (lambda: roofline.matmul_intensity(4, 4, 4.0, 2), TypeError, "n must be an integer"),
    (lambda: Link.from_chip(chips.Chip(name="lonely", bf16_tflops=1)), ValueError, "interconnect_gbs: lonely"),
])
def test_bad_input_names_the_parameter(call, kind, message):
    with pytest.raises(kind, match=message):
        call()
