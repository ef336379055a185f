"""The dashboard: persons and remains by state, and the size of each work queue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from repatria.registry.db import session_scope
from repatria.registry.models import Person, Remains
from repatria.registry.review_state import open_candidates
from repatria.services.views._read import reader, to_notify
from repatria.vocabulary import PERSON_STATES, REMAINS_STATES

__all__ = ["Dashboard", "dashboard"]


@dataclass(frozen=True)
class Dashboard:
    """Counts by state and the sizes of the work queues, each with where it comes from."""

    persons_by_state: dict[str, int]
    remains_by_state: dict[str, int]
    queues: dict[str, int]
    sources: dict[str, str]


def dashboard(db: str | None, *, actor: str) -> Dashboard:
    """Persons and remains by state, and how much work waits in each queue."""
    with session_scope(db, read=True) as session:
        reader(session, actor, "dashboard.view")
        persons = dict(
            session.execute(select(Person.status, func.count()).group_by(Person.status)).all()
        )
        remains = dict(
            session.execute(select(Remains.status, func.count()).group_by(Remains.status)).all()
        )
        to_propose, to_review = open_candidates(session, evidence=False)  # counts only
        identified_remains = session.execute(
            select(func.count()).select_from(Remains).where(Remains.status == "identified")
        ).scalar_one()
        return Dashboard(
            {s: int(persons.get(s, 0)) for s in PERSON_STATES},
            {s: int(remains.get(s, 0)) for s in REMAINS_STATES},
            {
                "to_propose": len(to_propose),
                "to_review": len(to_review),
                "to_notify": len(to_notify(session)),
                "to_repatriate": int(identified_remains),
            },
            {
                "persons_by_state": "registry table persons, column status (current value)",
                "remains_by_state": "registry table remains, column status (current value)",
                "to_propose": "candidate matches with no review decision yet",
                "to_review": "candidate matches proposed by an analyst, awaiting a second person",
                "to_notify": "persons identified whose family is neither told nor excepted",
                "to_repatriate": "remains identified and not yet repatriated or disposed of",
            },
        )
