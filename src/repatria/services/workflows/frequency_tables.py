"""Allele frequency tables in the registry: imported on their own, versioned, cited by runs.

``repatria frequencies import FILE --name NAME --source TEXT`` reads a table in any layout
:mod:`repatria.formats.frequency_resource` knows (the long ``marker, allele, frequency`` TSV
of the shared and bundled tables, Familias' and norSTR's database text, FamLinkX and STRidER
exports, ladders, MERLIN) completely, before the registry is touched, and stores it under
NAME:

- each marker's frequencies are rescaled to sum to exactly 1 (tables are rounded) and its
  alleles sorted, with no mutation model (a table file has none);
- the **content digest** is the SHA-256 of the stored markers (names, alleles, frequencies;
  markers by name), so the same table in another layout, marker order, encoding or line
  ending is the same content;
- the first import of NAME is version 1; changed content is version + 1, superseding the
  previous version (which stays, with the runs that read it); the same content again is a
  no-op that says which version holds it;
- who imported, when, from which file (name and SHA-256 of its bytes) and the source given are
  kept with the version, and the import is audited.

An identification run names the row it read (``identification_runs.frequency_table_id``), so
its version is on record; ``repatria identify --frequencies NAME[@VERSION]`` picks one (the
newest version without ``@``). Without ``--frequencies`` a run reads what it read before
tables could be imported: the newest case's own markers (:func:`table_by_spec`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError, RegistryError, ServiceError
from repatria.formats.frequency_resource import (
    LAYOUTS,
    FrequencyResource,
    read_frequency_resource,
)
from repatria.registry.db import session_scope
from repatria.registry.models import FrequencyTable, IdentificationRun, MarkerDefinition, User
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows.case_files import marker_rows

__all__ = [
    "TableVersion",
    "FrequencyImport",
    "import_frequencies",
    "list_frequency_tables",
    "show_frequency_table",
    "table_by_spec",
    "split_spec",
    "table_label",
    "stored_rows",
]


def split_spec(spec: str) -> tuple[str, int | None]:
    """``NAME@VERSION`` -> (NAME, VERSION); ``NAME`` alone -> (NAME, None)."""
    name, at, version = spec.rpartition("@")
    if at and version.isdigit() and name:
        return name, int(version)
    return spec, None


def table_label(table: FrequencyTable) -> str:
    """How a run cites a table: ``NAME@VERSION`` for an imported one, the name for a case's."""
    return f"{table.name}@{table.version}" if table.origin == "import" else table.name


def _with_markers(stmt: Any) -> Any:
    return stmt.where(
        select(MarkerDefinition.id)
        .where(MarkerDefinition.frequency_table_id == FrequencyTable.id)
        .exists()
    )


def table_by_spec(session: Session, spec: str | None) -> FrequencyTable:
    """The table a run reads: ``NAME`` (newest version), ``NAME@VERSION``, or the default.

    The default is the newest case's own markers (as before tables could be imported, so a
    table imported on its own never changes a run that did not ask for it); a registry with
    no case table falls back to the newest imported table.
    """
    if spec is not None:
        name, version = split_spec(spec)
        stmt = select(FrequencyTable).where(FrequencyTable.name == name)
        if version is not None:
            stmt = stmt.where(FrequencyTable.version == version)
        table = session.execute(stmt.order_by(FrequencyTable.version.desc())).scalars().first()
        if table is None:
            at = f" version {version}" if version is not None else ""
            raise NotFoundError(
                f"there is no frequency table {name!r}{at} in the registry "
                f"(`repatria frequencies list`)"
            )
        return table
    newest = select(FrequencyTable).order_by(FrequencyTable.id.desc()).limit(1)
    for stmt in (newest.where(FrequencyTable.origin == "case"), newest):
        found: FrequencyTable | None = session.execute(_with_markers(stmt)).scalars().first()
        if found is not None:
            return found
    raise ServiceError(
        "the registry has no frequency table with markers; import a case first "
        "(`repatria import case PATH`) or a table (`repatria frequencies import`)"
    )


# ----------------------------------------------------------------------------- records


@dataclass(frozen=True)
class TableVersion:
    """One stored version of a frequency table, as listed."""

    id: int
    name: str
    version: int
    origin: str
    source: str | None
    sha256: str | None
    markers: int
    alleles: int
    current: bool
    runs: int
    imported_by: str | None = None
    imported_at: dt.datetime | None = None
    filename: str | None = None
    file_sha256: str | None = None
    layout: str | None = None
    supersedes: int | None = None
    frequencies: dict[str, dict[str, float]] | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}" if self.origin == "import" else self.name

    def as_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "label": self.label,
            "origin": self.origin,
            "source": self.source,
            "sha256": self.sha256,
            "markers": self.markers,
            "alleles": self.alleles,
            "current": self.current,
            "runs": self.runs,
            "imported_by": self.imported_by,
            "imported_at": self.imported_at.isoformat() if self.imported_at else None,
            "filename": self.filename,
            "file_sha256": self.file_sha256,
            "layout": self.layout,
            "supersedes": self.supersedes,
        }
        if self.frequencies is not None:
            d["frequencies"] = self.frequencies
        return d


@dataclass(frozen=True)
class FrequencyImport:
    """What an import did: the version that holds the content, and whether it is new."""

    table: TableVersion
    unchanged: bool
    renamed_markers: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        t = self.table
        if self.unchanged:
            return (
                f"frequency table {t.name} version {t.version} already holds this content "
                f"(sha256 {t.sha256}); nothing changed"
            )
        was = f", superseding version {t.version - 1}" if t.supersedes else ""
        return (
            f"imported frequency table {t.name} version {t.version}: {t.markers} markers, "
            f"{t.alleles} alleles{was}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.table.as_dict(),
            "unchanged": self.unchanged,
            "renamed_markers": self.renamed_markers,
            "message": self.message,
        }


