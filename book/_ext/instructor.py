"""What the book generates from its chapters and exercise masters at build time.

- ``book/exercises/NN-slug.md``, one page per exercise master (``tools/exercises.py``), written
  before Sphinx reads the table of contents.
- The student edition (``make student`` sets ``TINYSEEK_STUDENT=1``, hence ``tinyseek_student``)
  writes them without solutions and rubrics, has no launch buttons (they would open the chapters
  from the repository) and says which edition it is in its title.
- The self-check questions of a chapter's master, at the end of the chapter's page: multiple
  choice as one ``<details>`` per choice (no script), a number as a small form that
  ``_static/selfcheck.js`` checks in the browser (loaded only by pages with self-checks).
- ``{chapter-table}``, ``{exercise-links}`` and ``{syllabus}`` for the instructor guide, and
  ``{reading-path}`` (the chapters in order with their reading times) for the front page, from the
  chapters' metadata, the masters and ``_config.yml`` (``tools/chapters.py``).
"""

from __future__ import annotations

import html
import os
import sys
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import chapters  # noqa: E402, I001  (tools/chapters.py)
import exercises  # noqa: E402  (tools/exercises.py)

MD = MarkdownIt("commonmark", {"html": False}).use(
    dollarmath_plugin, allow_space=False, allow_digits=False,
    renderer=lambda tex, _: f'<span class="math notranslate nohighlight">\\({html.escape(tex)}\\)</span>')


def _student_edition_and_pages(app, config) -> None:
    if config.tinyseek_student:
        config.html_title = f"{config.html_title} (student edition)"
        config.html_theme_options["launch_buttons"] = {}
    exercises.write_pages(solutions=not config.tinyseek_student, root=ROOT)


# ---------------------------------------------------------------------------------------------
# Self-check questions
# ---------------------------------------------------------------------------------------------

def self_check_html(check: dict, ident: str, number: int) -> str:
    """One self-check question as HTML that works without a kernel (and, for choices, without JS)."""
    inline = MD.renderInline
    out = [f'<div class="selfcheck" role="group" aria-labelledby="{ident}-q">',
           f'<p id="{ident}-q"><strong>Question {number}.</strong> {inline(check["question"])}</p>']
    if "choices" in check:
        out.append('<p class="selfcheck-hint">Open a choice to see whether it is right, and why.</p>')
        for c in check["choices"]:
            verdict = "Right." if c.get("correct") else "Not quite."
            out.append(f'<details class="selfcheck-choice {"right" if c.get("correct") else "wrong"}">'
                       f'<summary>{inline(c["answer"])}</summary><p><strong>{verdict}</strong> '
                       f'{inline(c["why"])}</p></details>')
    else:
        unit = html.escape(check["unit"])
        out.append(f'<form class="selfcheck-number" data-answer="{check["answer"]}" '
                   f'data-tolerance="{check["tolerance"]}"><label for="{ident}-in">Your answer'
                   f'{f" ({unit})" if unit else ""}</label> <input id="{ident}-in" type="number" step="any" '
                   f'inputmode="decimal"> <button type="submit">Check</button> <output role="status"></output>'
                   f'<details><summary>Show the answer</summary><p>{check["answer"]:g} {unit} '
                   f'(within {check["tolerance"]:g}). {inline(check["why"])}</p></details></form>')
    return "\n".join(out + ["</div>"])


def _add_self_checks(app, doctree) -> None:
    docname = app.env.docname
    master = ROOT / "exercises" / "masters" / f"{Path(docname).name}.ipynb"
    if not docname.startswith("book/") or docname.count("/") != 1 or not master.exists():
        return
    app.env.note_dependency(str(master))
    checks = exercises.read(master).self_checks
    top = next(iter(doctree.findall(nodes.section)), None)
    if not checks or top is None or app.builder.format != "html":
        return
    section = nodes.section(ids=["check-your-understanding"], names=["check your understanding"])
    section += nodes.title(text="Check your understanding")
    section += nodes.paragraph(text="Questions to check your reading; they work on this page, with no kernel.")
    section += [nodes.raw("", self_check_html(c, f"selfcheck-{master.stem[:2]}-{i}", i), format="html")
                for i, c in enumerate(checks, 1)]
    top += section


def _self_check_assets(app, pagename, templatename, context, doctree) -> None:
    """Only pages with self-checks load their script and style."""
    if doctree is not None and any("selfcheck" in n.astext() for n in doctree.findall(nodes.raw)):
        app.add_css_file("selfcheck.css")
        app.add_js_file("selfcheck.js", defer="defer")


# ---------------------------------------------------------------------------------------------
# The instructor guide's generated tables, and the front page's reading path
# ---------------------------------------------------------------------------------------------

class _Generated(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        for path in [ROOT / "_config.yml", ROOT / "_toc.yml", *chapters.chapter_paths(ROOT), *exercises.masters(ROOT)]:
            self.env.note_dependency(str(path))
        try:
            text = self.markdown()
        except ValueError as err:               # ChapterError, MasterError
            raise self.error(str(err)) from None
        container = nodes.container(classes=["instructor-generated"])
        self.state.nested_parse(StringList(text.splitlines(), source=self.get_source_info()[0]),
                                self.content_offset, container)
        return container.children


def _builds() -> dict[str, list[str]]:
    """Each chapter's build-it exercises, as links to their questions, read from the masters."""
    return {m.stem[:2]: [f"{{ref}}`{q.function} <{m.stem}-{q.name}>`" for q in exercises.read(m).questions
                         if q.name.startswith("build_")] for m in exercises.masters(ROOT)}


MARKDOWN = {   # directive: its MyST, from its content lines
    # every chapter: who it suits, prerequisites, time and objectives, in one table
    "chapter-table": lambda lines: chapters.chapter_table(chapters.chapters(ROOT)),
    # the page and the Binder, Colab and nbgitpuller links of every exercise notebook
    "exercise-links": lambda lines: chapters.exercise_links_table(ROOT),
    # a syllabus: each content line is `session | part numerals or chapter numbers | focus`
    "syllabus": lambda lines: chapters.syllabus_table(chapters.parse_plan("\n".join(lines)),
                                                      chapters.chapters(ROOT), _builds()),
    # the front page: the chapters in reading order, each with its reading time
    "reading-path": lambda lines: "\n".join(f"1. {{doc}}`{ch.title} <{ch.path.stem}>` "
                                            f"({chapters.minutes(ch.reading_minutes)})"
                                            for ch in chapters.chapters(ROOT)),
}


def setup(app):
    app.add_config_value("tinyseek_student", os.environ.get("TINYSEEK_STUDENT") == "1", "env")
    app.connect("config-inited", _student_edition_and_pages, priority=100)     # before sphinx-external-toc (900)
    app.connect("doctree-read", _add_self_checks, priority=400)  # before the page's toc is collected
    app.connect("html-page-context", _self_check_assets)
    for name, make in MARKDOWN.items():
        app.add_directive(name, type(name, (_Generated,), {"has_content": name == "syllabus",
                                                           "markdown": lambda self, make=make: make(self.content)}))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
