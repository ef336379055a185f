"""GeneMapper / GeneMapper ID-X style genotype tables, long and wide, read all or nothing.

Two layouts, told apart by the header (tab-, comma- or semicolon-separated; a byte-order mark,
CRLF, UTF-16 and latin-1 are read as :mod:`repatria.formats.text` says):

**long** (GeneMapper's Genotypes table): one row per sample and marker::

    Sample File    Sample Name  Panel        Marker   Allele 1  Allele 2  Size 1 ...
    A01_PM-01.hid  PM-01        GlobalFiler  D8S1179  12        14        ...
    A01_PM-01.hid  PM-01        GlobalFiler  AMEL     X         Y         ...

Columns: ``Sample Name`` (or ``Sample``, ``Sample ID``, ``Specimen ID``), ``Marker`` (or
``Locus``) and ``Allele 1`` ... ``Allele N``; optional ``Panel`` / ``Kit``, ``Sample File``
(the run), ``Sample Type``. Other columns (``Dye``, ``Size 1``, ``Height 1``, quality flags)
are ignored and listed in :attr:`~repatria.formats.lab_typing.LabExport.ignored_columns`.

**wide**: one row per sample: ``Sample Name``, then per marker either a pair of columns
``D8S1179 Allele 1`` / ``D8S1179 Allele 2``, or one column ``D8S1179`` with ``12/14``,
``12,14`` or ``12`` in its cells. A plain column is a marker when its name is a known marker
(:mod:`repatria.formats.marker_names`), a ``D..S..`` locus, a ``Penta`` or a Y marker; any other
column is ignored and listed.

Allele cells are read by the rules of :mod:`repatria.formats.lab_typing`: in short, one
designation alone is a homozygote, ``12`` beside ``-`` is ``12/-`` (a lost allele the lab
marks), ``?`` and ``OL`` are an allele with no designation, an empty row is untyped, and the
``AMEL`` column gives the sex. Marker names go through
:func:`~repatria.formats.marker_names.canonical_marker`.

The kit of a typing is the ``kit`` argument, else the row's ``Panel`` / ``Kit`` cell, else the
file's name. A long table's typing is one (sample, kit, sample file); a wide table's is one row.
Rows whose ``Sample Type`` is an allelic ladder or a control are left out (without a
``Sample Type`` column, rows whose sample name starts with ``Ladder``), counted in
:attr:`~repatria.formats.lab_typing.LabExport.skipped_rows`.

Examples
--------
>>> rows = ["Sample Name,Marker,Allele 1,Allele 2", "PM-1,VWA,16,", "PM-1,AMEL,X,Y"]
>>> export = parse_lab_export("\\n".join(rows).encode(), "run1.csv", kit="GlobalFiler")
>>> export.layout, export.samples, export.typings[0].markers, export.typings[0].sex.name
('long', ['PM-1'], ['vWA'], 'MALE')
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from repatria.errors import FormatError
from repatria.formats.lab_typing import LabExport, LabTyping, TypingBuilder, split_cell
from repatria.formats.marker_names import (
    MARKER_ALIASES,
    canonical_marker,
    is_y_marker,
    marker_key,
)
from repatria.formats.text import decode_text, read_bytes

__all__ = ["read_lab_export", "parse_lab_export"]

_SAMPLE = {"SAMPLENAME", "SAMPLE", "SAMPLEID", "SPECIMENID", "SPECIMEN"}
_MARKER = {"MARKER", "LOCUS", "MARKERNAME", "LOCUSNAME"}
_KIT = {"PANEL", "KIT", "KITNAME"}
_RUN = {"SAMPLEFILE", "SAMPLEFILENAME", "RUN", "INJECTION"}
_TYPE = {"SAMPLETYPE"}
_SKIPPED_TYPES = {"ALLELICLADDER", "LADDER", "POSITIVECONTROL", "NEGATIVECONTROL", "CONTROL"}
_ALLELE = re.compile(r"^ALLELE(\d+)$")
_PAIR = re.compile(r"^(?P<marker>.+?)[\s_\-.]*allele[\s_\-.]*(?P<k>\d+)$", re.IGNORECASE)
_LOCUS_LIKE = re.compile(r"^(D\d{1,2}S\d+|D\d{1,2}GATA\w+|PENTA\w)", re.IGNORECASE)


def read_lab_export(path: str | Path, kit: str | None = None) -> LabExport:
    """Read a GeneMapper-style table completely, or raise one :class:`FormatError`."""
    p = Path(path)
    return parse_lab_export(read_bytes(p, "lab export"), str(p), kit=kit)


def parse_lab_export(data: bytes, file: str, kit: str | None = None) -> LabExport:
    """The bytes of a lab export read as :func:`read_lab_export` (``file`` names it)."""
    text = decode_text(data, file)
    rows = _rows(text.lines(), file)
    header_line, header = rows[0]
    cols = _Columns.of(header, file, header_line)
    default_kit = kit or Path(file).stem
    if cols.marker is not None:
        typings, skipped = _read_long(rows[1:], cols, file, kit, default_kit)
        ignored = _ignored(header, cols.used)
        layout = "long"
    else:
        markers = _wide_markers(header, header_line, cols, file)
        typings, skipped = _read_wide(rows[1:], header, markers, cols, file, kit, default_kit)
        ignored = _ignored(header, cols.used | {i for _, idx in markers for i in idx})
        layout = "wide"
    if not typings:
        raise FormatError(
            "no samples (only a header, ladders or controls)",
            file=file,
            line=rows[-1][0],
            field="rows",
        )
    names = {h: canonical_marker(h) for h in cols.marker_names}
    return LabExport(
        file,
        layout,
        hashlib.sha256(data).hexdigest(),
        text.encoding,
        tuple(typings),
        names,
        tuple(ignored),
        skipped,
    )


# -- rows and columns -------------------------------------------------------------------------


def _delimiter(line: str) -> str:
    if "\t" in line:
        return "\t"
    return ";" if line.count(";") > line.count(",") else ","


def _rows(lines: list[str], file: str) -> list[tuple[int, list[str]]]:
    numbered = [(k, ln) for k, ln in enumerate(lines, start=1) if ln.strip()]
    if not numbered:
        raise FormatError("empty file: a header row is required", file=file, line=1, field="rows")
    delim = _delimiter(numbered[0][1])
    rows = []
    for k, ln in numbered:
        try:
            rows.append((k, next(csv.reader([ln], delimiter=delim, strict=True))))
        except csv.Error:
            raise FormatError(
                "a quoted cell is not closed on its line", file=file, line=k, field="quotes"
            ) from None
    header = rows[0][1]
    width = len(header)
    named = max((i + 1 for i, h in enumerate(header) if h.strip()), default=0)
    for k, r in rows[1:]:
        if len(r) < named:  # a trailing tab more or less is not a cut line
            raise FormatError(
                f"{len(r)} fields, but the header has {named} (a cut line?)",
                file=file,
                line=k,
                field="columns",
            )
        if any(c.strip() for c in r[width:]):
            raise FormatError(
                f"{len(r)} fields, but the header has {width}", file=file, line=k, field="columns"
            )
        r.extend([""] * (width - len(r)))
    return rows


@dataclass
class _Columns:
    sample: int
    marker: int | None = None
    kit: int | None = None
    run: int | None = None
    type: int | None = None
    alleles: list[int] = field(default_factory=list)  # long: the Allele k columns in order
    marker_names: list[str] = field(default_factory=list)  # wide: marker names as written
    used: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, header: Sequence[str], file: str, line: int) -> _Columns:
        keys = [marker_key(h) for h in header]

        def find(names: set[str], what: str, required: bool = False) -> int | None:
            hits = [i for i, k in enumerate(keys) if k in names]
            if len(hits) > 1:
                raise FormatError(
                    f"two {what} columns ({header[hits[0]].strip()}, {header[hits[1]].strip()})",
                    file=file,
                    line=line,
                    field=header[hits[1]].strip(),
                )
            if required and not hits:
                raise FormatError(
                    "no `Sample Name` column: a lab export needs one (GeneMapper's Sample Name)",
                    file=file,
                    line=line,
                    field="header",
                )
            return hits[0] if hits else None

        sample = find(_SAMPLE, "sample", required=True)
        assert sample is not None
        c = cls(sample, find(_MARKER, "marker"), find(_KIT, "kit"), find(_RUN, "run"))
        c.type = find(_TYPE, "sample type")
        c.used = {i for i in (c.sample, c.marker, c.kit, c.run, c.type) if i is not None}
        if c.marker is not None:
            numbered = sorted(
                (int(m.group(1)), i) for i, k in enumerate(keys) if (m := _ALLELE.match(k))
            )
            if not numbered:
                raise FormatError(
                    "a long table (with a `Marker` column) needs `Allele 1`, `Allele 2` columns",
                    file=file,
                    line=line,
                    field="header",
                )
            c.alleles = [i for _, i in numbered]
            c.used |= set(c.alleles)
        return c


def _ignored(header: Sequence[str], used: set[int]) -> list[str]:
    return [h.strip() for i, h in enumerate(header) if i not in used and h.strip()]


def _skip(row: Sequence[str], cols: _Columns) -> bool:
    if cols.type is not None:
        return marker_key(row[cols.type]) in _SKIPPED_TYPES
    return marker_key(row[cols.sample]).startswith(("LADDER", "ALLELICLADDER"))


def _sample(row: Sequence[str], cols: _Columns, file: str, line: int, header: str) -> str:
    s = row[cols.sample].strip()
    if not s:
        raise FormatError("empty sample name", file=file, line=line, field=header)
    return s


def _kit_of(row: Sequence[str], cols: _Columns, kit: str | None, default: str) -> str:
    if kit:
        return kit
    if cols.kit is not None and row[cols.kit].strip():
        return row[cols.kit].strip()
    return default


# -- long -------------------------------------------------------------------------------------


def _read_long(
    rows: list[tuple[int, list[str]]],
    cols: _Columns,
    file: str,
    kit: str | None,
    default_kit: str,
) -> tuple[list[LabTyping], int]:
    assert cols.marker is not None
    typings: dict[tuple[str, str, str], TypingBuilder] = {}
    skipped = 0
    for k, r in rows:
        if _skip(r, cols):
            skipped += 1
            continue
        sample = _sample(r, cols, file, k, "Sample Name")
        written = r[cols.marker].strip()
        if not written:
            raise FormatError("empty marker name", file=file, line=k, field="Marker")
        cols.marker_names.append(written)
        run = r[cols.run].strip() if cols.run is not None else ""
        key = (sample, _kit_of(r, cols, kit, default_kit), run)
        t = typings.setdefault(key, TypingBuilder(key[0], key[1], run, k))
        t.put(written, [r[i] for i in cols.alleles], file, k, f"{written} alleles")
    cols.marker_names = list(dict.fromkeys(cols.marker_names))
    return [t.done(file) for t in typings.values()], skipped


# -- wide -------------------------------------------------------------------------------------


def _is_marker_column(name: str) -> bool:
    c = canonical_marker(name)
    return c in MARKER_ALIASES or bool(_LOCUS_LIKE.match(name.strip())) or is_y_marker(name)


def _wide_markers(
    header: Sequence[str], line: int, cols: _Columns, file: str
) -> list[tuple[str, list[int]]]:
    """``[(marker as written, [column, ...])]``: allele pairs, or one column per marker."""
    groups: dict[str, tuple[str, dict[int, int]]] = {}
    for i, h in enumerate(header):
        if i in cols.used or not h.strip():
            continue
        m = _PAIR.match(h.strip())
        written = m.group("marker").strip() if m else h.strip()
        if not m and not _is_marker_column(written):
            continue
        name = canonical_marker(written)
        k = int(m.group("k")) if m else 0
        written0, columns = groups.setdefault(name, (written, {}))
        if written0 != written or k in columns or 0 in columns or (columns and k == 0):
            raise FormatError(
                f"marker {name} has two columns ({header[next(iter(columns.values()))].strip()}"
                f" and {h.strip()})",
                file=file,
                line=line,
                field=h.strip(),
            )
        columns[k] = i
    if not groups:
        raise FormatError(
            "no marker columns: a wide table needs `MARKER Allele 1`/`Allele 2` columns or one "
            "column per marker (and a long table a `Marker` column)",
            file=file,
            line=line,
            field="header",
        )
    return [(w, [columns[k] for k in sorted(columns)]) for w, columns in groups.values()]


def _read_wide(
    rows: list[tuple[int, list[str]]],
    header: Sequence[str],
    markers: list[tuple[str, list[int]]],
    cols: _Columns,
    file: str,
    kit: str | None,
    default_kit: str,
) -> tuple[list[LabTyping], int]:
    cols.marker_names = [w for w, _ in markers]
    out = []
    skipped = 0
    for k, r in rows:
        if _skip(r, cols):
            skipped += 1
            continue
        sample = _sample(r, cols, file, k, header[cols.sample].strip())
        run = r[cols.run].strip() if cols.run is not None else ""
        t = TypingBuilder(sample, _kit_of(r, cols, kit, default_kit), run, k)
        for written, idx in markers:
            cells = split_cell(r[idx[0]]) if len(idx) == 1 else [r[i] for i in idx]
            fld = header[idx[0]].strip() if len(idx) == 1 else f"{written} alleles"
            t.put(written, cells, file, k, fld)
        out.append(t.done(file))
    return out, skipped
