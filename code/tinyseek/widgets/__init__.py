"""Live widgets for a running kernel (Binder, Colab, JupyterHub, a local clone).

Each widget is a thin form over a tested function of ``tinyseek``: it reads the inputs, calls the
function, and shows either the result or the function's own error message, never a traceback.
"""

from __future__ import annotations

import html

import ipywidgets as w


def message(result: w.HTML, text: str, ok: bool, markup: bool = False) -> None:
    """Show ``text`` in ``result``, escaped unless ``markup`` says it is HTML the caller built."""
    colour = "inherit" if ok else "#b00020"
    role = "status" if ok else "alert"
    body = text if markup else html.escape(text)
    result.value = f'<div role="{role}" style="color:{colour}">{body}</div>'


def show_error_or(result: w.HTML, compute, render, markup: bool = False) -> None:
    """Run ``compute()``; show ``render(value)`` or the ValueError/TypeError message in ``result``
    (the message always escaped; ``render``'s output escaped unless ``markup``)."""
    try:
        value = compute()
    except (ValueError, TypeError) as err:
        message(result, f"Check the inputs: {err}", ok=False)
        return
    message(result, render(value), ok=True, markup=markup)


def form(inputs: dict, compute, render, width: str = "110px", markup: bool = False) -> w.VBox:
    """A live form: on every change, ``render(compute(**values))`` or the error in one line.

    ``inputs`` maps ``compute``'s parameter names to widgets. ``render`` returns text, or HTML
    whose pieces it escaped itself when ``markup=True``. The box exposes ``.inputs`` and
    ``.result`` so that tests can drive it as a reader would.
    """
    for field in inputs.values():
        field.style.description_width = width
    result = w.HTML()

    def update(_=None):
        show_error_or(result, lambda: compute(**{k: f.value for k, f in inputs.items()}), render,
                      markup)

    for field in inputs.values():
        field.observe(update, names="value")
    update()
    box = w.VBox([*inputs.values(), result])
    box.inputs, box.result = inputs, result
    return box
