"""Person search pages in plain SQL, through the driver's own cursor: the path every search box
and ``GET /api/v1/persons`` takes.

A search is a handful of index seeks and one page of fifty persons; what it cost in Python was
building SQLAlchemy statements and result rows, about 15 ms a search, which 20 concurrent
searches queue for behind one interpreter lock. Here the statements are fixed strings, built
once and cached, and rows come back as tuples. On SQLite there is a text per shape (number of
prefix ranges, equality keys, sort, cursor); on PostgreSQL a query's keys are array parameters,
so that one text per sort and cursor serves every query and stays prepared on the server with
one plan (:func:`repatria.registry.db.raw_read`). The results are those of
:func:`repatria.registry.search_index.matching_person_ids` paged by
:func:`repatria.services.paging.sql_page`, and
``tests/services/test_person_lookup.py`` holds this module to them as its oracle on both
databases. The statements differ where that was the cost: a search sorted by ref (the search
box's order) sorts and counts its matches on the key rows, which carry the ref (migration
0019), instead of fetching every matched person (4,000 of 10^5 for ``Lee Yong ho``); the
replaced persons are excluded as one hashed set rather than by a probe per match.

The keys and ranges are :func:`repatria.registry.search_index.query_lookup`'s; the ordering,
cursors and ``total`` follow :mod:`repatria.services.paging`'s keyset rules (the caller turns
rows into a :class:`~repatria.services.paging.Page`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from repatria.registry.db import RawRead

#: Where a lookup reads: an ORM session's transaction, or a driver connection's (``raw_read``).
Source = Session | RawRead

__all__ = [
    "SORT_SQL",
    "PersonRow",
    "NameRow",
    "DocumentRow",
    "person_page",
    "Details",
    "details_of",
    "user_standing",
]

#: Sort name -> its SQL over ``persons p`` (never NULL, as keyset paging needs).
SORT_SQL = {"ref": "p.ref", "status": "p.status", "unit": "coalesce(p.unit, '')"}

_CHUNK = 500


class PersonRow(NamedTuple):
    id: int
    ref: str
    status: str
    unit: str | None
    service_number: str | None
    sort_value: Any
    tie: int


class NameRow(NamedTuple):
    person_id: int
    id: int
    name: str
    kind: str
    script: str | None
    transliteration: str | None


class DocumentRow(NamedTuple):
    person_id: int
    id: int
    doc_type: str
    number: str | None
    issuer: str | None
    name_on_document: str | None
    authenticity: str | None


def _cursor(session: Source) -> tuple[Any, bool]:
    """The driver's cursor on the source's connection (its transaction), and whether the
    driver takes ``?`` (SQLite) rather than ``%s`` (psycopg) for parameters."""
    if isinstance(session, RawRead):
        return session.conn.cursor(), session.qmark
    conn = session.connection()
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw.cursor(), conn.dialect.paramstyle == "qmark"


@lru_cache(maxsize=1024)
def _sql(text: str, qmark: bool) -> str:
    return text if qmark else text.replace("?", "%s")


#: The shape of a query's keys in a statement: ``(ranges, equality keys)`` as that many
#: parameters each (SQLite), or ``None``: three array parameters, the ranges' lows, their
#: highs and the equality keys (PostgreSQL). One text for every query lets the server keep it
#: prepared with one plan; a text per shape was parsed and planned afresh for nearly every
#: search (a shape seldom came back five times to one connection, psycopg's threshold), and
#: planning was a quarter of the server's time (benchmarks/person_search.py).
Seeks = tuple[int, int] | None


def _union_of_seeks(columns: str, seeks: Seeks) -> str:
    """``columns`` of the key rows a query meets: one index seek per key, their union."""
    if seeks is None:
        picked = ", ".join(f"s.{c.strip()}" for c in columns.split(","))
        return (
            f"SELECT {picked} FROM unnest(?::text[], ?::text[]) AS r(lo, hi) "
            f"CROSS JOIN LATERAL (SELECT {columns} FROM person_search_keys "
            "WHERE key >= r.lo AND key < r.hi) s "
            f"UNION SELECT {columns} FROM person_search_keys WHERE key = ANY(?::text[])"
        )
    ranges, short = seeks
    seek = f"SELECT {columns} FROM person_search_keys WHERE key >= ? AND key < ?"
    branches = [seek] * ranges
    if short:
        marks = ", ".join("?" * short)
        branches.append(f"SELECT {columns} FROM person_search_keys WHERE key IN ({marks})")
    nothing = ", ".join("NULL" for _ in columns.split(","))
    return " UNION ".join(branches) if branches else f"SELECT {nothing} WHERE 1 = 0"


def _key_params(short: Sequence[str], ranges: Sequence[tuple[str, str]], seeks: Seeks) -> list[Any]:
    """The parameters of a query's keys, in the order of :func:`_union_of_seeks`."""
    if seeks is None:
        return [[lo for lo, _ in ranges], [hi for _, hi in ranges], list(short)]
    return [x for r in ranges for x in r] + list(short)


