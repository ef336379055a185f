"""Custody: remains and samples moving, changing hands or changing state, in a hash-chained log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.registry.chain import append, lock_head
from repatria.registry.db import session_scope
from repatria.registry.models import CustodyEvent, Remains, Sample, User
from repatria.registry.queries import existing
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows._lookup import by_ref
from repatria.services.workflows.body_parts import add_sample
from repatria.services.workflows.states import move
from repatria.vocabulary import CUSTODY_EVENTS

__all__ = ["CustodyRecord", "record_custody", "record_sample", "custody_history"]


@dataclass(frozen=True)
class CustodyRecord:
    """One custody event as stored, with its place in the chain."""

    id: int
    seq: int
    event: str
    remains_ref: str | None
    sample_ref: str | None
    from_party: str | None
    to_party: str | None
    location: str | None
    occurred_on: str | None
    recorded_by: str
    row_hash: str
    notes: str | None = None


def record_custody(
    db: str | None,
    *,
    actor: str,
    event: str,
    remains_ref: str | None = None,
    sample_ref: str | None = None,
    from_party: str | None = None,
    to_party: str | None = None,
    location: str | None = None,
    occurred_on: str | None = None,
    notes: str | None = None,
) -> CustodyRecord:
    """Append a custody event for remains or a sample (or both: a sample taken from remains).

    Repatriated remains have left custody; events on them are refused.
    """
    if event not in CUSTODY_EVENTS:
        raise ServiceError(
            f"unknown custody event {event!r}; choose one of {', '.join(CUSTODY_EVENTS)}"
        )
    if remains_ref is None and sample_ref is None:
        raise ServiceError(
            "a custody event needs remains (--remains REF) or a sample (--sample REF)"
        )
    with session_scope(db) as session:
        user = require(session, actor, "custody.record")
        lock_head(session, CustodyEvent.CHAIN)
        remains = by_ref(session, Remains, remains_ref) if remains_ref else None
        sample = by_ref(session, Sample, sample_ref) if sample_ref else None
        if remains is not None and remains.status == "repatriated":
            raise ServiceError(
                f"remains {remains.ref} were repatriated and have left custody; "
                "no further custody events can be recorded for them"
            )
        row = _append(
            session,
            user,
            event,
            remains,
            sample,
            from_party,
            to_party,
            location,
            occurred_on,
            notes,
        )
        log_event(
            session,
            user.name,
            "custody.record",
            "custody_event",
            row.id,
            event=event,
            remains=remains_ref,
            sample=sample_ref,
        )
        return _record(row, remains, sample, user)


def record_sample(
    db: str | None,
    *,
    actor: str,
    remains_ref: str,
    sample_ref: str,
    material: str | None = None,
    collected_on: str | None = None,
    lab: str | None = None,
    to_party: str | None = None,
) -> CustodyRecord:
    """A post mortem sample was taken from remains: store it, log it, mark the remains sampled."""
    with session_scope(db) as session:
        user = require(session, actor, "samples.record")
        lock_head(session, CustodyEvent.CHAIN)
        remains = by_ref(session, Remains, remains_ref)
        if session.execute(select(Sample.id).where(Sample.ref == sample_ref)).first():
            raise ServiceError(f"sample {sample_ref} is already in the registry")
        sample = Sample(
            ref=sample_ref,
            kind="pm",
            remains_id=remains.id,
            material=material,
            collected_on=collected_on,
            lab=lab,
        )
        session.add(sample)
        session.flush()
        body = add_sample(session, sample, remains, cause=f"sample:{sample.id}")
        if body.status == "recovered":
            move(session, body, "sampled", actor=user, cause=f"sample:{sample.id}")
        if remains.status == "recovered":
            move(session, remains, "sampled", actor=user, cause=f"sample:{sample.id}")
        row = _append(
            session,
            user,
            "sampled",
            remains,
            sample,
            None,
            to_party or lab,
            None,
            collected_on,
            material,
        )
        log_event(session, user.name, "samples.record", "sample", sample.id, remains=remains_ref)
        return _record(row, remains, sample, user)


def custody_history(db: str | None, remains_ref: str, *, actor: str) -> list[CustodyRecord]:
    """Every custody event of remains (and of samples taken from them), oldest first."""
    with session_scope(db) as session:
        user = require(session, actor, "account.view")
        remains = by_ref(session, Remains, remains_ref)
        sample_ids = select(Sample.id).where(Sample.remains_id == remains.id)
        rows = (
            session.execute(
                select(CustodyEvent)
                .where(
                    (CustodyEvent.remains_id == remains.id) | CustodyEvent.sample_id.in_(sample_ids)
                )
                .order_by(CustodyEvent.seq)
            )
            .scalars()
            .all()
        )
        out = [
            _record(
                r,
                remains,
                existing(session, Sample, r.sample_id) if r.sample_id else None,
                existing(session, User, r.recorded_by_id),
            )
            for r in rows
        ]
        log_event(session, user.name, "custody.read", "remains", remains.id)
        return out


def _append(
    session: Session,
    user: User,
    event: str,
    remains: Remains | None,
    sample: Sample | None,
    from_party: str | None,
    to_party: str | None,
    location: str | None,
    occurred_on: str | None,
    notes: str | None,
) -> CustodyEvent:
    return append(
        session,
        CustodyEvent(
            remains_id=remains.id if remains else None,
            sample_id=sample.id if sample else None,
            event=event,
            from_party=from_party,
            to_party=to_party,
            location=location,
            occurred_on=occurred_on,
            notes=notes,
            recorded_by_id=user.id,
        ),
    )


def _record(
    row: CustodyEvent, remains: Remains | None, sample: Sample | None, user: User
) -> CustodyRecord:
    return CustodyRecord(
        row.id,
        row.seq,
        row.event,
        remains.ref if remains else None,
        sample.ref if sample else None,
        row.from_party,
        row.to_party,
        row.location,
        row.occurred_on,
        user.name,
        row.row_hash,
        row.notes,
    )
