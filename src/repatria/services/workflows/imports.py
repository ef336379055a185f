"""Import registry TSVs (persons, remains, published claims): all or nothing, once per file.

The file is read completely first (a format error touches nothing), then stored in one
transaction with the file's SHA-256. Any error, in the file or against the registry (a
reference already there), rolls the whole file back and names the file, line and field.
Importing the same bytes again is a no-op that says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from repatria.errors import FormatError, RegistryError
from repatria.formats.registry_tsv import (
    ClaimRow,
    PersonRow,
    RemainsRow,
    read_claims_tsv,
    read_persons_tsv,
    read_remains_tsv,
)
from repatria.registry.chain import append
from repatria.registry.db import session_scope
from repatria.registry.models import (
    CustodyEvent,
    Effect,
    ImportBatch,
    Person,
    PersonDocument,
    PersonName,
    PublishedClaim,
    Remains,
    User,
)
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows.body_parts import new_body
from repatria.vocabulary import CONDITIONS, DOC_AUTHENTICITY, NAME_KINDS, SEXES

__all__ = [
    "ImportResult",
    "file_sha256",
    "import_persons",
    "import_remains",
    "import_claims",
    "IMPORT_KINDS",
]

IMPORT_KINDS = ("persons", "remains", "claims")
_IMPORTABLE_PERSON_STATES = ("missing", "presumed_dead")


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the batch, how many rows, and whether the file was already there."""

    kind: str
    file: str
    sha256: str
    rows: int
    import_id: int
    already_imported: bool

    @property
    def message(self) -> str:
        if self.already_imported:
            return (
                f"{self.file} was already imported as batch {self.import_id} "
                f"({self.rows} {self.kind}); nothing changed"
            )
        return f"imported {self.rows} {self.kind} from {self.file} as batch {self.import_id}"


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except FileNotFoundError:
        raise FormatError("no such file", file=str(path)) from None
    return h.hexdigest()


def import_persons(db: str | None, path: str | Path, *, actor: str) -> ImportResult:
    """Import a persons TSV (format: :mod:`repatria.formats.registry_tsv`)."""
    return _import(db, "persons", Path(path), read_persons_tsv, _store_person, actor)


def import_remains(db: str | None, path: str | Path, *, actor: str) -> ImportResult:
    """Import a remains TSV (format: :mod:`repatria.formats.registry_tsv`)."""
    return _import(db, "remains", Path(path), read_remains_tsv, _store_remains, actor)


def import_claims(db: str | None, path: str | Path, *, actor: str) -> ImportResult:
    """Import a published-claims TSV (the columns of ``published-claims.tsv``)."""
    return _import(db, "claims", Path(path), read_claims_tsv, _store_claim, actor)


def _import(
    db: str | None,
    kind: str,
    path: Path,
    read: Callable[[Path], Sequence[Any]],
    store: Callable[[Session, Path, Any, int], None],
    actor: str,
) -> ImportResult:
    sha = file_sha256(path)
    rows = read(path)  # the whole file, validated, before the database is touched
    with session_scope(db) as session:
        user = require(session, actor, f"import.{kind}")
        done = session.execute(
            select(ImportBatch).where(ImportBatch.kind == kind, ImportBatch.sha256 == sha)
        ).scalar_one_or_none()
        if done is not None:
            return ImportResult(kind, path.name, sha, done.rows, done.id, True)
        batch = ImportBatch(
            kind=kind, filename=path.name, sha256=sha, rows=len(rows), imported_by_id=user.id
        )
        session.add(batch)
        try:
            session.flush()
            for row in rows:
                store(session, path, row, batch.id)
            session.flush()
        except IntegrityError as e:
            # Another writer stored the same file or references between our checks and our insert.
            raise RegistryError(
                f"{path.name}: the import conflicts with records written at the same "
                f"time ({type(e.orig).__name__}); nothing was imported, try again"
            ) from None
        _audit(session, user, kind, path, sha, len(rows), batch.id)
        return ImportResult(kind, path.name, sha, len(rows), batch.id, False)


def _audit(
    session: Session, user: User, kind: str, path: Path, sha: str, n: int, batch: int
) -> None:
    log_event(
        session,
        user.name,
        f"import.{kind}",
        "import_batch",
        batch,
        file=path.name,
        sha256=sha,
        rows=n,
    )


