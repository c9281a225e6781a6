"""Instructors and students: chapter metadata, the guide's links, the student build (no solution
may leak), otter grading of every exercise notebook, the notebooks' set-up and summary, the PDF.

The builds these tests read are made by `make test` before pytest runs (`make book`, `make
student`, `make pdf`); the otter bundles are built here, by the code `make autograder` runs (tools/exercises.py).
"""

from __future__ import annotations

import builtins
import html
import re
import shutil
import subprocess
import symtable
import sys
import tempfile
import types
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import bs4
import chapters
import leaks  # tests/leaks.py
import nbformat
import pytest
import yaml
from conftest import ROOT
from nbclient import NotebookClient

import exercises

CHAPTERS = chapters.chapter_paths(ROOT)
MASTERS = exercises.masters()
STUDENT_SITE = ROOT / "_build" / "student" / "_build" / "html"
LATEX = ROOT / "_build" / "pdf" / "_build" / "latex"

ADMONITION = """**You will be able to**
- compute a thing;
- explain another thing,
  over two lines;
- check a claim.

**Who it is for:** Policy students; no machine learning.

**Prerequisites:** Chapter 1; basic Python.

**Time:** about 40 minutes to read, 25 minutes for the exercises.
"""


# ---------------------------------------------------------------------------------------------
# What a chapter says about itself: one convention, its opening admonition, read at build time
# ---------------------------------------------------------------------------------------------

def test_admonition_parses_into_objectives_prerequisites_and_time():
    assert chapters.parse_admonition(ADMONITION) == {
        "objectives": ["compute a thing", "explain another thing, over two lines", "check a claim"],
        "audience": "Policy students; no machine learning.", "prerequisites": "Chapter 1; basic Python.",
        "reading_minutes": 40, "exercise_minutes": 25}


@pytest.mark.parametrize("broken, complaint", [
    (ADMONITION.replace("**Time:** about 40 minutes to read, 25 minutes for the exercises.", ""), "missing"),
    (ADMONITION.replace("40 minutes to read", "a while to read"), "minutes to read"),
    (ADMONITION.replace("- check a claim.\n", ""), "3 to 5"),
    (ADMONITION.replace("**Who it is for:**", "**Audience:**"), "Who it is for")])
def test_admonition_that_breaks_the_convention_is_refused_with_the_format(broken, complaint):
    with pytest.raises(chapters.ChapterError, match=complaint):
        chapters.parse_admonition(broken)


def test_time_may_be_given_in_hours():
    hours = ADMONITION.replace("40 minutes to read, 25 minutes", "1.5 hours to read, 1 hour")
    assert chapters.parse_admonition(hours)["reading_minutes"] == 90
    assert chapters.parse_admonition(hours)["exercise_minutes"] == 60


def _toy_book(tmp_path: Path, first_cell: str) -> Path:
    (tmp_path / "book").mkdir()
    shutil.copyfile(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nparts:\n"
                                       "  - caption: \"II. The constraint\"\n    chapters:\n"
                                       "      - file: book/02-new\n")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(first_cell)]),
                   tmp_path / "book" / "02-new.ipynb")
    return tmp_path


def test_a_new_chapter_reaches_the_guide_from_its_opening_box(tmp_path):
    box = ":::{admonition} In this chapter\n:class: tip\n" + ADMONITION + ":::\n"
    root = _toy_book(tmp_path, "# A new chapter\n\n" + box)
    [chapter] = chapters.chapters(root)
    assert (chapter.title, chapter.part_numeral, chapter.reading_minutes, chapter.audience) == \
        ("A new chapter", "II", 40, "Policy students; no machine learning.")
    assert "02. A new chapter" in chapters.chapter_table([chapter])
    assert "(no chapter of this part in this edition yet)" in \
        chapters.syllabus_table(chapters.parse_plan("Week 1 | III | focus"), [chapter])


def test_a_chapter_without_its_opening_box_is_refused_with_the_format(tmp_path):
    root = _toy_book(tmp_path, "# A new chapter\n\nSome text.\n")
    with pytest.raises(chapters.ChapterError, match="no opening admonition.*Who it is for"):
        chapters.chapters(root)


