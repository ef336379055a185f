"""Lineage markers in the registry: Y-STR and mtDNA profiles of samples and donors, and haplotype
databases by version.

Profiles (``repatria lineage import FILE``, or a case folder's ``lineage.tsv`` imported with the
case, format :mod:`repatria.formats.lineage_tsv`):

- a ``sample`` line stores the haplotype with that PM sample; a ``donor`` line with the donor's
  reference sample (the newest one, where a donor has several);
- the file is read whole first; a sample or donor the registry does not hold, a PM sample named
  as a donor or the reverse, refuses the whole file with one line naming file, line and field;
  nothing is written;
- a haplotype already stored for that sample and kind is left as it is; a different one is a
  new row superseding the old (a retyping), never an overwrite;
- a file is imported once (its SHA-256, as every import batch).

Databases (``repatria lineage database import FILE --name NAME --kind y_str|mtdna --source
TEXT``): read whole by :func:`repatria.formats.haplotypes.read_haplotype_database`, stored as
canonical haplotype texts (a JSON list) with the digest of their sorted texts; the first import
of NAME is version 1, changed content version + 1 superseding it, the same content a no-op.
Identify weighs a lineage match with the newest database of its kind (:func:`newest_database`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from repatria.errors import FormatError, RegistryError, ServiceError
from repatria.formats.haplotypes import read_haplotype_database
from repatria.formats.lineage_tsv import (
    LINEAGE_KINDS,
    LineageRow,
    haplotype_from_text,
    haplotype_text,
    read_lineage_file,
)
from repatria.formats.text import read_bytes
from repatria.kinship.lineage import Haplotype
from repatria.registry.db import session_scope
from repatria.registry.models import (
    Donor,
    HaplotypeDatabase,
    ImportBatch,
    LineageProfile,
    Sample,
    User,
)
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require

__all__ = [
    "LineageImport",
    "DatabaseVersion",
    "store_lineage_rows",
    "import_lineage",
    "import_haplotype_database",
    "list_haplotype_databases",
    "newest_database",
    "current_profiles",
]


@dataclass(frozen=True)
class LineageImport:
    """What a lineage import stored: new profiles, retypings, unchanged ones."""

    file: str
    sha256: str
    batch: int | None
    already_imported: bool
    stored: int = 0
    retyped: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "batch": self.batch,
            "already_imported": self.already_imported,
            "stored": self.stored,
            "retyped": self.retyped,
            "unchanged": self.unchanged,
        }


def current_profiles(session: Session, sample_ids: Sequence[int]) -> dict[tuple[int, str], Any]:
    """(sample id, kind) -> the newest lineage profile of that sample (none superseded it)."""
    if not sample_ids:
        return {}
    rows = (
        session.execute(
            select(LineageProfile)
            .where(LineageProfile.sample_id.in_(list(sample_ids)))
            .order_by(LineageProfile.id)
        )
        .scalars()
        .all()
    )
    replaced = {r.supersedes_id for r in rows if r.supersedes_id is not None}
    return {(r.sample_id, r.kind): r for r in rows if r.id not in replaced}


def _sample_of(session: Session, row: LineageRow, file: str) -> int:
    if row.sample is not None:
        s = session.execute(select(Sample).where(Sample.ref == row.sample)).scalar_one_or_none()
        if s is None:
            raise FormatError(
                f"no sample '{row.sample}' in the registry",
                file=file,
                line=row.line,
                field="sample",
            )
        if s.kind != "pm":
            raise FormatError(
                f"'{row.sample}' is a reference sample: name its donor in the donor column",
                file=file,
                line=row.line,
                field="sample",
            )
        return s.id
    d = session.execute(select(Donor).where(Donor.ref == row.donor)).scalar_one_or_none()
    if d is None:
        raise FormatError(
            f"no donor '{row.donor}' in the registry", file=file, line=row.line, field="donor"
        )
    sid = (
        session.execute(
            select(Sample.id)
            .where(Sample.donor_id == d.id, Sample.kind == "reference")
            .order_by(Sample.id.desc())
        )
        .scalars()
        .first()
    )
    if sid is None:
        raise FormatError(
            f"donor '{row.donor}' has no reference sample", file=file, line=row.line, field="donor"
        )
    return sid


def store_lineage_rows(
    session: Session, rows: Sequence[LineageRow], *, file: str, batch: ImportBatch
) -> dict[str, int]:
    """Store read ``lineage.tsv`` rows in the open transaction; counts of what changed.

    Raises FormatError (file, line, field) for a row naming no record: the caller's transaction
    then writes nothing."""
    targets = [(r, _sample_of(session, r, file)) for r in rows]
    seen: dict[tuple[int, str], int] = {}
    for r, sid in targets:  # a donor named twice through two refs of one sample
        if (sid, r.kind) in seen:
            raise FormatError(
                f"the same sample has a {r.kind} haplotype on line {seen[(sid, r.kind)]} already",
                file=file,
                line=r.line,
                field="donor" if r.donor else "sample",
            )
        seen[(sid, r.kind)] = r.line
    now = current_profiles(session, [sid for _r, sid in targets])
    counts = {"stored": 0, "retyped": 0, "unchanged": 0}
    for r, sid in targets:
        old = now.get((sid, r.kind))
        if old is not None and old.haplotype == r.text:
            counts["unchanged"] += 1
            continue
        session.add(
            LineageProfile(
                sample_id=sid,
                kind=r.kind,
                haplotype=r.text,
                loci=r.loci,
                supersedes_id=old.id if old is not None else None,
                import_id=batch.id,
            )
        )
        counts["retyped" if old is not None else "stored"] += 1
    session.flush()
    return counts


def import_lineage(db: str | None, path: str | Path, *, actor: str) -> LineageImport:
    """Import a ``lineage.tsv`` on its own (see the module notes): all or nothing."""
    p = Path(path)
    data = read_bytes(p, "lineage file")
    sha = hashlib.sha256(data).hexdigest()
    rows = read_lineage_file(p)  # whole and valid before the registry is touched
    with session_scope(db) as session:
        user = require(session, actor, "import.case")
        done = session.execute(
            select(ImportBatch).where(ImportBatch.kind == "lineage", ImportBatch.sha256 == sha)
        ).scalar_one_or_none()
        if done is not None:
            return LineageImport(p.name, sha, done.id, True)
        batch = ImportBatch(
            kind="lineage", filename=p.name, sha256=sha, rows=len(rows), imported_by_id=user.id
        )
        session.add(batch)
        try:
            session.flush()
            counts = store_lineage_rows(session, rows, file=str(p), batch=batch)
        except IntegrityError as e:
            raise RegistryError(
                f"{p.name}: the import conflicts with records written at the same time "
                f"({type(e.orig).__name__}); nothing was imported, try again"
            ) from None
        log_event(session, user.name, "import.lineage", "import_batch", batch.id,
                  file=p.name, sha256=sha, **counts)  # fmt: skip
        return LineageImport(p.name, sha, batch.id, False, **counts)


# ----------------------------------------------------------------------------- databases


@dataclass(frozen=True)
class DatabaseVersion:
    """One stored version of a haplotype database."""

    id: int
    name: str
    kind: str
    version: int
    source: str
    sha256: str
    haplotypes: int
    filename: str | None
    imported_by: str
    created_at: str
    already_stored: bool = False

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "label": self.label,
            "source": self.source,
            "sha256": self.sha256,
            "haplotypes": self.haplotypes,
            "filename": self.filename,
            "imported_by": self.imported_by,
            "created_at": self.created_at,
            "already_stored": self.already_stored,
        }


def _version(session: Session, row: HaplotypeDatabase, again: bool = False) -> DatabaseVersion:
    who = session.get(User, row.imported_by_id)
    return DatabaseVersion(
        row.id,
        row.name,
        row.kind,
        row.version,
        row.source,
        row.sha256,
        row.haplotypes,
        row.filename,
        who.name if who is not None else "",
        row.created_at.isoformat(),
        again,
    )


def _digest(texts: Sequence[str], kind: str) -> str:
    h = hashlib.sha256(f"repatria haplotype database {kind}\n".encode())
    for t in sorted(texts):
        h.update(t.encode() + b"\n")
    return h.hexdigest()


def import_haplotype_database(
    db: str | None, path: str | Path, *, name: str, kind: str, source: str, actor: str
) -> DatabaseVersion:
    """Import a haplotype database file as a version of ``name`` (see the module notes)."""
    name = (name or "").strip()
    if not name or "@" in name or len(name) > 120:
        raise ServiceError("a haplotype database needs a name (--name) of at most 120 characters")
    if kind not in LINEAGE_KINDS:
        raise ServiceError(f"kind {kind!r} is not y_str or mtdna")
    if not (source or "").strip():
        raise ServiceError("say where the database comes from (--source: publication, population)")
    p = Path(path)
    file_sha = hashlib.sha256(read_bytes(p, "haplotype database")).hexdigest()
    haplotypes = read_haplotype_database(p, LINEAGE_KINDS[kind])
    texts = [haplotype_text(h) for h in haplotypes]
    digest = _digest(texts, kind)
    with session_scope(db) as session:
        user = require(session, actor, "frequencies.import")
        current = (
            session.execute(
                select(HaplotypeDatabase)
                .where(HaplotypeDatabase.name == name)
                .order_by(HaplotypeDatabase.version.desc())
            )
            .scalars()
            .first()
        )
        if current is not None and current.kind != kind:
            raise ServiceError(f"{name!r} is a {current.kind} database; import {kind} as another")
        if current is not None and current.sha256 == digest:
            return _version(session, current, True)
        row = HaplotypeDatabase(
            name=name,
            kind=kind,
            version=current.version + 1 if current is not None else 1,
            supersedes_id=current.id if current is not None else None,
            source=source.strip(),
            sha256=digest,
            haplotypes=len(texts),
            content=json.dumps(texts),
            filename=p.name,
            file_sha256=file_sha,
            imported_by_id=user.id,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError as e:
            raise RegistryError(
                f"{p.name}: another import of {name} was stored at the same time "
                f"({type(e.orig).__name__}); nothing was imported, try again"
            ) from None
        log_event(session, user.name, "lineage.database.import", "haplotype_database", row.id,
                  name=name, kind=kind, version=row.version, sha256=digest, file=p.name,
                  file_sha256=file_sha, haplotypes=len(texts))  # fmt: skip
        return _version(session, row)


def list_haplotype_databases(db: str | None) -> list[DatabaseVersion]:
    """Every stored database version, by name then version (reference data: no role)."""
    with session_scope(db, read=True) as session:
        rows = session.execute(
            select(HaplotypeDatabase).order_by(HaplotypeDatabase.name, HaplotypeDatabase.version)
        ).scalars()
        return [_version(session, r) for r in rows]


def newest_database(session: Session, kind: str) -> tuple[DatabaseVersion, list[Haplotype]] | None:
    """The most recently imported database of ``kind`` and its haplotypes (None: none stored)."""
    row = (
        session.execute(
            select(HaplotypeDatabase)
            .where(HaplotypeDatabase.kind == kind)
            .order_by(HaplotypeDatabase.created_at.desc(), HaplotypeDatabase.id.desc())
        )
        .scalars()
        .first()
    )
    if row is None:
        return None
    where = f"haplotype database {row.name}@{row.version}"
    texts = json.loads(row.content)
    return _version(session, row), [haplotype_from_text(t, kind, where=where) for t in texts]
