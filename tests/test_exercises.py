"""Exercises: students get exactly what `otter assign` makes; every build-it check tells a correct
function from a memoriser and from a slightly wrong one; self-checks are valid; the exercise pages
show prompts to everyone and solutions and rubrics only to instructors."""

from __future__ import annotations

import dataclasses
import functools
import sys

import chapters
import leaks  # tests/leaks.py
import nbformat
import pytest
from conftest import ROOT

import exercises

MASTERS = exercises.masters()
READ = {m.name: exercises.read(m) for m in MASTERS}
BUILDS = [(name, q) for name, m in READ.items() for q in m.questions if q.name.startswith("build_")]
MIN_BUILD_QUESTIONS = 2      # build-it exercises per chapter (the book's convention)
SELF_CHECKS = range(3, 6)    # self-check questions per chapter
MIN_CALLS = 20               # a build-it check calls the student's function at least this often
RELATIVE, ABSOLUTE = 1e-3, 1e-4


def test_there_is_a_master_per_student_notebook():
    students = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    assert students and students == [m.name for m in MASTERS]


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_committed_student_notebook_is_what_otter_assign_generates(master):
    committed = (ROOT / "exercises" / master.name).read_text()
    assert committed == exercises.student_notebook(master), "run `make exercises` and commit"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_no_solution_reaches_the_student_notebook(master):
    stripped = leaks.master_solutions(master)
    # a solution line the student sees anyway (an import the visible checks also make) is no secret
    secrets = [s for s in stripped.secret if len(s) > 3 and s not in stripped.public]
    assert secrets, "the master has no solutions to protect"
    student = nbformat.read(ROOT / "exercises" / master.name, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"solution text in the student notebook: {leaked}"


# ---------------------------------------------------------------------------------------------
# Build-it questions: the correct function passes, a memoriser and a perturbed one fail
# ---------------------------------------------------------------------------------------------

def perturb(x):
    """``x`` nudged: floats by a relative 1e-3 plus 1e-4, ints +1, bools flipped, strings changed."""
    torch, np = sys.modules.get("torch"), sys.modules.get("numpy")
    if isinstance(x, bool):
        return not x
    if isinstance(x, int):
        return x + 1
    if isinstance(x, float):
        return x * (1 + RELATIVE) + ABSOLUTE
    if isinstance(x, str):
        return x + " (changed)"
    if (torch and isinstance(x, torch.Tensor)) or (np and isinstance(x, np.ndarray)):
        if x.dtype in (bool, getattr(torch, "bool", None), getattr(np, "bool_", None)):
            return ~x
        floating = x.is_floating_point() or x.is_complex() if torch and isinstance(x, torch.Tensor) \
            else np.issubdtype(x.dtype, np.inexact)
        return x * (1 + RELATIVE) + ABSOLUTE if floating else x + 1
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*map(perturb, x))
    if isinstance(x, (list, tuple)):
        return type(x)(map(perturb, x))
    if isinstance(x, dict):
        return {k: perturb(v) for k, v in x.items()}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return dataclasses.replace(x, **{f.name: perturb(getattr(x, f.name)) for f in dataclasses.fields(x)})
    return x


def memoriser(fn):
    """Computes once, then returns that first result for every later call."""
    first = []

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        if not first:
            first.append(fn(*args, **kwargs))
        return first[0]
    return wrapped


def perturbed(fn):
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        return perturb(fn(*args, **kwargs))
    return wrapped


def load_build(master: exercises.Master, q: exercises.Question):
    """``(solution function, check function)`` of a build-it question, each in its own namespace:
    the solution sees what the master's cells outside the questions define (as in the notebook),
    the check only what it imports itself."""
    if q.function is None:
        raise AssertionError(f"{q.name}: the solution cell must define one function (def ...)")
    namespace: dict = {}
    for source in master.context:
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]   # magics
        exec(compile("\n".join(lines), master.path.name, "exec"), namespace)
    exec(compile(q.solution_code, f"{master.path.name}:{q.name}", "exec"), namespace)
    checks: dict = {}
    exec(compile(q.test_code, f"{master.path.name}:test_{q.name}", "exec"), checks)
    if f"test_{q.name}" not in checks:
        raise AssertionError(f"{q.name}: the test cell must define test_{q.name}({q.function})")
    return namespace[q.function], checks[f"test_{q.name}"]


