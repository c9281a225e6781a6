"""Live widgets for a running kernel (Binder, Colab, JupyterHub, a local clone).

Each widget is a thin form over a tested function of ``tinyseek``: it reads the inputs, calls the
function, and shows either the result or the function's own error message, never a traceback.
"""

from __future__ import annotations

import html

import ipywidgets as w


def message(result: w.HTML, text: str, ok: bool) -> None:
    colour = "inherit" if ok else "#b00020"
    role = "status" if ok else "alert"
    result.value = f'<div role="{role}" style="color:{colour}">{html.escape(text)}</div>'


def show_error_or(result: w.HTML, compute, render) -> None:
    """Run ``compute()``; show ``render(value)`` or the ValueError/TypeError message in ``result``."""
    try:
        value = compute()
    except (ValueError, TypeError) as err:
        message(result, f"Check the inputs: {err}", ok=False)
        return
    message(result, render(value), ok=True)
