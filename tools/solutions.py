"""Find the solutions and rubrics in the exercise masters, and detect them anywhere else.

The otter master (``exercises/masters/NN-slug.ipynb``) is the only home of an exercise and its
solution (chapters link to the generated exercises page; ``tests/test_notebooks.py`` refuses a
``{solution}`` block in a chapter). ``secrets`` turns the masters' solution lines and rubrics into
word *shingles*, runs of consecutive words, leaving out any run that also occurs in the text
students are meant to see; ``leaks`` looks for those runs in any file. Comparing words, not
characters, makes the check indifferent to markup, HTML escaping, smart quotes and JSON escapes.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import exercises  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHINGLE = 6        # words in a run: long enough to be specific to one solution
SHORTEST = 4       # a code line shorter than SHINGLE words still counts if it has this many
ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")


@dataclass
class Stripped:
    public: str            # everything a student may see, as text
    secret: list[str]      # the solution texts


def master_solutions(master: Path) -> Stripped:
    """The solutions and rubrics of an otter-assign master, and the rest of its text."""
    m = exercises.read(master)
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


# ---------------------------------------------------------------------------------------------
# Secrets and leaks
# ---------------------------------------------------------------------------------------------

def words(text: str) -> list[str]:
    """Lower-case words and numbers: what survives rendering, escaping and tokenising."""
    return re.findall(r"[a-z0-9]+", text.lower())


def shingles(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def fragments(text: str) -> list[list[str]]:
    """Word runs of a solution, cut where a role (a glued number, a citation) stands."""
    return [w for part in ROLE.split(text) if (w := words(part))]


@dataclass
class Secret:
    words: tuple[str, ...]
    source: str            # where it came from, for the failure message

    def __str__(self) -> str:
        return f"'{' '.join(self.words)}' (from {self.source})"


def secrets(root: Path = ROOT) -> list[Secret]:
    """Word runs that occur in a solution and nowhere in the text students may see: the masters'
    public parts, the book's pages (an exercise may ask for what a chapter computes; the errata
    quote figures) and the package's source (the API reference shows it)."""
    public_tokens = [words(artifact_text(p)) for p in sorted((root / "book").glob("*.ipynb"))
                     + sorted((root / "book").glob("*.md"))]
    public_tokens += [words(p.read_text(encoding="utf-8")) for p in sorted((root / "code").rglob("*.py"))]
    found = []
    for path in exercises.masters(root):
        stripped = master_solutions(path)
        public_tokens.append(words(stripped.public))
        for text in stripped.secret:
            for frag in fragments(text):
                n = SHINGLE if len(frag) >= SHINGLE else len(frag) if len(frag) >= SHORTEST else 0
                if n:
                    found += [Secret(s, path.relative_to(root).as_posix()) for s in shingles(frag, n)]
    public = {n: set().union(*(shingles(t, n) for t in public_tokens)) for n in range(SHORTEST, SHINGLE + 1)}
    unique = {s.words: s for s in found if s.words not in public[len(s.words)]}
    return list(unique.values())


def artifact_text(path: Path) -> str:
    """The text of a file as a reader could see it (JSON notebooks decoded)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(raw)
            return raw + "\n" + "\n".join("".join(c.get("source", "")) for c in nb.get("cells", []))
        except json.JSONDecodeError:
            pass
    return raw


TEXT_SUFFIXES = {".html", ".htm", ".js", ".json", ".ipynb", ".md", ".txt", ".py", ".tex", ".xml",
                 ".inv", ".yml", ".yaml", ".csv", ".rst"}


def leaks(files: list[Path], found: list[Secret]) -> list[str]:
    """``["file: secret", ...]`` for every secret that occurs in one of ``files``."""
    by_n: dict[int, dict[tuple[str, ...], Secret]] = {}
    for s in found:
        by_n.setdefault(len(s.words), {})[s.words] = s
    hits = []
    for path in files:
        if path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        tokens = words(artifact_text(path))
        for n, table in by_n.items():
            for sh in shingles(tokens, n) & table.keys():
                hits.append(f"{path}: {table[sh]}")
    return sorted(hits)


def files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())
