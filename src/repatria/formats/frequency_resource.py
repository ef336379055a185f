"""Allele frequency tables as a versioned resource: the common layouts, read all or nothing.

:func:`read_frequency_resource` reads a table into a :class:`FrequencyResource`: its
frequencies under canonical marker names (:mod:`repatria.formats.marker_names`), with its
name, its source, the SHA-256 of its bytes and a version label, for the registry to store
(``repatria frequencies import``) and for a run to cite. The layouts, told apart by the first
lines (or named with ``layout=``); tab-, comma-, semicolon- or space-separated, with a
byte-order mark, CRLF, UTF-16 or latin-1 read as :mod:`repatria.formats.text` says:

``long``
    a header with ``marker`` (or ``locus``), ``allele`` and ``frequency`` (or ``freq``) columns
    in any order, then one row per allele: the tables of ``repatria/data/frequencies``, and the
    Familias / FamLinkX "Marker, Allele, Frequency" exports.
``list``
    Familias' and norSTR's database text: a line with the marker name, then one
    ``allele<TAB>frequency`` line per allele, markers apart by a blank line.
``ladder``
    "allelic ladder": a header ``Allele`` then one column per marker, one row per allele; an
    empty, ``NA`` or ``0`` cell is an allele the marker does not have.
``merlin``
    MERLIN's ``M marker`` / ``A allele frequency`` lines.
``strider``
    a STRidER export: per marker a line with its name, a header ``Allele`` and one column per
    population, a line of sample sizes (N), then one line per allele. ``population=`` names
    the column to read (needed when there are several); a marker whose block lacks that
    population, or gives it no N, is not in the table.

Refused, in one line naming the file, the line and the field: a frequency that is not a number
in (0, 1] (a decimal comma is read in ``;``- or tab-separated files), an allele listed twice, two
spellings of one marker (``Penta D`` and ``PentaD``), a marker whose frequencies do not sum to
1 within ``sum_tolerance``.

Examples
--------
>>> text = "Marker,Allele,Frequency\\nVWA,16,0.6\\nVWA,17,0.4\\n"
>>> r = parse_frequency_resource(text.encode(), "nist.csv", version="2017")
>>> r.layout, r.markers, r.version, r.sha256[:8], dict(r.frequencies["vWA"])
('long', ['vWA'], '2017', '15464460', {'16': 0.6, '17': 0.4})
>>> r.table().id
'nist@2017'
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.formats.frequencies import FrequencyTable
from repatria.formats.marker_names import canonical_marker, marker_key
from repatria.formats.text import check_field, decode_text, read_bytes

__all__ = ["FrequencyResource", "read_frequency_resource", "parse_frequency_resource", "LAYOUTS"]

LAYOUTS = ("long", "list", "ladder", "merlin", "strider")
_NUMBER = re.compile(r"^[+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?$")
_ABSENT = {"", "NA", "N/A", "-", "0", "0.0"}


@dataclass(frozen=True)
class FrequencyResource:
    """A frequency table read completely, with what identifies it.

    ``frequencies[marker] -> {allele: frequency}`` (canonical marker names, file order);
    ``marker_names`` maps each name as written to its canonical name; ``version`` is the label
    given, else ``sha256:`` and the first 12 hex digits of the file's SHA-256. A STRidER
    export also gives the ``population`` read and ``sample_sizes[marker]`` (N, individuals
    typed), for a minimum allele frequency such as 5/2N.
    """

    name: str
    version: str
    source: str
    sha256: str
    layout: str
    file: str
    encoding: str
    frequencies: Mapping[str, Mapping[str, float]]
    marker_names: Mapping[str, str] = field(default_factory=dict)
    population: str = ""
    sample_sizes: Mapping[str, int] = field(default_factory=dict)

    @property
    def markers(self) -> list[str]:
        return list(self.frequencies)

    @property
    def id(self) -> str:
        """``name@version``: how a run cites the table."""
        return f"{self.name}@{self.version}"

    def table(self) -> FrequencyTable:
        """The frequencies as a :class:`~repatria.formats.frequencies.FrequencyTable`."""
        return FrequencyTable(
            self.id, self.source, {m: dict(f) for m, f in self.frequencies.items()}
        )


def read_frequency_resource(
    path: str | Path,
    *,
    name: str | None = None,
    version: str | None = None,
    source: str | None = None,
    layout: str | None = None,
    sum_tolerance: float = 0.01,
    population: str | None = None,
) -> FrequencyResource:
    """Read a frequency table file completely (see the module notes), or one FormatError."""
    p = Path(path)
    return parse_frequency_resource(
        read_bytes(p, "frequency table"),
        str(p),
        name=name,
        version=version,
        source=source,
        layout=layout,
        sum_tolerance=sum_tolerance,
        population=population,
    )


def parse_frequency_resource(
    data: bytes,
    file: str,
    *,
    name: str | None = None,
    version: str | None = None,
    source: str | None = None,
    layout: str | None = None,
    sum_tolerance: float = 0.01,
    population: str | None = None,
) -> FrequencyResource:
    """The bytes of a frequency table read as :func:`read_frequency_resource`."""
    text = decode_text(data, file)
    lines = [
        (k, ln) for k, ln in enumerate(text.lines(), start=1) if not ln.lstrip().startswith("#")
    ]
    if not any(ln.strip() for _, ln in lines):
        raise FormatError("empty file: no frequencies", file=file, line=1, field="rows")
    delim = _delimiter([ln for _, ln in lines if ln.strip()][:5])
    rows = [(k, _split(ln, delim)) for k, ln in lines]
    kind = layout or _detect(rows, file)
    if kind not in LAYOUTS:
        raise FormatError(
            f"layout '{kind}' is not one of {', '.join(LAYOUTS)}", file=file, field="layout"
        )
    t = _Table(file, delim != ",")
    if kind == "strider":
        _strider(rows, t, population)
    else:
        {"long": _long, "list": _list, "ladder": _ladder, "merlin": _merlin}[kind](rows, t)
    if not t.freqs:
        last = max(k for k, r in rows if any(r))
        raise FormatError("no frequencies (only a header?)", file=file, line=last, field="rows")
    for m, fr in t.freqs.items():
        total = sum(fr.values())
        if abs(total - 1) > sum_tolerance:
            raise FormatError(
                f"frequencies of {m} sum to {total:.6g}, not 1 (within {sum_tolerance:g})",
                file=file,
                line=t.first_line[m],
                field="frequency",
            )
    sha = hashlib.sha256(data).hexdigest()
    return FrequencyResource(
        name=name or Path(file).stem,
        version=version or f"sha256:{sha[:12]}",
        source=source or file,
        sha256=sha,
        layout=kind,
        file=file,
        encoding=text.encoding,
        frequencies=t.freqs,
        marker_names=t.names,
        population=t.population,
        sample_sizes=t.sizes,
    )


def _delimiter(first: list[str]) -> str:
    """Tab, ``;`` or ``,``: the first that the first lines use; else runs of spaces."""
    for d in ("\t", ";", ","):
        if any(d in line for line in first):
            return d
    return " "


def _split(line: str, delim: str) -> list[str]:
    if not line.strip():
        return []
    if delim == " ":
        return line.split()
    return [c.strip() for c in next(csv.reader([line], delimiter=delim))]


def _detect(rows: list[tuple[int, list[str]]], file: str) -> str:
    filled = [(k, r) for k, r in rows if any(r)]
    k, first = filled[0]
    keys = [marker_key(c) for c in first]
    if {"ALLELE"} <= set(keys) and ({"MARKER", "LOCUS"} & set(keys)):
        return "long"
    if keys and keys[0] in ("ALLELE", "ALLELES") and len(keys) >= 2:
        return "ladder"
    if keys and keys[0] == "M" and len(first) == 2:
        return "merlin"
    if len(filled) > 1 and len([c for c in first if c]) == 1:
        if marker_key(filled[1][1][0]) == "ALLELE":
            return "strider"
    if len([c for c in first if c]) == 1 and len(filled) > 1 and len(filled[1][1]) >= 2:
        return "list"
    raise FormatError(
        "not a frequency table layout Repatria reads: long (marker, allele, frequency columns), "
        "list (Familias: a marker line, then allele and frequency lines), ladder (Allele, then "
        "one column per marker) or MERLIN (M / A lines)",
        file=file,
        line=k,
        field="header",
    )


class _Table:
    def __init__(self, file: str, decimal_comma: bool) -> None:
        self.file = file
        self.decimal_comma = decimal_comma
        self.freqs: dict[str, dict[str, float]] = {}
        self.names: dict[str, str] = {}
        self.first_line: dict[str, int] = {}
        self.population = ""
        self.sizes: dict[str, int] = {}

    def marker(self, written: str, line: int, fld: str) -> str:
        w = written.strip()
        if not w:
            raise FormatError("empty marker name", file=self.file, line=line, field=fld)
        check_field(w, L.MARKER, file=self.file, line=line, field=fld)
        c = canonical_marker(w)
        other = next((x for x, cx in self.names.items() if cx == c and x != w), None)
        if other is not None:
            raise FormatError(
                f"marker {c} is spelled two ways ({other} and {w}); keep one",
                file=self.file,
                line=line,
                field=fld,
            )
        self.names[w] = c
        self.first_line.setdefault(c, line)
        return c

    def number(self, cell: str, line: int, fld: str) -> float:
        s = cell.strip()
        if self.decimal_comma and "," in s and "." not in s:
            s = s.replace(",", ".")
        if not _NUMBER.match(s):
            raise FormatError(
                f"'{cell.strip()}' is not a number", file=self.file, line=line, field=fld
            )
        v = float(s)
        if not 0 < v <= 1:
            raise FormatError(
                f"frequency {v:g} is outside (0, 1]", file=self.file, line=line, field=fld
            )
        return v

    def add(self, marker: str, allele: str, value: float, line: int, fld: str) -> None:
        a = allele.strip()
        if not a:
            raise FormatError("empty allele", file=self.file, line=line, field="allele")
        check_field(a, L.ALLELE, file=self.file, line=line, field="allele")
        fr = self.freqs.setdefault(marker, {})
        if a in fr:
            raise FormatError(
                f"allele {a} of {marker} is listed twice",
                file=self.file,
                line=line,
                field="allele",
            )
        fr[a] = value


def _long(rows: list[tuple[int, list[str]]], t: _Table) -> None:
    filled = [(k, r) for k, r in rows if any(r)]
    hk, header = filled[0]
    keys = [marker_key(c) for c in header]

    def col(names: tuple[str, ...], what: str) -> int:
        for n in names:
            if n in keys:
                return keys.index(n)
        raise FormatError(
            f"no {what} column: the header needs marker, allele and frequency",
            file=t.file,
            line=hk,
            field="header",
        )

    im = col(("MARKER", "LOCUS"), "marker")
    ia = col(("ALLELE",), "allele")
    iff = col(("FREQUENCY", "FREQ", "FREQUENCIES", "P"), "frequency")
    need = max(im, ia, iff) + 1
    for k, r in filled[1:]:
        if len(r) < need:
            raise FormatError(
                f"expected {need} fields, got {len(r)}", file=t.file, line=k, field="columns"
            )
        m = t.marker(r[im], k, "marker")
        t.add(m, r[ia], t.number(r[iff], k, "frequency"), k, "frequency")


def _list(rows: list[tuple[int, list[str]]], t: _Table) -> None:
    current: str | None = None
    for k, r in rows:
        cells = [c for c in r if c]
        if not cells:
            current = None
            continue
        if len(cells) == 1 or current is None:
            if len(cells) != 1:
                raise FormatError(
                    "expected a marker name on its own line", file=t.file, line=k, field="marker"
                )
            current = t.marker(cells[0], k, "marker")
            continue
        if len(cells) != 2:
            raise FormatError(
                f"expected allele and frequency, got {len(cells)} fields",
                file=t.file,
                line=k,
                field="columns",
            )
        t.add(current, cells[0], t.number(cells[1], k, "frequency"), k, "frequency")


def _ladder(rows: list[tuple[int, list[str]]], t: _Table) -> None:
    filled = [(k, r) for k, r in rows if any(r)]
    hk, header = filled[0]
    markers = [t.marker(h, hk, h or "header") for h in header[1:]]
    for k, r in filled[1:]:
        if len(r) > len(header) and any(r[len(header) :]):
            raise FormatError(
                f"{len(r)} fields, but the header has {len(header)}",
                file=t.file,
                line=k,
                field="columns",
            )
        allele = r[0]
        for m, h, cell in zip(markers, header[1:], r[1:], strict=False):
            if cell.strip().upper() in _ABSENT:
                continue
            t.add(m, allele, t.number(cell, k, h), k, h)


def _merlin(rows: list[tuple[int, list[str]]], t: _Table) -> None:
    current: str | None = None
    for k, r in rows:
        if not r:
            continue
        tag = r[0].upper()
        if tag == "M" and len(r) == 2:
            current = t.marker(r[1], k, "marker")
        elif tag in ("A", "F") and len(r) == 3 and current is not None:
            t.add(current, r[1], t.number(r[2], k, "frequency"), k, "frequency")
        else:
            raise FormatError(
                "expected `M marker` or `A allele frequency`", file=t.file, line=k, field="line"
            )


def _strider(rows: list[tuple[int, list[str]]], t: _Table, population: str | None) -> None:
    """Blocks of marker line, ``Allele,<populations>`` header, N line, allele lines."""
    filled = [(k, r) for k, r in rows if any(r)]
    headers = [(i, k, r) for i, (k, r) in enumerate(filled) if r[:1] == ["Allele"] and i > 0]
    names = list(dict.fromkeys(c for _, _, r in headers for c in r[1:] if c))
    if population is None:
        if len(names) != 1:
            shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
            raise FormatError(
                f"a STRidER export with {len(names)} populations: name one ({shown})",
                file=t.file,
                line=headers[0][1] if headers else filled[0][0],
                field="population",
            )
        population = names[0]
    key = marker_key(population)
    if key not in {marker_key(n) for n in names}:
        raise FormatError(
            f"population '{population}' is not a column of this export",
            file=t.file,
            line=headers[0][1] if headers else filled[0][0],
            field="population",
        )
    t.population = next(n for n in names if marker_key(n) == key)
    starts = [i for i, _, _ in headers] + [len(filled) + 1]
    for (i, _, header), end in zip(headers, starts[1:], strict=True):
        mk, mrow = filled[i - 1]
        if len([c for c in mrow if c]) != 1:
            raise FormatError(
                "expected the marker's name on the line before `Allele`",
                file=t.file,
                line=mk,
                field="marker",
            )
        col = next((j for j, c in enumerate(header) if marker_key(c) == key), None)
        block = filled[i + 1 : end - 1]
        if col is None or not block:
            continue
        nk, nrow = block[0]
        n_cell = nrow[col].strip() if col < len(nrow) else ""
        if nrow[0].strip() or not n_cell:
            continue
        if not n_cell.isdigit():
            raise FormatError(
                f"sample size '{n_cell}' is not a whole number",
                file=t.file,
                line=nk,
                field=t.population,
            )
        marker = t.marker(mrow[0], mk, "marker")
        t.sizes[marker] = int(n_cell)
        for k, r in block[1:]:
            cell = r[col].strip() if col < len(r) else ""
            if cell.upper() in _ABSENT:
                continue
            t.add(marker, r[0], t.number(cell, k, t.population), k, t.population)