def _check(path: Path, line: int, name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise FormatError(
            f"{value!r} is not one of {', '.join(allowed)}", file=str(path), line=line, field=name
        )


def _exists(session: Session, column: InstrumentedAttribute[str], value: str) -> bool:
    return session.execute(select(column).where(column == value)).first() is not None


def _store_person(session: Session, path: Path, row: PersonRow, batch: int) -> None:
    _check(path, row.line, "sex", row.sex, SEXES)
    _check(path, row.line, "status", row.status, _IMPORTABLE_PERSON_STATES)
    for a in row.aliases:
        _check(path, row.line, "aliases", a.kind, NAME_KINDS)
    for d in row.documents:
        _check(path, row.line, "documents", d.authenticity, DOC_AUTHENTICITY)
    if _exists(session, Person.ref, row.person_ref):
        raise RegistryError(
            f"{path} line {row.line} field `person_ref`: person "
            f"{row.person_ref} is already in the registry; nothing was imported"
        )
    person = Person(
        ref=row.person_ref,
        sex=row.sex or "unknown",
        birth_date=row.birth_date,
        nationality=row.nationality,
        service_number=row.service_number,
        unit=row.unit,
        date_missing=row.date_missing,
        last_known_place=row.last_known_place,
        last_known_lat=row.last_known_lat,
        last_known_lon=row.last_known_lon,
        status=row.status or "missing",
        notes=row.notes,
        import_id=batch,
    )
    person.names.append(
        PersonName(
            name=row.name,
            kind="official",
            script=row.name_script,
            transliteration=row.name_transliteration,
        )
    )
    for a in row.aliases:
        person.names.append(
            PersonName(name=a.name, kind=a.kind, script=a.script, transliteration=a.transliteration)
        )
    for d in row.documents:
        person.documents.append(
            PersonDocument(
                doc_type=d.doc_type,
                number=d.number,
                issuer=d.issuer,
                name_on_document=d.name_on_document,
                authenticity=d.authenticity,
            )
        )
    session.add(person)


def _store_remains(session: Session, path: Path, row: RemainsRow, batch: int) -> None:
    _check(path, row.line, "condition", row.condition, CONDITIONS)
    if _exists(session, Remains.ref, row.remains_ref):
        raise RegistryError(
            f"{path} line {row.line} field `remains_ref`: remains "
            f"{row.remains_ref} are already in the registry; nothing was imported"
        )
    remains = Remains(
        ref=row.remains_ref,
        site=row.site,
        site_lat=row.site_lat,
        site_lon=row.site_lon,
        recovered_on=row.recovered_on,
        recovered_by=row.recovered_by,
        condition=row.condition,
        notes=row.notes,
        sex_estimate=row.sex_estimate,
        sex_method=row.sex_method,
        age_min=row.age_min,
        age_max=row.age_max,
        unit=row.unit,
        import_id=batch,
    )
    for e in row.effects:
        remains.effects.append(
            Effect(
                kind=e.kind,
                description=e.description,
                number=e.number,
                reliability=e.reliability,
                recognised_as=e.recognised_as,
            )
        )
    session.add(remains)
    session.flush()
    new_body(session, remains, cause=f"import:{batch}")
    user_id = session.get_one(ImportBatch, batch).imported_by_id
    append(
        session,
        CustodyEvent(
            remains_id=remains.id,
            event="received",
            occurred_on=row.recovered_on,
            notes=f"received with {path.name} (batch {batch})",
            recorded_by_id=user_id,
        ),
    )


def _store_claim(session: Session, path: Path, row: ClaimRow, batch: int) -> None:
    if _exists(session, PublishedClaim.claim_id, row.claim_id):
        raise RegistryError(
            f"{path} line {row.line} field `claim_id`: claim {row.claim_id} "
            "is already in the registry; nothing was imported"
        )
    session.add(
        PublishedClaim(
            claim_id=row.claim_id,
            reported_on=row.reported_on,
            reported_by=row.reported_by,
            attributed_to=row.attributed_to,
            subject=row.subject,
            measure=row.measure,
            low=row.low,
            high=row.high,
            as_of=row.as_of,
            basis=row.basis,
            verification=row.verification,
            import_id=batch,
        )
    )
