"""Small fixes to what the theme and Sphinx put on every page, found by tests/test_browser.py.

- pydata-sphinx-theme logs a console error on every page when no colour mode is set: "auto"
  (follow the reader's system setting, dark or light);
- sphinx-thebe's configuration script is dropped when thebe is off (it is, in the book);
- docutils marks a bibliography's citations ``role="list"``, whose children are
  ``doc-biblioentry``, not list items: axe-core reports it as critical. The list role goes.

Citations read as author and year, "[DeepSeek-AI, 2024a]", in the text and in the bibliography
(the ``tinyseek`` pybtex style: the plain style with these labels; a, b, ... tell apart one
author's works of one year).

It also gives the front page its reader's path: ``{reading-path}`` lists the chapters in the order
of ``_toc.yml`` with their reading times, read from each chapter's opening box (tools/chapters.py).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import chapters  # noqa: E402  (tools/chapters.py)


def _configure(app, config):
    config.html_context.setdefault("default_mode", "auto")


def _drop_thebe(app, pagename, templatename, context, doctree):
    """Remove sphinx-thebe's scripts when thebe is off (the book's launch buttons leave it off).

    jupyter-book always loads sphinx-thebe, which adds its configuration (a ``const`` naming
    thebe's CDN address) once per read of the environment: twice in one page after a rebuild,
    a console error. Nothing on the page uses it.
    """
    if (app.config.html_theme_options.get("launch_buttons") or {}).get("thebe"):
        return
    context["script_files"][:] = [js for js in context.get("script_files", [])
                                  if "thebe" not in (getattr(js, "filename", None) or "")
                                  and "THEBE_JS_URL" not in (getattr(js, "attributes", {}).get("body") or "")]


def _module_index_list(app, pagename, templatename, context, doctree):
    """viewcode's index of modules nests a package's modules as a ``<ul>`` directly inside the
    outer ``<ul>`` (axe: serious); move each nested list into the item before it."""
    if pagename == "_modules/index" and "body" in context:
        context["body"] = re.sub(r"</li>\n<ul>(.*?)</ul>", r"\n<ul>\1</ul></li>", context["body"], flags=re.S)


def _citation_list(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = context["body"].replace('<div role="list" class="citation-list">',
                                                  '<div class="citation-list">')


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


class ReadingPath(SphinxDirective):
    """The chapters in reading order, each with its reading time."""

    def run(self):
        found = chapters.chapters(ROOT, strict=False)
        for ch in found:
            self.env.note_dependency(str(ch.path))
        lines = [f"1. {{doc}}`{ch.title} <{ch.path.stem}>` ({chapters.minutes(ch.reading_minutes)})" for ch in found]
        node = nodes.container(classes=["tinyseek-reading-path"])
        self.state.nested_parse(StringList(lines, source="reading-path"), self.content_offset, node)
        return node.children


def setup(app):
    register_plugin("pybtex.style.formatting", "tinyseek", AuthorYearStyle)
    app.add_directive("reading-path", ReadingPath)
    app.connect("config-inited", _configure)
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("html-page-context", _citation_list)
    app.connect("html-page-context", _module_index_list)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
