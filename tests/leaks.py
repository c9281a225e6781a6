"""The leak check: the exercise masters' solutions and rubrics, looked for anywhere a student can
read (the student notebooks, the student build, the site's sources). Used by tests/test_instructor.py
and tests/test_exercises.py.

``secrets`` turns the solution lines and rubrics into word *shingles*, runs of consecutive
words, leaving out any run that also occurs in the text students are meant to see; ``leaks``
looks for those runs in any file. Comparing words, not characters, makes the check indifferent
to markup, HTML escaping, smart quotes and JSON escapes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from exercises import ROOT, masters, read

SHINGLE = 6        # words in a run: long enough to be specific to one solution
SHORTEST = 4       # a code line shorter than SHINGLE words still counts if it has this many
ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")
TEXT_SUFFIXES = {".html", ".htm", ".js", ".json", ".ipynb", ".md", ".txt", ".py", ".tex", ".xml",
                 ".inv", ".yml", ".yaml", ".csv", ".rst"}


@dataclass
class Stripped:
    public: str            # everything a student may see, as text
    secret: list[str]      # the solution texts


def master_solutions(master: Path) -> Stripped:
    """The solutions and rubrics of an otter-assign master, and the rest of its text."""
    m = read(master)
    public = [m.title, m.intro, *m.context, *(yaml.safe_dump(c) for c in m.self_checks)]
    secret = []
    for q in m.questions:
        public += q.prompt + [q.skeleton, q.test_code]
        secret += [c.source for c in q.solution if c.cell_type == "markdown"]
        for line in q.solution_code.splitlines():
            if line not in q.skeleton.splitlines():
                assigned = re.match(r"^\s*[\w.,\s\[\]'\"]+=(?!=)(.*)$", line)   # the student keeps `name = ...`
                code = (assigned.group(1) if assigned else line).strip()
                if code not in ("", "..."):
                    secret.append(code)
    return Stripped("\n".join(public), secret)


def words(text: str) -> list[str]:
    """Lower-case words and numbers: what survives rendering, escaping and tokenising."""
    return re.findall(r"[a-z0-9]+", text.lower())


def shingles(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def fragments(text: str) -> list[list[str]]:
    """Word runs of a solution, cut where a role (a glued number, a citation) stands."""
    return [w for part in ROLE.split(text) if (w := words(part))]


def readable_text(path: Path) -> str:
    """The text of a file as a reader could see it (a notebook's cells decoded from its JSON too)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    try:
        cells = json.loads(raw).get("cells", []) if path.suffix == ".ipynb" else []
    except json.JSONDecodeError:
        cells = []
    return "\n".join([raw, *("".join(c.get("source", "")) for c in cells)])


def secrets(root: Path = ROOT) -> dict[tuple[str, ...], str]:
    """Word runs that occur in a solution and nowhere in the text students may see, each with the
    master it comes from. The public text: the masters' public parts, the book's pages (an exercise
    may ask for what a chapter computes; the errata quote figures) and the package's source (the
    API reference shows it)."""
    public_tokens = [words(readable_text(p)) for p in sorted((root / "book").glob("*.ipynb"))
                     + sorted((root / "book").glob("*.md")) + sorted((root / "code").rglob("*.py"))]
    found: dict[tuple[str, ...], str] = {}
    for path in masters(root):
        stripped = master_solutions(path)
        public_tokens.append(words(stripped.public))
        for frag in (f for text in stripped.secret for f in fragments(text) if len(f) >= SHORTEST):
            found.update(dict.fromkeys(shingles(frag, min(len(frag), SHINGLE)), path.relative_to(root).as_posix()))
    public = {n: set().union(*(shingles(t, n) for t in public_tokens)) for n in range(SHORTEST, SHINGLE + 1)}
    return {run: source for run, source in found.items() if run not in public[len(run)]}


def leaks(files: list[Path], found: dict[tuple[str, ...], str]) -> list[str]:
    """``["file: 'secret words' (from master)", ...]`` for every secret in one of ``files``."""
    hits = []
    for path in (f for f in files if f.suffix.lower() in TEXT_SUFFIXES):
        tokens = words(readable_text(path))
        for n in {len(run) for run in found}:
            hits += [f"{path}: '{' '.join(run)}' (from {found[run]})" for run in shingles(tokens, n) & found.keys()]
    return sorted(hits)


def files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())
