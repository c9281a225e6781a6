"""The built site (`make book` output): every page exists, every internal link and anchor
resolves, every image has alt text, and no glued number was left unresolved."""

from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import toc_files


class Page(HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.ids, self.links, self.images = set(), [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        if tag in ("a", "link") and a.get("href"):
            self.links.append(a["href"])
        if tag == "img":
            self.images.append(a)


@cache
def parse(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def pages(site):
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)


def test_every_toc_document_has_a_page(site):
    missing = [f for f in toc_files() if not (site / f"{f}.html").exists()]
    assert not missing


def test_internal_links_and_anchors_resolve(site):
    broken = []
    for page in pages(site):
        for href in parse(page).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parse(target).ids:
                broken.append(f"{page.relative_to(site)} -> {href} (no such anchor)")
    assert not broken, "\n".join(broken[:20])


def test_every_image_has_alt_text(site):
    missing = [f"{p.relative_to(site)}: {img.get('src')}" for p in pages(site)
               for img in parse(p).images if not (img.get("alt") or "").strip()]
    assert not missing, "\n".join(missing[:20])


@pytest.mark.parametrize("doc", [f for f in toc_files() if f.split("/")[-1][:2].isdigit()])
def test_chapter_pages_have_their_numbers_glued(site, doc):
    text = (site / f"{doc}.html").read_text(encoding="utf-8")
    assert "{glue" not in text and "glue:text" not in text
    assert "Key takeaways" in text and "Further reading" in text
