"""The reader's costs. Every page of the built site in chromium, served on localhost as a compressing host serves it:
gzip bytes of a first visit (empty cache) and of a second chapter (coming from the chapter before),
requests and load time, largest first, beside the budgets tests/test_browser.py checks
(tools/browser.py). Run by `make bench` after the build, or alone (optionally on another build):

    .venv/bin/python benchmarks/bench_site.py [_build/html]

Then what Binder installs: a fresh virtual environment set up by binder/postBuild, its size on
disk against the budget (benchmarks/budgets.yaml), and any build or test tool that crept into it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "tests")]

import browser  # noqa: E402  (tools/browser.py)
import yaml  # noqa: E402

RUNTIME_BUDGET = yaml.safe_load((ROOT / "benchmarks" / "budgets.yaml").read_text())["binder_image_bytes"]


def runtime_size() -> int:
    """Bytes on disk of a fresh venv after binder/postBuild, Binder's only install step."""
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "runtime"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
        # PyTorch's CPU index, as on Binder; unless pip is set up with a local CPU wheel
        if any(Path(d).glob("torch-*+cpu-*.whl") for d in os.environ.get("PIP_FIND_LINKS", "").split()):
            env["TORCH_INDEX"] = ""
        subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], check=True, cwd=ROOT, env=env)
        from test_setup import BUILD_TOOLS  # tests/test_setup.py: the one list of them

        tools = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=freeze"], capture_output=True,
                               text=True, check=True).stdout
        crept = sorted({line.split("==")[0].lower() for line in tools.splitlines()} & BUILD_TOOLS)
        if crept:
            print(f"build or test tools in the runtime environment: {', '.join(crept)}")
        return sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())


def main(site: Path = ROOT / "_build" / "html") -> int:
    if not (site / "index.html").exists():
        print("no built site: run `make book` first", file=sys.stderr)
        return 1
    with browser.serve(site) as base, browser.chromium() as chromium:
        loads = []
        for path in browser.pages(site):
            context, _, load = browser.open_page(chromium, base, path, site=site)
            context.close()
            loads.append(load)
    print(browser.table(loads))
    print(f"{len(loads)} pages; heaviest first visit {max(x.bytes for x in loads):,} bytes, heaviest second "
          f"chapter {max(x.second for x in loads):,} bytes (gzip); slowest load {max(x.load_s for x in loads):.2f} s")
    size = runtime_size()
    print(f"Binder (binder/postBuild, fresh venv): {size / 1e9:.2f} GB installed, budget "
          f"{RUNTIME_BUDGET / 1e9:.1f} GB" + ("  OVER" if size > RUNTIME_BUDGET else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:])))
