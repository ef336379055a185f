"""A reference family's pedigree as SVG, with the PM sample placed on the MP it is matched to.

Plain SVG written by hand (no plotting library): it is small, fast to draw on every match page,
readable by screen readers (``<title>`` and ``<desc>``), and fpdf2 can place it in a PDF.
Males are squares, females circles, sex unknown diamonds; typed reference donors are filled,
the MP of the match is outlined in red with the PM sample's label beneath.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Protocol

__all__ = ["pedigree_svg"]


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


_W, _H, _SIZE = 150, 110, 34


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
    text inside a missing person's symbol (none when empty).
    """
    if not nodes:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40" role="img">'
            '<title>No pedigree</title><text x="10" y="25" font-size="14">No reference family '
            "is linked to this person.</text></svg>"
        )
    gen = _generations(nodes)
    rows: dict[int, list[_Node]] = {}
    for n in nodes:
        rows.setdefault(gen[n.individual], []).append(n)
    # Children sit under their parents where possible: order each row by the parents' positions.
    pos: dict[str, tuple[float, float]] = {}
    width = max(len(r) for r in rows.values()) * _W + 40
    for g in sorted(rows):
        row = rows[g]
        if g > 0:
            row.sort(
                key=lambda n: (
                    sum(pos[p][0] for p in (n.father, n.mother) if p in pos)
                    / max(1, sum(1 for p in (n.father, n.mother) if p in pos))
                )
            )
        offset = (width - len(row) * _W) / 2
        for i, n in enumerate(row):
            pos[n.individual] = (offset + i * _W + _W / 2, 30 + g * _H + _SIZE / 2)
    height = 30 + len(rows) * _H + (30 if pm_label else 0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-labelledby="pt pd" '
        'font-family="DejaVu Sans, Arial, sans-serif">',
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
                f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
                'stroke="#333" stroke-width="1.5"/>'
            )
            mx, my = (x1 + x2) / 2, y1
        else:
            mx, my = parents[0][0], parents[0][1] + half
        mid = cy - half - 18
        out.append(
            f'<polyline points="{mx:.0f},{my:.0f} {mx:.0f},{mid:.0f} {cx:.0f},{mid:.0f} '
            f'{cx:.0f},{cy - half:.0f}" fill="none" stroke="#333" stroke-width="1.5"/>'
        )
    for n in nodes:
        cx, cy = pos[n.individual]
        fill = {"donor": "#3b3b3b", "mp": "#ffffff", "other_mp": "#ffffff"}.get(n.role, "#ffffff")
        stroke, sw = ("#b00020", 4) if n.role == "mp" else ("#333", 1.5)
        attrs = f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"'
        if n.sex == "male":
            out.append(
                f'<rect x="{cx - half:.0f}" y="{cy - half:.0f}" '
                f'width="{_SIZE}" height="{_SIZE}" {attrs}/>'
            )
        elif n.sex == "female":
            out.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{half:.0f}" {attrs}/>')
        else:
            out.append(
                f'<polygon points="{cx:.0f},{cy - half:.0f} {cx + half:.0f},{cy:.0f} '
                f'{cx:.0f},{cy + half:.0f} {cx - half:.0f},{cy:.0f}" {attrs}/>'
            )
        if n.role in ("mp", "other_mp") and missing_mark:
            out.append(
                f'<text x="{cx:.0f}" y="{cy + 5:.0f}" font-size="13" text-anchor="middle" '
                f'fill="#b00020">{escape(missing_mark)}</text>'
            )
        out.append(
            f'<text x="{cx:.0f}" y="{cy + half + 15:.0f}" font-size="11" text-anchor="middle" '
            f'fill="#111">{escape(n.label)}</text>'
        )
        if n.role == "mp" and pm_label:
            caption = pm_caption or f"= PM {pm_label}"
            out.append(
                f'<text x="{cx:.0f}" y="{cy + half + 31:.0f}" font-size="12" font-weight="bold" '
                f'text-anchor="middle" fill="#b00020">{escape(caption)}</text>'
            )
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
