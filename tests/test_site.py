"""The built site (`make book` output): every page exists, every internal link and anchor
resolves, every image has alt text, citations read as author and year, and no glued number was
left unresolved. Pages are parsed with BeautifulSoup."""

import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import toc_files


@cache
def parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@cache
def ids(path: Path) -> set[str]:
    soup = parse(path)
    return {t["id"] for t in soup.find_all(id=True)} | {a["name"] for a in soup.find_all("a", attrs={"name": True})}


def pages(site):
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)


def test_every_toc_document_has_a_page(site):
    missing = [f for f in toc_files() if not (site / f"{f}.html").exists()]
    assert not missing


def test_internal_links_and_anchors_resolve(site):
    broken = []
    for page in pages(site):
        for tag in parse(page).find_all(["a", "link"], href=True):
            href = tag["href"]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in ids(target):
                broken.append(f"{page.relative_to(site)} -> {href} (no such anchor)")
    assert not broken, "\n".join(broken[:20])


def test_every_image_has_alt_text(site):
    missing = [f"{p.relative_to(site)}: {img.get('src')}" for p in pages(site)
               for img in parse(p).find_all("img") if not (img.get("alt") or "").strip()]
    assert not missing, "\n".join(missing[:20])


def test_citations_read_as_author_and_year(site):
    """Each in-text citation names an author and a year ('DeepSeek-AI, 2024a'), never a run-together
    label like [BureauolaSecurity22]; two different works never show the same text."""
    bad, seen = [], {}
    for page in pages(site):
        for a in parse(page).select('a[href*="bibliography.html#"], a[href^="#id"][role="doc-biblioref"]'):
            text = " ".join(a.get_text().split())
            if not re.fullmatch(r"[^\[\]]*[A-Za-z]{2,}[^\[\]]*, (\d{4}|n\.d\.)[a-z]?", text):
                bad.append(f"{page.relative_to(site)}: unreadable citation {text!r}")
            seen.setdefault(text, set()).add(a["href"].split("#")[-1])
    same = [f"{text!r} names {len(targets)} different works" for text, targets in seen.items() if len(targets) > 1]
    assert not bad and not same, "\n".join(bad[:20] + same)


@pytest.mark.parametrize("doc", [f for f in toc_files() if f.split("/")[-1][:2].isdigit()])
def test_chapter_pages_have_their_numbers_glued(site, doc):
    text = (site / f"{doc}.html").read_text(encoding="utf-8")
    assert "{glue" not in text and "glue:text" not in text
    assert "Key takeaways" in text and "Further reading" in text


def test_a_live_widget_responds_in_a_kernel_and_its_saved_state_makes_the_static_panel():
    """In a kernel (Binder, Colab, JupyterLab) the widget answers its inputs; the state a notebook
    saves is what book/_ext/offline_assets.py turns into the page's panel (result and inputs)."""
    import sys

    from conftest import ROOT
    from ipywidgets.embed import embed_data
    from tinyseek.widgets.cost import cost_calculator

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import offline_assets

    box = cost_calculator()
    before = box.result.value
    box.inputs["run_share"].value = 0.5
    assert box.result.value != before and "Implied spend" in box.result.value
    data = embed_data(views=[box])
    models, view = data["manager_state"]["state"], data["view_specs"][0]["model_id"]
    inputs: list[str] = []
    shown = offline_assets._saved_output(models, view, inputs)
    assert [n.astext() for n in shown] == [box.result.value]
    assert "run's share = 0.5" in inputs and len(inputs) == 3
