"""The built site in a real browser: Playwright driving Debian's chromium, headless.

Shared by ``tests/test_browser.py`` (checks every page) and ``benchmarks/bench_site.py`` (``make
bench``: bytes and load time of every page, largest first). The site is served on localhost by
Python's own HTTP server, as ``make serve`` does; any request to another host is refused and
recorded, so a page that needs the internet fails here as it would on a classroom intranet.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# What one page may cost, cold (no cache, no compression: python -m http.server), on localhost.
# A chapter with widgets, figures and math measured 8-9.6 MB: the widgets' HTML manager 3.6 MB,
# the theme's Font Awesome script 1.5 MB, plotly.js (cartesian bundle) 1.5 MB, MathJax 1.2 MB, the
# page itself under 0.5 MB; the browser caches all but the page from one page to the next. The
# time is a generous ceiling for a loaded 2-core machine: it catches a page that hangs or waits
# on the network, not slowness (`make bench` reports the times).
BUDGET_BYTES = 10_500_000
BUDGET_LOAD_S = 15.0

MEASURE_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  return {bytes: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
          requests: 1 + res.length, load_ms: nav.loadEventEnd - nav.startTime};
}"""


def pages(site: Path) -> list[str]:
    """Every HTML page of the built site, as a path relative to it (root first)."""
    skip = {"_static", "_sources", "_images", "jupyter_execute"}
    found = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                   if not skip & set(p.relative_to(site).parts))
    return sorted(found, key=lambda p: p != "index.html")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(site: Path):
    """Serve ``site`` on a free localhost port; yields the base URL (ending in '/')."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium():
    """A headless chromium driven by Playwright (Debian's binary, not a downloaded one)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"no browser at {CHROMIUM}: `make browser-deps` installs Debian's chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Load:
    """One cold load of one page: what it cost and what went wrong."""

    path: str
    bytes: int = 0
    requests: int = 0
    load_s: float = 0.0
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)


def open_page(browser, base: str, path: str, **context_options):
    """A fresh context (empty cache) and page at ``base + path``, watched; returns (context, page, Load)."""
    load = Load(path)
    context = browser.new_context(**context_options)

    def route(r):
        host = urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            r.continue_()
        else:
            load.offsite.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and load.console_errors.append(
        f"{m.text} ({m.location.get('url', '')}:{m.location.get('lineNumber', '')})"))
    page.on("pageerror", lambda e: load.console_errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: host_is_local(r.url) and load.failed.append(
        f"{r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and load.failed.append(f"{r.url}: HTTP {r.status}"))
    page.goto(base + path, wait_until="load")
    page.wait_for_load_state("networkidle")
    measured = page.evaluate(MEASURE_JS)
    load.bytes, load.requests = int(measured["bytes"]), int(measured["requests"])
    load.load_s = measured["load_ms"] / 1000
    return context, page, load


def host_is_local(url: str) -> bool:
    return url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOCAL_HOSTS


def table(loads: list[Load]) -> str:
    """Bytes, requests and load time of every page, largest first, against the budget."""
    lines = [f"{'page':<42} {'bytes':>11} {'requests':>8} {'load':>7}   budget "
             f"({BUDGET_BYTES / 1e6:.1f} MB, {BUDGET_LOAD_S:.0f} s)"]
    for load in sorted(loads, key=lambda l: l.bytes, reverse=True):
        over = [w for w, bad in (("bytes", load.bytes > BUDGET_BYTES),
                                 ("time", load.load_s > BUDGET_LOAD_S)) if bad]
        lines.append(f"{load.path:<42} {load.bytes:>11,} {load.requests:>8} {load.load_s:>6.2f}s   "
                     f"{load.bytes / BUDGET_BYTES:4.0%}" + (f"  OVER: {', '.join(over)}" if over else ""))
    return "\n".join(lines)
