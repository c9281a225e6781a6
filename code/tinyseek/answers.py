"""Answer fingerprints for the exercise notebooks' checks.

A student notebook carries its checks with it (otter stores them in the notebook), so a check
that recomputed the answer would hand the solution to anyone who reads the file. Instead a check
compares a *fingerprint*: a hash of the answer rounded to a few significant digits. The author
computes it once from the tested functions (``fingerprint(value)``); the notebook holds only the
hash.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from dataclasses import dataclass
from numbers import Real

SIG_DIGITS = 4


def _canonical(value: float, digits: int) -> str:
    return f"{float(value):.{digits - 1}e}"


def fingerprint(value: float, digits: int = SIG_DIGITS) -> str:
    """A 16-hex-digit hash of ``value`` rounded to ``digits`` significant digits."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"value must be a finite number, got {value!r}")
    if not isinstance(digits, int) or not 1 <= digits <= 15:
        raise ValueError(f"digits must be an integer from 1 to 15, got {digits!r}")
    return hashlib.sha256(_canonical(value, digits).encode()).hexdigest()[:16]


def matches(value: object, expected: str, digits: int = SIG_DIGITS) -> bool:
    """Whether ``value`` is a finite number whose fingerprint is ``expected``. Never raises."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        return False
    return fingerprint(value, digits) == expected


def is_number(value: object) -> bool:
    """A finite real number (not a bool, not ``...``): the first thing every check asks."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


# --- The summary at the end of every exercise notebook ------------------------------------------

_ASSERTION = re.compile(r"AssertionError:\s*(.+?)\s*$", re.S)


@dataclass
class Summary:
    """What ``summary`` returns: one line per question, shown as text or as a small HTML list."""

    passed: list[str]
    failed: list[tuple[str, str]]    # (question, the first hint that applies)
    points: float
    possible: float

    def lines(self) -> list[str]:
        total = len(self.passed) + len(self.failed)
        head = (f"{len(self.passed)} of {total} questions pass "
                f"({self.points:g} of {self.possible:g} points).")
        if not self.failed and total:
            head += " All done."
        rows = [f"  ✓ {name}" for name in self.passed]
        rows += [f"  ✗ {name}: {hint}" for name, hint in self.failed]
        tail = (["Run the check under each ✗ question for its message, fix the answer, and run this "
                 "cell again."] if self.failed else [])
        return [head, *rows, *tail]

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        first, *rest = self.lines()
        items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in rest
                        if line.startswith("  "))
        tail = "".join(f"<p>{html.escape(line)}</p>" for line in rest if not line.startswith("  "))
        return f"<p><strong>{html.escape(first)}</strong></p><ul>{items}</ul>{tail}"


def _hint(test_file) -> str:
    """The most specific message a failed check gives: its assertion's, else the question's."""
    for result in test_file.test_case_results:
        if not result.passed:
            found = _ASSERTION.search(result.message or "")
            if found and found.group(1).strip():
                return found.group(1).strip().strip("'\"")
            if result.test_case.failure_message:
                return result.test_case.failure_message
    return "not yet right"


def summary(results) -> Summary | None:
    """Summarise ``grader.check_all()``: how many questions pass, and a hint for each that doesn't.

    Call it as the last line of the notebook's final cell, after ``results = grader.check_all()``
    (otter reads the notebook's variables from the cell that calls it, so the call cannot live
    here). Returns None while otter grades the notebook, when ``check_all`` returns None.
    """
    if results is None:
        return None
    passed, failed = [], []
    for name, test_file in results.results.items():
        if test_file.passed_all:
            passed.append(name)
        else:
            failed.append((name, _hint(test_file)))
    return Summary(passed, failed, float(results.total), float(results.possible))
