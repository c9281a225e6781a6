"""The built site in a real browser (Playwright driving Debian's chromium, headless, on localhost).

Pages are discovered from ``_build/html``, so a new chapter is covered without editing this file.
Each check looks for a kind of defect on every page: what the browser receives (gzip, first visit
and second chapter) within budget; no console error, failed request or request off localhost;
axe-core in light and dark mode; every text output shows all its lines; no raw TeX, no MathJax
error; no sideways scrolling at a phone's width; every plotly figure's titles, legend and
annotations inside the figure and apart, at 390 and 1280 px; every figure slider answers the mouse
and the keyboard; every SVG diagram has alt text and unclipped text; every live panel shows its
saved output and where it runs live. Each waits for the condition it needs (tools/browser.py
READY_JS); screenshots of failures go to ``_build/browser-artifacts/``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import browser  # tools/browser.py
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, SITE

ARTIFACTS = SITE.parent / "browser-artifacts"
EXECUTED = SITE.parent / "jupyter_execute"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PAGES = browser.pages(SITE) if (SITE / "index.html").exists() else ["index.html"]
CHAPTERS = [p for p in PAGES if re.match(r"book/\d\d-", p)]
LOADS: list[browser.Load] = []   # printed at the end of the run (conftest.py)
GENERIC_ALT = {"image", "img", "figure", "fig", "plot", "chart", "graph", "picture", "photo", "png",
               "svg", "output", "untitled"}
# Figures whose layout the chapters' authors are fixing now (their tasks list them): a layout
# failure only of these is an expected failure, any other figure's fails the test.
FIGURES_BEING_FIXED = {"Figure 2.1", "Figure 3.1", "Figure 4.4", "Figure 4.6", "Figure 7.2"}


def _soup(path: str) -> BeautifulSoup:
    return BeautifulSoup((SITE / path).read_text(encoding="utf-8"), "html.parser")


FIGURE_PAGES = [p for p in PAGES if _soup(p).select_one("figure.tinyseek-plot")] if SITE.exists() else []


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


def _text_outputs(path: str) -> list[str]:
    """Lines of every plain-text output of the executed notebook behind ``path`` that the page shows."""
    nb = EXECUTED / Path(path).with_suffix(".ipynb")
    if not nb.exists():
        return []
    lines = []
    for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code" or tags & {"remove-cell", "remove-output", "hide-output"}:
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = out.get("text") if out.get("output_type") == "stream" and out.get("name") == "stdout" else \
                (data.get("text/plain") if set(data) <= {"text/plain"} else None)
            lines += [" ".join(line.split()) for line in "".join(text or []).splitlines() if line.strip()]
    return lines


# Rendered-text defects: raw TeX a reader would see, tags the browser did not know (an unescaped '<'
# in an output swallows what follows it), MathJax's own error marks.
PAGE_TEXT_JS = """() => {
  const article = document.querySelector('article') || document.body;
  const copy = article.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container, .math').forEach(e => e.remove());
  const unknown = [...article.querySelectorAll('*')].filter(e => e instanceof HTMLUnknownElement
      && !e.tagName.includes('-')).map(e => '<' + e.tagName.toLowerCase() + '>');
  const unused = [['MathJax', 'script[src*="mathjax"]', 'mjx-container'],
                  ['plotly.js', 'script[src*="plotly"]', 'figure.tinyseek-plot .main-svg']]
    .filter(([, script, use]) => document.querySelector(script) && !document.querySelector(use)).map(([n]) => n);
  return {text: article.innerText.replace(/\\s+/g, ' '), prose: copy.textContent, unknown, unused,
          mathErrors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length};
}"""
RAW_TEX = re.compile(r"\\(?:frac|sum|mathrm|text|begin|end|left|right|cdot|times|alpha|beta|theta|pi)\b|\\[\(\[]|\$\$")

# Every SVG diagram, an <img> or drawn into an output by a hidden cell (not plotly's, not icons): a
# text alternative, and every text inside its viewBox at the width it is shown.
SVG_CLIPPED_JS = """async () => {
  const bad = [], check = (svg, name) => {
    const view = svg.viewBox.baseVal;
    if (!view || !view.width) return bad.push(name + ': no viewBox');
    for (const t of svg.querySelectorAll('text')) {
      // the text's box in the view box's coordinates, after its own transform (a rotated axis title)
      const b = t.getBBox(), m = svg.getScreenCTM().inverse().multiply(t.getScreenCTM());
      const xs = [], ys = [];
      for (const [x, y] of [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]]) {
        const p = new DOMPoint(x, y).matrixTransform(m); xs.push(p.x); ys.push(p.y);
      }
      if (Math.min(...xs) < view.x - 0.5 || Math.min(...ys) < view.y - 0.5
          || Math.max(...xs) > view.x + view.width + 0.5 || Math.max(...ys) > view.y + view.height + 0.5)
        bad.push(name + ': text clipped: ' + JSON.stringify(t.textContent.trim().slice(0, 40)));
    }
  };
  for (const img of document.querySelectorAll('img[src$=".svg"]')) {
    const text = await (await fetch(img.src)).text();
    const box = document.createElement('div');
    box.style.cssText = 'position:absolute;visibility:hidden;left:0;top:0;width:' + (img.clientWidth || 720) + 'px';
    box.innerHTML = text.replace(/^[\\s\\S]*?(<svg)/, '$1');
    document.body.appendChild(box);
    check(box.querySelector('svg'), img.src.split('/').pop());
    box.remove();
  }
  for (const svg of document.querySelectorAll('article svg:not(.main-svg):not(.svg-inline--fa)')) {
    if (svg.closest('.js-plotly-plot, button, a') || svg.getBoundingClientRect().width < 48) continue;
    const name = 'inline SVG ' + JSON.stringify((svg.querySelector('title')?.textContent || '').slice(0, 40));
    if (!svg.getAttribute('aria-label') && !svg.querySelector('title')) bad.push(name + ': no text alternative');
    check(svg, name);
  }
  return bad;
}"""


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_clean_accessible_and_within_budget(chromium, base, site, path):
    context, page, load = browser.open_page(chromium, base, path, site=site, viewport=DESKTOP)
    try:
        LOADS.append(load)
        problems = [f"console error: {e}" for e in load.console_errors]
        problems += [f"failed request: {f}" for f in load.failed]
        problems += [f"request off localhost: {u}" for u in load.offsite]
        if load.bytes > browser.BUDGET_FIRST:
            problems.append(f"first visit {load.bytes:,} bytes (gzip), budget {browser.BUDGET_FIRST:,}")
        if load.second > browser.BUDGET_SECOND:
            problems.append(f"after {browser.came_from(site, path)}: {load.second:,} bytes (gzip), "
                            f"budget {browser.BUDGET_SECOND:,}")
        if load.load_s > browser.BUDGET_LOAD_S:
            problems.append(f"loaded in {load.load_s:.1f} s, budget {browser.BUDGET_LOAD_S} s")
        problems += _axe(page)
        for src, alt in page.eval_on_selector_all("img", "els => els.map(e => [e.src, e.alt])"):
            words = re.findall(r"[A-Za-z]{2,}", alt or "")
            if len(words) < 2 or alt.strip().lower() in GENERIC_ALT or re.search(r"\.(png|jpe?g|svg|gif)\b", alt):
                problems.append(f"image without meaningful alt text: {src} alt={alt!r}")
        problems += page.evaluate(SVG_CLIPPED_JS)
        for label in page.eval_on_selector_all("figure.tinyseek-plot", "els => els.map(e => e.ariaLabel)"):
            if len(re.findall(r"[A-Za-z]{2,}", label or "")) < 3:
                problems.append(f"interactive figure without a description: aria-label={label!r}")
        shown = page.evaluate(PAGE_TEXT_JS)
        problems += [f"an output line is not shown (an unescaped '<'?): {line!r}"
                     for line in _text_outputs(path) if line not in shown["text"]][:5]
        problems += [f"the browser did not know the tag {t}: an unescaped '<' in an output?"
                     for t in sorted(set(shown["unknown"]))]
        problems += [f"raw TeX in the text: ...{shown['prose'][max(0, m.start() - 30):m.end() + 30]!r}..."
                     for m in RAW_TEX.finditer(shown["prose"])][:5]
        problems += [f"{name} loaded on a page that does not use it" for name in shown["unused"]]
        if shown["mathErrors"]:
            problems.append(f"{shown['mathErrors']} MathJax errors")
        if problems:
            problems.append(_shot(page, f"light-{path}"))
        assert not problems, f"{path}:\n" + "\n".join(problems)
    finally:
        context.close()


# Elements wider than the phone, and wide equations or tables the page (not their own box) scrolls.
WIDE_JS = """() => [document.documentElement.scrollWidth, innerWidth,
  [...document.querySelectorAll('figure.tinyseek-plot, img, mjx-container, table, pre, .tinyseek-live-panel')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 1).map(e => e.outerHTML.slice(0, 80))]"""


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
        width, inner, wide = page.evaluate(WIDE_JS)
        if width > inner + 1:
            problems.append(f"the page scrolls sideways at {inner} px: {width} px wide")
        problems += [f"wider than the phone (should scroll in its own box): {e}" for e in wide]
        problems += [f"dark mode: {v}" for v in _axe(page, ["color-contrast", "link-in-text-block"])]
        problems += [f"console error: {e}" for e in load.console_errors]
        if problems:
            problems.append(_shot(page, f"dark-phone-{path}"))
        assert not problems, f"{path}:\n" + "\n".join(problems)
    finally:
        context.close()


# Title, axis titles, legend and annotations of each drawn figure: outside the figure, or overlapping.
LAYOUT_JS = """(fig) => {
  const svg = fig.querySelector('svg.main-svg'), r = svg.getBoundingClientRect(), bad = [];
  const kinds = [['title', '.gtitle'], ['x title', '[class^="g-x"][class$="title"] text'],
                 ['y title', '[class^="g-y"][class$="title"] text'], ['legend', '.legend .bg'],
                 ['annotation', '.annotation']];
  const parts = kinds.flatMap(([kind, sel]) => [...fig.querySelectorAll(sel)].map(e =>
      [kind + ' ' + JSON.stringify((e.textContent || '').trim().slice(0, 30)), e.getBoundingClientRect()]))
      .filter(([, b]) => b.width > 0 && b.height > 0);
  for (const [name, b] of parts)
    if (b.left < r.left - 1 || b.top < r.top - 1 || b.right > r.right + 1 || b.bottom > r.bottom + 1)
      bad.push(name + ' lies outside the figure');
  for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
    const [a, p] = parts[i], [c, q] = parts[j];
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 2 && h > 2) bad.push(a + ' overlaps ' + c);
  }
  return bad;
}"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("path", FIGURE_PAGES)
def test_figure_titles_legends_and_annotations_fit_and_do_not_overlap(chromium, base, path, width):
    context, page, load = browser.open_page(chromium, base, path, viewport={"width": width, "height": 900})
    try:
        captions = [(f.find_next(string=re.compile(r"Figure \d+\.\d+")) or "") for f in
                    _soup(path).select("figure.tinyseek-plot")]
        found: dict[str, list[str]] = {}
        for n, fig in enumerate(page.query_selector_all("figure.tinyseek-plot")):
            name = re.search(r"Figure \d+\.\d+", captions[n]) if n < len(captions) else None
            name = name.group(0) if name else f"figure {n + 1} (no 'Figure N.M' caption after it)"
            found.setdefault(name, []).extend(fig.evaluate(LAYOUT_JS))
        problems = [f"{name}: {p}" for name, ps in found.items() for p in ps]
        if problems:
            problems.append(_shot(page, f"layout-{width}-{path}"))
            if {name for name, ps in found.items() if ps} <= FIGURES_BEING_FIXED:
                pytest.xfail("being fixed by the chapter's author: " + "; ".join(problems))
        assert not problems, f"{path} at {width} px:\n" + "\n".join(problems)
    finally:
        context.close()


