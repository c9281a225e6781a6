"""The built site in a real browser: Playwright driving Debian's chromium, headless.

Shared by ``tests/test_browser.py`` (checks every page) and ``benchmarks/bench_site.py`` (``make
bench``: what every page weighs, largest first). The site is served on localhost as a host such as
GitHub Pages serves it: text compressed with gzip, files cacheable for 10 minutes. A request to
another host is recorded and fails (its name does not resolve), so a page that needs the internet
fails here as it would on a classroom intranet.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Bytes a browser receives (gzip), first visit to a page (empty cache) and a second chapter (the
# reader came from the chapter before it, whose scripts and fonts the browser keeps).
BUDGET_FIRST = 1_500_000
BUDGET_SECOND = 300_000
# A generous ceiling for a loaded 2-core machine: it catches a page that hangs, not slowness.
BUDGET_LOAD_S = 15.0
COMPRESSED = {".html", ".js", ".css", ".json", ".svg", ".txt", ".map", ".xml"}

# Resolves when the page has drawn what it needs: the load event, every figure, MathJax's
# typesetting and the fonts it asked for. No fixed sleep, no network idle.
READY_JS = """async () => {
  const wait = async (ok, what) => {
    for (let i = 0; i < 300; i++) { if (ok()) return; await new Promise(r => setTimeout(r, 50)); }
    throw new Error('never ready (15 s): ' + what); };
  await wait(() => document.readyState === 'complete', 'the load event');
  await wait(() => [...document.querySelectorAll('figure.tinyseek-plot')].every(f => f.querySelector('.main-svg')),
             'a figure drawn by plotly.js');
  if (document.querySelector('script[src*="mathjax"]')) {
    await wait(() => window.MathJax && MathJax.startup && MathJax.startup.promise, 'MathJax started');
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
}"""
MEASURE_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  return {bytes: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
          requests: 1 + res.filter(r => r.transferSize > 0).length, load_ms: nav.loadEventEnd - nav.startTime};
}"""


def pages(site: Path) -> list[str]:
    """Every HTML page of the built site, as a path relative to it (root first), not redirects."""
    skip = {"_static", "_sources", "_images", "jupyter_execute"}
    found = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                   if not skip & set(p.relative_to(site).parts) and p.stat().st_size > 1000)
    return sorted(found, key=lambda p: p != "index.html")


def came_from(site: Path, path: str) -> str:
    """The page a reader saw before ``path``: the chapter before it (the first chapter's next one)."""
    order = [p for p in pages(site) if re.match(r"book/\d\d-", p)]
    if path not in order:
        return order[0]
    i = order.index(path)
    return order[i - 1] if i else order[min(1, len(order) - 1)]


class _Handler(http.server.SimpleHTTPRequestHandler):
    """gzip for text, ``Cache-Control: max-age=600`` for everything (as GitHub Pages)."""

    def log_message(self, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.suffix not in COMPRESSED or "gzip" not in self.headers.get("Accept-Encoding", "") \
                or not path.is_file():
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def serve(site: Path):
    """Serve ``site`` on a free localhost port; yields the base URL (ending in '/')."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
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
        # other hosts do not resolve (Playwright's request routing would also turn the cache off)
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"])
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Load:
    """One load of one page: what it cost and what went wrong."""

    path: str
    bytes: int = 0
    requests: int = 0
    load_s: float = 0.0
    second: int = 0            # gzip bytes when the reader came from the chapter before
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)


def host_is_local(url: str) -> bool:
    return url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOCAL_HOSTS


def open_page(browser, base: str, path: str, site: Path | None = None, **context_options):
    """A fresh context (empty cache) at ``base + path``, watched and ready (READY_JS). With the
    built ``site``, also ``load.second``: the bytes of ``path`` in another fresh context that came
    from the page before it (``came_from``). Returns (context, page, Load)."""
    load = Load(path)
    if site is not None:
        context = browser.new_context()
        page = context.new_page()
        for visit in (came_from(site, path), path):
            page.goto(base + visit, wait_until="load")
            page.evaluate(READY_JS)
        load.second = int(page.evaluate(MEASURE_JS)["bytes"])
        context.close()
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and load.console_errors.append(
        f"{m.text} ({m.location.get('url', '')}:{m.location.get('lineNumber', '')})"))
    page.on("pageerror", lambda e: load.console_errors.append(f"uncaught: {e}"))
    page.on("request", lambda r: host_is_local(r.url) or load.offsite.append(r.url))
    page.on("requestfailed", lambda r: host_is_local(r.url) and load.failed.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and load.failed.append(f"{r.url}: HTTP {r.status}"))
    page.goto(base + path, wait_until="load")
    page.evaluate(READY_JS)
    measured = page.evaluate(MEASURE_JS)
    load.bytes, load.requests = int(measured["bytes"]), int(measured["requests"])
    load.load_s = measured["load_ms"] / 1000
    return context, page, load


def table(loads: list[Load]) -> str:
    """gzip bytes of every page, first visit and second chapter, largest first, against the budget."""
    lines = [f"{'page':<34} {'first visit':>12} {'second':>9} {'requests':>8} {'load':>7}   budget "
             f"{BUDGET_FIRST / 1e6:.1f} MB / {BUDGET_SECOND / 1e3:.0f} kB (gzip)"]
    for load in sorted(loads, key=lambda x: x.bytes, reverse=True):
        over = [w for w, bad in (("first", load.bytes > BUDGET_FIRST), ("second", load.second > BUDGET_SECOND),
                                 ("time", load.load_s > BUDGET_LOAD_S)) if bad]
        lines.append(f"{load.path:<34} {load.bytes:>12,} {load.second:>9,} {load.requests:>8} {load.load_s:>6.2f}s"
                     f"   {load.bytes / BUDGET_FIRST:4.0%}" + (f"  OVER: {', '.join(over)}" if over else ""))
    return "\n".join(lines)
