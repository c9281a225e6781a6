"""The live-form helper every widget uses: the function's result or its error, never a traceback."""

import ipywidgets as w
from conftest import shows_error
from tinyseek.widgets import form


def _halver(markup=False):
    def compute(x):
        if x < 0:
            raise ValueError("x must be ≥ 0, got <0>")
        return x / 2
    return form({"x": w.FloatText(value=4.0)}, compute, lambda v: f"<b>{v:g}</b>", markup=markup)


def test_result_follows_the_input_and_is_escaped_by_default():
    box = _halver()
    assert "&lt;b&gt;2&lt;/b&gt;" in box.result.value
    box.inputs["x"].value = 10.0
    assert "&lt;b&gt;5&lt;/b&gt;" in box.result.value


def test_markup_render_is_shown_as_html_but_errors_stay_escaped():
    box = _halver(markup=True)
    assert "<b>2</b>" in box.result.value
    box.inputs["x"].value = -1.0
    assert shows_error(box, "x must be ≥ 0, got &lt;0&gt;")
