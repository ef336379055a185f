"""Haplotype files and strings: Y-STR and mtDNA databases for lineage matching.

A Y-STR database is a TSV with an ``id`` column and one column per locus; a cell is an allele
(``14``), several for a multi-copy locus (``13,15``), or empty when untyped. An mtDNA database is
a TSV with columns ``id``, ``variants`` (differences to the reference sequence, space-separated:
``16519C 263G 315.1C``) and ``read`` (the positions sequenced: ``16024-16569,1-576``).

On the command line a Y haplotype is ``DYS19=14;DYS385=13,15;...`` and an mtDNA one is
``16519C 263G@16024-16569,1-576`` (variants, ``@``, positions read).
"""

from __future__ import annotations

from pathlib import Path

from repatria.errors import FormatError
from repatria.formats.text import read_text
from repatria.kinship.errors import KinshipError
from repatria.kinship.lineage import Haplotype, mt_haplotype, y_haplotype

__all__ = ["read_haplotype_database", "parse_haplotype", "parse_read_ranges"]


def parse_read_ranges(
    text: str, *, file: str | None = None, line: int | None = None, field: str | None = None
) -> list[int]:
    """``"16024-16569,1-576"`` → every position in those ranges (inclusive)."""
    out: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise FormatError(
                f"positions read '{part}' are not a range like 16024-16569",
                file=file,
                line=line,
                field=field,
            ) from None
        if b < a:
            raise FormatError(
                f"range '{part}' ends before it starts", file=file, line=line, field=field
            )
        out.extend(range(a, b + 1))
    return out


def parse_haplotype(
    text: str, kind: str, *, file: str | None = None, field: str | None = None
) -> Haplotype:
    """A haplotype written on the command line (see the module docstring)."""
    try:
        if kind == "Y":
            values: dict[str, str] = {}
            for part in (p.strip() for p in text.split(";") if p.strip()):
                locus, eq, alleles = part.partition("=")
                if not eq or not locus.strip():
                    raise FormatError(f"'{part}' is not LOCUS=ALLELE(S)", file=file, field=field)
                values[locus.strip()] = alleles.strip()
            return y_haplotype(values)
        if kind == "mt":
            variants, at, read = text.partition("@")
            positions = parse_read_ranges(read, file=file, field=field) if at else None
            return mt_haplotype(variants.split(), positions)
    except KinshipError as e:
        raise FormatError(str(e), file=file, field=field) from None
    raise FormatError(f"haplotype kind '{kind}' is not Y or mt", file=file, field=field)


def read_haplotype_database(path: str | Path, kind: str) -> list[Haplotype]:
    """All haplotypes of a database file, or a FormatError naming file, line and field."""
    p = Path(path)
    lines = read_text(p, "haplotype database").lines()
    rows = [(k, ln.rstrip("\r").split("\t")) for k, ln in enumerate(lines, 1) if ln.strip()]
    if not rows:
        raise FormatError("empty file", file=str(p))
    header = [h.strip() for h in rows[0][1]]
    if not header or header[0] != "id":
        raise FormatError("the first column must be 'id'", file=str(p), line=1, field="header")
    if kind == "mt" and header[:3] != ["id", "variants", "read"]:
        raise FormatError(
            "an mtDNA database has the columns id, variants, read",
            file=str(p),
            line=1,
            field="header",
        )
    out: list[Haplotype] = []
    seen: set[str] = set()
    for k, r in rows[1:]:
        if len(r) != len(header):
            raise FormatError(
                f"{len(r)} fields, but the header has {len(header)}", file=str(p), line=k
            )
        hid = r[0].strip()
        if not hid or hid in seen:
            raise FormatError(f"id '{hid}' is empty or used twice", file=str(p), line=k, field="id")
        seen.add(hid)
        try:
            if kind == "Y":
                out.append(
                    y_haplotype(dict(zip(header[1:], (c.strip() for c in r[1:]), strict=False)))
                )
            else:
                positions = (
                    parse_read_ranges(r[2], file=str(p), line=k, field="read")
                    if r[2].strip()
                    else None
                )
                out.append(mt_haplotype(r[1].split(), positions))
        except KinshipError as e:
            raise FormatError(str(e), file=str(p), line=k) from None
    return out
