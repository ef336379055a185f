"""Registry TSV files: persons, remains and published claims.

Each reader returns every row of a valid file, or raises one :class:`FormatError` naming
the file, the line and the field; it never half-reads. Lines starting with ``#`` and blank
lines are skipped. Values are text as given, except coordinates and claim bounds (numbers).

Persons (a header line names the columns; ``person_ref`` and ``name`` are required)::

    person_ref name name_script name_transliteration aliases sex birth_date nationality
    service_number unit documents status date_missing last_known_place last_known_lat
    last_known_lon notes

``aliases``: entries separated by ``;``, each ``name|kind|script|transliteration``
(kind: alias, false, transliteration, nickname; default alias).
``documents``: entries separated by ``;``, each ``type|number|issuer|name_on_document|authenticity``
(authenticity: genuine, false, foreign, unknown; default unknown).

Remains (header; ``remains_ref`` and ``condition`` are required)::

    remains_ref site site_lat site_lon recovered_on recovered_by condition effects notes
    sex_estimate sex_method age_min age_max unit

``effects``: entries separated by ``;``, each ``kind|description|number|reliability|recognised_as``
(``number``: a document's or tag's number; ``reliability``: 0..1, the chance the item is the
body's own; ``recognised_as``: the person ref whose family recognised it). The last five
columns are anthropology and the unit as non-DNA evidence: ``sex_estimate`` male, female or
unknown, read by ``sex_method`` pelvis, skull or poor_condition; the estimated age range at
death in years; the unit the remains are tied to (insignia, the grave's unit).

Claims: the columns of ``published-claims.tsv``, in this order, with or without a header::

    claim_id reported_on reported_by attributed_to subject measure low high as_of basis verification
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.formats.text import check_field, read_text

__all__ = [
    "PERSON_COLUMNS",
    "REMAINS_COLUMNS",
    "CLAIM_COLUMNS",
    "NameEntry",
    "DocumentEntry",
    "PersonRow",
    "EffectEntry",
    "RemainsRow",
    "ClaimRow",
    "read_persons_tsv",
    "read_remains_tsv",
    "read_claims_tsv",
]

PERSON_COLUMNS = (
    "person_ref",
    "name",
    "name_script",
    "name_transliteration",
    "aliases",
    "sex",
    "birth_date",
    "nationality",
    "service_number",
    "unit",
    "documents",
    "status",
    "date_missing",
    "last_known_place",
    "last_known_lat",
    "last_known_lon",
    "notes",
)
REMAINS_COLUMNS = (
    "remains_ref",
    "site",
    "site_lat",
    "site_lon",
    "recovered_on",
    "recovered_by",
    "condition",
    "effects",
    "notes",
    "sex_estimate",
    "sex_method",
    "age_min",
    "age_max",
    "unit",
)
#: Values of ``sex_estimate`` and ``sex_method`` (the anthropological methods of
#: :data:`repatria.kinship.evidence.SEXING_METHODS`).
SEX_ESTIMATES = ("male", "female", "unknown")
SEX_METHODS = ("pelvis", "skull", "poor_condition")
CLAIM_COLUMNS = (
    "claim_id",
    "reported_on",
    "reported_by",
    "attributed_to",
    "subject",
    "measure",
    "low",
    "high",
    "as_of",
    "basis",
    "verification",
)


# The longest value of each column that its registry column stores (repatria.field_limits).
_LIMITS = {
    "person_ref": L.REF,
    "name": L.PERSON_NAME,
    "name_script": L.SCRIPT,
    "name_transliteration": L.PERSON_NAME,
    "sex": L.CODE,
    "birth_date": L.DATE,
    "nationality": L.CODE,
    "service_number": L.CODE,
    "unit": L.PARTY,
    "status": L.CODE,
    "date_missing": L.DATE,
    "last_known_place": L.PLACE,
    "remains_ref": L.REF,
    "site": L.PLACE,
    "recovered_on": L.DATE,
    "recovered_by": L.PARTY,
    "condition": L.CODE,
    "claim_id": L.REF,
    "reported_on": L.DATE,
    "reported_by": L.PERSON_NAME,
    "attributed_to": L.PERSON_NAME,
    "measure": L.CODE,
    "as_of": L.DATE,
}
# The parts of an entry of aliases, documents, effects (name|kind|script|transliteration ...).
_PART_LIMITS = {
    "aliases": (L.PERSON_NAME, L.CODE, L.SCRIPT, L.PERSON_NAME),
    "documents": (L.CODE, L.DOC_FIELD, L.DOC_FIELD, L.PERSON_NAME, L.CODE),
    "effects": (L.CODE, L.FREE_TEXT, L.DOC_FIELD, L.CODE, L.REF),
}


@dataclass(frozen=True)
class NameEntry:
    name: str
    kind: str = "alias"
    script: str | None = None
    transliteration: str | None = None


@dataclass(frozen=True)
class DocumentEntry:
    doc_type: str
    number: str | None = None
    issuer: str | None = None
    name_on_document: str | None = None
    authenticity: str = "unknown"


@dataclass(frozen=True)
class PersonRow:
    """One person line; ``line`` is its 1-based line number in the file."""

    line: int
    person_ref: str
    name: str
    name_script: str | None = None
    name_transliteration: str | None = None
    aliases: tuple[NameEntry, ...] = ()
    sex: str | None = None
    birth_date: str | None = None
    nationality: str | None = None
    service_number: str | None = None
    unit: str | None = None
    documents: tuple[DocumentEntry, ...] = ()
    status: str | None = None
    date_missing: str | None = None
    last_known_place: str | None = None
    last_known_lat: float | None = None
    last_known_lon: float | None = None
    notes: str | None = None


@dataclass(frozen=True)
class EffectEntry:
    kind: str
    description: str | None = None
    number: str | None = None
    reliability: float | None = None
    recognised_as: str | None = None


@dataclass(frozen=True)
class RemainsRow:
    line: int
    remains_ref: str
    condition: str
    site: str | None = None
    site_lat: float | None = None
    site_lon: float | None = None
    recovered_on: str | None = None
    recovered_by: str | None = None
    effects: tuple[EffectEntry, ...] = field(default=())
    notes: str | None = None
    sex_estimate: str | None = None
    sex_method: str | None = None
    age_min: float | None = None
    age_max: float | None = None
    unit: str | None = None


@dataclass(frozen=True)
class ClaimRow:
    line: int
    claim_id: str
    reported_on: str | None
    reported_by: str | None
    attributed_to: str | None
    subject: str | None
    measure: str
    low: int | None
    high: int | None
    as_of: str | None
    basis: str | None
    verification: str | None


def _lines(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, fields) of every data line; comments and blank lines skipped."""
    text = read_text(path).text
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        out.append((n, [f.strip() for f in raw.split("\t")]))
    return out


