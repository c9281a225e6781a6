"""The built site in a real browser (Playwright driving Debian's chromium, headless, on localhost).

Pages are discovered from ``_build/html``, so a new chapter is covered without editing this file.
Every page: no console error, no failed request, no request off localhost, within the budget of
bytes and load time (table printed at the end), no serious or critical axe-core violation in light
and dark mode, meaningful alt text, no sideways scrolling at a phone's width. Every kernel-free
figure answers its sliders; every ipywidget shows its saved state with a note and a launch link;
search finds every chapter by a word from its body. Screenshots of failures go to
``_build/browser-artifacts/``.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import browser  # tools/browser.py
import pytest
from conftest import SITE

ARTIFACTS = SITE.parent / "browser-artifacts"
AXE = SITE.parent / "npm" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
PAGES = browser.pages(SITE) if (SITE / "index.html").exists() else ["index.html"]
CHAPTERS = [p for p in PAGES if re.match(r"book/\d\d-", p)]
LOADS: list[browser.Load] = []   # printed at the end of the run (conftest.py)
GENERIC_ALT = {"image", "img", "figure", "fig", "plot", "chart", "graph", "picture", "photo", "png",
               "svg", "output", "untitled"}


def _html(path: str) -> str:
    return (SITE / path).read_text(encoding="utf-8")


FIGURE_PAGES = [p for p in PAGES if 'class="tinyseek-plot"' in _html(p)] if SITE.exists() else []
WIDGET_PAGES = [p for p in PAGES if "application/vnd.jupyter.widget-view+json" in _html(p)] \
    if SITE.exists() else []


@pytest.fixture(scope="module")
def base(site):
    with browser.serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    with browser.chromium() as b:
        yield b


def _shot(page, name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^\w.-]", "_", name) + ".png")
    page.screenshot(path=str(path), full_page=True)
    return f"(screenshot: {path})"


def _axe(page, only: list[str] | None = None) -> list[str]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make vendor` fetches axe-core")
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "rule", "values": only}} if only else {}
    violations = page.evaluate("async (o) => (await axe.run(document, o)).violations", options)
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes'][:3]]}"
            for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_clean_accessible_and_within_budget(chromium, base, path):
    context, page, load = browser.open_page(chromium, base, path)
    try:
        LOADS.append(load)
        problems = [f"console error: {e}" for e in load.console_errors]
        problems += [f"failed request: {f}" for f in load.failed]
        problems += [f"request off localhost: {u}" for u in load.offsite]
        if load.bytes > browser.BUDGET_BYTES:
            problems.append(f"{load.bytes:,} bytes transferred, budget {browser.BUDGET_BYTES:,}")
        if load.load_s > browser.BUDGET_LOAD_S:
            problems.append(f"loaded in {load.load_s:.1f} s, budget {browser.BUDGET_LOAD_S} s")
        problems += _axe(page)
        for img in page.eval_on_selector_all("img", "els => els.map(e => [e.src, e.alt])"):
            src, alt = img
            words = re.findall(r"[A-Za-z]{2,}", alt or "")
            if len(words) < 2 or alt.strip().lower() in GENERIC_ALT or re.search(r"\.(png|jpe?g|svg|gif)\b", alt):
                problems.append(f"image without meaningful alt text: {src} alt={alt!r}")
        for label in page.eval_on_selector_all("figure.tinyseek-plot", "els => els.map(e => e.getAttribute('aria-label'))"):
            if len(re.findall(r"[A-Za-z]{2,}", label or "")) < 3:
                problems.append(f"interactive figure without a description: aria-label={label!r}")
        if problems:
            problems.append(_shot(page, f"light-{path}"))
        assert not problems, f"{path}:\n" + "\n".join(problems)
    finally:
        context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_in_dark_mode_at_phone_width(chromium, base, path):
    context, page, load = browser.open_page(chromium, base, path, color_scheme="dark", viewport=PHONE,
                                            is_mobile=True, has_touch=True)
    try:
        problems = []
        if page.evaluate("document.documentElement.dataset.theme") != "dark":
            problems.append("the theme did not follow the reader's dark colour scheme")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        if sum(map(int, re.findall(r"\d+", background)[:3])) > 3 * 100:
            problems.append(f"dark mode but a light page background: {background}")
        wide = page.evaluate("""() => [document.documentElement.scrollWidth, innerWidth,
            [...document.querySelectorAll('figure.tinyseek-plot, .jupyter-widgets, img')]
              .filter(e => e.getBoundingClientRect().right > innerWidth + 1).map(e => e.outerHTML.slice(0, 80))
              .concat([...document.querySelectorAll('figure.tinyseek-plot')]
                .filter(f => f.querySelector('.main-svg')?.getBoundingClientRect().width > f.clientWidth + 1)
                .map(f => 'a figure drawn wider than its column: ' + f.getAttribute('aria-label')))]""")
        if wide[0] > wide[1] + 1:
            problems.append(f"the page scrolls sideways at {wide[1]} px: {wide[0]} px wide")
        problems += [f"wider than the phone: {e}" for e in wide[2]]
        problems += [f"dark mode: {v}" for v in _axe(page, ["color-contrast", "link-in-text-block"])]
        problems += [f"console error: {e}" for e in load.console_errors]
        if problems:
            problems.append(_shot(page, f"dark-phone-{path}"))
        assert not problems, f"{path}:\n" + "\n".join(problems)
    finally:
        context.close()


# What a figure draws, without its sliders (which move whatever the figure does).
RENDERED_JS = """(fig) => [...fig.querySelectorAll('svg.main-svg')].map(svg => {
  const copy = svg.cloneNode(true);
  copy.querySelectorAll('.slider-container, .updatemenu-container').forEach(e => e.remove());
  return copy.innerHTML; }).join('')"""


@pytest.mark.parametrize("path", FIGURE_PAGES)
def test_every_kernel_free_figure_answers_its_sliders(chromium, base, path):
    context, page, load = browser.open_page(chromium, base, path)
    try:
        figures = page.query_selector_all("figure.tinyseek-plot")
        assert figures, "the page has a figure in its HTML but none was drawn"
        moved = 0
        for n, fig in enumerate(figures):
            graph = fig.query_selector(".js-plotly-plot")
            assert graph is not None, f"figure {n + 1} was not drawn by plotly.js"
            missing = graph.evaluate("g => g.data.map(t => t.type || 'scatter')"
                                     ".filter(t => !(t in Plotly.PlotSchema.get().traces))")
            assert not missing, (f"figure {n + 1}: the site's plotly.js bundle has no {missing} "
                                 "traces (tools/vendor.py pins the cartesian bundle)")
            sliders = graph.query_selector_all(".slider-container")
            for k, slider in enumerate(sliders):
                moved += 1
                before_active = graph.evaluate(f"g => g._fullLayout.sliders[{k}].active")
                steps = graph.evaluate(f"g => g._fullLayout.sliders[{k}].steps.length")
                before = fig.evaluate(RENDERED_JS)
                frac = 0.9 if before_active < steps / 2 else 0.1      # well away from where it is
                slider.query_selector(".slider-rail-touch-rect").scroll_into_view_if_needed()
                rail = slider.query_selector(".slider-rail-touch-rect").bounding_box()
                page.mouse.click(rail["x"] + frac * rail["width"], rail["y"] + rail["height"] / 2)
                where = f"{path}, figure {n + 1}, slider {k + 1}"
                try:
                    page.wait_for_function("([g, k, a]) => g._fullLayout.sliders[k].active !== a",
                                           arg=[graph, k, before_active], timeout=5000)
                except Exception:
                    pytest.fail(f"{where}: clicking the slider's rail did not move it "
                                + _shot(page, f"figure-{path}-{n}-{k}"))
                page.wait_for_timeout(300)                            # let the redraw finish
                after = fig.evaluate(RENDERED_JS)
                if after == before:
                    pytest.fail(f"{where}: the slider moved but the figure drew the same "
                                + _shot(page, f"figure-{path}-{n}-{k}"))
        assert moved, "no figure on this page has a slider: a kernel-free figure should have one"
        assert not load.console_errors, load.console_errors
    finally:
        context.close()


class _WidgetState(HTMLParser):
    """The saved widget models of a page (the JSON myst-nb embeds)."""

    def __init__(self, text):
        super().__init__()
        self.models, self._in = {}, False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self._in = tag == "script" and dict(attrs).get("type") == "application/vnd.jupyter.widget-state+json"

    def handle_data(self, data):
        if self._in:
            self.models.update(json.loads(data)["state"])
            self._in = False


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.mark.parametrize("path", WIDGET_PAGES)
def test_widgets_show_their_saved_state_with_a_launch_note(chromium, base, path):
    models = _WidgetState(_html(path)).models
    results = [_text(m["state"]["value"]) for m in models.values()
               if m["model_name"] == "HTMLModel" and _text(m["state"].get("value", ""))]
    values = [m["state"]["value"] for m in models.values()
              if m["model_name"] in ("FloatSliderModel", "IntSliderModel")]
    assert results, "every widget of the book has a result line; none was saved"
    context, page, load = browser.open_page(chromium, base, path)
    try:
        views = page.query_selector_all('script[type="application/vnd.jupyter.widget-view+json"]')
        rendered = page.query_selector_all(".jupyter-widgets.widget-vbox, .jupyter-widgets.widget-box")
        assert len(rendered) >= len(views), f"{len(views)} widgets saved, {len(rendered)} drawn"
        shown = " ".join(page.eval_on_selector_all(".jupyter-widgets", "els => els.map(e => e.innerText)").__iter__())
        shown = " ".join(shown.split())
        missing = [r for r in results if r not in shown]
        assert not missing, f"saved results not shown: {missing} " + _shot(page, f"widgets-{path}")
        readouts = page.eval_on_selector_all(".widget-readout", "els => els.map(e => e.innerText)")
        assert len(readouts) >= len(values), "a saved slider was not drawn with its value"
        notes = page.query_selector_all(".tinyseek-widget-note")
        assert len(notes) == len(views), f"{len(views)} widgets, {len(notes)} notes about the kernel"
        for note in notes:
            text = note.inner_text()
            assert "kernel" in text and "saved" in text.lower(), text
            hrefs = note.eval_on_selector_all("a", "els => els.map(a => a.getAttribute('href'))")
            assert any("colab" in h or "binder" in h or "where-to-run" in h for h in hrefs), hrefs
        assert not load.console_errors and not load.failed and not load.offsite
    finally:
        context.close()


class _Words(HTMLParser):
    """Words of the paragraphs in a page's article."""

    def __init__(self, text):
        super().__init__()
        self.words, self._article, self._p = [], 0, 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self._article += tag == "article"
        self._p += tag == "p" and self._article > 0

    def handle_endtag(self, tag):
        self._article -= tag == "article" and self._article > 0
        self._p -= tag == "p" and self._p > 0

    def handle_data(self, data):
        if self._p:
            self.words += re.findall(r"\b[a-z]{9,}\b", data.lower())


