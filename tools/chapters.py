"""What an instructor needs to know about each chapter, read from the chapter itself, and the
links that open the exercise notebooks (the one place launch links are made).

A chapter ``book/NN-slug.ipynb`` opens with an admonition, the one home of its objectives, who it
is for, prerequisites and time (``ADMONITION``); the instructor guide's tables and the front page's
reading path are generated from it (``book/_ext/instructor.py``), and a box that breaks the
convention stops the build with a message saying what to change. The repository's address and
branch come from ``_config.yml`` only; the chapters and their order from ``_toc.yml``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
HUB_PLACEHOLDER = "https://YOUR-HUB.example.edu"    # until _config.yml sets launch_buttons.jupyterhub_url
ADMONITION = ("the chapter's first markdown cell needs a '# Title' and a ':::{admonition} In this chapter' "
              "holding '**You will be able to**' with 3 to 5 '- objective' lines, '**Who it is for:** ...', "
              "'**Prerequisites:** ...' and '**Time:** about N minutes to read, M minutes for the exercises.' "
              "(see book/01-deepseek-moment.ipynb)")


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
    audience: str
    prerequisites: str
    reading_minutes: int
    exercise_minutes: int

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


def _minutes(words: str, text: str, name: str) -> int:
    """Minutes in '<N> minutes <words>' or '<N> hour(s) <words>' (also 'min', 'h')."""
    m = re.search(rf"(\d+(?:\.\d+)?)\s*(minutes?|mins?|hours?|h)\s+{words}", text)
    if not m:
        raise ChapterError(f"{name}: the time line must say '<N> minutes to read, <M> minutes for "
                           f"the exercises', found {_one_line(text)!r}")
    return round(float(m.group(1)) * (60 if m.group(2).startswith("h") else 1))


def parse_admonition(body: str, name: str = "chapter") -> dict:
    """Objectives, audience, prerequisites and times from the text of an opening admonition."""
    objectives = re.search(r"\*\*You will be able to\*\*:?\s*\n((?:\s*[-*] .*(?:\n|$)(?:[ \t]+\S.*(?:\n|$))*)+)",
                           body)
    audience, prereq, time = (re.search(rf"\*\*{label}:\*\*\s*(.+?)(?:\n\s*\n|\n\*\*|$)", body, re.S)
                              for label in ("Who it is for", "Prerequisites", "Time"))
    if not (objectives and audience and prereq and time):
        raise ChapterError(f"{name}: objectives, audience, prerequisites or time missing; {ADMONITION}")
    items = [_one_line(i).rstrip(";.") for i in re.split(r"^\s*[-*] ", objectives.group(1), flags=re.M) if i.strip()]
    if not 3 <= len(items) <= 5:
        raise ChapterError(f"{name}: {len(items)} learning objectives; the book asks for 3 to 5")
    return {"objectives": items, "audience": _one_line(audience.group(1)), "prerequisites": _one_line(prereq.group(1)),
            "reading_minutes": _minutes("to read", time.group(1), name),
            "exercise_minutes": _minutes("for the exercises", time.group(1), name)}


def load(path: Path, root: Path = ROOT) -> Chapter:
    """A chapter as its opening admonition describes it; a ChapterError says what to change."""
    first = next((c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"), "")
    title = re.search(r"^#\s+(.+?)\s*$", first, re.M)
    body = re.search(r"^(:{3,}|`{3,})\{admonition\}[^\n]*\n(.*?)^\1\s*$", first, re.M | re.S)
    if not title or not body:
        raise ChapterError(f"{path.name}: no title or no opening admonition; {ADMONITION}")
    part = next((cap for cap, docs in toc_parts(root) if f"book/{path.stem}" in docs), "")
    return Chapter(path=path, number=path.stem[:2], title=_one_line(title.group(1)), part=part,
                   **parse_admonition(body.group(2), path.name))


def chapters(root: Path = ROOT) -> list[Chapter]:
    """Every chapter in the book's order."""
    return [load(p, root) for p in chapter_paths(root)]


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
