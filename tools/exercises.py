"""The otter masters ``exercises/masters/NN-slug.ipynb``, the one home of every exercise, and
what is made from them:

- the student notebook ``exercises/NN-slug.ipynb`` (``make exercises``): the master with the
  book's set-up cell and summary, through ``otter assign`` (cell ids renumbered, so an unchanged
  master gives a byte-identical file);
- the page ``book/exercises/NN-slug.md`` (``make exercises``; the book's build also
  writes it first, see book/_ext/instructor.py): prompts, launch links and, for instructors only,
  solutions and rubrics, collapsed;
- the self-checks (raw cells ``# SELF-CHECK`` + YAML) shown at the end of the chapter's page;
- the otter autograder bundles (``make autograder``: ``python tools/exercises.py autograder``), in
  ``exercises/dist/NN-slug/``.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import nbformat
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import chapters  # noqa: E402

SETUP = '''\
# Set-up for Colab, Binder or a JupyterHub: install the book's package and the grader when they
# are missing. Colab opens a copy of this notebook without the file itself, so there (only) fetch
# the file: the checks are stored in it.
import importlib.util
import pathlib
import subprocess
import sys
import urllib.request

REPO = "{repo}"
BRANCH = "{branch}"
NOTEBOOK = "{notebook}"
if importlib.util.find_spec("tinyseek") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"tinyseek @ git+{{REPO}}@{{BRANCH}}"], check=True)
if importlib.util.find_spec("otter") is None:  # without otter's PDF export and Sphinx (see requirements-grader.txt)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", {grader_needs}], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", {grader}], check=True)
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

SELF_CHECK = "# SELF-CHECK"     # first line of a raw cell that holds one self-check question (YAML)
SOLUTION_LINE = re.compile(r"^(\s*)(.*?)\s*#\s*SOLUTION\b.*$")
IGNORE_LINE = re.compile(r"^.*#\s*IGNORE\s*$", re.M)


def masters(root: Path = ROOT) -> list[Path]:
    return sorted((root / "exercises" / "masters").glob("*.ipynb"))


# ---------------------------------------------------------------------------------------------
# Reading a master: questions (otter's raw-cell markers) and self-checks
# ---------------------------------------------------------------------------------------------

@dataclass
class Question:
    name: str
    points: float = 1
    manual: bool = False
    prompt: list[str] = field(default_factory=list)      # markdown, and code the student sees
    solution: list[nbformat.NotebookNode] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)       # code of the hidden checks

    @property
    def solution_code(self) -> str:
        """The solution's code with otter's ``# SOLUTION`` markers removed."""
        code = "\n".join(c.source for c in self.solution if c.cell_type == "code")
        return "\n".join(SOLUTION_LINE.sub(r"\1\2", line) for line in code.splitlines())

    @property
    def function(self) -> str | None:
        """The name of the function a build-it question asks for (its solution's first ``def``)."""
        tree = ast.parse(self.solution_code or "pass")
        return next((n.name for n in tree.body if isinstance(n, ast.FunctionDef)), None)

    @property
    def skeleton(self) -> str:
        """What the student notebook shows in place of the solution code (otter's own rules)."""
        from otter.assign.solutions import replace_solutions

        code = "\n".join(c.source for c in self.solution if c.cell_type == "code")
        return one_ellipsis_per_run("\n".join(replace_solutions(code.splitlines(), "python")))

    @property
    def test_code(self) -> str:
        """The checks without otter's test config and ``# IGNORE`` lines: definitions only."""
        code = "\n".join(re.sub(r'^""" # BEGIN TEST CONFIG.*?""" # END TEST CONFIG\n?', "", t, flags=re.S)
                         for t in self.tests)
        return IGNORE_LINE.sub("", code)


@dataclass
class Master:
    path: Path
    title: str
    intro: str
    questions: list[Question]
    self_checks: list[dict]
    context: list[str]                  # code cells outside the questions (set-up excluded)


class MasterError(ValueError):
    """A master breaks the conventions; the message names the master and the question."""


