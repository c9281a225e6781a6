"""Generate the student exercise notebooks from the otter-assign masters.

    python tools/exercises.py          # regenerate exercises/NN-slug.ipynb from exercises/masters/

`otter assign` strips the solutions and stores the (fingerprint-only) checks in the notebook's
metadata. Its output has random cell ids; we renumber them so that regenerating an unchanged
master gives a byte-identical file, which is what tests/test_exercises.py relies on.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "exercises" / "masters"
STUDENTS = ROOT / "exercises"


def masters() -> list[Path]:
    return sorted(MASTERS.glob("*.ipynb"))


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Deterministic ids, no outputs, no execution counts."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    return nb


def student_notebook(master: Path) -> str:
    """The student notebook `otter assign` makes from ``master``, as normalised text."""
    with tempfile.TemporaryDirectory() as tmp:
        otter = Path(sys.executable).with_name("otter")
        subprocess.run([str(otter), "assign", str(master), tmp], check=True,
                       capture_output=True, text=True, cwd=tmp)
        nb = nbformat.read(Path(tmp) / "student" / master.name, as_version=4)
    return nbformat.writes(normalise(nb)) + "\n"


def main() -> None:
    for master in masters():
        target = STUDENTS / master.name
        target.write_text(student_notebook(master), encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
