"""Shared paths and fixtures for the book's tests."""

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "tools"))  # tools/exercises.py


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def toc_files() -> list[str]:
    """Every document in _toc.yml (root first), without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [ch["file"] for ch in part["chapters"] if "file" in ch]   # not the glob of exercise pages
    return files


def shows_error(form, message: str) -> bool:
    """A live form shows the function's message as an alert, never a traceback."""
    shown = form.result.value
    return 'role="alert"' in shown and message in shown and "Traceback" not in shown


def notebooks() -> list[Path]:
    return sorted((ROOT / "book").glob("*.ipynb")) + sorted((ROOT / "exercises").rglob("*.ipynb"))


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").exists():
        pytest.fail("the built site is missing: `make test` builds it first (or run `make book`)")
    return SITE


def pytest_terminal_summary(terminalreporter):
    """The browser test's table: gzip bytes (first visit, second chapter) and load time of every page."""
    module = sys.modules.get("test_browser")
    if module is not None and module.LOADS:
        import browser  # tools/browser.py

        terminalreporter.write_sep("=", "every page of the site as a browser receives it (gzip; largest first)")
        for line in browser.table(module.LOADS).splitlines():
            terminalreporter.write_line(line)
