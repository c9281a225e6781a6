"""The code on the page is the code in the package.

A chapter shows a function of `tinyseek` with MyST's ``literalinclude`` (``:pyobject:``), so the
page is rebuilt from the source. These tests check that every listing names a file and an object
that exist, that the built page shows exactly the current source, outside notebook cell inputs,
with a link to the API reference, and that the API reference documents every module.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
import tinyseek
from bs4 import BeautifulSoup
from conftest import ROOT, toc_files

# Chapters that must show the code of their mechanism (the opening story chapter need not).
MIN_LISTINGS = 2
EXEMPT = {"book/01-deepseek-moment"}

DIRECTIVE = re.compile(r"```\{literalinclude\}\s+(\S+)\n((?::[\w-]+:.*\n)*)", re.M)


def chapters() -> list[str]:
    return [doc for doc in toc_files() if re.match(r"book/\d\d-", doc)]


def listings(doc: str) -> list[tuple[Path, str]]:
    """(file, pyobject) of every literalinclude in a chapter's markdown cells."""
    nb = nbformat.read(ROOT / f"{doc}.ipynb", as_version=4)
    text = "\n".join(c.source + "\n" for c in nb.cells if c.cell_type == "markdown")
    found = []
    for path, options in DIRECTIVE.findall(text):
        obj = re.search(r"^:pyobject:\s*(\S+)", options, re.M)
        found.append(((ROOT / "book" / path).resolve(), obj.group(1) if obj else ""))
    return found


def object_source(path: Path, name: str) -> str:
    """The source of ``name`` (``func`` or ``Class.method``) in ``path``, as the page should show it."""
    lines = path.read_text().splitlines()
    body = ast.parse(path.read_text()).body
    node = None
    for part in name.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == part), None)
        if node is None:
            raise LookupError(f"{path.relative_to(ROOT)} has no {name}")
        body = node.body
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])   # Sphinx shows the decorators
    return normalise("\n".join(lines[start - 1:node.end_lineno]))


def normalise(code: str) -> str:
    return textwrap.dedent("\n".join(line.rstrip() for line in code.strip("\n").splitlines()))


@pytest.mark.parametrize("doc", chapters())
def test_listings_name_existing_code(doc):
    for path, name in listings(doc):
        assert path.is_relative_to(ROOT / "code" / "tinyseek"), f"{doc}: {path} is not package source"
        assert path.exists(), f"{doc}: a listing includes {path}, which does not exist"
        assert name, f"{doc}: the listing of {path.name} must name its object with :pyobject:"
        object_source(path, name)          # raises LookupError naming what is missing


@pytest.mark.parametrize("doc", [d for d in chapters() if d not in EXEMPT])
def test_each_chapter_shows_the_code_of_its_mechanism(doc):
    assert len(listings(doc)) >= MIN_LISTINGS, (
        f"{doc} shows {len(listings(doc))} listing(s) of tinyseek source; a chapter needs {MIN_LISTINGS}")


@pytest.mark.parametrize("doc", chapters())
def test_built_listings_are_the_current_source(site, doc):
    soup = BeautifulSoup((site / f"{doc}.html").read_text(), "html.parser")
    shown = []
    for block in soup.select("div.highlight-python pre, div.highlight-default pre"):
        if block.find_parent("div", class_="cell_input") is not None:
            continue
        for number in block.select("span.linenos"):
            number.decompose()
        shown.append(normalise(block.get_text()))
    links = {a["href"] for a in soup.select("a[href]")}
    for path, name in listings(doc):
        assert object_source(path, name) in shown, (
            f"{doc}.html does not show the current source of {name} from {path.name}: rebuild the book")
        module = "tinyseek." + ".".join(path.relative_to(ROOT / "code" / "tinyseek").with_suffix("").parts)
        assert any(re.search(rf"api\.html#(module-)?{re.escape(module)}\b", h) for h in links), (
            f"{doc}.html shows {name} but links nowhere into the API reference for {module}")


def modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(tinyseek.__path__, "tinyseek.")
            if not m.name.endswith("__main__")]


def test_api_reference_documents_every_module():
    page = (ROOT / "book" / "api.md").read_text()
    missing = [m for m in modules() if not re.search(rf"^\.\. automodule:: {re.escape(m)}$", page, re.M)]
    assert not missing, f"book/api.md lacks these modules: {missing}"


def test_every_public_function_and_class_has_a_docstring():
    missing = []
    for name in modules():
        module = importlib.import_module(name)
        if not (module.__doc__ or "").strip():
            missing.append(name)
        for attr, obj in vars(module).items():
            if (not attr.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
                    and obj.__module__ == name and not (obj.__doc__ or "").strip()):
                missing.append(f"{name}.{attr}")
    assert not missing, f"no docstring: {missing}"
