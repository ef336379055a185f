"""Family notification: who told the family, when and how, after a confirmed identification.

``sensitive_notes`` (how the family took it, what they asked for) are stored with the
notification and shown only to liaison officers and case managers; every reading is audited.

A family is told of one identification (the standing confirmation): until it is told, or an
exception says why it will not be (:func:`record_exception`), the person stays "to tell"
(:func:`untold`), whatever happened to the remains. A donor who does not want to be contacted
is never accepted as the one told, by reference or by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import (
    CandidateMatch,
    Decision,
    Donor,
    Notification,
    NotificationException,
    PedigreeMember,
    Person,
    User,
)
from repatria.registry.queries import existing
from repatria.registry.review_state import live_confirmation, live_confirmations
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import PERMISSIONS, require
from repatria.services.workflows._lookup import by_ref
from repatria.vocabulary import NOTIFY_METHODS

__all__ = [
    "NotificationRecord",
    "ExceptionRecord",
    "notify_family",
    "notifications_for",
    "record_exception",
    "add_exception",
    "untold",
    "untold_query",
    "family_donors",
    "declines_contact",
]


@dataclass(frozen=True)
class NotificationRecord:
    """A notification as shown; ``sensitive_notes`` is ``None`` when the reader may not see it."""

    id: int
    person_ref: str
    decision_id: int
    notified_by: str
    recipient: str
    relationship: str | None
    method: str
    notified_on: str
    sensitive_notes: str | None
    recipient_donor: str | None = None


@dataclass(frozen=True)
class ExceptionRecord:
    """A family recorded as not told: whose, why, by whom, and what it let through."""

    id: int
    person_ref: str
    decision_id: int
    reason: str
    recorded_by: str
    recorded_at: str
    cause: str | None

    @property
    def message(self) -> str:
        return (
            f"the family of {self.person_ref} is recorded as not told ({self.reason}), "
            f"by {self.recorded_by}"
        )


def untold_query() -> Select[Person, Decision]:
    """``(person, confirmation)`` for every standing identification whose family was neither
    told of it nor excepted with a reason: whatever the state of the person or the remains."""
    told = exists().where(
        Notification.person_id == Person.id, Notification.decision_id == Decision.id
    )
    excepted = exists().where(
        NotificationException.person_id == Person.id,
        NotificationException.decision_id == Decision.id,
    )
    return (
        live_confirmations()
        .join(Person, Person.id == CandidateMatch.person_id)
        .where(~told, ~excepted)
        .with_only_columns(Person, Decision)
        .order_by(None)
        .order_by(Person.ref)
    )


def untold(session: Session, person_ids: list[int] | None = None) -> list[Person]:
    """The identified persons whose family is still to tell (of these ids, if given)."""
    stmt = untold_query()
    if person_ids is not None:
        stmt = stmt.where(Person.id.in_(person_ids))
    return [p for p, _d in session.execute(stmt).all()]


def family_donors(session: Session, person: Person) -> list[Donor]:
    """The reference donors of this person's family: linked to them, or in their pedigree."""
    families = select(PedigreeMember.family_id).where(PedigreeMember.person_id == person.id)
    return list(
        session.execute(
            select(Donor)
            .where((Donor.mp_person_id == person.id) | Donor.family_id.in_(families))
            .order_by(Donor.id)
        ).scalars()
    )


def declines_contact(donor: Donor) -> bool:
    return donor.contact_declined_at is not None


def _same_name(a: str | None, b: str | None) -> bool:
    def key(t: str | None) -> str:
        return " ".join((t or "").casefold().replace("-", " ").split())

    return bool(key(a)) and key(a) == key(b)


def _recipient_donor(
    session: Session, person: Person, recipient: str, donor_ref: str | None
) -> Donor | None:
    """The donor told, if one is named (or the recipient is one by name); refuses a donor who
    does not want to be contacted. The refusal names the donor by reference only."""
    donors = family_donors(session, person)
    chosen: Donor | None = None
    if donor_ref:
        chosen = by_ref(session, Donor, donor_ref)
        if chosen.id not in {d.id for d in donors}:
            raise ServiceError(
                f"donor {chosen.ref} is not a reference donor of {person.ref}'s family"
            )
    else:
        chosen = next((d for d in donors if _same_name(d.name, recipient)), None)
    if chosen is not None and declines_contact(chosen):
        raise ServiceError(
            f"donor {chosen.ref} does not want to be contacted and cannot be the person told "
            f"of {person.ref}; tell another relative, or record why the family is not told"
        )
    return chosen


