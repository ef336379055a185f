"""Repatriations done, and identified remains waiting for one (with whether the family is told:
a handover of an untold family is refused unless a reason is given, shown here afterwards)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.registry.db import session_scope
from repatria.registry.models import (
    Body,
    Notification,
    NotificationException,
    Person,
    Remains,
    Repatriation,
    User,
)
from repatria.registry.queries import existing
from repatria.registry.review_state import live_confirmations
from repatria.services.paging import Page, PageSpec, list_page
from repatria.services.views._read import primary_name, reader
from repatria.services.workflows.notification import untold

__all__ = [
    "RepatriationView",
    "RepatriationsView",
    "RepatriationsPage",
    "repatriations_view",
    "repatriations_page",
]


@dataclass(frozen=True)
class RepatriationView:
    id: int
    kind: str
    counterpart: str
    place: str | None
    occurred_on: str
    ceremony: str | None
    items: list[dict[str, str | None]]  # remains ref, person ref, coffin, remains state
    # Families not told when the handover went ahead: person, reason, by whom.
    without_notification: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class RepatriationsView:
    done: list[RepatriationView]
    # Identified remains not yet handed over; ``family``: "told", "not told", or "exception"
    # (recorded as not told, with a reason).
    eligible: list[dict[str, str | None]]

    @property
    def untold(self) -> list[str]:
        """Persons waiting for a handover whose family is not told yet."""
        return [str(e["person_ref"]) for e in self.eligible if e["family"] == "not told"]


def repatriations_view(db: str | None, *, actor: str) -> RepatriationsView:
    """Handovers with their remains and states, and the identified remains waiting for one."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "repatriations.view")
        done = []
        for rep in session.execute(select(Repatriation).order_by(Repatriation.id.desc())).scalars():
            items = []
            for it in rep.items:
                r: Body | Remains
                if it.body_id is not None:  # a body, with all its items
                    r = existing(session, Body, it.body_id)
                elif it.remains_id is not None:  # a handover recorded before bodies
                    r = existing(session, Remains, it.remains_id)
                else:
                    continue
                p = existing(session, Person, it.person_id) if it.person_id else None
                items.append(
                    {
                        "remains_ref": r.ref,
                        "person_ref": p.ref if p else None,
                        "person_name": primary_name(p) if p else None,
                        "coffin": it.coffin_label,
                        "remains_state": r.status,
                    }
                )
            excepted = [
                {"person_ref": pref, "reason": e.reason, "by": by}
                for e, pref, by in session.execute(
                    select(NotificationException, Person.ref, User.name)
                    .join(Person, Person.id == NotificationException.person_id)
                    .join(User, User.id == NotificationException.recorded_by_id)
                    .where(NotificationException.cause == f"repatriation:{rep.id}")
                    .order_by(NotificationException.id)
                ).all()
            ]
            done.append(
                RepatriationView(
                    rep.id,
                    rep.kind,
                    rep.counterpart,
                    rep.place,
                    rep.occurred_on,
                    rep.ceremony,
                    items,
                    excepted,
                )
            )
        not_told = {p.id for p in untold(session)}
        eligible = []
        for d, c in session.execute(live_confirmations()).all():
            item = existing(session, Remains, c.remains_id)
            body = existing(session, Body, c.body_id) if c.body_id is not None else None
            p = existing(session, Person, c.person_id)
            if (body or item).status == "identified":
                eligible.append(
                    {
                        "remains_ref": body.ref if body else item.ref,
                        "person_ref": p.ref,
                        "person_name": primary_name(p),
                        "site": item.site,
                        "family": _family(session, p.id, d.id, not_told),
                    }
                )
        return RepatriationsView(done, sorted(eligible, key=lambda e: e["remains_ref"] or ""))


def _family(session: Session, person_id: int, decision_id: int, not_told: set[int]) -> str:
    if person_id in not_told:
        return "not told"
    told = session.execute(
        select(Notification.id).where(
            Notification.person_id == person_id, Notification.decision_id == decision_id
        )
    ).first()
    return "told" if told is not None else "exception"


@dataclass(frozen=True)
class RepatriationsPage:
    """The ``/repatriations`` page: the view, with the handovers recorded one page at a time
    (the remains waiting for a handover stay whole: one handover form selects among them)."""

    view: RepatriationsView
    done: Page[RepatriationView]


def repatriations_page(
    db: str | None, *, actor: str, done: PageSpec | None = None
) -> RepatriationsPage:
    """:func:`repatriations_view` with the handovers paged and sorted in place."""
    v = repatriations_view(db, actor=actor)
    return RepatriationsPage(
        v,
        list_page(
            v.done,
            sorts={
                "occurred_on": lambda r: r.occurred_on or "",
                "id": lambda r: r.id,
                "kind": lambda r: r.kind,
                "counterpart": lambda r: r.counterpart or "",
            },
            tie=lambda r: r.id,
            spec=done or PageSpec(),
            default="-occurred_on",
        ),
    )