def test_there_are_chapters_to_describe():
    assert CHAPTERS, "no chapter notebooks found through _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_opens_with_the_box_the_guide_reads(path):
    chapter = chapters.load(path, ROOT)     # a ChapterError says what the box lacks
    assert chapter.audience and chapter.prerequisites and chapter.reading_minutes and chapter.exercise_minutes


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_exercise_notebook_says_how_long_it_takes_as_the_chapter_does(path):
    chapter = chapters.load(path, ROOT)
    student = nbformat.read(chapter.student, as_version=4)
    text = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
    said = re.search(r"\*\*Time:\*\*\s*about (\d+) minutes", text)
    assert said, f"{chapter.student.name} must say '**Time:** about N minutes' near the top"
    assert int(said.group(1)) == chapter.exercise_minutes, "the chapter's admonition says otherwise"


# ---------------------------------------------------------------------------------------------
# Links in the instructor guide
# ---------------------------------------------------------------------------------------------

def hrefs(path: Path) -> list[str]:
    soup = bs4.BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return [a["href"] for a in soup.find_all("a", href=True)]


def repository_path_of_nbgitpuller_link(link: str) -> str:
    """The file inside the repository that an nbgitpuller link opens."""
    query, url = parse_qs(urlsplit(link).query), chapters.repository(ROOT)[0]
    prefix = f"lab/tree/{url.rsplit('/', 1)[1]}/"
    assert query["repo"] == [url] and query["urlpath"][0].startswith(prefix), f"not a link into this repository: {link}"
    return query["urlpath"][0][len(prefix):]


def test_links_come_from_the_repository_address_in_the_config():
    url, branch = chapters.repository(ROOT)
    owner_repo, name = url.split("github.com/")[1], url.rsplit("/", 1)[1]
    path = "exercises/01-deepseek-moment.ipynb"
    assert chapters.colab_link(path, ROOT) == \
        f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{path}"
    assert chapters.binder_link(path, ROOT).endswith(f"/v2/gh/{owner_repo}/{branch}?urlpath=lab/tree/{path}")
    link = chapters.nbgitpuller_link(path, ROOT, hub="https://hub.example.edu")
    assert link.startswith("https://hub.example.edu/hub/user-redirect/git-pull?")
    assert f"lab%2Ftree%2F{name}%2Fexercises%2F01-deepseek-moment.ipynb" in link
    assert repository_path_of_nbgitpuller_link(link) == path


def test_every_link_in_the_guide_opens_an_exercise_notebook_that_exists(site):
    links = hrefs(site / "book" / "instructor-guide.html")
    pulled = [h for h in links if "/git-pull?" in h]
    opened = {repository_path_of_nbgitpuller_link(h) for h in pulled}
    expected = {p.relative_to(ROOT).as_posix() for p in chapters.exercise_notebooks(ROOT)}
    assert opened == expected, "one nbgitpuller link per exercise notebook"
    assert all((ROOT / p).is_file() for p in opened)
    for h in links:
        for marker in ("/blob/", "urlpath=lab/tree/"):
            if marker in h and ("colab" in h or "binder" in h):
                path = unquote(h.split(marker, 1)[1]).split("/", 1)[1] if marker == "/blob/" \
                    else unquote(h.split(marker, 1)[1])
                assert (ROOT / path).is_file(), h


def test_guide_has_a_row_for_every_chapter(site):
    text = (site / "book" / "instructor-guide.html").read_text(encoding="utf-8")
    # indifferent to smart quotes, markup and entities (Sphinx writes the @ of "pass@k" as &#64;)
    words = " ".join(leaks.words(html.unescape(text)))
    for chapter in chapters.chapters(ROOT):
        assert f"{chapter.docname.split('/')[-1]}.html" in text
        for said in (chapter.audience, chapter.prerequisites, *chapter.objectives):
            for run in leaks.fragments(said):         # a {doc} role renders as a title
                assert " ".join(run) in words, said


# ---------------------------------------------------------------------------------------------
# Solutions: where they are, how they are stripped, and that none reaches a student
# ---------------------------------------------------------------------------------------------

