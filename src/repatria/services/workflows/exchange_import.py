"""Importing an exchange package: verified first, then stored whole or not at all.

The package is read and checked before anything is written (signature, trusted signer and
key, the chain; :func:`repatria.formats.exchange_package.parse_package`); then, in one
transaction, the package and every record are stored as received (``exchange_records``), each
with where it came from: the party, the package id, the record's index and hash.

Received records are the sender's account, not ours: they are kept beside the registry's own
persons, bodies and identifications, never merged into them, so another party's records can
neither change our states nor pass our two-person review. A record is known by its ref within
the sender's namespace (party, type, ref); a later package's record with the same identity is
a newer version of it (``previous_id`` points at the older one, which stays). A package is
imported once: a second import of the same package id is refused, naming the first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from repatria.errors import ServiceError
from repatria.formats import exchange_package as fmt
from repatria.registry.db import session_scope
from repatria.registry.models import ExchangePackage, ExchangeParty, ExchangeRecord, User
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require

__all__ = ["ImportSummary", "import_package", "received_counts", "received_records"]

_MAX_REF = 200


@dataclass(frozen=True)
class ImportSummary:
    """A package imported: its id, sender, counts, and how many records were new versions."""

    path: str
    package_id: str
    sender: str
    recipient: str | None
    created_at: str
    records: int
    counts: dict[str, int]
    new_versions: int
    chain_head: str
    sha256: str

    @property
    def message(self) -> str:
        counts = ", ".join(f"{n} {t}" for t, n in self.counts.items() if n)
        newer = (
            f"; {self.new_versions} are newer versions of records received before"
            if self.new_versions
            else ""
        )
        return (
            f"package {self.package_id} from {self.sender} (created {self.created_at}) "
            f"imported: {self.records} records ({counts or 'none'}){newer}; signature and chain "
            "verified"
        )


def import_package(db: str | None, path: str | Path, *, actor: str) -> ImportSummary:
    """Verify the package file ``path`` and store its records as received (case managers).

    Raises FormatError (the file, the line and the field) when the signature, the signer, the
    key or the chain does not verify, and ServiceError for a package imported before; in both
    cases nothing is written.
    """
    with session_scope(db) as session:
        user = require(session, actor, "exchange.import")
        parties = select(ExchangeParty.name, ExchangeParty.public_key)
        trusted = {name: key for name, key in session.execute(parties)}
        package = fmt.read_package(path, trusted)
        _refuse_second_import(session, package)
        header = package.header
        row = ExchangePackage(
            direction="import",
            package_id=package.package_id,
            sender=package.sender,
            recipient=header.get("recipient"),
            created_at=header["created_at"],
            sha256=package.sha256,
            records=header["records"],
            counts=header["counts"],
            chain_head=header["chain_head"],
            done_by_id=user.id,
        )
        session.add(row)
        session.flush()
        latest = _latest(session, package.sender)
        new_versions = 0
        for rec, digest in zip(package.records, package.hashes, strict=True):
            ref = rec["data"]["ref"]
            if len(ref) > _MAX_REF:
                raise ServiceError(
                    f"{path} line {rec['index'] + 2} field `data.ref`: longer than "
                    f"{_MAX_REF} characters; nothing imported"
                )
            identity = (rec["type"], ref)
            previous = latest.get(identity)
            stored = ExchangeRecord(
                package_row_id=row.id,
                party=package.sender,
                package_id=package.package_id,
                record_index=rec["index"],
                record_type=rec["type"],
                ref=ref,
                record_hash=digest,
                data=rec["data"],
                previous_id=previous,
            )
            session.add(stored)
            session.flush()
            latest[identity] = stored.id
            new_versions += previous is not None
        log_event(
            session,
            user.name,
            "exchange.import",
            "exchange_package",
            package.package_id,
            sender=package.sender,
            records=header["records"],
            counts=header["counts"],
            sha256=package.sha256,
        )
        return ImportSummary(
            str(path),
            package.package_id,
            package.sender,
            header.get("recipient"),
            header["created_at"],
            header["records"],
            dict(header["counts"]),
            new_versions,
            header["chain_head"],
            package.sha256,
        )


def _refuse_second_import(session: Session, package: fmt.Package) -> None:
    found = session.execute(
        select(ExchangePackage, User.name)
        .join(User, User.id == ExchangePackage.done_by_id)
        .where(
            ExchangePackage.direction == "import",
            ExchangePackage.package_id == package.package_id,
        )
    ).first()
    if found is not None:
        first, who = found
        raise ServiceError(
            f"package {package.package_id} from {first.sender} was already imported on "
            f"{first.done_at:%Y-%m-%d %H:%M} UTC by {who}; nothing imported"
        )


def _latest(session: Session, party: str) -> dict[tuple[str, str], int]:
    """(type, ref) -> id of the newest received version, for ``party``'s records."""
    newer = aliased(ExchangeRecord)
    superseded = select(newer.previous_id).where(newer.previous_id.is_not(None))
    stmt = select(ExchangeRecord.record_type, ExchangeRecord.ref, ExchangeRecord.id).where(
        ExchangeRecord.party == party, ExchangeRecord.id.not_in(superseded)
    )
    return {(t, r): i for t, r, i in session.execute(stmt)}


def received_counts(db: str | None, party: str | None = None) -> dict[str, int]:
    """How many records are held as received (newest versions), by type; of ``party`` or all."""
    newer = aliased(ExchangeRecord)
    superseded = select(newer.previous_id).where(newer.previous_id.is_not(None))
    stmt = (
        select(ExchangeRecord.record_type, func.count())
        .where(ExchangeRecord.id.not_in(superseded))
        .group_by(ExchangeRecord.record_type)
    )
    if party is not None:
        stmt = stmt.where(ExchangeRecord.party == party)
    with session_scope(db, read=True) as session:
        got = Counter({t: n for t, n in session.execute(stmt)})
    return {t: got.get(t, 0) for t in fmt.RECORD_TYPES}


def received_records(
    db: str | None, *, actor: str, party: str | None = None, record_type: str | None = None
) -> list[dict[str, Any]]:
    """The received records (newest versions) with their provenance, for case managers."""
    newer = aliased(ExchangeRecord)
    superseded = select(newer.previous_id).where(newer.previous_id.is_not(None))
    stmt = (
        select(ExchangeRecord)
        .where(ExchangeRecord.id.not_in(superseded))
        .order_by(ExchangeRecord.id)
    )
    if party is not None:
        stmt = stmt.where(ExchangeRecord.party == party)
    if record_type is not None:
        stmt = stmt.where(ExchangeRecord.record_type == record_type)
    with session_scope(db, read=True) as session:
        user = require(session, actor, "exchange.import")
        rows = [
            {
                "party": r.party,
                "package_id": r.package_id,
                "record_index": r.record_index,
                "type": r.record_type,
                "ref": r.ref,
                "hash": r.record_hash,
                "data": r.data,
            }
            for r in session.execute(stmt).scalars()
        ]
        log_event(
            session,
            user.name,
            "exchange.received.read",
            None,
            None,
            party=party,
            record_type=record_type,
            rows=len(rows),
        )
        return rows
