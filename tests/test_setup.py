"""The project's own set-up promises: exact pins, CPU torch, a lean Binder, the README's commands, CI."""

import re
from importlib import metadata

from conftest import ROOT
from packaging.requirements import Requirement

# Tools that build or test the book: never in what Binder installs (requirements-runtime.txt).
BUILD_TOOLS = {"jupyter-book", "sphinx", "myst-nb", "myst-parser", "sphinx-book-theme", "pydata-sphinx-theme",
               "sphinxcontrib-bibtex", "sphinx-exercise", "sphinx-reredirects", "playwright", "kaleido", "pytest",
               "nbval", "ruff", "pre-commit", "nbstripout", "jupyter-cache"}
# The grader cannot be had without them: otter-grader requires fica, which requires Sphinx, and
# nbconvert[webpdf], which requires playwright (0.14 GB; otter's PDF export, not its checks).
GRADER_NEEDS = {"sphinx", "playwright"}


def requirement_lines(path):
    return [x.split("#")[0].strip() for x in path.read_text().splitlines() if x.split("#")[0].strip()]


def pins(path) -> list[str]:
    return [x for x in requirement_lines(path) if not x.startswith("-")]


def test_every_requirement_is_pinned_exactly_and_the_runtime_is_their_one_home():
    runtime, full = ROOT / "requirements-runtime.txt", ROOT / "requirements.txt"
    for line in pins(runtime) + pins(full):
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+]+", line), f"not pinned: {line}"
    assert "torch==2.13.0" in pins(runtime)
    assert "-r requirements-runtime.txt" in requirement_lines(full)
    twice = {Requirement(x).name.lower() for x in pins(runtime)} & {Requirement(x).name.lower() for x in pins(full)}
    assert not twice, f"pinned in both requirements files: {twice}"


def test_binder_installs_only_the_runtime_with_cpu_torch():
    lines = requirement_lines(ROOT / "binder" / "requirements.txt")
    assert "-r ../requirements-runtime.txt" in lines and "-r ../requirements.txt" not in lines
    assert any("download.pytorch.org/whl/cpu" in x for x in lines)
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def _closure(names: list[str]) -> set[str]:
    """Every distribution that installing ``names`` pulls in (from this environment's metadata)."""
    seen, todo = set(), [(n.lower(), "") for n in names]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in map(Requirement, requires):
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                todo += [(req.name.lower().replace("_", "-"), e) for e in ["", *req.extras]]
    return {name for name, _ in seen}


def test_no_build_or_test_tool_in_the_runtime():
    names = [Requirement(x).name for x in pins(ROOT / "requirements-runtime.txt")] + ["tinyseek"]
    crept = sorted(_closure(names) & BUILD_TOOLS - (GRADER_NEEDS & _closure(["otter-grader"])))
    assert not crept, f"requirements-runtime.txt pulls in build or test tools: {crept}"


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "set -euo pipefail" in ci
