"""Give the PDF a readable form of every notebook output that only a browser can show.

LaTeX cannot show HTML or JavaScript, so for the ``latex`` builder only (``make pdf``; the HTML
builds leave every output as it is), before myst-nb picks an output's form:

- a kernel-free figure made by ``tinyseek.plots.show`` becomes a vector PDF image of its first
  state (its sliders removed), rendered by Kaleido with the same plotly.js as the site, in one
  headless-browser session for the whole book, and cached by content under ``_build/pdf/figures``;
- a live ipywidget becomes a one-line note: on paper there is no kernel, and every widget in the
  book has a kernel-free figure of the same function beside it;
- an HTML table (a pandas DataFrame or Styler) becomes a LaTeX table;
- any other HTML output with only an object repr as plain text becomes its text.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from pathlib import Path

from bs4 import BeautifulSoup
from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "_build" / "pdf" / "figures"      # rendered figures, kept between builds
SPEC = re.compile(r"^\s*var spec = (\{.*\});\s*$", re.M)
LABEL = re.compile(r'<figure class="tinyseek-plot"[^>]*aria-label="([^"]*)"')
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("Live widget: it runs when this chapter is opened as a notebook (Binder, Colab, a "
               "JupyterHub or a local copy); the figure beside it shows the same calculation.")


def _table_node(text: str) -> nodes.table | None:
    """The first HTML table of ``text`` as a docutils table (header rows kept apart)."""
    found = BeautifulSoup(text, "html.parser").find("table")
    if found is None or not found.find("tr"):
        return None
    def texts(tr):
        return [" ".join(cell.get_text(" ").split()) for cell in tr.find_all(["td", "th"])]

    rows = [(tr.find_parent("thead") is not None, texts(tr)) for tr in found.find_all("tr")]
    width = max(len(cells) for _, cells in rows)
    group = nodes.tgroup("", *[nodes.colspec(colwidth=1) for _ in range(width)], cols=width)
    for part, header in ((nodes.thead(), True), (nodes.tbody(), False)):
        for in_head, cells in rows:
            if in_head == header:
                padded = cells + [""] * (width - len(cells))
                part += nodes.row("", *[nodes.entry("", nodes.paragraph(text=cell)) for cell in padded])
        if part.children:
            group += part
    return nodes.table("", group, classes=["colwidths-auto"])


def _html_text(text: str) -> str:
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["style", "script"]):
        tag.decompose()
    return " ".join(soup.get_text().split())


def _static_spec(spec: dict) -> dict:
    """The figure's first state, without the controls that only work in a browser."""
    layout = dict(spec.get("layout", {}))
    controls = [layout.pop(key, None) for key in ("sliders", "updatemenus")]
    margin = dict(layout.get("margin") or {})
    if any(controls) and (margin.get("b") or 0) > 80:     # the room the slider took: give it back
        layout["height"] = int(layout.get("height") or 450) - (int(margin["b"]) - 80)
        layout["margin"] = {**margin, "b": 80}
    return {"data": spec.get("data", []), "layout": layout}


def render_figures(specs: dict[str, dict]) -> None:
    """Write ``FIGURES/<key>.pdf`` for every spec not rendered yet (one browser session)."""
    todo = {key: spec for key, spec in specs.items() if not (FIGURES / f"{key}.pdf").exists()}
    if not todo:
        return
    import plotly.io as pio

    FIGURES.mkdir(parents=True, exist_ok=True)
    keys = list(todo)
    pio.write_images([todo[k] for k in keys], [FIGURES / f"{k}.pdf" for k in keys], format="pdf",
                     width=[int(todo[k]["layout"].get("width") or 800) for k in keys],
                     height=[int(todo[k]["layout"].get("height") or 450) for k in keys])


class PrintableOutputs(SphinxPostTransform):
    default_priority = 3           # before myst-nb's SelectMimeType (4) picks a form
    builders = ("latex",)

    def run(self, **kwargs):
        bundles = [n for n in self.document.findall(nodes.container)
                   if n.get("nb_element") == "mime_bundle"]
        figures: list[tuple[nodes.Element, str, str]] = []
        for bundle in bundles:
            mimes = {child.get("mime_type"): child for child in bundle.children}
            page = "".join(n.astext() for n in mimes["text/html"].findall(nodes.raw)) if "text/html" in mimes else ""
            if WIDGET in mimes:
                bundle.replace_self(nodes.paragraph("", "", nodes.emphasis(text=WIDGET_NOTE)))
            elif 'class="tinyseek-plot"' in page and SPEC.search(page):
                spec = _static_spec(json.loads(SPEC.search(page).group(1)))
                key = hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
                label = LABEL.search(page)
                figures.append((bundle, key, html.unescape(label.group(1)) if label else "figure"))
                bundle._tinyseek_spec = spec
            elif page and "<table" in page and set(mimes) <= {"text/html", "text/plain"}:
                table = _table_node(page)
                if table is not None:
                    bundle.replace_self(table)
            elif page and set(mimes) <= {"text/html", "text/plain"}:
                plain = mimes.get("text/plain")
                if plain is None or re.fullmatch(r"\s*<.*(object|at 0x[0-9a-f]+)>\s*", plain.astext(), re.S):
                    text = _html_text(page)
                    bundle.replace_self(nodes.paragraph(text=text) if text else nodes.inline())
        if not figures:
            return
        try:
            render_figures({key: bundle._tinyseek_spec for bundle, key, _ in figures})
        except Exception as err:   # no Kaleido, no browser: say so; the build then fails with -W
            logger.warning(f"could not render the book's figures for the PDF ({err}); "
                           "`make pdf` installs chromium and kaleido")
            for bundle, _, alt in figures:
                bundle.replace_self(nodes.paragraph("", "", nodes.emphasis(text=f"[Figure: {alt}]")))
            return
        target = Path(self.app.outdir) / "tinyseek-figures"
        target.mkdir(parents=True, exist_ok=True)
        for bundle, key, alt in figures:
            shutil.copyfile(FIGURES / f"{key}.pdf", target / f"{key}.pdf")
            uri = f"tinyseek-figures/{key}.pdf"     # relative to the LaTeX folder, where it now is
            bundle.replace_self(nodes.image(uri=uri, candidates={"application/pdf": uri}, alt=alt,
                                            width="100%"))


def setup(app):
    app.add_post_transform(PrintableOutputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
