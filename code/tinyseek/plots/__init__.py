"""Kernel-free interactive figures: Plotly sliders over values precomputed by tested functions.

On the static site no Python runs, so every state a slider can reach is computed here, at build
time, by the same function the live widget calls. The page only switches between them.
"""

from __future__ import annotations

import hashlib
import html
import json

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs_version


def glue(name: str, value, display: bool = True) -> None:
    """Hand ``value`` to the book's page under ``name`` (MyST-NB's ``glue``) where the book is built.

    The chapters glue every number their prose quotes. Building the book needs ``myst_nb``; a
    student's kernel (Binder, Colab) has no book engine, so there the value is only shown, when
    ``display`` asks for it, and the chapter runs the same.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show_value

            show_value(value)
        return
    myst_glue(name, value, display=display)


def show(fig: go.Figure, alt: str) -> None:
    """Display ``fig`` in a notebook and on the static site, with ``alt`` as its text alternative.

    The output is one HTML fragment. On the book's site ``plotly.js`` is already on the page,
    served by the site itself (``book/_ext/offline_assets.py``); in a live notebook (Colab,
    JupyterLab, Binder) the fragment loads it from Plotly's CDN the first time.

    Beside the HTML the output carries ``text/plain``: the alt text marked as a figure
    (:func:`plain_text`), which is what a terminal, nbval or any format without a browser shows
    instead of an object's repr. The PDF (``make pdf``) does better: its build draws each
    figure's first state as a vector image from the figure spec inside the HTML
    (``book/_ext/print_outputs.py``). Drawing it there, not here, keeps a headless browser out
    of every notebook run (Colab, Binder, ``make book``) and draws the figure with the same
    plotly.js as the site.
    """
    from IPython.display import display

    display({"text/html": figure_html(fig, alt), "text/plain": plain_text(alt)}, raw=True)


def show_svg(svg: str, alt: str) -> None:
    """Display a generated SVG diagram with ``alt`` as its text alternative.

    The page gets the SVG inline (``role="img"`` with ``alt`` as its label, so the book's CSS and
    the browser tests see its text); formats without HTML (the PDF) get the SVG itself.
    """
    from IPython.display import display

    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must describe the diagram for readers who cannot see it")
    if not isinstance(svg, str) or not svg.lstrip().startswith("<svg"):
        raise ValueError("svg must be the text of an <svg> element")
    labelled = svg.lstrip().replace("<svg", f'<svg role="img" aria-label="{html.escape(alt)}"', 1)
    display({"text/html": f'<figure class="tinyseek-diagram">{labelled}</figure>',
             "image/svg+xml": svg, "text/plain": plain_text(alt)}, raw=True)


def plain_text(alt: str) -> str:
    """The figure's text form: its description, marked as a figure."""
    return f"[Figure: {alt.strip()}]"


def figure_html(fig: go.Figure, alt: str) -> str:
    """The HTML fragment that ``show`` displays (separate so that tests can read it)."""
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must describe the figure for readers who cannot see it")
    div_id = "fig-" + hashlib.sha1(fig.to_json().encode()).hexdigest()[:12]  # stable across builds
    spec = fig.to_json()
    cdn = f"https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js"
    # No mode bar: it covered the titles, and its buttons (zoom, download) are not the lesson.
    config = json.dumps({"responsive": True, "displayModeBar": False})
    height = fig.layout.height or 450
    return f"""<figure class="tinyseek-plot" aria-label="{html.escape(alt)}">
<div id="{div_id}" style="height:{height}px"></div></figure>
<script>(function () {{
  var spec = {spec};
  function draw() {{
    var el = document.getElementById("{div_id}"), layout = Object.assign({{}}, spec.layout);
    if (layout.width > el.clientWidth) {{ delete layout.width; }}  // a phone: fit the column
    Plotly.newPlot(el, spec.data, layout, {config});
  }}
  if (window.Plotly) {{ draw(); }} else {{
    var s = document.createElement("script"); s.src = "{cdn}"; s.onload = draw;
    document.head.appendChild(s);
  }}
}})();</script>"""
