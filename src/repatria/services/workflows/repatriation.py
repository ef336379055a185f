"""Repatriation (a handover or an exchange, often a ceremony with several coffins), disposition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.registry.chain import append, lock_head
from repatria.registry.db import session_scope
from repatria.registry.models import (
    CustodyEvent,
    Disposition,
    Person,
    Remains,
    Repatriation,
    RepatriationItem,
)
from repatria.registry.queries import existing
from repatria.registry.review_state import live_confirmation
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import require
from repatria.services.workflows._lookup import by_ref
from repatria.services.workflows.states import move
from repatria.vocabulary import DISPOSITION_KINDS, REPATRIATION_KINDS

__all__ = ["RepatriationRecord", "DispositionRecord", "repatriate", "dispose"]


@dataclass(frozen=True)
class RepatriationRecord:
    """A recorded repatriation: the remains in it and the persons they were identified as."""

    id: int
    kind: str
    counterpart: str
    place: str | None
    occurred_on: str
    ceremony: str | None
    items: list[tuple[str, str | None, str | None]]  # (remains ref, person ref, coffin label)

    @property
    def message(self) -> str:
        return (
            f"repatriation {self.id}: {len(self.items)} remains by {self.kind} to "
            f"{self.counterpart} on {self.occurred_on}"
        )


@dataclass(frozen=True)
class DispositionRecord:
    id: int
    remains_ref: str
    person_ref: str | None
    kind: str
    occurred_on: str

    @property
    def message(self) -> str:
        who = f" (person {self.person_ref})" if self.person_ref else ""
        return f"remains {self.remains_ref}{who} disposed of by {self.kind} on {self.occurred_on}"


def _identified_person(session: Session, remains: Remains) -> Person | None:
    """The person these remains are identified as, through a confirmed, unrevoked decision."""
    live = live_confirmation(session, remains_id=remains.id)
    return None if live is None else existing(session, Person, live[1].person_id)


def repatriate(
    db: str | None,
    remains_refs: Sequence[str],
    *,
    actor: str,
    kind: str,
    counterpart: str,
    occurred_on: str,
    place: str | None = None,
    ceremony: str | None = None,
    coffin_labels: Sequence[str] | None = None,
) -> RepatriationRecord:
    """Record identified remains handed over or exchanged; they and their persons are repatriated.

    All or nothing: if any of the remains may not be repatriated, none is.
    """
    if kind not in REPATRIATION_KINDS:
        raise ServiceError(
            f"unknown repatriation kind {kind!r}; choose one of {', '.join(REPATRIATION_KINDS)}"
        )
    if not remains_refs:
        raise ServiceError("a repatriation needs at least one set of remains (--remains REF)")
    if len(set(remains_refs)) != len(remains_refs):
        raise ServiceError("the same remains are listed twice in one repatriation")
    if coffin_labels is not None and len(coffin_labels) not in (0, len(remains_refs)):
        raise ServiceError(
            f"{len(coffin_labels)} coffin labels for {len(remains_refs)} remains; "
            "give one per remains or none"
        )
    with session_scope(db) as session:
        user = require(session, actor, "repatriation.record")
        lock_head(session, CustodyEvent.CHAIN)
        rep = Repatriation(
            kind=kind,
            counterpart=counterpart,
            place=place,
            occurred_on=occurred_on,
            ceremony=ceremony,
            recorded_by_id=user.id,
        )
        session.add(rep)
        session.flush()
        items: list[tuple[str, str | None, str | None]] = []
        for i, ref in enumerate(remains_refs):
            remains = by_ref(session, Remains, ref, lock=True)
            person = _identified_person(session, remains)
            if person is None:
                raise ServiceError(
                    f"remains {ref} are {remains.status.replace('_', ' ')} and not "
                    "identified; only identified remains can be repatriated "
                    "(record unidentified remains with `repatria dispose`)"
                )
            cause = f"repatriation:{rep.id}"
            move(session, remains, "repatriated", actor=user, cause=cause)
            move(session, person, "repatriated", actor=user, cause=cause)
            label = coffin_labels[i] if coffin_labels else None
            session.add(
                RepatriationItem(
                    repatriation_id=rep.id,
                    remains_id=remains.id,
                    person_id=person.id,
                    coffin_label=label,
                )
            )
            # The handover is the last custody event of these remains.
            append(
                session,
                CustodyEvent(
                    remains_id=remains.id,
                    event="released",
                    to_party=counterpart,
                    location=place,
                    occurred_on=occurred_on,
                    notes=f"repatriation {rep.id} ({kind})",
                    recorded_by_id=user.id,
                ),
            )
            items.append((remains.ref, person.ref, label))
        log_event(
            session,
            user.name,
            "repatriation.record",
            "repatriation",
            rep.id,
            remains=list(remains_refs),
            counterpart=counterpart,
        )
        return RepatriationRecord(rep.id, kind, counterpart, place, occurred_on, ceremony, items)


def dispose(
    db: str | None,
    remains_ref: str,
    *,
    actor: str,
    kind: str,
    occurred_on: str,
    reason: str,
    place: str | None = None,
) -> DispositionRecord:
    """Record remains buried, cremated, held or transferred rather than repatriated, and why."""
    if kind not in DISPOSITION_KINDS:
        raise ServiceError(
            f"unknown disposition {kind!r}; choose one of {', '.join(DISPOSITION_KINDS)}"
        )
    if not reason.strip():
        raise ServiceError("a disposition needs a reason (--reason TEXT)")
    with session_scope(db) as session:
        user = require(session, actor, "disposition.record")
        lock_head(session, CustodyEvent.CHAIN)
        remains = by_ref(session, Remains, remains_ref, lock=True)
        person = _identified_person(session, remains)
        # Move first: a refused transition must be the error, not the disposition's unique key.
        changes = [move(session, remains, "disposed", actor=user, reason=reason)]
        if person is not None:
            changes.append(move(session, person, "disposed", actor=user, reason=reason))
        d = Disposition(
            remains_id=remains.id,
            kind=kind,
            place=place,
            occurred_on=occurred_on,
            reason=reason,
            recorded_by_id=user.id,
        )
        session.add(d)
        session.flush()
        for change in changes:
            change.cause = f"disposition:{d.id}"
        append(
            session,
            CustodyEvent(
                remains_id=remains.id,
                event="released",
                to_party=place,
                location=place,
                occurred_on=occurred_on,
                notes=f"disposition {d.id} ({kind})",
                recorded_by_id=user.id,
            ),
        )
        log_event(
            session,
            user.name,
            "disposition.record",
            "disposition",
            d.id,
            remains=remains_ref,
            kind=kind,
        )
        return DispositionRecord(
            d.id, remains.ref, person.ref if person else None, kind, occurred_on
        )
