"""Accelerators as data: what a chip can compute, hold, read and send.

Four numbers decide most of what a chip is worth for training a large language model: how fast
its tensor cores multiply (by precision), how much high-bandwidth memory (HBM) it has, how fast it
reads that memory, and how fast it talks to its neighbours (the chip-to-chip interconnect, NVLink
on NVIDIA parts). The export rules of Part II measure the first and, in 2022, the last; the
H800 that DeepSeek trained on differs from the H100 only in the last.

:class:`Chip` holds those figures. Readers can build their own (``Chip(name="mine", ...)``) and
every field is checked. :func:`get` and :func:`all` read the sourced database in
``data/chips.yaml``, where every figure carries its source and status.

All throughputs are **dense**: NVIDIA's headline figures assume 2:4 structured sparsity and are
twice as large. Export rules and model-FLOPs utilisation both use dense figures.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from dataclasses import dataclass, fields, replace

from . import data, validate

# Sanity ceilings: beyond any chip of the 2020s by a factor of about a hundred, so that a slip of
# units (TFLOPS typed as FLOPS) is caught rather than plotted.
MAX_TFLOPS = 1e6
MAX_GB = 1e5
MAX_GBS = 1e6
MAX_MM2 = 1e5
MAX_W = 1e5

# The precisions this package knows, with their bit length (used by the export rules' TPP).
PRECISIONS = {"bf16": 16, "fp8": 8, "int8": 8}
_RATE_FIELD = {"bf16": "bf16_tflops", "fp8": "fp8_tflops", "int8": "int8_tops"}

# The database's chips, in the order the book shows them (key in chips.yaml -> group name).
KNOWN = ("a100", "a800", "h100", "h800", "h20", "h200", "b200", "ascend910b", "ascend910c")


@dataclass(frozen=True)
class Chip:
    """One accelerator's published figures (dense throughput; ``None`` where not applicable).

    ``bf16_tflops``, ``fp8_tflops``, ``int8_tops``: dense tensor throughput, in tera-operations
    per second; ``None`` where the chip lacks the format (the A100 has no FP8).
    ``memory_gb`` and ``memory_bandwidth_gbs``: HBM capacity (GB) and bandwidth (GB/s).
    ``interconnect_gbs``: aggregate *bidirectional* chip-to-chip bandwidth (GB/s), e.g. NVLink;
    one direction carries half. ``die_area_mm2``: the logic die area that the 2023 rule divides
    by; ``None`` where no figure is published or sources disagree. ``datacenter``: designed or
    marketed for data centres (the 2023 rule exempts some parts that are not).
    """

    name: str
    vendor: str = ""
    bf16_tflops: float | None = None
    fp8_tflops: float | None = None
    int8_tops: float | None = None
    memory_gb: float | None = None
    memory_bandwidth_gbs: float | None = None
    interconnect_gbs: float | None = None
    die_area_mm2: float | None = None
    tdp_w: float | None = None
    datacenter: bool = True
    released: _dt.date | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("name must be non-empty text")
        if not isinstance(self.vendor, str):
            raise TypeError(f"vendor must be text, got {type(self.vendor).__name__}")
        limits = {"bf16_tflops": MAX_TFLOPS, "fp8_tflops": MAX_TFLOPS, "int8_tops": MAX_TFLOPS,
                  "memory_gb": MAX_GB, "memory_bandwidth_gbs": MAX_GBS,
                  "interconnect_gbs": MAX_GBS, "die_area_mm2": MAX_MM2, "tdp_w": MAX_W}
        for name, high in limits.items():
            x = getattr(self, name)
            if x is not None:
                # A zero rate or area is not a chip: use None for "lacks this format".
                object.__setattr__(self, name, validate.positive(name, x, high=high))
        if not isinstance(self.datacenter, bool):
            raise TypeError(f"datacenter must be True or False, got {self.datacenter!r}")
        if self.released is not None and not isinstance(self.released, _dt.date):
            raise TypeError(f"released must be a datetime.date or None, got {self.released!r}")

    def tops(self, precision: str) -> float | None:
        """Dense tera-operations per second at ``precision`` ('bf16', 'fp8' or 'int8')."""
        validate.choice("precision", precision, tuple(PRECISIONS))
        return getattr(self, _RATE_FIELD[precision])

    @property
    def precisions(self) -> tuple[str, ...]:
        """The precisions this chip supports, best first by the order of ``PRECISIONS``."""
        return tuple(p for p in PRECISIONS if self.tops(p) is not None)

    def with_(self, **changes) -> Chip:
        """A copy with some fields changed (and checked): ``h100.with_(interconnect_gbs=400)``."""
        return replace(self, **changes)


FIELDS = tuple(f.name for f in fields(Chip))


def make(precision: str, tops: float, name: str = "your chip", **other) -> Chip:
    """A chip with one throughput figure: ``make("fp8", 296, die_area_mm2=814)``.

    ``tops`` is the dense rate at ``precision`` ('bf16', 'fp8' or 'int8'); ``other`` are any
    further :class:`Chip` fields. For the calculators, where a reader types one number.
    """
    validate.choice("precision", precision, tuple(PRECISIONS))
    return Chip(name=name, **{_RATE_FIELD[precision]: tops}, **other)


def _key(name: str) -> str:
    """The database key for a name as a reader types it: 'H800', 'h800 sxm', 'A100-SXM'."""
    if not isinstance(name, str):
        raise TypeError(f"name must be text, got {type(name).__name__}")
    k = name.split("(")[0].strip().lower().replace("-", " ").replace("_", " ")
    for suffix in (" sxm 80gb", " sxm", " 80gb"):
        if k.endswith(suffix):
            k = k[: -len(suffix)]
    return k.replace(" ", "")


def _build(key: str, low: bool | None = None) -> Chip:
    """The chip ``key`` from the data. A conflicted field is ``None``, or its lowest (``low``
    True) or highest (``low`` False) sourced value."""
    facts = data.group(key)
    kwargs = {}
    for field, fact in facts.items():
        if field not in FIELDS:
            raise data.DataError(f"{fact.file}: entry '{key}.{field}' is not a Chip field; "
                                 f"allowed: {', '.join(FIELDS)}")
        if fact.is_conflict:
            kwargs[field] = None if low is None else fact.range[0 if low else 1]
        else:
            kwargs[field] = fact.value
    return Chip(**kwargs)


def get(name: str) -> Chip:
    """The chip called ``name`` (case-insensitive; 'H800', 'h800', 'H800 SXM' all work).

    Fields the sources disagree on are ``None`` here; :func:`bounds` gives their range.
    """
    key = _key(name)
    if key not in KNOWN:
        close = difflib.get_close_matches(key, KNOWN, n=2)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown chip {name!r}; known chips: {', '.join(KNOWN)}.{hint}")
    return _build(key)


def all() -> list[Chip]:  # noqa: A001 - shadows the builtin inside this module only; not used here
    """Every chip in the database, in the book's order (oldest design first)."""
    return [_build(k) for k in KNOWN]


def conflicts(name: str) -> dict[str, data.Fact]:
    """The fields of chip ``name`` whose sources disagree, with every sourced value."""
    get(name)  # checks the name
    return {f: fact for f, fact in data.group(_key(name)).items() if fact.is_conflict}


def bounds(name: str) -> tuple[Chip, Chip]:
    """Two versions of chip ``name``: every conflicted field at its lowest, then its highest
    sourced value. Anything computed from both brackets what the sources allow."""
    get(name)
    key = _key(name)
    return _build(key, low=True), _build(key, low=False)


def facts(name: str) -> dict[str, data.Fact]:
    """Every sourced fact behind chip ``name``, by field (absent fields are simply missing)."""
    get(name)
    return data.group(_key(name))


def fact(name: str, field: str) -> data.Fact:
    """The sourced fact behind one figure, e.g. ``fact('h800', 'interconnect_gbs').source``."""
    get(name)
    validate.choice("field", field, FIELDS)
    return data.fact(f"{_key(name)}.{field}")
