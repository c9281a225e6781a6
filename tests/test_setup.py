"""The project's own set-up promises: exact pins, CPU torch, the README's commands, CI, Binder."""

import re

from conftest import ROOT


def requirement_lines(path):
    return [l.split("#")[0].strip() for l in path.read_text().splitlines() if l.split("#")[0].strip()]


def test_every_requirement_is_pinned_exactly():
    for line in requirement_lines(ROOT / "requirements.txt"):
        if not line.startswith("-"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+]+", line), f"not pinned: {line}"
    assert "torch==2.13.0" in requirement_lines(ROOT / "requirements.txt")


def test_binder_uses_the_same_pins_with_cpu_torch():
    lines = requirement_lines(ROOT / "binder" / "requirements.txt")
    assert "-r ../requirements.txt" in lines
    assert any("download.pytorch.org/whl/cpu" in l for l in lines)
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "set -euo pipefail" in ci
