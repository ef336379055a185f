"""``direct.tsv``: direct references of a case, items of the missing person's own.

A toothbrush, a razor, a hairbrush, clothing or a stored medical sample (a blood card) typed as
the MP's own profile. One line per item, tab-separated, ``#`` comments and blank lines ignored::

    id      missing         item        reliability  dropout  D3S1358  vWA
    TB-1    Missing person  toothbrush  1            0.1      15/16    17/-

- ``id``: the item's reference (unique in the registry);
- ``missing``: the missing person's id (a case: one of ``missing.txt``; the registry: a person
  reference);
- ``item``: ``toothbrush``, ``razor``, ``hairbrush``, ``clothing``, ``medical_sample`` or
  ``other``;
- ``reliability`` (optional, default 1): the probability that the item carries his DNA alone, in
  (0, 1]; a razor others shared is less than 1;
- ``dropout`` (optional, after ``reliability`` when both are given): the item's allelic dropout
  probability, in [0, 1) (empty: typed exactly);
- then one column per marker, genotypes as in ``pm.tsv`` (``a/b``, ``a/-``, empty: untyped).

Errors name the file, the line and the field, never a genotype.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.formats.genotypes import parse_genotype
from repatria.formats.text import check_field, read_text
from repatria.kinship.pedigree import Genotype
from repatria.vocabulary import DIRECT_ITEMS, spelled

__all__ = ["DIRECT_FILE", "DirectRow", "read_direct_file"]

DIRECT_FILE = "direct.tsv"
_FIRST = ("id", "missing", "item")
_OPTIONAL = ("reliability", "dropout")


@dataclass(frozen=True)
class DirectRow:
    """One item of ``direct.tsv``, as read (genotypes by marker column)."""

    line: int
    ref: str
    missing: str
    item: str
    reliability: float = 1.0
    dropout: float | None = None
    genotypes: dict[str, Genotype] = field(default_factory=dict)


def _number(cell: str, *, file: str, line: int, name: str, low_open: bool) -> float | None:
    text = cell.strip()
    if not text or text.upper() == "NA":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    ok = (0 < value <= 1) if low_open else (0 <= value < 1)  # nan fails both
    if not ok:
        what = "in (0, 1]" if low_open else "at least 0 and below 1"
        raise FormatError(
            f"'{text}' must be a probability {what}", file=file, line=line, field=name
        )
    return value


def _header(
    header: list[str], markers: Collection[str] | None, file: str, head_line: int
) -> tuple[list[str], int]:
    """The header and where its marker columns start."""
    if tuple(header[:3]) != _FIRST:
        raise FormatError(
            "the header must start with id, missing, item (tab-separated)",
            file=file,
            line=head_line,
            field="header",
        )
    first = 3
    for name in _OPTIONAL:
        if len(header) > first and header[first] == name:
            first += 1
    for name in header[first:]:
        check_field(name, L.MARKER, file=file, line=head_line, field="header")
        if name in _FIRST + _OPTIONAL or (markers is not None and name not in markers):
            raise FormatError(
                f"column '{name}' is not a marker", file=file, line=head_line, field=name
            )
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise FormatError(f"column(s) {', '.join(dup)} appear twice", file=file, line=head_line)
    return header, first


def read_direct_file(path: str | Path, markers: Collection[str] | None = None) -> list[DirectRow]:
    """Every item of a ``direct.tsv`` (module notes), or one FormatError; ``markers``, when given,
    are the marker names a genotype column may have."""
    p = Path(path)
    file = str(p)
    rows = read_text(p, "direct references file").data_rows()
    if not rows:
        raise FormatError(
            "empty file: expected the header id, missing, item, markers...", file=file
        )
    head_line, raw = rows[0]
    header, first = _header([h.strip() for h in raw], markers, file, head_line)
    out: list[DirectRow] = []
    seen: dict[str, int] = {}
    for k, r in rows[1:]:
        if len(r) != len(header):
            raise FormatError(
                f"{len(r)} fields, but the header has {len(header)}", file=file, line=k
            )
        cells = dict(zip(header, (c.strip() for c in r), strict=True))
        for name, limit in (("id", L.REF), ("missing", L.REF), ("item", L.CODE)):
            check_field(cells[name], limit, file=file, line=k, field=name)
            if not cells[name]:
                raise FormatError("is empty", file=file, line=k, field=name)
        if cells["id"] in seen:
            raise FormatError(
                f"item '{cells['id']}' is listed on line {seen[cells['id']]} already",
                file=file,
                line=k,
                field="id",
            )
        seen[cells["id"]] = k
        if cells["item"] not in DIRECT_ITEMS:
            raise FormatError(f"is not {spelled(DIRECT_ITEMS)}", file=file, line=k, field="item")
        rel = _number(
            cells.get("reliability", ""), file=file, line=k, name="reliability", low_open=True
        )
        drop = _number(cells.get("dropout", ""), file=file, line=k, name="dropout", low_open=False)
        genos: dict[str, Genotype] = {}
        for name in header[first:]:
            g = parse_genotype(cells[name], file=file, line=k, field=name)
            if g is not None:
                genos[name] = g
        if not genos:
            raise FormatError("the item has no typed marker", file=file, line=k, field="id")
        out.append(
            DirectRow(
                k,
                cells["id"],
                cells["missing"],
                cells["item"],
                1.0 if rel is None else rel,
                drop,
                genos,
            )
        )
    return out
