"""Shared PDF plumbing (fpdf2): Unicode fonts, headings, tables, a footer with the version.

Names come in many scripts. The body font is DejaVu Sans (shipped with matplotlib, so always
there); when the machine has a CJK font (Debian's fonts-noto-cjk) it is added as a fallback
for Hangul and Han. Without one, a name the fonts cannot draw is written by its
transliteration and the report says that the original script was left out, rather than
printing empty boxes.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
from collections.abc import Sequence
from functools import lru_cache

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from repatria import __version__

__all__ = ["ReportPDF", "can_draw"]

_TTF = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
_CJK_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


@lru_cache(maxsize=1)
def _cjk_font() -> str | None:
    for path in _CJK_CANDIDATES:
        if os.path.exists(path):
            return path
    found = sorted(glob.glob("/usr/share/fonts/**/*CJK*Regular*.tt[cf]", recursive=True))
    return found[0] if found else None


@lru_cache(maxsize=1)
def _dejavu_chars() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(os.path.join(_TTF, "DejaVuSans.ttf")).getBestCmap())


@lru_cache(maxsize=1)
def _cjk_chars() -> frozenset[int]:
    path = _cjk_font()
    if path is None:
        return frozenset()
    from fontTools.ttLib import TTCollection, TTFont

    font = TTCollection(path).fonts[0] if path.endswith(".ttc") else TTFont(path)
    return frozenset(font.getBestCmap())


def can_draw(text: str) -> bool:
    """Whether the report's fonts hold every character of ``text``."""
    known = _dejavu_chars() | _cjk_chars()
    return all(ord(c) in known or c in "\n\t" for c in text)


class ReportPDF(FPDF):
    """An A4 report with Repatria's footer (title, version, page) on every page."""

    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.report_title = title
        self.omitted_scripts = False
        self.add_font("DejaVu", "", os.path.join(_TTF, "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", os.path.join(_TTF, "DejaVuSans-Bold.ttf"))
        if _cjk_font():
            self.add_font("CJK", "", _cjk_font())
            self.set_fallback_fonts(["CJK"], exact_match=False)
        self.set_font("DejaVu", size=10)
        self.set_auto_page_break(True, margin=18)
        self.set_title(title)
        self.set_creator(f"Repatria {__version__}")
        self.add_page()

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("DejaVu", size=7)
        self.cell(
            0,
            5,
            f"{self.report_title} · Repatria {__version__} · generated "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC · page {self.page_no()}",
            align="C",
        )

    def text_or_transliteration(self, text: str, transliteration: str | None) -> str:
        """``text`` if the fonts can draw it; else its transliteration, noting the omission."""
        if can_draw(text):
            return text
        self.omitted_scripts = True
        return f"{transliteration or '(name in a script this server has no font for)'} *"

    def h1(self, text: str) -> None:
        self.set_font("DejaVu", "B", 16)
        self.multi_cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.set_font("DejaVu", size=10)

    def h2(self, text: str) -> None:
        self.ln(3)
        self.set_font("DejaVu", "B", 12)
        self.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("DejaVu", size=10)

    def para(self, text: str, size: float = 10) -> None:
        self.set_font("DejaVu", size=size)
        self.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("DejaVu", size=10)

    def source(self, text: str) -> None:
        self.set_text_color(70, 70, 70)
        self.para("Source: " + text, size=8)
        self.set_text_color(0, 0, 0)

    def kv(self, rows: Sequence[tuple[str, str]]) -> None:
        self.table_rows(["", ""], [[k, v] for k, v in rows], header=False, widths=(45, 135))

    def table_rows(
        self,
        head: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        header: bool = True,
        widths: Sequence[float] | None = None,
    ) -> None:
        self.set_font("DejaVu", size=9)
        from fpdf.fonts import FontFace

        kwargs = (
            {"headings_style": FontFace(emphasis="BOLD", fill_color=(232, 238, 244))}
            if header
            else {}
        )
        with self.table(
            col_widths=widths, first_row_as_headings=header, line_height=5, **kwargs
        ) as table:
            if header:
                r = table.row()
                for h in head:
                    r.cell(h)
            for row in rows:
                r = table.row()
                for v in row:
                    r.cell("" if v is None else str(v))
        self.set_font("DejaVu", size=10)

    def output_bytes(self) -> bytes:
        if self.omitted_scripts:
            self.ln(3)
            self.para(
                "* The name in its original script could not be printed on this server (no font "
                "for that script); the transliteration is shown. The registry holds the original.",
                size=8,
            )
        return bytes(self.output())
