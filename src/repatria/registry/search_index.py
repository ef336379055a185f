"""The search index: every name, alias and paper of a person as rows of ``person_search_keys``.

The keys come from :mod:`repatria.search_keys` (pure); this module writes them and looks them
up (``docs/policy.md``, "How the registry stores and queries them").

Writing is not left to each workflow: an ``after_flush`` hook on every session rewrites the
keys of any person whose names, documents, ref or service number were inserted, changed or
deleted in that flush, in the same transaction. An import, a case import, a correction or a
test that adds a ``PersonName`` therefore cannot leave the index behind. Migration 0009 fills
the index for rows written before it, with the same :func:`person_key_rows`.

Looking up (:func:`key_condition`) is an index seek per query key: equality, and for keys of
at least :data:`PREFIX_MIN` skeleton letters a prefix as a range (``key >= low AND key <
high``), so ``Ivanov`` finds ``Ivanov Sergey Petrovich`` and ``RF-04`` finds ``RF-0448213``.
Nothing is filtered in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    event,
    false,
    insert,
    inspect,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from repatria.registry.models import (
    SEARCH_KEY_LENGTH,
    Person,
    PersonDocument,
    PersonName,
    PersonSearchKey,
)
from repatria.search_keys import (
    KEYS_VERSION,
    document_keys,
    name_keys,
    prefix_range,
    query_keys,
)

_KEYS = PersonSearchKey.__table__

__all__ = [
    "PREFIX_MIN",
    "person_key_rows",
    "reindex_persons",
    "key_condition",
    "query_lookup",
    "matching_person_ids",
]

#: Keys of at least this many skeleton letters also match as a prefix.
PREFIX_MIN = 3

_PERSON_FIELDS = ("ref", "service_number")
_NAME_FIELDS = ("name", "transliteration", "person_id")
_DOCUMENT_FIELDS = ("number", "name_on_document", "person_id")


def _cut(key: str) -> str:
    return key[:SEARCH_KEY_LENGTH]


def person_key_rows(
    person_id: int,
    ref: str,
    service_number: str | None,
    names: Iterable[tuple[int, str | None, str | None]],
    documents: Iterable[tuple[int, str | None, str | None]],
) -> list[dict[str, Any]]:
    """The index rows of one person, from plain values (the migration has no ORM objects).

    ``names``: ``(id, name, transliteration)``; ``documents``: ``(id, number,
    name_on_document)``. The ref and the service number are keyed as document numbers. Every
    row also carries ``ref``, what a search sorts its matches by (a migration before 0019, whose
    table has no such column, leaves it out).
    """
    found: dict[tuple[str, str, int], None] = {}
    for k in document_keys(ref) | (document_keys(service_number) if service_number else set()):
        found[(_cut(k), "person", person_id)] = None
    for nid, name, translit in names:
        for text in (name, translit):
            for k in name_keys(text) if text else ():
                found[(_cut(k), "name", nid)] = None
    for did, number, on_doc in documents:
        keys = (document_keys(number) if number else frozenset()) | (
            name_keys(on_doc) if on_doc else frozenset()
        )
        for k in keys:
            found[(_cut(k), "document", did)] = None
    return [
        {
            "person_id": person_id,
            "key": key,
            "source": source,
            "source_id": sid,
            "keys_version": KEYS_VERSION,
            "ref": ref,
        }
        for key, source, sid in found
    ]


def reindex_persons(session: Session, person_ids: Iterable[int]) -> None:
    """Rewrite the keys of the persons ``person_ids`` from their rows, in the session's
    transaction (what the flush hook does for a changed person; a reindex after a change of
    ``KEYS_VERSION`` would do it for all)."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    conn = session.connection()
    conn.execute(delete(PersonSearchKey).where(PersonSearchKey.person_id.in_(ids)))
    names: dict[int, list[tuple[int, str | None, str | None]]] = {}
    docs: dict[int, list[tuple[int, str | None, str | None]]] = {}
    for nid, pid, name, translit in conn.execute(
        select(
            PersonName.id, PersonName.person_id, PersonName.name, PersonName.transliteration
        ).where(PersonName.person_id.in_(ids))
    ):
        names.setdefault(pid, []).append((nid, name, translit))
    for did, pid, number, on_doc in conn.execute(
        select(
            PersonDocument.id,
            PersonDocument.person_id,
            PersonDocument.number,
            PersonDocument.name_on_document,
        ).where(PersonDocument.person_id.in_(ids))
    ):
        docs.setdefault(pid, []).append((did, number, on_doc))
    rows = [
        r
        for pid, ref, number in conn.execute(
            select(Person.id, Person.ref, Person.service_number).where(Person.id.in_(ids))
        )
        for r in person_key_rows(pid, ref, number, names.get(pid, ()), docs.get(pid, ()))
    ]
    if rows:
        conn.execute(insert(PersonSearchKey), rows)


