"""What an instructor needs to know about each chapter, read from the chapters themselves, and the
links that open the exercise notebooks (the one place launch links are made).

A chapter ``book/NN-slug.ipynb`` opens with an admonition (``ADMONITION``) giving its objectives,
prerequisites and time. ``make exercises`` copies them into the notebook's metadata
(``tinyseek.chapter``), beside ``audience``, the one field written there (``python
tools/chapters.py NN "who it suits"``); ``tests/test_instructor.py`` fails when the two disagree.
The instructor guide's tables are generated from this (``book/_ext/instructor.py``). The
repository's address and branch come from ``_config.yml`` only; chapters from ``_toc.yml``.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
DERIVED = ("objectives", "prerequisites", "reading_minutes", "exercise_minutes")
HUB_PLACEHOLDER = "https://YOUR-HUB.example.edu"    # until _config.yml sets launch_buttons.jupyterhub_url
ADMONITION = ("the chapter's first markdown cell needs a '# Title' and a ':::{admonition} In this chapter' "
              "holding '**You will be able to**' with 3 to 5 '- objective' lines, '**Prerequisites:** ...' and "
              "'**Time:** about N minutes to read, M minutes for the exercises.' (see book/01-deepseek-moment.ipynb)")


class ChapterError(ValueError):
    """A chapter does not follow the book's conventions; the message says what to change."""


def config(root: Path = ROOT) -> dict:
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))


