"""The pedigree drawing's labels never overlap: random pedigrees, long names, every script.

The proof has two halves, tested separately: the width model bounds every glyph of DejaVu Sans
(the font the drawing names), and, under that model, no two text boxes of a drawing intersect.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.reports.pedigree import BOLD, char_width, pedigree_svg, text_width, wrap_label

_FONTS = Path("/usr/share/fonts/truetype/dejavu")
_TEXT = re.compile(
    r'<text x="([\d.]+)" y="([\d.]+)" font-size="(\d+)"( font-weight="bold")? '
    r'text-anchor="middle"[^>]*>([^<]*)</text>'
)


@dataclass(frozen=True)
class Node:
    individual: str
    father: str | None
    mother: str | None
    sex: str
    role: str
    label: str


names = st.text(
    alphabet=st.sampled_from(
        list("abcdefghijklmnopqrstuvwxyzMW@%  -().") + list("ЖШЩЮЯжшщ") + list("김철수박영호")
    ),
    max_size=90,
)


@st.composite
def pedigrees(draw: st.DrawFn) -> tuple[list[Node], str | None]:
    n_founders = draw(st.integers(1, 6))
    nodes: list[Node] = []
    for i in range(n_founders):
        sex = draw(st.sampled_from(["male", "female", "unknown"]))
        nodes.append(Node(f"F{i}", None, None, sex, draw(_roles), draw(names)))
    for i in range(draw(st.integers(0, 14))):
        fathers = [n.individual for n in nodes if n.sex == "male"]
        mothers = [n.individual for n in nodes if n.sex == "female"]
        father = draw(st.sampled_from([None, *fathers]))
        mother = draw(st.sampled_from([None, *mothers]))
        sex = draw(st.sampled_from(["male", "female", "unknown"]))
        nodes.append(Node(f"C{i}", father, mother, sex, draw(_roles), draw(names)))
    return nodes, draw(st.none() | names)


_roles = st.sampled_from(["mp", "other_mp", "donor", "untyped"])


def _boxes(svg: str) -> list[tuple[float, float, float, float, str]]:
    out = []
    for x, y, size, bold, text in _TEXT.findall(svg):
        x, y, s, t = float(x), float(y), float(size), unescape(text)
        w = text_width(t, s, bold=bool(bold))
        out.append((x - w / 2, y - 0.95 * s, x + w / 2, y + 0.25 * s, t))
    return out


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@settings(max_examples=150, deadline=None)
@given(pedigrees())
def test_no_two_labels_of_a_drawing_overlap(case: tuple[list[Node], str | None]) -> None:
    nodes, pm = case
    svg = pedigree_svg(nodes, pm_label=pm)
    boxes = [b for b in _boxes(svg) if b[4]]
    labelled = [n for n in nodes if n.label.split()]
    assert len(boxes) >= len(labelled)
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlap(a, b), (a, b)
    width = float(re.search(r'width="([\d.]+)"', svg).group(1))
    height = float(re.search(r'height="([\d.]+)"', svg).group(1))
    for x0, y0, x1, y1, _ in boxes:
        assert -0.5 <= x0 and x1 <= width + 0.5 and -0.5 <= y0 and y1 <= height + 0.5
    for n in nodes:  # a label cut short keeps its full text in the node's title
        if " ".join(wrap_label(n.label)) != " ".join(n.label.split()):
            assert f"<title>{escape(n.label)}</title>" in svg


@given(names)
def test_a_wrapped_label_fits_its_lines(label: str) -> None:
    lines = wrap_label(label)
    assert 1 <= len(lines) <= 2 and all(len(line) <= 22 for line in lines)


@pytest.mark.parametrize("face, factor", [("DejaVuSans.ttf", 1.0), ("DejaVuSans-Bold.ttf", BOLD)])
def test_the_width_model_bounds_every_glyph_of_dejavu_sans(face: str, factor: float) -> None:
    ttlib = pytest.importorskip("fontTools.ttLib")
    path = _FONTS / face
    if not path.exists():
        pytest.skip(f"{path} is not installed")
    font = ttlib.TTFont(str(path))
    upm = font["head"].unitsPerEm
    metrics = font["hmtx"]
    wider = [
        (hex(cp), metrics[glyph][0] / upm)
        for cp, glyph in font.getBestCmap().items()
        if metrics[glyph][0] / upm > char_width(chr(cp)) * factor + 1e-9
    ]
    assert not wider, wider[:10]


def test_known_drawing() -> None:
    long = "FA (reference D-01) Kim Dae-ho, who gave a sample at the consulate in 2024"
    nodes = [
        Node("FA", None, None, "male", "donor", long),
        Node("MO", None, None, "female", "donor", "MO (reference D-02)"),
        Node("MP1", "FA", "MO", "male", "mp", "MP1 (MP P-0001)"),
    ]
    svg = pedigree_svg(nodes, pm_label="R-0001")
    assert f"<title>{long}</title>" in svg and "…" in svg and "= PM R-0001" in svg
    for a, b in itertools.combinations(_boxes(svg), 2):
        assert not _overlap(a, b)
