"""A reference profile typed by hand: ``MARKER a/b`` one a line (a form, or ``--genotype``).

Both alleles are required (a reference sample is fully typed where it is typed). An error names
the line and the marker, never the alleles.
"""

from __future__ import annotations

from collections.abc import Iterable

from repatria.errors import FormatError

__all__ = ["parse_profile_lines"]


def parse_profile_lines(lines: Iterable[str], *, source: str) -> dict[str, tuple[str, str]]:
    """``["M01 10/11", "M02=12/12"]`` → ``{"M01": ("10", "11"), "M02": ("12", "12")}``.

    A marker and its genotype are separated by a space, a tab or ``=``; the alleles by ``/``.
    Blank lines are skipped.
    """
    out: dict[str, tuple[str, str]] = {}
    for n, line in enumerate(lines, start=1):
        parts = line.replace("=", " ").replace("/", " ").split()
        if not parts:
            continue
        if len(parts) != 3:
            raise FormatError(
                "write MARKER a/b (a marker and its two alleles)", file=source, line=n
            )
        marker, a, b = parts
        if marker in out:
            raise FormatError(f"marker {marker} is given twice", file=source, line=n)
        out[marker] = (a, b)
    return out
