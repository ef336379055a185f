"""Shared PDF plumbing (fpdf2): fonts for every script, headings kept with their text, tables,
and a footer with the title, the version and "page x of y" on every page.

Fonts. Names come in many scripts. The body font is DejaVu Sans (shipped with matplotlib, so
always there), which draws Latin, Cyrillic and Greek. Hangul (and the Hanja of Korean names)
come from Nanum Gothic, a TrueType font from Debian's ``fonts-nanum`` package, which
``.ci/run`` installs like the other Debian packages the tests need; it is found at
:data:`HANGUL_FONT` (or the path in ``REPATRIA_HANGUL_FONT``). TrueType outlines keep the text
of the PDF readable by any text extractor, which the CFF outlines of Noto Sans CJK are not for
some (pypdf reads them as one-byte codes), and Nanum Gothic is a tenth of Noto Sans CJK's size,
which fpdf2 parses again for every document.

Without a font for a character, a name is written by its transliteration and the report says,
in a note at its end, that the original script was left out: never empty boxes, never a
character dropped in silence. :func:`missing_fonts` names what is missing, in one line.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence
from functools import lru_cache

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from repatria import __version__

__all__ = ["ReportPDF", "can_draw", "missing_fonts", "HANGUL_FONT"]

_TTF = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
#: Where Debian's fonts-nanum puts Nanum Gothic (regular; the bold sits beside it).
HANGUL_FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

# fontTools reports each table of Nanum Gothic's font-hinting sources it leaves out of a
# subset (TSI0...TSI5) as a warning; they are of no use in a PDF.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


def _hangul_font() -> str | None:
    path = os.environ.get("REPATRIA_HANGUL_FONT") or HANGUL_FONT
    return path if os.path.exists(path) else None


def _bold_of(path: str) -> str:
    bold = path.replace(".ttf", "Bold.ttf")
    return bold if os.path.exists(bold) else path


@lru_cache(maxsize=4)
def _chars(path: str | None) -> frozenset[int]:
    if path is None:
        return frozenset()
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path).getBestCmap())


def _known() -> frozenset[int]:
    return _chars(os.path.join(_TTF, "DejaVuSans.ttf")) | _chars(_hangul_font())


def can_draw(text: str) -> bool:
    """Whether the report's fonts hold every character of ``text``."""
    known = _known()
    return all(ord(c) in known or c in "\n\t" for c in text)


def missing_fonts() -> str | None:
    """One line naming the font that is missing and how to install it; None when all are there."""
    if _hangul_font() is None:
        return (
            f"no Hangul font at {HANGUL_FONT}: Korean names are printed by their "
            "transliteration; install Debian's fonts-nanum (.ci/run does) or set "
            "REPATRIA_HANGUL_FONT to a TrueType font with Hangul"
        )
    return None


@lru_cache(maxsize=1)
def _warn_once() -> None:
    problem = missing_fonts()
    if problem:
        logging.getLogger("repatria.reports").warning("reports: %s", problem)