def test_secrets_are_found_for_every_master():
    sources = set(leaks.secrets(ROOT).values())
    for path in MASTERS:
        assert path.relative_to(ROOT).as_posix() in sources, f"no solution text found in {path.name}"


def test_the_leak_check_finds_the_solutions_in_the_instructor_build(site):
    """The check can fail: the instructor build shows the solutions on every exercise page."""
    hits = leaks.leaks(leaks.files_under(site), leaks.secrets(ROOT))
    for path in MASTERS:
        assert any(f"/exercises/{path.stem}.html:" in h for h in hits), f"{path.name}: solutions not detected"


@pytest.fixture(scope="module")
def student_site() -> Path:
    if not (STUDENT_SITE / "index.html").exists():
        pytest.fail("the student build is missing: `make test` builds it (or run `make student`)")
    return STUDENT_SITE


def test_no_solution_reaches_the_student_build(student_site):
    hits = leaks.leaks(leaks.files_under(student_site.parent), leaks.secrets(ROOT))
    assert not hits, "solution text in the student build:\n" + "\n".join(hits[:20])


def test_no_solution_reaches_the_student_notebooks():
    students = sorted((ROOT / "exercises").glob("*.ipynb"))
    hits = leaks.leaks(students, leaks.secrets(ROOT))
    assert students and not hits, "\n".join(hits[:20])


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_page_ends_with_its_self_checks(site, path):
    checks = exercises.read(ROOT / "exercises" / "masters" / path.name).self_checks
    soup = bs4.BeautifulSoup((site / "book" / f"{path.stem}.html").read_text(encoding="utf-8"), "html.parser")
    assert len(soup.select("div.selfcheck")) == len(checks)
    for form in soup.select("form.selfcheck-number"):
        assert form.find("label")["for"] == form.find("input")["id"], "every input has its label"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_student_build_has_every_question_without_solutions(student_site, master):
    page = student_site / "book" / "exercises" / f"{master.stem}.html"
    soup = bs4.BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    headings = [h.get_text() for h in soup.find_all("h2")]
    assert sum(h.startswith("Question") for h in headings) == len(exercises.read(master).questions)
    assert not soup.select(".dropdown.admonition"), "a solution or rubric in the student build"
    assert any("colab.research.google.com" in h for h in hrefs(page))


# ---------------------------------------------------------------------------------------------
# Exercise notebooks: the standard set-up and summary, otter grading both ways round
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_student_notebook_starts_with_the_set_up_and_ends_with_the_summary(master):
    nb = nbformat.read(ROOT / "exercises" / master.name, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[0] == exercises.setup_source(master.name)
    assert code[-1] == exercises.SUMMARY_CODE
    assert "grader.check_all()" not in "\n".join(code[:-1]), "one summary, at the end"


def _setup_cell(master: Path) -> str:
    return exercises.setup_source(master.name)


def test_an_old_set_up_cell_becomes_the_standard_one_and_a_master_without_one_gets_it():
    old = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('REPO = "x"\nimport otter')])
    assert exercises.with_setup(old, "04-x.ipynb") and not exercises.with_setup(old, "04-x.ipynb")
    assert [c.source for c in old.cells] == [exercises.setup_source("04-x.ipynb")]
    bare = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("x = 1")])
    assert exercises.with_setup(bare, "04-x.ipynb")
    assert [c.source for c in bare.cells] == ["# T", exercises.setup_source("04-x.ipynb"), "x = 1"]


@pytest.mark.parametrize("in_colab", [False, True])
def test_set_up_cell_fetches_the_notebook_only_in_colab(tmp_path, monkeypatch, in_colab):
    """Outside Colab the file is there (Binder, a hub, a clone, the autograder) and nothing is
    fetched: grading must not need the network. In Colab it fetches this branch's copy."""
    import urllib.request

    master = MASTERS[0]
    fetched = []

    def fake_retrieve(url, filename):
        fetched.append(url)
        shutil.copyfile(ROOT / "exercises" / master.name, filename)

    monkeypatch.setattr(urllib.request, "urlretrieve", fake_retrieve)
    monkeypatch.chdir(tmp_path)
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        shutil.copyfile(ROOT / "exercises" / master.name, tmp_path / master.name)
    namespace: dict = {}
    exec(compile(_setup_cell(master), "setup", "exec"), namespace)
    url, branch = chapters.repository(ROOT)
    raw = url.replace("https://github.com/", "https://raw.githubusercontent.com/")
    assert fetched == ([f"{raw}/{branch}/exercises/{master.name}"] if in_colab else [])
    assert namespace["grader"] is not None and (tmp_path / master.name).exists()


