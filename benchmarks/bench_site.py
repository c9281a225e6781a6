"""Every page of the built site in chromium, served on localhost as a compressing host serves it:
gzip bytes of a first visit (empty cache) and of a second chapter (coming from the chapter before),
requests and load time, largest first, beside the budgets tests/test_browser.py checks
(tools/browser.py). Run by `make bench` after the build, or alone (optionally on another build):

    .venv/bin/python benchmarks/bench_site.py [_build/html]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import browser  # noqa: E402  (tools/browser.py)


def main(site: Path = ROOT / "_build" / "html") -> int:
    if not (site / "index.html").exists():
        print("no built site: run `make book` first", file=sys.stderr)
        return 1
    with browser.serve(site) as base, browser.chromium() as chromium:
        loads = [browser.weigh(chromium, base, site, path) for path in browser.pages(site)]
    print(browser.table(loads))
    print(f"{len(loads)} pages; heaviest first visit {max(x.bytes for x in loads):,} bytes, heaviest second "
          f"chapter {max(x.second for x in loads):,} bytes (gzip); slowest load {max(x.load_s for x in loads):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:])))