# What a figure draws, without its sliders (which move whatever the figure does).
RENDERED_JS = """(fig) => [...fig.querySelectorAll('svg.main-svg')].map(svg => {
  const copy = svg.cloneNode(true);
  copy.querySelectorAll('.slider-container, .updatemenu-container').forEach(e => e.remove());
  return copy.innerHTML; }).join('')"""


@pytest.mark.parametrize("path", FIGURE_PAGES)
def test_every_kernel_free_figure_answers_its_sliders_by_mouse_and_keyboard(chromium, base, path):
    context, page, load = browser.open_page(chromium, base, path)
    try:
        figures = page.query_selector_all("figure.tinyseek-plot")
        moved = 0
        for n, fig in enumerate(figures):
            graph = fig.query_selector(".js-plotly-plot")
            missing = graph.evaluate("g => g.data.map(t => t.type || 'scatter')"
                                     ".filter(t => !(t in Plotly.PlotSchema.get().traces))")
            assert not missing, (f"figure {n + 1}: the site's plotly.js bundle has no {missing} "
                                 "traces (package.json pins the cartesian bundle)")
            for k, slider in enumerate(graph.query_selector_all(".slider-container")):
                moved += 1
                where = f"{path}, figure {n + 1}, slider {k + 1}"
                before, active = fig.evaluate(RENDERED_JS), graph.evaluate(f"g => g._fullLayout.sliders[{k}].active")
                steps = graph.evaluate(f"g => g._fullLayout.sliders[{k}].steps.length")
                rail = slider.query_selector(".slider-rail-touch-rect")
                rail.scroll_into_view_if_needed()
                box = rail.bounding_box()
                frac = 0.9 if active < steps / 2 else 0.1      # well away from where it is
                page.mouse.click(box["x"] + frac * box["width"], box["y"] + box["height"] / 2)
                _wait_redrawn(page, fig, before, f"{where}: clicking the slider's rail")
                # the keyboard: Tab from the figure reaches its range input; an arrow key redraws
                fig.evaluate("f => { f.tabIndex = -1; f.focus(); }")
                for _ in range(k + 1):
                    page.keyboard.press("Tab")
                focused = page.evaluate("[document.activeElement.type, document.activeElement.ariaValueText,"
                                        " document.activeElement.closest('figure') === null]")
                assert focused[0] == "range" and not focused[2], f"{where}: Tab does not reach a slider control"
                assert focused[1], f"{where}: the slider control announces no value (aria-valuetext)"
                before, said = fig.evaluate(RENDERED_JS), focused[1]
                at_end = page.evaluate("document.activeElement.value == document.activeElement.max")
                page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
                _wait_redrawn(page, fig, before, f"{where}: an arrow key on the slider control")
                assert page.evaluate("document.activeElement.ariaValueText") != said, f"{where}: value not announced"
        assert moved, "no figure on this page has a slider: a kernel-free figure should have one"
        assert not load.console_errors, load.console_errors
    finally:
        context.close()