def _opt(value: str) -> str | None:
    return value if value != "" else None


def _float(path: Path, line: int, name: str, value: str, lo: float, hi: float) -> float | None:
    if value == "":
        return None
    try:
        x = float(value)
    except ValueError:
        raise FormatError(
            f"{value!r} is not a number", file=str(path), line=line, field=name
        ) from None
    if not lo <= x <= hi:
        raise FormatError(
            f"{value} is outside {lo:g}..{hi:g}", file=str(path), line=line, field=name
        )
    return x


def _int(path: Path, line: int, name: str, value: str) -> int | None:
    if value == "":
        return None
    try:
        x = int(value.replace(",", ""))
    except ValueError:
        raise FormatError(
            f"{value!r} is not a whole number", file=str(path), line=line, field=name
        ) from None
    if x < 0:
        raise FormatError(f"{value} is negative", file=str(path), line=line, field=name)
    return x


def _entries(path: Path, line: int, name: str, value: str, width: int) -> list[list[str | None]]:
    """Split ``a|b|c;d|e`` into padded entries of ``width`` parts; the first part is required."""
    out: list[list[str | None]] = []
    for k, entry in enumerate(filter(None, (e.strip() for e in value.split(";"))), start=1):
        parts = [p.strip() for p in entry.split("|")]
        if len(parts) > width:
            raise FormatError(
                f"entry {k} has {len(parts)} parts separated by |, at most {width} allowed",
                file=str(path),
                line=line,
                field=name,
            )
        if not parts[0]:
            raise FormatError(
                f"entry {k} has an empty first part",
                file=str(path),
                line=line,
                field=name,
            )
        for i, (part, limit) in enumerate(zip(parts, _PART_LIMITS[name], strict=False), start=1):
            check_field(part, limit, file=str(path), line=line, field=f"{name} entry {k} part {i}")
        out.append([_opt(p) for p in parts] + [None] * (width - len(parts)))
    return out


