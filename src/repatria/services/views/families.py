"""Families to tell: identified persons whose family has no notification yet, and those told."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from repatria.registry.db import session_scope
from repatria.registry.models import Donor, Notification, Person, StateChange, User
from repatria.services.access.audit import log_event
from repatria.services.views._read import primary_name, reader, to_notify

__all__ = ["NotificationTask", "NotificationsView", "notifications_view"]


@dataclass(frozen=True)
class NotificationTask:
    person_ref: str
    person_name: str
    identified_on: str | None
    references: list[dict[str, str | None]]  # who in the family gave samples (contacts)


@dataclass(frozen=True)
class NotificationsView:
    tasks: list[NotificationTask]
    done: list[dict[str, Any]]


def notifications_view(db: str | None, *, actor: str) -> NotificationsView:
    """Families still to be told (identified persons without a notification), and those told.

    Family contacts are shown, so the read is audited.
    """
    with session_scope(db, read=True) as session:
        user = reader(session, actor, "notifications.view")
        tasks = []
        for p in to_notify(session):
            when = (
                session.execute(
                    select(StateChange.changed_at)
                    .where(
                        StateChange.entity == "person",
                        StateChange.entity_id == p.id,
                        StateChange.to_state == "identified",
                    )
                    .order_by(StateChange.id.desc())
                )
                .scalars()
                .first()
            )
            donors = (
                session.execute(select(Donor).where(Donor.mp_person_id == p.id).order_by(Donor.id))
                .scalars()
                .all()
            )
            tasks.append(
                NotificationTask(
                    p.ref,
                    primary_name(p),
                    when.date().isoformat() if when else None,
                    [
                        {"donor": d.ref, "name": d.name, "relationship": d.relationship_to_mp}
                        for d in donors
                    ],
                )
            )
        done = []
        for n, pref, by in session.execute(
            select(Notification, Person.ref, User.name)
            .join(Person, Person.id == Notification.person_id)
            .join(User, User.id == Notification.notified_by_id)
            .order_by(Notification.id.desc())
        ).all():
            done.append(
                {
                    "id": n.id,
                    "person_ref": pref,
                    "recipient": n.recipient,
                    "relationship": n.recipient_relationship,
                    "method": n.method,
                    "notified_on": n.notified_on,
                    "by": by,
                }
            )
        log_event(session, user.name, "notifications.view", tasks=len(tasks), done=len(done))
        return NotificationsView(tasks, done)
