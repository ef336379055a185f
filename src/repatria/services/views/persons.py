"""Persons: search by any name or number, and one person's record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.models import CandidateMatch, Person, PersonName
from repatria.services.access.audit import log_event
from repatria.services.views._read import (
    CandidateLine,
    candidate_lines,
    find,
    fold,
    history,
    name_dict,
    primary_name,
    reader,
    unique,
)
from repatria.vocabulary import PERSON_STATES

__all__ = ["PersonSummary", "PersonDetail", "search_persons", "person_detail"]


@dataclass(frozen=True)
class PersonSummary:
    ref: str
    status: str
    name: str
    names: list[dict[str, str | None]]
    unit: str | None
    matched: list[str]  # the names (or numbers) the query matched


def search_persons(
    db: str | None, *, actor: str, q: str = "", status: str | None = None, limit: int = 100
) -> list[PersonSummary]:
    """Persons whose any name, transliteration, reference or service number contains ``q``.

    Matching ignores case, width and accents, in any script (Hangul, Cyrillic, Latin ...).
    """
    if status is not None and status not in PERSON_STATES:
        raise ServiceError(
            f"unknown person state {status!r}; choose one of {', '.join(PERSON_STATES)}"
        )
    needle = fold(q.strip())
    limit = max(1, min(int(limit), 500))
    with session_scope(db, read=True) as session:
        reader(session, actor, "persons.read")
        stmt = select(Person).order_by(Person.ref)
        if status:
            stmt = stmt.where(Person.status == status)
        persons = session.execute(stmt).scalars().all()
        names: dict[int, list[PersonName]] = {}
        for n in session.execute(select(PersonName).order_by(PersonName.id)).scalars():
            names.setdefault(n.person_id, []).append(n)
        out = []
        for p in persons:
            pn = names.get(p.id, [])
            # (text searched, text shown)
            hay: list[tuple[str | None, str]] = [(n.name, n.name) for n in pn]
            hay += [(n.transliteration, n.transliteration or "") for n in pn if n.transliteration]
            hay += [(p.ref, p.ref), (p.service_number, p.service_number or "")]
            matched = [shown for text, shown in hay if text and needle and needle in fold(text)]
            if needle and not matched:
                continue
            out.append(
                PersonSummary(
                    p.ref,
                    p.status,
                    primary_name(p),
                    [name_dict(n) for n in pn],
                    p.unit,
                    unique(matched),
                )
            )
            if len(out) >= limit:
                break
        return out


@dataclass(frozen=True)
class PersonDetail:
    ref: str
    status: str
    name: str
    names: list[dict[str, str | None]]
    documents: list[dict[str, str | None]]
    facts: dict[str, str | None]
    candidates: list[CandidateLine]
    history: list[dict[str, Any]]


def person_detail(db: str | None, ref: str, *, actor: str) -> PersonDetail:
    """A person's names, papers, candidate matches and state history; reading it is audited."""
    with session_scope(db, read=True) as session:
        user = reader(session, actor, "persons.read")
        p = find(session, Person, ref)
        log_event(session, user.name, "person.read", "person", p.id)
        return PersonDetail(
            p.ref,
            p.status,
            primary_name(p),
            [name_dict(n) for n in p.names],
            [
                {
                    "type": d.doc_type,
                    "number": d.number,
                    "issuer": d.issuer,
                    "name_on_document": d.name_on_document,
                    "authenticity": d.authenticity,
                }
                for d in p.documents
            ],
            {
                "sex": p.sex,
                "birth date": p.birth_date,
                "nationality": p.nationality,
                "service number": p.service_number,
                "unit": p.unit,
                "date missing": p.date_missing,
                "last known place": p.last_known_place,
            },
            candidate_lines(
                session, select(CandidateMatch).where(CandidateMatch.person_id == p.id)
            ),
            history(session, "person", p.id),
        )