def read(path: Path) -> Master:
    nb = nbformat.read(path, as_version=4)
    title, intro, questions, checks, context = path.stem, "", [], [], []
    question, where = None, ""
    for cell in nb.cells:
        head = cell.source.strip()
        if cell.cell_type == "raw":
            marker = head.split("\n", 1)[0].upper()
            if marker == SELF_CHECK:
                checks.append(validate_self_check(head.split("\n", 1)[1] if "\n" in head else "",
                                                  path.name, len(checks) + 1))
            elif marker == "# BEGIN QUESTION":
                config = yaml.safe_load(head.split("\n", 1)[1]) or {}
                question = Question(config["name"], config.get("points", 1), bool(config.get("manual")))
                questions.append(question)
            elif marker == "# END QUESTION":
                question, where = None, ""
            elif marker.startswith("# BEGIN "):
                where = marker[8:].lower()          # "solution" or "tests"
            elif marker.startswith("# END "):
                where = ""
        elif question is None:
            if cell.cell_type == "markdown" and not intro and head.startswith("# "):
                title, _, intro = head[2:].partition("\n")
                intro = intro.strip() or " "
            elif cell.cell_type == "code" and "REPO = " not in cell.source:
                context.append(cell.source)
        elif where == "solution":
            question.solution.append(cell)
        elif where == "tests":
            question.tests.append(cell.source)
        else:
            question.prompt.append(cell.source if cell.cell_type == "markdown" else f"```python\n{cell.source}\n```")
    return Master(path, title.strip(), intro.strip(), questions, checks, context)


def validate_self_check(text: str, master: str, number: int) -> dict:
    """A self-check question from its YAML, checked; a MasterError names the master and question."""
    where = f"{master}, self-check {number}"
    try:
        q = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise MasterError(f"{where}: not valid YAML: {err}") from None
    if not isinstance(q, dict) or not isinstance(q.get("question"), str):
        raise MasterError(f'{where}: needs `question: "..."` (a string)')
    where += f" ({q['question'][:50]!r})"
    if "choices" in q:
        choices = q["choices"] if isinstance(q["choices"], list) else []
        for i, c in enumerate(choices, 1):
            if not (isinstance(c, dict) and set(c) <= {"answer", "why", "correct"} and isinstance(c.get("why"), str)
                    and isinstance(c.get("answer"), str) and isinstance(c.get("correct", False), bool)):
                raise MasterError(f'{where}: choice {i} needs `answer: "..."` and `why: "..."` (strings), '
                                  "and may say `correct: true`")
        if len(choices) < 2 or not any(c.get("correct") for c in choices):
            raise MasterError(f"{where}: `choices` needs at least 2 choices, one marked `correct: true`")
        return {"question": q["question"], "choices": choices}
    for k in ("answer", "tolerance"):       # PyYAML reads 6.0e22 (no sign in the exponent) as text
        try:
            q[k] = float(q[k]) if isinstance(q.get(k), str) else q.get(k)
        except ValueError:
            pass
    if not (all(type(q.get(k)) in (int, float) for k in ("answer", "tolerance")) and q["tolerance"] >= 0
            and isinstance(q.get("why"), str) and isinstance(q.get("unit"), str)):
        raise MasterError(f"{where}: needs either `choices` or a number: `answer` (number), `tolerance` "
                          f'(number >= 0), `unit` (string, may be "") and `why` (string)')
    return {k: q[k] for k in ("question", "answer", "tolerance", "unit", "why")}


# ---------------------------------------------------------------------------------------------
# The exercises page of a chapter
# ---------------------------------------------------------------------------------------------