def unbound_names(master: Path) -> dict[str, list[str]]:
    """Names each check function uses without defining, importing or taking them as parameters.

    otter runs a check in a namespace of its own and passes it only the notebook variables named
    as its parameters, so a check that reads another notebook global passes in the master and
    fails for every student. Empty lists are what a master should have.
    """
    def globals_read(scope: symtable.SymbolTable) -> set[str]:        # in the scope or those inside it
        here = {s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced()}
        return here.union(*map(globals_read, scope.get_children()))

    found: dict[str, list[str]] = {}
    for cell in nbformat.read(master, as_version=4).cells:
        if cell.cell_type == "code" and re.search(r"^def test_", cell.source, re.M):
            for fn in symtable.symtable(exercises.IGNORE_LINE.sub("", cell.source), master.name, "exec").get_children():
                if fn.get_type() == "function":
                    found[fn.get_name()] = sorted(globals_read(fn) - set(dir(builtins)))
    return found


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_every_check_takes_what_it_reads_as_a_parameter(master):
    found = unbound_names(master)
    assert found, "no check functions found"
    bad = {name: names for name, names in found.items() if names}
    assert not bad, (f"{master.name}: these checks read notebook variables they do not take as "
                     f"parameters (otter will not pass them, so students fail): {bad}")


