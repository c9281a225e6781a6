"""Notebook hygiene: valid, stripped, Python 3, the chapter anatomy, one repository address."""

import re

import nbformat
import pytest
from conftest import ROOT, book_config, notebooks

NOTEBOOKS = notebooks()
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_valid_stripped_python3(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "strip outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_address_is_the_one_in_config(path):
    url = book_config()["repository"]["url"]
    for found in re.findall(r'REPO = "([^"]+)"', path.read_text()):
        assert found == url, f"{path.name} installs from {found}, _config.yml says {url}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_anatomy(path):
    nb = nbformat.read(path, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "REPO = " in first_code.source and "remove-cell" in first_code.metadata.get("tags", [])
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"\*\*You will be able to\*\*", text), "learning objectives"
    assert "**Prerequisites:**" in text and "**Time:**" in text
    for heading in ("## Key takeaways", "## Exercises", "## Further reading"):
        assert heading in text, f"missing section {heading!r}"
    assert "{exercise}" not in text and "{solution}" not in text, \
        "exercises and solutions live in the otter master only (exercises/masters/), not in the chapter"
    assert f"{{doc}}`exercises/{path.stem}" in text, f"link the exercises page: {{doc}}`exercises/{path.stem}`"
    assert "{cite}" in text


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_has_an_exercise_master(path):
    assert (ROOT / "exercises" / "masters" / path.name).exists()
    assert (ROOT / "exercises" / path.name).exists()
