"""Serve the figures' JavaScript from the site itself, so a copy of _build/html works offline.

plotly.js comes from the pinned ``plotly`` Python package (it ships the minified bundle), not
from a CDN; kernel-free figures (``tinyseek.plots.show``) expect it on every page.
"""

from pathlib import Path
import shutil

import plotly

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TARGET = "vendor/plotly.min.js"


def _copy(app, exception):
    if exception is None and app.builder.format == "html":
        out = Path(app.outdir) / "_static" / TARGET
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PLOTLY_JS, out)


def setup(app):
    # Before require.js (added on widget pages), or plotly.js would register as an AMD module.
    app.add_js_file(TARGET, priority=200)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
