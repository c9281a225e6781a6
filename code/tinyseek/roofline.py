"""How fast a chip can really go: the roofline for compute, and a simple model for communication.

**Roofline.** A kernel that performs ``F`` floating-point operations while moving ``B`` bytes
between HBM and the chip has *arithmetic intensity* ``I = F / B`` (FLOP per byte). It cannot run
faster than the tensor cores (the flat roof, ``peak``) nor faster than memory can feed them (the
slope, ``I × memory bandwidth``)::

    attainable(I) = min(peak, I × bandwidth)

The two meet at the *ridge point* ``peak / bandwidth``: kernels to its left are memory-bound,
kernels to its right compute-bound. An H100 at FP8 needs about 590 FLOP per byte read to keep
its tensor cores busy; a matrix-vector product offers 1 to 2 (two FLOPs per weight read).

**Communication.** Moving ``n`` bytes over a link of bandwidth ``b`` (one direction) with a fixed
start-up latency ``t0`` takes::

    t = t0 + n / (efficiency × b)

Links are full duplex: a GPU can send and receive at the same time, each at the one-direction
rate. NVIDIA quotes NVLink as *aggregate bidirectional* bandwidth (900 GB/s on the H100, 400 GB/s
on the H800), so one direction is half of that: :meth:`Link.from_chip` does the halving.

In an **all-to-all** over ``n`` GPUs behind a non-blocking switch, each GPU holds a buffer of
which a share ``1/n`` stays home and ``(n - 1)/n`` leaves through its own link, while it receives
as much through the other direction. The step therefore takes
``t0 + (n - 1)/n × bytes_per_gpu / b``: the time of one GPU's link, which is why cutting the
link's bandwidth (the H800) slows every expert-parallel MoE layer in proportion.

Units everywhere: TFLOPS (10^12 FLOP/s), GB/s (10^9 B/s), bytes, seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import data, validate
from .chips import PRECISIONS, Chip

MAX_BYTES = 1e18     # an exabyte in one transfer is a typo
MAX_INTENSITY = 1e9  # FLOP per byte
MAX_GPUS = 1_000_000


def _check_chip(chip: object) -> Chip:
    if not isinstance(chip, Chip):
        raise TypeError(f"chip must be a tinyseek.chips.Chip, got {type(chip).__name__}")
    return chip


def peak_tflops(chip: Chip, precision: str) -> float:
    """The chip's dense tensor throughput at ``precision`` ('bf16', 'fp8' or 'int8'), TFLOPS."""
    chip = _check_chip(chip)
    validate.choice("precision", precision, tuple(PRECISIONS))
    peak = chip.tops(precision)
    if peak is None:
        have = ", ".join(chip.precisions)
        raise ValueError(f"precision {precision!r}: {chip.name} has no {precision} figure "
                         f"(it has {have})")
    return peak


def _bandwidth(chip: Chip) -> float:
    if chip.memory_bandwidth_gbs is None:
        raise ValueError(f"memory_bandwidth_gbs: {chip.name} has no memory bandwidth figure")
    return chip.memory_bandwidth_gbs


def ridge_point(chip: Chip, precision: str) -> float:
    """Arithmetic intensity (FLOP per byte of HBM traffic) where the roofline bends.

    Below it a kernel is limited by memory bandwidth, above it by the tensor cores.
    ``peak (TFLOPS) × 1e12 / (bandwidth (GB/s) × 1e9)``.
    """
    return peak_tflops(chip, precision) * 1e12 / (_bandwidth(_check_chip(chip)) * 1e9)


def attainable_tflops(chip: Chip, precision: str, intensity: float) -> float:
    """The roofline: the most TFLOPS a kernel of ``intensity`` FLOP/byte can reach on ``chip``."""
    intensity = validate.positive("intensity", intensity, high=MAX_INTENSITY)
    peak = peak_tflops(chip, precision)
    memory_roof = intensity * _bandwidth(chip) * 1e9 / 1e12
    return min(peak, memory_roof)


def is_memory_bound(chip: Chip, precision: str, intensity: float) -> bool:
    """True when a kernel of ``intensity`` sits left of the ridge point (memory-bound)."""
    intensity = validate.positive("intensity", intensity, high=MAX_INTENSITY)
    return intensity < ridge_point(chip, precision)


def matmul_intensity(m: int, k: int, n: int, bytes_per_value: float) -> float:
    """Arithmetic intensity of multiplying an ``m × k`` matrix by a ``k × n`` one, reading both
    and writing the ``m × n`` result once: ``2mkn / (bytes × (mk + kn + mn))`` FLOP per byte.

    With ``m = 1`` (one token, as in decoding) it is about 2 / bytes: deep in memory-bound land.
    With thousands of tokens per expert it is in the hundreds or more.
    """
    m = validate.integer("m", m, low=1, high=10**9)
    k = validate.integer("k", k, low=1, high=10**9)
    n = validate.integer("n", n, low=1, high=10**9)
    bytes_per_value = validate.positive("bytes_per_value", bytes_per_value, high=16)
    return 2.0 * m * k * n / (bytes_per_value * (m * k + k * n + m * n))