def _header(
    path: Path, rows: list[tuple[int, list[str]]], known: tuple[str, ...], required: tuple[str, ...]
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if not rows:
        raise FormatError(
            f"no header line; expected columns such as {', '.join(required)}", file=str(path)
        )
    n, header = rows[0]
    for col in header:
        if col not in known:
            raise FormatError(
                f"unknown column {col!r}; known columns: {', '.join(known)}",
                file=str(path),
                line=n,
                field=col or "(empty)",
            )
    seen = set()
    for col in header:
        if col in seen:
            raise FormatError("column appears twice", file=str(path), line=n, field=col)
        seen.add(col)
    for col in required:
        if col not in header:
            raise FormatError(f"required column {col!r} is missing", file=str(path), line=n)
    return header, rows[1:]


def _record(path: Path, line: int, header: list[str], fields: list[str]) -> dict[str, str]:
    if len(fields) != len(header):
        raise FormatError(
            f"expected {len(header)} tab-separated fields, found {len(fields)}",
            file=str(path),
            line=line,
        )
    rec = dict(zip(header, fields, strict=False))
    for name, value in rec.items():
        check_field(value, _LIMITS.get(name, L.FREE_TEXT), file=str(path), line=line, field=name)
    return rec


def _choice(
    path: Path, line: int, rec: dict[str, str], name: str, allowed: tuple[str, ...]
) -> str | None:
    value = _opt(rec.get(name, ""))
    if value is not None and value not in allowed:
        raise FormatError(
            f"{value!r} is not one of {', '.join(allowed)}", file=str(path), line=line, field=name
        )
    return value


def _required(path: Path, line: int, rec: dict[str, str], name: str) -> str:
    if not rec.get(name):
        raise FormatError("is empty but required", file=str(path), line=line, field=name)
    return rec[name]


def _unique(path: Path, line: int, name: str, value: str, seen: dict[str, int]) -> None:
    if value in seen:
        raise FormatError(
            f"{value!r} already appears on line {seen[value]}",
            file=str(path),
            line=line,
            field=name,
        )
    seen[value] = line


def read_persons_tsv(path: str | Path) -> list[PersonRow]:
    """Every person of a persons TSV (see the module docstring for the columns)."""
    path = Path(path)
    header, rows = _header(path, _lines(path), PERSON_COLUMNS, ("person_ref", "name"))
    out: list[PersonRow] = []
    seen: dict[str, int] = {}
    for n, fields in rows:
        r = _record(path, n, header, fields)
        ref = _required(path, n, r, "person_ref")
        _unique(path, n, "person_ref", ref, seen)
        # _entries checks each kind against its vocabulary; mypy cannot narrow str to the Literal.
        aliases = tuple(
            NameEntry(e[0], e[1] or "alias", e[2], e[3])  # type: ignore[arg-type]
            for e in _entries(path, n, "aliases", r.get("aliases", ""), 4)
        )
        docs = tuple(
            DocumentEntry(e[0], e[1], e[2], e[3], e[4] or "unknown")  # type: ignore[arg-type]
            for e in _entries(path, n, "documents", r.get("documents", ""), 5)
        )
        out.append(
            PersonRow(
                line=n,
                person_ref=ref,
                name=_required(path, n, r, "name"),
                name_script=_opt(r.get("name_script", "")),
                name_transliteration=_opt(r.get("name_transliteration", "")),
                aliases=aliases,
                sex=_opt(r.get("sex", "")),
                birth_date=_opt(r.get("birth_date", "")),
                nationality=_opt(r.get("nationality", "")),
                service_number=_opt(r.get("service_number", "")),
                unit=_opt(r.get("unit", "")),
                documents=docs,
                status=_opt(r.get("status", "")),
                date_missing=_opt(r.get("date_missing", "")),
                last_known_place=_opt(r.get("last_known_place", "")),
                last_known_lat=_float(
                    path, n, "last_known_lat", r.get("last_known_lat", ""), -90, 90
                ),
                last_known_lon=_float(
                    path, n, "last_known_lon", r.get("last_known_lon", ""), -180, 180
                ),
                notes=_opt(r.get("notes", "")),
            )
        )
    return out


def read_remains_tsv(path: str | Path) -> list[RemainsRow]:
    """Every set of remains of a remains TSV (see the module docstring for the columns)."""
    path = Path(path)
    header, rows = _header(path, _lines(path), REMAINS_COLUMNS, ("remains_ref", "condition"))
    out: list[RemainsRow] = []
    seen: dict[str, int] = {}
    for n, fields in rows:
        r = _record(path, n, header, fields)
        ref = _required(path, n, r, "remains_ref")
        _unique(path, n, "remains_ref", ref, seen)
        effects = tuple(
            EffectEntry(
                e[0],  # type: ignore[arg-type]  # kind checked by _entries
                e[1],
                e[2],
                _float(path, n, f"effects entry {k} part 4", e[3] or "", 0, 1),
                e[4],
            )
            for k, e in enumerate(_entries(path, n, "effects", r.get("effects", ""), 5), start=1)
        )
        sex_estimate = _choice(path, n, r, "sex_estimate", SEX_ESTIMATES)
        sex_method = _choice(path, n, r, "sex_method", SEX_METHODS)
        age_min = _float(path, n, "age_min", r.get("age_min", ""), 0, 130)
        age_max = _float(path, n, "age_max", r.get("age_max", ""), 0, 130)
        if age_min is not None and age_max is not None and age_max < age_min:
            raise FormatError(
                f"{age_max:g} is below age_min {age_min:g}", file=str(path), line=n, field="age_max"
            )
        out.append(
            RemainsRow(
                line=n,
                remains_ref=ref,
                condition=_required(path, n, r, "condition"),
                site=_opt(r.get("site", "")),
                site_lat=_float(path, n, "site_lat", r.get("site_lat", ""), -90, 90),
                site_lon=_float(path, n, "site_lon", r.get("site_lon", ""), -180, 180),
                recovered_on=_opt(r.get("recovered_on", "")),
                recovered_by=_opt(r.get("recovered_by", "")),
                effects=effects,
                notes=_opt(r.get("notes", "")),
                sex_estimate=sex_estimate,
                sex_method=sex_method,
                age_min=age_min,
                age_max=age_max,
                unit=_opt(r.get("unit", "")),
            )
        )
    return out


def read_claims_tsv(path: str | Path) -> list[ClaimRow]:
    """Every claim of a published-claims TSV: 11 columns in order, an optional header line."""
    path = Path(path)
    rows = _lines(path)
    if rows and rows[0][1] and rows[0][1][0] == "claim_id":
        rows = rows[1:]
    out: list[ClaimRow] = []
    seen: dict[str, int] = {}
    header = list(CLAIM_COLUMNS)
    for n, fields in rows:
        r = _record(path, n, header, fields)
        cid = _required(path, n, r, "claim_id")
        _unique(path, n, "claim_id", cid, seen)
        low, high = _int(path, n, "low", r["low"]), _int(path, n, "high", r["high"])
        if low is not None and high is not None and high < low:
            raise FormatError(
                f"high {high} is below low {low}", file=str(path), line=n, field="high"
            )
        out.append(
            ClaimRow(
                line=n,
                claim_id=cid,
                reported_on=_opt(r["reported_on"]),
                reported_by=_opt(r["reported_by"]),
                attributed_to=_opt(r["attributed_to"]),
                subject=_opt(r["subject"]),
                measure=_required(path, n, r, "measure"),
                low=low,
                high=high,
                as_of=_opt(r["as_of"]),
                basis=_opt(r["basis"]),
                verification=_opt(r["verification"]),
            )
        )
    return out