def build_problems(master: exercises.Master, q: exercises.Question) -> list[str]:
    """What is wrong with a build-it question's check (empty: nothing)."""
    fn, check = load_build(master, q)
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return fn(*args, **kwargs)
    try:
        check(counted)
    except (Exception, pytest.fail.Exception) as err:
        return [f"the correct solution fails its own check: {err!r}"]
    problems = [] if len(calls) >= MIN_CALLS else [f"the check calls the function {len(calls)} times; "
                                                   f"it needs >= {MIN_CALLS} distinct inputs"]
    if "ValueError" not in q.test_code and "TypeError" not in q.test_code:
        problems.append("the check never asks for a ValueError (or TypeError) on bad input")
    for label, impostor in (("memoriser", memoriser(fn)), ("perturbed solution", perturbed(fn))):
        try:
            check(impostor)
            problems.append(f"a {label} passes the check")
        except (Exception, pytest.fail.Exception):
            pass
    return problems


@pytest.mark.parametrize("name, question", BUILDS, ids=[f"{n}:{q.name}" for n, q in BUILDS])
def test_build_it_check_passes_the_solution_and_fails_impostors(name, question):
    problems = build_problems(READ[name], question)
    assert not problems, f"{name}, {question.name}: " + "; ".join(problems)


def test_every_chapter_has_enough_build_it_questions():
    counts = {p.name: sum(q.name.startswith("build_") for q in READ[p.name].questions) if p.name in READ else 0
              for p in chapters.chapter_paths(ROOT)}
    short = {name: n for name, n in counts.items() if n < MIN_BUILD_QUESTIONS}
    assert not short, (f"chapters with fewer than {MIN_BUILD_QUESTIONS} build-it (`build_`) questions in "
                       f"their master: {short}")


def test_every_master_has_self_checks_and_a_discussion_question_with_a_rubric():
    problems = {name: [f"{len(m.self_checks)} self-checks (3 to 5 wanted)"] * (len(m.self_checks) not in SELF_CHECKS)
                + ["no discussion question (`manual: true`) with a rubric"] * (not any(
                    q.manual and any(c.cell_type == "markdown" for c in q.solution) for q in m.questions))
                for name, m in READ.items()}
    short = {name: p for name, p in problems.items() if p}
    assert not short, f"masters short of the exercise conventions: {short}"


SYNTHETIC_TEST = '''\
""" # BEGIN TEST CONFIG
failure_message: "Not yet"
""" # END TEST CONFIG
def test_build_softmax(softmax):
    import torch
    g = torch.Generator().manual_seed(0)
    for _ in range(CALLS):
        x = torch.randn(3, 5, generator=g)
        assert torch.allclose(softmax(x), torch.softmax(x, -1), atol=ATOL)
    try:
        softmax(torch.tensor(1.0))
    except ValueError:
        pass
    else:
        raise AssertionError("a 0-d tensor must raise ValueError")
test_build_softmax(softmax)  # IGNORE'''


def synthetic(tmp_path, calls=25, atol="1e-6", check=None):
    cells = [nbformat.v4.new_raw_cell("# ASSIGNMENT CONFIG\ninit_cell: false"),
             nbformat.v4.new_markdown_cell("# Exercises: Test\n\n**Time:** about 10 minutes."),
             nbformat.v4.new_code_cell("import torch\nx0 = torch.zeros(3)"),
             nbformat.v4.new_raw_cell("# BEGIN QUESTION\nname: build_softmax\npoints: 2"),
             nbformat.v4.new_markdown_cell("**Question 1.** *(10 min; needs §Routing)* Write `softmax`."),
             nbformat.v4.new_raw_cell("# BEGIN SOLUTION"),
             nbformat.v4.new_code_cell('def softmax(x):\n    """Softmax over the last axis."""\n'
                                       '    if x.dim() == 0:  # SOLUTION\n'
                                       '        raise ValueError("x must have a dimension")  # SOLUTION\n'
                                       '    return torch.softmax(x, dim=-1)  # SOLUTION'),
             nbformat.v4.new_raw_cell("# END SOLUTION"), nbformat.v4.new_raw_cell("# BEGIN TESTS"),
             nbformat.v4.new_code_cell(SYNTHETIC_TEST.replace("CALLS", str(calls)).replace("ATOL", atol)),
             nbformat.v4.new_raw_cell("# END TESTS"), nbformat.v4.new_raw_cell("# END QUESTION"),
             nbformat.v4.new_raw_cell("# BEGIN QUESTION\nname: q2_essay\nmanual: true"),
             nbformat.v4.new_markdown_cell("**Question 2.** Discuss routing."),
             nbformat.v4.new_raw_cell("# BEGIN SOLUTION"),
             nbformat.v4.new_markdown_cell("**Rubric.** Full marks for naming the capacity bound."),
             nbformat.v4.new_raw_cell("# END SOLUTION"), nbformat.v4.new_raw_cell("# END QUESTION"),
             nbformat.v4.new_raw_cell(check or '# SELF-CHECK\nquestion: "Which?"\nchoices:\n'
                                      '  - answer: "A"\n    correct: true\n    why: "because"\n'
                                      '  - answer: "B"\n    why: "not so"')]
    path = tmp_path / "99-test.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return exercises.read(path)