def compute_time(flops: float, chip: Chip, precision: str, utilisation: float = 1.0) -> float:
    """Seconds to perform ``flops`` on ``chip`` at ``precision``, running at ``utilisation`` of
    its dense peak (1.0 is the unreachable best case; real training reaches well under it)."""
    flops = validate.non_negative("flops", flops, high=1e30)
    utilisation = validate.fraction("utilisation", utilisation)
    return flops / (peak_tflops(chip, precision) * 1e12 * utilisation)


@dataclass(frozen=True)
class Link:
    """A chip-to-chip or node-to-node link.

    ``gbs``: bandwidth in **one direction**, GB/s (full duplex: the other direction carries as
    much at the same time). ``latency_s``: fixed cost per transfer, seconds. ``efficiency``: the
    share of ``gbs`` that transfers achieve, in (0, 1].
    """

    name: str
    gbs: float
    latency_s: float = 0.0
    efficiency: float = 1.0

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("name must be non-empty text")
        object.__setattr__(self, "gbs", validate.positive("gbs", self.gbs, high=1e6))
        object.__setattr__(self, "latency_s",
                           validate.non_negative("latency_s", self.latency_s, high=10.0))
        object.__setattr__(self, "efficiency", validate.fraction("efficiency", self.efficiency))

    @property
    def effective_gbs(self) -> float:
        """The one-direction bandwidth transfers achieve: ``gbs × efficiency``."""
        return self.gbs * self.efficiency

    @classmethod
    def from_chip(cls, chip: Chip, latency_s: float = 0.0, efficiency: float = 1.0) -> Link:
        """The chip's NVLink-class interconnect, one direction: half its aggregate bidirectional
        ``interconnect_gbs`` (900 GB/s on an H100 gives 450 GB/s each way)."""
        chip = _check_chip(chip)
        if chip.interconnect_gbs is None:
            raise ValueError(f"interconnect_gbs: {chip.name} has no interconnect figure")
        return cls(f"{chip.name} interconnect", chip.interconnect_gbs / 2, latency_s, efficiency)

    @classmethod
    def v3_nvlink(cls) -> Link:
        """The intra-node NVLink bandwidth DeepSeek's V3 report works with (160 GB/s).

        Read as one direction: 160 GB/s is 80% of the 200 GB/s each way that the H800's listed
        400 GB/s aggregate gives. That reading is this book's, not the report's words.
        """
        return cls("H800 NVLink (V3 report's figure)", data.value("v3_interconnect.nvlink_gbs"))

    @classmethod
    def v3_infiniband(cls) -> Link:
        """The cross-node InfiniBand bandwidth in DeepSeek's V3 report (50 GB/s, one direction,
        i.e. one 400 Gb/s network card per GPU)."""
        return cls("InfiniBand (V3 report's figure)", data.value("v3_interconnect.ib_gbs"))


def _check_link(link: object) -> Link:
    if not isinstance(link, Link):
        raise TypeError(f"link must be a tinyseek.roofline.Link, got {type(link).__name__}")
    return link


def transfer_time(n_bytes: float, link: Link) -> float:
    """Seconds to send ``n_bytes`` one way over ``link``: latency + bytes / effective bandwidth."""
    n_bytes = validate.non_negative("n_bytes", n_bytes, high=MAX_BYTES)
    link = _check_link(link)
    return link.latency_s + n_bytes / (link.effective_gbs * 1e9)


def all_to_all_time(bytes_per_gpu: float, n_gpus: int, link: Link) -> float:
    """Seconds for an all-to-all in which each of ``n_gpus`` GPUs scatters ``bytes_per_gpu``
    evenly over all of them (itself included), through a non-blocking switch.

    Each GPU sends ``(n_gpus - 1) / n_gpus`` of its buffer out of its own link while receiving as
    much on the other direction, so the step costs one link's time for that share.
    """
    bytes_per_gpu = validate.non_negative("bytes_per_gpu", bytes_per_gpu, high=MAX_BYTES)
    n_gpus = validate.integer("n_gpus", n_gpus, low=1, high=MAX_GPUS)
    leaving = bytes_per_gpu * (n_gpus - 1) / n_gpus
    if leaving == 0:
        return 0.0
    return transfer_time(leaving, link)


def moe_dispatch_bytes(tokens: int, hidden: int, experts_per_token: int,
                       bytes_per_value: float) -> float:
    """Bytes one GPU sends to dispatch ``tokens`` tokens to their experts: each token's
    ``hidden``-wide activation goes once per chosen expert (``experts_per_token``), at
    ``bytes_per_value`` (1 for FP8, 2 for BF16). The combine step sends the same amount back.

    An upper bound: copies for experts on the sending GPU itself, or de-duplicated per node (as
    DeepSeek-V3 does), travel less.
    """
    tokens = validate.integer("tokens", tokens, low=0, high=10**12)
    hidden = validate.integer("hidden", hidden, low=1, high=10**7)
    experts_per_token = validate.integer("experts_per_token", experts_per_token, low=1,
                                         high=10**4)
    bytes_per_value = validate.positive("bytes_per_value", bytes_per_value, high=16)
    return float(tokens) * hidden * experts_per_token * bytes_per_value