def search_term(path: str) -> str:
    """A long word from the chapter's body that the fewest other pages use (ties: alphabetical)."""
    mine = set(_Words(_html(path)).words)
    others = Counter(w for p in PAGES if p != path for w in set(_Words(_html(p)).words))
    return min(sorted(mine), key=lambda w: others[w])


@pytest.mark.parametrize("path", CHAPTERS)
def test_search_finds_the_chapter_by_a_word_from_its_body(chromium, base, path):
    term = search_term(path)
    context, page, load = browser.open_page(chromium, base, f"search.html?q={term}")
    try:
        page.wait_for_selector("#search-results .search-summary, #search-results p", timeout=15000)
        page.wait_for_function("!document.querySelector('#search-results h2')?.textContent.includes('Searching')"
                               " && document.querySelectorAll('#search-results li').length > 0", timeout=15000)
        hrefs = page.eval_on_selector_all("#search-results li a", "els => els.map(a => a.href)")
        assert any(Path(path).stem in h for h in hrefs), f"searching {term!r} did not find {path}: {hrefs}"
    finally:
        context.close()


def test_site_images_are_sized_for_the_web(site):
    heavy = [f"{p.relative_to(site)}: {p.stat().st_size:,} bytes" for p in site.rglob("*")
             if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif", ".webp"} and "_static" not in p.parts
             and p.stat().st_size > 300_000]
    assert not heavy, "images over 300 kB (line art should be SVG):\n" + "\n".join(heavy)


def test_student_site_loads_offline_and_clean(chromium):
    """The student build (`make student`) serves the same scripts: every page loads cleanly too."""
    student = SITE.parent / "student" / "_build" / "html"
    if not (student / "index.html").exists():
        pytest.fail("the student site is missing: `make test` builds it first (or `make student`)")
    problems = []
    with browser.serve(student) as base:
        for path in browser.pages(student):
            context, page, load = browser.open_page(chromium, base, path)
            problems += [f"{path}: {p}" for p in load.console_errors + load.failed]
            problems += [f"{path}: request off localhost: {u}" for u in load.offsite]
            if "application/vnd.jupyter.widget-view+json" in (student / path).read_text(encoding="utf-8"):
                notes = page.eval_on_selector_all(".tinyseek-widget-note a", "els => els.map(a => a.href)")
                if not any("where-to-run" in h for h in notes):
                    problems.append(f"{path}: a widget note without a link to where it runs live")
            context.close()
    assert not problems, "\n".join(problems)