def test_the_build_it_machinery_accepts_a_good_check_and_catches_weak_ones(tmp_path):
    good = synthetic(tmp_path)
    [q, essay] = good.questions
    assert (q.function, q.points, essay.manual) == ("softmax", 2, True)
    assert build_problems(good, q) == []
    weak = synthetic(tmp_path, calls=1)
    assert any("times" in p for p in build_problems(weak, weak.questions[0]))
    loose = synthetic(tmp_path, atol="1e-2")
    assert any("perturbed solution passes" in p for p in build_problems(loose, loose.questions[0]))


def test_exercise_page_shows_solutions_and_rubrics_only_to_instructors(tmp_path):
    master = synthetic(tmp_path)
    instructor, student = exercises.page(master, True, ROOT), exercises.page(master, False, ROOT)
    for page in (instructor, student):
        assert "## Question 1 (build it)" in page and "*(10 min; needs §Routing)*" in page
        assert 'def softmax(x):\n    """Softmax over the last axis."""\n    ...' in page
        assert "colab.research.google.com" in page and "mybinder.org" in page
    assert "torch.softmax(x, dim=-1)" in instructor and "capacity bound" in instructor
    assert "torch.softmax(x, dim=-1)" not in student and "capacity bound" not in student
    secrets = leaks.master_solutions(master.path).secret
    assert any("torch.softmax(x, dim=-1)" in s for s in secrets) and any("capacity bound" in s for s in secrets)


@pytest.mark.parametrize("yaml_text, complaint", [
    ('question: "Q?"\nchoices:\n  - answer: "A"\n    why: "w"\n  - answer: "B"\n    why: "w"', "one marked `correct"),
    ('question: "Q?"\nchoices:\n  - answer: "A"\n    correct: true\n  - answer: "B"\n    why: "w"', "choice 1 needs"),
    ('question: "Q?"\nanswer: 3\nunit: "s"\nwhy: "w"', "tolerance"),
    ("question: [unclosed", "not valid YAML"),
])
def test_a_broken_self_check_is_refused_naming_the_master_and_question(tmp_path, yaml_text, complaint):
    with pytest.raises(exercises.MasterError, match=complaint) as err:
        synthetic(tmp_path, check="# SELF-CHECK\n" + yaml_text)
    assert "99-test.ipynb, self-check 1" in str(err.value)


def test_a_number_self_check_is_read(tmp_path):
    master = synthetic(tmp_path, check='# SELF-CHECK\nquestion: "How many?"\nanswer: 37\ntolerance: 0.5\n'
                                       'unit: "billion"\nwhy: "active parameters"')
    assert master.self_checks == [{"question": "How many?", "answer": 37, "tolerance": 0.5, "unit": "billion",
                                   "why": "active parameters"}]


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_every_master_reads_and_its_page_has_every_question(master):
    read = READ[master.name]
    page = exercises.page(read, False, ROOT)
    assert read.questions and page.count("\n## ") == len(read.questions)


def test_self_checks_render_as_html_that_needs_no_kernel():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import instructor

    choice = instructor.self_check_html({"question": "Which `route`?", "choices": [
        {"answer": "top-$k$", "correct": True, "why": "the *highest* <b>scores</b>"},
        {"answer": "all", "why": "dense"}]}, "sc-1", 1)
    assert choice.count("<details") == 2 and "<script" not in choice and "<form" not in choice
    assert "<code>route</code>" in choice and "&lt;b&gt;" in choice and r"\(k\)" in choice
    number = instructor.self_check_html({"question": "How many?", "answer": 37, "tolerance": 0.5,
                                         "unit": "billion", "why": "V3 activates 37B"}, "sc-2", 2)
    assert 'data-answer="37"' in number and '<label for="sc-2-in">' in number and 'id="sc-2-in"' in number
