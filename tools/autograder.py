"""`make autograder`: ``exercises/dist/NN-slug/autograder.zip`` and the solution notebook
``exercises/dist/NN-slug/solution/NN-slug.ipynb`` for every master, from ``otter assign`` on the
prepared master (tools/exercises.py). The bundle grades with ``otter run -a autograder.zip
submission.ipynb`` (no Docker; ``grade`` below), ``otter grade`` (Docker) or on Gradescope.
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
    """Write ``out/autograder.zip`` and ``out/solution/<master's name>`` (the set-up cell opens the
    notebook by that name) for ``master``."""
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
    """``(points, possible)`` for ``submission``, graded by otter on this machine, in a scratch
    folder (otter leaves its log and results beside the notebook)."""
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
