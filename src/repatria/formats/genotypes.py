"""Genotype cells in case files: ``a/b``, ``a/-`` (one allele unknown), empty = untyped.

Errors name the file, the line and the marker, never the cell: it is a person's genotype.
"""

from __future__ import annotations

from repatria.errors import FormatError
from repatria.field_limits import ALLELE
from repatria.formats.text import check_field
from repatria.kinship.pedigree import Genotype

__all__ = ["parse_genotype", "format_genotype"]


def parse_genotype(
    cell: str, *, file: str | None = None, line: int | None = None, field: str | None = None
) -> Genotype | None:
    """``"9/9.3"`` → ``("9", "9.3")``; ``""``, ``"-/-"`` → ``None``; ``"9/-"`` → ``("9", None)``."""
    s = cell.strip()
    if s in ("", "-", "-/-", "NA", "NA/NA"):
        return None
    parts = s.split("/")
    if len(parts) != 2:
        what = "three or more alleles" if len(parts) > 2 else "one allele"
        raise FormatError(
            f"the genotype has {what}; write two alleles as a/b",
            file=file,
            line=line,
            field=field,
        )
    a, b = (p.strip() for p in parts)
    if not a or not b:
        raise FormatError(
            "the genotype has an empty allele; use '-' for an unknown allele",
            file=file,
            line=line,
            field=field,
        )
    for allele in (a, b):
        check_field(allele, ALLELE, file=file, line=line, field=field or "genotype")
    return (None if a in ("-", "NA") else a, None if b in ("-", "NA") else b)


def format_genotype(g: Genotype | None) -> str:
    if g is None:
        return ""
    return f"{'-' if g[0] is None else g[0]}/{'-' if g[1] is None else g[1]}"
