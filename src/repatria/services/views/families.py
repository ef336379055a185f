"""Families to tell: identified persons whose family is not told yet, those told, and those
recorded as not told (an exception, with who and why).

The page never says every family was told when one was let go untold: :attr:`summary` is the
one sentence the page and the API give, computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from repatria.registry.db import session_scope
from repatria.registry.models import (
    Notification,
    NotificationException,
    Person,
    StateChange,
    User,
)
from repatria.registry.review_state import live_confirmation
from repatria.services.access.audit import log_event
from repatria.services.paging import Page, PageSpec, list_page
from repatria.services.views._read import primary_name, reader, to_notify
from repatria.services.workflows.disclosure import family_findings
from repatria.services.workflows.notification import declines_contact, family_donors

__all__ = [
    "NotificationTask",
    "NotificationsView",
    "NotificationsPage",
    "notifications_view",
    "notifications_page",
]


@dataclass(frozen=True)
class NotificationTask:
    person_ref: str
    person_name: str
    identified_on: str | None
    # Who in the family gave samples (contacts), each with ``declines_contact``.
    references: list[dict[str, Any]]
    person_status: str = "identified"
    # Findings about relatives that may be told (empty unless the policy allows it).
    findings: tuple[str, ...] = ()

    @property
    def contactable(self) -> list[dict[str, Any]]:
        """The donors who may be offered as the person told."""
        return [r for r in self.references if not r["declines_contact"]]


@dataclass(frozen=True)
class NotificationsView:
    tasks: list[NotificationTask]
    done: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]
    summary: str


def _summary(tasks: int, exceptions: int) -> str:
    if tasks:
        head = f"{tasks} {'family is' if tasks == 1 else 'families are'} still to be told."
    elif exceptions:
        head = "No family is waiting to be told."
    else:
        return "Every identified person's family has been told."
    if exceptions:
        head += (
            f" {exceptions} {'family was' if exceptions == 1 else 'families were'} not told: "
            "see the exceptions, with who decided and why."
        )
    return head


def notifications_view(db: str | None, *, actor: str) -> NotificationsView:
    """Families still to be told, those told, and those recorded as not told.

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
            live = live_confirmation(session, person_id=p.id)
            tasks.append(
                NotificationTask(
                    p.ref,
                    primary_name(p),
                    when.date().isoformat() if when else None,
                    [
                        {
                            "donor": d.ref,
                            "name": d.name,
                            "relationship": d.relationship_to_mp,
                            "declines_contact": declines_contact(d),
                        }
                        for d in family_donors(session, p)
                    ],
                    p.status,
                    tuple(family_findings(session, live[1])) if live else (),
                )
            )
        done = []
        for n, person, by in session.execute(
            select(Notification, Person, User.name)
            .join(Person, Person.id == Notification.person_id)
            .join(User, User.id == Notification.notified_by_id)
            .order_by(Notification.id.desc())
        ).all():
            done.append(
                {
                    "id": n.id,
                    "person_ref": person.ref,
                    "person_name": primary_name(person),
                    "recipient": n.recipient,
                    "relationship": n.recipient_relationship,
                    "method": n.method,
                    "notified_on": n.notified_on,
                    "by": by,
                }
            )
        exceptions = [
            {
                "id": e.id,
                "person_ref": pref,
                "person_status": pstatus,
                "reason": e.reason,
                "by": by,
                "at": e.recorded_at.isoformat(),
                "cause": e.cause,
                "told_since": session.execute(
                    select(Notification.id).where(
                        Notification.person_id == e.person_id,
                        Notification.decision_id == e.decision_id,
                    )
                ).first()
                is not None,
            }
            for e, pref, pstatus, by in session.execute(
                select(NotificationException, Person.ref, Person.status, User.name)
                .join(Person, Person.id == NotificationException.person_id)
                .join(User, User.id == NotificationException.recorded_by_id)
                .order_by(NotificationException.id.desc())
            ).all()
        ]
        untold_exceptions = sum(1 for e in exceptions if not e["told_since"])
        log_event(
            session,
            user.name,
            "notifications.view",
            tasks=len(tasks),
            done=len(done),
            exceptions=len(exceptions),
        )
        return NotificationsView(tasks, done, exceptions, _summary(len(tasks), untold_exceptions))


@dataclass(frozen=True)
class NotificationsPage:
    """The ``/notifications`` page: the view, with its two long lists one page each."""

    view: NotificationsView
    tasks: Page[NotificationTask]
    done: Page[dict[str, Any]]


def notifications_page(
    db: str | None,
    *,
    actor: str,
    tasks: PageSpec | None = None,
    done: PageSpec | None = None,
) -> NotificationsPage:
    """:func:`notifications_view` with "to tell" and "told" paged and sorted in place (the
    summary still counts every family)."""
    v = notifications_view(db, actor=actor)
    return NotificationsPage(
        v,
        list_page(
            v.tasks,
            sorts={
                "person_ref": lambda t: t.person_ref,
                "person_name": lambda t: t.person_name,
                "identified_on": lambda t: t.identified_on or "",
            },
            tie=lambda t: t.person_ref,
            spec=tasks or PageSpec(),
            default="person_ref",
        ),
        list_page(
            v.done,
            sorts={
                "notified_on": lambda n: n["notified_on"] or "",
                "person_ref": lambda n: n["person_ref"],
                "recipient": lambda n: n["recipient"] or "",
                "method": lambda n: n["method"] or "",
                "id": lambda n: n["id"],
            },
            tie=lambda n: n["id"],
            spec=done or PageSpec(),
            default="-notified_on",
        ),
    )