def test_the_unbound_name_check_catches_a_check_that_reads_a_notebook_global(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def test_q(x):\n    from tinyseek import answers\n    assert x < cost.f(run)\ntest_q(x)  # IGNORE")])
    nbformat.write(nb, tmp_path / "m.ipynb")
    assert unbound_names(tmp_path / "m.ipynb") == {"test_q": ["cost", "run"]}


def grade(autograder_zip: Path, submission: Path) -> tuple[float, float]:
    """``(points, possible)`` for ``submission``, graded by otter here (no Docker) in a scratch folder."""
    from otter.api import grade_submission

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(submission, Path(tmp) / submission.name)
        results = grade_submission(str(Path(tmp) / submission.name), str(autograder_zip), quiet=True)
    return float(results.total), float(results.possible)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    out = tmp_path_factory.mktemp("autograder")
    return {m.name: exercises.bundle(m, out / m.stem) for m in MASTERS}


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_otter_gives_the_solution_full_marks_and_the_blank_notebook_zero(bundles, master):
    zip_path, solution = bundles[master.name]
    points, possible = grade(zip_path, solution)
    assert possible >= 4 and points == possible
    blank, possible_blank = grade(zip_path, ROOT / "exercises" / master.name)
    assert (blank, possible_blank) == (0, possible)


def _summary_of(notebook: Path, workdir: Path) -> str:
    copy = workdir / notebook.name
    shutil.copyfile(notebook, copy)
    nb = nbformat.read(copy, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    out = nb.cells[-1].outputs
    return "".join(o.get("data", {}).get("text/plain", "") for o in out)


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_the_summary_reads_well_for_a_blank_and_a_solved_notebook(bundles, master, tmp_path):
    # the autograded questions: written (manual) ones are graded by people, not in this summary
    configs = [yaml.safe_load(c.source.split("\n", 1)[1]) or {} for c in nbformat.read(master, 4).cells
               if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")]
    n = sum(not config.get("manual", False) for config in configs)
    blank = _summary_of(ROOT / "exercises" / master.name, tmp_path)
    assert blank.startswith(f"0 of {n} questions pass") and blank.count("\n  ✗ ") == n
    assert "Traceback" not in blank and "Error at line" not in blank
    (tmp_path / "solved").mkdir()
    solved = _summary_of(bundles[master.name][1], tmp_path / "solved")
    assert solved.startswith(f"{n} of {n} questions pass") and "All done." in solved


def test_summary_shows_the_assertion_hint_before_the_question_message():
    from tinyseek import answers

    def case(passed, message, failure=None):
        return types.SimpleNamespace(passed=passed, message=message,
                                     test_case=types.SimpleNamespace(failure_message=failure))

    files = {
        "q1": types.SimpleNamespace(passed_all=True, test_case_results=[case(True, None)]),
        "q2": types.SimpleNamespace(passed_all=False, test_case_results=[case(
            False, "Error at line 3 in test q2:\n  assert x < 365, 'that is hours'\nAssertionError: that is hours",
            "Not yet: use days")]),
        "q3": types.SimpleNamespace(passed_all=False, test_case_results=[case(
            False, "Error at line 4:\n  assert answers.matches(x, 'ab')\nAssertionError", "Not yet: divide")]),
    }
    results = types.SimpleNamespace(results=files, total=1, possible=3)
    text = repr(answers.summary(results))
    assert text.splitlines()[:4] == ["1 of 3 questions pass (1 of 3 points).", "  ✓ q1",
                                     "  ✗ q2: that is hours", "  ✗ q3: Not yet: divide"]
    assert answers.summary(None) is None          # what check_all gives while otter grades


# ---------------------------------------------------------------------------------------------
# The PDF
# ---------------------------------------------------------------------------------------------

def _outputs(site: Path, kind: str) -> int:
    """How many outputs of a kind the chapters show ('figure' or 'widget'), counted on the site:
    myst-nb writes _build/jupyter_execute without outputs when it takes them from its cache. A
    figure a live widget showed is part of the widget's panel (a note in the PDF), not counted."""
    count = 0
    for path in CHAPTERS:
        soup = bs4.BeautifulSoup((site / "book" / f"{path.stem}.html").read_text(encoding="utf-8"), "html.parser")
        if kind == "figure":
            figures = soup.select("figure.tinyseek-plot")
            count += sum(f.find_parent(class_="tinyseek-live-panel") is None for f in figures)
        else:
            count += len(soup.select(".tinyseek-live-panel"))
    return count


@pytest.fixture(scope="module")
def pdf_text() -> str:
    if not (shutil.which("xelatex") and shutil.which("latexmk") and shutil.which("pdftotext")):
        pytest.skip("TeX is not installed and `make pdf` could not install it (it needs Debian's "
                    "apt-get and root): the PDF was not built, so it is not checked")
    pdf = LATEX / "book.pdf"
    assert pdf.exists(), "no PDF: `make pdf` failed; run it to see why"
    newest_source = max(p.stat().st_mtime for p in CHAPTERS + [ROOT / "_toc.yml"])
    assert pdf.stat().st_mtime >= newest_source, "the PDF is older than a chapter: run `make pdf`"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return " ".join(text.split())


def test_pdf_contains_every_chapter_title(pdf_text):
    for chapter in chapters.chapters(ROOT):
        assert chapter.title.lower() in pdf_text.lower(), chapter.title


def test_pdf_has_every_figure_in_place_and_a_note_for_every_widget(pdf_text, site):
    tex = (LATEX / "book.tex").read_text(encoding="utf-8")
    included = re.findall(r"\\sphinxincludegraphics(?:\[[^\]]*\])?\{\{?(tinyseek-figures/[0-9a-f]+)\}?\.pdf\}", tex)
    assert len(included) == _outputs(site, "figure") > 0
    assert all((LATEX / f"{name}.pdf").stat().st_size > 1000 for name in included)
    assert pdf_text.count("Live widget:") == _outputs(site, "widget")
    for junk in ("[Figure:", "IPython.core.display", "object at 0x", "VBox(children", "Styler"):
        assert junk not in pdf_text, f"an output without a printable form: {junk}"


def test_pdf_font_has_every_character_the_book_uses(pdf_text):
    log = (LATEX / "book.log").read_text(encoding="utf-8", errors="replace")
    missing = sorted(set(re.findall(r"Missing character: There is no (.+?) in font", log)))
    assert not missing, f"characters printed as blanks in the PDF: {missing}"