def _wait_redrawn(page, fig, before: str, what: str) -> None:
    try:
        page.wait_for_function(f"([f, b]) => ({RENDERED_JS})(f) !== b", arg=[fig, before], timeout=5000)
    except Exception:
        pytest.fail(f"{what} did not change the drawn figure within 5 s " + _shot(page, re.sub(r"\W", "-", what)))


LIVE_PAGES = [p for p in PAGES if _soup(p).select_one(".tinyseek-live-panel")] if SITE.exists() else []


@pytest.mark.parametrize("path", LIVE_PAGES)
def test_live_panels_show_their_saved_output_and_where_they_run(chromium, base, path):
    context, page, load = browser.open_page(chromium, base, path)
    try:
        problems = [f"a widget manager or widget state on the static page: {s}" for s in
                    page.eval_on_selector_all('script[type*="jupyter.widget"], script[src*="embed-amd"]',
                                              "els => els.map(e => e.outerHTML.slice(0, 80))")]
        for n, panel in enumerate(page.query_selector_all(".tinyseek-live-panel"), 1):
            head = panel.query_selector(".tinyseek-live-head")
            hrefs = head.eval_on_selector_all("a", "els => els.map(a => a.href)") if head else []
            if not (any("mybinder" in h for h in hrefs) and any("colab" in h for h in hrefs)):
                problems.append(f"panel {n}: no Binder and Colab links at its top: {hrefs}")
            controls = panel.eval_on_selector_all("input, select, button, textarea, [role=slider]",
                                                  "els => els.map(e => e.outerHTML.slice(0, 60))")
            problems += [f"panel {n}: a control that cannot respond here: {c}" for c in controls]
            if len(panel.inner_text()) <= len(head.inner_text() if head else "") + 10:
                problems.append(f"panel {n}: no saved output under its heading")
        problems += [f"console error: {e}" for e in load.console_errors]
        assert not problems, f"{path}:\n" + "\n".join(problems) + " " + _shot(page, f"live-{path}")
    finally:
        context.close()