def notify_family(
    db: str | None,
    person_ref: str,
    *,
    actor: str,
    recipient: str,
    method: str,
    notified_on: str,
    relationship: str | None = None,
    sensitive_notes: str | None = None,
    recipient_donor: str | None = None,
) -> NotificationRecord:
    """Record that the family of an identified person was told (liaison officers only).

    ``recipient_donor`` names the reference donor told, if the recipient is one; a donor who
    does not want to be contacted is refused, whether named by reference or by name.
    """
    if method not in NOTIFY_METHODS:
        raise ServiceError(
            f"unknown notification method {method!r}; choose one of {', '.join(NOTIFY_METHODS)}"
        )
    if not recipient.strip() and not recipient_donor:
        raise ServiceError("say who was told with --recipient NAME")
    with session_scope(db) as session:
        user = require(session, actor, "notify.record")
        person = by_ref(session, Person, person_ref)
        live = live_confirmation(session, person_id=person.id)
        if live is None or person.status not in ("identified", "repatriated", "disposed"):
            raise ServiceError(
                f"person {person.ref} is {person.status.replace('_', ' ')} with no "
                "confirmed identification; a family is notified only of a confirmed one"
            )
        donor = _recipient_donor(session, person, recipient, recipient_donor)
        if not recipient.strip() and donor is not None:
            recipient = donor.name or donor.ref
            relationship = relationship or donor.relationship_to_mp
        n = Notification(
            person_id=person.id,
            decision_id=live[0].id,
            notified_by_id=user.id,
            recipient=recipient,
            recipient_relationship=relationship,
            method=method,
            notified_on=notified_on,
            sensitive_notes=sensitive_notes,
            recipient_donor_id=donor.id if donor else None,
        )
        session.add(n)
        session.flush()
        # The notes themselves stay out of the audit trail; that they exist is enough there.
        log_event(
            session,
            user.name,
            "notify.record",
            "notification",
            n.id,
            person=person.ref,
            method=method,
            has_sensitive_notes=sensitive_notes is not None,
            donor=donor.ref if donor else None,
        )
        return _record(n, person, user, show_notes=True, donor=donor)


def notifications_for(db: str | None, person_ref: str, *, actor: str) -> list[NotificationRecord]:
    """A person's notifications; sensitive notes only for liaison officers and case managers."""
    with session_scope(db) as session:
        user = require(session, actor, "account.view")
        person = by_ref(session, Person, person_ref)
        show = user.role in PERMISSIONS["notify.read_sensitive"]
        rows = (
            session.execute(
                select(Notification)
                .where(Notification.person_id == person.id)
                .order_by(Notification.id)
            )
            .scalars()
            .all()
        )
        out = [
            _record(
                n,
                person,
                existing(session, User, n.notified_by_id),
                show_notes=show,
                donor=session.get(Donor, n.recipient_donor_id) if n.recipient_donor_id else None,
            )
            for n in rows
        ]
        log_event(session, user.name, "notify.read", "person", person.id, sensitive_shown=show)
        return out


def record_exception(
    db: str | None, person_ref: str, *, actor: str, reason: str
) -> ExceptionRecord:
    """Record why an identified person's family will not be told (liaison officer or case
    manager): it leaves "Families to tell" as an exception, shown with who and why."""
    with session_scope(db) as session:
        user = require(session, actor, "notify.exception")
        person = by_ref(session, Person, person_ref)
        if not untold(session, [person.id]):
            live = live_confirmation(session, person_id=person.id)
            if live is None:
                raise ServiceError(
                    f"person {person.ref} has no confirmed identification; there is no family "
                    "to tell yet"
                )
            raise ServiceError(
                f"the family of {person.ref} was already told of this identification, or an "
                "exception is already recorded"
            )
        return add_exception(session, person, user, reason=reason)


def add_exception(
    session: Session, person: Person, user: User, *, reason: str, cause: str | None = None
) -> ExceptionRecord:
    """The exception row for the person's standing identification, audited (in the caller's
    transaction: a handover or burial records it with itself)."""
    if not reason or not reason.strip():
        raise ServiceError(f"say why the family of {person.ref} is not told (a reason is required)")
    live = live_confirmation(session, person_id=person.id)
    if live is None:  # pragma: no cover - callers pass identified persons
        raise ServiceError(f"person {person.ref} has no confirmed identification")
    e = NotificationException(
        person_id=person.id,
        decision_id=live[0].id,
        reason=reason.strip(),
        cause=cause,
        recorded_by_id=user.id,
    )
    session.add(e)
    session.flush()
    log_event(
        session,
        user.name,
        "notify.exception",
        "person",
        person.id,
        person=person.ref,
        reason=e.reason,
        cause=cause,
    )
    return _exception(e, person, user)


def _exception(e: NotificationException, person: Person, by: User) -> ExceptionRecord:
    return ExceptionRecord(
        e.id,
        person.ref,
        e.decision_id,
        e.reason,
        by.name,
        e.recorded_at.isoformat(),
        e.cause,
    )


def _record(
    n: Notification, person: Person, by: User, *, show_notes: bool, donor: Donor | None = None
) -> NotificationRecord:
    return NotificationRecord(
        n.id,
        person.ref,
        n.decision_id,
        by.name,
        n.recipient,
        n.recipient_relationship,
        n.method,
        n.notified_on,
        n.sensitive_notes if show_notes else None,
        donor.ref if donor else None,
    )
