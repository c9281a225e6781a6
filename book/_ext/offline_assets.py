"""The site's pages: light, offline, and clean in the browser tests (tests/test_browser.py).

- Each page loads only what it draws, from the site itself: MathJax (``make vendor``) only on pages
  with mathematics, plotly.js only on pages with a kernel-free figure (``tinyseek.plots.show``),
  with ``tinyseek-figures.js``, which gives every figure slider a keyboard control.
- A live ipywidget becomes its saved output (the figure, table or text it showed when the chapter
  was executed, and the inputs it had) in a panel that says it runs live in Binder or Colab and
  links there: no widget manager, no control that would not respond. A chapter's opening box
  (objectives, prerequisites, time) gets the same links.
- The theme's Font Awesome script (1.5 MB, every icon there is) goes: each ``<i class="fa-...">``
  becomes the inline SVG of that one icon, read from the theme's own copy of the script.
- Details the browser tests found: sphinx-thebe's script goes when thebe is off (it
  names thebe's CDN, twice on a page after a rebuild: a console error); the bibliography loses
  docutils' ``role="list"`` and viewcode's module index its ``<ul>`` directly inside a ``<ul>``
  (axe-core).
- Citations read as author and year, "[DeepSeek-AI, 2024a]", in the text and in the bibliography:
  the ``tinyseek`` pybtex style (the plain style with these labels; a, b, ... tell apart one
  author's works of one year).
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections import Counter
from pathlib import Path

from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.builders.html._assets import _JavaScript
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import chapters  # noqa: E402  (tools/chapters.py: the launch links)

VENDOR = Path(__file__).resolve().parents[1] / "_static" / "vendor"
PLOTLY = "vendor/plotly-cartesian.min.js"
MATHJAX = "vendor/mathjax/startup.js"
FIGURES_JS = "tinyseek-figures.js"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WHERE_TO_RUN = "book/where-to-run"
CHOICE = {"DropdownModel", "SelectModel", "RadioButtonsModel", "ToggleButtonsModel", "SelectionSliderModel"}


def _check(app):
    missing = [p for p in (PLOTLY, MATHJAX) if not (VENDOR.parent / p).exists()]
    if missing and app.builder.format == "html":
        raise ExtensionError(f"missing {', '.join(missing)} in book/_static: run `make vendor`")


def _text_of(asset) -> str:
    return str(getattr(asset, "filename", None) or getattr(asset, "attributes", {}).get("body") or asset)


def _page_scripts(app, pagename, templatename, context, doctree):
    """plotly.js where a figure is, MathJax where math is (not a toctree's math); no widget state,
    no thebe. (A script from another host fails the browser tests, which block other hosts.)"""
    files = context.get("script_files", [])
    if doctree is not None and any("tinyseek-plot" in raw.astext() for raw in doctree.findall(nodes.raw)):
        files += [_JavaScript(f"_static/{PLOTLY}", priority=200), _JavaScript(f"_static/{FIGURES_JS}", priority=210)]
    math = doctree is not None and any(isinstance(n, (nodes.math, nodes.math_block)) for n in doctree.findall())
    thebe = (app.config.html_theme_options.get("launch_buttons") or {}).get("thebe")
    files[:] = [js for js in files if "widget-state" not in (getattr(js, "attributes", {}).get("type") or "")
                and (math or not re.search(r"mathjax|window\.MathJax", _text_of(js)))
                and (thebe or not re.search(r"thebe|THEBE_JS_URL", _text_of(js)))]


def _accessible_lists(app, pagename, templatename, context, doctree):
    """No ``role="list"`` on the bibliography (its children are not list items); viewcode's module
    index nests a package's modules in the item before them, not directly in the outer list."""
    if "body" in context:
        body = context["body"].replace('<div role="list" class="citation-list">', '<div class="citation-list">')
        if pagename == "_modules/index":
            body = re.sub(r"</li>\n<ul>(.*?)</ul>", r"\n<ul>\1</ul></li>", body, flags=re.S)
        context["body"] = body


# ---------------------------------------------------------------------------------------------
# Live widgets: their saved output, and where they run live
# ---------------------------------------------------------------------------------------------

def _links(transform, docname: str) -> nodes.inline:
    """'Binder, Colab or another place with a kernel', linked: the services the theme's launch
    buttons offer (none in the student edition), linked as tools/chapters.py links every notebook."""
    env, launch = transform.env, (transform.config.html_theme_options or {}).get("launch_buttons") or {}
    path = docname + Path(env.doc2path(docname)).suffix
    targets = [(label, link(path, ROOT)) for label, key, link in
               (("Binder", "binderhub_url", chapters.binder_link), ("Colab", "colab_url", chapters.colab_link))
               if launch.get(key)]
    if WHERE_TO_RUN in env.all_docs and WHERE_TO_RUN != docname:
        targets.append(("another place with a kernel", transform.app.builder.get_relative_uri(docname, WHERE_TO_RUN)))
    span = nodes.inline()
    for i, (label, url) in enumerate(targets):
        if i:
            span += nodes.Text(", " if i < len(targets) - 1 else " or ")
        span += nodes.reference("", label, refuri=url, internal=not url.startswith("http"))
    return span


def _saved_output(models: dict, model_id: str, inputs: list[str]) -> list[nodes.Node]:
    """What the widget ``model_id`` showed, as nodes; its inputs' saved values go to ``inputs``."""
    model = models.get(model_id)
    if model is None:
        return []
    name, state = model["model_name"], model["state"]
    if "children" in state:
        return [n for child in state["children"] for n in _saved_output(models, child[len("IPY_MODEL_"):], inputs)]
    if name in ("HTMLModel", "HTMLMathModel"):
        return [nodes.raw("", state["value"], format="html")] if state.get("value") else []
    if name == "LabelModel":
        return [nodes.paragraph(text=state["value"])] if state.get("value") else []
    if name == "OutputModel":
        out = []
        for o in state.get("outputs", []):
            data = o.get("data", {})
            if "text/html" in data:
                out.append(nodes.raw("", "".join(data["text/html"]), format="html"))
            elif "text" in o or "text/plain" in data:
                out.append(nodes.literal_block(text="".join(o.get("text") or data["text/plain"])))
        return out
    if "value" in state or name in CHOICE:
        label = state.get("description") or name.removesuffix("Model")
        value = state["_options_labels"][state["index"]] if name in CHOICE and state.get("index") is not None \
            else state.get("value")
        value = f"{value:g}" if isinstance(value, float) else value
        inputs.append(f"{re.sub(r'<[^>]+>', '', label).rstrip(': ')} = {value}")
    return []


class StaticWidgets(SphinxPostTransform):
    """Each ipywidget output becomes its saved output in a panel that links to a live kernel."""

    default_priority = 3           # while the output is still a bundle of MIME types
    formats = ("html",)

    def run(self, **kwargs):
        docname, models = self.env.docname, None
        for bundle in list(self.document.findall(nodes.container)):
            view = [c for c in bundle.children if c.get("mime_type") == WIDGET_MIME] \
                if bundle.get("nb_element") == "mime_bundle" else []
            if not view:
                continue
            if models is None:         # the page's saved widget state, read once
                js = getattr(self.env, "nb_metadata", {}).get(docname, {}).get("js_files", {}).get("ipywidgets_state")
                models = json.loads(js[1]["body"])["state"] if js else {}
            found = re.search(r'"model_id":\s*"([^"]+)"', view[0].astext())
            inputs: list[str] = []
            shown = _saved_output(models, found.group(1), inputs) if found else []
            head = nodes.paragraph(classes=["tinyseek-live-head"])
            head += nodes.strong(text="Live panel. ")
            head += nodes.Text("Its controls run in a Python kernel: open this chapter in ")
            head += _links(self, docname)
            head += nodes.Text(". Below: what it showed when the chapter was built"
                               + (f", with {'; '.join(inputs)}." if inputs else "."))
            body = shown or [nodes.paragraph(text="(no saved output)")]
            bundle.replace_self(nodes.container("", head, *body, classes=["tinyseek-live-panel"]))


class LaunchInOpeningBox(SphinxPostTransform):
    """The chapter's opening box (objectives, prerequisites, time) also says where it runs live."""

    default_priority = 5
    formats = ("html",)

    def run(self, **kwargs):
        docname = self.env.docname
        if not re.match(r"book/\d\d-", docname):
            return
        box = next((b for b in self.document.findall(nodes.admonition) if "Prerequisites" in b.astext()), None)
        if box is not None:
            box += nodes.paragraph("", "", nodes.strong(text="Run it live: "), _links(self, docname),
                                   nodes.Text(" (the code, the live panels and the exercises need a kernel)."),
                                   classes=["tinyseek-launch"])


# ---------------------------------------------------------------------------------------------
# Font Awesome's icons as inline SVG
# ---------------------------------------------------------------------------------------------

@functools.cache
def _icons() -> dict[tuple[str, str], tuple[str, str]]:
    """(prefix, icon name) -> (viewBox, SVG path), from the theme's Font Awesome script."""
    import pydata_sphinx_theme

    js = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / "scripts"
          / "fontawesome.js").read_text(encoding="utf-8")
    icons = {}
    entry = re.compile(r'(?:"([^"]+)"|([\w$]+)):\[(\d+),(\d+),\[([^\]]*)\],"[0-9a-f]+",("[^"]*")\]')
    for pack in re.finditer(r'\(function\(\)\{d\("(fa[bsr])",p\)', js):   # each pack ends so
        for m in entry.finditer(js, js.rfind("var p={", 0, pack.start()), pack.start()):
            for name in [m.group(1) or m.group(2)] + re.findall(r'"([\w-]+)"', m.group(5)):
                icons.setdefault((pack.group(1), name), (f"0 0 {m.group(3)} {m.group(4)}", json.loads(m.group(6))))
    return icons


