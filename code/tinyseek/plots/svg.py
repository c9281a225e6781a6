"""A few SVG primitives for the book's diagrams: boxes of text, arrows, lines, one document.

The diagrams are generated, not drawn by hand, so that every number in them comes from the data
and the tested functions. Conventions (the book's rules for diagrams): a ``viewBox`` and no fixed
pixel width, an opaque light background with dark text (legible in dark mode), font size 14 or
more in a view box at most 720 wide.
"""

from __future__ import annotations

from html import escape

FONT = "font-family='DejaVu Sans, Arial, sans-serif'"
INK = "#1a1a1a"
FILLS = {"question": "#e8f0fb", "controlled": "#fbe3e3", "free": "#e3f4e3", "note": "#f4f4f4"}


def text(x: float, y: float, s: str, size: int = 14, anchor: str = "middle", bold: bool = False,
         colour: str = INK) -> str:
    """One line of text with its baseline at ``(x, y)``."""
    weight = " font-weight='bold'" if bold else ""
    return (f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}'{weight} "
            f"fill='{colour}' {FONT}>{escape(s)}</text>")


def box(x: float, y: float, w: float, h: float, lines: list[str], kind: str = "question",
        size: int = 14) -> str:
    """A rounded box filled by ``kind`` with ``lines`` of text centred in it."""
    parts = [f"<rect x='{x:.1f}' y='{y:.1f}' width='{w:.1f}' height='{h:.1f}' rx='8' "
             f"fill='{FILLS[kind]}' stroke='{INK}' stroke-width='1.2'/>"]
    step = size * 1.3
    top = y + h / 2 - step * (len(lines) - 1) / 2 + size * 0.35
    parts += [text(x + w / 2, top + i * step, s, size, bold=(i == 0 and kind != "question"))
              for i, s in enumerate(lines)]
    return "\n".join(parts)


def arrow(x1: float, y1: float, x2: float, y2: float, label: str = "", dx: float = 6,
          dy: float = -6) -> str:
    """An arrow from ``(x1, y1)`` to ``(x2, y2)`` with an optional label near its middle."""
    line = (f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='{INK}' "
            "stroke-width='1.5' marker-end='url(#head)'/>")
    if not label:
        return line
    return line + "\n" + text((x1 + x2) / 2 + dx, (y1 + y2) / 2 + dy, label, 14, "start")


def document(width: int, height: int, body: list[str], title: str, marker: str = "head") -> str:
    """The whole SVG: view box, background, arrow-head marker, ``title`` for screen readers.

    ``marker`` names the arrow head; give each diagram of a page its own, since inline SVGs share
    one id space.
    """
    body = [b.replace("url(#head)", f"url(#{marker})") for b in body]
    return "\n".join([
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' role='img' "
        f"style='max-width:100%;height:auto'>",
        f"<title>{escape(title)}</title>",
        f"<defs><marker id='{marker}' markerWidth='10' markerHeight='8' refX='9' refY='4' "
        f"orient='auto'><path d='M0,0 L10,4 L0,8 z' fill='{INK}'/></marker></defs>",
        f"<rect x='0' y='0' width='{width}' height='{height}' fill='#ffffff'/>",
        *body, "</svg>"])
