"""`make autograder`: an otter autograder bundle for every exercise master.

    python tools/autograder.py     # writes exercises/dist/NN-slug/autograder.zip and
                                   # exercises/dist/NN-slug/solution/NN-slug.ipynb

The bundle is what ``otter assign`` generates from the prepared master (the same one the student
notebook comes from, see ``tools/exercises.py``): the tests, and the set-up otter needs to grade.
It works three ways: ``otter run -a autograder.zip submission.ipynb`` on this machine (no Docker),
``otter grade`` (Docker), and as a Gradescope autograder. ``grade`` below is the first of these
from Python; the test suite uses it to check that the solution scores full marks and the blank
student notebook zero.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "exercises" / "dist"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import exercises  # noqa: E402


def bundle(master: Path, out: Path) -> tuple[Path, Path]:
    """Write ``out/autograder.zip`` and ``out/solution/<master's name>`` for ``master``.

    The solution keeps the notebook's name: its set-up cell opens the file by that name.
    """
    (out / "solution").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        dist = exercises.assign(master, Path(tmp) / "dist", generate=True)
        zips = sorted((dist / "autograder").glob("*.zip"))
        if len(zips) != 1:
            raise RuntimeError(f"otter assign made {len(zips)} autograder zips for {master.name}")
        shutil.copyfile(zips[0], out / "autograder.zip")            # otter's name has a timestamp
        shutil.copyfile(dist / "autograder" / master.name, out / "solution" / master.name)
    return out / "autograder.zip", out / "solution" / master.name


def grade(autograder_zip: Path, submission: Path) -> tuple[float, float]:
    """``(points, possible)`` for ``submission``, graded by otter on this machine (no Docker).

    The submission is copied into a scratch folder first: otter executes it there and leaves
    its log and results beside it.
    """
    from otter.api import grade_submission

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / submission.name
        shutil.copyfile(submission, copy)
        results = grade_submission(str(copy), str(autograder_zip), quiet=True)
    return float(results.total), float(results.possible)


def main() -> None:
    for master in exercises.masters():
        zip_path, solution = bundle(master, DIST / master.stem)
        print(f"wrote {zip_path.relative_to(ROOT)} and {solution.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