def page(master: Master, solutions: bool, root: Path = ROOT) -> str:
    """MyST markdown for ``book/exercises/NN-slug.md``; ``solutions=False`` for the student build."""
    rel = f"exercises/{master.path.name}"
    chapter = root / "book" / master.path.name
    out = [f"# {master.title}", "", master.intro, ""]
    if chapter.exists():
        out += [f"**Chapter:** {{doc}}`../{chapter.stem}`", ""]
    out += [f"**Work in the exercise notebook** `{rel}`, which checks your answers as you go: "
            f"[open it in Binder]({chapters.binder_link(rel, root)}) or "
            f"[in Colab]({chapters.colab_link(rel, root)}). The checks tell you what is wrong, never "
            "the answer. {doc}`../where-to-run` compares the places to run it.", ""]
    for n, q in enumerate(master.questions, 1):
        prompt = "\n\n".join(q.prompt).strip()
        lead = re.match(r"\*\*(Question [^*]+?)\.?\*\*\s*", prompt)
        heading = lead.group(1) if lead else f"Question {n}"
        kind = " (build it)" if q.name.startswith("build_") else " (discussion)" if q.manual else ""
        out += [f"({master.path.stem}-{q.name})=", f"## {heading}{kind}", "", prompt[lead.end() if lead else 0:], ""]
        if q.name.startswith("build_"):
            out += ["Your function, to complete in the notebook:", "", "```python", q.skeleton, "```", ""]
        if solutions and q.solution:
            label = "Rubric" if q.manual else "Solution"
            body = [c.source for c in q.solution if c.cell_type == "markdown"]
            body += [f"```python\n{q.solution_code}\n```"] if q.solution_code.strip() else []
            out += [f"::::{{admonition}} {label} (instructors)", ":class: dropdown", "", *body, "::::", ""]
    return "\n".join(out).rstrip() + "\n"


def write_pages(solutions: bool = True, root: Path = ROOT) -> list[Path]:
    """Write ``book/exercises/NN-slug.md`` for every master (only files whose text changed)."""
    folder = root / "book" / "exercises"
    folder.mkdir(exist_ok=True)
    written = []
    for path in masters(root):
        target = folder / f"{path.stem}.md"
        text = page(read(path), solutions, root)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        written.append(target)
    for stale in set(folder.glob("*.md")) - set(written):
        stale.unlink()
    return written


# ---------------------------------------------------------------------------------------------
# The student notebook
# ---------------------------------------------------------------------------------------------

def grader_pins() -> tuple[list[str], list[str]]:
    """The grader's pins (requirements-grader.txt, installed without their dependencies) and the
    names of what they run on, unpinned so that a kernel that has them (Colab) keeps its own."""
    pins = [x for x in (ROOT / "requirements-grader.txt").read_text().splitlines() if x and x[0] != "#"]
    needs = {Requirement(r).name for pin in pins for r in metadata.requires(pin.split("==")[0]) or []
             if "extra" not in str(Requirement(r).marker)}
    # fica needs Sphinx and docutils only for its Sphinx directive; a bare name drops nbconvert's [webpdf]
    return pins, sorted(needs - {"sphinx", "docutils"} - {pin.split("==")[0] for pin in pins})


def setup_source(notebook: str) -> str:
    repo, branch = chapters.repository(ROOT)
    grader, needs = grader_pins()
    return SETUP.format(repo=repo, branch=branch, notebook=notebook,
                        grader=", ".join(map(repr, grader)).replace("'", '"'),
                        grader_needs=", ".join(map(repr, needs)).replace("'", '"'))


def prepared(master: Path, generate: bool = False) -> nbformat.NotebookNode:
    """The master with the standard set-up and summary cells and without self-checks, as
    ``otter assign`` will read it. The summary replaces otter's own ``check_all`` cell."""
    nb = nbformat.read(master, as_version=4)
    config_cell = nb.cells[0]
    if config_cell.cell_type != "raw" or "ASSIGNMENT CONFIG" not in config_cell.source:
        raise MasterError(f"{master.name}: the first cell must be otter's raw '# ASSIGNMENT CONFIG' cell")
    config = yaml.safe_load(config_cell.source.split("\n", 1)[1]) or {}
    config.update(check_all_cell=False, generate=bool(generate))
    config_cell.source = "# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False).strip()
    with_setup(nb, master.name)
    nb.cells = [c for c in nb.cells if "# Summary of your results" not in c.source
                and not c.source.startswith(("## Your results", SELF_CHECK))]
    locked = {"deletable": False, "editable": False}     # as otter marks its own check cells
    nb.cells += [nbformat.v4.new_markdown_cell(SUMMARY_MD, metadata=dict(locked)),
                 nbformat.v4.new_code_cell(SUMMARY_CODE, metadata=dict(locked))]
    return nb