class ReportPDF(FPDF):
    """An A4 report with a footer (title, version, date, "page x of y") on every page."""

    def __init__(self, title: str, *, footer_title: str | None = None) -> None:
        super().__init__(format="A4")
        self.report_title = footer_title or title
        self.generated = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
        self.omitted_scripts = False
        self.add_font("DejaVu", "", os.path.join(_TTF, "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", os.path.join(_TTF, "DejaVuSans-Bold.ttf"))
        hangul = _hangul_font()
        if hangul:
            self.add_font("Hangul", "", hangul)
            self.add_font("Hangul", "B", _bold_of(hangul))
            self.set_fallback_fonts(["Hangul"], exact_match=False)
        _warn_once()
        self.set_font("DejaVu", size=10)
        self.set_auto_page_break(True, margin=18)
        self.set_margins(17, 15, 17)
        self.set_title(title)
        self.set_creator(f"Repatria {__version__}")
        self.alias_nb_pages("{nb}")
        self.add_page()

    # ------------------------------------------------------------------ page furniture
    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("DejaVu", size=7)
        self.set_text_color(70, 70, 70)
        self.cell(
            0,
            5,
            f"{self.report_title} · Repatria {__version__} · generated {self.generated} · "
            f"page {self.page_no()} of {{nb}}",
            align="C",
        )
        self.set_text_color(0, 0, 0)

    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit on this one (keep-with-next)."""
        if self.will_page_break(height):
            self.add_page()

    # ------------------------------------------------------------------ text
    def text_or_transliteration(self, text: str, transliteration: str | None) -> str:
        """``text`` if the fonts can draw it; else its transliteration, noting the omission."""
        if can_draw(text):
            return text
        self.omitted_scripts = True
        return f"{transliteration or '(name in a script this server has no font for)'} *"

    def h1(self, text: str, subtitle: str | None = None) -> None:
        self.set_font("DejaVu", "B", 17)
        self.multi_cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        if subtitle:
            self.set_font("DejaVu", size=10)
            self.set_text_color(70, 70, 70)
            self.multi_cell(0, 5, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
            self.set_text_color(0, 0, 0)
        self.ln(3)
        self.set_font("DejaVu", size=10)

    def h2(self, text: str, keep: float = 25) -> None:
        """A section heading, moved to the next page with ``keep`` mm of what follows it."""
        self.keep(12 + keep)
        self.ln(3)
        self.set_font("DejaVu", "B", 12.5)
        self.multi_cell(0, 6.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        self.ln(1)
        self.set_font("DejaVu", size=10)

    def h3(self, text: str, keep: float = 18) -> None:
        self.keep(8 + keep)
        self.ln(1.5)
        self.set_font("DejaVu", "B", 10.5)
        self.multi_cell(0, 5.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        self.set_font("DejaVu", size=10)

    def para(self, text: str, size: float = 10, *, bold: bool = False, gap: float = 1.5) -> None:
        self.set_font("DejaVu", "B" if bold else "", size=size)
        self.multi_cell(0, size * 0.5 + 0.3, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        self.ln(gap)
        self.set_font("DejaVu", size=10)

    def bullets(self, items: Sequence[str], size: float = 10) -> None:
        self.set_font("DejaVu", size=size)
        for item in items:
            x = self.l_margin
            self.set_x(x)
            self.cell(5, size * 0.5 + 0.3, "•")
            self.multi_cell(
                0, size * 0.5 + 0.3, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L"
            )
            self.ln(0.8)
        self.ln(1)

    def boxed(self, text: str, size: float = 11.5) -> None:
        """A paragraph in a shaded box: the conclusion a reader must not miss."""
        self.set_font("DejaVu", "B", size)
        self.set_fill_color(236, 241, 246)
        self.set_draw_color(47, 93, 138)
        self.multi_cell(
            0,
            size * 0.5 + 0.6,
            text,
            border=1,
            fill=True,
            padding=(3, 4, 3, 4),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            align="L",
        )
        self.set_draw_color(0, 0, 0)
        self.ln(2)
        self.set_font("DejaVu", size=10)

    def source(self, text: str) -> None:
        self.set_text_color(70, 70, 70)
        self.para("Source: " + text, size=8)
        self.set_text_color(0, 0, 0)

    def rule(self) -> None:
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_draw_color(0, 0, 0)
        self.ln(2)

    # ------------------------------------------------------------------ tables
    def kv(self, rows: Sequence[tuple[str, str]], widths: tuple[float, float] = (50, 126)) -> None:
        self.table_rows(["", ""], [[k, v] for k, v in rows], header=False, widths=widths)

    def table_rows(
        self,
        head: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        header: bool = True,
        widths: Sequence[float] | None = None,
        size: float = 9,
    ) -> None:
        self.set_font("DejaVu", size=size)
        headings = FontFace(emphasis="BOLD", fill_color=(232, 238, 244))
        with self.table(
            col_widths=widths,
            first_row_as_headings=header,
            headings_style=headings,
            line_height=size * 0.45 + 0.4,
            text_align="LEFT",
            padding=(0.9, 1.5, 0.9, 1.5),
        ) as table:
            if header:
                r = table.row()
                for h in head:
                    r.cell(h)
            for row in rows:
                r = table.row()
                for v in row:
                    r.cell("" if v is None else str(v))
        self.ln(1.5)
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