def _words(path: str) -> set[str]:
    article = _soup(path).find("article")
    paragraphs = article.find_all("p") if article else []
    return {w for p in paragraphs for w in re.findall(r"\b[a-z]{9,}\b", p.get_text().lower())}


def search_term(path: str) -> str:
    """A long word from the chapter's body that the fewest other pages use (ties: alphabetical)."""
    others = Counter(w for p in PAGES if p != path for w in _words(p))
    return min(sorted(_words(path)), key=lambda w: others[w])


@pytest.mark.parametrize("path", CHAPTERS)
def test_search_finds_the_chapter_by_a_word_from_its_body(chromium, base, path):
    term = search_term(path)
    context, page, load = browser.open_page(chromium, base, f"search.html?q={term}")
    try:
        try:
            page.wait_for_function("document.querySelectorAll('#search-results li a').length > 0 && !document"
                                   ".querySelector('#search-results h2')?.textContent.includes('Searching')",
                                   timeout=15000)
        except Exception:
            pytest.fail(f"searching {term!r} listed no result within 15 s " + _shot(page, f"search-{path}"))
        hrefs = page.eval_on_selector_all("#search-results li a", "els => els.map(a => a.href)")
        assert any(Path(path).stem in h for h in hrefs), f"searching {term!r} did not find {path}: {hrefs}"
        boxes = page.eval_on_selector_all("input[type=search]:not([hidden]), form[role=search] input",
                                          "els => els.filter(e => e.offsetParent !== null).length")
        assert boxes <= 1, f"{boxes} search boxes visible on the search page"
    finally:
        context.close()


def test_the_front_door_has_one_search_box(chromium, base):
    context, page, load = browser.open_page(chromium, base, "book/intro.html", viewport=DESKTOP)
    try:
        boxes = page.eval_on_selector_all("input[type=search], button.search-button, .search-button-field", "els => "
                                          "els.filter(e => e.offsetParent !== null).map(e => e.outerHTML.slice(0, 60))")
        assert len(boxes) == 1, f"{len(boxes)} search boxes or buttons on the front page: {boxes}"
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
            for hrefs in page.eval_on_selector_all(".tinyseek-live-head", "els => els.map(e => "
                                                   "[...e.querySelectorAll('a')].map(a => a.href).join(' '))"):
                if "where-to-run" not in hrefs:
                    problems.append(f"{path}: a live panel without a link to where it runs live")
            context.close()
    assert not problems, "\n".join(problems)
