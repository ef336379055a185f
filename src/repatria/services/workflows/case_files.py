"""A case as files: which files count and their hash, the typed relatives of ``donors.tsv``, and
the markers as registry rows. Nothing here opens the registry; :mod:`case_import` stores it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repatria import field_limits as L
from repatria.errors import FormatError
from repatria.formats.markers_json import marker_to_dict
from repatria.formats.text import check_field, read_text
from repatria.kinship.dvi import DVIProblem
from repatria.kinship.markers import Marker
from repatria.kinship.pedigree import Sex
from repatria.services.workflows.imports import file_sha256
from repatria.vocabulary import CONSENT_SCOPES

__all__ = [
    "CASE_FILES",
    "SEX_NAMES",
    "DonorInfo",
    "case_sha256",
    "read_donors",
    "read_items",
    "markers_to_rows",
    "marker_rows",
]

#: The files of a case folder that the import reads, in the order they are hashed.
CASE_FILES = (
    "markers.json",
    "pm.tsv",
    "am.tsv",
    "missing.txt",
    "pairings.json",
    "donors.tsv",
    "items.tsv",
    "lineage.tsv",
    "direct.tsv",
)

SEX_NAMES = {Sex.UNKNOWN: "unknown", Sex.MALE: "male", Sex.FEMALE: "female"}

_DONOR_COLUMNS = ("id", "name", "relationship", "consent_scope", "consent_given_on")
_DONOR_LIMITS = {
    "id": L.REF,
    "name": L.PERSON_NAME,
    "relationship": L.CODE,
    "consent_scope": L.CODE,
    "consent_given_on": L.DATE,
}


def case_sha256(path: str | Path) -> str:
    """The SHA-256 that identifies a case: a file's bytes, or a folder's case files in order.

    For a folder, each file of :data:`CASE_FILES` that exists is hashed as its name, its
    length and its bytes, in that fixed order; other files (``expected/``, notes) do not count.
    """
    p = Path(path)
    if not p.is_dir():
        return file_sha256(p)
    h = hashlib.sha256(b"repatria case folder\n")
    for name in CASE_FILES:
        f = p / name
        if f.is_file():
            data = f.read_bytes()
            h.update(f"{name}\0{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()


@dataclass(frozen=True)
class DonorInfo:
    """A typed relative as ``donors.tsv`` describes them (default scope: identification)."""

    name: str | None
    relationship: str | None
    consent_scope: str
    consent_given_on: str | None


def read_donors(folder: Path) -> dict[str, DonorInfo]:
    """The donors of ``folder/donors.tsv`` by id (none without it); errors name the line."""
    path = folder / "donors.tsv"
    if not path.is_file():
        return {}
    lines = read_text(path).lines()
    rows = [
        (k, line.split("\t"))
        for k, line in enumerate(lines, start=1)
        if line.strip() and not line.startswith("#")
    ]
    if not rows:
        return {}
    header = [h.strip() for h in rows[0][1]]
    if header[:1] != ["id"] or set(header) - set(_DONOR_COLUMNS):
        raise FormatError(
            f"header must be {', '.join(_DONOR_COLUMNS)} (id first)",
            file=str(path),
            line=rows[0][0],
            field="header",
        )
    out: dict[str, DonorInfo] = {}
    for k, r in rows[1:]:
        if len(r) != len(header):
            raise FormatError(
                f"{len(r)} fields, but the header has {len(header)}", file=str(path), line=k
            )
        d = {h: (v.strip() or None) for h, v in zip(header, r, strict=False)}
        for h, v in d.items():
            check_field(v, _DONOR_LIMITS[h], file=str(path), line=k, field=h)
        if not d["id"]:
            raise FormatError("empty id", file=str(path), line=k, field="id")
        if d["id"] in out:
            raise FormatError(
                f"donor '{d['id']}' is listed twice", file=str(path), line=k, field="id"
            )
        scope = d.get("consent_scope") or "identification"
        if scope not in CONSENT_SCOPES:
            raise FormatError(
                f"{scope!r} is not one of {', '.join(CONSENT_SCOPES)}",
                file=str(path),
                line=k,
                field="consent_scope",
            )
        out[d["id"]] = DonorInfo(
            d.get("name"), d.get("relationship"), scope, d.get("consent_given_on")
        )
    return out


def markers_to_rows(problem: DVIProblem) -> tuple[str, list[dict[str, Any]]]:
    """The markers as stored (``marker_definitions`` rows) and the SHA-256 of their content.

    ``frequencies`` maps allele -> frequency; ``mutation`` keeps everything else that defines the
    marker exactly (allele order, chromosome, position, X-linkage, the mutation models with
    their matrices), so :func:`repatria.services.workflows.problem.markers_from_rows` rebuilds it
    bit for bit.
    """
    return marker_rows(problem.markers)


def marker_rows(markers: Sequence[Marker]) -> tuple[str, list[dict[str, Any]]]:
    """Markers as ``marker_definitions`` rows, and the SHA-256 of their content (see above)."""
    rows = []
    for m in markers:
        d = marker_to_dict(m)
        rows.append(
            {
                "name": m.name,
                "chromosome": "X" if m.is_x else (m.chrom or "autosomal"),
                "frequencies": dict(zip(d["alleles"], d["afreq"], strict=False)),
                "mutation": {
                    "alleles": d["alleles"],
                    "chrom": d["chrom"],
                    "posMb": d["posMb"],
                    "isX": d["isX"],
                    "mutmod": d["mutmod"],
                },
            }
        )
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest(), rows


def read_items(folder: Path, samples: tuple[str, ...]) -> dict[str, str]:
    """PM sample -> the recovered item (bag) it was taken from, from ``folder/items.tsv``.

    Columns ``sample`` and ``item``; a sample not listed is its own item (as without the file).
    Two samples of one item start as one body, until a re-association splits it.
    """
    path = folder / "items.tsv"
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    header = True
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if header:
            if cells != ["sample", "item"]:
                raise FormatError("header must be sample, item", file=str(path), line=k)
            header = False
            continue
        if len(cells) != 2 or not all(cells):
            raise FormatError("a line is a sample and its item", file=str(path), line=k)
        if cells[0] not in samples:
            raise FormatError(
                f"'{cells[0]}' is not a sample of pm.tsv", file=str(path), line=k, field="sample"
            )
        if cells[0] in out:
            raise FormatError(
                f"sample '{cells[0]}' is listed twice", file=str(path), line=k, field="sample"
            )
        out[cells[0]] = cells[1]
    return out
