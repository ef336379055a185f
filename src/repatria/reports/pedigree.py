"""A reference family's pedigree as SVG, with the PM sample placed on the MP it is matched to.

Plain SVG written by hand (no plotting library): it is small, fast to draw on every match page,
readable by screen readers (``<title>`` and ``<desc>``), and fpdf2 can place it in a PDF.
Males are squares, females circles, sex unknown diamonds; typed reference donors are filled,
the MP of the match is outlined in red with the PM sample's label beneath.

Labels never overlap (issue 18): each node gets a slot as wide as its symbol and its texts,
measured by :func:`text_width` (an upper bound of DejaVu Sans, checked against the font glyph
by glyph), neighbours keep a gap, and each row's band of symbols and texts ends above the next
row. Long labels are wrapped to two lines and cut with "…", the full text kept in a ``<title>``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Protocol

__all__ = ["pedigree_svg", "char_width", "text_width", "wrap_label", "LABEL_CHARS", "LABEL_LINES"]


class _Node(Protocol):
    """One person of the drawing (read-only, so frozen records such as the views' nodes fit)."""

    @property
    def individual(self) -> str: ...
    @property
    def father(self) -> str | None: ...
    @property
    def mother(self) -> str | None: ...
    @property
    def sex(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def label(self) -> str: ...


_SIZE = 34  # a symbol's side (px)
_GAP = 16  # the least free space between two neighbours' label boxes
_MARGIN = 20
_ROW_GAP = 40  # room above a row for the lines down from the parents
_LABEL, _CAPTION, _MARK = 11, 12, 13  # font sizes (px)
_LINE = 1.25  # line height, in font sizes: more than ascent + descent (0.93 + 0.24)
_ASCENT, _DESCENT = 0.95, 0.25  # of DejaVu Sans (0.928, 0.236), rounded up
LABEL_CHARS, LABEL_LINES, CAPTION_CHARS = 22, 2, 26
BOLD = 1.2  # DejaVu Sans Bold is at most this much wider than the regular face, glyph by glyph

_NARROW = frozenset(" !'(),-./:;I[\\]`fijlrt|")
_WIDE_ASCII = frozenset("@Wm%M")
_CJK = ((0x1100, 0x11FF), (0x2E80, 0xA4CF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF00, 0xFF60))


def char_width(ch: str) -> float:
    """An upper bound of the advance of ``ch`` in DejaVu Sans, in em.

    Checked glyph by glyph against the font (tests/reports/test_pedigree_layout.py). Hangul and
    Han, which DejaVu lacks, come from a CJK font, whose advance is one em.
    """
    cp = ord(ch)
    if cp < 0x20:
        return 0.0
    if cp < 0x7F:
        return 0.5 if ch in _NARROW else 1.0 if ch in _WIDE_ASCII else 0.84
    if 0xA0 <= cp < 0x180:
        return 1.07
    if 0x400 <= cp < 0x500:
        return 1.18
    if any(lo <= cp <= hi for lo, hi in _CJK):
        return 1.0
    return 1.74


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """An upper bound of the width of ``text`` at ``size`` px (DejaVu Sans; bold if asked)."""
    return sum(char_width(c) for c in text) * size * (BOLD if bold else 1.0)


def wrap_label(text: str, width: int = LABEL_CHARS, lines: int = LABEL_LINES) -> list[str]:
    """``text`` in at most ``lines`` lines of at most ``width`` characters, broken at spaces
    where it can; what does not fit ends in "…" (the full text goes in the node's title)."""
    words, out, line = text.split(), [], ""
    for word in words:
        while len(word) > width:  # a word longer than a line is cut
            if line:
                out.append(line)
                line = ""
            out.append(word[:width])
            word = word[width:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line = f"{line} {word}"
        else:
            out.append(line)
            line = word
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return out or [""]


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _generations(nodes: Sequence[_Node]) -> dict[str, int]:
    by_id = {n.individual: n for n in nodes}
    depth: dict[str, int] = {}

    def d(i: str, seen: frozenset[str] = frozenset()) -> int:
        if i in depth:
            return depth[i]
        n = by_id[i]
        parents = [p for p in (n.father, n.mother) if p in by_id and p not in seen]
        depth[i] = 0 if not parents else 1 + max(d(p, seen | {i}) for p in parents)
        return depth[i]

    for n in nodes:
        d(n.individual)
    return depth


@dataclass(frozen=True)
class _Placed:
    node: _Node
    x: float  # the symbol's centre
    y: float
    lines: list[str]
    caption: str | None
    width: float  # the node's slot: its symbol and every text under it


def _layout(
    nodes: Sequence[_Node], caption_of: dict[str, str]
) -> tuple[list[_Placed], float, float]:
    """Each node's place; slots in a row never overlap, rows never overlap (so neither do labels).

    A node's slot is as wide as the widest of its symbol and its texts (measured by
    :func:`text_width`, an upper bound), and neighbours' slots keep ``_GAP`` between them; a row's
    band holds its symbols and texts, and the next row starts ``_ROW_GAP`` below the band."""
    gen = _generations(nodes)
    rows: dict[int, list[_Node]] = {}
    for n in nodes:
        rows.setdefault(gen[n.individual], []).append(n)
    placed: dict[str, _Placed] = {}
    top = float(_MARGIN)
    for g in sorted(rows):
        row = rows[g]

        def wanted(n: _Node) -> float:
            xs = [placed[p].x for p in (n.father, n.mother) if p and p in placed]
            return sum(xs) / len(xs) if xs else 0.0

        if g > 0:  # children under their parents where the spacing allows
            row.sort(key=wanted)
        texts = []
        for n in row:
            lines = wrap_label(n.label)
            caption = caption_of.get(n.individual)
            widths = [_SIZE, *(text_width(t, _LABEL) for t in lines)]
            if caption:
                widths.append(text_width(caption, _CAPTION, bold=True))
            texts.append((n, lines, caption, max(widths)))
        cy = top + _SIZE / 2
        x_prev, w_prev = -math.inf, 0.0
        for n, lines, caption, w in texts:
            x = max(wanted(n) if g > 0 else -math.inf, x_prev + (w_prev + w) / 2 + _GAP)
            if math.isinf(x):
                x = w / 2
            placed[n.individual] = _Placed(n, x, cy, lines, caption, w)
            x_prev, w_prev = x, w
        band = max(_text_bottom(len(p[1]), bool(p[2])) for p in texts)
        top = cy + band + _ROW_GAP
    shift = _MARGIN - min(p.x - p.width / 2 for p in placed.values())
    out = [_Placed(p.node, p.x + shift, p.y, p.lines, p.caption, p.width) for p in placed.values()]
    width = max(p.x + p.width / 2 for p in out) + _MARGIN
    height = max(p.y + _text_bottom(len(p.lines), bool(p.caption)) for p in out) + _MARGIN
    return out, width, height


def _baselines(n_lines: int, caption: bool) -> list[tuple[float, float]]:
    """(baseline below the symbol's centre, font size) of each text line under a symbol."""
    y, out = _SIZE / 2 + 4, []
    for _ in range(n_lines):
        y += _ASCENT * _LABEL
        out.append((y, float(_LABEL)))
        y += (_LINE - _ASCENT) * _LABEL
    if caption:
        y += _ASCENT * _CAPTION
        out.append((y, float(_CAPTION)))
    return out


def _text_bottom(n_lines: int, caption: bool) -> float:
    last, size = _baselines(n_lines, caption)[-1]
    return last + _DESCENT * size


def pedigree_svg(
    nodes: Sequence[_Node],
    *,
    pm_label: str | None = None,
    title: str = "Pedigree",
    pm_caption: str | None = None,
    missing_mark: str = "MP",
) -> str:
    """The pedigree as an SVG document (a string); an empty drawing says so in words.

    ``pm_caption`` is the text under the MP (default ``= PM {pm_label}``); ``missing_mark`` the
    text inside a missing person's symbol (none when empty). Labels are wrapped and cut to
    ``LABEL_LINES`` lines; a cut label keeps its full text in the node's ``<title>``.
    """
    if not nodes:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40" role="img">'
            '<title>No pedigree</title><text x="10" y="25" font-size="14">No reference family '
            "is linked to this person.</text></svg>"
        )
    captions = {
        n.individual: _truncate(pm_caption or f"= PM {pm_label}", CAPTION_CHARS)
        for n in nodes
        if n.role == "mp" and pm_label
    }
    placed, width, height = _layout(nodes, captions)
    pos = {p.node.individual: (p.x, p.y) for p in placed}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-labelledby="pt pd" '
        'font-family="DejaVu Sans, sans-serif">',
        f'<title id="pt">{escape(title)}</title>',
        '<desc id="pd">'
        + escape("; ".join(f"{n.label}: {_describe(n)}" for n in nodes))
        + "</desc>",
    ]
    half = _SIZE / 2
    for n in nodes:  # lines first, under the symbols
        parents = [pos[p] for p in (n.father, n.mother) if p in pos]
        if not parents:
            continue
        cx, cy = pos[n.individual]
        if len(parents) == 2:
            (x1, y1), (x2, y2) = parents
            out.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                'stroke="#333" stroke-width="1.5"/>'
            )
            mx, my = (x1 + x2) / 2, y1
        else:
            mx, my = parents[0][0], parents[0][1] + half
        mid = cy - half - 18
        out.append(
            f'<polyline points="{mx:.1f},{my:.1f} {mx:.1f},{mid:.1f} {cx:.1f},{mid:.1f} '
            f'{cx:.1f},{cy - half:.1f}" fill="none" stroke="#333" stroke-width="1.5"/>'
        )
    for p in placed:
        n, cx, cy = p.node, p.x, p.y
        cut = p.lines != [n.label] and " ".join(p.lines) != n.label
        out.append("<g>" + (f"<title>{escape(n.label)}</title>" if cut else ""))
        fill = {"donor": "#3b3b3b", "mp": "#ffffff", "other_mp": "#ffffff"}.get(n.role, "#ffffff")
        stroke, sw = ("#b00020", 4) if n.role == "mp" else ("#333", 1.5)
        attrs = f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"'
        if n.sex == "male":
            out.append(
                f'<rect x="{cx - half:.1f}" y="{cy - half:.1f}" '
                f'width="{_SIZE}" height="{_SIZE}" {attrs}/>'
            )
        elif n.sex == "female":
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{half:.0f}" {attrs}/>')
        else:
            out.append(
                f'<polygon points="{cx:.1f},{cy - half:.1f} {cx + half:.1f},{cy:.1f} '
                f'{cx:.1f},{cy + half:.1f} {cx - half:.1f},{cy:.1f}" {attrs}/>'
            )
        if n.role in ("mp", "other_mp") and missing_mark:
            out.append(
                f'<text x="{cx:.1f}" y="{cy + 5:.1f}" font-size="{_MARK}" text-anchor="middle" '
                f'fill="#b00020">{escape(_truncate(missing_mark, 2))}</text>'
            )
        lines = _baselines(len(p.lines), bool(p.caption))
        for text, (dy, size) in zip(p.lines, lines, strict=False):
            out.append(
                f'<text x="{cx:.1f}" y="{cy + dy:.1f}" font-size="{size:.0f}" '
                f'text-anchor="middle" fill="#111">{escape(text)}</text>'
            )
        if p.caption:
            dy, size = lines[-1]
            out.append(
                f'<text x="{cx:.1f}" y="{cy + dy:.1f}" font-size="{size:.0f}" '
                f'font-weight="bold" text-anchor="middle" fill="#b00020">'
                f"{escape(p.caption)}</text>"
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _describe(n: _Node) -> str:
    what = {
        "mp": "the missing person of this match",
        "other_mp": "another missing person",
        "donor": "typed reference",
        "untyped": "not typed",
    }[n.role]
    return f"{n.sex}, {what}"
