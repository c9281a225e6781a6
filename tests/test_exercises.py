"""Exercise notebooks: students get exactly what `otter assign` makes, and no solutions."""

import json
import re

import nbformat
import pytest
from conftest import ROOT

import exercises

MASTERS = exercises.masters()


def solution_lines(master):
    """The text a student must not see: solution lines and solution blocks of the master."""
    nb = nbformat.read(master, as_version=4)
    lines, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "raw":
            head = cell.source.strip().upper()
            inside = head.startswith("# BEGIN SOLUTION") or (inside and not head.startswith("# END SOLUTION"))
            continue
        if inside and cell.cell_type == "code":
            for line in cell.source.splitlines():
                code = re.sub(r"#\s*SOLUTION.*$", "", line).strip()
                if "=" in code:
                    code = code.split("=", 1)[1].strip()   # the student keeps `name = ...`
                if len(code) > 3 and code != "...":
                    lines.append(code)
    return lines


def test_there_is_a_master_per_student_notebook():
    students = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    assert students and students == [m.name for m in MASTERS]


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_committed_student_notebook_is_what_otter_assign_generates(master):
    committed = (ROOT / "exercises" / master.name).read_text()
    assert committed == exercises.student_notebook(master), "run `make exercises` and commit"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_no_solution_reaches_the_student_notebook(master):
    secrets = solution_lines(master)
    assert secrets, "the master has no solutions to protect"
    student = (ROOT / "exercises" / master.name).read_text()
    leaked = [s for s in secrets if s in student or json.dumps(s)[1:-1] in student]
    assert not leaked, f"solution text in the student notebook: {leaked}"
