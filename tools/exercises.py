"""Generate the student exercise notebooks from the otter-assign masters.

    python tools/exercises.py          # `make exercises`: the one step after writing a master

It does three things, for every chapter and every master it finds (none is listed here):

1. refreshes each chapter's metadata from its opening admonition (``tools/chapters.py``);
2. gives each master the book's standard first and last cells (below), so that every exercise
   notebook installs what it needs in the same way and ends with the same summary;
3. runs ``otter assign``, which strips the solutions and stores the (fingerprint-only) checks in
   the notebook's metadata, and writes ``exercises/NN-slug.ipynb``. Its output has random cell
   ids; we renumber them so that regenerating an unchanged master gives a byte-identical file,
   which is what tests/test_exercises.py relies on.

The standard set-up cell takes the repository's address and branch from ``_config.yml`` and the
grader's version from ``requirements.txt``, so pinning a course to a tag is a one-line change there.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "exercises" / "masters"
STUDENTS = ROOT / "exercises"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import chapters  # noqa: E402

SETUP = '''\
# Set-up for Colab, Binder or a JupyterHub: install the book's package and the grader when they
# are missing. Colab opens a copy of this notebook without the file itself, so there (only) fetch
# the file: the checks are stored in it.
import importlib.util, pathlib, subprocess, sys, urllib.request
REPO = "{repo}"
BRANCH = "{branch}"
NOTEBOOK = "{notebook}"
if importlib.util.find_spec("tinyseek") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"tinyseek @ git+{{REPO}}@{{BRANCH}}"], check=True)
if importlib.util.find_spec("otter") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{otter}"], check=True)
if "google.colab" in sys.modules and not pathlib.Path(NOTEBOOK).exists():
    raw = REPO.replace("https://github.com/", "https://raw.githubusercontent.com/")
    urllib.request.urlretrieve(f"{{raw}}/{{BRANCH}}/exercises/{{NOTEBOOK}}", NOTEBOOK)

import otter
from tinyseek import answers
grader = otter.Notebook(NOTEBOOK)'''

SUMMARY_MD = """## Your results

When you have answered every question, run the cell below. It runs every check again and lists
which answers pass; for each that does not, it repeats the most specific hint."""

SUMMARY_CODE = """\
# Summary of your results
results = grader.check_all()
answers.summary(results)"""


# A raw cell that starts with this line holds one self-check question (YAML) for the book's page.
SELF_CHECK = "# SELF-CHECK"


def masters() -> list[Path]:
    return sorted(MASTERS.glob("*.ipynb"))


def otter_requirement() -> str:
    pins = re.findall(r"^otter-grader==\S+", (ROOT / "requirements.txt").read_text(), re.M)
    return pins[0] if pins else "otter-grader"


def setup_source(notebook: str) -> str:
    repo, branch = chapters.repository(ROOT)
    return SETUP.format(repo=repo, branch=branch, notebook=notebook, otter=otter_requirement())


def prepared(master: Path, generate: bool = False) -> nbformat.NotebookNode:
    """The master with the standard set-up and summary cells, as ``otter assign`` will read it.

    An existing set-up cell (the first code cell that sets ``REPO``) is replaced; otherwise the
    set-up goes after the first markdown cell. The summary replaces otter's own ``check_all``
    cell, whose output repeats every failure in full.
    """
    nb = nbformat.read(master, as_version=4)
    config_cell = nb.cells[0]
    if config_cell.cell_type != "raw" or "ASSIGNMENT CONFIG" not in config_cell.source:
        raise ValueError(f"{master.name}: the first cell must be otter's raw '# ASSIGNMENT CONFIG' cell")
    config = yaml.safe_load(config_cell.source.split("\n", 1)[1]) or {}
    config["check_all_cell"] = False
    config["generate"] = bool(generate)
    config_cell.source = "# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False).strip()

    with_setup(nb, master.name)
    # self-check questions belong to the static page (see SELF_CHECK), not to the graded notebook
    nb.cells = [c for c in nb.cells if "# Summary of your results" not in c.source
                and not c.source.startswith(("## Your results", SELF_CHECK))]
    locked = {"deletable": False, "editable": False}     # as otter marks its own check cells
    nb.cells += [nbformat.v4.new_markdown_cell(SUMMARY_MD, metadata=dict(locked)),
                 nbformat.v4.new_code_cell(SUMMARY_CODE, metadata=dict(locked))]
    return nb


def _own_lines(old: str, standard: str) -> list[str]:
    """What an author added to a set-up cell: lines after the grader's, and imports of their own."""
    lines = old.splitlines()
    at = next((i for i, l in enumerate(lines) if l.startswith("grader = otter.Notebook(")), len(lines))
    after = [l for l in lines[at + 1:]]
    imports = [l for l in lines[:at] if l.startswith(("import ", "from ")) and l not in standard.splitlines()
               and "importlib.util" not in l]
    return [l for l in imports if l not in after] + after


