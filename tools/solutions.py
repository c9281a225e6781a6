"""Find the solutions in the book's sources, strip them, and detect them anywhere else.

Solutions live in three places, all read from the sources (nothing here names a chapter):

1. the chapters' ``{solution}`` blocks (MyST, in markdown cells and ``.md`` pages);
2. the chapters' ``glue(...)`` calls whose key only a solution uses (``ex_reprice`` computes the
   answer to an exercise; a student who downloads the chapter would read it there);
3. the exercise masters' solution lines (``# SOLUTION`` and ``# BEGIN/END SOLUTION`` blocks).

``strip_*`` remove them (the student build uses these on its downloadable sources). ``secrets``
turns them into word *shingles*, runs of consecutive words, leaving out any run that also occurs in
the text students are meant to see, and ``leaks`` looks for those runs in any file. Comparing
words, not characters, makes the check indifferent to markup, HTML escaping, smart quotes and
JSON string escapes.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SHINGLE = 6        # words in a run: long enough to be specific to one solution
SHORTEST = 4       # a code line shorter than SHINGLE words still counts if it has this many
FENCE = re.compile(r"^(\s*)(`{3,}|:{3,})\{solution\}")
ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")
GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`:]+)")
GLUE_DIRECTIVE = re.compile(r"^\s*(?:`{3,}|:{3,})\{glue(?::\w+)?\}\s+([^\s:]+)", re.M)


# ---------------------------------------------------------------------------------------------
# Solution blocks in MyST markdown
# ---------------------------------------------------------------------------------------------

def split_solutions(text: str) -> tuple[str, list[str]]:
    """``(text without solution blocks, [solution bodies])``.

    A block opens with a ```` ```{solution} ```` (or ``:::{solution}``) fence and closes at the
    first line made only of at least as many of the same fence characters, as in MyST.
    """
    kept, bodies, lines = [], [], text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            kept.append(lines[i])
            i += 1
            continue
        char, n = m.group(2)[0], len(m.group(2))
        closing = re.compile(rf"^\s*{re.escape(char)}{{{n},}}\s*$")
        body, i = [], i + 1
        while i < len(lines) and not closing.match(lines[i]):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        bodies.append("".join(l for l in body if not re.match(r"^\s*:\w[\w-]*:", l)))
    return "".join(kept), bodies


def glue_keys(text: str) -> set[str]:
    return set(GLUE_ROLE.findall(text)) | set(GLUE_DIRECTIVE.findall(text))


def _glue_call_key(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func, args = node.value.func, node.value.args
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name == "glue" and args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            return args[0].value
    return None


def split_glue(code: str, keys: set[str]) -> tuple[str, list[str]]:
    """``(code without the glue calls for ``keys``, [those calls' source])``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:          # IPython magics: leave the cell alone
        return code, []
    lines = code.splitlines(keepends=True)
    drop, removed = set(), []
    for node in tree.body:
        if _glue_call_key(node) in keys:
            span = range(node.lineno - 1, node.end_lineno)
            drop.update(span)
            removed.append("".join(lines[i] for i in span))
    return "".join(l for i, l in enumerate(lines) if i not in drop), removed


@dataclass
class Stripped:
    public: str            # everything a student may see, as text
    secret: list[str]      # the solution texts that were removed


def strip_notebook(nb: nbformat.NotebookNode) -> Stripped:
    """Remove solution blocks and solution-only glue calls from ``nb`` (in place)."""
    public, secret = [], []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source, bodies = split_solutions(cell.source)
            secret += bodies
    used_in_solutions = set().union(*(glue_keys(s) for s in secret)) if secret else set()
    used_elsewhere = set().union(*(glue_keys(c.source) for c in nb.cells if c.cell_type == "markdown"))
    only_solutions = used_in_solutions - used_elsewhere
    kept_cells = []
    for cell in nb.cells:
        if cell.cell_type == "code" and only_solutions:
            cell.source, calls = split_glue(cell.source, only_solutions)
            secret += calls
            if not cell.source.strip():
                continue
        kept_cells.append(cell)
        public.append(cell.source)
    nb.cells = kept_cells
    return Stripped("\n".join(public), secret)


def strip_markdown(text: str) -> Stripped:
    public, bodies = split_solutions(text)
    return Stripped(public, bodies)


def strip_file(path: Path) -> Stripped:
    """Strip a chapter source on disk (``.ipynb`` or ``.md``) in place."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        result = strip_notebook(nb)
        nbformat.write(nb, path)
    else:
        result = strip_markdown(path.read_text(encoding="utf-8"))
        path.write_text(result.public, encoding="utf-8")
    return result


def master_solutions(master: Path) -> Stripped:
    """The solution lines of an otter-assign master, and the rest of its text."""
    nb = nbformat.read(master, as_version=4)
    public, secret, inside = [], [], False
    for cell in nb.cells:
        head = cell.source.strip().upper()
        if cell.cell_type == "raw":
            inside = head.startswith("# BEGIN SOLUTION") or (inside and not head.startswith("# END SOLUTION"))
            continue
        if cell.cell_type != "code":
            public.append(cell.source)
            continue
        for line in cell.source.splitlines():
            if inside or re.search(r"#\s*SOLUTION\b", line):
                code = re.sub(r"#\s*SOLUTION.*$", "", line).strip()
                if "=" in code and not code.startswith(("=", "(")):
                    code = code.split("=", 1)[1].strip()    # the student keeps `name = ...`
                if code not in ("", "..."):
                    secret.append(code)
            else:
                public.append(line)
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


def chapter_sources(root: Path = ROOT) -> list[Path]:
    return sorted((root / "book").glob("*.ipynb")) + sorted((root / "book").glob("*.md"))


def masters(root: Path = ROOT) -> list[Path]:
    return sorted((root / "exercises" / "masters").glob("*.ipynb"))


@dataclass
class Secret:
    words: tuple[str, ...]
    source: str            # where it came from, for the failure message

    def __str__(self) -> str:
        return f"'{' '.join(self.words)}' (from {self.source})"


def secrets(root: Path = ROOT) -> list[Secret]:
    """Word runs that occur in a solution and nowhere in the text students may see."""
    public_tokens, found = [], []
    for path in chapter_sources(root) + masters(root):
        if path.parent.name == "masters":
            stripped = master_solutions(path)
        elif path.suffix == ".ipynb":
            stripped = strip_notebook(nbformat.read(path, as_version=4))
        else:
            stripped = strip_markdown(path.read_text(encoding="utf-8"))
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
