"""Family notification: who told the family, when and how, after a confirmed identification.

``sensitive_notes`` (how the family took it, what they asked for) are stored with the
notification and shown only to liaison officers and case managers; every reading is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import Notification, Person, User
from repatria.registry.queries import existing
from repatria.registry.review_state import live_confirmation
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import PERMISSIONS, require
from repatria.services.workflows._lookup import by_ref
from repatria.vocabulary import NOTIFY_METHODS

__all__ = ["NotificationRecord", "notify_family", "notifications_for"]


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
) -> NotificationRecord:
    """Record that the family of an identified person was told (liaison officers only)."""
    if method not in NOTIFY_METHODS:
        raise ServiceError(
            f"unknown notification method {method!r}; choose one of {', '.join(NOTIFY_METHODS)}"
        )
    if not recipient.strip():
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
        n = Notification(
            person_id=person.id,
            decision_id=live[0].id,
            notified_by_id=user.id,
            recipient=recipient,
            recipient_relationship=relationship,
            method=method,
            notified_on=notified_on,
            sensitive_notes=sensitive_notes,
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
        )
        return _record(n, person, user, show_notes=True)


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
            _record(n, person, existing(session, User, n.notified_by_id), show_notes=show)
            for n in rows
        ]
        log_event(session, user.name, "notify.read", "person", person.id, sensitive_shown=show)
        return out


def _record(n: Notification, person: Person, by: User, *, show_notes: bool) -> NotificationRecord:
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
    )
