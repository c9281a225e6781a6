"""The student build: strip solutions from every source the site offers for download.

``tools/builds.py student`` builds the site with sphinx-exercise's ``hide_solutions`` (so no
solution reaches a page or the search index) and with this extension, which rewrites the copies
of the sources in ``_sources/`` (what the ``.ipynb`` and ``.md`` download buttons serve) without
their ``{solution}`` blocks and without the glue calls that compute solutions.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sphinx.util import logging

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import solutions  # noqa: E402  (tools/solutions.py)

logger = logging.getLogger(__name__)


def _strip_sources(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    sources = Path(app.outdir) / "_sources"
    stripped = 0
    for path in sorted(sources.rglob("*")):
        if path.is_file() and path.suffix in {".ipynb", ".md", ".txt"}:
            stripped += len(solutions.strip_file(path).secret)
    logger.info(f"student build: removed {stripped} solution blocks and glue calls from _sources")


def _check(app, config):
    if not config.hide_solutions:
        raise RuntimeError("the student build needs sphinx-exercise's hide_solutions = True")


def setup(app):
    app.connect("config-inited", _check)
    app.connect("build-finished", _strip_sources)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