PREFIX = {"fa-brands": "fab", "fab": "fab", "fa-regular": "far", "far": "far"}


def _svg_icon(match: re.Match) -> str:
    classes, rest = match.group(1).split(), match.group(2)
    prefix = next((PREFIX[c] for c in classes if c in PREFIX), "fas")
    names = [c[3:] for c in classes if c.startswith("fa-") and c not in PREFIX and c[3:] not in
             ("lg", "sm", "xs", "fw", "2x", "solid", "spin")]
    icon = next((_icons()[(prefix, n)] for n in names if (prefix, n) in _icons()), None)
    if icon is None:
        return match.group(0)
    return (f'<svg class="svg-inline--fa {" ".join(classes)}"{rest} viewBox="{icon[0]}" aria-hidden="true" '
            f'focusable="false"><path fill="currentColor" d="{icon[1]}"/></svg>')


def strip_font_awesome(text: str) -> str:
    """The page without the Font Awesome script; its icons inline."""
    text = re.sub(r'<(?:script defer|link rel="preload" as="script")[^>]*scripts/fontawesome\.js[^>]*>(</script>)?\n?',
                  "", text)
    return re.sub(r'<i class="([^"]*\bfa-[^"]*)"([^>]*)>\s*</i>', _svg_icon, text)


def _rewrite_pages(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if (new := strip_font_awesome(text)) != text:
            page.write_text(new, encoding="utf-8")
    for script in (Path(app.outdir) / "_static" / "scripts").glob("fontawesome.js*"):
        script.unlink()


# ---------------------------------------------------------------------------------------------
# Author-year citation labels
# ---------------------------------------------------------------------------------------------

class AuthorYearLabels(BaseLabelStyle):
    """'Author, year', 'A and B, year' or 'A et al., year', with a, b, ... where two would be the same."""

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        total, seen = Counter(labels), Counter()
        for label in labels:
            seen[label] += 1
            yield label + ("abcdefghijklmnopqrstuvwxyz"[seen[label] - 1] if total[label] > 1 else "")

    def format_label(self, entry):
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [re.sub(r"[{}]", "", " ".join(p.prelast_names + p.last_names)) for p in people]
        who = (names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2
               else f"{names[0]} et al." if names else entry.fields.get("organization", "Anonymous"))
        who = re.sub(r"\s*et al\. et al\.$| and others$", " et al.", who)
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(PlainStyle):
    default_label_style = AuthorYearLabels


def setup(app):
    register_plugin("pybtex.style.formatting", "tinyseek", AuthorYearStyle)
    app.connect("builder-inited", _check)
    app.connect("html-page-context", _page_scripts, priority=950)
    app.connect("html-page-context", _accessible_lists)
    app.connect("build-finished", _rewrite_pages)
    app.add_post_transform(StaticWidgets)
    app.add_post_transform(LaunchInOpeningBox)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
