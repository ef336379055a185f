"""What every read model shares: the reader check, lookups, names and candidate lines."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from repatria.errors import NotFoundError, ServiceError
from repatria.registry.models import (
    CandidateMatch,
    Donor,
    Person,
    PersonName,
    Remains,
    Sample,
    StateChange,
    User,
)
from repatria.registry.queries import existing
from repatria.registry.review_state import candidate_status, decision_kinds
from repatria.services.access.permissions import require_reader
from repatria.services.workflows._lookup import by_ref
from repatria.services.workflows.notification import untold

T = TypeVar("T", Person, Remains, Sample, Donor)

__all__ = [
    "reader",
    "find",
    "primary_name",
    "fold",
    "shown_name",
    "unique",
    "name_dict",
    "CandidateLine",
    "candidate_lines",
    "history",
    "to_notify",
]


def reader(session: Session, actor: str, action: str) -> User:
    """The reading user, if their role may perform ``action`` (see ``access.permissions``)."""
    return require_reader(session, actor, action)


def find(session: Session, model: type[T], ref: str) -> T:
    """The record of ``model`` with reference ``ref``; NotFoundError if there is none."""
    try:
        return by_ref(session, model, ref)
    except ServiceError as e:
        raise NotFoundError(str(e)) from None


def primary_name(p: Person) -> str:
    return shown_name(p.ref, [(n.kind, n.name) for n in p.names])


def shown_name(ref: str, names: list[tuple[str, str]]) -> str:
    """The name a page shows for a person: the first official name, else the first name
    (``names``: (kind, name) in the order recorded), else the ref."""
    official = [n for k, n in names if k == "official"]
    return (official or [n for _, n in names] or [ref])[0]


def fold(text: str | None) -> str:
    """Case-, width- and accent-insensitive form for searching names in any script."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def name_dict(n: PersonName) -> dict[str, str | None]:
    return {
        "name": n.name,
        "kind": n.kind,
        "script": n.script,
        "transliteration": n.transliteration,
    }


@dataclass(frozen=True)
class CandidateLine:
    id: int
    person_ref: str
    remains_ref: str
    log10_lr: float | None
    posterior: float | None
    status: str


def candidate_lines(session: Session, stmt: Any) -> list[CandidateLine]:
    kinds = decision_kinds(session)
    out = []
    for c in session.execute(stmt.order_by(CandidateMatch.id)).scalars():
        person, remains = (
            existing(session, Person, c.person_id),
            existing(session, Remains, c.remains_id),
        )
        out.append(
            CandidateLine(
                c.id,
                person.ref,
                remains.ref,
                c.log10_lr,
                c.posterior,
                candidate_status(kinds.get(c.id, set())),
            )
        )
    return out


def history(session: Session, entity: str, entity_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(StateChange, User.name)
        .join(User, User.id == StateChange.actor_id)
        .where(StateChange.entity == entity, StateChange.entity_id == entity_id)
        .order_by(StateChange.id)
    ).all()
    return [
        {
            "from": s.from_state,
            "to": s.to_state,
            "by": name,
            "at": s.changed_at.isoformat(),
            "reason": s.reason,
            "cause": s.cause,
        }
        for s, name in rows
    ]


def to_notify(session: Session) -> list[Person]:
    """Identified persons whose family is still to tell, repatriated or buried or not."""
    return untold(session)
