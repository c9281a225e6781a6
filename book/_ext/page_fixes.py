"""Small fixes to what the theme and Sphinx put on every page, found by tests/test_browser.py.

- pydata-sphinx-theme logs a console error on every page when no colour mode is set: "auto"
  (follow the reader's system setting, dark or light);
- sphinx-thebe's configuration script is dropped when thebe is off (it is, in the book);
- docutils marks a bibliography's citations ``role="list"``, whose children are
  ``doc-biblioentry``, not list items: axe-core reports it as critical. The list role goes.
"""

from __future__ import annotations


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
    context["script_files"] = [js for js in context.get("script_files", [])
                               if "thebe" not in (getattr(js, "filename", None) or "")
                               and "THEBE_JS_URL" not in (getattr(js, "attributes", {}).get("body") or "")]


def _citation_list(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = context["body"].replace('<div role="list" class="citation-list">',
                                                  '<div class="citation-list">')


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("html-page-context", _citation_list)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
