"""Every page of the built site in chromium, cold (empty cache), served on localhost: bytes
transferred, requests and time to the load event, largest first, beside the budget that
tests/test_browser.py checks (tools/browser.py). Run by `make bench` after the build, or alone:

    .venv/bin/python benchmarks/bench_site.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import browser  # noqa: E402  (tools/browser.py)

SITE = ROOT / "_build" / "html"


def main() -> int:
    if not (SITE / "index.html").exists():
        print("no built site: run `make book` first", file=sys.stderr)
        return 1
    loads = []
    with browser.serve(SITE) as base, browser.chromium() as chromium:
        for path in browser.pages(SITE):
            context, _, load = browser.open_page(chromium, base, path)
            context.close()
            loads.append(load)
    print(browser.table(loads))
    total = sum(l.bytes for l in loads)
    print(f"{len(loads)} pages, {total:,} bytes cold in all; slowest load "
          f"{max(l.load_s for l in loads):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