def with_setup(nb: nbformat.NotebookNode, name: str) -> bool:
    """Give ``nb`` the standard set-up cell, in place of its old one or after its title; returns
    whether anything changed. An author's own imports go in a cell of their own, after it."""
    source = setup_source(name)
    existing = next((c for c in nb.cells if c.cell_type == "code" and "REPO = " in c.source), None)
    if existing is None:
        first_md = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), 0)
        nb.cells.insert(first_md + 1, nbformat.v4.new_code_cell(source, id="setup"))
        return True
    changed, existing.source = existing.source != source, source
    return changed


def assign(master: Path, out: Path, generate: bool = False) -> Path:
    """Run ``otter assign`` on the prepared master into ``out``; returns ``out``."""
    out = out.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / master.name
        nbformat.write(prepared(master, generate), source)
        otter = Path(sys.executable).with_name("otter")
        done = subprocess.run([str(otter), "assign", str(source), str(out)], capture_output=True, text=True, cwd=tmp)
        if done.returncode != 0:
            raise RuntimeError(f"otter assign {master.name} failed:\n{done.stdout}\n{done.stderr}")
    return out


def student_notebook(master: Path) -> str:
    """The student notebook `otter assign` makes from ``master``: no outputs, numbered cell ids."""
    with tempfile.TemporaryDirectory() as tmp:
        assign(master, Path(tmp) / "dist")
        nb = nbformat.read(Path(tmp) / "dist" / "student" / master.name, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.source = one_ellipsis_per_run(cell.source)
        cell.metadata.pop("execution", None)
    return nbformat.writes(nb) + "\n"


def one_ellipsis_per_run(source: str) -> str:
    """otter blanks each ``# SOLUTION`` line to ``...`` at its own indentation, so a solution with a
    nested block or a continued line becomes invalid Python; keep the first ``...`` of each run."""
    kept: list[str] = []
    for line in source.splitlines():
        if line.strip() == "..." and kept and kept[-1].rstrip().endswith("..."):
            continue
        kept.append(line)
    return "\n".join(kept)


def bundle(master: Path, out: Path) -> tuple[Path, Path]:
    """`make autograder`: ``out/autograder.zip`` (for ``otter run -a``, ``otter grade`` or
    Gradescope) and ``out/solution/<master's name>`` (the set-up cell opens it by that name)."""
    (out / "solution").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        dist = assign(master, Path(tmp) / "dist", generate=True)
        [zipped] = (dist / "autograder").glob("*.zip")          # otter's name has a timestamp
        shutil.copyfile(zipped, out / "autograder.zip")
        shutil.copyfile(dist / "autograder" / master.name, out / "solution" / master.name)
    return out / "autograder.zip", out / "solution" / master.name


def main(argv: list[str]) -> None:
    if argv == ["autograder"]:
        for master in masters():
            print("wrote", *(p.relative_to(ROOT) for p in bundle(master, ROOT / "exercises" / "dist" / master.stem)))
        return
    for master in masters():
        read(master)                             # refuses a broken self-check, naming it
        nb = nbformat.read(master, as_version=4)
        if with_setup(nb, master.name):          # the master runs the same set-up as its students
            nbformat.write(nb, master)
            print(f"gave {master.relative_to(ROOT)} the standard set-up cell")
        (ROOT / "exercises" / master.name).write_text(student_notebook(master), encoding="utf-8")
        print(f"wrote exercises/{master.name}")
    write_pages()


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except MasterError as err:
        sys.exit(f"error: {err}")