@lru_cache(maxsize=256)
def _matched_sql(seeks: Seeks) -> str:
    """The ids of the persons a query meets."""
    return _union_of_seeks("person_id", seeks)


#: The persons no newer row replaces (a correction is a new row pointing at the old one). The
#: replaced are few: one hashed set per statement, not a probe of ``persons`` per match.
_CURRENT = "NOT IN (SELECT supersedes_id FROM persons WHERE supersedes_id IS NOT NULL)"


@lru_cache(maxsize=256)
def _matched_refs_sql(seeks: Seeks) -> str:
    """(person id, ref) of the current persons a query meets, from the key index alone."""
    union = _union_of_seeks("person_id, ref", seeks)
    return f"SELECT person_id, ref FROM ({union}) u WHERE person_id {_CURRENT}"


@lru_cache(maxsize=512)
def _by_ref_sql(seeks: Seeks, down: bool, after: bool) -> tuple[str, str]:
    """(count, page) of a search sorted by ref with no state: the matches are counted, sorted
    and cut to a page on the key rows (which carry the ref), and only the page's persons are
    fetched. A first page (``after`` false) counts in the same pass, as its last column."""
    matched = _matched_refs_sql(seeks)
    order = "DESC" if down else "ASC"
    op = "<" if down else ">"
    if after:
        inner = (
            f"SELECT person_id, ref FROM ({matched}) m "
            f"WHERE (ref {op} ? OR (ref = ? AND person_id {op} ?))"
        )
        counted = ""
    else:
        inner = f"SELECT person_id, ref, count(*) OVER () AS n FROM ({matched}) m"
        counted = ", t.n"
    page = (
        f"SELECT p.id, p.ref, p.status, p.unit, p.service_number, t.ref, p.id{counted} "
        f"FROM ({inner} ORDER BY ref {order}, person_id {order} LIMIT ?) t "
        f"JOIN persons p ON p.id = t.person_id ORDER BY t.ref {order}, t.person_id {order}"
    )
    return f"SELECT count(*) FROM ({matched}) m", page


@lru_cache(maxsize=512)
def _page_sql(
    seeks: Seeks, searched: bool, status: bool, sort: str, down: bool, after: bool
) -> tuple[str, str]:
    """(count, page) statements of one shape; ``?`` parameters in the order :func:`person_page`
    passes them. A first page's statement counts too (its last column)."""
    if searched and not status and sort == "ref":
        return _by_ref_sql(seeks, down, after)
    where = [f"p.id {_CURRENT}"]
    if searched:
        where.append(f"p.id IN ({_matched_sql(seeks)})")
    if status:
        where.append("p.status = ?")
    expr = SORT_SQL[sort]
    count = f"SELECT count(*) FROM persons p WHERE {' AND '.join(where)}"
    if after:
        op = "<" if down else ">"
        where.append(f"({expr} {op} ? OR ({expr} = ? AND p.id {op} ?))")
    order = "DESC" if down else "ASC"
    # A first page counts its list in the same pass (a window over the whole list, before the
    # LIMIT): one evaluation of the seeks instead of two.
    counted = "" if after else ", count(*) OVER ()"
    page = (
        f"SELECT p.id, p.ref, p.status, p.unit, p.service_number, {expr}, p.id{counted} "
        f"FROM persons p WHERE {' AND '.join(where)} "
        f"ORDER BY {expr} {order}, p.id {order} LIMIT ?"
    )
    return count, page


def person_page(
    session: Source,
    *,
    short: Sequence[str],
    ranges: Sequence[tuple[str, str]],
    searched: bool,
    status: str | None,
    sort: str,
    down: bool,
    after: tuple[Any, int] | None,
    limit: int,
) -> tuple[int, list[PersonRow]]:
    """(how many current persons the query meets, up to ``limit`` of them in keyset order).

    ``searched=False``: every current person. ``down``: walk towards smaller sort keys.
    ``after``: the (sort value, id) the page continues from, exclusive.
    """
    cur, qmark = _cursor(session)
    seeks: Seeks = (len(ranges), len(short)) if qmark else None
    count_sql, page_sql = _page_sql(
        seeks, searched, status is not None, sort, down, after is not None
    )
    base = _key_params(short, ranges, seeks) if searched else []
    if status is not None:
        base.append(status)
    try:
        if after is None:
            cur.execute(_sql(page_sql, qmark), [*base, limit])
            got = cur.fetchall()
            if got:
                return int(got[0][-1]), [PersonRow._make(r[:-1]) for r in got]
            cur.execute(_sql(count_sql, qmark), base)
            return int(cur.fetchone()[0]), []
        cur.execute(_sql(count_sql, qmark), base)
        total = int(cur.fetchone()[0])
        cur.execute(_sql(page_sql, qmark), [*base, after[0], after[0], after[1], limit])
        rows = [PersonRow._make(r) for r in cur.fetchall()]
    finally:
        cur.close()
    return total, rows


