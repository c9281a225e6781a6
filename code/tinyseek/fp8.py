"""FP8 training arithmetic, simulated on the CPU: scaling granularity and accumulation precision.

An FP8 number in the E4M3 format has 4 exponent bits and 3 mantissa bits: every value is rounded
to one part in 16, and the representable magnitudes run only from about 0.002 (the smallest
subnormal, 2^-9) to 448. To use it, a tensor is multiplied by a *scale* so that its largest
magnitude lands at 448, rounded to FP8, and divided by the scale again when it is used. Two things
decide how much is lost:

1. **How many values share one scale.** With one scale for the whole tensor (*per-tensor*), a
   single outlier sets the scale and pushes every ordinary value down towards the bottom of the
   range, where FP8 has few or no levels left. DeepSeek-V3 scales each *1x128 tile* of an
   activation (one token, 128 channels) and each *128x128 block* of a weight separately, so an
   outlier only coarsens its own tile (Section 3.3.2 of the report).
2. **How a matrix product adds up.** A GEMM output is a sum of ``K`` products. The report says the
   H800's FP8 tensor cores keep only about 14 bits while accumulating, so the error grows with
   ``K``; its fix is to copy the partial sum into an FP32 register every 128 elements.

``quantize``/``dequantize`` use PyTorch's real ``float8_e4m3fn`` type for the rounding. The
accumulator is a *model*: ``limited_precision_matmul`` keeps a chosen number of significant bits
after every addition, with a chosen rounding rule. The hardware's exact behaviour is not
published, so this reproduces the *shape* of the report's finding, not its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import data, validate

E4M3 = torch.float8_e4m3fn
E4M3_MAX = float(torch.finfo(E4M3).max)                   # 448
E4M3_MANTISSA_BITS = 3
SMALLEST_SUBNORMAL = 2.0 ** -9                            # 2^(1-7) * 2^-3
MAX_K = 1 << 16
MAX_ELEMENTS = 1 << 24


def tile() -> tuple[int, int]:
    """DeepSeek-V3's activation group: 1 token x 128 channels."""
    return 1, data.value("v3_fp8_activation_tile")


def block() -> tuple[int, int]:
    """DeepSeek-V3's weight group: 128 x 128."""
    n = data.value("v3_fp8_weight_block")
    return n, n


@dataclass(frozen=True)
class Quantized:
    """An FP8 tensor with one float32 scale per group of ``group`` elements.

    ``values`` holds ``x / scale`` rounded to E4M3; ``dequantize`` multiplies back.
    """

    values: torch.Tensor        # float8_e4m3fn, the shape of the original tensor
    scales: torch.Tensor        # float32, (rows // group[0], cols // group[1])
    group: tuple[int, int]