def with_setup(nb: nbformat.NotebookNode, name: str) -> bool:
    """Give ``nb`` the standard set-up cell (in place); returns whether anything changed.

    Lines an author added to the old set-up cell (their own imports, code after the grader's
    line) are kept, after the standard ones.
    """
    source = setup_source(name)
    existing = next((c for c in nb.cells if c.cell_type == "code" and "REPO = " in c.source), None)
    if existing is not None:
        own = _own_lines(existing.source, source)
        if own:
            source = source + "\n" + "\n".join(own).rstrip()
        changed = existing.source != source
        existing.source = source
        return changed
    first_md = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), 0)
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = "setup"
    nb.cells.insert(first_md + 1, cell)
    return True


def unbound_names(master: Path) -> dict[str, list[str]]:
    """Names each check function uses without defining, importing or taking them as parameters.

    otter runs a check in a namespace of its own and passes it only the notebook variables named
    as its parameters, so a check that reads another notebook global (``cost``, ``run``) passes in
    the master, where its ``# IGNORE`` line calls it with the notebook's globals, and fails for
    every student. Empty lists are what a master should have.
    """
    import ast
    import builtins

    found: dict[str, list[str]] = {}
    for cell in nbformat.read(master, as_version=4).cells:
        if cell.cell_type != "code" or not re.search(r"^def test_", cell.source, re.M):
            continue
        tree = ast.parse(re.sub(r"^.*#\s*IGNORE\s*$", "", cell.source, flags=re.M))
        for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            bound = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
            used = set()
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
                elif isinstance(node, ast.Name):
                    (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
                elif isinstance(node, ast.arg):
                    bound.add(node.arg)
            found[fn.name] = sorted(used - bound - set(dir(builtins)))
    return found


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Deterministic ids, no outputs, no execution counts."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    return nb


def assign(master: Path, out: Path, generate: bool = False) -> Path:
    """Run ``otter assign`` on the prepared master into ``out``; returns ``out``."""
    out = out.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / master.name
        nbformat.write(prepared(master, generate), source)
        otter = Path(sys.executable).with_name("otter")
        done = subprocess.run([str(otter), "assign", str(source), str(out)], capture_output=True,
                              text=True, cwd=tmp)
        if done.returncode != 0:
            raise RuntimeError(f"otter assign {master.name} failed:\n{done.stdout}\n{done.stderr}")
    return out


def student_notebook(master: Path) -> str:
    """The student notebook `otter assign` makes from ``master``, as normalised text."""
    with tempfile.TemporaryDirectory() as tmp:
        assign(master, Path(tmp) / "dist")
        nb = nbformat.read(Path(tmp) / "dist" / "student" / master.name, as_version=4)
    return nbformat.writes(normalise(nb)) + "\n"


def main() -> None:
    for path in chapters.chapter_paths(ROOT):
        if chapters.sync(path):
            print(f"updated the metadata of {path.relative_to(ROOT)} from its opening admonition")
    for master in masters():
        nb = nbformat.read(master, as_version=4)
        if with_setup(nb, master.name):      # the master runs the same set-up as its students
            nbformat.write(nb, master)
            print(f"gave {master.relative_to(ROOT)} the standard set-up cell")
        target = STUDENTS / master.name
        target.write_text(student_notebook(master), encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
    problems = []
    for path in chapters.chapter_paths(ROOT):
        try:
            chapters.load(path, ROOT)
        except chapters.ChapterError as err:
            problems.append(str(err))
    if problems:
        sys.exit("\n".join(["still to do:"] + problems))


if __name__ == "__main__":
    main()
