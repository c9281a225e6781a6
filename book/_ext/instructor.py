"""Directives for the instructor guide, filled from the chapters' own metadata at build time.

``{chapter-table}``, ``{exercise-links}`` and ``{syllabus}`` turn what ``tools/chapters.py`` reads
(the chapters' objectives, prerequisites, time and audience; the exercise notebooks; the
repository's address in ``_config.yml``) into MyST, which is parsed in place. Nothing about a
chapter is typed into the guide, so a chapter added to ``_toc.yml`` appears in it on the next
build. Each page that uses them is rebuilt when a chapter, a master or the configuration changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import chapters  # noqa: E402  (tools/chapters.py)


class _Generated(SphinxDirective):
    has_content = False

    def markdown(self) -> str:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        for path in [ROOT / "_config.yml", ROOT / "_toc.yml", *chapters.chapter_paths(ROOT),
                     *sorted((ROOT / "exercises" / "masters").glob("*.ipynb"))]:
            self.env.note_dependency(str(path))
        try:
            text = self.markdown()
        except (chapters.ChapterError, ValueError) as err:
            raise self.error(str(err)) from None
        container = nodes.container(classes=["instructor-generated"])
        self.state.nested_parse(StringList(text.splitlines(), source=self.get_source_info()[0]),
                                self.content_offset, container)
        return container.children


class ChapterTable(_Generated):
    """Every chapter: who it suits, prerequisites, time and objectives, in one table."""

    def markdown(self) -> str:
        return chapters.chapter_table(chapters.chapters(ROOT, strict=False))


class ExerciseLinks(_Generated):
    """Binder, Colab and nbgitpuller links for every exercise notebook."""

    def markdown(self) -> str:
        return chapters.exercise_links_table(ROOT)


class Syllabus(_Generated):
    """A syllabus: each content line is ``session | part numerals or chapter numbers | focus``."""

    has_content = True

    def markdown(self) -> str:
        return chapters.syllabus_table(chapters.parse_plan("\n".join(self.content)),
                                       chapters.chapters(ROOT, strict=False))


def setup(app):
    app.add_directive("chapter-table", ChapterTable)
    app.add_directive("exercise-links", ExerciseLinks)
    app.add_directive("syllabus", Syllabus)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