def repository(root: Path = ROOT) -> tuple[str, str]:
    """``(url, branch)`` of the repository, from ``_config.yml`` (the one place they live)."""
    repo = config(root)["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def toc_parts(root: Path = ROOT) -> list[tuple[str, list[str]]]:
    """``[(caption, [docname, ...]), ...]`` in the book's order, from ``_toc.yml``."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [(part.get("caption", ""), [ch["file"] for ch in part.get("chapters", []) if "file" in ch])
            for part in toc.get("parts", [])]


def chapter_paths(root: Path = ROOT) -> list[Path]:
    """Chapter notebooks (``book/NN-slug.ipynb``) in the order of ``_toc.yml``."""
    paths = [root / f"{doc}.ipynb" for _, docs in toc_parts(root) for doc in docs]
    return [p for p in paths if re.fullmatch(r"\d\d-.+", p.stem) and p.exists()]


@dataclass(frozen=True)
class Chapter:
    path: Path
    number: str             # "01"
    title: str
    part: str               # the _toc.yml caption, e.g. "I. The story"
    objectives: list[str]
    prerequisites: str
    reading_minutes: int
    exercise_minutes: int
    audience: str

    @property
    def docname(self) -> str:
        """Sphinx's name for the page, e.g. ``book/01-deepseek-moment``."""
        return f"book/{self.path.stem}"

    @property
    def student(self) -> Path:
        return self.path.parents[1] / "exercises" / self.path.name

    @property
    def part_numeral(self) -> str:
        return self.part.split(".", 1)[0].strip() if "." in self.part else ""


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _admonition(nb: nbformat.NotebookNode, name: str) -> tuple[str, str]:
    """``(title, admonition body)`` from the chapter's first markdown cell."""
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    title = re.search(r"^#\s+(.+?)\s*$", first, re.M)
    body = re.search(r"^(:{3,}|`{3,})\{admonition\}[^\n]*\n(.*?)^\1\s*$", first, re.M | re.S)
    if not title or not body:
        raise ChapterError(f"{name}: no title or no opening admonition; {ADMONITION}")
    return title.group(1), body.group(2)


def _minutes(words: str, text: str, name: str) -> int:
    """Minutes in '<N> minutes <words>' or '<N> hour(s) <words>' (also 'min', 'h')."""
    m = re.search(rf"(\d+(?:\.\d+)?)\s*(minutes?|mins?|hours?|h)\s+{words}", text)
    if not m:
        raise ChapterError(f"{name}: the time line must say '<N> minutes to read, <M> minutes for "
                           f"the exercises', found {_one_line(text)!r}")
    return round(float(m.group(1)) * (60 if m.group(2).startswith("h") else 1))


def parse_admonition(body: str, name: str = "chapter") -> dict:
    """The four derived fields from the text of an opening admonition (see ``ADMONITION``)."""
    objectives = re.search(r"\*\*You will be able to\*\*:?\s*\n((?:\s*[-*] .*(?:\n|$)(?:[ \t]+\S.*(?:\n|$))*)+)",
                           body)
    prereq = re.search(r"\*\*Prerequisites:\*\*\s*(.+?)(?:\n\s*\n|\n\*\*|$)", body, re.S)
    time = re.search(r"\*\*Time:\*\*\s*(.+?)(?:\n\s*\n|$)", body, re.S)
    if not (objectives and prereq and time):
        raise ChapterError(f"{name}: objectives, prerequisites or time missing; {ADMONITION}")
    items = [_one_line(i).rstrip(";.") for i in re.split(r"^\s*[-*] ", objectives.group(1), flags=re.M) if i.strip()]
    if not 3 <= len(items) <= 5:
        raise ChapterError(f"{name}: {len(items)} learning objectives; the book asks for 3 to 5")
    return {"objectives": items, "prerequisites": _one_line(prereq.group(1)),
            "reading_minutes": _minutes("to read", time.group(1), name),
            "exercise_minutes": _minutes("for the exercises", time.group(1), name)}


def from_admonition(path: Path) -> dict:
    return parse_admonition(_admonition(nbformat.read(path, as_version=4), path.name)[1], path.name)


def stored(path: Path) -> dict:
    return dict(nbformat.read(path, as_version=4).metadata.get("tinyseek", {}).get("chapter", {}))


def load(path: Path, root: Path = ROOT, strict: bool = True) -> Chapter:
    """A chapter as its metadata describes it; raises ChapterError if the metadata is missing.

    ``strict=False`` (the book build) reads a chapter without metadata from its admonition instead,
    with an empty audience, so merging a chapter never breaks the build; the tests still fail.
    """
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("tinyseek", {}).get("chapter", {})
    missing = [k for k in (*DERIVED, "audience") if not meta.get(k)]
    stale = set(missing) & set(DERIVED)
    try:
        title, body = _admonition(nb, path.name)
        if missing and strict:
            hint = "`make exercises`" if stale else f'`python tools/chapters.py {path.stem[:2]} "..."`'
            raise ChapterError(f"{path.name}: metadata tinyseek.chapter lacks {', '.join(missing)}: run {hint}")
        fields = parse_admonition(body, path.name) if stale else {k: meta[k] for k in DERIVED}
    except ChapterError:
        if strict:
            raise
        title, fields = path.stem, {"objectives": [], "prerequisites": "", "reading_minutes": 0, "exercise_minutes": 0}
    part = next((cap for cap, docs in toc_parts(root) if f"book/{path.stem}" in docs), "")
    return Chapter(path=path, number=path.stem[:2], title=_one_line(title), part=part,
                   audience=meta.get("audience", ""), **fields)


def chapters(root: Path = ROOT, strict: bool = True) -> list[Chapter]:
    """Every chapter in the book's order (see ``load``)."""
    return [load(p, root, strict) for p in chapter_paths(root)]


def sync(path: Path, audience: str | None = None) -> bool:
    """Refresh the metadata of ``path`` from its admonition (and set ``audience`` if given);
    returns whether the file changed. Never invents an audience."""
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.setdefault("tinyseek", {}).setdefault("chapter", {})
    before = dict(meta)
    meta.update(parse_admonition(_admonition(nb, path.name)[1], path.name))
    if audience is not None:
        if not audience.strip():
            raise ChapterError("audience must say who the chapter suits")
        meta["audience"] = _one_line(audience)
    if meta != before:
        nbformat.write(nb, path)
    return meta != before


# ---------------------------------------------------------------------------------------------
# Launch links: Binder, Colab and JupyterHub open a file of the repository at _config.yml's branch
# ---------------------------------------------------------------------------------------------

def exercise_notebooks(root: Path = ROOT) -> list[Path]:
    """The student exercise notebooks, one per master in ``exercises/masters/``."""
    return [root / "exercises" / m.name for m in sorted((root / "exercises" / "masters").glob("*.ipynb"))]


def binder_link(path: str, root: Path = ROOT) -> str:
    url, branch = repository(root)
    hub = config(root).get("launch_buttons", {}).get("binderhub_url") or "https://mybinder.org"
    return f"{hub.rstrip('/')}/v2/gh/{url.split('github.com/', 1)[1]}/{branch}?urlpath=lab/tree/{quote(path)}"


def colab_link(path: str, root: Path = ROOT) -> str:
    url, branch = repository(root)
    return f"https://colab.research.google.com/github/{url.split('github.com/', 1)[1]}/blob/{branch}/{quote(path)}"


def nbgitpuller_link(path: str, root: Path = ROOT, hub: str | None = None) -> str:
    """A JupyterHub link that clones (or updates) the repository for the student and opens ``path``;
    nbgitpuller puts the clone in a folder named after the repository."""
    url, branch = repository(root)
    hub = hub or config(root).get("launch_buttons", {}).get("jupyterhub_url") or HUB_PLACEHOLDER
    query = urlencode({"repo": url, "branch": branch, "urlpath": f"lab/tree/{url.rsplit('/', 1)[1]}/{path}"})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def repository_path_of_nbgitpuller_link(link: str, root: Path = ROOT) -> str:
    """The file inside the repository that an nbgitpuller link opens (for the link test)."""
    query, url = parse_qs(urlsplit(link).query), repository(root)[0]
    prefix = f"lab/tree/{url.rsplit('/', 1)[1]}/"
    if not query["urlpath"][0].startswith(prefix) or query["repo"][0] != url:
        raise ValueError(f"not a link into this repository: {link}")
    return query["urlpath"][0][len(prefix):]


# ---------------------------------------------------------------------------------------------
# Markdown for the instructor guide (book/_ext/instructor.py parses it into the page)
# ---------------------------------------------------------------------------------------------

def minutes(n: int) -> str:
    return f"{n} min" if n < 60 else f"{n // 60} h {n % 60:02d} min" if n % 60 else f"{n // 60} h"


def _doc(ch: Chapter) -> str:
    return f"{{doc}}`{ch.number}. {ch.title} </{ch.docname}>`"


def chapter_table(chs: list[Chapter]) -> str:
    """One table for every chapter: who it suits, prerequisites, time, objectives."""
    lines = [":::{list-table}", ":header-rows: 1", ":widths: 16 17 17 12 38", ":class: chapter-table", "",
             "* - Chapter", "  - Suits", "  - Prerequisites", "  - Time", "  - Students will be able to"]
    for ch in chs:
        lines += [f"* - {_doc(ch)}" + (f" (Part {ch.part_numeral})" if ch.part_numeral else ""),
                  f"  - {ch.audience}", f"  - {ch.prerequisites}",
                  f"  - {minutes(ch.reading_minutes)} reading, {minutes(ch.exercise_minutes)} exercises"]
        lines += [("  - - " if i == 0 else "    - ") + o for i, o in enumerate(ch.objectives)] or ["  - "]
    total_r, total_e = sum(c.reading_minutes for c in chs), sum(c.exercise_minutes for c in chs)
    return "\n".join(lines + ["* - **All chapters**", "  - ", "  - ",
                              f"  - **{minutes(total_r)}** reading, **{minutes(total_e)}** exercises", "  - ", ":::"])


def exercise_links_table(root: Path = ROOT) -> str:
    """The page and the Binder, Colab and JupyterHub (nbgitpuller) links of every exercise notebook."""
    lines = ["| Exercise notebook | Page | Binder | Colab | JupyterHub (nbgitpuller) |", "|---|---|---|---|---|"]
    for nb in exercise_notebooks(root):
        rel = nb.relative_to(root).as_posix()
        lines.append(f"| `{rel}` | {{doc}}`questions </book/exercises/{nb.stem}>` | [open]({binder_link(rel, root)}) "
                     f"| [open]({colab_link(rel, root)}) "
                     # raw HTML: MyST escapes the & of a markdown link's query string twice
                     f'| <a href="{html.escape(nbgitpuller_link(rel, root))}">open</a> |')
    return "\n".join(lines)


def parse_plan(text: str) -> list[tuple[str, list[str], str]]:
    """Plan lines ``Session | I, II | focus`` (the body of a ``{syllabus}`` directive)."""
    plan = []
    for line in filter(str.strip, text.splitlines()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            raise ValueError(f"syllabus line needs 'session | parts or chapters | focus': {line!r}")
        plan.append((parts[0], [r for r in re.split(r"[,\s]+", parts[1]) if r], parts[2]))
    return plan


def syllabus_table(plan: list[tuple[str, list[str], str]], chs: list[Chapter],
                   builds: dict[str, list[str]] | None = None) -> str:
    """A syllabus from a plan of sessions ``(session, [part numerals or chapter numbers], focus)``:
    a part numeral ("III") brings every chapter of that part in this edition, a number ("01") one
    chapter. Times are the chapters' own; ``builds`` maps a chapter number to its build-it
    exercises (MyST links, read from the masters)."""
    lines = ["| Session | Chapters | Reading | Exercises | Build-it exercises | Focus |", "|---|---|---|---|---|---|"]
    for session, refs, focus in plan:
        picked = [c for c in chs if c.part_numeral in refs or c.number in refs]
        names = ", ".join(map(_doc, picked)) or "(no chapter of this part in this edition yet)"
        read = minutes(sum(c.reading_minutes for c in picked)) if picked else "–"
        do = minutes(sum(c.exercise_minutes for c in picked)) if picked else "–"
        built = ", ".join(b for c in picked for b in (builds or {}).get(c.number, [])) or "–"
        lines.append(" | ".join(["", session, names, read, do, built, focus, ""]).strip().replace("\n", " "))
    return "\n".join(lines)


if __name__ == "__main__":      # python tools/chapters.py NN "who it suits": set a chapter's audience
    if len(sys.argv) != 3:
        sys.exit('usage: python tools/chapters.py NN "who the chapter suits"')
    path = next((p for p in chapter_paths() if p.stem.startswith(sys.argv[1])), None)
    if path is None:
        sys.exit(f"error: no chapter {sys.argv[1]} in _toc.yml")
    try:
        sync(path, audience=sys.argv[2])
    except ChapterError as err:
        sys.exit(f"error: {err}")
    print(f"set the audience of {path.relative_to(ROOT)}")
