"""The book's facts as data: every figure with its unit, its source and its status.

Each ``*.yaml`` file beside this module maps a fact's key to an entry::

    v3_pretrain_gpu_hours:
      value: 2664000
      unit: GPU-hour
      source: deepseekv3        # a key of book/references.bib
      status: primary           # see STATUSES
      where: Table 1            # where in the source (optional but encouraged)
      note: ...                 # optional

A figure the sources disagree on has ``status: conflict`` and, instead of ``value``, a list
``values`` of ``{value, source, where}``: the book shows the disagreement, never one pick.

Related facts can be grouped one level deep: a top-level key whose entries are themselves
entries (no ``unit``/``status`` of its own) defines the keys ``group.entry``::

    h800:
      bf16_tflops: {value: 989, unit: TFLOPS, source: ..., status: secondary}

gives ``fact("h800.bf16_tflops")``; ``group("h800")`` returns all of them.

Keys are unique across all files. Loading validates everything and names the file and the entry
of the first problem, so a typo in the data cannot reach a chapter as a silent wrong number.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent

STATUSES = {
    "primary": "read in the primary source (paper, rule text, datasheet, model card)",
    "secondary": "read in a secondary copy: news report, transcription, law-firm quote",
    "derived": "arithmetic on sourced figures; the note gives the formula",
    "estimate": "a third party's estimate; the note says whose",
    "assumption": "a value this book chose for a scenario; no source, the note says why",
    "conflict": "sources disagree; every value is kept with its source",
}
FIELDS = {"value", "values", "unit", "source", "status", "where", "note"}
REQUIRED = {"unit", "status"}
_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class _Loader(yaml.SafeLoader):
    """YAML with the 1.2 rule for floats, so that ``2.6e6`` is a number (1.1 reads it as text)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+)[eE][-+]?\d+$"),
    list("-+0123456789."))
Scalar = int | float | str | bool | _dt.date


