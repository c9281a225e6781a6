"""Serve every script the pages load from the site itself, so a copy of _build/html works offline.

``make vendor`` (``tools/vendor.py``) puts pinned copies into ``book/_static/vendor/``, which
Sphinx copies to ``_static/vendor/``. This extension points the pages at them instead of CDNs:

- MathJax (Sphinx's ``mathjax_path``), on pages with mathematics;
- require.js and the ipywidgets HTML manager (myst-nb's ``nb_ipywidgets_js``), on pages with a
  widget's saved state;
- plotly.js, on pages with a kernel-free figure (``tinyseek.plots.show``) only: it is among the
  heaviest files of the site, and the browser caches it from page to page.

It also adds a note under every ipywidget output: the page shows the state the widget was saved
in when the chapter was executed; moving it needs a kernel, and the note links to one.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR = Path(__file__).resolve().parents[1] / "_static" / "vendor"
PLOTLY = "vendor/plotly-cartesian.min.js"
MATHJAX = "vendor/mathjax/tex-mml-chtml.js"
REQUIRE = "vendor/require.js"
WIDGETS = "vendor/html-manager/embed-amd.js"
WIDGET_HELPER = "tinyseek-widgets.js"   # book/_static: where the manager's fonts are; MathJax 3
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WHERE_TO_RUN = "book/where-to-run"


def _check(app):
    missing = [p for p in (PLOTLY, MATHJAX, REQUIRE, WIDGETS) if not (VENDOR.parent / p).exists()]
    if missing and app.builder.format == "html":
        raise ExtensionError(f"missing {', '.join(missing)} in book/_static: run `make vendor`")


def _configure(app, config):
    config.mathjax_path = MATHJAX
    # Without data-jupyter-widgets-cdn the manager would fetch a widget library it does not
    # bundle from jsdelivr; every widget in the book is a core widget, which it bundles.
    config.nb_ipywidgets_js = {REQUIRE: {}, WIDGETS: {}}


def _no_remote_scripts(app, pagename, templatename, context, doctree):
    remote = [str(getattr(js, "filename", js)) for js in context.get("script_files", [])
              if re.match(r"(https?:)?//", getattr(js, "filename", None) or "")]
    remote += [str(getattr(css, "filename", css)) for css in context.get("css_files", [])
               if re.match(r"(https?:)?//", getattr(css, "filename", None) or "")]
    if remote:
        logger.warning(f"{pagename} would load {', '.join(remote)} from another host; "
                       "vendor it (tools/vendor.py)")


def _scripts_where_needed(app, pagename, templatename, context, doctree):
    if doctree is None or app.builder.format != "html":
        return
    raws = [raw.astext() for raw in doctree.findall(nodes.raw)]
    if any("tinyseek-plot" in raw for raw in raws):   # in an output, or a widget's saved output
        # before require.js (priority 500), or plotly.js would register as an AMD module
        app.add_js_file(PLOTLY, priority=200)
    if any(WIDGET_MIME in raw for raw in raws):
        app.add_js_file(WIDGET_HELPER, priority=400)       # before the manager (500)


def launch_links(config, docname: str, suffix: str = ".ipynb") -> list[tuple[str, str]]:
    """(label, URL) of the services that open ``docname`` with a kernel, as the theme's buttons do."""
    theme = config.html_theme_options or {}
    repo, launch = theme.get("repository_url", ""), theme.get("launch_buttons", {}) or {}
    parts = urlsplit(repo)
    if parts.netloc != "github.com" or not parts.path.strip("/"):
        return []
    org_repo, branch = parts.path.strip("/"), theme.get("repository_branch", "main")
    path = "/".join(p for p in (theme.get("path_to_docs", "").strip("/"), docname + suffix) if p)
    links = []
    if launch.get("binderhub_url"):
        ui = "lab/tree" if launch.get("notebook_interface") == "jupyterlab" else "tree"
        links.append(("Binder", f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{org_repo}/{branch}"
                                f"?urlpath={ui}/{path}"))
    if launch.get("colab_url"):
        links.append(("Colab", f"{launch['colab_url'].rstrip('/')}/github/{org_repo}/blob/{branch}/{path}"))
    return links


class WidgetNote(SphinxPostTransform):
    """A note under each ipywidget output: what the reader sees, and where it runs live."""

    default_priority = 3           # while the output is still a bundle of MIME types
    formats = ("html",)

    def run(self, **kwargs):
        docname = self.env.docname
        for bundle in list(self.document.findall(nodes.container)):
            if bundle.get("nb_element") != "mime_bundle":
                continue
            if not any(child.get("mime_type") == WIDGET_MIME for child in bundle.children):
                continue
            para = nodes.paragraph()
            para += nodes.strong(text="Saved state. ")
            para += nodes.Text("This widget shows the values it had when the chapter was "
                               "executed; changing them needs a Python kernel. Run it live in ")
            targets = launch_links(self.config, docname, Path(self.env.doc2path(docname)).suffix)
            if WHERE_TO_RUN in self.env.all_docs and WHERE_TO_RUN != docname:
                uri = self.app.builder.get_relative_uri(docname, WHERE_TO_RUN)
                targets.append(("another place with a kernel", uri))
            for i, (label, url) in enumerate(targets):
                if i:
                    para += nodes.Text(", " if i < len(targets) - 1 else " or ")
                para += nodes.reference("", label, refuri=url, internal=not url.startswith("http"))
            para += nodes.Text(".")
            note = nodes.container("", para, classes=["tinyseek-widget-note"])
            bundle.parent.insert(bundle.parent.index(bundle) + 1, note)


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _check)
    app.connect("html-page-context", _scripts_where_needed)
    app.connect("html-page-context", _no_remote_scripts, priority=950)
    app.add_post_transform(WidgetNote)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