def stored_rows(res: FrequencyResource) -> tuple[list[dict[str, Any]], str]:
    """A table's ``marker_definitions`` rows (rescaled, alleles sorted) and its content digest."""
    table = res.table()
    _, rows = marker_rows(tuple(table.marker(m) for m in res.markers))
    return rows, _content_digest(rows)


def _content_digest(rows: list[dict[str, Any]]) -> str:
    # Its own domain, so an imported table never shares a digest with a case's markers (which
    # case imports and screen runs look up by digest).
    # Marker order is the file's, not the table's content: the digest reads them by name.
    doc = {"kind": "repatria frequency table", "markers": sorted(rows, key=lambda r: r["name"])}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _version(session: Session, t: FrequencyTable, *, frequencies: bool = False) -> TableVersion:
    rows = list(
        session.execute(
            select(MarkerDefinition)
            .where(MarkerDefinition.frequency_table_id == t.id)
            .order_by(MarkerDefinition.id)
        ).scalars()
    )
    newest = session.execute(
        select(func.max(FrequencyTable.version)).where(FrequencyTable.name == t.name)
    ).scalar_one()
    runs = session.execute(
        select(func.count()).where(IdentificationRun.frequency_table_id == t.id)
    ).scalar_one()
    user = session.get(User, t.imported_by_id) if t.imported_by_id else None
    return TableVersion(
        id=t.id,
        name=t.name,
        version=t.version,
        origin=t.origin,
        source=t.source,
        sha256=t.sha256,
        markers=len(rows),
        alleles=sum(len(r.frequencies) for r in rows),
        current=t.version == newest,
        runs=int(runs),
        imported_by=user.name if user else None,
        imported_at=t.created_at,
        filename=t.filename,
        file_sha256=t.file_sha256,
        layout=t.layout,
        supersedes=t.supersedes_id,
        frequencies={r.name: dict(r.frequencies) for r in rows} if frequencies else None,
    )


# ----------------------------------------------------------------------------- import


def import_frequencies(
    db: str | None,
    path: str | Path,
    *,
    name: str,
    source: str,
    actor: str,
    layout: str | None = None,
    population: str | None = None,
) -> FrequencyImport:
    """Import a frequency table file as a version of ``name`` (see the module notes)."""
    name = (name or "").strip()
    if not name or "@" in name or len(name) > 120:
        raise ServiceError(
            "a frequency table needs a name (--name NAME) of at most 120 characters, without @"
        )
    if not (source or "").strip():
        raise ServiceError(
            "say where the table comes from (--source TEXT: publication, population, N)"
        )
    if layout is not None and layout not in LAYOUTS:
        raise ServiceError(f"layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    p = Path(path)
    res = read_frequency_resource(
        p, name=name, source=source.strip(), layout=layout, population=population
    )
    rows, digest = stored_rows(res)
    renamed = {w: c for w, c in res.marker_names.items() if w != c}
    with session_scope(db) as session:
        user = require(session, actor, "frequencies.import")
        current = (
            session.execute(
                select(FrequencyTable)
                .where(FrequencyTable.name == name)
                .order_by(FrequencyTable.version.desc())
            )
            .scalars()
            .first()
        )
        if current is not None and current.origin != "import":
            raise ServiceError(
                f"{name!r} names a case's own markers; import the table under another name"
            )
        if current is not None and current.sha256 == digest:
            return FrequencyImport(_version(session, current), True, renamed)
        row = FrequencyTable(
            name=name,
            version=current.version + 1 if current is not None else 1,
            supersedes_id=current.id if current is not None else None,
            origin="import",
            source=res.source,
            sha256=digest,
            imported_by_id=user.id,
            filename=p.name,
            file_sha256=res.sha256,
            layout=res.layout,
        )
        session.add(row)
        try:
            session.flush()
            session.add_all(MarkerDefinition(frequency_table_id=row.id, **r) for r in rows)
            session.flush()
        except IntegrityError as e:
            raise RegistryError(
                f"{p.name}: another import of frequency table {name} was stored at the same "
                f"time ({type(e.orig).__name__}); nothing was imported, try again"
            ) from None
        log_event(
            session,
            user.name,
            "frequencies.import",
            "frequency_table",
            row.id,
            name=name,
            version=row.version,
            sha256=digest,
            file=p.name,
            file_sha256=res.sha256,
            layout=res.layout,
            n_markers=len(rows),
            supersedes=row.supersedes_id,
        )
        return FrequencyImport(_version(session, row), False, renamed)


# ----------------------------------------------------------------------------- reading


def list_frequency_tables(db: str | None) -> list[TableVersion]:
    """Every stored table version with markers, by name then version (reference data: no role)."""
    with session_scope(db) as session:
        tables = session.execute(
            _with_markers(select(FrequencyTable)).order_by(
                FrequencyTable.name, FrequencyTable.version
            )
        ).scalars()
        return [_version(session, t) for t in tables]


def show_frequency_table(db: str | None, name: str, version: int | None = None) -> TableVersion:
    """One version (the newest without ``version``), with its frequencies."""
    spec = name if version is None else f"{name}@{version}"
    with session_scope(db) as session:
        return _version(session, table_by_spec(session, spec), frequencies=True)
