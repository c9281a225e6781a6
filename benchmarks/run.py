"""`make bench`: time the clean build, the cached rebuild and every notebook, then run each
benchmarks/bench_*.py (bench_site.py: every page of the site in chromium, bytes and load time,
largest first). Prints tables with the budgets of benchmarks/budgets.yaml beside the times
(CONTRIBUTING.md, "Budgets", explains them).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BUDGETS = yaml.safe_load((ROOT / "benchmarks" / "budgets.yaml").read_text(encoding="utf-8"))
NOTEBOOK_BUDGET_S, BUILD_BUDGET_S, REBUILD_BUDGET_S = (BUDGETS[k] for k in ("notebook_s", "clean_build_s",
                                                                           "cached_rebuild_s"))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def build() -> None:
    subprocess.run([str(BIN / "jupyter-book"), "build", str(ROOT), "--warningiserror", "--nitpick",
                    "--keep-going", "--quiet"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()


def verdict(seconds: float, budget: float) -> str:
    return f"{seconds / budget:5.0%} of budget" + ("" if seconds <= budget else "  OVER BUDGET")


def main() -> None:
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    clean = timed(build)
    cached = timed(build)
    print("\n== Book build ==")
    for label, seconds, budget in (("clean build (notebooks executed)", clean, BUILD_BUDGET_S),
                                   ("cached rebuild", cached, REBUILD_BUDGET_S)):
        print(f"{label:<32} {seconds:7.1f} s   {verdict(seconds, budget)} ({budget} s)")

    paths = sorted(ROOT.glob("book/*.ipynb")) + sorted(ROOT.glob("exercises/**/*.ipynb"))
    times = sorted(((timed(lambda p=p: execute(p)), p) for p in paths), reverse=True)
    print(f"\n== Notebook execution, slowest first (budget {NOTEBOOK_BUDGET_S} s each) ==")
    for seconds, path in times:
        print(f"{seconds:7.1f} s   {verdict(seconds, NOTEBOOK_BUDGET_S)}   {path.relative_to(ROOT)}")

    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        print(f"\n== {script.name} ==", flush=True)
        subprocess.run([sys.executable, str(script)], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