class DataError(ValueError):
    """A data file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Sourced:
    """One value with the source that gives it (a conflict keeps several)."""

    value: Scalar
    source: str
    where: str = ""


@dataclass(frozen=True)
class Fact:
    key: str
    unit: str
    status: str
    values: tuple[Sourced, ...]
    note: str = ""
    file: str = ""

    @property
    def is_conflict(self) -> bool:
        return self.status == "conflict"

    @property
    def value(self) -> Scalar:
        """The single value. A conflict has none: read ``values`` and show them all."""
        if self.is_conflict:
            shown = ", ".join(f"{v.value} ({v.source})" for v in self.values)
            raise ValueError(f"fact {self.key!r} is in conflict ({shown}); use .values")
        return self.values[0].value

    @property
    def source(self) -> str:
        return self.values[0].source

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.source for v in self.values if v.source))

    @property
    def range(self) -> tuple[float, float]:
        """Smallest and largest numeric value (for a conflict: the span of the disagreement)."""
        nums = [v.value for v in self.values if _is_number(v.value)]
        if not nums:
            raise ValueError(f"fact {self.key!r} has no numeric value")
        return min(nums), max(nums)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_value(x: Any, where: str) -> Scalar:
    if not isinstance(x, (int, float, str, bool, _dt.date)):
        raise DataError(f"{where}: value must be a number, text or date, got {type(x).__name__}")
    if _is_number(x) and not math.isfinite(x):
        raise DataError(f"{where}: value must be finite, got {x!r}")
    if isinstance(x, str) and _FLOAT.fullmatch(x.strip()):
        raise DataError(f"{where}: {x!r} looks like a number but was read as text; unquote it")
    return x


def _parse_entry(key: str, raw: Any, file: str) -> Fact:
    where = f"{file}: entry {key!r}"
    if not isinstance(raw, dict):
        raise DataError(f"{where}: must be a mapping of fields, got {type(raw).__name__}")
    unknown = set(raw) - FIELDS
    if unknown:
        raise DataError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(FIELDS)}")
    missing = REQUIRED - set(raw)
    if missing:
        raise DataError(f"{where}: missing field(s) {sorted(missing)}")
    status = raw["status"]
    if status not in STATUSES:
        raise DataError(f"{where}: status {status!r} is not one of {sorted(STATUSES)}")
    if not isinstance(raw["unit"], str) or not raw["unit"].strip():
        raise DataError(f"{where}: unit must be non-empty text (use '1' for a pure number)")

    if status == "conflict":
        if "value" in raw or not isinstance(raw.get("values"), list) or len(raw["values"]) < 2:
            raise DataError(f"{where}: a conflict lists two or more 'values', and no 'value'")
        values = []
        for i, item in enumerate(raw["values"]):
            if not isinstance(item, dict) or not {"value", "source"} <= set(item):
                raise DataError(f"{where}: values[{i}] needs 'value' and 'source'")
            values.append(Sourced(_check_value(item["value"], where), str(item["source"]),
                                  str(item.get("where", ""))))
    else:
        if "values" in raw or "value" not in raw:
            raise DataError(f"{where}: needs one 'value' (only a conflict lists 'values')")
        if status == "assumption":
            if raw.get("source"):
                raise DataError(f"{where}: an assumption has no source; give the reason in 'note'")
            if not str(raw.get("note", "")).strip():
                raise DataError(f"{where}: an assumption needs a 'note' saying why this value")
        elif not raw.get("source"):
            raise DataError(f"{where}: missing 'source' (a key of book/references.bib)")
        values = [Sourced(_check_value(raw["value"], where), str(raw.get("source", "")),
                          str(raw.get("where", "")))]
    return Fact(key, raw["unit"], status, tuple(values), str(raw.get("note", "")), file)


@cache
def load_all(directory: str | Path = DATA_DIR) -> dict[str, Fact]:
    """Every fact of every ``*.yaml`` file in ``directory``, validated."""
    facts: dict[str, Fact] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
        except yaml.YAMLError as err:
            raise DataError(f"{path.name}: not valid YAML: {err}") from None
        if not isinstance(doc, dict):
            raise DataError(f"{path.name}: must map fact keys to entries")
        for key, raw in _flatten(doc):
            if key in facts:
                raise DataError(f"{path.name}: entry {key!r} is also in {facts[key].file}")
            facts[key] = _parse_entry(key, raw, path.name)
    return facts


def _flatten(doc: dict):
    """(key, entry) pairs, with grouped entries as ``group.entry``."""
    for key, raw in doc.items():
        is_group = (isinstance(raw, dict) and raw and not (REQUIRED & set(raw))
                    and all(isinstance(v, dict) for v in raw.values()))
        if is_group:
            for sub, entry in raw.items():
                yield f"{key}.{sub}", entry
        else:
            yield str(key), raw


def group(prefix: str) -> dict[str, Fact]:
    """The facts of group ``prefix``, keyed by their name within the group."""
    found = {k.split(".", 1)[1]: f for k, f in load_all().items() if k.startswith(prefix + ".")}
    if not found:
        raise KeyError(f"no fact group {prefix!r} in tinyseek/data/*.yaml")
    return found


def fact(key: str) -> Fact:
    """The fact called ``key``; an unknown key names the closest known ones."""
    facts = load_all()
    if key not in facts:
        close = difflib.get_close_matches(key, facts, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no fact {key!r} in tinyseek/data/*.yaml{hint}")
    return facts[key]


def value(key: str) -> Scalar:
    """Shorthand for ``fact(key).value``."""
    return fact(key).value


def bib_keys(bibfile: str | Path) -> set[str]:
    """The entry keys of a BibTeX file."""
    text = Path(bibfile).read_text(encoding="utf-8")
    return set(re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", text, flags=re.M))


def check_sources(bibfile: str | Path, facts: dict[str, Fact] | None = None) -> None:
    """Raise ``DataError`` naming the file and entry of any source missing from ``bibfile``."""
    known = bib_keys(bibfile)
    for f in (facts or load_all()).values():
        for src in f.sources:
            if src not in known:
                raise DataError(f"{f.file}: entry {f.key!r} cites {src!r}, "
                                f"which is not a key of {Path(bibfile).name}")
