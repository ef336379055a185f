"""Persons: search by any name, alias or paper (in the database, paged), and one person's
record."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from repatria.errors import ServiceError
from repatria.registry.db import raw_read, session_scope
from repatria.registry.models import (
    CandidateMatch,
    Person,
)
from repatria.registry.person_lookup import Source, details_of, person_page
from repatria.registry.search_index import matching_person_ids, query_lookup
from repatria.search_keys import document_keys
from repatria.services.access.audit import log_event
from repatria.services.access.permissions import check_reader
from repatria.services.gate import FairGate
from repatria.services.paging import (
    Column,
    Page,
    PageSpec,
    csv_text,
    keyset_page,
    keyset_start,
    sql_all,
)
from repatria.services.views._read import (
    CandidateLine,
    candidate_lines,
    find,
    history,
    name_dict,
    primary_name,
    reader,
    unique,
)
from repatria.vocabulary import PERSON_STATES

__all__ = [
    "PERSON_SORTS",
    "PersonSummary",
    "PersonDetail",
    "search_persons",
    "persons_csv",
    "person_detail",
]


@dataclass(frozen=True)
class PersonSummary:
    ref: str
    status: str
    name: str
    names: list[dict[str, str | None]]
    documents: list[dict[str, str | None]]
    unit: str | None
    matched: list[str]  # the names (or numbers) the query matched


#: Searches run at once in this process (one more than the cores, so the database works while
#: the interpreter builds a page); the rest wait their turn, first come first served. With 20
#: at once the threads spent more time handing the interpreter lock and the database file's
#: locks to each other than searching (3x fewer searches a second; benchmarks/person_search.py).
_SEARCHING = FairGate((os.cpu_count() or 2) + 1)


#: The columns a person list sorts by (never NULL, as keyset paging needs).
PERSON_SORTS: dict[str, Column] = {
    "ref": Person.ref,
    "status": Person.status,
    "unit": func.coalesce(Person.unit, ""),
}
_PERSON_COLS = (Person.id, Person.ref, Person.status, Person.unit, Person.service_number)
PERSON_CSV_HEADER = ("ref", "name", "other names", "documents", "unit", "status")


def _persons_stmt(q: str, status: str | None) -> Any:
    if status is not None and status not in PERSON_STATES:
        raise ServiceError(
            f"unknown person state {status!r}; choose one of {', '.join(PERSON_STATES)}"
        )
    newer = aliased(Person)
    stmt: Any = select(*_PERSON_COLS).where(~exists().where(newer.supersedes_id == Person.id))
    if q:
        stmt = stmt.where(Person.id.in_(matching_person_ids(q)))
    if status:
        stmt = stmt.where(Person.status == status)
    return stmt


def search_persons(
    db: str | None,
    *,
    actor: str | None,
    q: str = "",
    status: str | None = None,
    page: PageSpec | None = None,
) -> Page[PersonSummary]:
    """Persons any of whose names, aliases, names on papers, document numbers, ref or service
    number ``q`` meets (:mod:`repatria.registry.search_index`: index seeks, nothing filtered
    in Python); all current persons when ``q`` is empty. One page, sorted by ``ref`` unless
    ``page.sort`` says otherwise.

    Case, spaces, hyphens, the common romanisations of Korean and Russian transliteration are
    ignored (the rules and their known false matches: :mod:`repatria.search_keys`).
    ``actor=None`` only from the command line, where ``--as`` is optional for reads.
    """
    q = q.strip()
    if status is not None and status not in PERSON_STATES:
        raise ServiceError(
            f"unknown person state {status!r}; choose one of {', '.join(PERSON_STATES)}"
        )
    spec = page or PageSpec()
    sort, name, down, after, back = keyset_start(spec, PERSON_SORTS, "ref")
    short, ranges = query_lookup(q) if q else ((), ())
    with _SEARCHING, raw_read(db) as session:
        if actor is not None:
            check_reader(session, actor, "persons.read")
        total, rows = person_page(
            session,
            short=short,
            ranges=ranges,
            searched=bool(q),
            status=status or None,
            sort=name,
            down=down,
            after=after,
            limit=spec.limit + 1,
        )
        pg = keyset_page(
            rows,
            [(r.sort_value, r.tie) for r in rows],
            total,
            sort=sort,
            back=back,
            spec=spec,
            names=tuple(PERSON_SORTS),
        )
        return Page(
            _summaries(session, pg.items, q), pg.total, pg.next, pg.previous, pg.sort, pg.sorts
        )


def persons_csv(
    db: str | None, *, actor: str | None, q: str = "", status: str | None = None, sort: str | None
) -> str:
    """Every person :func:`search_persons` would list, as CSV, in the same order."""
    q = q.strip()
    stmt = _persons_stmt(q, status)
    with session_scope(db, read=True) as session:
        if actor is not None:
            reader(session, actor, "persons.read")
        persons = sql_all(
            session, stmt, sorts=PERSON_SORTS, tie=Person.id, sort=sort, default="ref"
        )
        rows = _summaries(session, persons, "")
    return csv_text(
        PERSON_CSV_HEADER,
        (
            (
                p.ref,
                p.name,
                [n["name"] for n in p.names if n["name"] != p.name],
                [f"{d['type']} {d['number'] or ''}".strip() for d in p.documents],
                p.unit,
                p.status,
            )
            for p in rows
        ),
    )


def _summaries(session: Source, persons: list[Any], q: str) -> list[PersonSummary]:
    """The persons of one page (rows of ``_PERSON_COLS``) with their names, papers and what
    matched: one statement per page, whatever its length (no query per person)."""
    short, ranges = query_lookup(q) if q else ((), ())
    names, docs, hits = details_of(session, [p.id for p in persons], short, ranges)
    out = []
    for p in persons:
        pn, pd = names.get(p.id, []), docs.get(p.id, [])
        shown = {("name", n.id): n.name for n in pn}
        shown |= {("document", d.id): d.number or d.name_on_document or "" for d in pd}
        matched = [
            shown.get(h, p.ref) if h[0] != "person" else _person_hit(p, q)
            for h in hits.get(p.id, [])
        ]
        official = [n for n in pn if n.kind == "official"]
        out.append(
            PersonSummary(
                p.ref,
                p.status,
                (official or pn)[0].name if pn else p.ref,
                [
                    {
                        "name": n.name,
                        "kind": n.kind,
                        "script": n.script,
                        "transliteration": n.transliteration,
                    }
                    for n in pn
                ],
                [_document_dict(d) for d in pd],
                p.unit,
                unique(matched),
            )
        )
    return out


def _person_hit(p: Any, q: str) -> str:
    # The person's own keys are his ref and service number: show the one the query meets.
    if p.service_number and not document_keys(p.service_number).isdisjoint(document_keys(q)):
        return str(p.service_number)
    return str(p.ref)


def _document_dict(d: Any) -> dict[str, str | None]:
    return {
        "type": d.doc_type,
        "number": d.number,
        "issuer": d.issuer,
        "name_on_document": d.name_on_document,
        "authenticity": d.authenticity,
    }


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
            [_document_dict(d) for d in p.documents],
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