def _index_new(session: Session, persons: Sequence[Person]) -> None:
    """Keys of persons written for the first time, from the objects just flushed (an import of
    10^5 persons pays no extra read per person)."""
    rows = [
        r
        for p in persons
        for r in person_key_rows(
            p.id,
            p.ref,
            p.service_number,
            [(n.id, n.name, n.transliteration) for n in p.names],
            [(d.id, d.number, d.name_on_document) for d in p.documents],
        )
    ]
    if rows:
        session.connection().execute(insert(PersonSearchKey), rows)


def _changed(obj: Any, fields: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in fields)


def _touched(session: Session) -> tuple[list[Person], set[int]]:
    """(persons new in this flush, ids of existing persons whose keys this flush changes)."""
    new = [o for o in session.new if isinstance(o, Person)]
    new_ids = {p.id for p in new}
    old: set[int] = set()
    for obj in session.new:
        if isinstance(obj, PersonName | PersonDocument):
            old.add(obj.person_id)
    for obj in session.dirty:
        if isinstance(obj, Person) and _changed(obj, _PERSON_FIELDS):
            old.add(obj.id)
        elif isinstance(obj, PersonName) and _changed(obj, _NAME_FIELDS):
            old.add(obj.person_id)
            old.update(inspect(obj).attrs.person_id.history.deleted or ())
        elif isinstance(obj, PersonDocument) and _changed(obj, _DOCUMENT_FIELDS):
            old.add(obj.person_id)
            old.update(inspect(obj).attrs.person_id.history.deleted or ())
    for obj in session.deleted:
        if isinstance(obj, PersonName | PersonDocument):
            old.add(obj.person_id)
    return new, {i for i in old if i is not None and i not in new_ids}


@event.listens_for(Session, "after_flush")
def _index_after_flush(session: Session, _context: Any) -> None:
    # After the flush the rows have their ids; session.new/dirty/deleted still list what was
    # flushed. A flush that touches no person, name or document costs one pass over them.
    if not any(isinstance(o, Person | PersonName | PersonDocument) for o in _all(session)):
        return
    new, old = _touched(session)
    _index_new(session, new)
    reindex_persons(session, old)


def _all(session: Session) -> Iterable[object]:
    yield from session.new
    yield from session.dirty
    yield from session.deleted


@lru_cache(maxsize=4096)
def _lookup(query: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(keys looked up by equality, prefix ranges) of a query; the same query is keyed once."""
    keys = sorted({_cut(k) for k in query_keys(query)})
    short = tuple(k for k in keys if len(k.split(":", 1)[1]) < PREFIX_MIN)
    ranges = tuple(prefix_range(k) for k in keys if k not in short)
    return short, ranges


def query_lookup(query: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(keys ``query`` looks up by equality, prefix ranges ``(low, high)`` it scans)."""
    return _lookup(query)


def _padded(ranges: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    # Padded to a power of two with empty ranges, so that queries of any length share a few
    # compiled statements instead of compiling one each.
    if not ranges:
        return ranges
    width = 1 << (len(ranges) - 1).bit_length()
    return ranges + (("", ""),) * (width - len(ranges))


def key_condition(query: str) -> ColumnElement[bool]:
    """Rows of ``person_search_keys`` that ``query`` meets: equality or prefix, per query key
    (for rows already narrowed to a few persons; to find persons, :func:`matching_person_ids`)."""
    short, ranges = _lookup(query)
    if not short and not ranges:
        return false()
    key = _KEYS.c.key
    parts: list[ColumnElement[bool]] = [and_(key >= lo, key < hi) for lo, hi in _padded(ranges)]
    if short:
        parts.append(key.in_(short))
    return or_(*parts)


def matching_person_ids(query: str) -> Any:
    """The ids of the persons ``query`` meets, as a subquery: one index seek per query key,
    their union (one branch each, so that no planner trades the seeks for a scan of the
    table, as SQLite does for a long ``OR``)."""
    short, ranges = _lookup(query)
    key, pid = _KEYS.c.key, _KEYS.c.person_id
    branches = [select(pid).where(key >= lo, key < hi) for lo, hi in _padded(ranges)]
    if short:
        branches.append(select(pid).where(key.in_(short)))
    if not branches:
        return select(pid).where(false())
    return union(*branches) if len(branches) > 1 else branches[0]
