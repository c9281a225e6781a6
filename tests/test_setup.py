"""The project's own set-up promises: exact pins, CPU torch, a lean Binder, the README's commands, CI."""

import ast
import json
import re
import sys
from importlib import metadata

import nbformat
from conftest import ROOT
from packaging.requirements import Requirement

# Tools that build or test the book: never in what Binder installs (binder/postBuild: the runtime
# pins, and the grader without its declared dependencies).
BUILD_TOOLS = {"jupyter-book", "sphinx", "myst-nb", "myst-parser", "sphinx-book-theme", "pydata-sphinx-theme",
               "sphinxcontrib-bibtex", "sphinx-exercise", "sphinx-reredirects", "playwright", "kaleido", "pytest",
               "nbval", "ruff", "pre-commit", "nbstripout", "jupyter-cache", "docutils"}
RUNTIME, GRADER, FULL = (ROOT / f for f in ("requirements-runtime.txt", "requirements-grader.txt", "requirements.txt"))


def requirement_lines(path):
    return [x.split("#")[0].strip() for x in path.read_text().splitlines() if x.split("#")[0].strip()]


def pins(path) -> list[str]:
    return [x for x in requirement_lines(path) if not x.startswith("-")]


def test_every_requirement_is_pinned_exactly_and_each_has_one_home():
    for line in pins(RUNTIME) + pins(GRADER) + pins(FULL):
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+]+", line), f"not pinned: {line}"
    assert "torch==2.13.0" in pins(RUNTIME)
    assert {"-r requirements-runtime.txt", "-r requirements-grader.txt"} <= set(requirement_lines(FULL))
    names = [Requirement(x).name.lower() for x in pins(RUNTIME) + pins(GRADER) + pins(FULL)]
    assert len(names) == len(set(names)), f"pinned twice: {sorted({n for n in names if names.count(n) > 1})}"


def test_binder_installs_the_runtime_with_cpu_torch_and_the_grader_without_its_dependencies():
    assert not (ROOT / "binder" / "requirements.txt").exists(), "binder/postBuild is the one install step"
    steps = [x for x in (ROOT / "binder" / "postBuild").read_text().splitlines() if x.startswith("pip install")]
    assert len(steps) == 2 and all("--no-compile" in x for x in steps), steps
    assert "download.pytorch.org/whl/cpu" in (ROOT / "binder" / "postBuild").read_text()
    assert "-r requirements-runtime.txt" in steps[0] and "--no-deps" not in steps[0]
    assert "--no-deps -r requirements-grader.txt" in steps[1]
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


def runtime_distributions() -> set[str]:
    """What binder/postBuild installs: the runtime pins with their dependencies, the grader without."""
    return _closure([Requirement(x).name for x in pins(RUNTIME)] + ["tinyseek"]) | {
        Requirement(x).name.lower() for x in pins(GRADER)}


def test_no_build_or_test_tool_in_the_runtime():
    crept = sorted(runtime_distributions() & BUILD_TOOLS)
    assert not crept, f"Binder would install build or test tools: {crept}"


def imported_modules(path) -> set[str]:
    """Top-level modules a notebook's code cells import (IPython magics left out)."""
    names = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code":
            code = "\n".join(x for x in cell.source.splitlines() if not x.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.Import):
                    names |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names.add(node.module.split(".")[0])
    return names


def test_every_notebook_runs_on_what_binder_installs():
    """A chapter or exercise importing a build or test tool (myst_nb, pytest) fails in Binder and Colab."""
    runtime, provided = runtime_distributions(), metadata.packages_distributions()
    for path in sorted((ROOT / "book").glob("*.ipynb")) + sorted((ROOT / "exercises").rglob("*.ipynb")):
        missing = {m for m in imported_modules(path) - set(sys.stdlib_module_names) - {"tinyseek"}
                   if not {d.lower() for d in provided.get(m, [])} & runtime}
        assert not missing, f"{path.relative_to(ROOT)} imports {sorted(missing)}, which Binder does not install"


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "set -euo pipefail" in ci


def test_javascript_is_pinned_exactly_and_plotly_js_is_the_one_the_plotly_wheel_draws_with():
    """`make vendor` installs package-lock.json with `npm ci`; a figure's spec is made by the
    plotly wheel and drawn on the site by the vendored plotly.js, so the two versions must agree."""
    from plotly.offline import get_plotlyjs_version

    wanted = json.loads((ROOT / "package.json").read_text())["dependencies"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in wanted.values()), "exact versions only"
    assert {name: locked[f"node_modules/{name}"]["version"] for name in wanted} == wanted
    assert all(locked[f"node_modules/{name}"]["integrity"].startswith("sha512-") for name in wanted)
    assert wanted["plotly.js-cartesian-dist-min"] == get_plotlyjs_version(), \
        "upgrade plotly.js-cartesian-dist-min in package.json with the plotly wheel (npm install --package-lock-only)"