def _check_matrix(name: str, x: object) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 2 or x.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 2-D tensor, got shape {tuple(x.shape)}")
    if x.numel() > MAX_ELEMENTS:
        raise ValueError(f"{name} must have ≤ {MAX_ELEMENTS} elements, got {x.numel()}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return x


def _group_for(x: torch.Tensor, group: tuple[int, int] | None) -> tuple[int, int]:
    rows, cols = x.shape
    if group is None:
        return rows, cols
    if (not isinstance(group, tuple) or len(group) != 2
            or not all(isinstance(g, int) and not isinstance(g, bool) and g >= 1 for g in group)):
        raise ValueError(f"group must be None or a pair of positive integers, got {group!r}")
    if rows % group[0] or cols % group[1]:
        raise ValueError(f"group {group} must divide the tensor's shape {tuple(x.shape)}")
    return group


def _grouped(x: torch.Tensor, g: tuple[int, int]) -> torch.Tensor:
    """View ``x`` as ``(rows/g0, g0, cols/g1, g1)``."""
    rows, cols = x.shape
    return x.reshape(rows // g[0], g[0], cols // g[1], g[1])


def quantize(x: torch.Tensor, group: tuple[int, int] | None = None) -> Quantized:
    """Round ``x`` to E4M3 with one scale per ``group`` (``None``: one scale for the whole tensor).

    Each group's scale maps its largest magnitude to 448, the largest E4M3 value; an all-zero
    group gets scale 1.
    """
    x = _check_matrix("x", x).to(torch.float32)
    g = _group_for(x, group)
    xg = _grouped(x, g)
    amax = xg.abs().amax(dim=(1, 3))                              # (rows/g0, cols/g1)
    scales = torch.where(amax > 0, amax / E4M3_MAX, torch.ones_like(amax))
    scaled = xg / scales[:, None, :, None]
    values = scaled.clamp(-E4M3_MAX, E4M3_MAX).to(E4M3).reshape(x.shape)
    return Quantized(values, scales, g)


def dequantize(q: Quantized) -> torch.Tensor:
    """The float32 tensor that ``q`` stands for."""
    if not isinstance(q, Quantized):
        raise TypeError(f"q must be a Quantized, got {type(q).__name__}")
    vg = _grouped(q.values.to(torch.float32), q.group)
    return (vg * q.scales[:, None, :, None]).reshape(q.values.shape)


SCHEMES = ("per-tensor", "tile", "block")


def round_trip(x: torch.Tensor, scheme: str = "per-tensor") -> torch.Tensor:
    """``x`` quantised to E4M3 and back, with V3's groups: ``"tile"`` is 1x128 (activations),
    ``"block"`` 128x128 (weights), ``"per-tensor"`` one scale for everything."""
    validate.choice("scheme", scheme, SCHEMES)
    group = {"per-tensor": None, "tile": tile(), "block": block()}[scheme]
    return dequantize(quantize(x, group))


def relative_error(reference: torch.Tensor, approx: torch.Tensor) -> float:
    """``||approx - reference|| / ||reference||`` (Frobenius norms), computed in float64."""
    for name, t in (("reference", reference), ("approx", approx)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if reference.shape != approx.shape:
        raise ValueError(f"shapes differ: reference {tuple(reference.shape)}, "
                         f"approx {tuple(approx.shape)}")
    ref = reference.to(torch.float64)
    norm = ref.norm()
    if norm == 0:
        raise ValueError("reference must not be all zeros (its norm is the denominator)")
    return float((approx.to(torch.float64) - ref).norm() / norm)


def error_bound(x: torch.Tensor, q: Quantized) -> torch.Tensor:
    """Elementwise bound on ``|x - dequantize(q)|`` from E4M3's rounding.

    A value in the normal range is rounded to 3 mantissa bits: error ≤ 2^-4 of its magnitude.
    Below the normal range the spacing is fixed at the smallest subnormal, so the error is at most
    half of it, times the group's scale.
    """
    scale = _grouped(torch.ones_like(x, dtype=torch.float32), q.group) * q.scales[:, None, :, None]
    scale = scale.reshape(x.shape)
    return torch.maximum(x.abs().float() * 2.0 ** -(E4M3_MANTISSA_BITS + 1),
                         scale * SMALLEST_SUBNORMAL / 2)


def outlier_activations(tokens: int = 256, channels: int = 1024, outlier_fraction: float = 0.001,
                        outlier_scale: float = 1e4,
                        seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian activations with a few huge entries, and the mask of those entries.

    ``outlier_fraction`` of the entries, at random places, are multiplied by ``outlier_scale``.
    What matters for FP8 is the error on the *other* entries, which a shared scale can crush.
    """
    validate.integer("tokens", tokens, low=1, high=1 << 14)
    validate.integer("channels", channels, low=1, high=1 << 14)
    validate.number("outlier_fraction", outlier_fraction, low=0.0, high=1.0)
    validate.number("outlier_scale", outlier_scale, low=1.0, high=1e6)
    validate.integer("seed", seed, low=0)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(tokens, channels, generator=gen)
    is_outlier = torch.rand(tokens, channels, generator=gen) < outlier_fraction
    return torch.where(is_outlier, x * outlier_scale, x), is_outlier


def ordinary_error(outlier_scale: float, scheme: str, seed: int = 0) -> float:
    """Relative round-trip error of the *ordinary* (non-outlier) entries of
    ``outlier_activations(outlier_scale=...)`` under ``scheme``."""
    x, is_outlier = outlier_activations(outlier_scale=outlier_scale, seed=seed)
    y = round_trip(x, scheme)
    return relative_error(x[~is_outlier], y[~is_outlier])


# --------------------------------------------------------------------------------------------
# Accumulation precision
# --------------------------------------------------------------------------------------------

ROUNDING = ("truncate", "nearest")


def round_to_bits(x: torch.Tensor, bits: int, rounding: str = "truncate") -> torch.Tensor:
    """``x`` (float64) kept to ``bits`` significant bits: ``"truncate"`` drops the rest (rounds
    towards zero), ``"nearest"`` rounds to the nearest (ties to even)."""
    validate.integer("bits", bits, low=1, high=52)
    validate.choice("rounding", rounding, ROUNDING)
    mantissa, exponent = torch.frexp(x)                  # x = mantissa * 2^exponent, |m| in [0.5, 1)
    scaled = mantissa * 2.0 ** bits
    scaled = torch.trunc(scaled) if rounding == "truncate" else torch.round(scaled)
    return torch.ldexp(scaled / 2.0 ** bits, exponent)


def _check_matmul(a, b, bits, promote_every, rounding) -> tuple[torch.Tensor, torch.Tensor]:
    """The arguments of ``limited_precision_matmul`` checked; ``a`` and ``b`` as float64."""
    a, b = _check_matrix("a", a), _check_matrix("b", b)
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"inner dimensions differ: a is {tuple(a.shape)}, b is {tuple(b.shape)}")
    if a.shape[1] > MAX_K:
        raise ValueError(f"K (a.shape[1]) must be ≤ {MAX_K}, got {a.shape[1]}")
    if promote_every is not None:
        validate.integer("promote_every", promote_every, low=1, high=MAX_K)
    validate.integer("bits", bits, low=1, high=52)
    validate.choice("rounding", rounding, ROUNDING)
    return a.to(torch.float64), b.to(torch.float64)


def limited_precision_matmul(a: torch.Tensor, b: torch.Tensor, bits: int = 14,
                             promote_every: int | None = None,
                             rounding: str = "truncate") -> torch.Tensor:
    """``a @ b`` summed one product at a time in an accumulator that keeps ``bits`` bits.

    Each product of two FP8 values is exact; it is added to the running sum, which is then cut to
    ``bits`` significant bits. With ``promote_every = N``, every ``N`` products the running sum
    is added into a separate FP32 accumulator and restarted from zero: V3's fix (N_C = 128).
    Returns float64 holding the float32 result.
    """
    a, b = _check_matmul(a, b, bits, promote_every, rounding)
    acc = torch.zeros(a.shape[0], b.shape[1], dtype=torch.float64)
    fp32 = torch.zeros_like(acc)
    for k in range(a.shape[1]):
        acc = round_to_bits(acc + a[:, k:k + 1] * b[k:k + 1, :], bits, rounding)
        if promote_every and (k + 1) % promote_every == 0:
            fp32 = (fp32 + acc).to(torch.float32).to(torch.float64)
            acc = torch.zeros_like(acc)
    return (fp32 + acc).to(torch.float32).to(torch.float64)


def accumulation_error(k: int, bits: int = 14, promote_every: int | None = None,
                       rounding: str = "truncate", size: int = 32, seed: int = 0) -> float:
    """Relative error of a ``size x k`` by ``k x size`` FP8 GEMM from the accumulator alone.

    The inputs are random normal values already rounded to E4M3, so the exact product of those
    very inputs (computed in float64) is the reference: what is measured is the accumulation.
    """
    validate.integer("k", k, low=1, high=MAX_K)
    validate.integer("size", size, low=1, high=256)
    validate.integer("seed", seed, low=0)
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(size, k, generator=gen).to(E4M3).to(torch.float64)
    b = torch.randn(k, size, generator=gen).to(E4M3).to(torch.float64)
    exact = a @ b
    return relative_error(exact, limited_precision_matmul(a, b, bits, promote_every, rounding))