def user_standing(session: Source, name: str) -> tuple[int, str, Any] | None:
    """(id, role, disabled_at) of the user ``name``, or ``None``: the role check of every read,
    through the driver like the search it guards."""
    cur, qmark = _cursor(session)
    try:
        cur.execute(_sql("SELECT id, role, disabled_at FROM users WHERE name = ?", qmark), [name])
        row = cur.fetchone()
    finally:
        cur.close()
    return None if row is None else (int(row[0]), str(row[1]), row[2])


@lru_cache(maxsize=512)
def _details_sql(seeks: Seeks, keyed: bool, ids: int) -> str:
    """The statement of :func:`details_of` for one shape, in the driver's parameter style.

    On PostgreSQL (``seeks`` is ``None``) the page's ids and the query's keys are arrays, so
    that one text serves every page and query and stays prepared on the server; SQLite takes
    a mark per id and per key.
    """
    among = "= ANY(?)" if seeks is None else f"IN ({', '.join('?' * ids)})"
    branches = [
        "SELECT 0, person_id, id, name, kind, script, transliteration, NULL "
        f"FROM person_names WHERE person_id {among}",
        "SELECT 1, person_id, id, doc_type, number, issuer, name_on_document, "
        f"authenticity FROM person_documents WHERE person_id {among}",
    ]
    if seeks is None:
        # A key in [low, high) is a key that starts with low (high is low with its last
        # letter's successor): a test on the row, where a semi-join of the ranges per key
        # row was a subplan each.
        met = "(key ^@ ANY(?::text[]) OR key = ANY(?::text[]))"
    else:
        parts = ["(key >= ? AND key < ?)"] * seeks[0]
        if seeks[1]:
            parts.append(f"key IN ({', '.join('?' * seeks[1])})")
        met = f"({' OR '.join(parts)})"
    if keyed:
        branches.append(
            "SELECT 2, person_id, id, source, CAST(source_id AS TEXT), NULL, NULL, NULL "
            f"FROM person_search_keys WHERE {met} AND person_id {among}"
        )
    return _sql(" UNION ALL ".join(branches) + " ORDER BY 1, 3", seeks is not None)


class Details(NamedTuple):
    """One page's names, papers and hits (``(source, source id)`` of every key the query
    meets), each by person id, in the order they were recorded."""

    names: dict[int, list[NameRow]]
    documents: dict[int, list[DocumentRow]]
    hits: dict[int, list[tuple[str, int]]]


def details_of(
    session: Source, ids: Sequence[int], short: Sequence[str], ranges: Sequence[tuple[str, str]]
) -> Details:
    """The names, papers and hits of one page's persons in one statement (a round trip and a
    cursor instead of three, for every search a search box sends), grouped as they are read."""
    out = Details({}, {}, {})
    if not ids:
        return out
    keyed = bool(short or ranges)
    cur, qmark = _cursor(session)
    seeks: Seeks = (len(ranges), len(short)) if qmark else None
    if seeks is None:
        keys: list[Any] = [[lo for lo, _ in ranges], list(short)]
    else:
        keys = _key_params(short, ranges, seeks)
    names, docs, hits = out
    try:
        for k in range(0, len(ids), _CHUNK):
            chunk = list(ids[k : k + _CHUNK])
            among: list[Any] = chunk if qmark else [chunk]
            params: list[Any] = [*among, *among]
            if keyed:
                params += [*keys, *among]
            cur.execute(_details_sql(seeks, keyed, len(chunk) if qmark else 0), params)
            for tag, pid, rid, a, b, c, d, e in cur.fetchall():
                if tag == 0:
                    names.setdefault(pid, []).append(NameRow(pid, rid, a, b, c, d))
                elif tag == 1:
                    docs.setdefault(pid, []).append(DocumentRow(pid, rid, a, b, c, d, e))
                else:
                    hits.setdefault(pid, []).append((a, int(b)))
    finally:
        cur.close()
    return out
